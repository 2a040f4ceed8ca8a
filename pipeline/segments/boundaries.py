"""Where a sequence of statement vectors changes subject: penalised optimal partitioning.

A report is cut into contiguous segments that minimise

    sum over segments of  sum_i w_i * ||x_i - c_seg||^2   +   boundary_cost * (segments - 1)

where x_i are the statements' vectors (see `sequence.py` for how they are
prepared and how the boundary cost is set), c_seg the segment's weighted mean
and w_i a weight per statement: the weighted within-segment scatter ("l2" in
the change-point literature) plus a price per boundary. The number of segments
follows from the data, not from a parameter.

Exact minimum by dynamic programming over all cut points, O(n^2) with prefix
sums (n = statements of one report; measured with speakers and 10 shuffles on
a shared 2-core CPU: 400 statements in 0.3 s, 1,000 in 1.6 s, 3,000 in 12 s).
Ties go to the earliest cut, so the result is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def smooth(vectors: np.ndarray, window: int) -> np.ndarray:
    """Each vector averaged with its `window` neighbours on either side, renormalised.

    A short turn ("Thank you, Chair.") borrows the subject of what surrounds it,
    which keeps one-line interjections from opening segments of their own.
    """
    if window <= 0 or len(vectors) < 2:
        return vectors
    n = len(vectors)
    prefix = np.vstack([np.zeros((1, vectors.shape[1])), np.cumsum(vectors, axis=0)])
    lo = np.clip(np.arange(n) - window, 0, n)
    hi = np.clip(np.arange(n) + window + 1, 0, n)
    out = (prefix[hi] - prefix[lo]) / (hi - lo)[:, None]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def best_cut_gain(vectors: np.ndarray, weights: np.ndarray) -> float:
    """How much the best single cut lowers the weighted scatter of the sequence."""
    if len(vectors) < 2:
        return 0.0
    cw = np.cumsum(weights)
    cwx = np.cumsum(vectors * weights[:, None], axis=0)
    total, wt = cwx[-1], cw[-1]
    left, wl = cwx[:-1], cw[:-1]
    right, wr = total - left, wt - wl
    gain = (np.einsum("ij,ij->i", left, left) / wl + np.einsum("ij,ij->i", right, right) / wr
            - float(total @ total) / wt)
    return float(gain.max())


def partition(vectors: np.ndarray, weights: np.ndarray, *, boundary_cost: float, min_size: int) -> list[int]:
    """Start index of every segment after the first (empty: one segment).

    `min_size` is the fewest statements a segment may hold (lowered to the
    report's length when the report is shorter).
    """
    return partitions(vectors, weights, boundary_costs=(boundary_cost,), min_size=min_size)[0]


def partitions(
    vectors: np.ndarray, weights: np.ndarray, *, boundary_costs: Sequence[float], min_size: int
) -> list[list[int]]:
    """`partition` at each of `boundary_costs`, the segment costs computed once for all of them.

    The scatter of every candidate segment (the O(n^2 d) part) does not depend on
    the boundary price, so the penalty and the change test share it; each cost's
    result is the one `partition` alone gives (same arithmetic, same ties).
    """
    n = len(vectors)
    if n < 2:
        return [[] for _ in boundary_costs]
    min_size = max(1, min(min_size, n))
    x = np.asarray(vectors, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    cw = np.concatenate([[0.0], np.cumsum(w)])
    cwx = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(x * w[:, None], axis=0)])
    cwxx = np.concatenate([[0.0], np.cumsum(w * np.einsum("ij,ij->i", x, x))])

    k = len(boundary_costs)
    best = np.full((k, n + 1), np.inf)
    best[:, 0] = [-c for c in boundary_costs]  # the first segment pays no boundary
    prev = np.zeros((k, n + 1), dtype=int)
    for end in range(min_size, n + 1):
        last = end - min_size + 1
        # which starts are reachable does not depend on the boundary cost: one filter for all
        starts = np.flatnonzero(np.isfinite(best[0, :last]))
        if len(starts) == 0:
            continue
        # every start's cost from slices (no gathered copy of the prefix rows), then the reachable ones;
        # each row's cost is computed on its own, so it is the same number either way
        sw = cw[end] - cw[:last]
        sx = cwx[end] - cwx[:last]
        cost = ((cwxx[end] - cwxx[:last]) - np.einsum("ij,ij->i", sx, sx) / np.where(sw > 0, sw, 1.0))[starts]
        for j, boundary_cost in enumerate(boundary_costs):
            total = best[j, starts] + cost + boundary_cost
            i = int(np.argmin(total))  # first minimum: the earliest cut wins ties
            best[j, end], prev[j, end] = total[i], starts[i]
    return [_cuts(prev[j], n) for j in range(k)]


def _cuts(prev: np.ndarray, n: int) -> list[int]:
    cuts: list[int] = []
    end = n
    while end > 0:
        start = int(prev[end])
        if start > 0:
            cuts.append(start)
        end = start
    return sorted(cuts)
