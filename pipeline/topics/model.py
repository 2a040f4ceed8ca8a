"""BERTopic built from params, fitted on precomputed embeddings, with small-corpus guards.

BERTopic is known to fail or to say nothing useful on small inputs: UMAP needs
more statements than neighbours (and than components for its spectral start),
HDBSCAN may call every statement an outlier, and a handful of statements cannot
form density clusters at all. What the stage does then (also in the README):

* fewer than `small_corpus.min_docs_for_umap` statements: UMAP and HDBSCAN are
  skipped; KMeans on the embeddings with k = round(sqrt(n / docs_per_topic))
  (at least 1: one statement, or three, make a single topic);
* UMAP neighbours and components are clamped below the number of statements;
* HDBSCAN finding no cluster at all (every statement an outlier): the fit is
  redone with the KMeans fallback, and a warning says so.

Everything else (c-TF-IDF, KeyBERTInspired, MMR, part-of-speech aspect) runs
the same in both paths, so topics always get words and a readable label.
The statements are never re-embedded: BERTopic receives the embed stage's
vectors; the encoder only embeds candidate keywords for KeyBERTInspired.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.topics.params import TopicsParams

log = logging.getLogger(__name__)

OUTLIER = -1


class FixedKClusters:
    """KMeans with k chosen from the corpus size: the small-corpus clusterer.

    Exposes fit/predict/labels_ so BERTopic plugs it in like HDBSCAN.
    """

    def __init__(self, n_clusters: int, seed: int) -> None:
        self.n_clusters = n_clusters
        self.seed = seed
        self.labels_: np.ndarray = np.zeros(0, dtype=int)
        self._centers: np.ndarray | None = None

    def fit(self, X: np.ndarray, y: Any = None) -> FixedKClusters:
        X = np.asarray(X, dtype=np.float64)
        k = max(1, min(self.n_clusters, len(np.unique(X.round(9), axis=0))))
        if k == 1:
            self.labels_ = np.zeros(len(X), dtype=int)
            self._centers = X.mean(axis=0, keepdims=True)
            return self
        from sklearn.cluster import KMeans

        km = KMeans(n_clusters=k, n_init=10, random_state=self.seed).fit(X)
        self.labels_ = _relabel_by_size(km.labels_)
        self._centers = np.vstack([X[self.labels_ == c].mean(axis=0) for c in range(k)])
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        assert self._centers is not None, "fit first"
        d = ((np.asarray(X)[:, None, :] - self._centers[None, :, :]) ** 2).sum(axis=2)
        return d.argmin(axis=1)


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Cluster ids 0.. by decreasing size (ties: first appearance), independent of KMeans' numbering."""
    ids, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(ids)), key=lambda j: (-counts[j], first[j]))
    remap = {int(ids[j]): new for new, j in enumerate(order)}
    return np.array([remap[int(v)] for v in labels], dtype=int)


def small_corpus_k(n_docs: int, docs_per_topic: float) -> int:
    return max(1, int(round(math.sqrt(n_docs / max(docs_per_topic, 1e-9)))))


@dataclass
class FittedTopics:
    model: Any  # bertopic.BERTopic
    topics: np.ndarray  # one id per statement, -1 = outlier
    path: str  # "umap_hdbscan" or "kmeans_fallback"


