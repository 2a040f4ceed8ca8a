"""The `topics` stage core: statements + embeddings + codebook -> themes and topics.

No file I/O here: the CLI reads the tables, the vectors and the codebook,
and writes what this returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.codebook import OTHER, Codebook
from pipeline.topics.keywords import (
    POOL_FROM,
    add_keyword_evidence,
    keyword_evidence,
    load_lemmatiser,
    theme_vocabularies,
)
from pipeline.topics.lemma_cache import cached_content_lemmas, lemma_cache_for
from pipeline.topics.model import fit_topics, is_large, topic_label, topic_words, umap_input
from pipeline.topics.neighbours import NeighboursAhead, worth_finding_ahead
from pipeline.topics.params import TopicsParams
from pipeline.topics.themes import (
    ThemeScorer,
    assign_themes,
    codebook_training_set,
    fit_theme_scorer,
    normalise_rows,
    smooth_with_profiles,
    topic_profiles,
    topic_themes,
    unit_rows_float32,
)

log = logging.getLogger(__name__)

STATEMENT_COLUMNS = ("statement_id", "report_id", "speaker", "role", "section", "text")
Encode = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class TopicWords:
    """What names each topic: its readable label, its main words and its part-of-speech words."""

    label: dict[int, str]
    words: dict[int, list[str]]
    pos: dict[int, list[str]]

    @classmethod
    def of_model(cls, model: Any, topics: list[int], params: TopicsParams) -> TopicWords:
        rep = params.representation
        aspects = model.topic_aspects_.get("POS", {}) if hasattr(model, "topic_aspects_") else {}
        return cls({t: topic_label(model, t, rep.label_words) for t in topics},
                   {t: topic_words(model, t, rep.top_n_words) for t in topics},
                   {t: [w for w, _ in aspects.get(t, []) if w] for t in topics})


@dataclass
class TopicsResult:
    statement_themes: pd.DataFrame
    topics: pd.DataFrame
    model: Any | None  # the fitted BERTopic (None when there were no statements or the fit is kept)
    labels: dict[str, Any]  # topic labels and theme mapping, saved as JSON beside the model
    fit_path: str
    # each topic's mean theme scores before smoothing, and its words: what a kept fit needs (`kept.py`)
    profiles: dict[int, np.ndarray] | None = None
    words: TopicWords | None = None


def theme_scorer(codebook: Codebook, encode: Encode, params: TopicsParams) -> ThemeScorer:
    """The embedding half of `theme_scores`, learnt from the codebook's texts."""
    texts, labels = codebook_training_set(codebook)
    return fit_theme_scorer(codebook, encode(texts), labels, params.themes, params.seed)


def theme_scores(codebook: Codebook, embeddings: np.ndarray, encode: Encode, params: TopicsParams,
                 docs: list[str] | None = None, lemma_cache: Path | None = None) -> np.ndarray:
    """Each statement's score for each codebook theme, before topic smoothing (rows sum to 1).

    With `docs` (the statements' texts) and `themes.keyword_weight` > 0 the
    embedding scores are sharpened by keyword evidence (see `keywords`); with
    `lemma_cache` (a folder) the keyword lemmas of texts seen before are read
    from it, not found again (`lemma_cache.py`: the same values).
    """
    scores = embedding_scores(theme_scorer(codebook, encode, params), embeddings, params)
    if docs is None or params.themes.keyword_weight <= 0 or len(scores) == 0:
        return scores
    return add_keyword_evidence(scores, keyword_evidence_of(codebook, docs, params, lemma_cache),
                                params.themes.keyword_weight)


def embedding_scores(scorer: ThemeScorer, embeddings: np.ndarray, params: TopicsParams) -> np.ndarray:
    """`theme_scores` without the keyword evidence (a row's values depend on the rows scored with it
    only through the arithmetic's blocking: score a batch the same way to get the same bits)."""
    if is_large(params, len(embeddings)):
        step = max(1, params.large_corpus.chunk)  # bounded: the scorer works in float64
        return np.vstack([scorer.scores(embeddings[k : k + step]) for k in range(0, len(embeddings), step)])
    return scorer.scores(embeddings)


