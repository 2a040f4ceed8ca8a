"""`python -m pipeline report`: the browsable HTML report, its pictures and interactive charts."""

from __future__ import annotations

import functools
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import typer

from pipeline.cli_support import one_line_errors

if TYPE_CHECKING:  # pragma: no cover
    from pipeline.explore import Processed
    from pipeline.figures import FiguresParams
    from pipeline.report.build import ReportParams
    from pipeline.result_cache import ResultCache

log = logging.getLogger(__name__)

# the only columns of the per-statement tables that the report reads (counts come from the tables stage)
REPORT_COLUMNS = {
    "statements": ("statement_id", "report_id", "role"),
    # the statements' text only the interactive charts use: `draw_charts` reads it in their process
    "statement_themes": ("statement_id", "report_id", "speaker", "role", "topic", "topic_label"),
}
# what the charts' process reads of statement_themes
CHART_COLUMNS = ("statement_id", "report_id", "speaker", "role", "topic", "topic_label", "text")


def write_files(files: dict[str, bytes], out: Path) -> None:
    """Replace `out` with exactly these files (no stale page of a removed session stays)."""
    if out.exists():
        shutil.rmtree(out)
    for rel, content in sorted(files.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


@one_line_errors
def command(
    statements: Path = typer.Option(..., "--statements", help="statements.csv (segment)"),
    sessions: Path = typer.Option(..., "--sessions", help="sessions.csv (segment)"),
    speakers: Path = typer.Option(..., "--speakers", help="speakers.csv (segment)"),
    statement_themes: Path = typer.Option(..., "--statement-themes", help="statement_themes.csv (topics)"),
    topics: Path = typer.Option(..., "--topics", help="topics.csv (topics)"),
    topic_model: Path = typer.Option(..., "--topic-model", help="topic_model/ folder (topics)"),
    embeddings: Path = typer.Option(..., "--embeddings", help="embeddings.npy (embed)"),
    embedding_ids: Path = typer.Option(..., "--embedding-ids", help="embedding_ids.csv (embed)"),
    speaker_themes: Path = typer.Option(..., "--speaker-themes", help="speaker_themes.csv (tables)"),
    speaker_counts: Path = typer.Option(..., "--speaker-counts", help="speaker_theme_counts.csv (tables)"),
    speaker_shares: Path = typer.Option(..., "--speaker-shares", help="speaker_theme_shares.csv (tables)"),
    role_counts: Path = typer.Option(..., "--role-counts", help="role_theme_counts.csv (tables)"),
    role_shares: Path = typer.Option(..., "--role-shares", help="role_theme_shares.csv (tables)"),
    session_counts: Path = typer.Option(..., "--session-counts", help="session_theme_counts.csv (tables)"),
    session_shares: Path = typer.Option(..., "--session-shares", help="session_theme_shares.csv (tables)"),
    quote_bank: Path = typer.Option(..., "--quote-bank", help="quote_bank.csv (tables)"),
    segments: Path | None = typer.Option(None, "--segments", help="segments.csv (segments); omit: no agenda"),
    segment_themes: Path | None = typer.Option(None, "--segment-themes", help="segment_themes.csv (segments)"),
    statement_segments: Path | None = typer.Option(None, "--statement-segments",
                                                   help="statement_segments.csv (segments)"),
    codebook: Path = typer.Option(..., "--codebook", help="codebook YAML (theme names)"),
    params: Path = typer.Option(..., "--params", help="params.yaml (section `report`)"),
    out: Path = typer.Option(..., "--out", help="out: report folder (index.html, session pages, charts)"),
    cache_dir: Path | None = typer.Option(None, "--cache", help="Folder keeping session pages across runs "
                                                                  "(a page is drawn again only when its rows change)."),
    counts_dir: Path | None = typer.Option(None, "--counts-cache", help="Folder keeping each report's word counts "
                                                                        "for the topics-per-class chart."),
) -> None:
    """Browsable HTML report: corpus page, a page per session, pictures and interactive charts."""
    from pipeline.explore import load_tables, theme_names_from
    from pipeline.params import load_section
    from pipeline.report.background import in_background
    from pipeline.report.build import ReportParams, render_report
    from pipeline.report.page_cache import page_cache

    report_params = load_section(params, "report", ReportParams)
    # the charts' process starts first: BERTopic's import (the stage's longest step) runs while this one reads
    # the tables and draws the pages
    charts = functools.partial(draw_charts, topic_model, statement_themes, embeddings, embedding_ids,
                               report_params.figures, counts_dir)
    with in_background(charts) as pending:
        p = load_tables(
            dict(statements=statements, sessions=sessions, speakers=speakers, statement_themes=statement_themes,
                 topics=topics, speaker_themes=speaker_themes, speaker_counts=speaker_counts,
                 speaker_shares=speaker_shares, role_counts=role_counts, role_shares=role_shares,
                 session_counts=session_counts, session_shares=session_shares, quote_bank=quote_bank,
                 segments=segments, segment_themes=segment_themes, statement_segments=statement_segments),
            theme_names_from(codebook),
            columns=REPORT_COLUMNS,
        )
        files = render_report(p, None, None, {}, report_params, interactive=pending.result,
                              page_cache=page_cache(cache_dir, report_params) if cache_dir is not None else None)
    write_files(files, out)
    log.info("report: %d session page(s) -> %s", len(p.sessions), out / "index.html")


def draw_charts(topic_model: Path, statement_themes: Path | pd.DataFrame, embeddings: Path, embedding_ids: Path,
                figures: FiguresParams, counts_dir: Path | None = None) -> dict[str, str]:
    """The interactive charts from the stage's files (`statement_themes` may be the table itself, with its
    text): the fitted model loaded first, then only the columns and vectors the charts use. With
    `counts_dir`, each report's word counts are kept there (`pipeline.report.word_counts`)."""
    from pipeline.contract import STATEMENT_THEMES
    from pipeline.embed.store import load_embeddings
    from pipeline.figures import interactive_figures, load_topic_model
    from pipeline.tableio import read_table

    model = load_topic_model(topic_model)
    st = (statement_themes if isinstance(statement_themes, pd.DataFrame)
          else read_table(statement_themes, STATEMENT_THEMES, columns=CHART_COLUMNS))
    ids = sorted(st["statement_id"])
    vectors = load_embeddings(embeddings, embedding_ids, ids)
    cache = None
    if counts_dir is not None and model is not None:
        from pipeline.report.word_counts import counts_cache

        cache = counts_cache(counts_dir)
    return interactive_figures(model, st, vectors, {s: i for i, s in enumerate(ids)}, figures, counts_cache=cache)


def render(p: Processed, topic_model: Path, embeddings: Path, embedding_ids: Path, params: ReportParams,
           page_cache: ResultCache | None = None) -> dict[str, bytes]:
    """The report of tables already read (`p.statement_themes` with its text); the fitted model is loaded
    (and the interactive charts drawn) in a background process meanwhile."""
    from pipeline.report.background import in_background
    from pipeline.report.build import render_report

    charts = functools.partial(draw_charts, topic_model, p.statement_themes, embeddings, embedding_ids, params.figures)
    with in_background(charts) as pending:
        return render_report(p, None, None, {}, params, interactive=pending.result, page_cache=page_cache)
