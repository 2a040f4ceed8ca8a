"""The export stage's streamed sheet XML against openpyxl writing the same workbook cell by cell.

The stage writes the rows of each sheet as XML itself (an openpyxl cell per table
cell was most of its time and memory at scale). The reference here is the
plain openpyxl way: one styled `Cell` per value, saved by openpyxl. Both must
give the same entries (names, order, headers and every entry's bytes; the stage
deflates a sheet in pieces, `pipeline.zip_deflate`, so the deflated bytes differ), on tables holding the awkward values (markup, spaces at
the ends, carriage returns, non-ASCII, empty text, formulas, text past a cell's
32,767 characters, booleans, inf, all-empty columns), across row chunks.
"""

from __future__ import annotations

import dataclasses
import io
import re
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from processed_tables import make_processed, with_segments

import pipeline.export as export
from pipeline.errors import InputError
from pipeline.export import ExportParams, export_workbook, header, sheets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the comparison script, not a copy of it
from benchmarks.compare_workbooks import workbook_differences  # noqa: E402

AWKWARD_TEXT = [
    "", " ", "  padded both  ", "\ttab first", "last newline\n", "a & b < c > d \" e ' f", "line 1\r\nline 2\rline 3",
    "é ü ß — “quotes” € 中文 😀", "=SUM(A1:A3)", "-minus", "+plus", "@at", "'=already guarded", "#N/A", "x" * 40_000,
    "two\nlines, the second one longer than the first", "\u00a0non-breaking space at the ends\u00a0", "\x7f del",
]


