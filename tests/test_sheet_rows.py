"""Each report's rows of the Statements sheet kept between export runs (`pipeline.sheet_rows`).

The workbook must be the same bytes with the kept rows, without them or with an
empty folder, whatever changed between runs: a report added after the others
(only its rows written), one added before them (the rows after it move, so they
are written again), a cell edited (its report's rows written again). Runs no
longer used are removed.
"""

from __future__ import annotations

import dataclasses
import io
import re

import pandas as pd
import pytest
from processed_tables import make_processed, with_segments

import pipeline.export as export
from pipeline import sheet_rows
from pipeline.export import ExportParams, export_workbook


def _processed():
    return with_segments(make_processed())


def _with_report(p, source: str, new: str, first: bool = False):
    """`p` with a copy of report `source`'s statements (and their themes) as report `new`, after or before
    the others."""
    rows = p.statements[p.statements["report_id"] == source]
    statements = rows.assign(report_id=new, statement_id=rows["statement_id"].str.replace(source, new))
    themes = p.statement_themes[p.statement_themes["statement_id"].isin(rows["statement_id"])]
    themes = themes.assign(statement_id=themes["statement_id"].str.replace(source, new))
    pieces = [statements, p.statements] if first else [p.statements, statements]
    return dataclasses.replace(p, statements=pd.concat(pieces, ignore_index=True),
                               statement_themes=pd.concat([p.statement_themes, themes], ignore_index=True))


def _book(p, cache, caplog) -> tuple[bytes, tuple[int, int, int]]:
    """The workbook written with `cache`, and (runs read back, written, removed) as the stage logs them."""
    caplog.clear()
    buffer = io.BytesIO()
    with caplog.at_level("INFO", logger="pipeline.export"):
        export.write_export(p, ExportParams(), buffer, cache)
    found = [re.search(r"(\d+) runs read back, (\d+) written, (\d+) no longer used removed", r.getMessage())
             for r in caplog.records]
    counts = [tuple(map(int, m.groups())) for m in found if m]
    assert len(counts) == 1
    return buffer.getvalue(), counts[0]


@pytest.fixture
def small_runs(monkeypatch):
    monkeypatch.setattr(sheet_rows, "KEPT_FROM_ROWS", 1)  # the fixture's sheets are a few rows long
    monkeypatch.setattr(export, "_CHUNK_ROWS", 5)  # runs are cut at chunk bounds too


def test_kept_rows_give_the_same_workbook_whatever_changed(tmp_path, caplog, small_runs):
    cache = sheet_rows.rows_cache_for(tmp_path / "rows")
    p = _processed()
    book, (reused, written, removed) = _book(p, cache, caplog)
    assert book == export_workbook(p, ExportParams())
    assert (reused, removed) == (0, 0) and written > 0
    runs = written

    book, counts = _book(p, cache, caplog)  # nothing changed: every run read back
    assert book == export_workbook(p, ExportParams())
    assert counts == (runs, 0, 0)

    added = _with_report(p, "r2", "r3")  # a report after the others: only its rows are written
    book, (reused, written, removed) = _book(added, cache, caplog)
    assert book == export_workbook(added, ExportParams())
    assert reused == runs and written >= 1 and removed == 0
    runs = reused + written

    edited = added.statements.copy()
    edited.loc[0, "text"] = "An edited first statement."
    edited_p = dataclasses.replace(added, statements=edited)
    book, (reused, written, removed) = _book(edited_p, cache, caplog)
    assert book == export_workbook(edited_p, ExportParams())
    assert written == 1 and reused == runs - 1 and removed == 1  # the first report's first run only

    before = _with_report(edited_p, "r1", "r0", first=True)  # the rows after it move: written again
    book, (reused, written, removed) = _book(before, cache, caplog)
    assert book == export_workbook(before, ExportParams())
    assert reused < runs and removed > 0
    assert len(list(cache.dir.glob("*.pkl"))) == reused + written  # only the runs in use are kept


def test_an_unreadable_kept_run_is_written_again(tmp_path, caplog, small_runs):
    cache = sheet_rows.rows_cache_for(tmp_path / "rows")
    p = _processed()
    _book(p, cache, caplog)
    damaged = sorted(cache.dir.glob("*.pkl"))[0]
    damaged.write_bytes(b"not zlib")
    book, (reused, written, _) = _book(p, cache, caplog)
    assert book == export_workbook(p, ExportParams())
    assert written == 1


def test_sheets_not_grouped_by_report_are_written_whole(monkeypatch):
    monkeypatch.setattr(sheet_rows, "KEPT_FROM_ROWS", 1)
    grouped = pd.DataFrame({"theme": ["a", "b", "a"], "report_id": ["r1", "r1", "r2"]})
    interleaved = pd.DataFrame({"theme": ["a", "a", "b"], "report_id": ["r1", "r2", "r1"]})  # the quote bank's order
    assert sheet_rows.kept_runs_column(grouped) == 1
    assert sheet_rows.kept_runs_column(interleaved) is None
    assert sheet_rows.kept_runs_column(grouped.drop(columns="report_id")) is None
    monkeypatch.setattr(sheet_rows, "KEPT_FROM_ROWS", 4)
    assert sheet_rows.kept_runs_column(grouped) is None  # short sheets are written whole


def test_runs_and_keys():
    assert sheet_rows.runs([]) == []
    assert sheet_rows.runs(["a", "a", "b", "a"]) == [(0, 2), (2, 3), (3, 4)]

    def key(values, first_row=2):
        return sheet_rows.run_key("Statements", first_row, ["A"], [0, 0], [values])

    assert key([None]) != key(["None"]) != key([""])  # `result_cache.value_key` (tested there)
    assert key(["a"], first_row=2) != key(["a"], first_row=3)
    assert key(["a"]) != sheet_rows.run_key("Quote bank", 2, ["A"], [0, 0], [["a"]])
