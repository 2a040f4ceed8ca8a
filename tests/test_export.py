"""The workbook: sheets, readable headers, widths, frozen header, formula-safe cells; CSV round trip."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from processed_tables import FORMULA_TEXT, make_processed

from pipeline.contract import STATEMENTS
from pipeline.export import ExportParams, export_workbook, header
from pipeline.tableio import FORMULA_STARTS, read_table, write_table

EXPECTED_SHEETS = [
    "Sessions", "Speakers", "Statements", "Speaker × theme", "Speaker × theme (shares)", "Role × theme",
    "Role × theme (shares)", "Session × theme", "Session × theme (shares)", "Quote bank", "Topics",
]


@pytest.fixture(scope="module")
def p():
    return make_processed()


@pytest.fixture(scope="module")
def workbook_bytes(p) -> bytes:
    return export_workbook(p, ExportParams())


@pytest.fixture(scope="module")
def wb(workbook_bytes):
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes))


def test_one_sheet_per_table(wb):
    assert wb.sheetnames == EXPECTED_SHEETS


def test_headers_are_readable_and_themes_named(wb):
    statements = [c.value for c in wb["Statements"][1]]
    assert statements[:3] == ["Report", "Statement", "No."]
    assert "report_id" not in statements and "line_start" not in statements
    speakers = [c.value for c in wb["Speaker × theme"][1]]
    assert speakers[:5] == ["Report", "Speaker", "Role", "Financing", "Legislation and law"]
    assert "Other (no theme fits)" in speakers


def test_frozen_header_filter_and_widths(wb):
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), ws.title
        assert ws["A1"].font.b, ws.title
    ws = wb["Statements"]
    col = {c.value: c.column_letter for c in ws[1]}
    assert ws.column_dimensions[col["Text"]].width > ws.column_dimensions[col["No."]].width
    assert ws.column_dimensions[col["Text"]].width <= ExportParams().max_column_width


def test_every_formula_cell_is_neutralised(wb):
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=1):
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    assert cell.value[:1] not in FORMULA_STARTS, f"{ws.title}!{cell.coordinate}: {cell.value!r}"
                    texts.append(cell.value)
    assert "'" + FORMULA_TEXT in texts  # kept, readable, inert
    assert "'-1_outliers" in texts  # a topic label starting with "-" too


def test_numbers_stay_numbers(wb):
    ws = wb["Speaker × theme"]
    values = [c.value for c in ws["D"][1:]]
    assert all(isinstance(v, int) for v in values)


def test_workbook_is_byte_identical_on_rerun(p, workbook_bytes):
    assert export_workbook(p, ExportParams()) == workbook_bytes


def test_header_falls_back_to_words(p):
    assert header("n_substantive", p) == "Substantive statements"
    assert header("some_new_column", p) == "Some new column"


@pytest.mark.parametrize("start", list(FORMULA_STARTS))
def test_csv_neutralisation_round_trip(tmp_path, start):
    """A statement starting with = + - @ is written inert to CSV and read back unchanged."""
    df = make_processed().statements.head(1).copy()
    df["text"] = f"{start}SUM(A1:A9) or cmd|' /C calc'!A0"
    path = tmp_path / "statements.csv"
    write_table(df, path, STATEMENTS)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert raw.loc[0, "text"].startswith("'" + start)
    assert read_table(path, STATEMENTS).loc[0, "text"] == df.loc[0, "text"]


def _table_options(folder):
    from pipeline.explore import PROCESSED_FILES

    return [arg for name, (file, _) in PROCESSED_FILES.items()
            for arg in (f"--{name.replace('_', '-')}", str(folder / file))]


def test_export_command_writes_the_workbook(tmp_path, repo_root):
    from processed_tables import write_processed
    from typer.testing import CliRunner

    from pipeline.cli import app

    write_processed(tmp_path)
    out = tmp_path / "book.xlsx"
    args = ["export", *_table_options(tmp_path), "--codebook", str(repo_root / "codebooks" / "sse.yaml"),
            "--params", str(repo_root / "params.yaml"), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames == EXPECTED_SHEETS


def test_export_command_names_a_missing_table(tmp_path, repo_root):
    from processed_tables import write_processed
    from typer.testing import CliRunner

    from pipeline.cli import app

    write_processed(tmp_path)
    (tmp_path / "quote_bank.csv").unlink()
    args = ["export", *_table_options(tmp_path), "--codebook", str(repo_root / "codebooks" / "sse.yaml"),
            "--params", str(repo_root / "params.yaml"), "--out", str(tmp_path / "book.xlsx")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "quote_bank.csv: file not found" in result.output and "Traceback" not in result.output


def test_statements_sheet_stops_at_its_row_limit_and_says_so(p, caplog):
    n = len(p.statements)
    assert n >= 3
    wb = openpyxl.load_workbook(io.BytesIO(export_workbook(p, ExportParams(max_statement_rows=2))))
    assert wb["Statements"].max_row == 1 + 2
    assert "statement_themes.csv" in caplog.text
    # the aggregates are whole whatever the limit
    full = openpyxl.load_workbook(io.BytesIO(export_workbook(p, ExportParams())))
    assert full["Statements"].max_row == 1 + n
    assert wb["Speaker × theme"].max_row == full["Speaker × theme"].max_row


def test_no_sheet_can_pass_the_spreadsheet_row_limit():
    from pipeline.export import SHEET_ROWS

    assert SHEET_ROWS == 1_048_576 and ExportParams().max_statement_rows == SHEET_ROWS - 1


def test_every_sheet_stops_at_the_row_limit_and_a_last_sheet_says_where_the_rest_is(p, caplog, monkeypatch):
    import pipeline.export as export

    assert export.CUT_SHEET not in openpyxl.load_workbook(io.BytesIO(export_workbook(p, ExportParams()))).sheetnames
    monkeypatch.setattr(export, "SHEET_ROWS", 3)  # a sheet of 2 rows and its header
    wb = openpyxl.load_workbook(io.BytesIO(export_workbook(p, ExportParams())))
    assert all(wb[title].max_row <= 3 for title in wb.sheetnames if title != export.CUT_SHEET)
    cut = {row[0]: row[1:] for row in wb[export.CUT_SHEET].iter_rows(min_row=2, values_only=True)}
    assert cut["Statements"] == (2, len(p.statements), "statement_themes.csv")
    assert cut["Quote bank"] == (2, len(p.quote_bank), "quote_bank.csv")
    assert all(total > kept for kept, total, _ in cut.values())
    assert "every row is in quote_bank.csv" in caplog.text