def reference_workbook(p, params: ExportParams) -> bytes:
    """The workbook as openpyxl writes it from one styled cell per table cell (the stage's writer before
    it streamed its rows)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    wb.remove(wb.active)
    for title, df in sheets(p, params.max_statement_rows).items():
        ws = wb.create_sheet(title)
        headers = [header(str(c), p) for c in df.columns]
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = export.HEADER_FILL
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        float_cols = {i for i, c in enumerate(df.columns) if pd.api.types.is_float_dtype(df[c])}
        number_format = "0." + "0" * params.decimals if params.decimals > 0 else "0"
        widths = [export._display_width(h) for h in headers]
        for record in df.itertuples(index=False, name=None):
            values = [export._cell_value(v) for v in record]
            ws.append(values)
            for i, v in enumerate(values):
                if v is not None:
                    widths[i] = max(widths[i], export._display_width(v) if not isinstance(v, float)
                                    else params.decimals + 3)
        for i, column in enumerate(ws.iter_cols(min_row=2, max_col=len(headers), max_row=len(df) + 1)):
            ws.column_dimensions[get_column_letter(i + 1)].width = min(params.max_column_width, max(6, widths[i] + 2))
            for cell in column:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
                    if widths[i] > params.max_column_width:
                        cell.alignment = Alignment(wrap_text=True, vertical="top")
                elif i in float_cols and cell.value is not None:
                    cell.number_format = number_format
        ws.freeze_panes = "A2"
        if len(df.columns):
            ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{max(1, len(df) + 1)}"
    wb.properties.creator = "session-themes"
    wb.properties.created = export.FIXED_TIME
    raw = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED, allowZip64=True)).save()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2020-01-01T00:00:00Z\g<2>", data)
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, data)
    return out.getvalue()


def entries(book: bytes) -> list[tuple[object, ...]]:
    """A zip file's entries in order: name, timestamp, method, attributes, CRC, size and data (the data read
    through zipfile, which checks each CRC)."""
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        return [(i.filename, i.date_time, i.compress_type, i.external_attr, i.CRC, i.file_size, z.read(i.filename))
                for i in z.infolist()]


def awkward_processed():
    """The fixture tables with awkward text in every text cell of statements and sessions, and odd columns."""
    p = with_segments(make_processed())
    statements = p.statements.copy()
    statements["text"] = [AWKWARD_TEXT[i % len(AWKWARD_TEXT)] for i in range(len(statements))]
    statements["speaker_label"] = [AWKWARD_TEXT[-1 - i % len(AWKWARD_TEXT)] for i in range(len(statements))]
    sessions = p.sessions.copy()
    sessions["flag"] = [True, False][: len(sessions)]
    sessions["ratio"] = [float("inf"), 0.1 + 0.2][: len(sessions)]
    sessions["empty"] = [float("nan")] * len(sessions)
    sessions["mixed"] = ["text", 7][: len(sessions)]
    sessions["big"] = [12345678901234567890, 3][: len(sessions)]
    sessions["delta"] = [-1234567, 89][: len(sessions)]  # the widest number is the smallest
    extra = pd.DataFrame({"statement_id": statements["statement_id"], "tiny": 1e-7, "huge": 1e21})
    statements = statements.merge(extra, on="statement_id")
    return dataclasses.replace(p, statements=statements, sessions=sessions)


PARAMS = [ExportParams(), ExportParams(max_column_width=12, decimals=0),
          ExportParams(decimals=5, max_statement_rows=5)]


@pytest.mark.parametrize("params", PARAMS, ids=["default", "narrow", "cut"])
@pytest.mark.parametrize("chunk", [3, 20_000])
def test_same_bytes_as_openpyxl_cell_by_cell(params, chunk, monkeypatch):
    monkeypatch.setattr(export, "_CHUNK_ROWS", chunk)  # rows written across several chunks too
    p = awkward_processed()
    assert entries(export_workbook(p, params)) == entries(reference_workbook(p, params))


def test_plain_fixture_same_as_openpyxl():
    p = make_processed()
    assert entries(export_workbook(p, ExportParams())) == entries(reference_workbook(p, ExportParams()))


def test_awkward_workbook_reads_the_same_and_keeps_styles():
    p = awkward_processed()
    new = export_workbook(p, ExportParams())
    assert list(workbook_differences(io.BytesIO(reference_workbook(p, ExportParams())), io.BytesIO(new))) == []
    wb = openpyxl.load_workbook(io.BytesIO(new))
    ws = wb["Statements"]
    col = {c.value: c.column for c in ws[1]}
    texts = [ws.cell(row=r, column=col["Text"]).value for r in range(2, ws.max_row + 1)]
    assert texts[2] == "  padded both  " and texts[6] == "line 1\r\nline 2\rline 3"
    assert texts[8] == "'=SUM(A1:A3)" and texts[10] == "'+plus"
    labels = [ws.cell(row=r, column=col["Speaker as written"]).value for r in range(2, ws.max_row + 1)]
    assert labels[4] == "#N/A" and labels[5] == "''=already guarded"
    assert labels[3] == "x" * 32_767  # a cell's most, as openpyxl cuts it
    assert ws.cell(row=2, column=col["Text"]).value is None  # empty text: an empty cell
    long_text = ws.cell(row=3, column=col["Speaker as written"])  # a column with a long text wraps
    assert long_text.data_type == "s" and long_text.alignment.wrap_text and long_text.alignment.vertical == "top"
    assert not ws.cell(row=3, column=col["Text"]).alignment.wrap_text  # its texts fit: no wrap
    score = ws.cell(row=2, column=col["Theme score"])
    assert score.data_type == "n" and score.number_format == "0.000"
    assert ws.cell(row=2, column=col["First line"]).number_format == "General"
    assert ws["A1"].font.b and ws["A1"].fill.fgColor.rgb == "00DCE6F0" and ws.freeze_panes == "A2"
    sessions = wb["Sessions"]
    scol = {c.value: c.column for c in sessions[1]}
    assert sessions.cell(row=2, column=scol["Flag"]).value is True
    assert sessions.cell(row=2, column=scol["Ratio"]).value is None  # inf: no number (as openpyxl writes it)
    assert sessions.cell(row=3, column=scol["Ratio"]).value == 0.3  # 16 significant digits, as openpyxl writes
    assert sessions.cell(row=3, column=scol["Mixed"]).value == 7


def test_comparison_sees_a_different_workbook():
    p = make_processed()
    differences = list(workbook_differences(io.BytesIO(reference_workbook(p, ExportParams())),
                                            io.BytesIO(export_workbook(p, ExportParams(decimals=2,
                                                                                       max_column_width=30)))))
    assert any("number format '0.000' != '0.00'" in d for d in differences)
    assert any("column widths" in d for d in differences)
    assert any("alignment" in d for d in differences)


def test_a_control_character_is_a_one_line_error():
    p = make_processed()
    statements = p.statements.copy()
    statements.loc[1, "text"] = "page\x0cbreak"
    with pytest.raises(InputError, match=r"sheet 'Statements': cell \w+3 holds the control character '\\x0c'"):
        export_workbook(dataclasses.replace(p, statements=statements), ExportParams())


def test_written_file_is_the_same_workbook(tmp_path, monkeypatch):
    from pipeline import zip_deflate

    monkeypatch.setattr(zip_deflate, "SPOOL_BYTES", 1_000)  # sheets' deflate streams past it go through a file
    p = awkward_processed()
    path = tmp_path / "book.xlsx"
    with path.open("wb") as f:
        export.write_export(p, ExportParams(), f)
    assert path.read_bytes() == export_workbook(p, ExportParams())
    assert entries(path.read_bytes()) == entries(reference_workbook(p, ExportParams()))


def test_sheets_deflated_in_pieces_hold_the_same_entries(monkeypatch):
    """Each chunk of a sheet's rows is deflated on its own on a second thread (`zip_deflate.PieceEntry`): the
    entries are openpyxl's, every piece went through `deflate_piece`, and the deflate stream of each sheet is
    one any inflater reads (no final block before the end)."""
    monkeypatch.setattr(export, "_CHUNK_ROWS", 3)  # many pieces through the thread
    p = awkward_processed()
    from pipeline import zip_deflate

    made: list[int] = []
    deflate = zip_deflate.deflate_piece
    monkeypatch.setattr(zip_deflate, "deflate_piece", lambda raw: made.append(len(raw)) or deflate(raw))
    book = export_workbook(p, ExportParams())
    assert entries(book) == entries(reference_workbook(p, ExportParams()))
    rows = sum(len(df) for df in export.sheets(p).values())
    assert len(made) >= rows // 3 + 2 * len(export.sheets(p))  # each chunk, each sheet's head and tail
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        sheet = next(i for i in z.infolist() if i.filename.startswith("xl/worksheets/sheet"))
        with z.open(sheet) as f:  # the entry's raw deflate stream, inflated in one go
            assert len(f.read()) == sheet.file_size


@pytest.mark.parametrize("chunk", [3, 20_000])
def test_nullable_whole_numbers_and_text_read_from_csv_same_as_openpyxl(chunk, monkeypatch):
    """Columns as `read_table` types them (nullable Int64 with empty cells, pandas' text dtype with empty
    cells) go through the column-wise writer: the same bytes as openpyxl cell by cell."""
    monkeypatch.setattr(export, "_CHUNK_ROWS", chunk)
    p = awkward_processed()
    statements = p.statements.copy()
    n = len(statements)
    statements["page"] = pd.array([None if i % 3 == 0 else -i * 1000 for i in range(n)], dtype="Int64")
    statements["seq"] = statements["seq"].astype("Int64")
    statements["speaker_label"] = pd.array([None if i % 4 == 0 else AWKWARD_TEXT[i % len(AWKWARD_TEXT)]
                                            for i in range(n)], dtype="str")
    assert isinstance(statements["speaker_label"].dtype, pd.StringDtype)
    p = dataclasses.replace(p, statements=statements)
    for params in PARAMS:
        assert entries(export_workbook(p, params)) == entries(reference_workbook(p, params))
