"""The `export` stage: one spreadsheet workbook with a sheet per table, safe to open.

Analysts paste these tables into their own reports, so each sheet has
readable headers (theme names from the codebook, not ids), column widths that
fit the content, a frozen header row and a filter. A statement that begins with
=, +, - or @ would run as a formula in a spreadsheet: every text cell goes
through `tableio.neutralise_cell`, the same guard the CSVs use, and is stored
as a string. The file is byte-identical on rerun (fixed timestamps in the
document properties and in the zip entries), so DVC does not see a change
where there is none.

openpyxl lays out the workbook (sheets, header rows, styles, widths, panes,
filters); the rows below each header are written as sheet XML by this module,
in chunks of rows, the way openpyxl's writer lays them out (inline strings,
the same escaping and number text): every entry of the file holds the bytes
openpyxl gives from one cell object per table cell (tests/test_export_equivalence.py),
in a fifth of the time and without a cell object per cell in memory (a Statements
sheet holds up to 1,048,575 rows). A sheet's entry is deflated in pieces
(`pipeline.zip_deflate.PieceEntry`), so a rerun reads most rows back deflated
(`pipeline.sheet_rows`).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import typer
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from pipeline import sheet_rows
from pipeline.cli_support import one_line_errors
from pipeline.errors import InputError
from pipeline.explore import Processed, readable, segment_of, speaker_or_unattributed
from pipeline.result_cache import ResultCache
from pipeline.tableio import FORMULA_STARTS, guard_column, neutralise_cell
from pipeline.zip_deflate import Deflated, PieceEntry

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


# what the Statements sheet takes from statement_themes (the rest is in statements.csv)
STATEMENT_THEME_COLUMNS = ("statement_id", "topic", "topic_label", "theme", "theme_score", "themes")


def sheets(p: Processed, max_statement_rows: int = SHEET_ROWS - 1) -> dict[str, pd.DataFrame]:
    """The workbook's sheets in order, by sheet name (at most 31 characters, as spreadsheets require).

    Every sheet is an aggregate except Statements (one row per statement): it
    keeps at most `max_statement_rows` rows (never past a sheet's 1,048,576),
    with a warning naming statement_themes.csv, which holds every statement. No
    sheet passes 1,048,575 rows (an aggregate can, on a large enough corpus): see
    `_within_sheet_rows`, which adds a "Rows left out" sheet whenever one is cut.
    """
    limit = min(max_statement_rows, SHEET_ROWS - 1)
    base = p.statements
    if len(base) > limit:
        log.warning("export: %d statements; the Statements sheet keeps the first %d (a sheet holds %d rows): "
                    "every statement is in statement_themes.csv", len(base), limit, SHEET_ROWS)
        base = base.iloc[:limit]
    statements = base.merge(
        p.statement_themes[list(STATEMENT_THEME_COLUMNS)],
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
    whole = {
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
    return _within_sheet_rows(whole, {"Statements": len(p.statements)})


# where every row of a sheet is, when the sheet cannot hold them all
SHEET_SOURCES = {
    "Sessions": "sessions.csv", "Speakers": "speakers.csv", "Statements": "statement_themes.csv",
    "Segments": "segments.csv", "Segment × theme": "segment_themes.csv",
    "Speaker × theme": "speaker_theme_counts.csv", "Speaker × theme (shares)": "speaker_theme_shares.csv",
    "Role × theme": "role_theme_counts.csv", "Role × theme (shares)": "role_theme_shares.csv",
    "Session × theme": "session_theme_counts.csv", "Session × theme (shares)": "session_theme_shares.csv",
    "Quote bank": "quote_bank.csv", "Topics": "topics.csv",
}
CUT_SHEET = "Rows left out"


def _within_sheet_rows(whole: dict[str, pd.DataFrame], rows_of: dict[str, int]) -> dict[str, pd.DataFrame]:
    """Every sheet within a sheet's 1,048,576 rows (header included); what is cut is said twice: a
    warning in the log and, only then, a last sheet naming each cut sheet and the file that holds
    all its rows (`rows_of`: a sheet's rows before an earlier cut, e.g. the Statements limit)."""
    out, cut = {}, []
    for title, df in whole.items():
        total = rows_of.get(title, len(df))
        if len(df) > SHEET_ROWS - 1:
            log.warning("export: sheet %r has %d rows; it keeps the first %d (a sheet holds %d): every row is in %s",
                        title, len(df), SHEET_ROWS - 1, SHEET_ROWS, SHEET_SOURCES.get(title, "its table"))
            df = df.iloc[:SHEET_ROWS - 1]
        out[title] = df
        if len(df) < total:
            cut.append({"sheet": title, "rows_in_sheet": len(df), "rows_in_table": total,
                        "every_row_in": SHEET_SOURCES.get(title, "")})
    if cut:
        out[CUT_SHEET] = pd.DataFrame(cut, columns=["sheet", "rows_in_sheet", "rows_in_table", "every_row_in"])
    return out


def _cell_value(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    return neutralise_cell(value)


def _display_width(value: object) -> int:
    if isinstance(value, str) and "\n" not in value:
        return len(value)
    return max((len(line) for line in str(value).split("\n")), default=0)


def _column_values(df: pd.DataFrame, i: int, start: int, stop: int) -> list[object]:
    """Column `i`'s cells of rows [start, stop) as they go in the sheet (None: an empty cell)."""
    column = df.iloc[start:stop, i]
    values = column.tolist()  # Python scalars (pd.NA where a nullable column is empty)
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "f":
        return [None if v != v else v for v in values]
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "iub":
        return values
    # the common case without a call: text that `neutralise_cell` keeps as it is
    return [v if type(v) is str and v[:1] not in _MAY_CHANGE else _cell_value(v) for v in values]


_MAY_CHANGE = frozenset(FORMULA_STARTS) | {"'"}  # first characters of text that `neutralise_cell` may prefix


@dataclass
class _Body:
    """What the sheet XML of one table's rows needs: sheet, rows, per column its letter and cell style ids."""

    df: pd.DataFrame
    letters: list[str]
    wrap_style: list[int]  # style id of the column's text cells (0: none)
    number_style: list[int]  # style id of the column's numbers (0: none)


def _body_style(ws: Worksheet, alignment: Alignment | None = None, number_format: str | None = None) -> int:
    """The workbook's style id for cells with this alignment or number format (added when new)."""
    probe = Cell(ws)  # never placed in the sheet: it only takes the style as openpyxl records it
    if alignment is not None:
        probe.alignment = alignment
    if number_format is not None:
        probe.number_format = number_format
    return ws.parent._cell_styles.add(probe._style)


def _column_extent(df: pd.DataFrame, i: int, params: ExportParams) -> tuple[int, int | None, int | None]:
    """Column `i`'s widest cell (in characters, as `_display_width`; past `max_column_width` it stops
    looking), its first text cell's row and its first other cell's row (rows from 0; None: none)."""
    column = df.iloc[:, i]
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "fiub" and len(column):
        values = column.to_numpy()
        if dtype.kind == "f":  # a float's width is its shown decimals'
            present = np.flatnonzero(~np.isnan(values))
            return (params.decimals + 3, None, int(present[0])) if len(present) else (0, None, None)
        if dtype.kind == "b":
            return max(len(str(bool(v))) for v in np.unique(values)), None, 0
        return max(len(str(values.min().item())), len(str(values.max().item()))), None, 0
    if isinstance(dtype, pd.StringDtype):
        return _text_extent(column, params.max_column_width)
    if isinstance(dtype, pd.Int64Dtype):  # whole numbers or empty: the widest is the least or the greatest
        present = np.flatnonzero(np.asarray(column.notna(), dtype=bool))
        if not len(present):
            return 0, None, None
        return max(len(str(int(column.min()))), len(str(int(column.max())))), None, int(present[0])
    width, first_text, first_other = 0, None, None
    for start in range(0, len(df), _CHUNK_ROWS):
        for row, v in enumerate(_column_values(df, i, start, start + _CHUNK_ROWS), start=start):
            if type(v) is str or isinstance(v, str):
                if first_text is None:
                    first_text = row
                if width <= params.max_column_width:  # past it the column wraps whatever follows
                    width = max(width, len(v) if "\n" not in v else _display_width(v))
            elif v is not None:
                if first_other is None:
                    first_other = row
                width = max(width, _display_width(v) if not isinstance(v, float) else params.decimals + 3)
    return width, first_text, first_other


def _text_extent(column: pd.Series, max_width: int) -> tuple[int, int | None, int | None]:
    """`_column_extent` of a text column (every cell text or empty), with pandas' string methods
    instead of a Python step per cell."""
    shown = guard_column(column)  # the text as the sheet holds it
    present = np.asarray(shown.notna(), dtype=bool)
    rows = np.flatnonzero(present)
    if not len(rows):
        return 0, None, None
    texts = shown[present]
    widths = np.array(texts.str.len(), dtype=np.int64)  # a copy: cells with lines are set below
    lines = np.asarray(texts.str.contains("\n", regex=False), dtype=bool)
    if lines.any():
        widths[lines] = [_display_width(v) for v in texts[lines]]
    over = np.flatnonzero(widths > max_width)  # the widest cell until one is past the most, then that one
    return int(widths[over[0]] if len(over) else widths.max()), int(rows[0]), None


def add_sheet(wb: Workbook, title: str, df: pd.DataFrame, p: Processed, params: ExportParams) -> _Body:
    """One table as a sheet: bold frozen header, filter, widths from the content, long text wrapped.

    The sheet itself holds the header row only; its rows are written as XML by
    `_write_rows` when the file is saved (one openpyxl cell per table cell is most of
    the time and memory at scale). Their styles are recorded here, in the order
    openpyxl would meet them writing the rows itself, so the file is the one
    openpyxl writes cell by cell, byte for byte.
    """
    ws = wb.create_sheet(title)
    headers = [header(str(c), p) for c in df.columns]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    if headers:
        ws.cell(row=1, column=1).style_id  # noqa: B018 - records the header style first, as the writer would
    float_cols = {i for i, c in enumerate(df.columns) if pd.api.types.is_float_dtype(df[c])}
    number_format = "0." + "0" * params.decimals if params.decimals > 0 else "0"
    widths = [_display_width(h) for h in headers]
    first_text: list[int | None] = [None] * len(headers)  # row of the column's first text cell
    first_number: list[int | None] = [None] * len(headers)  # row of the column's first other cell
    for i in range(len(headers)):
        width, first_text[i], first_number[i] = _column_extent(df, i, params)
        widths[i] = max(widths[i], width)
    wraps = [w > params.max_column_width for w in widths]
    for i, _ in enumerate(headers):
        ws.column_dimensions[get_column_letter(i + 1)].width = min(params.max_column_width, max(6, widths[i] + 2))
    # the styles of the rows, in the order the writer meets them (row by row, left to right)
    firsts = sorted([(first_text[i], i, "wrap") for i in range(len(headers)) if wraps[i] and first_text[i] is not None]
                    + [(first_number[i], i, "number") for i in float_cols if first_number[i] is not None])
    wrap_id = number_id = 0
    for _, _, kind in firsts:
        if kind == "wrap" and not wrap_id:
            wrap_id = _body_style(ws, alignment=Alignment(wrap_text=True, vertical="top"))
        elif kind == "number" and not number_id:
            number_id = _body_style(ws, number_format=number_format)
    ws.freeze_panes = "A2"
    if len(df.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{max(1, len(df) + 1)}"
    return _Body(df=df, letters=[get_column_letter(i + 1) for i in range(len(headers))],
                 wrap_style=[wrap_id if wraps[i] else 0 for i in range(len(headers))],
                 number_style=[number_id if i in float_cols else 0 for i in range(len(headers))])


# rows written (and columns read) at a time: memory stays flat however long the sheet
_CHUNK_ROWS = 20_000
_CELL_TEXT_MAX = 32_767  # the most characters a cell holds (openpyxl cuts longer text there too)
_ILLEGAL_XML = re.compile(r"[\000-\010\013\014\016-\037]")  # openpyxl's ILLEGAL_CHARACTERS_RE


def _text_cell(ref: str, style: str, text: str) -> str:
    """A text cell as openpyxl's lxml writer writes it: an inline string, escaped (non-ASCII as
    character references, applied to the whole row later), spaces kept."""
    if not text:
        return f'<c r="{ref}"{style} t="inlineStr"></c>'
    if len(text) > _CELL_TEXT_MAX:
        text = text[:_CELL_TEXT_MAX]
    space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _column_xml(values: list[object], letter: str, first_row: int, wrap_style: int, number_style: int,
                title: str) -> list[str]:
    """Each cell of one column (rows from `first_row`) as sheet XML; an empty cell is ""."""
    text_style = f' s="{wrap_style}"' if wrap_style else ""
    other_style = f' s="{number_style}"' if number_style else ""
    out: list[str] = []
    append = out.append
    for row, v in enumerate(values, start=first_row):
        t = type(v)
        if t is str:
            append(_text_cell(f"{letter}{row}", text_style, v))
        elif v is None:
            append("")
        elif t is float or t is int:  # openpyxl's `safe_string`: 16 significant digits, nothing for inf
            append(f'<c r="{letter}{row}"{other_style} t="n"><v>{"%.16g" % v if v - v == 0 else ""}</v></c>')
        elif t is bool:
            append(f'<c r="{letter}{row}"{other_style} t="b"><v>{v:d}</v></c>')
        elif isinstance(v, str):
            append(_text_cell(f"{letter}{row}", text_style, str(v)))
        elif isinstance(v, (int, float)):
            append(_column_xml([float(v) if isinstance(v, float) else int(v)], letter, row, wrap_style,
                               number_style, title)[0])
        else:
            raise InputError(f"sheet {title!r}", f"cell {letter}{row}: cannot write {type(v).__name__} {v!r}")
    return out


def _write_rows(body: _Body, title: str, out: PieceEntry, kept: KeptRows | None = None) -> None:
    """The sheet's rows after the header, as openpyxl's writer lays out `<row>` elements, in chunks: a piece of
    the entry each (`zip_deflate.PieceEntry`).

    On a sheet whose rows are grouped by report (`sheet_rows.kept_runs_column`), each report's rows within a
    chunk are a piece of their own, with or without `kept` (the same pieces, so the same bytes); with `kept`,
    a piece whose key is kept is read back deflated, the others are written and kept.
    """
    df = body.df
    run_column = sheet_rows.kept_runs_column(df)
    styles = [*body.wrap_style, *body.number_style]
    for start in range(0, len(df), _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, len(df))
        values = [_column_values(df, i, start, stop) for i in range(len(body.letters))]
        if run_column is None:
            out.add(_rows_xml(body, title, values, start + 2))
            continue
        for a, b in sheet_rows.runs(values[run_column]):
            part = [v[a:b] for v in values]
            if kept is None:
                out.add(_rows_xml(body, title, part, start + a + 2))
                continue
            key = sheet_rows.run_key(title, start + a + 2, body.letters, styles, part)
            piece = kept.get(key)
            if piece is not None:
                out.add_deflated(piece)
            else:
                out.add(_rows_xml(body, title, part, start + a + 2), functools.partial(kept.put, key))


def _rows_xml(body: _Body, title: str, values: list[list[object]], first_row: int) -> bytes:
    """Rows from `first_row` (each column's cell values) as sheet XML bytes."""
    columns = [_column_xml(column, letter, first_row, body.wrap_style[i], body.number_style[i], title)
               for i, (letter, column) in enumerate(zip(body.letters, values))]
    chunk = "".join(f'<row r="{row}">{"".join(cells)}</row>' for row, cells in enumerate(zip(*columns), start=first_row))
    bad = _ILLEGAL_XML.search(chunk)
    if bad:
        at = chunk.rfind('<c r="', 0, bad.start()) + len('<c r="')
        raise InputError(f"sheet {title!r}", f"cell {chunk[at:chunk.index(chr(34), at)]} holds the control "
                         f"character {bad.group()!r}, which a spreadsheet cannot store")
    return chunk.encode("ascii", "xmlcharrefreplace")


class KeptRows:
    """The runs of rows one export reads back (deflated) or writes (`sheet_rows`), and the keys it used."""

    def __init__(self, cache: ResultCache) -> None:
        self.cache, self.used, self.reused = cache, set(), 0

    def get(self, key: str) -> Deflated | None:
        """The run kept under `key` (its XML deflated), or None."""
        self.used.add(key)
        piece = self.cache.get(key)
        if isinstance(piece, Deflated):
            self.reused += 1
            return piece
        return None

    def put(self, key: str, piece: Deflated) -> None:
        self.cache.put(key, piece)

    def close(self) -> None:
        """Remove the runs this export did not use (rows since moved or changed)."""
        removed = self.cache.retain(self.used)
        log.info("workbook rows: %d runs read back, %d written, %d no longer used removed",
                 self.reused, len(self.used) - self.reused, removed)


def build_workbook(p: Processed, params: ExportParams) -> tuple[Workbook, dict[str, _Body]]:
    """The workbook of every analyst table, one sheet each (headers and layout), and each sheet's rows."""
    wb = Workbook()
    wb.remove(wb.active)
    bodies = {title: add_sheet(wb, title, df, p, params)
              for title, df in sheets(p, params.max_statement_rows).items()}
    wb.properties.creator = "session-themes"
    wb.properties.created = FIXED_TIME
    return wb, bodies


def _sheet_xml(xml: bytes, body: _Body, title: str, out: PieceEntry, kept: KeptRows | None = None) -> None:
    """The sheet's XML as openpyxl wrote it (header row only) with the rows put in after the header."""
    if len(body.df) and body.letters:
        xml = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{body.letters[-1]}{len(body.df) + 1}"/>'
                     .encode(), xml, count=1)
    head, tail = xml.split(b"</sheetData>", 1)
    out.add(head)
    _write_rows(body, title, out, kept)
    out.add(b"</sheetData>" + tail)


def write_workbook(wb: Workbook, bodies: dict[str, _Body], out: BinaryIO, kept: KeptRows | None = None) -> None:
    """The .xlsx file with fixed timestamps, so reruns give identical files, written to `out` (`kept`: rows
    kept between runs, `sheet_rows`)."""
    raw = io.BytesIO()
    # stored, not deflated: every entry is compressed once, below, where the timestamps are fixed
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED, allowZip64=True)).save()
    sheet_paths = {ws.path.lstrip("/"): ws.title for ws in wb.worksheets}
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
            title = sheet_paths.get(info.filename)
            if title is None:
                dst.writestr(entry, data)
                continue
            # a sheet's XML can pass a gigabyte: it is deflated in pieces on another thread as it is made,
            # into a temporary file (memory stays flat), kept rows read back deflated (`pipeline.zip_deflate`)
            with PieceEntry() as sheet:
                _sheet_xml(data, bodies[title], title, sheet, kept)
                sheet.write_to(dst, entry)


def write_export(p: Processed, params: ExportParams, out: BinaryIO, rows_cache: ResultCache | None = None) -> None:
    """The core of the stage: processed tables in, the .xlsx file written to `out` (a seekable binary file).

    With `rows_cache` (`sheet_rows.rows_cache_for`), each report's rows of the per-statement sheets are
    read back when unchanged; the file is the same bytes.
    """
    kept = KeptRows(rows_cache) if rows_cache is not None else None
    write_workbook(*build_workbook(p, params), out, kept)
    if kept is not None:
        kept.close()


def export_workbook(p: Processed, params: ExportParams) -> bytes:
    """`write_export`'s file as bytes (small tables: tests, notebooks)."""
    buffer = io.BytesIO()
    write_export(p, params, buffer)
    return buffer.getvalue()


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
    rows_cache: Path | None = typer.Option(None, "--rows-cache",
                                           help="folder where each report's sheet rows are kept between runs"),
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
        columns={"statement_themes": STATEMENT_THEME_COLUMNS},
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with partial.open("wb") as f:
        write_export(p, export_params, f, sheet_rows.rows_cache_for(rows_cache) if rows_cache else None)
    partial.replace(out)
    log.info("export: %d sheets -> %s", len(sheets(p)), out)
