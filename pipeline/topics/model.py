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
  done by the KMeans fallback instead, and a warning says so.

Everything else (c-TF-IDF, KeyBERTInspired, MMR, part-of-speech aspect) runs
the same in both paths, so topics always get words and a readable label.
The statements are never re-embedded: BERTopic receives the embed stage's
vectors; the encoder only embeds candidate keywords for KeyBERTInspired.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import logging
import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.memory import release_freed_memory
from pipeline.topics.params import TopicsParams

if TYPE_CHECKING:  # pragma: no cover
    from pipeline.topics.neighbours import Neighbours, NeighboursAhead

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


def is_large(params: TopicsParams, n_docs: int) -> bool:
    """Whether UMAP and HDBSCAN are fitted on a sample (`large_corpus.fit_sample`) rather than on all."""
    return bool(params.large_corpus.fit_sample) and n_docs > params.large_corpus.fit_sample


def small_corpus_k(n_docs: int, docs_per_topic: float) -> int:
    return max(1, int(round(math.sqrt(n_docs / max(docs_per_topic, 1e-9)))))


@dataclass
class FittedTopics:
    model: Any  # bertopic.BERTopic
    topics: np.ndarray  # one id per statement, -1 = outlier
    path: str  # "umap_hdbscan" or "kmeans_fallback"


