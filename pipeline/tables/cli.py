"""`python -m pipeline tables`: read statement themes, write the theme tables, plots and metrics."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer

from pipeline.cli_support import one_line_errors
from pipeline.codebook import load_codebook
from pipeline.contract import (
    QUOTE_BANK,
    ROLE_THEME_COUNTS,
    ROLE_THEME_SHARES,
    SESSION_THEME_COUNTS,
    SESSION_THEME_SHARES,
    SPEAKER_THEME_COUNTS,
    SPEAKER_THEME_SHARES,
    SPEAKER_THEMES,
    STATEMENT_THEMES,
    STATEMENTS,
    THEME_SHARE_BY_ROLE,
    THEME_SHARE_BY_SPEAKER,
)
from pipeline.params import load_section
from pipeline.tableio import read_table, write_table
from pipeline.tables.core import TablesParams, build_tables
from pipeline.tables.quotes import PROVENANCE
from pipeline.tables.themes import ThemeColumns

log = logging.getLogger(__name__)

THEMED_COLUMNS = ("statement_id", "report_id", "speaker", "role", "text", "topic", "topic_label", "theme",
                  "theme_score", "themes")


def write_metrics(metrics: dict[str, int | float], path: Path) -> None:
    """Sorted keys, fixed indent, trailing newline: byte-identical on rerun."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")


@one_line_errors
def command(
    statement_themes: Path = typer.Option(..., "--statement-themes", help="statement_themes.csv from `topics`"),
    statements: Path = typer.Option(..., "--statements", help="statements.csv from `segment` (provenance)"),
    codebook: Path = typer.Option(..., "--codebook", help="codebook YAML (theme order)"),
    params: Path = typer.Option(..., "--params", help="params.yaml (section `tables`)"),
    speaker_themes: Path = typer.Option(..., "--speaker-themes", help="out: long speaker x theme"),
    speaker_counts: Path = typer.Option(..., "--speaker-counts", help="out: wide speaker x theme counts"),
    speaker_shares: Path = typer.Option(..., "--speaker-shares", help="out: wide speaker x theme shares"),
    role_counts: Path = typer.Option(..., "--role-counts", help="out: wide role x theme counts"),
    role_shares: Path = typer.Option(..., "--role-shares", help="out: wide role x theme shares"),
    session_counts: Path = typer.Option(..., "--session-counts", help="out: wide session x theme counts"),
    session_shares: Path = typer.Option(..., "--session-shares", help="out: wide session x theme shares"),
    quote_bank: Path = typer.Option(..., "--quote-bank", help="out: top statements per theme and speaker"),
    plot_by_role: Path = typer.Option(..., "--plot-by-role", help="out: plot data, theme share by role"),
    plot_by_speaker: Path = typer.Option(..., "--plot-by-speaker", help="out: plot data, theme share by speaker"),
    metrics: Path = typer.Option(..., "--metrics", help="out: metrics JSON for `dvc metrics show`"),
) -> None:
    """Per-speaker, per-role and per-session theme tables, quote bank, plots and metrics."""
    tables_params = load_section(params, "tables", TablesParams)
    themes = ThemeColumns.from_codebook(load_codebook(codebook))
    # only the columns the tables use (a million statements' texts are held once, from statement_themes)
    themed = read_table(statement_themes, STATEMENT_THEMES, columns=THEMED_COLUMNS)
    segmented = read_table(statements, STATEMENTS, columns=("statement_id", "seq", *PROVENANCE))
    result = build_tables(themed, segmented, themes=themes, params=tables_params, source=statement_themes)

    write_table(result.speaker_themes, speaker_themes, SPEAKER_THEMES)
    write_table(result.speaker_counts, speaker_counts, SPEAKER_THEME_COUNTS)
    write_table(result.speaker_shares, speaker_shares, SPEAKER_THEME_SHARES)
    write_table(result.role_counts, role_counts, ROLE_THEME_COUNTS)
    write_table(result.role_shares, role_shares, ROLE_THEME_SHARES)
    write_table(result.session_counts, session_counts, SESSION_THEME_COUNTS)
    write_table(result.session_shares, session_shares, SESSION_THEME_SHARES)
    write_table(result.quote_bank, quote_bank, QUOTE_BANK)
    write_table(result.plot_by_role, plot_by_role, THEME_SHARE_BY_ROLE)
    write_table(result.plot_by_speaker, plot_by_speaker, THEME_SHARE_BY_SPEAKER)
    write_metrics(result.metrics, metrics)
    m = result.metrics
    log.info(
        "tables: %d statements, %d speakers, %d reports; %d of %d themes covered",
        m["statements"],
        m["speakers"],
        m["reports"],
        m["themes_covered"],
        m["themes_in_codebook"],
    )
