"""The `export` stage: one spreadsheet workbook with a sheet per table, safe to open.

Analysts paste these tables into their own reports, so each sheet has
readable headers (theme names from the codebook, not ids), column widths that
fit the content, a frozen header row and a filter. A statement that begins with
=, +, - or @ would run as a formula in a spreadsheet: every text cell goes
through `tableio.neutralise_cell`, the same guard the CSVs use, and is stored
as a string. The file is byte-identical on rerun (fixed timestamps in the
document properties and in the zip entries), so DVC does not see a change
where there is none.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import typer
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from pipeline.cli_support import one_line_errors
from pipeline.explore import Processed, readable, segment_of, speaker_or_unattributed
from pipeline.tableio import neutralise_cell

log = logging.getLogger(__name__)

FIXED_TIME = dt.datetime(2020, 1, 1, 0, 0, 0)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F0")
SHEET_ROWS = 1_048_576  # the most rows a spreadsheet sheet holds (Excel, LibreOffice)

# Readable headers for the contract's columns (theme columns take the codebook's names).
HEADERS = {
    "report_id": "Report",
    "statement_id": "Statement",
    "seq": "No.",
    "speaker_label": "Speaker as written",
    "line_start": "First line",
    "line_end": "Last line",
    "n_statements": "Statements",
    "n_substantive": "Substantive statements",
    "n_procedural": "Procedural statements",
    "theme_score": "Theme score",
    "topic_label": "Topic label",
    "top_words": "Top words",
    "representative_statements": "Representative statements",
    "themes": "All themes",
    "size": "Statements",
    "first_statement_id": "First statement",
    "last_statement_id": "Last statement",
    "theme_share": "Theme share",
    "theme_shares": "Theme shares (substantive statements)",
    "speakers": "Speakers (most statements first)",
}


@dataclass(frozen=True)
class ExportParams:
    """The `export` section of params.yaml."""

    # widest a column gets, in characters (longer text wraps)
    max_column_width: int = 80
    # decimals shown for shares and scores (values keep full precision)
    decimals: int = 3
    # rows of the Statements sheet at most (a sheet holds 1,048,576 rows, the header included);
    # past it the sheet keeps the first rows in statement order and statement_themes.csv has them all
    max_statement_rows: int = SHEET_ROWS - 1


def header(column: str, p: Processed) -> str:
    """A column's header for people: the theme's name, or the column in words."""
    if column in p.theme_names:
        return p.theme_names[column]
    return HEADERS.get(column) or readable(column)


def sheets(p: Processed, max_statement_rows: int = SHEET_ROWS - 1) -> dict[str, pd.DataFrame]:
    """The workbook's sheets in order, by sheet name (at most 31 characters, as spreadsheets require).

    Every sheet is an aggregate except Statements (one row per statement): it
    keeps at most `max_statement_rows` rows (never past a sheet's 1,048,576),
    with a warning naming statement_themes.csv, which holds every statement.
    """
    limit = min(max_statement_rows, SHEET_ROWS - 1)
    base = p.statements
    if len(base) > limit:
        log.warning("export: %d statements; the Statements sheet keeps the first %d (a sheet holds %d rows): "
                    "every statement is in statement_themes.csv", len(base), limit, SHEET_ROWS)
        base = base.iloc[:limit]
    statements = base.merge(
        p.statement_themes[["statement_id", "topic", "topic_label", "theme", "theme_score", "themes"]],
        on="statement_id", how="left",
    )
    statements["theme"] = statements["theme"].map(lambda t: p.theme_name(t) if isinstance(t, str) else t)
    statements["speaker"] = speaker_or_unattributed(statements["speaker"])
    segment_sheets: dict[str, pd.DataFrame] = {}
    if p.statement_segments is not None:
        statements.insert(statements.columns.get_loc("seq") + 1, "segment",
                          statements["statement_id"].map(segment_of(p)).astype("Int64"))
    if p.segments is not None:
        segment_sheets["Segments"] = p.segments.assign(theme=p.segments["theme"].map(p.theme_name))
    if p.segment_themes is not None:
        segment_sheets["Segment × theme"] = p.segment_themes.assign(theme=p.segment_themes["theme"].map(p.theme_name))
    quote_bank = p.quote_bank.assign(theme=p.quote_bank["theme"].map(p.theme_name))
    if p.statement_segments is not None:
        quote_bank.insert(quote_bank.columns.get_loc("statement_id") + 1, "segment",
                          quote_bank["statement_id"].map(segment_of(p)).astype("Int64"))
    topics = p.topics.assign(theme=p.topics["theme"].map(p.theme_name))
    return {
        "Sessions": p.sessions,
        "Speakers": p.speakers,
        "Statements": statements,
        **segment_sheets,
        "Speaker × theme": p.speaker_counts,
        "Speaker × theme (shares)": p.speaker_shares,
        "Role × theme": p.role_counts,
        "Role × theme (shares)": p.role_shares,
        "Session × theme": p.session_counts,
        "Session × theme (shares)": p.session_shares,
        "Quote bank": quote_bank,
        "Topics": topics,
    }


def _cell_value(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    return neutralise_cell(value)


def _display_width(value: object) -> int:
    return max((len(line) for line in str(value).split("\n")), default=0)


def add_sheet(wb: Workbook, title: str, df: pd.DataFrame, p: Processed, params: ExportParams) -> None:
    """One table as a sheet: bold frozen header, filter, widths from the content, long text wrapped."""
    ws = wb.create_sheet(title)
    headers = [header(str(c), p) for c in df.columns]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    float_cols = {i for i, c in enumerate(df.columns) if pd.api.types.is_float_dtype(df[c])}
    number_format = "0." + "0" * params.decimals if params.decimals > 0 else "0"
    widths = [_display_width(h) for h in headers]
    # Cells are made and placed directly, each column's kept in a list for the style pass below:
    # what `ws.append` and `ws.iter_rows` do, without their per-cell lookups (most of the
    # stage's time at scale). The sheet's XML is the same byte for byte.
    columns: list[list[Cell]] = [[] for _ in df.columns]
    placed = ws._cells
    for row_no, record in enumerate(df.itertuples(index=False, name=None), start=2):
        for i, value in enumerate(record):
            v = _cell_value(value)
            cell = Cell(ws, row=row_no, column=i + 1, value=v)
            placed[(row_no, i + 1)] = cell
            columns[i].append(cell)
            if v is not None:
                widths[i] = max(widths[i], _display_width(v) if not isinstance(v, float) else params.decimals + 3)
    ws._current_row = len(df) + 1  # where `ws.append` would write next, as if it had written the rows
    for i, _ in enumerate(df.columns):
        column = ws.column_dimensions[get_column_letter(i + 1)]
        column.width = min(params.max_column_width, max(6, widths[i] + 2))
        wrap = widths[i] > params.max_column_width
        for cell in columns[i]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text
                if wrap:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
            elif i in float_cols and cell.value is not None:
                cell.number_format = number_format
    ws.freeze_panes = "A2"
    if len(df.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{max(1, len(df) + 1)}"


def build_workbook(p: Processed, params: ExportParams) -> Workbook:
    """The workbook of every analyst table, one sheet each."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, df in sheets(p, params.max_statement_rows).items():
        add_sheet(wb, title, df, p, params)
    wb.properties.creator = "session-themes"
    wb.properties.created = FIXED_TIME
    return wb


def workbook_bytes(wb: Workbook) -> bytes:
    """The .xlsx file's bytes with fixed timestamps, so reruns give identical files."""
    raw = io.BytesIO()
    # stored, not deflated: every entry is compressed once, below, where the timestamps are fixed
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED, allowZip64=True)).save()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", data)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, data)
    return out.getvalue()