class GuardedClusterer:
    """UMAP + HDBSCAN from params, with the small-corpus guards and outlier reduction, as one clusterer.

    BERTopic gets it in its `hdbscan_model` slot (with `RowNumbers` as its reducer),
    so it fits c-TF-IDF and the representation models once, on final topics:
    reducing outliers afterwards with `update_topics` would run KeyBERTInspired
    twice and rebuild topic vectors from word embeddings. UMAP and HDBSCAN are
    not part of BERTopic's safetensors save either way.
    """

    def __init__(self, params: TopicsParams, guide: np.ndarray | None = None, vectors: np.ndarray | None = None,
                 neighbours: NeighboursAhead | None = None) -> None:
        self.params = params
        # UMAP's neighbours being found in another process (`neighbours.py`), for a full fit
        self.neighbours = neighbours
        # codebook theme index per statement: UMAP's semi-supervised target (see `umap.guide_weight`)
        self.guide = guide
        # the statements' vectors, when BERTopic hands `fit` row numbers instead (`RowNumbers`)
        self.vectors = vectors
        self.labels_: np.ndarray = np.zeros(0, dtype=int)
        self.path = ""
        self._centroids: np.ndarray | None = None

    def fit(self, X: np.ndarray, y: Any = None) -> GuardedClusterer:
        p = self.params
        vectors = self._rows(X)
        n = len(vectors)
        large = is_large(p, n)
        if n < max(p.small_corpus.min_docs_for_umap, 4):
            X = _unit_rows(vectors)
            k = small_corpus_k(n, p.small_corpus.docs_per_topic)
            log.info("%d statements (< %d): UMAP/HDBSCAN skipped, KMeans with k=%d", n, p.small_corpus.min_docs_for_umap, k)
            labels, self.path = FixedKClusters(k, p.seed).fit(X).labels_, "kmeans_fallback"
        elif large:
            # a large corpus's rows arrive unit-length in float32 (topics core); every use below is
            # scale-free (cosine UMAP, normalised centroids), so no float64 copy (3 GB at a million)
            X = vectors
            labels, self.path = self._fit_on_sample(X), "umap_hdbscan_sample"
        else:
            # UMAP reads float32 (it converts what it gets): the unit rows are made, converted and
            # dropped before it runs, so no float64 copy is held at UMAP's memory peak
            ahead = self.neighbours.result() if self.neighbours is not None and self.neighbours.rows == n else None
            labels = self._umap_hdbscan(umap_input(vectors), self.guide if self._guided(n) else None, precomputed=ahead)
            X, self.path = _unit_rows(vectors), "umap_hdbscan"
            if (labels == OUTLIER).all():
                k = small_corpus_k(n, p.small_corpus.docs_per_topic)
                log.warning("HDBSCAN found no cluster in %d statements (all outliers): KMeans with k=%d instead", n, k)
                labels, self.path = FixedKClusters(k, p.seed).fit(X).labels_, "kmeans_fallback"
        if p.reduce_outliers == "embeddings":
            labels = reduce_outliers(X, labels, p.outlier_threshold)
        elif p.reduce_outliers != "none":
            raise ValueError(f"reduce_outliers must be 'embeddings' or 'none', got {p.reduce_outliers!r}")
        self.labels_ = labels
        ids = sorted(set(labels.tolist()) - {OUTLIER})
        self._centroids = _unit_rows(np.vstack([X[labels == t].mean(axis=0) for t in ids])) if ids else None
        self._ids = np.asarray(ids, dtype=int)
        return self

    def _rows(self, X: np.ndarray) -> np.ndarray:
        """The vectors to cluster: `X` itself, or the rows of `self.vectors` that `X` numbers (`RowNumbers`)."""
        if self.vectors is None:
            return np.asarray(X)
        rows = np.asarray(X)[:, 0].astype(np.intp)
        if np.array_equal(rows, np.arange(len(self.vectors))):
            return self.vectors  # every statement in order: no copy
        return self.vectors[rows]

    def predict(self, X: np.ndarray) -> np.ndarray:
        if self._centroids is None:
            return np.full(len(X), OUTLIER, dtype=int)
        return self._ids[(_unit_rows(X) @ self._centroids.T).argmax(axis=1)]

    def _guided(self, n: int) -> bool:
        return self.guide is not None and self.params.umap.guide_weight > 0 and len(self.guide) == n

    def _fit_on_sample(self, X: np.ndarray) -> np.ndarray:
        """Large corpora (BERTopic's advice): UMAP + HDBSCAN on a seeded sample, the rest by their neighbours.

        The sample's statements keep their HDBSCAN topic; every other statement
        takes the topic most of its `umap.n_neighbors` nearest sample statements
        (cosine) have, outlier included (HDBSCAN's `approximate_predict` in the
        embedding space); outliers then follow the usual rule (`reduce_outliers`).
        The neighbours come from the nearest-neighbour index UMAP built on the
        sample (approximate, as UMAP's own kNN graph; exact when UMAP computed them
        exactly), so assigning a million statements costs minutes, not the hours of
        a full similarity matrix (`search_epsilon` 0.3: 0.97 of the exact 15
        neighbours found, measured on 100k real statements). The minimum cluster size is `min_cluster_fraction` of the
        sample, so topics are as coarse, relative to the corpus, as a full fit's.
        """
        p, n = self.params, len(X)
        m = p.large_corpus.fit_sample
        idx = np.sort(np.random.default_rng(p.seed).choice(n, size=m, replace=False))
        guide = self.guide[idx] if self._guided(n) else None
        sample = np.asarray(X[idx], dtype=np.float32)
        sample_labels, reducer = self._umap_hdbscan(sample, guide, keep=True)
        log.info("%d statements: UMAP/HDBSCAN fitted on a sample of %d, the rest assigned by their nearest sample statements", n, m)
        if (sample_labels == OUTLIER).all():
            k = small_corpus_k(m, p.small_corpus.docs_per_topic)
            log.warning("HDBSCAN found no cluster in the sample (all outliers): KMeans with k=%d instead", k)
            sample_labels = FixedKClusters(k, p.seed).fit(sample).labels_
        index = getattr(reducer, "_knn_search_index", None)
        labels = neighbour_vote(X, sample, sample_labels, max(1, min(p.umap.n_neighbors, m)), p.large_corpus.chunk,
                                index, p.large_corpus.search_epsilon)
        labels[idx] = sample_labels
        return labels

    def _umap_hdbscan(self, X: np.ndarray, guide: np.ndarray | None, keep: bool = False,
                      precomputed: Neighbours | None = None) -> Any:
        """HDBSCAN's labels of UMAP's reduction of `X`; with `keep`, also the fitted UMAP."""
        from hdbscan import HDBSCAN

        p, n = self.params, len(X)
        h = p.hdbscan
        reducer = umap_reducer(p, n, guided=guide is not None, precomputed=precomputed)
        release_freed_memory()  # what the steps before freed is not carried into UMAP's peak
        with warnings.catch_warnings():
            # neighbours found ahead come without a search index: UMAP warns that it could not
            # `transform` new rows, which the stage never asks of a full fit
            warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")
            reduced = reducer.fit_transform(X, y=guide)
        if not keep:
            del reducer  # its graph and index are not needed for HDBSCAN
        size = max(2, h.min_cluster_size, int(math.ceil(h.min_cluster_fraction * n)))
        clusterer = HDBSCAN(
            min_cluster_size=min(size, max(2, n // 2)),
            min_samples=h.min_samples,
            metric="euclidean",
            cluster_selection_method=h.cluster_selection_method,
            # core distances in this process: the same labels as the default's 4 loky processes
            # (compared at 100,000 statements), 3.3 s instead of 6.7 s there, and 0.7 GB less
            core_dist_n_jobs=1,
        )
        labels = np.asarray(clusterer.fit(reduced).labels_, dtype=int)
        return (labels, reducer) if keep else labels


def umap_reducer(params: TopicsParams, n: int, *, guided: bool, precomputed: Neighbours | None = None) -> Any:
    """The stage's UMAP for `n` statements (guided: the codebook as a categorical target;
    `precomputed`: its neighbours, found ahead by `neighbours.find_neighbours`)."""
    from umap import UMAP

    from pipeline.jit_cache import cache_library_kernels

    cache_library_kernels()  # PyNNDescent's kernels, compiled once per machine, not per run
    u = params.umap
    options: dict[str, Any] = {"random_state": params.seed}
    if precomputed is not None:
        options = precomputed.for_umap()
    if guided:
        options |= {"target_metric": "categorical", "target_weight": u.guide_weight}
    return UMAP(
        n_neighbors=max(2, min(u.n_neighbors, n - 1)),
        n_components=max(2, min(u.n_components, n - 2)),
        min_dist=u.min_dist,
        metric=u.metric,
        low_memory=n >= u.low_memory_from,
        **options,
    )


def umap_input(vectors: np.ndarray) -> np.ndarray:
    """What UMAP reads of a full fit's vectors: float32 unit rows."""
    return _unit_rows(vectors).astype(np.float32)


# Similarities computed at once by the exact neighbour search (rows x sample): 128 MB of float64
_SIMILARITY_BUDGET = 1 << 24


def neighbour_vote(X: np.ndarray, sample: np.ndarray, sample_labels: np.ndarray, k: int, chunk: int,
                   index: Any = None, epsilon: float = 0.3, unit_sample: np.ndarray | None = None) -> np.ndarray:
    """Each row's topic by majority of its k most similar (cosine) sample rows; ties: the smallest id.

    `index` (optional): a pynndescent index of `sample` (UMAP's) that finds the neighbours
    approximately, searching wider with a larger `epsilon`; without it they are found exactly,
    a bounded block of rows at a time (`unit_sample`: `sample`'s unit rows in float64, when the
    caller votes for several batches against one sample).
    """
    values = np.unique(sample_labels)  # sorted, OUTLIER first when present
    code = np.searchsorted(values, sample_labels)
    labels = np.empty(len(X), dtype=int)
    if index is None:
        S = _unit_rows(sample) if unit_sample is None else unit_sample
        chunk = min(chunk, max(1, _SIMILARITY_BUDGET // max(1, len(S))))
    else:
        import numba

        # pynndescent's search shares one random state between the queries of a call: on one thread
        # the neighbours are the same from run to run
        threads = numba.get_num_threads()
        numba.set_num_threads(1)
    try:
        for start in range(0, len(X), max(1, chunk)):
            rows = X[start : start + chunk]
            if index is not None:
                near = index.query(np.asarray(rows, dtype=np.float32), k=k, epsilon=epsilon)[0]
            else:
                sims = _unit_rows(rows) @ S.T
                near = np.argpartition(-sims, k - 1, axis=1)[:, :k] if k < S.shape[0] else np.broadcast_to(np.arange(S.shape[0]), sims.shape)
            found = near >= 0  # the index marks neighbours it could not find with -1
            votes = np.zeros((len(rows), len(values)), dtype=int)
            np.add.at(votes, (np.repeat(np.arange(len(rows)), near.shape[1])[found.ravel()], code[near[found]]), 1)
            labels[start : start + chunk] = values[votes.argmax(axis=1)]
    finally:
        if index is not None:
            numba.set_num_threads(threads)
    return labels


def nearest_topic(X: np.ndarray, centroids: np.ndarray, ids: np.ndarray, threshold: float, chunk: int) -> np.ndarray:
    """Each row's most similar centroid's id when the cosine reaches `threshold`, else OUTLIER (in chunks)."""
    labels = np.full(len(X), OUTLIER, dtype=int)
    for start in range(0, len(X), max(1, chunk)):
        sims = _unit_rows(X[start : start + chunk]) @ centroids.T
        best = sims.argmax(axis=1)
        ok = sims[np.arange(len(best)), best] >= threshold
        labels[start : start + chunk] = np.where(ok, ids[best], OUTLIER)
    return labels


def reduce_outliers(X: np.ndarray, labels: np.ndarray, threshold: float) -> np.ndarray:
    """Outliers join the topic whose centroid is most similar (cosine), when it is >= threshold."""
    labels = np.asarray(labels, dtype=int).copy()
    outliers = labels == OUTLIER
    ids = sorted(set(labels.tolist()) - {OUTLIER})
    if not outliers.any() or not ids:
        return labels
    centroids = _unit_rows(np.vstack([X[labels == t].mean(axis=0) for t in ids]))
    sims = _unit_rows(X[outliers]) @ centroids.T
    best = sims.argmax(axis=1)
    ok = sims[np.arange(len(best)), best] >= threshold
    new = np.where(ok, np.asarray(ids)[best], OUTLIER)
    labels[outliers] = new
    return labels


def unit_rows(X: np.ndarray) -> np.ndarray:
    """`X`'s rows scaled to length 1, in float64 (a zero row stays zero)."""
    return _unit_rows(X)


def _unit_rows(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms == 0, 1.0, norms)


def order_free_backend(encode: Callable[[list[str]], np.ndarray],
                       known: tuple[Sequence[str], np.ndarray] | None = None) -> Any:
    """BERTopic's embedding backend over the embed stage's own encoding.

    KeyBERTInspired embeds its candidate words in the order of a Python set,
    which changes with each process's hash seed; through sentence-transformers'
    padded batches that order changed the words' vectors in the last bits, and
    so topics.json of the saved model from run to run. `encode` (equal-length
    batches, see pipeline/embed/encode.py) gives a text the same vector
    whatever its neighbours, so the saved model is byte-stable.

    Each distinct text is encoded once per run: MMR asks again for the words
    KeyBERTInspired embedded. With `known` (the statements' texts and their
    vectors, as the embed stage made them), a statement BERTopic embeds again
    (KeyBERTInspired's representative documents) takes its vector from there.
    """
    from bertopic.backend import BaseEmbedder

    memo: dict[str, np.ndarray] = {}
    rows: dict[str, int] | None = None

    class _StageEncoding(BaseEmbedder):
        def embed(self, documents: list[str], verbose: bool = False) -> np.ndarray:
            nonlocal rows
            docs = [str(d) for d in documents]
            if not docs:
                return np.asarray(encode([]), dtype=np.float32)
            if known is not None and rows is None:  # built when first asked: after UMAP's peak
                rows = {text: i for i, text in enumerate(known[0])}
            missing = []
            for doc in dict.fromkeys(docs):
                if doc in memo:
                    continue
                if rows is not None and doc in rows:
                    memo[doc] = np.asarray(known[1][rows[doc]], dtype=np.float32)  # type: ignore[index]
                else:
                    missing.append(doc)
            if missing:
                memo.update(zip(missing, np.asarray(encode(missing), dtype=np.float32)))
            return np.stack([memo[d] for d in docs])

    return _StageEncoding()


class RowNumbers:
    """BERTopic's reducer slot during the fit: each statement's row number instead of its vector.

    BERTopic keeps what its reducer returns (and a `nan_to_num` copy of it) for the whole
    fit; a pass-through reducer made that two more float64 copies of the vectors (0.6 GB at
    100,000 statements, 6 GB at a million). `GuardedClusterer` reads the rows it is given
    from the vectors it holds. After the fit the slot gets a pass-through reducer again, so
    `transform` on new vectors works as usual.
    """

    def fit(self, X: np.ndarray, y: Any = None) -> RowNumbers:
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return np.arange(len(X), dtype=np.float64)[:, None]

    def fit_transform(self, X: np.ndarray, y: Any = None) -> np.ndarray:
        return self.transform(X)


def build_topic_model(params: TopicsParams, n_docs: int, embedding_model: Any, guide: np.ndarray | None = None,
                      vectors: np.ndarray | None = None, neighbours: NeighboursAhead | None = None) -> Any:
    """A BERTopic whose sub-models come from `params`, sized for `n_docs`."""
    from bertopic import BERTopic
    from bertopic.dimensionality import BaseDimensionalityReduction
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance, PartOfSpeech
    from sklearn.feature_extraction.text import CountVectorizer

    rep = params.representation
    v = params.vectorizer
    large = is_large(params, n_docs)
    min_df = max(v.min_df, params.large_corpus.min_df) if large else v.min_df
    vectorizer = CountVectorizer(
        ngram_range=(1, v.ngram_max),
        min_df=min_df if n_docs >= 10 * min_df else 1,
        stop_words=v.stop_words or None,
    )
    main: list[Any] = []
    if rep.keybert:
        main.append(ordered_keybert(KeyBERTInspired)(top_n_words=rep.top_n_words,
                                                     nr_candidate_words=rep.keybert_candidate_words,
                                                     random_state=params.seed))
    if rep.mmr_diversity > 0:
        main.append(MaximalMarginalRelevance(diversity=rep.mmr_diversity, top_n_words=rep.top_n_words))
    representation: Any = {"Main": main} if main else {}
    if rep.pos_spacy_model:
        representation["POS"] = PartOfSpeech(_load_spacy(rep.pos_spacy_model), top_n_words=rep.top_n_words)
    return BERTopic(
        embedding_model=embedding_model,
        umap_model=RowNumbers() if vectors is not None else BaseDimensionalityReduction(),
        hdbscan_model=GuardedClusterer(params, guide, vectors, neighbours),
        vectorizer_model=vectorizer,
        representation_model=representation or None,
        top_n_words=rep.top_n_words,
        calculate_probabilities=False,
        low_memory=n_docs >= params.umap.low_memory_from,
        verbose=False,
    )


def ordered_keybert(base: type) -> type:
    """KeyBERTInspired with its candidate words in sorted order, not in a Python set's.

    A set's order changes with each process's hash seed, and a float32 matrix product
    (the words' cosine to each topic) can round an element differently by its
    position: on CPUs without bfloat16 the scores in the saved topics.json moved in
    their last bit from run to run. Sorted, the product is the same in every process.
    """

    class OrderedKeyBERTInspired(base):
        def _extract_embeddings(self, topic_model, topics, representative_docs, repr_doc_indices, repr_embeddings=None):
            from sklearn.metrics.pairwise import cosine_similarity

            if repr_embeddings is None:
                repr_embeddings = topic_model._extract_embeddings(representative_docs, method="document", verbose=False)
            topic_embeddings = [np.mean(repr_embeddings[i[0] : i[-1] + 1], axis=0) for i in repr_doc_indices]
            vocab = sorted({word for words in topics.values() for word in words})
            word_embeddings = topic_model._extract_embeddings(vocab, method="document", verbose=False)
            return cosine_similarity(topic_embeddings, word_embeddings), vocab

    return OrderedKeyBERTInspired


def _load_spacy(name: str) -> Any:
    """spaCy for the part-of-speech keywords: the tagger is all they read (no parser, no NER)."""
    import spacy

    return spacy.load(name, disable=["parser", "ner"])


def fit_topics(docs: list[str], embeddings: np.ndarray, params: TopicsParams, embedding_model: Any,
               guide: np.ndarray | None = None, neighbours: NeighboursAhead | None = None) -> FittedTopics:
    """Fit BERTopic on `docs` with their precomputed `embeddings`, guarding small corpora.

    `guide` (optional): each statement's most likely codebook theme, which UMAP
    uses as a soft semi-supervised target so that topics follow the analyst's
    distinctions where the text supports them (never human labels). `neighbours`
    (optional): UMAP's neighbours of `umap_input(embeddings)`, being found ahead.
    """
    if len(docs) == 0:
        raise ValueError("no statements to fit topics on")
    from bertopic.dimensionality import BaseDimensionalityReduction

    # float64 as before for a full fit; a sampled fit's float32 unit rows as they are (no copy)
    vectors = np.asarray(embeddings) if is_large(params, len(docs)) else np.asarray(embeddings, dtype=np.float64)
    model = build_topic_model(params, len(docs), embedding_model, guide, vectors, neighbours)
    topics, _ = model.fit_transform(docs, embeddings=vectors)
    model.umap_model, model.hdbscan_model.vectors, model.hdbscan_model.neighbours = BaseDimensionalityReduction(), None, None
    return FittedTopics(model=model, topics=np.asarray(topics, dtype=int), path=model.hdbscan_model.path)


def topic_words(model: Any, topic: int, n: int) -> list[str]:
    """The topic's main words, best first (empty strings dropped)."""
    words = model.get_topic(topic) or []
    return [w for w, _ in words if w][:n]


def topic_label(model: Any, topic: int, n_words: int) -> str:
    """A readable label: "credit unions, banks, savings"; outliers are marked as such."""
    words = topic_words(model, topic, n_words)
    text = ", ".join(words) if words else "no distinctive words"
    return f"outliers: {text}" if topic == OUTLIER else text
