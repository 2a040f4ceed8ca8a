"""UMAP's nearest neighbours found ahead, in another process, while the keyword lemmas are found.

UMAP's fit begins with each statement's `n_neighbors` nearest neighbours (PyNNDescent, on one
thread: the stage seeds UMAP, which turns its parallelism off). They depend on the vectors
alone, not on the codebook guide that the keyword lemmas feed, so a "spawn" process finds them
while the lemma workers run, and the fit takes them (`umap_reducer(..., precomputed=)`) with
the random state advanced as its own search would have left it: the same neighbours, the same
layout, the same topics bit for bit (tested; compared at 100,000 statements). Used where the
stage has a lemma pool to overlap and UMAP runs its approximate search on every statement (not
a sampled fit).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.forkpool import exit_with_parent
from pipeline.topics.params import TopicsParams

log = logging.getLogger(__name__)

# UMAP searches neighbours exactly below this many rows (umap_.py); there is nothing to find ahead
UMAP_APPROXIMATE_FROM = 4096


@dataclass(frozen=True)
class Neighbours:
    """What UMAP's fit computes first: each row's neighbours, their distances, and the random
    state (`RandomState.get_state()`) as the search left it."""

    indices: np.ndarray
    distances: np.ndarray
    random_state: tuple

    def for_umap(self) -> dict[str, Any]:
        """UMAP's keyword arguments that hand it these neighbours and the advanced random state."""
        state = np.random.RandomState()
        state.set_state(self.random_state)
        return {"precomputed_knn": (self.indices, self.distances), "random_state": state}


def find_neighbours(X: np.ndarray, params: TopicsParams) -> Neighbours:
    """The neighbours `umap_reducer(params, len(X))` finds when it fits `X` (float32 unit rows),
    found the way its fit finds them (`UMAP.fit`: PyNNDescent, seeded, one thread)."""
    import numba
    from sklearn.utils import check_random_state
    from umap.umap_ import nearest_neighbors

    from pipeline.topics.model import umap_reducer

    reducer = umap_reducer(params, len(X), guided=False)
    random_state = check_random_state(reducer.random_state)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)  # as UMAP's fit does with a seed (n_jobs 1)
    try:
        indices, distances, _ = nearest_neighbors(X, reducer.n_neighbors, reducer.metric, reducer.metric_kwds or {},
                                                  reducer.angular_rp_forest, random_state, reducer.low_memory,
                                                  use_pynndescent=True, n_jobs=1, verbose=False)
    finally:
        numba.set_num_threads(threads)
    return Neighbours(indices, distances, random_state.get_state())


class NeighboursAhead:
    """`find_neighbours` running in a spawned process; `result()` waits for it (None if it failed:
    UMAP then searches itself, to the same neighbours)."""

    def __init__(self, X: np.ndarray, params: TopicsParams) -> None:
        self.rows = len(X)
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=exit_with_parent, initargs=(os.getpid(),))
        self._future: Future = self._pool.submit(find_neighbours, X, params)

    def result(self) -> Neighbours | None:
        try:
            return self._future.result()
        except Exception as exc:  # noqa: BLE001  (any failure: UMAP finds the same neighbours itself)
            log.warning("UMAP's neighbours could not be found ahead (%s: %s); UMAP finds them itself",
                        type(exc).__name__, exc)
            return None
        finally:
            self.close()

    def close(self) -> None:
        """Stop the process (a stage that fails before its fit does not wait for it)."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def worth_finding_ahead(params: TopicsParams, n: int, lemma_pool: bool) -> bool:
    """Whether UMAP's neighbours are found ahead: the lemma step runs worker processes (whose wait
    they fill) and UMAP fits every statement with its approximate search."""
    from pipeline.topics.model import is_large

    return lemma_pool and n >= UMAP_APPROXIMATE_FROM and n >= params.small_corpus.min_docs_for_umap \
        and not is_large(params, n)