def keyword_evidence_of(codebook: Codebook, docs: list[str], params: TopicsParams,
                        lemma_cache: Path | None = None) -> np.ndarray:
    """(docs, themes): each text's keyword evidence (`keywords.keyword_evidence`; a row depends on its text only)."""
    model = params.themes.keyword_spacy_model
    nlp = load_lemmatiser(model)
    vocabularies = theme_vocabularies(nlp, codebook)
    keep = frozenset().union(*vocabularies)
    cache = lemma_cache_for(lemma_cache, nlp, keep) if lemma_cache is not None else None
    lemmas = cached_content_lemmas(model, docs, keep, params.lemma_workers, nlp, cache)
    return keyword_evidence(lemmas, vocabularies)


def assign_topics_and_themes(
    statements: pd.DataFrame,
    embeddings: np.ndarray,
    codebook: Codebook,
    encode: Encode,
    params: TopicsParams,
    embedding_model: Any,
    *,
    lemma_cache: Path | None = None,
) -> TopicsResult:
    """Fit emergent topics, name every statement by a theme, map topics to themes.

    `embeddings[i]` is the vector of `statements.iloc[i]`; `encode` embeds
    codebook texts with the same model; `embedding_model` is what BERTopic uses
    to embed candidate keywords and representative statements (the CLI gives it
    the statements' own vectors, `model.order_free_backend`); `lemma_cache`, a folder
    that keeps the statements' keyword lemmas across runs (see `theme_scores`).
    """
    missing = [c for c in STATEMENT_COLUMNS if c not in statements.columns]
    if missing:
        raise ValueError(f"statements lack column(s) {', '.join(missing)}")
    if len(statements) != len(embeddings):
        raise ValueError(f"{len(statements)} statements but {len(embeddings)} embeddings")
    statements = statements.reset_index(drop=True)
    if len(statements) == 0:
        return _empty_result()
    if is_large(params, len(embeddings)):
        # float32 unit rows, made a block at a time: a float64 copy is 3 GB at a million statements
        embeddings = unit_rows_float32(embeddings, params.large_corpus.chunk)
    else:
        embeddings = normalise_rows(embeddings)
    docs = [str(t) for t in statements["text"]]

    ahead = _neighbours_ahead(embeddings, params)
    try:
        raw_scores = theme_scores(codebook, embeddings, encode, params, docs, lemma_cache)
        fitted = fit_topics(docs, embeddings, params, embedding_model, guide=raw_scores.argmax(axis=1), neighbours=ahead)
    finally:
        if ahead is not None:
            ahead.close()
    topics = fitted.topics
    profiles = topic_profiles(raw_scores, topics)
    assigned = assign_themes(smooth_with_profiles(raw_scores, topics, profiles, params.themes.topic_weight),
                             codebook.ids, params.themes)
    words = TopicWords.of_model(fitted.model, sorted(set(topics.tolist())), params)
    out = statements[list(STATEMENT_COLUMNS)].copy()
    out["topic"] = topics
    out["topic_label"] = [words.label[int(t)] for t in topics]
    out["theme"] = assigned.theme
    out["theme_score"] = np.round(assigned.theme_score, 6)
    out["themes"] = assigned.themes
    return finish_result(out, embeddings, words, codebook, params, fitted.path, fitted.model, profiles)


