"""Render the browsable report from the processed tables: a corpus page and one page per session.

The report must open from disk on any machine, offline: CSS and the small
sorting script are inline, pictures are embedded as base64 data URIs, and the
interactive charts are written beside it with plotly.js inlined. Every piece of
report text goes through Jinja2's autoescaping, because statements are quoted
verbatim and may hold markup (a `<script>` in a comment must show, not run).
"""

from __future__ import annotations

import base64
import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from pipeline.contract import ROLES
from pipeline.errors import InputError
from pipeline.explore import (
    Processed,
    corpus_overview,
    outlier_share,
    readable,
    role_theme_shares,
    segment_of,
    session_segments,
    speaker_or_unattributed,
    speaker_theme_matrix,
)
from pipeline.figures import FiguresParams, top_speakers
from pipeline.result_cache import ResultCache

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
STATIC_CAPTIONS = {
    "speaker_theme_heatmap": "Statements per speaker and theme (counts).",
    "theme_shares_by_session": "Theme shares per session (substantive statements).",
    "theme_shares_by_role": "Theme shares per role (substantive statements).",
}
INTERACTIVE_TITLES = {
    "topics_per_class": "Topics per class (BERTopic): which emergent topics each group speaks of",
    "topic_map": "Topic map: every statement placed by its embedding, coloured by topic",
}


@dataclass(frozen=True)
class ReportParams:
    """The `report` section of params.yaml (its `figures` subsection drives the pictures)."""

    title: str = "Session themes"
    # quotes per theme on a session page, best-scoring first (the quote bank holds the candidates)
    quotes_per_theme: int = 6
    # speakers listed in the corpus page's speaker x theme table (most statements first); past it the
    # page says how many are left out (speaker_theme_counts.csv lists all, session pages list theirs)
    max_index_speakers: int = 1000
    figures: FiguresParams = field(default_factory=FiguresParams)
    # processes that draw and render the session pages side by side (1: in the stage's process);
    # the pages are the same bytes whatever the number
    workers: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.workers, int) or isinstance(self.workers, bool) or self.workers < 1:
            raise InputError("params report", f"workers must be a whole number >= 1, not {self.workers!r}")


def data_uri(png: bytes) -> str:
    """A PNG as a data: URI, so the page needs no file beside it."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def page_name(report_id: str) -> str:
    """A session page's file name: the report id reduced to safe characters."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", str(report_id)).strip("-.") or "session"
    return f"session-{slug}.html"


def _cell(value: object, *, link: str = "", decimals: int = 2) -> dict[str, object]:
    """One table cell: numbers right-aligned with a sortable value, text as is (escaped by Jinja2)."""
    cell: dict[str, object] = {"text": "", "link": "", "numeric": False, "value": "", "zero": False}
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        cell.update(numeric=True, zero=True)
    elif isinstance(value, bool):
        cell.update(text="yes" if value else "no")
    elif isinstance(value, int | float):
        text = f"{value}" if isinstance(value, int) else f"{value:.{decimals}f}"
        cell.update(text=text, numeric=True, value=f"{float(value):.6f}", zero=float(value) == 0)
    else:
        cell.update(text=str(value), link=link)
    return cell


def table_view(df: pd.DataFrame, *, index: bool = False, links: dict[str, list[str]] | None = None,
               decimals: int = 2) -> dict[str, object]:
    """A DataFrame as headers and rows of cells for the `table` macro."""
    frame = df.reset_index() if index else df
    links = links or {}
    rows = []
    for i, record in enumerate(frame.itertuples(index=False, name=None)):
        row = []
        for col, value in zip(frame.columns, record, strict=True):
            if hasattr(value, "item"):  # numpy scalar -> Python
                value = value.item()
            link = links[col][i] if col in links else ""
            row.append(_cell(value, link=link, decimals=decimals))
        rows.append(row)
    headers = [str(c) for c in frame.columns]
    if index and headers:
        headers[0] = readable(headers[0])
    return {"headers": headers, "rows": rows}


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def _where(row: Mapping[str, Any], segment: int | None = None) -> str:
    """Provenance of a quote in words: report, segment, section, page and lines."""
    parts = [str(row["report_id"])]
    if segment is not None:
        parts.append(f"segment {segment}")
    parts.append(str(row["section"]).replace("_", " "))
    if not pd.isna(row["page"]):
        parts.append(f"page {int(row['page'])}")
    start, end = int(row["line_start"]), int(row["line_end"])
    parts.append(f"line {start}" if start == end else f"lines {start}–{end}")
    parts.append(str(row["statement_id"]))
    return " · ".join(parts)


