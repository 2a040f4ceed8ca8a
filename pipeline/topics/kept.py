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
The new statements are placed a report at a time, and with `--join-cache` each
report's placement is kept, so a rerun places only the reports added or changed
since the previous run, not every one added since the fit (`join_cache.py`).

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
from pipeline.result_cache import ResultCache
from pipeline.topics.core import (STATEMENT_COLUMNS, Encode, TopicsResult, TopicWords, embedding_scores,
                                  finish_result, keyword_evidence_of)
from pipeline.topics.keywords import add_keyword_evidence
from pipeline.topics.join_cache import Placement, cached_scorer, fit_key, placement_key, report_groups
from pipeline.topics.model import OUTLIER, is_large, nearest_topic, neighbour_vote, unit_rows
from pipeline.topics.params import TopicsParams
from pipeline.topics.themes import ThemeScorer, assign_themes, normalise_rows, smooth_with_profiles, unit_rows_float32

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
               encode: Encode, params: TopicsParams, *, lemma_cache: Any = None,
               join_cache: ResultCache | None = None, encoding: str = "") -> TopicsResult:
    """Every statement with a topic and themes: the fit's for those it has seen, the kept fit's rules for the rest.

    `embeddings[i]` is the vector of `statements.iloc[i]`; `encode` embeds the
    codebook's texts (for the new statements' theme scores); `lemma_cache` as in
    `core.theme_scores`. The new statements are placed a report at a time
    (`join_cache.py`); `join_cache` keeps each report's placement across reruns
    (and the theme scorer, under `encoding` when given: see `join_cache.cached_scorer`).
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
        topics, raw = _place_new(out, X, known, new, fit, codebook, encode, params, lemma_cache, join_cache,
                                 encoding)
        assigned = assign_themes(smooth_with_profiles(raw, topics, fit.profiles, params.themes.topic_weight),
                                 codebook.ids, params.themes)
        out.loc[new, "topic"] = topics
        out.loc[new, "topic_label"] = [fit.words.label[int(t)] for t in topics]
        out.loc[new, "theme"] = assigned.theme
        out.loc[new, "theme_score"] = np.round(assigned.theme_score, 6)
        out.loc[new, "themes"] = assigned.themes
    out["topic"] = out["topic"].astype(int)
    return finish_result(out, X, fit.words, codebook, params, fit.fit_path, None, fit.profiles)


def _place_new(out: pd.DataFrame, X: np.ndarray, known: np.ndarray, new: np.ndarray, fit: KeptFit,
               codebook: Codebook, encode: Encode, params: TopicsParams, lemma_cache: Any,
               cache: ResultCache | None, encoding: str) -> tuple[np.ndarray, np.ndarray]:
    """The new statements' topics and raw theme scores, computed (or read) one report at a time."""
    fitted_topics = out["topic"].to_numpy()[known].astype(int)
    base = fit_key(X, known, fitted_topics, fit.record) if cache is not None else ""
    ids, texts = out["statement_id"].astype(str).to_numpy(), out["text"].astype(str).to_numpy()
    topics = np.empty(len(new), dtype=int)
    scores = np.empty((len(new), len(codebook.ids)), dtype=np.float64)
    missing: list[tuple[np.ndarray, str | None]] = []
    for positions in report_groups(out["report_id"].to_numpy()[new]):
        rows = new[positions]
        key = placement_key(base, ids[rows].tolist(), texts[rows].tolist(), X[rows]) if cache is not None else None
        placed = cache.get(key) if key is not None else None
        if isinstance(placed, Placement) and placed.topics.shape == (len(rows),):
            topics[positions], scores[positions] = placed.topics, placed.scores
        else:
            missing.append((positions, key))
    if missing:
        place = _Placer(X, known, fitted_topics, cached_scorer(cache, codebook, encode, params, encoding), params)
        every = np.concatenate([positions for positions, _ in missing])
        # keyword evidence depends on a text alone: found for every report at once
        evidence = (keyword_evidence_of(codebook, texts[new[every]].tolist(), params, lemma_cache)
                    if params.themes.keyword_weight > 0 else None)
        start = 0
        for positions, key in missing:
            part = None if evidence is None else evidence[start : start + len(positions)]
            start += len(positions)
            placed = place(new[positions], part)
            if key is not None:
                cache.put(key, placed)  # type: ignore[union-attr]
            topics[positions], scores[positions] = placed.topics, placed.scores
    if cache is not None:
        placed_now = sum(len(p) for p, _ in missing)
        log.info("kept topic fit: %d new statement(s) placed now, %d read from the join cache",
                 placed_now, len(new) - placed_now)
    return topics, scores


class _Placer:
    """Places one report's new statements against the fit (what it needs is made once, when first asked)."""

    def __init__(self, X: np.ndarray, known: np.ndarray, fitted_topics: np.ndarray, scorer: ThemeScorer,
                 params: TopicsParams) -> None:
        self.X, self.known, self.fitted_topics, self.scorer, self.params = X, known, fitted_topics, scorer, params
        self._fitted: tuple[np.ndarray, np.ndarray] | None = None
        self._centroids: tuple[np.ndarray, np.ndarray] | None = None

    def __call__(self, rows: np.ndarray, evidence: np.ndarray | None) -> Placement:
        vectors = self.X[rows]
        raw = embedding_scores(self.scorer, vectors, self.params)
        if evidence is not None:
            raw = add_keyword_evidence(raw, evidence, self.params.themes.keyword_weight)
        return Placement(self._join_topics(vectors), raw)

    def _join_topics(self, new: np.ndarray) -> np.ndarray:
        """The vote of the new rows' nearest fitted statements, then the fit's outlier rule."""
        p = self.params
        if self._fitted is None:
            fitted = self.X[self.known]
            self._fitted = fitted, unit_rows(fitted)
        fitted, unit = self._fitted
        k = max(1, min(p.umap.n_neighbors, len(fitted)))
        topics = neighbour_vote(new, fitted, self.fitted_topics, k, p.large_corpus.chunk, unit_sample=unit)
        outliers = topics == OUTLIER
        if p.reduce_outliers == "embeddings" and outliers.any():
            if self._centroids is None:
                ids = np.asarray(sorted(set(self.fitted_topics.tolist()) - {OUTLIER}), dtype=int)
                centroids = (normalise_rows(np.vstack([fitted[self.fitted_topics == t].mean(axis=0) for t in ids]))
                             if len(ids) else np.zeros((0, fitted.shape[1])))
                self._centroids = ids, centroids
            ids, centroids = self._centroids
            if len(ids):
                topics[outliers] = nearest_topic(new[outliers], centroids, ids, p.outlier_threshold,
                                                 p.large_corpus.chunk)
        return topics