def export_workbook(p: Processed, params: ExportParams) -> bytes:
    """The core of the stage: processed tables in, .xlsx bytes out."""
    return workbook_bytes(build_workbook(p, params))


@one_line_errors
def command(
    statements: Path = typer.Option(..., "--statements", help="statements.csv (segment)"),
    sessions: Path = typer.Option(..., "--sessions", help="sessions.csv (segment)"),
    speakers: Path = typer.Option(..., "--speakers", help="speakers.csv (segment)"),
    statement_themes: Path = typer.Option(..., "--statement-themes", help="statement_themes.csv (topics)"),
    topics: Path = typer.Option(..., "--topics", help="topics.csv (topics)"),
    speaker_themes: Path = typer.Option(..., "--speaker-themes", help="speaker_themes.csv (tables)"),
    speaker_counts: Path = typer.Option(..., "--speaker-counts", help="speaker_theme_counts.csv (tables)"),
    speaker_shares: Path = typer.Option(..., "--speaker-shares", help="speaker_theme_shares.csv (tables)"),
    role_counts: Path = typer.Option(..., "--role-counts", help="role_theme_counts.csv (tables)"),
    role_shares: Path = typer.Option(..., "--role-shares", help="role_theme_shares.csv (tables)"),
    session_counts: Path = typer.Option(..., "--session-counts", help="session_theme_counts.csv (tables)"),
    session_shares: Path = typer.Option(..., "--session-shares", help="session_theme_shares.csv (tables)"),
    quote_bank: Path = typer.Option(..., "--quote-bank", help="quote_bank.csv (tables)"),
    segments: Path | None = typer.Option(None, "--segments", help="segments.csv (segments); omit: no segment sheets"),
    segment_themes: Path | None = typer.Option(None, "--segment-themes", help="segment_themes.csv (segments)"),
    statement_segments: Path | None = typer.Option(None, "--statement-segments",
                                                   help="statement_segments.csv (segments)"),
    codebook: Path = typer.Option(..., "--codebook", help="codebook YAML (theme names for headers)"),
    params: Path = typer.Option(..., "--params", help="params.yaml (section `export`)"),
    out: Path = typer.Option(..., "--out", help="out: the .xlsx workbook"),
) -> None:
    """Spreadsheet workbook: a sheet per table, readable headers, formula-safe cells."""
    from pipeline.explore import load_tables, theme_names_from
    from pipeline.params import load_section

    export_params = load_section(params, "export", ExportParams)
    p = load_tables(
        dict(statements=statements, sessions=sessions, speakers=speakers, statement_themes=statement_themes,
             topics=topics, speaker_themes=speaker_themes, speaker_counts=speaker_counts,
             speaker_shares=speaker_shares, role_counts=role_counts, role_shares=role_shares,
             session_counts=session_counts, session_shares=session_shares, quote_bank=quote_bank,
             segments=segments, segment_themes=segment_themes, statement_segments=statement_segments),
        theme_names_from(codebook),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(export_workbook(p, export_params))
    log.info("export: %d sheets -> %s", len(sheets(p)), out)
