"""Reading and writing contract tables as deterministic, spreadsheet-safe CSV.

Same inputs give byte-identical files: rows sorted by the contract's key,
floats written with a fixed number of decimals, "\n" line ends, UTF-8.
Cells that a spreadsheet would run as a formula (starting with = + - @) are
written with a leading apostrophe, and read back without it.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline import table_cache
from pipeline.contract import Table, validate
from pipeline.errors import InputError

FLOAT_FORMAT = "%.6f"
FORMULA_STARTS = ("=", "+", "-", "@")
_GUARD = "'"


def neutralise_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would evaluate as a formula."""
    if isinstance(value, str) and (value[:1] in FORMULA_STARTS or _is_guarded(value)):
        return _GUARD + value
    return value


def _is_guarded(value: str) -> bool:
    return value[:1] == _GUARD and (value[1:2] in FORMULA_STARTS or _is_guarded(value[1:]))


def restore_cell(value: object) -> object:
    """Undo `neutralise_cell`."""
    if isinstance(value, str) and _is_guarded(value):
        return value[1:]
    return value


def guard_column(series: pd.Series, restore: bool = False) -> pd.Series:
    """`neutralise_cell` (or, with `restore`, `restore_cell`) over a column, called only on the text cells
    it can change: those starting with = + - @ or an apostrophe (restoring: an apostrophe). The same values
    as mapping every cell, without a Python call per cell."""
    fn, firsts = (restore_cell, [_GUARD]) if restore else (neutralise_cell, [*FORMULA_STARTS, _GUARD])
    if not _may_start_with(series, firsts):
        return series
    try:
        first = series.str[:1]
    except AttributeError:  # no text in the column (all empty, or numbers in an object column)
        return series.map(fn)
    mask = np.asarray(first.isin(firsts), dtype=bool)
    if not mask.any():
        return series
    out = series.copy()
    out[mask] = series[mask].map(fn)
    return out


def _may_start_with(series: pd.Series, firsts: Sequence[str]) -> bool:
    """False only when no cell of `series` starts with one of `firsts` (the set of the cells' first
    characters, not a slice per cell in pandas). True (look cell by cell) when a cell is not text."""
    try:
        starts = {cell[:1] for cell in series.tolist()}
    except TypeError:  # a cell is not text (empty, a number)
        return True
    return not starts.isdisjoint(firsts)


def prepare_for_csv(df: pd.DataFrame, table: Table | None = None, source: object = "table") -> pd.DataFrame:
    """Validate (when a contract is given), sort and neutralise a frame for writing."""
    if table is not None:
        df = validate(df, table, source)
        if table.sort_by and len(df):
            df = df.sort_values(list(table.sort_by), kind="mergesort")
        for col in table.columns:
            if col.kind == "int":
                df[col.name] = df[col.name].astype("Int64")
    text_cols = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c])]
    df = df.copy()
    for c in text_cols:
        df[c] = guard_column(df[c])
    return df.reset_index(drop=True)


