"""`python -m pipeline report`: the browsable HTML report, its pictures and interactive charts."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipeline.cli_support import one_line_errors

if TYPE_CHECKING:  # pragma: no cover
    from pipeline.explore import Processed
    from pipeline.report.build import ReportParams
    from pipeline.result_cache import ResultCache

log = logging.getLogger(__name__)

# the only columns of the per-statement tables that the report reads (counts come from the tables stage)
REPORT_COLUMNS = {
    "statements": ("statement_id", "report_id", "role"),
    # the statements' text only the interactive charts use: `render` reads it in their process
    "statement_themes": ("statement_id", "report_id", "speaker", "role", "topic", "topic_label"),
}


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
) -> None:
    """Browsable HTML report: corpus page, a page per session, pictures and interactive charts."""
    from pipeline.explore import load_tables, theme_names_from
    from pipeline.params import load_section
    from pipeline.report.build import ReportParams

    report_params = load_section(params, "report", ReportParams)
    p = load_tables(
        dict(statements=statements, sessions=sessions, speakers=speakers, statement_themes=statement_themes,
             topics=topics, speaker_themes=speaker_themes, speaker_counts=speaker_counts,
             speaker_shares=speaker_shares, role_counts=role_counts, role_shares=role_shares,
             session_counts=session_counts, session_shares=session_shares, quote_bank=quote_bank,
             segments=segments, segment_themes=segment_themes, statement_segments=statement_segments),
        theme_names_from(codebook),
        columns=REPORT_COLUMNS,
    )
    from pipeline.report.page_cache import page_cache

    files = render(p, topic_model, embeddings, embedding_ids, report_params, statement_themes=statement_themes,
                   page_cache=page_cache(cache_dir, report_params) if cache_dir is not None else None)
    write_files(files, out)
    log.info("report: %d session page(s) -> %s", len(p.sessions), out / "index.html")


def render(p: Processed, topic_model: Path, embeddings: Path, embedding_ids: Path, params: ReportParams,
           statement_themes: Path | None = None, page_cache: ResultCache | None = None) -> dict[str, bytes]:
    """Load the vectors of the statements, then render the report; the fitted model is loaded (and the
    interactive charts drawn) in a background process meanwhile.

    When `p.statement_themes` lacks the statements' text (read without it: the pages never show
    it), the charts' process reads it from `statement_themes`, so the stage's own process and
    its page workers never hold a million texts.
    """
    import dataclasses

    from pipeline.contract import STATEMENT_THEMES
    from pipeline.embed.store import load_embeddings
    from pipeline.errors import InputError
    from pipeline.figures import interactive_figures, load_topic_model
    from pipeline.report.background import in_background
    from pipeline.report.build import render_report
    from pipeline.tableio import read_table

    ids = sorted(p.statement_themes["statement_id"])
    vectors = load_embeddings(embeddings, embedding_ids, ids)
    row_of = {s: i for i, s in enumerate(ids)}

    def with_texts() -> Processed:
        if "text" in p.statement_themes.columns:
            return p
        if statement_themes is None:
            raise ValueError("render: statement_themes lacks the text column and no file to read it from")
        texts = read_table(statement_themes, STATEMENT_THEMES, columns=("statement_id", "text"))
        if not texts["statement_id"].reset_index(drop=True).equals(p.statement_themes["statement_id"].reset_index(drop=True)):
            raise InputError(statement_themes, "changed while the report was drawn (rerun dvc repro)")
        return dataclasses.replace(p, statement_themes=p.statement_themes.assign(text=texts["text"].to_numpy()))

    def charts() -> dict[str, str]:  # BERTopic's import and charts, in a child while the pages are drawn
        return interactive_figures(load_topic_model(topic_model), with_texts(), vectors, row_of, params.figures)

    with in_background(charts) as pending:
        return render_report(p, None, vectors, row_of, params, interactive=pending.result, page_cache=page_cache)
