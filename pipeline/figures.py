"""Pictures analysts would rather look at than read: static PNGs and interactive HTML.

Static charts are matplotlib `Figure` objects drawn without pyplot (no display,
no global backend switched, nothing to close), written without timestamps so
reruns are byte-identical. Interactive charts come from BERTopic (topics per class, documents on a topic map) as self-contained plotly
HTML (plotly.js inlined, no CDN) with fixed element ids, so they too are stable
and open from disk with no network. BERTopic's own charts need a model fitted
with enough topics; on small corpora they fall back to plain plotly charts of
the same data rather than fail.
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from pipeline.errors import InputError
from pipeline.report import word_counts
from pipeline.explore import (
    Processed,
    role_theme_shares,
    session_theme_shares,
    speaker_or_unattributed,
    speaker_theme_matrix,
)

log = logging.getLogger(__name__)

# The PNG and HTML files the report stage writes, by name.
STATIC_FIGURES = ("speaker_theme_heatmap", "theme_shares_by_session", "theme_shares_by_role")
INTERACTIVE_FIGURES = ("topics_per_class", "topic_map")


@dataclass(frozen=True)
class FiguresParams:
    """The `report.figures` subsection of params.yaml."""

    dpi: int = 110
    # speakers shown in the corpus heatmap (most statements first); the report's per-session tables show all
    max_speakers: int = 40
    # sessions shown in the theme-shares-per-session chart (most substantive statements first);
    # a bar per session of thousands is no picture (session_theme_shares.csv holds them all)
    max_sessions: int = 60
    # topics shown in BERTopic's topics-per-class chart
    top_n_topics: int = 10
    # the class the topics-per-class chart compares: role, speaker or report_id
    topics_per_class_by: str = "role"
    # seeds the document order BERTopic's topic map draws at random
    seed: int = 42
    # the topic map draws at most this many statements (a seeded sample above it): a browser page
    # with a point and a hover text per statement stops opening somewhere past 100k
    max_map_points: int = 20000

    def __post_init__(self) -> None:
        if self.topics_per_class_by not in ("role", "speaker", "report_id"):
            raise InputError("params figures.topics_per_class_by",
                             f"must be role, speaker or report_id, not {self.topics_per_class_by!r}")


def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    """Render `fig` as PNG without the metadata that changes between runs."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def _empty(message: str) -> Figure:
    fig = Figure(figsize=(6, 1.5))
    ax = fig.subplots()
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, color="#555555")
    return fig


def heatmap(matrix: pd.DataFrame, *, title: str, value_format: str = "{:d}") -> Figure:
    """Rows × columns as coloured cells with their values written in."""
    if matrix.empty or not matrix.to_numpy(dtype=float).any():
        return _empty(f"{title}: no statements")
    values = matrix.fillna(0).to_numpy(dtype=float)
    n_rows, n_cols = values.shape
    fig = Figure(figsize=(max(5.0, 1.0 + 0.9 * n_cols), max(2.0, 0.8 + 0.38 * n_rows)))
    ax = fig.subplots()
    image = ax.imshow(values, cmap="Blues", aspect="auto", vmin=0)
    ax.set_xticks(range(n_cols), labels=[str(c) for c in matrix.columns], rotation=35, ha="right")
    ax.set_yticks(range(n_rows), labels=[str(i) for i in matrix.index])
    top = values.max() if values.size else 0
    for i in range(n_rows):
        for j in range(n_cols):
            v = matrix.iat[i, j]
            if v:
                text = value_format.format(int(v) if value_format == "{:d}" else v)
                ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if v > top / 2 else "black")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    return fig


def stacked_shares(shares: pd.DataFrame, title: str, *, ylabel: str) -> Figure:
    """One horizontal bar per group, split by theme share (each bar sums to 1)."""
    if shares.empty:
        return _empty(f"{title}: no statements")
    n_rows = len(shares)
    fig = Figure(figsize=(9, max(2.0, 1.0 + 0.45 * n_rows)))
    ax = fig.subplots()
    left = np.zeros(n_rows)
    colours = matplotlib.colormaps["tab20"].colors
    labels = [str(i) for i in shares.index]
    for k, theme in enumerate(shares.columns):
        values = shares[theme].to_numpy(dtype=float)
        ax.barh(labels, values, left=left, label=str(theme), color=colours[k % len(colours)])
        left += values
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of themed statements")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return fig


