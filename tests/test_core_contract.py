"""The data contract, deterministic table I/O and per-stage params."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from pipeline.contract import INGEST_ERRORS, SPEAKER_THEMES, validate
from pipeline.errors import ContractError, InputError
from pipeline.params import load_section, section_from_dict
from pipeline.tableio import neutralise_cell, read_table, restore_cell, write_table


def _speaker_themes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "report_id": ["r2", "r1", "r1"],
            "speaker": ["B", "A", "A"],
            "role": ["panelist", "keynote", "keynote"],
            "theme": ["financing", "legislation", "financing"],
            "n_statements": [1, 2, 1],
            "share": [1.0, 2 / 3, 1 / 3],
        }
    )


def test_validate_names_file_and_missing_column():
    df = _speaker_themes().drop(columns=["share"])
    with pytest.raises(ContractError, match=r"out/x\.csv: .*lacks column\(s\) share"):
        validate(df, SPEAKER_THEMES, "out/x.csv")


def test_validate_rejects_value_outside_allowed():
    df = _speaker_themes()
    df.loc[0, "role"] = "chair"
    with pytest.raises(ContractError, match="column 'role' has value"):
        validate(df, SPEAKER_THEMES, "t.csv")


def test_validate_rejects_non_numeric_and_duplicates():
    df = _speaker_themes()
    df["n_statements"] = df["n_statements"].astype(object)
    df.loc[1, "n_statements"] = "two"
    with pytest.raises(ContractError, match="should be int"):
        validate(df, SPEAKER_THEMES, "t.csv")
    dup = pd.concat([_speaker_themes(), _speaker_themes().iloc[[0]]])
    with pytest.raises(ContractError, match="not unique"):
        validate(dup, SPEAKER_THEMES, "t.csv")


def test_write_table_is_sorted_stable_and_byte_identical(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_table(_speaker_themes(), a, SPEAKER_THEMES)
    write_table(_speaker_themes().sample(frac=1, random_state=3), b, SPEAKER_THEMES)
    assert a.read_bytes() == b.read_bytes()
    lines = a.read_text(encoding="utf-8").splitlines()
    assert lines[1] == "r1,A,keynote,financing,1,0.333333"
    back = read_table(a, SPEAKER_THEMES)
    assert back["n_statements"].tolist() == [1, 2, 1]


def test_formula_cells_are_neutralised_and_restored(tmp_path):
    df = pd.DataFrame({"file": ["=cmd|' /C calc'!A0", "+1", "@SUM(A1)", "-x", "plain"], "problem": ["p"] * 5})
    path = tmp_path / "e.csv"
    write_table(df, path, INGEST_ERRORS)
    raw = path.read_text(encoding="utf-8")
    assert "\n'=cmd" in raw and "\n'+1" in raw and "\n'@SUM" in raw and "\n'-x" in raw
    assert sorted(read_table(path, INGEST_ERRORS)["file"]) == sorted(df["file"])
    assert restore_cell(neutralise_cell("'=already")) == "'=already"


def test_read_table_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match="missing.csv: file not found"):
        read_table(tmp_path / "missing.csv", SPEAKER_THEMES)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty.csv: file is empty"):
        read_table(empty, SPEAKER_THEMES)


@dataclass(frozen=True)
class _Inner:
    k: int = 1


@dataclass(frozen=True)
class _Params:
    name: str = "x"
    sizes: tuple[int, ...] = ()
    inner: _Inner = _Inner()


def test_params_section_is_frozen_and_rejects_unknown_keys(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("stage:\n  name: y\n  sizes: [1, 2]\n  inner: {k: 5}\nother:\n  z: 1\n")
    p = load_section(path, "stage", _Params)
    assert p == _Params("y", (1, 2), _Inner(5))
    with pytest.raises(InputError, match="unknown parameter"):
        section_from_dict({"nme": "typo"}, _Params)
    with pytest.raises(Exception):
        p.name = "z"  # frozen


def test_guard_column_is_the_per_cell_guard_without_a_call_per_cell():
    """`guard_column` maps only the cells the guard can change: the same values as mapping every cell."""
    import random

    import numpy as np
    import pandas as pd

    from pipeline.tableio import guard_column

    rng = random.Random(0)
    pool = ["=1+1", "+x", "-3", "@a", "'=b", "''=c", "'plain", "plain", "", "a'b", "''", "'", "-", "=", "'''+z"]
    for dtype in (object, "string"):
        column = pd.Series([rng.choice(pool) for _ in range(3000)], dtype=dtype)
        if dtype == "string":
            column[::7] = pd.NA
        else:
            column[::7], column[3::11], column[4::13] = None, 5, np.nan
        guarded = guard_column(column)
        pd.testing.assert_series_equal(guarded, column.map(neutralise_cell))
        pd.testing.assert_series_equal(guard_column(guarded, restore=True), guarded.map(restore_cell))
        pd.testing.assert_series_equal(guard_column(guarded, restore=True), column)
    assert guard_column(pd.Series([1.0, np.nan], dtype=object)).tolist()[0] == 1.0  # no text: every cell as it was
