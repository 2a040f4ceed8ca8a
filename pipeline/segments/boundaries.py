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
    prefix = np.zeros((n + 1, vectors.shape[1]))
    if vectors.dtype == np.float64:
        np.cumsum(vectors, axis=0, out=prefix[1:])  # the running sums written in place (no stacked copy)
    else:
        prefix[1:] = np.cumsum(vectors, axis=0)  # summed in their own type, as before
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
    costs = np.asarray(boundary_costs, dtype=np.float64)
    best = np.full((k, n + 1), np.inf)
    best[:, 0] = -costs  # the first segment pays no boundary
    prev = np.zeros((k, n + 1), dtype=int)
    # Pruning (PELT, Killick et al. 2012): once a start s does worse at an end t than t's own best,
    # best[s] + cost(s, t) > best[t], it does worse than starting at t at every later end T too
    # (the scatter of s..T is at least that of s..t plus t..T), so it is dropped for each T >= t +
    # min_size (a last segment from t needs that length). `margin` is far above the rounding error
    # of the costs, so a dropped start is one that would have lost by more than rounding: the cuts
    # are exactly those of the full search, ties included (the kept starts stay in order).
    margin = 1e-9 * (n + x.shape[1]) * (cwxx[-1] + n * float(np.abs(costs).max(initial=0.0)) + 1.0)
    dropped_at = np.full((k, n + 1), n + 1)  # first end at which a start no longer competes, per cost
    for end in range(min_size, n + 1):
        last = end - min_size + 1
        # which starts are reachable does not depend on the boundary cost: one filter for all
        live = np.isfinite(best[0, :last]) & (dropped_at[:, :last] > end).any(axis=0)
        starts = np.flatnonzero(live)
        if len(starts) == 0:
            continue
        # each row's cost is computed on its own (the same number as over all starts at once)
        sw = cw[end] - cw[starts]
        sx = cwx[end] - cwx[starts]
        cost = (cwxx[end] - cwxx[starts]) - np.einsum("ij,ij->i", sx, sx) / np.where(sw > 0, sw, 1.0)
        for j in range(k):
            mine = dropped_at[j, starts] > end
            at, c = starts[mine], cost[mine]
            reach = best[j, at] + c
            total = reach + costs[j]
            i = int(np.argmin(total))  # first minimum: the earliest cut wins ties
            best[j, end], prev[j, end] = total[i], at[i]
            lost = at[reach > best[j, end] + margin]
            dropped_at[j, lost] = np.minimum(dropped_at[j, lost], end + min_size)
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
