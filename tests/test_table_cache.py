"""Tables parsed once per content (`pipeline.table_cache`): the same frames as parsing, read back a column at a
time, one parse kept per file."""

from __future__ import annotations

import pandas as pd
import pytest
from processed_tables import make_processed

from pipeline import table_cache, tableio
from pipeline.contract import STATEMENTS
from pipeline.tableio import read_table, write_table

SOME = ("statement_id", "text", "seq")


@pytest.fixture
def cache(tmp_path):
    table_cache.use(tmp_path / "tables")
    yield table_cache.active()
    table_cache.use(None)


def _statements() -> pd.DataFrame:
    st = make_processed().statements.copy()
    st.loc[0, "text"] = "=SUM(A1) guarded in the file"
    st.loc[1, "text"] = "'quoted, then a comma,' she said"
    return st


def _parsed_without_cache(path, columns):
    table_cache.use(None)
    try:
        return read_table(path, STATEMENTS, columns=columns)
    finally:
        table_cache.use(path.parent / "tables")


def _column_files(cache) -> list:
    return sorted(p for p in cache.dir.rglob("*.pkl"))


@pytest.mark.parametrize("columns", [None, SOME])
def test_a_cached_read_is_the_parsed_read(tmp_path, cache, monkeypatch, columns):
    path = tmp_path / "statements.csv"
    write_table(_statements(), path, STATEMENTS)
    parsed = _parsed_without_cache(path, columns)
    first = read_table(path, STATEMENTS, columns=columns)  # parsed, kept
    monkeypatch.setattr(tableio, "_parse", lambda *a: (_ for _ in ()).throw(AssertionError("parsed again")))
    second = read_table(path, STATEMENTS, columns=columns)  # read back
    for frame in (first, second):
        pd.testing.assert_frame_equal(frame, parsed)
    assert parsed.loc[0, "text"] == "=SUM(A1) guarded in the file"
    assert len(_column_files(table_cache.active())) == len(parsed.columns)


def test_columns_are_parsed_once_each(tmp_path, cache, monkeypatch):
    """A read of some columns keeps those; a later read of all parses only the others."""
    path = tmp_path / "statements.csv"
    write_table(_statements(), path, STATEMENTS)
    parsed_names: list[list[str]] = []
    parse = tableio._parse
    monkeypatch.setattr(tableio, "_parse", lambda p, use: parsed_names.append(
        [c for c in pd.read_csv(p, nrows=0).columns if use is None or use(c)]) or parse(p, use))
    expected = _parsed_without_cache(path, None)
    parsed_names.clear()
    read_table(path, STATEMENTS, columns=SOME)
    whole = read_table(path, STATEMENTS)
    pd.testing.assert_frame_equal(whole, expected)
    assert set(parsed_names[0]) == set(SOME)
    assert set(parsed_names[1]) == set(whole.columns) - set(SOME)
    read_table(path, STATEMENTS)
    assert len(parsed_names) == 2


def test_a_changed_file_is_parsed_again_and_replaces_its_old_parse(tmp_path, cache):
    path = tmp_path / "statements.csv"
    st = _statements()
    write_table(st, path, STATEMENTS)
    read_table(path, STATEMENTS, columns=SOME)
    write_table(st.iloc[:-1], path, STATEMENTS)
    assert len(read_table(path, STATEMENTS, columns=SOME)) == len(st) - 1
    other = tmp_path / "other" / "statements.csv"  # the same name in another folder keeps its own parse
    write_table(st, other, STATEMENTS)
    assert len(read_table(other, STATEMENTS, columns=SOME)) == len(st)
    assert len(read_table(path, STATEMENTS, columns=SOME)) == len(st) - 1
    assert len([p for p in cache.dir.iterdir() if p.is_dir()]) == 2
    assert len(_column_files(cache)) == 2 * len(SOME)


def test_a_damaged_column_is_set_aside_and_parsed_again(tmp_path, cache, caplog):
    path = tmp_path / "statements.csv"
    write_table(_statements(), path, STATEMENTS)
    expected = read_table(path, STATEMENTS)
    entry = _column_files(cache)[0]
    entry.write_bytes(b"not a pickle")
    with caplog.at_level("WARNING"):
        again = read_table(path, STATEMENTS)
    pd.testing.assert_frame_equal(again, expected)
    assert "damaged parsed column" in caplog.text
    assert entry.exists() and entry.read_bytes() != b"not a pickle"


@pytest.mark.parametrize("content, problem", [(b"", "empty"), (b"statement_id\n\xff\xfe\n", "UTF-8")])
def test_bad_input_still_names_the_file(tmp_path, cache, content, problem):
    path = tmp_path / "statements.csv"
    path.write_bytes(content)
    with pytest.raises(tableio.InputError, match=f"statements.csv.*{problem}"):
        read_table(path, STATEMENTS)