def top_rows(frame: pd.DataFrame, weight: pd.Series, limit: int) -> pd.DataFrame:
    """The `limit` rows of `frame` with the largest `weight` (ties: earlier first), in their original order."""
    if len(frame) <= limit:
        return frame
    keep = set(weight.reindex(frame.index).fillna(0).sort_values(ascending=False, kind="mergesort").index[:limit])
    return frame.loc[[i for i in frame.index if i in keep]]


def top_speakers(matrix: pd.DataFrame, limit: int) -> pd.DataFrame:
    """The `limit` rows with the most statements, in their original order."""
    return top_rows(matrix, matrix.sum(axis=1), limit)


def largest_sessions(p: Processed, limit: int) -> tuple[pd.DataFrame, str]:
    """Theme shares of the `limit` sessions with most substantive statements, and a title saying so."""
    shares = session_theme_shares(p)
    title = "Theme shares per session"
    if len(shares) <= limit:
        return shares, title
    weight = p.session_shares.set_index("report_id")["n_substantive"].astype(float)
    return top_rows(shares, weight, limit), f"{title} (the {limit} with most statements, of {len(shares)})"


def static_figures(p: Processed, params: FiguresParams) -> dict[str, bytes]:
    """The corpus-level PNGs by name: speaker × theme heatmap, theme shares per session and per role."""
    full = speaker_theme_matrix(p)
    matrix = top_speakers(full, params.max_speakers)
    title = "Statements per speaker and theme"
    if len(matrix) < len(full):
        title += f" (top {len(matrix)} of {len(full)} speakers)"
    by_session = stacked_shares(*largest_sessions(p, params.max_sessions), ylabel="session")
    by_role = stacked_shares(role_theme_shares(p), title="Theme shares per role", ylabel="role")
    return {
        "speaker_theme_heatmap": png_bytes(heatmap(matrix, title=title), params.dpi),
        "theme_shares_by_session": png_bytes(by_session, params.dpi),
        "theme_shares_by_role": png_bytes(by_role, params.dpi),
    }


def session_heatmap(p: Processed, report_id: str, params: FiguresParams) -> bytes:
    """The speaker × theme heatmap of one session (for its report page).

    Drawn with Pillow (`pipeline.heatmap_image`), not matplotlib: a report has a
    page per session, and matplotlib's artists cost about half a second each.
    """
    from pipeline.heatmap_image import heatmap_png

    matrix = speaker_theme_matrix(p, report_id)
    title = "Statements per speaker and theme"
    if matrix.empty or not matrix.to_numpy(dtype=float).any():
        return png_bytes(_empty(f"{title}: no statements"), params.dpi)
    return heatmap_png(matrix, title=title, dpi=params.dpi)


# ---- interactive (plotly) -------------------------------------------------------------


def plotly_html(fig: Any, div_id: str) -> str:
    """A self-contained HTML page: plotly.js inlined (no CDN), a fixed div id (stable bytes)."""
    return fig.to_html(include_plotlyjs=True, full_html=True, div_id=div_id, config={"displaylogo": False})


def reduce_to_2d(embeddings: np.ndarray) -> np.ndarray:
    """Two coordinates per statement for the topic map (PCA: fast, deterministic, any n)."""
    n = len(embeddings)
    if n == 0:
        return np.zeros((0, 2))
    if n < 3:
        return np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    from sklearn.decomposition import PCA

    return PCA(n_components=2, svd_solver="covariance_eigh").fit_transform(np.asarray(embeddings, dtype=np.float64))


def _plain_scatter(points: np.ndarray, docs: list[str], labels: list[str], title: str) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    frame = pd.DataFrame({"x": points[:, 0], "y": points[:, 1], "doc": docs, "label": labels})
    for label, group in frame.groupby("label", sort=True):
        fig.add_trace(
            go.Scattergl(x=group["x"], y=group["y"], mode="markers", name=str(label),
                         text=[d[:150] for d in group["doc"]], hoverinfo="text+name")
        )
    fig.update_layout(title=title, template="simple_white", width=1100, height=700)
    return fig