def finish_result(out: pd.DataFrame, embeddings: np.ndarray, words: TopicWords, codebook: Codebook,
                  params: TopicsParams, fit_path: str, model: Any | None,
                  profiles: dict[int, np.ndarray] | None) -> TopicsResult:
    """The topics table and the labels document from every statement's topic and themes (`out`)."""
    topics = out["topic"].to_numpy()
    present = sorted(set(int(t) for t in topics))
    mapping = topic_themes(topics, out["theme"].tolist(), params.themes.topic_min_share)
    topics_df = _topics_table(out, embeddings, words, present, mapping, params)
    label_doc = {
        "codebook": codebook.name,
        "fit_path": fit_path,
        "themes": {t.id: t.name for t in codebook.themes} | {OTHER: codebook.display_name(OTHER)},
        "procedural_themes": list(codebook.procedural_ids),
        "topics": {str(t): {"label": words.label[t], "theme": mapping[t], "words": words.words[t]} for t in present},
    }
    return TopicsResult(out, topics_df, model, label_doc, fit_path, profiles, words)


def _neighbours_ahead(embeddings: np.ndarray, params: TopicsParams) -> NeighboursAhead | None:
    """UMAP's neighbours found in another process while the keyword lemmas' workers run (`neighbours.py`)."""
    lemma_pool = params.themes.keyword_weight > 0 and params.lemma_workers > 1 and len(embeddings) >= POOL_FROM
    if not worth_finding_ahead(params, len(embeddings), lemma_pool):
        return None
    return NeighboursAhead(umap_input(np.asarray(embeddings, dtype=np.float64)), params)


def _topics_table(st: pd.DataFrame, embeddings: np.ndarray, words: TopicWords, present: list[int],
                  mapping: dict[int, str], params: TopicsParams) -> pd.DataFrame:
    rows = []
    topics = st["topic"].to_numpy()
    n_rep = params.representative_statements
    for topic in present:
        members = np.flatnonzero(topics == topic)
        centre = normalise_rows(embeddings[members].mean(axis=0, keepdims=True))[0]
        sims = embeddings[members] @ centre
        ids = st["statement_id"]
        order = sorted(_nearest_candidates(sims, n_rep),
                       key=lambda j: (-round(float(sims[j]), 9), str(ids.iloc[members[j]])))
        reps = [str(st["text"].iloc[members[j]]) for j in order[:n_rep]]
        theme = mapping[topic]
        share = float((st["theme"].iloc[members] == theme).mean()) if len(members) else 0.0
        rows.append({
            "topic": topic,
            "label": words.label[topic],
            "top_words": "; ".join(words.words[topic]),
            "size": len(members),
            "representative_statements": " | ".join(reps),
            "theme": theme,
            "theme_share": round(share, 6),
            "pos_words": "; ".join(words.pos[topic]),
        })
    return pd.DataFrame(rows)


def _nearest_candidates(sims: np.ndarray, n: int) -> np.ndarray:
    """The rows that can be among the `n` first by (-similarity rounded to 9 decimals, id).

    Rounding moves a similarity by at most 5e-10, so a row more than 2e-9 below the n-th largest
    similarity has n rows strictly before it: only the rows above that line are sorted (a
    topic of 10,000 statements sorts a handful, not all).
    """
    if n <= 0:
        return np.zeros(0, dtype=int)
    if len(sims) <= n:
        return np.arange(len(sims))
    nth = np.partition(sims, len(sims) - n)[len(sims) - n]
    return np.flatnonzero(sims >= nth - 2e-9)


def _empty_result() -> TopicsResult:
    st = pd.DataFrame({c: pd.Series(dtype=str) for c in (*STATEMENT_COLUMNS, "topic_label", "theme", "themes")})
    st["topic"] = pd.Series(dtype="Int64")
    st["theme_score"] = pd.Series(dtype=float)
    topics = pd.DataFrame({"topic": pd.Series(dtype="Int64"), "label": pd.Series(dtype=str), "top_words": pd.Series(dtype=str),
                           "size": pd.Series(dtype="Int64"), "representative_statements": pd.Series(dtype=str),
                           "theme": pd.Series(dtype=str), "theme_share": pd.Series(dtype=float), "pos_words": pd.Series(dtype=str)})
    return TopicsResult(st, topics, None, {"topics": {}}, "empty")
