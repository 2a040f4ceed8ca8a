"""The topics core on small corpora: 1, 3, 10, 80 statements and the all-outlier case."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest

from pipeline.codebook import OTHER
from pipeline.contract import STATEMENT_THEMES, TOPICS, validate
from pipeline.topics.core import assign_topics_and_themes
from pipeline.topics.model import GuardedClusterer, reduce_outliers, small_corpus_k
from pipeline.topics.params import HdbscanParams
from topics_helpers import fast_params, hashing_encode, mini_codebook, statements


def run(n: int, **overrides):
    if not overrides:
        return _run_default(n)
    return _fit(n, **overrides)


@functools.lru_cache(maxsize=None)
def _run_default(n: int):
    return _fit(n)


def _fit(n: int, **overrides):
    st, truth = statements(n)
    result = assign_topics_and_themes(st, hashing_encode(st["text"].tolist()), mini_codebook(), hashing_encode,
                                      fast_params(**overrides), None)
    return result, truth


@pytest.mark.parametrize("n", [1, 3, 10, 80])
def test_every_statement_gets_a_topic_and_a_theme(n):
    result, truth = run(n)
    st = validate(result.statement_themes, STATEMENT_THEMES, "test")
    validate(result.topics, TOPICS, "test")
    assert len(st) == n
    assert st["theme"].isin([*mini_codebook().ids, OTHER]).all()
    assert (st["topic_label"].str.len() > 0).all()
    # topics.csv accounts for every statement exactly once
    assert result.topics["size"].sum() == n
    assert set(result.topics["topic"]) == set(st["topic"])
    # the primary theme is always the first of the themes that apply
    assert all(themes.split("; ")[0] == theme for theme, themes in zip(st["theme"], st["themes"]))


@pytest.mark.parametrize("n, path", [(1, "kmeans_fallback"), (3, "kmeans_fallback"), (10, "kmeans_fallback"), (80, "umap_hdbscan")])
def test_small_corpora_skip_umap_and_large_ones_use_it(n, path):
    result, _ = run(n)
    assert result.fit_path == path


def test_one_and_three_statements_make_a_single_topic():
    for n in (1, 3):
        result, _ = run(n)
        assert set(result.statement_themes["topic"]) == {0}


def test_themes_recovered_on_the_80_statement_corpus():
    result, truth = run(80)
    accuracy = np.mean(result.statement_themes["theme"].to_numpy() == np.asarray(truth))
    assert accuracy >= 0.9


def test_small_corpus_k_grows_with_the_corpus():
    assert small_corpus_k(1, 8) == 1
    assert small_corpus_k(3, 8) == 1
    assert small_corpus_k(29, 8) == 2
    assert small_corpus_k(300, 8) == 6


def test_umap_neighbours_are_clamped_below_the_corpus_size():
    params = fast_params(small_corpus=dataclasses.replace(fast_params().small_corpus, min_docs_for_umap=5))
    params = dataclasses.replace(params, umap=dataclasses.replace(params.umap, n_neighbors=50))
    st, _ = statements(12)
    clusterer = GuardedClusterer(params).fit(hashing_encode(st["text"].tolist()))
    # UMAP ran with neighbours clamped to 11 (it fails with 50 > 12); HDBSCAN may then find no cluster
    assert clusterer.path in ("umap_hdbscan", "kmeans_fallback")
    assert len(clusterer.labels_) == 12


def test_all_outliers_fall_back_to_kmeans(monkeypatch, caplog):
    monkeypatch.setattr(GuardedClusterer, "_umap_hdbscan", lambda self, X, guide=None, **_: np.full(len(X), -1))
    result, _ = _fit(40)
    assert result.fit_path == "kmeans_fallback"
    assert (result.statement_themes["topic"] >= 0).all()
    assert "all outliers" in caplog.text


def test_outliers_join_a_topic_only_when_similar_enough():
    X = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9], [0.95, 0.05], [-1.0, 0.0]])
    labels = np.array([0, 0, 1, 1, -1, -1])
    assert reduce_outliers(X, labels, 0.5).tolist() == [0, 0, 1, 1, 0, -1]
    assert reduce_outliers(X, labels, 0.5)[:4].tolist() == labels[:4].tolist()


def test_kept_outliers_have_a_visible_outlier_topic():
    result, _ = run(80, reduce_outliers="none", hdbscan=HdbscanParams(min_cluster_size=15))
    topics = result.topics.set_index("topic")
    if -1 in topics.index:
        assert topics.loc[-1, "label"].startswith("outliers")
        assert topics.loc[-1, "theme"] == OTHER


def test_no_statements_give_empty_tables():
    result, _ = run(0)
    assert result.statement_themes.empty and result.topics.empty


def test_mismatched_embeddings_are_refused():
    st, _ = statements(5)
    with pytest.raises(ValueError, match="5 statements but 4 embeddings"):
        assign_topics_and_themes(st, hashing_encode(st["text"].tolist()[:4]), mini_codebook(), hashing_encode,
                                 fast_params(), None)
