"""Scoring a segmentation against human topic spans: reference labels, NMI, Pk, WindowDiff.

Human spans in QMSum can overlap (a boundary utterance listed in two topics) and
leave gaps (utterances no topic covers: roll calls, votes, small talk). Scoring:

* overlap: an utterance in several topics takes the first topic of the list;
* gaps: utterances no topic covers are segmented like any other but left out of
  every score (NMI, Pk and WindowDiff are computed on the covered utterances, in
  order). With this rule the equal-chunks baseline scores 0.655 mean NMI, the
  figure in issue 10.

Pk and WindowDiff (Beeferman et al. 1999; Pevzner & Hearst 2002) use the usual
window: half the mean length of the reference segments (at least 2). A
reference segment is a maximal run of one topic along the covered utterances;
a hypothesis boundary is any change of segment/topic label between neighbours.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import normalized_mutual_info_score

UNCOVERED = -1


def reference_labels(n: int, spans: Sequence[Sequence[tuple[int, int]]]) -> np.ndarray:
    """Topic index per utterance (UNCOVERED in gaps); overlaps keep the earlier-listed topic."""
    labels = np.full(n, UNCOVERED, dtype=int)
    for topic, topic_spans in enumerate(spans):
        for a, b in topic_spans:
            a, b = max(0, a), min(b, n - 1)
            for i in range(a, b + 1):
                if labels[i] == UNCOVERED:
                    labels[i] = topic
    return labels


def equal_chunks(n: int, k: int) -> np.ndarray:
    """k contiguous chunks of (nearly) equal length."""
    return np.minimum((np.arange(n) * k) // n, k - 1)


def _boundaries(labels: np.ndarray) -> np.ndarray:
    return (labels[1:] != labels[:-1]).astype(int)


def pk_windowdiff(reference: np.ndarray, hypothesis: np.ndarray) -> tuple[float, float]:
    ref_b, hyp_b = _boundaries(reference), _boundaries(hypothesis)
    n = len(reference)
    n_ref_segments = int(ref_b.sum()) + 1
    k = max(2, int(round(n / n_ref_segments / 2)))
    if n <= k:
        return 0.0, 0.0
    ref_c = np.concatenate([[0], np.cumsum(ref_b)])
    hyp_c = np.concatenate([[0], np.cumsum(hyp_b)])
    ref_n = ref_c[k:] - ref_c[:-k]
    hyp_n = hyp_c[k:] - hyp_c[:-k]
    pk = float(np.mean((ref_n > 0) != (hyp_n > 0)))
    wd = float(np.mean(ref_n != hyp_n))
    return pk, wd


def score(reference: np.ndarray, hypothesis: np.ndarray) -> dict[str, float]:
    """NMI, Pk and WindowDiff of `hypothesis` (one label per utterance) on the covered utterances."""
    keep = reference != UNCOVERED
    ref, hyp = reference[keep], np.asarray(hypothesis)[keep]
    pk, wd = pk_windowdiff(ref, hyp)
    return {"nmi": float(normalized_mutual_info_score(ref, hyp)), "pk": pk, "windowdiff": wd}
