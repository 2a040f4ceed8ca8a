"""`python -m pipeline segments`: read statements, vectors and themes; write the agenda tables."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from pipeline.cli_support import one_line_errors

log = logging.getLogger(__name__)


@one_line_errors
def command(
    statements: Path = typer.Option(..., "--statements", help="statements.csv (segment stage)"),
    embeddings: Path = typer.Option(..., "--embeddings", help="embeddings.npy (embed stage)"),
    embedding_ids: Path = typer.Option(..., "--embedding-ids", help="embedding_ids.csv (embed stage)"),
    statement_themes: Path = typer.Option(..., "--statement-themes", help="statement_themes.csv (topics stage)"),
    codebook: Path = typer.Option(..., "--codebook", help="codebook YAML (theme order, procedural themes)"),
    params: Path = typer.Option(..., "--params", help="params.yaml (section `segments`)"),
    segments: Path = typer.Option(..., "--segments", help="out: segments.csv, one row per segment"),
    segment_themes: Path = typer.Option(..., "--segment-themes", help="out: segment x theme counts and shares"),
    statement_segments: Path = typer.Option(..., "--statement-segments", help="out: each statement's segment"),
    cache_dir: Path | None = typer.Option(None, "--cache", help="Folder keeping each report's cut across runs."),
) -> None:
    """Cut each report into its agenda: contiguous segments with a label, a theme and speakers."""
    from pipeline.codebook import load_codebook
    from pipeline.contract import SEGMENT_THEMES, SEGMENTS, STATEMENT_SEGMENTS, STATEMENT_THEMES, STATEMENTS
    from pipeline.embed.store import load_embeddings
    from pipeline.errors import InputError
    from pipeline.params import load_section
    from pipeline.segments.core import build_segments, segments_cache
    from pipeline.segments.params import SegmentsParams
    from pipeline.tableio import read_table, write_table
    from pipeline.tables.themes import ThemeColumns

    try:
        p = load_section(params, "segments", SegmentsParams)
    except ValueError as exc:
        raise InputError(params, str(exc)) from None
    # only the columns the segments use: at a million statements the others cost gigabytes
    st = read_table(statements, STATEMENTS, columns=("report_id", "statement_id", "seq", "speaker", "text",
                                                     "line_start", "line_end"))
    themed = read_table(statement_themes, STATEMENT_THEMES, columns=("statement_id", "theme"))
    vectors = load_embeddings(embeddings, embedding_ids, st["statement_id"].tolist())
    result = build_segments(
        st, vectors, themed, themes=ThemeColumns.from_codebook(load_codebook(codebook)), params=p,
        source=statement_themes, cache=segments_cache(cache_dir, p) if cache_dir is not None else None,
    )
    write_table(result.segments, segments, SEGMENTS)
    write_table(result.segment_themes, segment_themes, SEGMENT_THEMES)
    write_table(result.statement_segments, statement_segments, STATEMENT_SEGMENTS)
    log.info("segments: %d segment(s) in %d report(s) -> %s", len(result.segments),
             result.segments["report_id"].nunique(), segments)
