"""The evaluate stage: accuracy@any-acceptable arithmetic, the baseline, stale labels refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.evaluate import (
    accuracy_any,
    evaluate_themes,
    join_labels,
    nearest_description,
    present_labels,
    normalise_text,
)
from topics_helpers import mini_codebook

PRED = pd.DataFrame({
    "statement_id": ["r1:0001", "r1:0002", "r1:0003"],
    "report_id": ["r1", "r1", "r1"],
    "text": ["Banks refuse credit.", "The law must change.", "Good morning all."],
    "theme": ["financing", "financing", "procedural"],
})
LABELS = pd.DataFrame({
    "report_id": ["r1", "r1", "r1"],
    "statement_id": ["r1:0001", "r1:0002", "r1:0003"],
    "text": ["Banks  refuse credit.", "the law must change.", "Good <u>morning</u> all."],
    "themes": ["financing; legislation", "legislation", "procedural"],
})


def test_accuracy_counts_any_acceptable_theme():
    joined = join_labels(PRED, LABELS, mini_codebook())
    assert joined["acceptable"].tolist() == [("financing", "legislation"), ("legislation",), ("procedural",)]
    assert accuracy_any(joined["theme"].tolist(), joined["acceptable"].tolist()) == pytest.approx(2 / 3)


def test_metrics_separate_substantive_statements_and_score_the_baseline():
    joined = join_labels(PRED, LABELS, mini_codebook())
    metrics = evaluate_themes(joined, ["legislation", "legislation", "financing"], 4, mini_codebook())
    assert metrics["n_labelled"] == 3 and metrics["n_unlabelled"] == 1
    assert metrics["accuracy_any"] == pytest.approx(0.6667)
    assert metrics["baseline_description_accuracy_any"] == pytest.approx(0.6667)
    assert metrics["n_substantive"] == 2
    assert metrics["substantive_accuracy_any"] == pytest.approx(0.5)
    assert metrics["baseline_description_substantive_accuracy_any"] == pytest.approx(1.0)


def test_baseline_picks_the_most_similar_description():
    statements = np.array([[1.0, 0.1], [0.0, 2.0]])
    descriptions = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert nearest_description(statements, descriptions, ("up", "right")) == ["right", "up"]


def test_normalised_text_ignores_case_spacing_quotes_and_markup():
    assert normalise_text('Say  "Hello" <b>World</b>') == normalise_text("say hello world")


@pytest.mark.parametrize(
    "change, message",
    [
        ({"text": ["Banks refuse loans.", "The law must change.", "Good morning all."]}, "r1:0001 now reads differently"),
        ({"statement_id": ["r1:0001", "r1:0002", "r1:0009"]}, "r1:0009 is not among the statements"),
        ({"themes": ["financing", "laws", "procedural"]}, "names theme 'laws', not in the codebook"),
        ({"themes": ["financing", " ; ", "procedural"]}, "has no theme"),
        ({"report_id": ["r1", "r2", "r1"]}, "belongs to report r1, not r2"),
    ],
)
def test_stale_or_wrong_labels_are_refused(change, message):
    labels = LABELS.assign(**change)
    with pytest.raises(InputError, match=message):
        join_labels(PRED, labels, mini_codebook(), "labels.csv")


def test_duplicate_labels_are_refused():
    labels = pd.concat([LABELS, LABELS.iloc[[0]]])
    with pytest.raises(InputError, match="labelled twice"):
        join_labels(PRED, labels, mini_codebook(), "labels.csv")


def test_labels_of_reports_absent_from_the_run_are_set_aside():
    labels = pd.concat([LABELS, LABELS.assign(report_id="gone", statement_id=["gone:0001", "gone:0002", "gone:0003"])])
    present, absent = present_labels(labels, {"r1"})
    assert present["report_id"].tolist() == ["r1"] * 3
    assert absent == ["gone"]


def _statement_themes(report_id: str) -> pd.DataFrame:
    ids = [f"{report_id}:000{i}" for i in (1, 2, 3)]
    return PRED.assign(statement_id=ids, report_id=report_id, speaker="A", role="panelist", section="other",
                       topic=0, topic_label="t", theme_score=0.5, themes=PRED["theme"])


def _run_evaluate(tmp_path, statement_themes: pd.DataFrame, labels: pd.DataFrame):
    from typer.testing import CliRunner

    from pipeline.cli import app
    import yaml

    from topics_helpers import CODEBOOK
    from pipeline.contract import STATEMENT_THEMES, THEME_LABELS
    from pipeline.tableio import write_table

    write_table(statement_themes, tmp_path / "statement_themes.csv", STATEMENT_THEMES)
    (tmp_path / "labels").mkdir()
    write_table(labels, tmp_path / "labels" / "r1_themes.csv", THEME_LABELS)
    (tmp_path / "params.yaml").write_text("evaluate: {}\nembed:\n  model: all-MiniLM-L6-v2\n", encoding="utf-8")
    (tmp_path / "codebook.yaml").write_text(yaml.safe_dump(CODEBOOK), encoding="utf-8")
    args = ["evaluate", "--statement-themes", str(tmp_path / "statement_themes.csv"), "--labels", str(tmp_path / "labels"),
            "--embeddings", str(tmp_path / "e.npy"), "--embedding-ids", str(tmp_path / "e.csv"),
            "--codebook", str(tmp_path / "codebook.yaml"), "--params", str(tmp_path / "params.yaml"),
            "--metrics", str(tmp_path / "evaluate.json")]
    return CliRunner().invoke(app, args)


def test_a_run_without_labelled_reports_says_so_and_succeeds(tmp_path):
    import json

    result = _run_evaluate(tmp_path, _statement_themes("other_report"), LABELS)
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "evaluate.json").read_text(encoding="utf-8"))
    assert metrics["n_labelled"] == 0 and metrics["n_statements"] == 3
    assert metrics["status"].startswith("no labelled report")
    assert metrics["labelled_reports_absent"] == ["r1"]


def test_a_present_report_whose_statements_changed_still_asks_to_relabel(tmp_path):
    changed = _statement_themes("r1").assign(text=["Banks refuse loans.", "The law must change.", "Good morning all."])
    result = _run_evaluate(tmp_path, changed, LABELS)
    assert result.exit_code == 1
    assert "r1_themes.csv" in result.output and "relabel" in result.output


def test_accuracy_is_reported_before_and_after_the_analysts_corrections():
    corrected = PRED.assign(machine_theme=PRED["theme"], theme=["financing", "legislation", "procedural"])
    joined = join_labels(corrected, LABELS, mini_codebook())
    metrics = evaluate_themes(joined, ["financing"] * 3, 3, mini_codebook())
    assert metrics["machine_accuracy_any"] == pytest.approx(0.6667, abs=1e-4)
    assert metrics["accuracy_any"] == 1.0 and metrics["n_corrected"] == 1
