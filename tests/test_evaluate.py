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