def quotes_by_session(p: Processed) -> dict[str, pd.DataFrame]:
    """The quote bank split by session, each part best first (score, then statement id)."""
    qb = p.quote_bank.sort_values(["theme_score", "statement_id"], ascending=[False, True], kind="mergesort")
    return {str(r): part for r, part in qb.groupby("report_id", sort=False)}


def session_quotes(p: Processed, report_id: str, per_theme: int, segments: dict[str, int] | None = None,
                   quotes: pd.DataFrame | None = None) -> list[dict[str, object]]:
    """Quotes of one session grouped by theme (codebook order, `other` last), best first.

    When rendering many sessions, pass `segments` (`segment_of(p)`) and this
    session's part of `quotes_by_session(p)`: both are built once per report,
    not once per session (each spans the whole corpus).
    """
    if quotes is None:
        quotes = quotes_by_session(p).get(report_id, p.quote_bank.iloc[:0])
    if segments is None:
        segments = segment_of(p)
    picked = quotes.groupby("theme", sort=False).head(per_theme)
    picked = picked.assign(_speaker=speaker_or_unattributed(picked["speaker"]))
    by_theme: dict[str, list[dict[str, object]]] = {}
    for r in picked.to_dict("records"):
        by_theme.setdefault(str(r["theme"]), []).append(
            {"text": r["text"], "speaker": r["_speaker"], "role": r["role"],
             "where": _where(r, segments.get(str(r["statement_id"])))})
    return [{"id": theme, "name": p.theme_name(theme), "quotes": by_theme[theme]}
            for theme in p.share_themes if theme in by_theme]


def theme_colours(p: Processed) -> dict[str, str]:
    """A colour per theme, in the order (and palette) of the stacked share charts; procedural grey."""
    import matplotlib
    from matplotlib.colors import to_hex

    palette = matplotlib.colormaps["tab20"].colors
    colours = {t: to_hex(palette[k % len(palette)]) for k, t in enumerate(p.share_themes)}
    colours.update({t: "#bcccdc" for t in p.procedural})
    return colours


def agenda_view(p: Processed, report_id: str) -> dict[str, object]:
    """The session's segments as a timeline (blocks as wide as their statements, coloured by theme) and a table."""
    seg = session_segments(p, report_id)
    colours = theme_colours(p)
    ids = {} if p.segments is None else dict(zip(
        p.segments.loc[p.segments["report_id"] == report_id, "segment"].astype(int),
        p.segments.loc[p.segments["report_id"] == report_id, "theme"], strict=True))
    blocks = [
        {"segment": int(r.segment), "n": int(r.statements), "colour": colours.get(ids[int(r.segment)], "#829ab1"),
         "caption": f"{int(r.segment)}. {r.theme}",
         "title": f"{int(r.segment)}. {r.label} · {r.theme} · {int(r.statements)} statements · {r.speakers}"}
        for r in seg.itertuples(index=False)
    ]
    legend = [{"name": p.theme_name(t), "colour": colours.get(t, "#829ab1")} for t in dict.fromkeys(ids.values())]
    view = seg.rename(columns={"segment": "Segment", "lines": "Lines", "statements": "Statements",
                               "share_of_session": "Share of session", "label": "Label", "theme": "Theme",
                               "theme_share": "Theme share", "speakers": "Speakers (most statements first)"})
    return {"blocks": blocks, "legend": legend, "table": table_view(view)}


def _metadata(session: pd.Series) -> list[dict[str, str]]:
    def text(v: object) -> str:
        return "" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(v)

    time = " – ".join(t for t in (text(session["start_time"]), text(session["end_time"])) if t)
    items = [
        ("Report", session["report_id"]), ("Series", session["series"]), ("Session", session["session"]),
        ("Date", session["date"]), ("Time", time), ("Title", session["title"]), ("Moderator", session["moderator"]),
        ("Keynote speakers", session["keynotes"]), ("Panelists", session["panelists"]),
        ("Panelists' affiliations", session["panelist_affiliations"]),
        ("Participants", session["participants"]), ("Views", session["views"]),
        ("People reached", session["people_reached"]), ("Participation as reported", session["participation"]),
    ]
    return [{"label": label, "value": text(v)} for label, v in items if text(v)]


