"""Large corpora: UMAP/HDBSCAN fitted on a seeded sample, the rest assigned by their nearest sample rows.

Fixtures are small (the rule is the same at 200 statements and at a million);
the threshold is lowered to make the sample path run. Agreement with a full fit
on 30k real statements is measured by `benchmarks.topics_sample_check`.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.topics.core import assign_topics_and_themes
from pipeline.topics.model import OUTLIER, build_topic_model, nearest_topic
from pipeline.topics.params import LargeCorpusParams
from topics_helpers import fast_params, hashing_encode, mini_codebook, statements


def _fit(n: int, fit_sample: int, chunk: int = 50000):
    st, truth = statements(n)
    params = fast_params(large_corpus=LargeCorpusParams(fit_sample=fit_sample, min_df=1, chunk=chunk))
    return assign_topics_and_themes(st, hashing_encode(st["text"].tolist()), mini_codebook(), hashing_encode,
                                    params, None), truth


def test_at_or_below_the_threshold_the_full_fit_runs_unchanged():
    full, _ = _fit(120, 0)
    at, _ = _fit(120, 120)
    assert full.fit_path == at.fit_path == "umap_hdbscan"
    assert full.statement_themes.equals(at.statement_themes)
    assert full.topics.equals(at.topics)


def test_above_the_threshold_a_sample_is_fitted_and_every_statement_gets_a_topic():
    result, truth = _fit(240, 80)
    st = result.statement_themes
    assert result.fit_path == "umap_hdbscan_sample"
    assert len(st) == 240 and result.topics["size"].sum() == 240
    assert (st["topic"] != OUTLIER).mean() >= 0.9
    assert np.mean(st["theme"].to_numpy() == np.asarray(truth)) >= 0.9


def test_the_sampled_fit_is_deterministic_and_independent_of_the_chunk_size():
    a, _ = _fit(240, 80, chunk=50000)
    b, _ = _fit(240, 80, chunk=7)
    assert a.statement_themes.equals(b.statement_themes)
    assert a.topics.equals(b.topics)


def test_nearest_topic_keeps_dissimilar_rows_outliers():
    centroids = np.eye(3)[:2]
    X = np.array([[1.0, 0.1, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.6, 0.5, 0.0]])
    labels = nearest_topic(X, centroids, np.array([4, 9]), threshold=0.3, chunk=2)
    assert labels.tolist() == [4, 9, OUTLIER, 4]


@pytest.mark.parametrize("n, expected", [(100, 1), (101, 3)])
def test_min_df_of_large_corpora_applies_only_above_the_threshold(n, expected):
    params = fast_params(large_corpus=LargeCorpusParams(fit_sample=100, min_df=3))
    assert build_topic_model(params, n, None).vectorizer_model.min_df == expected


def test_neighbour_vote_takes_the_majority_of_the_nearest_sample_rows():
    from pipeline.topics.model import neighbour_vote

    sample = np.array([[1.0, 0.0], [0.95, 0.05], [0.0, 1.0], [0.05, 1.0]])
    X = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    labels = np.array([3, 3, OUTLIER, 5])
    assert neighbour_vote(X, sample, labels, k=2, chunk=3).tolist() == [3, 3, OUTLIER, OUTLIER]  # tie: smallest id
    assert neighbour_vote(X, sample, labels, k=1, chunk=1).tolist() == [3, 3, OUTLIER, 5]


def test_neighbour_vote_through_a_nearest_neighbour_index_agrees_with_the_exact_vote():
    from pynndescent import NNDescent

    from pipeline.topics.model import neighbour_vote

    # overlapping groups, as sentence vectors are (the index's graph is connected)
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((4, 16))
    sample_labels = np.repeat([0, 1, 2, OUTLIER], 300)
    sample = (centres[np.repeat(np.arange(4), 300)] + 0.8 * rng.standard_normal((1200, 16))).astype(np.float32)
    X = (centres[np.repeat(np.arange(4), 100)] + 0.8 * rng.standard_normal((400, 16))).astype(np.float32)
    index = NNDescent(sample, metric="cosine", n_neighbors=15, random_state=0, n_jobs=1)
    exact = neighbour_vote(X, sample, sample_labels, k=15, chunk=64)
    approximate = neighbour_vote(X, sample, sample_labels, k=15, chunk=64, index=index, epsilon=0.3)
    assert np.mean(exact == np.repeat([0, 1, 2, OUTLIER], 100)) >= 0.9
    assert np.mean(approximate == exact) >= 0.97
    again = neighbour_vote(X, sample, sample_labels, k=15, chunk=64, index=index, epsilon=0.3)
    assert again.tolist() == approximate.tolist()


def test_the_exact_vote_works_in_blocks_whatever_the_chunk(monkeypatch):
    import pipeline.topics.model as model

    rng = np.random.default_rng(1)
    sample, X = rng.standard_normal((50, 8)), rng.standard_normal((40, 8))
    labels = rng.integers(-1, 4, size=50)
    whole = model.neighbour_vote(X, sample, labels, k=5, chunk=1000)
    monkeypatch.setattr(model, "_SIMILARITY_BUDGET", 50 * 3)  # three rows at a time
    assert model.neighbour_vote(X, sample, labels, k=5, chunk=1000).tolist() == whole.tolist()


def test_float32_unit_rows_in_blocks_equal_the_float64_ones_rounded():
    from pipeline.topics.themes import normalise_rows, unit_rows_float32

    X = np.random.default_rng(2).standard_normal((23, 6)).astype(np.float32)
    X[4] = 0
    got = unit_rows_float32(X, 5)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, normalise_rows(X).astype(np.float32))
    unit = np.delete(got, 4, axis=0)
    assert unit_rows_float32(unit, 5) is unit  # already unit length: no copy
    assert unit_rows_float32(got, 5) is not got  # a zero row is not unit length: normalised (stays zero)
