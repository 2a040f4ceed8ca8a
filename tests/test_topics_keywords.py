"""Keyword evidence (pipeline/topics/keywords.py): seeds read as lemmatised keywords."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.codebook import Codebook, Theme
from pipeline.topics.keywords import (
    add_keyword_evidence,
    content_lemmas,
    keyword_evidence,
    surface_forms,
    theme_vocabularies,
)


def test_a_word_of_one_theme_only_counts_fully_and_a_shared_word_not_at_all():
    vocabularies = [frozenset({"fund", "economy"}), frozenset({"law", "economy"})]
    evidence = keyword_evidence([frozenset({"fund"}), frozenset({"economy"}), frozenset({"law", "fund"}), frozenset()], vocabularies)
    assert evidence[0] == pytest.approx([np.log(2), 0.0])
    assert evidence[1] == pytest.approx([0.0, 0.0])  # in every theme's vocabulary: no evidence
    assert evidence[2] == pytest.approx([np.log(2), np.log(2)])
    assert evidence[3] == pytest.approx([0.0, 0.0])


def test_evidence_shifts_scores_towards_the_named_theme_and_rows_still_sum_to_one():
    scores = np.array([[0.6, 0.4], [0.6, 0.4]])
    evidence = np.array([[0.0, 1.0], [0.0, 0.0]])
    mixed = add_keyword_evidence(scores, evidence, weight=1.0)
    assert mixed.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert mixed[0, 1] > mixed[0, 0]  # 0.4 e / (0.6 + 0.4 e) > 0.5
    assert mixed[1] == pytest.approx(scores[1])  # no hit: unchanged
    assert add_keyword_evidence(scores, evidence, weight=0.0) is scores


@pytest.mark.slow
def test_lemmas_match_inflected_forms_and_skip_function_words(nlp):
    book = Codebook(name="t", description="", themes=(
        Theme(id="financing", name="Financing", description="Funding and loans.", seeds=("investment fund",)),
        Theme(id="legislation", name="Legislation", description="Laws and legislators.", seeds=("amend the law",)),
    ))
    vocabularies = theme_vocabularies(nlp, book)
    [lemmas] = content_lemmas(nlp, ["We need more funds and new laws for the cooperatives."])
    assert {"fund", "law"} <= lemmas
    assert "and" not in lemmas and "for" not in lemmas
    evidence = keyword_evidence([lemmas], vocabularies)
    assert evidence[0, 0] > 0 and evidence[0, 1] > 0


@pytest.mark.slow
def test_texts_without_a_keyword_form_skip_the_tagger_and_the_lemmas_stay_the_same(nlp, sample_report):
    keep = frozenset({"pay", "woman", "fund", "legislate", "good", "child", "economy", "cooperative"})
    texts = ["She paid the women's cooperatives.", "Better funds for children.", "They legislated it.",
             "Nothing of the sort here.", *filter(None, sample_report.read_text(encoding="utf-8").splitlines())]
    full = content_lemmas(nlp, texts)
    assert content_lemmas(nlp, texts, keep=keep) == [lemmas & keep for lemmas in full]
    forms = surface_forms(nlp, keep)
    assert {"paid", "women", "funds", "legislated", "better", "children"} <= forms
    assert "nothing" not in forms
