"""One report's statements, in turn order, to segment numbers: the stage's algorithmic core.

The statement vectors are normalised, centred on the report's mean, joined by
who speaks (turn-taking: a new set of voices often opens a new part; one-hot
speaker columns weighted by `speaker_weight`) and smoothed along the sequence; `boundaries.partition` then finds the cheapest
cutting, each boundary at a price calibrated on the report itself. The price
is the noise level

    null = max over `shuffles` random orders of the best single cut's gain

The same statements in random order have no agenda, so whatever a cut gains
there is noise (for this report's length, wordiness, smoothing and vocabulary).
Two questions, two prices (version 2 of the method):

1. Has the report any change of subject at all? The cheapest cutting at
   `change_test * null` must have a boundary. With change_test 1, a boundary
   must beat the best cut of every shuffled order (a permutation test at level
   1/(shuffles+1)): a sequence without a change of subject stays one segment,
   whatever its length and whatever `penalty` is.
2. If so, where are its parts? The cheapest cutting at `penalty * null`. Once
   the report is known to have an agenda, the number of its parts is a model
   choice, not a test, and a slightly lower price (0.9) finds the shorter items
   (measured on real committee meetings: README, Stage: segments).

Version 1 had one price (penalty 1.0) for both questions; `change_test <= penalty`
gives it back. The shuffles are seeded, so the result is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.segments.boundaries import best_cut_gain, partitions, smooth
from pipeline.segments.params import SegmentsParams


def statement_weights(texts: Sequence[str], *, length_weighting: bool) -> np.ndarray:
    """log(1 + words) per statement, scaled to mean 1 (all ones without length weighting)."""
    if not length_weighting or not texts:
        return np.ones(len(texts))
    w = np.log1p(np.array([len(t.split()) for t in texts], dtype=np.float64))
    w = np.maximum(w, np.log(2.0))  # an empty or one-word statement still counts a little
    return w / w.mean()


def centre(vectors: np.ndarray) -> np.ndarray:
    """Subtract the report's mean vector and renormalise.

    What every statement of a session shares (its field, its register) is
    removed, so the directions in which its parts differ weigh more.
    """
    x = vectors - vectors.mean(axis=0, keepdims=True)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 1e-12, norms, 1.0)


def null_gain(vectors: np.ndarray, weights: np.ndarray, *, window: int, shuffles: int, seed: int) -> float:
    """The largest best-single-cut gain over `shuffles` random orders of the (unsmoothed) statements."""
    rng = np.random.default_rng(seed)
    gains = [0.0]
    for _ in range(shuffles):
        order = rng.permutation(len(vectors))
        gains.append(best_cut_gain(smooth(vectors[order], window), weights[order]))
    return max(gains)


def speaker_features(speakers: Sequence[str], weight: float) -> np.ndarray:
    """Who speaks, as centred one-hot columns scaled by `weight` (zero columns for one speaker)."""
    names = sorted(set(speakers))
    onehot = np.zeros((len(speakers), len(names)))
    onehot[np.arange(len(speakers)), [names.index(s) for s in speakers]] = 1.0
    return weight * (onehot - onehot.mean(axis=0, keepdims=True))


def segment_sequence(
    vectors: np.ndarray, texts: Sequence[str], params: SegmentsParams, speakers: Sequence[str] | None = None
) -> np.ndarray:
    """Segment number (1, 2, ...) of each statement of one report, in the given (turn) order.

    `vectors` are the statements' embeddings (row i = texts[i]), unit length or not;
    `speakers` (optional, same order) adds who speaks to what is said, weighted by
    `params.speaker_weight`. The number of segments follows from the calibrated
    boundary cost, not from a count.
    """
    n = len(texts)
    if vectors.shape[0] != n:
        raise ValueError(f"{vectors.shape[0]} vectors for {n} statements")
    if speakers is not None and len(speakers) != n:
        raise ValueError(f"{len(speakers)} speakers for {n} statements")
    if n == 0:
        return np.zeros(0, dtype=int)
    x = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.where(norms > 0, norms, 1.0)
    if params.centre:
        x = centre(x)
    if speakers is not None and params.speaker_weight > 0:
        x = np.hstack([x, speaker_features(speakers, params.speaker_weight)])
    w = statement_weights(texts, length_weighting=params.length_weighting)
    null = null_gain(x, w, window=params.smoothing_window, shuffles=params.shuffles, seed=params.seed)
    xs = smooth(x, params.smoothing_window)
    costs = [params.penalty * null] + ([params.change_test * null] if params.change_test > params.penalty else [])
    found = partitions(xs, w, boundary_costs=costs, min_size=params.min_statements)
    cuts = found[0]
    if cuts and len(found) > 1 and not found[1]:
        cuts = []  # no change of subject beats chance: one segment
    labels = np.ones(n, dtype=int)
    for cut in cuts:
        labels[cut:] += 1
    return labels