def _session_heading(session: pd.Series) -> str:
    title = str(session["title"] or "").strip()
    return title or str(session["report_id"])


def render_session(p: Processed, report_id: str, heatmap_png: bytes, params: ReportParams,
                   env: jinja2.Environment, segments: dict[str, int] | None = None,
                   quotes: pd.DataFrame | None = None) -> str:
    """One session's page: metadata, speakers, speaker × theme table and picture, quotes."""
    session = p.sessions[p.sessions["report_id"] == report_id].iloc[0]
    speakers = p.speakers[p.speakers["report_id"] == report_id]
    rank = {r: i for i, r in enumerate(ROLES)}
    speakers = speakers.assign(_rank=speakers["role"].map(rank)).sort_values(["_rank", "speaker"], kind="mergesort")
    speakers_view = speakers[["speaker", "role", "affiliation", "aliases", "n_statements"]].rename(
        columns={"speaker": "Speaker", "role": "Role", "affiliation": "Affiliation", "aliases": "Written as",
                 "n_statements": "Statements"}
    )
    matrix = speaker_theme_matrix(p, report_id, procedural=True)
    return env.get_template("session.html.j2").render(
        report_title=params.title,
        heading=_session_heading(session),
        metadata=_metadata(session),
        speakers=table_view(speakers_view),
        agenda=agenda_view(p, report_id),
        speaker_themes=table_view(matrix, index=True),
        heatmap={"src": data_uri(heatmap_png), "alt": f"Heatmap of statements per speaker and theme, {report_id}",
                 "caption": "Statements per speaker and theme (counts)."},
        quotes=session_quotes(p, report_id, params.quotes_per_theme, segments, quotes),
    )


def render_index(p: Processed, figures: dict[str, bytes], interactive: list[str], params: ReportParams,
                 env: jinja2.Environment) -> str:
    """The corpus page: sessions (linked), pictures, role and speaker tables, topics."""
    overview = corpus_overview(p)
    links = {"Title": [page_name(r) for r in overview["report_id"]]}
    overview = overview.rename(columns={"report_id": "Report", "series": "Series", "session": "Session", "date": "Date",
                                        "title": "Title", "moderator": "Moderator", "speakers": "Speakers",
                                        "statements": "Statements"})
    topics = p.topics[["topic", "label", "theme", "size", "top_words"]].copy()
    topics["theme"] = topics["theme"].map(p.theme_name)
    topics = topics.rename(columns={"topic": "Topic", "label": "Label", "theme": "Theme", "size": "Statements",
                                    "top_words": "Top words"})
    n_speakers = len(p.speakers)
    summary = (
        f"{len(p.sessions)} session(s), {len(p.statements)} statements, {n_speakers} speakers; "
        f"{len(p.themes)} codebook themes; {outlier_share(p):.0%} of statements in no emergent topic."
    )
    figure_views = [
        {"src": data_uri(figures[name]), "alt": STATIC_CAPTIONS[name], "caption": STATIC_CAPTIONS[name]}
        for name in STATIC_CAPTIONS
        if name in figures
    ]
    speakers = speaker_theme_matrix(p)
    shown = top_speakers(speakers, params.max_index_speakers)
    speakers_note = ("" if len(shown) == len(speakers) else
                     f"The {len(shown)} speakers with most statements, of {len(speakers)}; "
                     "speaker_theme_counts.csv lists every speaker, each session page its own.")
    return env.get_template("index.html.j2").render(
        report_title=params.title,
        summary=summary,
        speakers_note=speakers_note,
        sessions=table_view(overview, links=links),
        figures=figure_views,
        roles=table_view(role_theme_shares(p), index=True),
        speakers=table_view(shown, index=True),
        topics=table_view(topics),
        interactive=[{"href": f"{name}.html", "text": INTERACTIVE_TITLES.get(name, name)} for name in interactive],
    )


