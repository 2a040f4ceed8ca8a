"""The `segments` stage as one pure function: statements, vectors and themes in, the agenda tables out.

Per report, statements in turn order (`seq`) are cut by `segment_sequence`;
each segment then gets its statement range, line range, a c-TF-IDF label, its
speakers (most statements first) and its theme: the most frequent primary
theme among its substantive statements (procedural ones, greetings and
logistics, only when the segment has nothing else), ties in codebook order.
Theme shares are over substantive statements, as in every other table.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from pipeline.errors import ContractError
from pipeline.forkpool import fork_map
from pipeline.result_cache import ResultCache, value_key
from pipeline.segments.labels import document_tokens, joined_counts, name_words, segment_labels, stop_set, term_counts
from pipeline.segments.params import SegmentsParams
from pipeline.segments.sequence import segment_sequence
from pipeline.tables.counts import label_unattributed
from pipeline.tables.themes import ThemeColumns

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Segments:
    segments: pd.DataFrame  # contract SEGMENTS
    segment_themes: pd.DataFrame  # contract SEGMENT_THEMES
    statement_segments: pd.DataFrame  # contract STATEMENT_SEGMENTS


def _check_inputs(statements: pd.DataFrame, vectors: np.ndarray, statement_themes: pd.DataFrame, source: object) -> None:
    if len(vectors) != len(statements):
        raise ContractError(source, f"{len(vectors)} vectors for {len(statements)} statements; rerun the embed stage")
    themed, stated = set(statement_themes["statement_id"]), set(statements["statement_id"])
    if themed != stated:
        diff = sorted(stated ^ themed)
        raise ContractError(
            source,
            f"statement_themes and statements differ in {len(diff)} statement(s) (first: {diff[0]}); rerun the topics stage",
        )


def _speakers(speakers: Sequence[str]) -> str:
    """"; "-joined, most statements first, ties by first appearance."""
    counts = Counter(speakers)
    first = {s: i for i, s in reversed(list(enumerate(speakers)))}
    return "; ".join(sorted(counts, key=lambda s: (-counts[s], first[s])))


def _majority_theme(themes_of: Sequence[str], columns: ThemeColumns) -> tuple[str, float | None, str, int]:
    """(theme, its share of substantive statements, "id share; ..." of them, substantive count)."""
    procedural = set(columns.procedural)
    substantive = [t for t in themes_of if t not in procedural]
    rank = {t: i for i, t in enumerate(columns.columns)}
    pool = substantive or list(themes_of)
    counts = Counter(pool)
    ordered = sorted(counts, key=lambda t: (-counts[t], rank.get(t, len(rank))))
    if not substantive:
        return ordered[0], None, "", 0
    n = len(substantive)
    shares = "; ".join(f"{t} {counts[t] / n:.2f}" for t in ordered)
    return ordered[0], counts[ordered[0]] / n, shares, n


def build_segments(
    statements: pd.DataFrame,
    vectors: np.ndarray,
    statement_themes: pd.DataFrame,
    *,
    themes: ThemeColumns,
    params: SegmentsParams,
    source: object = "segments",
    cache: ResultCache | None = None,
) -> Segments:
    """Every output of the stage; `vectors` row i belongs to `statements` row i.

    With a `cache`, a report whose statements (texts, speakers, vectors) were cut before
    with these params is not cut again: its cut is read back (`report_key`).
    """
    _check_inputs(statements, vectors, statement_themes, source)
    themes.check(statement_themes["theme"], source)
    st = statements.reset_index(drop=True).copy()
    st["_row"] = np.arange(len(st))
    st = st.sort_values(["report_id", "seq"], kind="mergesort").reset_index(drop=True)
    st = st.merge(statement_themes[["statement_id", "theme"]], on="statement_id", how="left", validate="one_to_one")
    st = label_unattributed(st)

    reports = list(st.groupby("report_id", sort=True).indices.values())
    row_of, texts, speakers = st["_row"].to_numpy(), st["text"].astype(str).tolist(), st["speaker"].tolist()

    def one_report(idx: np.ndarray) -> np.ndarray:  # in a forked worker with params.workers > 1
        return segment_sequence(vectors[row_of[idx]], [texts[i] for i in idx], params,
                                speakers=[speakers[i] for i in idx])

    def key_of(idx: np.ndarray) -> str:
        return report_key(vectors[row_of[idx]], [texts[i] for i in idx], [speakers[i] for i in idx])

    keys = [key_of(idx) for idx in reports] if cache is not None else []
    cuts: list[np.ndarray | None] = [cache.get(k) for k in keys] if cache is not None else [None] * len(reports)
    todo = [i for i, cut in enumerate(cuts) if cut is None]
    # the reports are independent: each is cut alone, in any process, and comes back in report order
    for i, labels in zip(todo, fork_map(one_report, [reports[i] for i in todo], params.workers, what="reports"),
                         strict=True):
        cuts[i] = labels
        if cache is not None:
            cache.put(keys[i], labels)
    if cache is not None:
        log.info("segments cache: %d report(s) read back, %d cut now", len(reports) - len(todo), len(todo))
    segment_no = np.zeros(len(st), dtype=int)
    for idx, labels in zip(reports, cuts, strict=True):
        segment_no[idx] = labels
    st["segment"] = segment_no

    records, documents = [], []
    ids, themes_of, speakers_of = st["statement_id"].tolist(), st["theme"].tolist(), st["speaker"].tolist()
    line_start, line_end = st["line_start"].to_numpy(), st["line_end"].to_numpy()
    for report_id, seg, rows in _segment_rows(st["report_id"], st["segment"]):
        theme, share, shares, n_sub = _majority_theme([themes_of[i] for i in rows], themes)
        records.append({
            "report_id": report_id,
            "segment": int(seg),
            "first_statement_id": ids[rows[0]],
            "last_statement_id": ids[rows[-1]],
            "line_start": int(line_start[rows].min()),
            "line_end": int(line_end[rows].max()),
            "n_statements": len(rows),
            "n_substantive": n_sub,
            "theme": theme,
            "theme_share": share,
            "theme_shares": shares,
            "speakers": _speakers([speakers_of[i] for i in rows]),
        })
        documents.append("\n".join(str(texts[i]) for i in rows))
    skip = (*(name_words(st["speaker"].unique()) if params.label_skip_speaker_names else ()), *params.label_skip_words)
    labels = segment_labels(
        documents, n_words=params.label_words, ngram_max=params.label_ngram_max, stop_words=params.label_stop_words,
        skip_words=skip,
        counted=kept_term_counts(documents, [r["report_id"] for r in records],
                                 stop_set(params.label_stop_words, skip), params.label_ngram_max, cache),
    )
    columns = ["report_id", "segment", "first_statement_id", "last_statement_id", "line_start", "line_end",
               "n_statements", "n_substantive", "label", "theme", "theme_share", "theme_shares", "speakers"]
    segments = pd.DataFrame(records, columns=[c for c in columns if c != "label"])
    segments.insert(columns.index("label"), "label", labels)
    segments["theme_share"] = segments["theme_share"].astype(float)
    if cache is not None:  # every report's cut and label counts were asked for: the rest are stale
        cache.retain_asked()

    log.info("%d report(s) cut into %d segment(s)", st["report_id"].nunique(), len(segments))
    return Segments(
        segments=segments[columns],
        segment_themes=segment_themes_long(st, themes),
        statement_segments=st[["statement_id", "report_id", "seq", "segment"]].reset_index(drop=True),
    )


def _segment_rows(report_id: pd.Series, segment: pd.Series) -> Iterator[tuple[object, int, np.ndarray]]:
    """(report, segment, its rows in table order) for each segment, in report then segment order: what
    `groupby(["report_id", "segment"], sort=True)` gives, without a frame per segment."""
    codes, reports = pd.factorize(report_id, sort=True)
    seg = segment.to_numpy()
    order = np.lexsort((seg, codes))  # stable: a segment's rows stay in table order
    new = np.ones(len(order), dtype=bool)
    new[1:] = (codes[order][1:] != codes[order][:-1]) | (seg[order][1:] != seg[order][:-1])
    bounds = [*np.flatnonzero(new).tolist(), len(order)]
    for a, b in zip(bounds[:-1], bounds[1:]):
        rows = order[a:b]
        yield reports[codes[rows[0]]], int(seg[rows[0]]), rows


def kept_term_counts(documents: Sequence[str], report_of: Sequence[str], stop: frozenset[str], ngram_max: int,
                     cache: ResultCache | None) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The segment documents' `term_counts`, a report at a time, joined (`labels.joined_counts`).

    With a `cache`, each report keeps its documents' words (under their texts) and its counts (under
    its texts, the stop words among its words and `ngram_max`): a rerun counts only the reports whose
    segments changed, or in which a stop word appeared (the speakers' names are stop words: a new
    speaker's name changes the counts of only the reports holding it).
    """
    parts = []
    for _, group in itertools.groupby(range(len(documents)), key=report_of.__getitem__):
        texts = [documents[i] for i in group]
        if cache is None:
            parts.append(term_counts([document_tokens(d) for d in texts], ngram_max, stop))
            continue
        texts_key = "words-" + value_key(texts)
        found = cache.get(texts_key)
        if found is None or len(found[0]) != len(texts):
            tokens = [document_tokens(d) for d in texts]
            found = (tokens, sorted({w for t in tokens for w in t.split()}))
            cache.put(texts_key, found)
        tokens, words = found
        own_stop = sorted(stop.intersection(words))
        counts_key = "counts-" + value_key([texts_key, own_stop, ngram_max])
        counted = cache.get(counts_key)
        if counted is None:
            counted = term_counts(tokens, ngram_max, own_stop)
            cache.put(counts_key, counted)
        parts.append(counted)
    return joined_counts(parts)