def write_table(df: pd.DataFrame, path: str | Path, table: Table | None = None) -> None:
    """Write `df` to `path` as deterministic CSV, checked against `table`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = prepare_for_csv(df, table, source=path)
    if not len(out.columns):
        out.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n", encoding="utf-8")
        return
    columns = [_csv_fields(out[c]) for c in out.columns]
    columns = [_pandas_fields(out[c]) if fields is None else fields for c, fields in zip(out.columns, columns)]
    rows = [_quoted([str(c) for c in out.columns]), *map(_quoted, columns)]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        if len(rows) == 2:  # one column: a row of one empty field is written ""
            fh.write("".join(f'{f or chr(34) * 2}\n' for f in [rows[0][0], *rows[1]]))
            return
        fh.write(",".join(rows[0]) + "\n")
        for start in range(0, len(out), _CSV_CHUNK_ROWS):
            fh.write("".join([",".join(row) + "\n" for row in zip(*(f[start:start + _CSV_CHUNK_ROWS]
                                                                       for f in rows[1:]))]))


# pandas' `to_csv` (Python's csv writer, QUOTE_MINIMAL, "\n" line ends) quotes a field holding a comma, quote or
# "\n"; a field holding "\r" is quoted too (Python 3.12's writer does; 3.11's does not, and pandas' reader then
# ends the row there, splitting the field and the row in two)
_COMMA, _QUOTE, _LINE_END, _RETURN = _QUOTED_IF = (",", '"', "\n", "\r")
_CSV_CHUNK_ROWS = 20_000


def _quoted(fields: list[str]) -> list[str]:
    """Fields as pandas' CSV writer puts them in a line: one holding a comma, quote or line break in quotes
    (quotes doubled); a column none of whose fields does is checked once, not field by field."""
    joined = "\0".join(fields)
    if not any(c in joined for c in _QUOTED_IF):
        return fields
    return ['"' + f.replace('"', '""') + '"' if _COMMA in f or _QUOTE in f or _LINE_END in f or _RETURN in f else f
            for f in fields]


def _csv_fields(column: pd.Series) -> list[str] | None:
    """A column's cells as `to_csv(float_format=FLOAT_FORMAT)` writes them (an empty cell as ""), before quoting;
    None for a column holding other values than text, whole numbers, floats and booleans (`_pandas_fields`)."""
    dtype = column.dtype
    values = column.tolist()
    if isinstance(dtype, np.dtype):
        if dtype.kind == "f":
            return [FLOAT_FORMAT % v if v == v else "" for v in values]
        if dtype.kind in "iub":
            return [str(v) for v in values]
        if dtype.kind != "O":
            return None
    elif isinstance(dtype, pd.BooleanDtype) or (isinstance(dtype, pd.api.extensions.ExtensionDtype)
                                                 and pd.api.types.is_integer_dtype(dtype)):
        return ["" if v is pd.NA else str(v) for v in values]
    elif isinstance(dtype, pd.StringDtype):  # text or empty, nothing else
        for i in np.flatnonzero(column.isna().to_numpy()):
            values[i] = ""
        return values
    elif not pd.api.types.is_string_dtype(dtype):
        return None
    out = []
    for v in values:
        if type(v) is str:
            out.append(v)
        elif v is None or v is pd.NA or (type(v) is float and v != v):
            out.append("")
        else:  # a number or other object among text: pandas' formatting applies
            return None
    return out


def _pandas_fields(column: pd.Series) -> list[str]:
    """A column of other values (a number among text, a date) as pandas' `to_csv` formats it, before quoting:
    written by pandas with every field quoted and read back with Python's csv reader (a field holding a line
    break comes back whole)."""
    text = column.to_frame().to_csv(index=False, header=False, float_format=FLOAT_FORMAT, lineterminator="\n",
                                    quoting=csv.QUOTE_ALL)
    return [row[0] for row in csv.reader(io.StringIO(text, newline=""))]


def only_columns(table: Table, columns: Sequence[str]) -> Table:
    """`table` restricted to `columns` (its uniqueness and order kept only when they lie within them)."""
    unknown = sorted(set(columns) - set(table.column_names))
    if unknown:
        raise ValueError(f"{table.name} has no column(s) {', '.join(unknown)}")
    kept = tuple(c for c in table.columns if c.name in columns)
    within = {c.name for c in kept}
    return dataclasses.replace(
        table, columns=kept,
        unique=table.unique if set(table.unique) <= within else (),
        sort_by=table.sort_by if set(table.sort_by) <= within else (),
    )


def _parse(path: Path, usecols: Callable[[str], bool] | None) -> pd.DataFrame:
    """The CSV file's columns (those `usecols` takes) as text, the formula guard undone."""
    df = _read_csv(path, usecols=usecols)
    for c in df.columns:
        df[c] = guard_column(df[c], restore=True)
    return df


def _read_csv(path: Path, **options: object) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8", **options)
    except pd.errors.EmptyDataError:
        raise InputError(path, "file is empty (no header row)") from None
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text") from None


def read_table(path: str | Path, table: Table | None = None, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a CSV written by `write_table`, typed and checked against `table`.

    With `columns`, only those columns are read (and checked): a stage that needs three
    columns of a million-row table does not hold the other twelve.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    usecols = None
    if columns is not None:
        wanted = set(columns)
        if table is not None:
            table = only_columns(table, columns)
            wanted |= {c.default_from for c in table.columns if c.default_from}  # what fills an absent column
        usecols = wanted.__contains__
    cache = table_cache.active()
    if cache is None:
        df = _parse(path, usecols)
    else:  # each column parsed once per content (`pipeline.table_cache`)
        header = list(_read_csv(path, nrows=0).columns)
        df = cache.columns(path, header, [c for c in header if usecols is None or usecols(c)],
                           lambda p, names: _parse(p, set(names).__contains__))
    if table is None:
        return df
    for col in table.columns:
        if col.name not in df.columns:
            continue
        if col.kind in ("int", "float"):
            raw = df[col.name].replace("", pd.NA)
            numeric = pd.to_numeric(raw, errors="coerce")
            bad = numeric.isna() & raw.notna()
            if bad.any():
                value = raw[bad].iloc[0]
                raise InputError(path, f"column '{col.name}' should be {col.kind}, found {value!r}")
            df[col.name] = numeric.astype("Int64") if col.kind == "int" else numeric.astype(float)
        elif col.nullable:
            df[col.name] = df[col.name].replace("", pd.NA)
    return validate(df, table, path)
