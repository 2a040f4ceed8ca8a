"""Tables parsed once per content (`pipeline.table_cache`): the same frames as parsing, read back, kept one per file."""

from __future__ import annotations

import pandas as pd
import pytest
from processed_tables import make_processed

from pipeline import table_cache, tableio
from pipeline.contract import STATEMENTS
from pipeline.tableio import read_table, write_table


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


@pytest.mark.parametrize("columns", [None, ("statement_id", "text", "seq")])
def test_a_cached_read_is_the_parsed_read(tmp_path, cache, monkeypatch, columns):
    path = tmp_path / "statements.csv"
    write_table(_statements(), path, STATEMENTS)
    table_cache.use(None)
    parsed = read_table(path, STATEMENTS, columns=columns)
    table_cache.use(tmp_path / "tables")
    first = read_table(path, STATEMENTS, columns=columns)  # parsed, kept
    monkeypatch.setattr(tableio, "_parse", lambda *a: (_ for _ in ()).throw(AssertionError("parsed again")))
    second = read_table(path, STATEMENTS, columns=columns)  # read back
    for frame in (first, second):
        pd.testing.assert_frame_equal(frame, parsed)
    assert parsed.loc[0, "text"] == "=SUM(A1) guarded in the file"
    assert len(list(table_cache.active().dir.glob("*.pkl"))) == 1


def test_a_changed_file_is_parsed_again_and_replaces_its_old_parse(tmp_path, cache):
    path = tmp_path / "statements.csv"
    st = _statements()
    write_table(st, path, STATEMENTS)
    read_table(path, STATEMENTS)
    write_table(st.iloc[:-1], path, STATEMENTS)
    assert len(read_table(path, STATEMENTS)) == len(st) - 1
    other = tmp_path / "other" / "statements.csv"  # the same name in another folder keeps its own parse
    write_table(st, other, STATEMENTS)
    assert len(read_table(other, STATEMENTS)) == len(st)
    assert len(read_table(path, STATEMENTS)) == len(st) - 1
    assert len(list(cache.dir.glob("*.pkl"))) == 2


def test_a_damaged_parse_is_set_aside_and_parsed_again(tmp_path, cache, caplog):
    path = tmp_path / "statements.csv"
    write_table(_statements(), path, STATEMENTS)
    expected = read_table(path, STATEMENTS)
    entry = next(cache.dir.glob("*.pkl"))
    entry.write_bytes(b"not a pickle")
    with caplog.at_level("WARNING"):
        again = read_table(path, STATEMENTS)
    pd.testing.assert_frame_equal(again, expected)
    assert "damaged parsed table" in caplog.text
    assert entry.exists() and entry.read_bytes() != b"not a pickle"


def test_bad_input_still_names_the_file(tmp_path, cache):
    path = tmp_path / "statements.csv"
    path.write_bytes(b"")
    with pytest.raises(tableio.InputError, match="statements.csv.*empty"):
        read_table(path, STATEMENTS)