def report_key(vectors: np.ndarray, texts: Sequence[str], speakers: Sequence[object]) -> str:
    """What a report's cut depends on (its statements' vectors, texts and speakers, in turn order), hashed."""
    digest = hashlib.sha256(np.ascontiguousarray(vectors).tobytes())
    digest.update(value_key([list(texts), [str(s) for s in speakers]]).encode("ascii"))
    return digest.hexdigest()


def segments_cache(root: object, params: SegmentsParams) -> ResultCache:
    """Where each report's cut is kept: a namespace per params (but `workers`) and cutting code."""
    import pipeline.segments
    from pipeline.result_cache import params_settings, source_fingerprint

    settings = params_settings(params)
    settings["numpy"] = np.__version__
    return ResultCache(root, source_fingerprint([pipeline.segments]), settings, what="segments cache")


def segment_themes_long(st: pd.DataFrame, themes: ThemeColumns) -> pd.DataFrame:
    """Per (report, segment, theme) that occurs: statements and share of the segment's substantive ones.

    Procedural rows keep their count with an empty share, as in speaker_themes.
    """
    columns = ["report_id", "segment", "theme", "n_statements", "share", "n_substantive"]
    if st.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    keys = ["report_id", "segment"]
    counts = st.groupby([*keys, "theme"], sort=True).size().rename("n_statements").reset_index()
    procedural = themes.is_procedural(st["theme"])
    substantive = st[~procedural].groupby(keys).size().rename("n_substantive").reset_index()
    out = counts.merge(substantive, on=keys, how="left")
    out["n_substantive"] = out["n_substantive"].fillna(0).astype("int64")
    share = out["n_statements"] / out["n_substantive"].replace(0, np.nan)
    out["share"] = share.where(~themes.is_procedural(out["theme"]), np.nan).astype(float)
    rank = {t: i for i, t in enumerate(themes.columns)}
    out["_rank"] = out["theme"].map(rank)
    out = out.sort_values([*keys, "_rank"], kind="mergesort")
    return out[columns].reset_index(drop=True)
