"""Naming statements by the codebook's themes.

Why a classifier on the codebook's own texts: a theme is more than its name or
its description; the seed phrases and example statements an analyst writes
show its range (a "financing" statement may speak of collateral, deposits or
bank accounts without any word of the description). A multinomial logistic
regression on the embeddings of every text of the codebook learns where each
theme lies in the embedding space, and gives calibrated-enough probabilities
to say "none fits" (`other`) and which secondary themes also apply. The
"centroid" method (softmax over cosine similarity to each theme's mean text
embedding) is kept as the simpler alternative; both are measured in the README.

A statement's emergent topic then smooths its scores: a short statement
("Support from the government but also from the sector.") is read in the
company of the statements it clusters with.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from pipeline.codebook import OTHER, Codebook
from pipeline.topics.params import ThemeParams

log = logging.getLogger(__name__)

METHODS = ("classifier", "centroid")


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Unit-length rows (zero rows stay zero), float64 for stable arithmetic."""
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def unit_rows_float32(vectors: np.ndarray, step: int, tolerance: float = 1e-5) -> np.ndarray:
    """`normalise_rows` in float32, `step` rows at a time (no float64 copy of the whole matrix).

    Float32 rows already of unit length (within `tolerance`: the embed stage's with
    `embed.normalize`) come back as they are, without a copy: a memory-mapped matrix stays one.
    """
    step = max(1, step)
    if np.asarray(vectors[:0]).dtype == np.float32 and all(
        np.abs(np.linalg.norm(vectors[k : k + step], axis=1) - 1).max(initial=0) <= tolerance
        for k in range(0, len(vectors), step)
    ):
        return vectors
    out = np.empty(np.shape(vectors), dtype=np.float32)
    for k in range(0, len(out), max(1, step)):
        out[k : k + step] = normalise_rows(vectors[k : k + step])
    return out


def codebook_training_set(codebook: Codebook) -> tuple[list[str], np.ndarray]:
    """Every text of the codebook with the index of its theme."""
    texts: list[str] = []
    labels: list[int] = []
    for i, theme in enumerate(codebook.themes):
        for text in theme.training_texts():
            texts.append(text)
            labels.append(i)
    return texts, np.asarray(labels, dtype=np.int64)


@dataclass(frozen=True)
class ThemeScorer:
    """Scores statements' embeddings against a codebook's themes (rows sum to 1)."""

    theme_ids: tuple[str, ...]
    method: str
    centroids: np.ndarray  # (k, d), unit rows
    temperature: float
    classifier: object | None = None

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        x = normalise_rows(embeddings)
        if len(x) == 0:
            return np.zeros((0, len(self.theme_ids)))
        if self.method == "classifier" and self.classifier is not None:
            return np.asarray(self.classifier.predict_proba(x), dtype=np.float64)
        return softmax(x @ self.centroids.T / self.temperature)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def fit_theme_scorer(codebook: Codebook, text_embeddings: np.ndarray, labels: np.ndarray, params: ThemeParams, seed: int) -> ThemeScorer:
    """Learn the themes from the embeddings of the codebook's texts (see `codebook_training_set`)."""
    if params.method not in METHODS:
        raise ValueError(f"themes.method must be one of {', '.join(METHODS)}, got {params.method!r}")
    x = normalise_rows(text_embeddings)
    k = len(codebook.themes)
    centroids = normalise_rows(np.vstack([x[labels == i].mean(axis=0) for i in range(k)]))
    classifier = None
    if params.method == "classifier" and k > 1:
        from sklearn.linear_model import LogisticRegression

        classifier = LogisticRegression(C=params.c, max_iter=2000, class_weight="balanced", random_state=seed)
        classifier.fit(x, labels)
    return ThemeScorer(codebook.ids, params.method, centroids, params.temperature, classifier)


def smooth_by_topic(scores: np.ndarray, topics: np.ndarray, weight: float) -> np.ndarray:
    """Mix each statement's scores with the mean scores of its topic (outliers, -1, stay alone)."""
    if weight <= 0 or len(scores) == 0:
        return scores
    return smooth_with_profiles(scores, topics, topic_profiles(scores, topics), weight)


def topic_profiles(scores: np.ndarray, topics: np.ndarray) -> dict[int, np.ndarray]:
    """Each topic's mean theme scores (outliers, -1, have none): what `smooth_by_topic` mixes in."""
    return {int(t): scores[topics == t].mean(axis=0) for t in np.unique(topics) if t >= 0}


def smooth_with_profiles(scores: np.ndarray, topics: np.ndarray, profiles: dict[int, np.ndarray],
                         weight: float) -> np.ndarray:
    """Mix each statement's scores with its topic's profile (`topic_profiles`, maybe of an earlier fit)."""
    if weight <= 0 or len(scores) == 0:
        return scores
    mixed = scores.copy()
    for topic in np.unique(topics):
        if topic < 0:
            continue
        members = topics == topic
        mixed[members] = (1 - weight) * scores[members] + weight * profiles[int(topic)]
    return mixed


@dataclass(frozen=True)
class ThemeAssignment:
    theme: list[str]
    theme_score: np.ndarray
    themes: list[str]


def assign_themes(scores: np.ndarray, theme_ids: tuple[str, ...], params: ThemeParams) -> ThemeAssignment:
    """Primary theme (or `other`), its score, and every theme that applies ("; "-joined, best first).

    Ties are broken by codebook order, so the result never depends on float noise
    between platforms more than the scores themselves do.
    """
    primary: list[str] = []
    joined: list[str] = []
    top_scores = np.zeros(len(scores))
    min_score = params.min_score_ratio / max(len(theme_ids), 1)
    for i, row in enumerate(scores):
        order = sorted(range(len(row)), key=lambda j: (-round(float(row[j]), 9), j))
        best = order[0]
        top = float(row[best])
        top_scores[i] = top
        if top < min_score:
            primary.append(OTHER)
            joined.append(OTHER)
            continue
        applies = [theme_ids[j] for j in order if float(row[j]) >= params.secondary_ratio * top and float(row[j]) >= min_score]
        primary.append(theme_ids[best])
        joined.append("; ".join(applies))
    return ThemeAssignment(primary, top_scores, joined)


def topic_themes(topics: np.ndarray, primary: list[str], min_share: float) -> dict[int, str]:
    """The theme each emergent topic maps to: its statements' majority theme, or `other`.

    A topic whose statements are split between themes (no theme reaching
    `min_share`) maps to `other`: it stays visible as something the codebook
    does not name.
    """
    mapping: dict[int, str] = {}
    primary_arr = np.asarray(primary, dtype=object)
    for topic in sorted(set(int(t) for t in topics)):
        members = primary_arr[topics == topic]
        values, counts = np.unique(members.astype(str), return_counts=True)
        order = sorted(range(len(values)), key=lambda j: (-counts[j], values[j]))
        best = order[0]
        share = counts[best] / counts.sum()
        mapping[topic] = str(values[best]) if share >= min_share and topic >= 0 else OTHER
    return mapping
