"""A kept topic fit, extended to the statements it has not seen (the `topics` stage's core).

The `topic_fit` stage fits the topics (UMAP, HDBSCAN, BERTopic) and names every
statement by a theme; the `topics` stage takes that fit as it is when it covers
the statements, and otherwise extends it: every statement the fit has seen
(same id, same text) keeps its topic and themes, and every other statement
joins the topic most of its `umap.n_neighbors` nearest fitted statements
(cosine, exact) have, as the large-corpus fit assigns the statements outside
its sample (`model.neighbour_vote`); outliers then follow the fit's rule. Its
themes are its own scores mixed with its topic's profile of the fit
(`themes.smooth_with_profiles`).

A fit is extended only when `dvc freeze topic_fit` keeps it: `dvc repro`
refits otherwise. Extending is what keeps a rerun proportional to what was
added (a refit of 100,000 statements takes minutes), and it keeps the tables
a function of their inputs, since the kept fit is an input recorded in
`dvc.lock`. It is refused when the codebook, the `topics` params or the
embedding model differ from those the fit was made with (`fit_differences`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.codebook import Codebook
from pipeline.topics.core import STATEMENT_COLUMNS, Encode, TopicsResult, TopicWords, finish_result, theme_scores
from pipeline.topics.model import OUTLIER, is_large, nearest_topic, neighbour_vote
from pipeline.topics.params import TopicsParams
from pipeline.topics.themes import assign_themes, normalise_rows, smooth_with_profiles, unit_rows_float32

log = logging.getLogger(__name__)

# the columns a fitted statement keeps from its fit; the statement's own columns come from statements.csv
FITTED_COLUMNS = ("topic", "topic_label", "theme", "theme_score", "themes")
# params that change how the fit is computed, not what it is
NOT_FIT_PARAMS = frozenset({"lemma_workers"})


@dataclass
class KeptFit:
    """What the `topic_fit` stage wrote: its statements' topics and themes, its topics, and what names them."""

    statement_themes: pd.DataFrame  # before the analyst's corrections
    topics: pd.DataFrame
    labels: dict[str, Any]
    profiles: dict[int, np.ndarray]
    words: TopicWords
    fit_path: str
    record: dict[str, Any]  # codebook fingerprint, params, embedding model (`fit_record`)


def fit_record(codebook_fingerprint: str, params: dict[str, Any], encoder: dict[str, Any]) -> dict[str, Any]:
    """What a fit was made with; an extension of it needs the same (`fit_differences`)."""
    return {"codebook_sha256": codebook_fingerprint, "encoder": encoder,
            "params": {k: v for k, v in sorted(params.items()) if k not in NOT_FIT_PARAMS}}


def fit_differences(kept: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What differs between the record of a kept fit and the current inputs (empty: it may be extended)."""
    out = []
    if kept.get("codebook_sha256") != now["codebook_sha256"]:
        out.append("codebook")
    if kept.get("encoder") != now["encoder"]:
        out.append("embedding model")
    before, after = kept.get("params", {}), now["params"]
    out += [f"topics.{key}" for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]
    return out


def covers(fit: KeptFit, statements: pd.DataFrame) -> bool:
    """Whether the fit was made on exactly these statements, in this order (then it is taken as it is)."""
    a, b = fit.statement_themes, statements
    return len(a) == len(b) and all(
        a[c].astype(str).tolist() == b[c].astype(str).tolist() for c in STATEMENT_COLUMNS)


def result_of_fit(fit: KeptFit) -> TopicsResult:
    """The fit's own tables, unchanged (it covers the statements)."""
    return TopicsResult(fit.statement_themes.copy(), fit.topics.copy(), None, fit.labels, fit.fit_path,
                        fit.profiles, fit.words)


def extend_fit(statements: pd.DataFrame, embeddings: np.ndarray, fit: KeptFit, codebook: Codebook,
               encode: Encode, params: TopicsParams, *, lemma_cache: Any = None) -> TopicsResult:
    """Every statement with a topic and themes: the fit's for those it has seen, the kept fit's rules for the rest.

    `embeddings[i]` is the vector of `statements.iloc[i]`; `encode` embeds the
    codebook's texts (for the new statements' theme scores); `lemma_cache` as in
    `core.theme_scores`.
    """
    if len(statements) != len(embeddings):
        raise ValueError(f"{len(statements)} statements but {len(embeddings)} embeddings")
    statements = statements.reset_index(drop=True)
    seen = fit.statement_themes.drop_duplicates(["statement_id", "text"]).set_index(["statement_id", "text"])
    keys = pd.MultiIndex.from_arrays([statements["statement_id"].astype(str), statements["text"].astype(str)])
    row = seen.index.get_indexer(keys)
    known, new = np.flatnonzero(row >= 0), np.flatnonzero(row < 0)
    if len(known) == 0:
        raise ValueError("the kept topic fit has none of these statements: fit again (dvc unfreeze topic_fit)")
    large = is_large(params, len(embeddings))
    X = unit_rows_float32(embeddings, params.large_corpus.chunk) if large else normalise_rows(embeddings)
    out = statements[list(STATEMENT_COLUMNS)].copy()
    for column in FITTED_COLUMNS:
        values = seen[column].to_numpy()[np.maximum(row, 0)]
        out[column] = pd.Series(values, dtype=seen[column].dtype)
    if len(new):
        log.info("kept topic fit: %d statements seen by the fit, %d new ones join its topics", len(known), len(new))
        topics = _join_topics(X[new], X[known], out["topic"].to_numpy()[known], params)
        docs = [str(t) for t in out["text"].iloc[new]]
        raw = theme_scores(codebook, X[new], encode, params, docs, lemma_cache)
        assigned = assign_themes(smooth_with_profiles(raw, topics, fit.profiles, params.themes.topic_weight),
                                 codebook.ids, params.themes)
        out.loc[new, "topic"] = topics
        out.loc[new, "topic_label"] = [fit.words.label[int(t)] for t in topics]
        out.loc[new, "theme"] = assigned.theme
        out.loc[new, "theme_score"] = np.round(assigned.theme_score, 6)
        out.loc[new, "themes"] = assigned.themes
    out["topic"] = out["topic"].astype(int)
    return finish_result(out, X, fit.words, codebook, params, fit.fit_path, None, fit.profiles)


def _join_topics(new: np.ndarray, fitted: np.ndarray, fitted_topics: np.ndarray, params: TopicsParams) -> np.ndarray:
    """New statements' topics: the vote of their nearest fitted statements, then the fit's outlier rule."""
    k = max(1, min(params.umap.n_neighbors, len(fitted)))
    topics = neighbour_vote(new, fitted, fitted_topics, k, params.large_corpus.chunk)
    outliers = topics == OUTLIER
    ids = np.asarray(sorted(set(fitted_topics.tolist()) - {OUTLIER}), dtype=int)
    if params.reduce_outliers == "embeddings" and outliers.any() and len(ids):
        centroids = normalise_rows(np.vstack([fitted[fitted_topics == t].mean(axis=0) for t in ids]))
        topics[outliers] = nearest_topic(new[outliers], centroids, ids, params.outlier_threshold, params.large_corpus.chunk)
    return topics
