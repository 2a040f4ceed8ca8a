"""UMAP's neighbours found ahead (in another process) give the layout UMAP makes on its own, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.topics.model import umap_input, umap_reducer
from pipeline.topics.neighbours import UMAP_APPROXIMATE_FROM, NeighboursAhead, find_neighbours, worth_finding_ahead
from pipeline.topics.params import TopicsParams

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    """Unit rows in clusters, just above the size where UMAP searches its neighbours approximately."""
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(12, 64))
    rows = centres[rng.integers(0, 12, UMAP_APPROXIMATE_FROM + 400)] + 0.6 * rng.normal(size=(UMAP_APPROXIMATE_FROM + 400, 64))
    return umap_input(rows)


def test_neighbours_found_ahead_give_umap_s_own_layout(vectors):
    params = TopicsParams()
    guide = np.random.default_rng(0).integers(0, 6, len(vectors))
    own = umap_reducer(params, len(vectors), guided=True).fit_transform(vectors, y=guide)
    ahead = find_neighbours(vectors, params)
    assert ahead.indices.shape == (len(vectors), params.umap.n_neighbors)
    given = umap_reducer(params, len(vectors), guided=True, precomputed=ahead).fit_transform(vectors, y=guide)
    np.testing.assert_array_equal(given, own)


def test_the_other_process_finds_the_same_neighbours(vectors):
    params = TopicsParams()
    here = find_neighbours(vectors, params)
    there = NeighboursAhead(vectors, params).result()
    assert there is not None
    np.testing.assert_array_equal(there.indices, here.indices)
    np.testing.assert_array_equal(there.distances, here.distances)
    assert all(np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b
               for a, b in zip(there.random_state, here.random_state, strict=True))


def test_found_ahead_only_where_a_lemma_pool_runs_and_umap_fits_everything():
    params = TopicsParams()
    assert worth_finding_ahead(params, 10_000, lemma_pool=True)
    assert not worth_finding_ahead(params, 10_000, lemma_pool=False)
    assert not worth_finding_ahead(params, UMAP_APPROXIMATE_FROM - 1, lemma_pool=True)
    assert not worth_finding_ahead(params, params.large_corpus.fit_sample + 1, lemma_pool=True)  # a sampled fit
