"""A workbook sheet's rows kept between runs: each report's rows as sheet XML, read back when unchanged.

The Statements sheet holds a row per statement; writing its cells as XML was
most of the export stage's time on a rerun that added one report to a large
corpus. The rows of a sheet grouped by report (each report's rows together, as
in Statements) are cut into runs of one report each (and at the stage's chunk
bounds); a run's key hashes everything its XML is made from: the sheet, the row
it starts at, the column letters and cell styles, and every cell value as the
sheet takes it. Each run is a piece of the sheet's entry deflated on its own
(`pipeline.zip_deflate.PieceEntry`): a run whose key is kept is read back as
its deflated bytes (neither written nor deflated again), the others are written,
deflated and kept. So the workbook is the same bytes with the cache, without it
or with an empty one.

A cell reference holds its row number: a report added after the others (in the
sheet's order) leaves every earlier run where it was, and only its own rows are
written; a report that sorts before others moves the rows after it, which are
written again (and the runs no longer used are removed at the end of the run).

Layout: `pipeline.result_cache` (`<root>/<namespace>/<key>.pkl`, a pickled
`zip_deflate.Deflated`), the namespace hashing the export code and openpyxl's version. Deleting the
folder is always safe.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipeline.result_cache import ResultCache, source_fingerprint, value_key

# sheets shorter than this are written whole (they take milliseconds; a file per report is not worth it)
KEPT_FROM_ROWS = 20_000
RUN_COLUMN = "report_id"  # a run is a stretch of rows of one report


def rows_cache_for(root: str | Path) -> ResultCache:
    """Where the export stage keeps its sheets' rows: a namespace per export code and openpyxl version."""
    import openpyxl

    import pipeline.export
    import pipeline.zip_deflate

    code = source_fingerprint([pipeline.export, pipeline.zip_deflate, sys.modules[__name__]])
    return ResultCache(root, code, {"openpyxl": openpyxl.__version__, "zlib": zlib.ZLIB_RUNTIME_VERSION},
                       what="workbook rows cache")


def kept_runs_column(df: pd.DataFrame) -> int | None:
    """The position of the column whose runs are kept, when `df` has `KEPT_FROM_ROWS` rows or more grouped by
    report (each report's rows together: a report added after the others leaves the earlier rows in place);
    else None (the sheet is written whole: e.g. the quote bank, ordered by theme first)."""
    if len(df) < KEPT_FROM_ROWS or RUN_COLUMN not in df.columns:
        return None
    column = df[RUN_COLUMN]
    starts = int((column != column.shift()).sum())
    return df.columns.get_loc(RUN_COLUMN) if starts == column.nunique(dropna=False) else None


def runs(values: Sequence[object]) -> list[tuple[int, int]]:
    """The stretches [start, stop) of equal consecutive `values`, in order (none for no values)."""
    out: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(values)):
        if values[i] != values[start]:
            out.append((start, i))
            start = i
    if len(values):
        out.append((start, len(values)))
    return out


def run_key(title: str, first_row: int, letters: Sequence[str], styles: Sequence[int],
            columns: Sequence[Sequence[object]]) -> str:
    """sha256 of what one run's XML is made from: the sheet, its first row, letters, styles and cell values
    (`result_cache.value_key`: the values, whichever Python objects hold them)."""
    return value_key((title, first_row, list(letters), list(styles), [list(c) for c in columns]))