def build_topic_model(params: TopicsParams, n_docs: int, embedding_model: Any, *, small: bool) -> Any:
    """A BERTopic whose sub-models come from `params`, sized for `n_docs`."""
    from bertopic import BERTopic
    from bertopic.dimensionality import BaseDimensionalityReduction
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance, PartOfSpeech
    from sklearn.feature_extraction.text import CountVectorizer

    rep = params.representation
    if small:
        reducer: Any = BaseDimensionalityReduction()
        clusterer: Any = FixedKClusters(small_corpus_k(n_docs, params.small_corpus.docs_per_topic), params.seed)
    else:
        from hdbscan import HDBSCAN
        from umap import UMAP

        u = params.umap
        reducer = UMAP(
            n_neighbors=max(2, min(u.n_neighbors, n_docs - 1)),
            n_components=max(2, min(u.n_components, n_docs - 2)),
            min_dist=u.min_dist,
            metric=u.metric,
            random_state=params.seed,
            low_memory=n_docs >= u.low_memory_from,
        )
        h = params.hdbscan
        size = max(2, h.min_cluster_size, int(math.ceil(h.min_cluster_fraction * n_docs)))
        clusterer = HDBSCAN(
            min_cluster_size=min(size, max(2, n_docs // 2)),
            min_samples=h.min_samples,
            metric="euclidean",
            cluster_selection_method=h.cluster_selection_method,
            prediction_data=False,
        )
    v = params.vectorizer
    vectorizer = CountVectorizer(
        ngram_range=(1, v.ngram_max),
        min_df=v.min_df if n_docs >= 10 * v.min_df else 1,
        stop_words=v.stop_words or None,
    )
    main: list[Any] = []
    if rep.keybert:
        main.append(KeyBERTInspired(top_n_words=rep.top_n_words, random_state=params.seed))
    if rep.mmr_diversity > 0:
        main.append(MaximalMarginalRelevance(diversity=rep.mmr_diversity, top_n_words=rep.top_n_words))
    representation: Any = {"Main": main} if main else {}
    if rep.pos_spacy_model:
        representation["POS"] = PartOfSpeech(_load_spacy(rep.pos_spacy_model), top_n_words=rep.top_n_words)
    return BERTopic(
        embedding_model=embedding_model,
        umap_model=reducer,
        hdbscan_model=clusterer,
        vectorizer_model=vectorizer,
        representation_model=representation or None,
        top_n_words=rep.top_n_words,
        calculate_probabilities=False,
        low_memory=n_docs >= params.umap.low_memory_from,
        verbose=False,
    )


def _load_spacy(name: str) -> Any:
    import spacy

    return spacy.load(name)


def fit_topics(docs: list[str], embeddings: np.ndarray, params: TopicsParams, embedding_model: Any) -> FittedTopics:
    """Fit BERTopic on `docs` with their precomputed `embeddings`, guarding small corpora."""
    n = len(docs)
    if n == 0:
        raise ValueError("no statements to fit topics on")
    small = n < max(params.small_corpus.min_docs_for_umap, 4)
    path = "kmeans_fallback" if small else "umap_hdbscan"
    if small:
        log.info("%d statements (< %d): UMAP/HDBSCAN skipped, KMeans with k=%d", n, params.small_corpus.min_docs_for_umap,
                 small_corpus_k(n, params.small_corpus.docs_per_topic))
    model = build_topic_model(params, n, embedding_model, small=small)
    topics, _ = model.fit_transform(docs, embeddings=embeddings)
    topics = np.asarray(topics, dtype=int)
    if not small and (topics == OUTLIER).all():
        log.warning("HDBSCAN found no cluster in %d statements (all outliers): refitting with KMeans", n)
        path = "kmeans_fallback"
        model = build_topic_model(params, n, embedding_model, small=True)
        topics = np.asarray(model.fit_transform(docs, embeddings=embeddings)[0], dtype=int)
    if params.reduce_outliers == "embeddings" and (topics == OUTLIER).any() and (topics != OUTLIER).any():
        new_topics = np.asarray(
            model.reduce_outliers(docs, list(topics), strategy="embeddings", embeddings=embeddings,
                                  threshold=params.outlier_threshold),
            dtype=int,
        )
        if (new_topics != topics).any():
            model.update_topics(docs, topics=list(new_topics), top_n_words=params.representation.top_n_words,
                                vectorizer_model=model.vectorizer_model,
                                representation_model=model.representation_model)
            topics = np.asarray(model.topics_, dtype=int)
    elif params.reduce_outliers not in ("embeddings", "none"):
        raise ValueError(f"reduce_outliers must be 'embeddings' or 'none', got {params.reduce_outliers!r}")
    return FittedTopics(model=model, topics=topics, path=path)


def topic_words(model: Any, topic: int, n: int) -> list[str]:
    """The topic's main words, best first (empty strings dropped)."""
    words = model.get_topic(topic) or []
    return [w for w, _ in words if w][:n]


def topic_label(model: Any, topic: int, n_words: int) -> str:
    """A readable label: "credit unions, banks, savings"; outliers are marked as such."""
    words = topic_words(model, topic, n_words)
    text = ", ".join(words) if words else "no distinctive words"
    return f"outliers: {text}" if topic == OUTLIER else text