@contextmanager
def _seeded_global_numpy(seed: int) -> Iterator[None]:
    """Seed numpy's global generator for a library call that draws from it, then restore it."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def map_sample(n: int, limit: int, seed: int) -> np.ndarray:
    """The rows the topic map draws: all of them up to `limit`, else a seeded sample of `limit` (sorted)."""
    if limit <= 0 or n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False))


def topic_map(model: Any, docs: list[str], topics: list[int], labels: list[str], embeddings: np.ndarray,
              *, seed: int = 42, of: int | None = None) -> Any:
    """Statements on a 2-D map coloured by topic: BERTopic's chart, or a plain scatter when it cannot draw.

    BERTopic's `visualize_documents` shuffles each topic's documents with numpy's
    global generator (`np.random.choice`), so the page would change on every run
    unless that generator is seeded.
    """
    points = reduce_to_2d(embeddings)
    title = "Statements and topics"
    if of is not None and of > len(docs):
        title += f" (a sample of {len(docs):,} of {of:,} statements)"
    if model is not None and len(set(topics) - {-1}) >= 2:
        try:
            model.topics_ = list(topics)
            with _seeded_global_numpy(seed):
                return model.visualize_documents(docs, topics=None, reduced_embeddings=points,
                                                 hide_annotations=False, title=f"<b>{title}</b>")
        except Exception as exc:  # BERTopic needs internals a small or reloaded model may lack
            log.warning("BERTopic's document map failed (%s); drawing a plain scatter instead", exc)
    return _plain_scatter(points, docs, labels, title)


def _plain_topics_per_class(topic_labels: list[str], classes: list[str], title: str) -> Any:
    import plotly.graph_objects as go

    counts = pd.crosstab(pd.Series(classes, name="class"), pd.Series(topic_labels, name="topic"))
    fig = go.Figure()
    for topic in counts.columns:
        fig.add_trace(go.Bar(y=counts.index.astype(str), x=counts[topic], name=str(topic), orientation="h"))
    fig.update_layout(barmode="stack", title=title, template="simple_white", width=1100, height=max(400, 60 * len(counts)))
    return fig


def _words_per_class(model: Any, docs: list[str], classes: list[str], counts: word_counts.StatementCounts | None = None
                     ) -> pd.DataFrame:
    """BERTopic's topics_per_class, with plain c-TF-IDF words and a stable row order.

    A freshly fitted model carries its representation models (KeyBERT, MMR,
    part-of-speech), which would re-run for every class (slow) and differ from
    the model the report stage reloads; the chart only needs the words. BERTopic
    groups classes through a set, so the rows are sorted for identical output.
    With `counts` (each doc's, `pipeline.report.word_counts`; given only where they
    apply to the model's vectorizer), BERTopic is handed the docs' row numbers as
    text and its c-TF-IDF step sums their counts.
    """
    saved = getattr(model, "representation_model", None)
    model.representation_model = None
    streamed = _sliced_counts_apply(model)
    if counts is not None:  # each joined document is its docs' row numbers: their counts are summed
        docs = [str(i) for i in range(len(docs))]
        model._c_tf_idf = lambda documents_per_topic, fit=True, partial_fit=False: _summed_c_tf_idf(
            model, documents_per_topic, counts, fit=fit, partial_fit=partial_fit)
    elif streamed:  # BERTopic's own c-TF-IDF step, its word counts taken a slice at a time (see below)
        model._c_tf_idf = lambda documents_per_topic, fit=True, partial_fit=False: _sliced_c_tf_idf(
            model, documents_per_topic, fit=fit, partial_fit=partial_fit)
    try:
        table = model.topics_per_class(docs, classes=classes)
    finally:
        model.representation_model = saved
        if counts is not None or streamed:
            del model._c_tf_idf
    return table.sort_values(["Topic", "Class"], kind="mergesort").reset_index(drop=True)


# characters of a joined document cleaned and tokenised at a time by `sliced_counts`
SLICE_CHARS = 1 << 20


def _sliced_counts_apply(model: Any) -> bool:
    """Whether `sliced_counts` gives exactly BERTopic's counts for this model: a plain word
    CountVectorizer (built-in lowercasing and tokeniser, so cleaning is character by character)
    and no seed words (whose weights `_sliced_c_tf_idf` does not apply)."""
    from sklearn.feature_extraction.text import CountVectorizer

    v = getattr(model, "vectorizer_model", None)
    ctfidf = getattr(model, "ctfidf_model", None)
    return (type(v) is CountVectorizer and v.analyzer == "word" and v.preprocessor is None and v.tokenizer is None
            and not v.binary and hasattr(v, "vocabulary_") and ctfidf is not None
            and not getattr(ctfidf, "seed_words", None) and not getattr(model, "seed_topic_list", None)
            and hasattr(model, "_preprocess_text"))


def _slices(text: str, size: int) -> Iterator[str]:
    """`text` in pieces of about `size` characters, cut just before a space (the space starts the next piece)."""
    start = 0
    while start < len(text):
        stop = start + size
        if stop < len(text):
            cut = text.find(" ", stop)
            stop = len(text) if cut < 0 else cut
        yield text[start:stop]
        start = stop


def sliced_counts(vectorizer: Any, documents: Any, clean: Any, slice_chars: int = SLICE_CHARS) -> Any:
    """`vectorizer.transform(clean(documents))` (a fitted word CountVectorizer), a slice at a time.

    BERTopic counts the words of one document per topic, all its statements joined: at a
    million statements a few such documents are hundreds of megabytes, and the vectorizer holds
    every token and n-gram of one as Python strings at once (gigabytes). Cut at spaces, the
    pieces' tokens are the document's tokens in order (cleaning and lowercasing are character by
    character, no token spans a space); the n-grams that span a cut are counted from the last
    tokens of the piece before, so the counts are the same matrix.
    """
    import scipy.sparse as sp

    lower, tokenize = vectorizer.build_preprocessor(), vectorizer.build_tokenizer()
    stop = vectorizer.get_stop_words()
    low, high = vectorizer.ngram_range
    vocabulary = vectorizer.vocabulary_
    indices: list[int] = []
    values: list[int] = []
    indptr = [0]
    for document in documents:
        counts: Counter[str] = Counter()
        carry: list[str] = []
        cleaned_chars = 0
        pieces = list(_slices(document, slice_chars)) if len(document) > slice_chars else [document]
        for piece in pieces:
            # cleaned with a word after it, so BERTopic's stand-in for an empty document ("emptydoc")
            # never replaces an empty piece: it applies to the whole document only (below)
            text = clean([piece + " x"])[0][:-2]
            cleaned_chars += len(text)
            tokens = tokenize(lower(text))
            if stop:
                tokens = [t for t in tokens if t not in stop]
            seq, known = carry + tokens, len(carry)
            for n in range(low, high + 1):
                first = max(known, n - 1) - (n - 1)  # windows of n tokens that end in this piece
                counts.update(map(" ".join, zip(*[seq[first + j:] for j in range(n)])))
            carry = seq[len(seq) - (high - 1):] if high > 1 else []
        if cleaned_chars == 0:
            counts = Counter(vectorizer.build_analyzer()("emptydoc"))
        row = sorted((vocabulary[g], c) for g, c in counts.items() if g in vocabulary)
        indices.extend(i for i, _ in row)
        values.extend(c for _, c in row)
        indptr.append(len(indices))
    dtype = np.int64 if indptr[-1] > np.iinfo(np.int32).max else np.int32
    matrix = sp.csr_matrix((np.asarray(values, dtype=np.intc), np.asarray(indices, dtype=dtype),
                            np.asarray(indptr, dtype=dtype)), shape=(len(indptr) - 1, len(vocabulary)),
                           dtype=vectorizer.dtype)
    matrix.sort_indices()
    return matrix


def _sliced_c_tf_idf(model: Any, documents_per_topic: pd.DataFrame, *, fit: bool, partial_fit: bool) -> Any:
    """BERTopic's `_c_tf_idf` for an already fitted model (fit=False), counting with `sliced_counts`."""
    if fit or partial_fit:
        return type(model)._c_tf_idf(model, documents_per_topic, fit=fit, partial_fit=partial_fit)
    counts = sliced_counts(model.vectorizer_model, documents_per_topic.Document.values, model._preprocess_text)
    return model.ctfidf_model.transform(counts), model.vectorizer_model.get_feature_names_out()


def _summed_c_tf_idf(model: Any, documents_per_topic: pd.DataFrame, counts: word_counts.StatementCounts, *, fit: bool,
                     partial_fit: bool) -> Any:
    """BERTopic's `_c_tf_idf` for an already fitted model whose documents are row numbers of `counts`."""
    if fit or partial_fit:
        raise ValueError("summed counts serve a fitted model only")
    groups = [[int(i) for i in joined.split()] for joined in documents_per_topic.Document.values]
    matrix = word_counts.joined_counts(model.vectorizer_model, counts, groups)
    return model.ctfidf_model.transform(matrix), model.vectorizer_model.get_feature_names_out()


def topics_per_class(model: Any, docs: list[str], topics: list[int], labels: list[str], classes: list[str], top_n: int,
                     reports: list[str] | None = None, counts_cache: Any = None) -> Any:
    """How often each class (role, speaker, session) speaks of each topic: BERTopic's chart or a plain bar chart.

    With `reports` (each doc's report), each doc's word counts are kept per report in `counts_cache`."""
    title = "<b>Topics per class</b>"
    if model is not None and len(set(topics) - {-1}) >= 1:
        try:
            model.topics_ = list(topics)
            counts = None
            if reports is not None and _sliced_counts_apply(model) and word_counts.applies(model.vectorizer_model):
                counts = word_counts.kept_statement_counts(model.vectorizer_model, model._preprocess_text, docs,
                                                           reports, counts_cache)
            table = _words_per_class(model, docs, classes, counts)
            return model.visualize_topics_per_class(table, top_n_topics=top_n, title=title)
        except Exception as exc:
            log.warning("BERTopic's topics per class failed (%s); drawing a plain bar chart instead", exc)
    return _plain_topics_per_class(labels, classes, title)


def interactive_figures(model: Any, statement_themes: pd.DataFrame, embeddings: np.ndarray, row_of: dict[str, int],
                        params: FiguresParams, counts_cache: Any = None) -> dict[str, str]:
    """The interactive HTML pages by name, from the fitted topic model, the statements' themes (with
    their text) and the statement embeddings.

    `row_of` maps statement_id to its row in `embeddings`; statements are taken in
    statement_id order so the output does not depend on the input's row order.
    `counts_cache` (a ResultCache) keeps each report's word counts for the topics
    per class (`pipeline.report.word_counts`).
    """
    st = statement_themes.sort_values("statement_id", kind="mergesort")
    missing = [s for s in st["statement_id"] if s not in row_of]
    if missing:
        raise ValueError(f"{len(missing)} statement(s) have no embedding, e.g. {missing[0]}")
    ids = st["statement_id"].tolist()
    docs = st["text"].astype(str).tolist()
    topics = [int(t) for t in st["topic"]]
    labels = st["topic_label"].astype(str).tolist()
    classes = speaker_or_unattributed(st[params.topics_per_class_by]).tolist()
    shown = map_sample(len(st), params.max_map_points, params.seed)
    # only the drawn statements' vectors are read (a million of them would be a 1.5 GB copy)
    vectors = embeddings[[row_of[ids[i]] for i in shown]] if len(st) else np.zeros((0, 2))
    # BERTopic's charts read the model's `topics_`; set it to these statements' order, then put it back
    original = getattr(model, "topics_", None)
    try:
        return {
            "topics_per_class": plotly_html(
                topics_per_class(model, docs, topics, labels, classes, params.top_n_topics,
                                 reports=st["report_id"].astype(str).tolist(), counts_cache=counts_cache),
                "topics-per-class"
            ),
            "topic_map": plotly_html(topic_map(model, [docs[i] for i in shown], [topics[i] for i in shown],
                                               [labels[i] for i in shown], vectors, seed=params.seed,
                                               of=len(st)), "topic-map"),
        }
    finally:
        if model is not None:
            model.topics_ = original


def load_topic_model(model_dir: str | Path) -> Any | None:
    """The BERTopic model the topics stage saved, or None when it saved none.

    The topics stage saves no model for a corpus too small to fit one; the
    charts then fall back to plain plotly charts of the same data.
    """
    from pipeline.topics.store import load_model

    return load_model(model_dir)
