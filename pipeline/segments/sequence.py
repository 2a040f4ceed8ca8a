"""One report's statements, in turn order, to segment numbers: the stage's algorithmic core."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.segments.boundaries import partition, smooth
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


def segment_sequence(vectors: np.ndarray, texts: Sequence[str], params: SegmentsParams) -> np.ndarray:
    """Segment number (1, 2, ...) of each statement of one report, in the given (turn) order.

    `vectors` are the statements' embeddings (row i = texts[i]), unit length or not.
    They are normalised, centred on the report's mean (`centre`), smoothed along
    the sequence (`smoothing_window`) and cut by `partition`, statements weighted
    by length; the number of segments follows from the penalised cost.
    """
    n = len(texts)
    if vectors.shape[0] != n:
        raise ValueError(f"{vectors.shape[0]} vectors for {n} statements")
    if n == 0:
        return np.zeros(0, dtype=int)
    x = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.where(norms > 0, norms, 1.0)
    if params.centre:
        x = centre(x)
    x = smooth(x, params.smoothing_window)
    cuts = partition(
        x,
        statement_weights(texts, length_weighting=params.length_weighting),
        penalty=params.penalty,
        min_size=params.min_statements,
    )
    labels = np.ones(n, dtype=int)
    for cut in cuts:
        labels[cut:] += 1
    return labels