def _page_renderer(p: Processed, params: ReportParams,
                   env: jinja2.Environment | None = None) -> Callable[[str, bytes], bytes]:
    """report_id, heatmap PNG -> that session's page; what spans the corpus is prepared once, here."""
    env = env or _environment()
    segments = segment_of(p)  # once for all pages: both span the whole corpus
    quotes = quotes_by_session(p)
    none = p.quote_bank.iloc[:0]

    def page(report_id: str, heatmap_png: bytes) -> bytes:
        return render_session(p, report_id, heatmap_png, params, env, segments,
                              quotes.get(report_id, none)).encode("utf-8")

    return page


def session_pages(p: Processed, session_heatmaps: dict[str, bytes], params: ReportParams,
                  env: jinja2.Environment | None = None) -> dict[str, bytes]:
    """Every session's page by file name, in report id order."""
    page = _page_renderer(p, params, env)
    return {page_name(r): page(r, session_heatmaps[r]) for r in sorted(p.sessions["report_id"])}


def build_report(p: Processed, figures: dict[str, bytes], interactive: dict[str, str], params: ReportParams,
                 pages: dict[str, bytes]) -> dict[str, bytes]:
    """Every file of the report folder by relative path: index.html, the session `pages` (rendered
    already, `session_pages`), charts, PNGs."""
    env = _environment()
    files: dict[str, bytes] = {"index.html": render_index(p, figures, sorted(interactive), params, env).encode("utf-8")}
    files.update(pages)
    for name, html in interactive.items():
        files[f"{name}.html"] = html.encode("utf-8")
    for name, png in figures.items():
        files[f"figures/{name}.png"] = png
    return files


def render_report(p: Processed, model: Any, vectors: np.ndarray | None, row_of: dict[str, int],
                  params: ReportParams, *, interactive: Callable[[], dict[str, str]] | None = None,
                  page_cache: ResultCache | None = None) -> dict[str, bytes]:
    """The stage's core (and `analyze`'s): draw every figure, render every page; no file I/O but the cache's.

    `model` is the fitted BERTopic (None draws the plain fallback charts);
    `row_of` maps statement_id to its row of `vectors`. `interactive`, when
    given, supplies the interactive pages instead (the CLI draws them in a
    background process, see `pipeline.report.background`; `vectors` may then be
    None); it is called last.
    With a `page_cache` (`pipeline.report.page_cache`), a session page whose
    rows did not change is read back instead of drawn.
    """
    from pipeline.figures import interactive_figures, session_heatmap, static_figures
    from pipeline.forkpool import forked_map
    from pipeline.report.page_cache import page_keys

    start = time.perf_counter()
    ids = sorted(p.sessions["report_id"])
    page = _page_renderer(p, params)
    keys = page_keys(p, ids) if page_cache is not None else {}
    kept = {r: page_cache.get(keys[r]) for r in ids} if page_cache is not None else {}
    todo = [r for r in ids if kept.get(r) is None]

    def one_session(report_id: str) -> bytes:  # its heatmap and page; in a forked worker with workers > 1
        return page(report_id, session_heatmap(p, report_id, params.figures))

    # the sessions are independent: their pages are drawn by the workers while this process draws the
    # corpus figures; the pages come back in report id order, the same bytes whatever the number of workers
    with forked_map(one_session, todo, params.workers, what="session pages") as drawn:
        static = static_figures(p, params.figures)
        figures_done = time.perf_counter()
        kept.update(zip(todo, drawn(), strict=True))
    if page_cache is not None:
        for r in todo:
            page_cache.put(keys[r], kept[r])
        page_cache.retain_asked()  # every session's page was asked for: the rest are of changed sessions
    pages = {page_name(r): kept[r] for r in ids}
    pages_done = time.perf_counter()
    charts = (interactive() if interactive is not None
              else interactive_figures(model, p.statement_themes, vectors, row_of, params.figures))
    charts_done = time.perf_counter()
    log.info("report: corpus figures %.1f s, %d session page(s) done at %.1f s (%d drawn in %d process(es), "
             "%d read back), interactive charts %s %.1f s", figures_done - start, len(pages), pages_done - start,
             len(todo), min(params.workers, len(todo)) or 1, len(ids) - len(todo),
             "waited for" if interactive is not None else "drawn in", charts_done - pages_done)
    return build_report(p, static, charts, params, pages)
