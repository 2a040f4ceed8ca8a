"""The real model on the real sample report: topics and evaluate stages through their CLIs."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.contract import STATEMENT_THEMES, STATEMENTS, TOPICS
from pipeline.embed.cli import run_embed
from pipeline.tableio import read_table, write_table

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stage_outputs(repo_root, sample_report, nlp, tmp_path_factory):
    try:
        from pipeline.segment.readers import read_report
        from pipeline.segment.segmenter import SegmentParams, segment_report
    except ImportError as exc:  # the segment stage is built alongside
        pytest.skip(f"segment core not available yet: {exc}")
    from pipeline.params import load_section

    out = tmp_path_factory.mktemp("topics_real")
    params = repo_root / "params.yaml"
    seg = segment_report(sample_report.stem, read_report(sample_report), nlp=nlp,
                         params=load_section(params, "segment", SegmentParams)).statements
    write_table(seg, out / "statements.csv", STATEMENTS)
    run_embed(out / "statements.csv", out / "embeddings.npy", out / "embedding_ids.csv", params, None,
              model_record_path=out / "embedding_model.json", progress=False)
    common = ["--embeddings", str(out / "embeddings.npy"), "--embedding-ids", str(out / "embedding_ids.csv"),
              "--model-record", str(out / "embedding_model.json"),
              "--codebook", str(repo_root / "codebooks" / "sse.yaml"), "--params", str(params)]
    runner = CliRunner()
    result = runner.invoke(app, ["topic-fit", "--statements", str(out / "statements.csv"), *common,
                                 "--fit-dir", str(out / "topic_fit")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["topics", "--statements", str(out / "statements.csv"), *common,
                                 "--fit-dir", str(out / "topic_fit"),
                                 "--statement-themes", str(out / "statement_themes.csv"),
                                 "--topics", str(out / "topics.csv"), "--model-dir", str(out / "topic_model")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["evaluate", "--statement-themes", str(out / "statement_themes.csv"),
                                 "--labels", str(repo_root / "data" / "labels" / "sample_report_themes.csv"),
                                 *common, "--metrics", str(out / "evaluate.json")])
    assert result.exit_code == 0, result.output
    return out


def test_every_statement_is_themed_and_topics_add_up(stage_outputs):
    statements = read_table(stage_outputs / "statements.csv", STATEMENTS)
    themes = read_table(stage_outputs / "statement_themes.csv", STATEMENT_THEMES)
    topics = read_table(stage_outputs / "topics.csv", TOPICS)
    assert sorted(themes["statement_id"]) == sorted(statements["statement_id"])
    assert int(topics["size"].sum()) == len(themes)
    assert (topics["label"].str.len() > 0).all()
    # a report of ~80 statements is clustered by UMAP/HDBSCAN into several topics, not one
    assert (topics["topic"] >= 0).sum() >= 3
    assert (stage_outputs / "topic_model" / "topic_embeddings.safetensors").exists()


def test_primary_theme_is_acceptable_far_more_often_than_the_baseline(stage_outputs):
    metrics = json.loads((stage_outputs / "evaluate.json").read_text(encoding="utf-8"))
    assert metrics["n_unlabelled"] == 0, "relabel data/labels/sample_report_themes.csv"
    assert metrics["accuracy_any"] >= 0.8
    assert metrics["accuracy_any"] >= metrics["baseline_description_accuracy_any"] + 0.05


NEW_STATEMENTS = [
    ("Maria Lopez", "Every bank asked our housing cooperative for collateral that a collective owner cannot offer."),
    ("James Okafor", "The housing code does not recognise collective ownership, so the law must be amended."),
    ("Maria Lopez", "Women lead most of our cooperatives, yet banks refuse credit to women first."),
]


def kept_run(stage_outputs, repo_root, folder, codebook=None):
    """The topics stage on the sample's statements plus three new ones, with the sample's fit kept."""
    statements = read_table(stage_outputs / "statements.csv", STATEMENTS)
    extra = statements.tail(len(NEW_STATEMENTS)).copy()
    extra["report_id"], extra["speaker"] = "hearing_2023", [s for s, _ in NEW_STATEMENTS]
    extra["text"] = [t for _, t in NEW_STATEMENTS]
    extra["statement_id"] = [f"hearing_2023:{i + 1:04d}" for i in range(len(extra))]
    folder.mkdir()
    write_table(pd.concat([statements, extra], ignore_index=True), folder / "statements.csv", STATEMENTS)
    params = repo_root / "params.yaml"
    run_embed(folder / "statements.csv", folder / "embeddings.npy", folder / "embedding_ids.csv", params, None,
              model_record_path=folder / "embedding_model.json", progress=False)
    return CliRunner().invoke(app, [
        "topics", "--statements", str(folder / "statements.csv"), "--embeddings", str(folder / "embeddings.npy"),
        "--embedding-ids", str(folder / "embedding_ids.csv"), "--model-record", str(folder / "embedding_model.json"),
        "--codebook", str(codebook or repo_root / "codebooks" / "sse.yaml"), "--params", str(params),
        "--fit-dir", str(stage_outputs / "topic_fit"), "--statement-themes", str(folder / "statement_themes.csv"),
        "--topics", str(folder / "topics.csv"), "--model-dir", str(folder / "topic_model")])


def test_a_kept_fit_places_new_statements_and_leaves_the_others_as_they_were(stage_outputs, repo_root, tmp_path):
    result = kept_run(stage_outputs, repo_root, tmp_path / "kept")
    assert result.exit_code == 0, result.output
    before = read_table(stage_outputs / "statement_themes.csv", STATEMENT_THEMES)
    after = read_table(tmp_path / "kept" / "statement_themes.csv", STATEMENT_THEMES)
    pd.testing.assert_frame_equal(after.iloc[: len(before)].reset_index(drop=True), before)
    new = after.iloc[len(before):]
    assert set(new["topic"]) <= set(before["topic"])
    assert new["theme"].tolist()[:2] == ["financing", "legislation"]
    topics = read_table(tmp_path / "kept" / "topics.csv", TOPICS)
    assert int(topics["size"].sum()) == len(after)


def test_a_kept_fit_is_refused_under_another_codebook(stage_outputs, repo_root, tmp_path):
    edited = tmp_path / "sse.yaml"
    edited.write_text((repo_root / "codebooks" / "sse.yaml").read_text(encoding="utf-8") + "\n# edited\n",
                      encoding="utf-8")
    result = kept_run(stage_outputs, repo_root, tmp_path / "kept", codebook=edited)
    assert result.exit_code != 0
    assert "topic_fit" in result.output and "codebook" in result.output and "dvc unfreeze topic_fit" in result.output
