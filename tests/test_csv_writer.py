"""`tableio.write_table` writes its CSV itself: the bytes pandas' `to_csv` writes, on awkward values."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from pipeline import tableio
from pipeline.tableio import FLOAT_FORMAT, read_table, write_table

# values pandas writes so that its reader gets them back (a lone "\r" is not among them: see the last test)
AWKWARD = ["", " ", "plain", "comma, inside", 'a "quote"', '"', "line\nbreak", "\r\n", "tab\there",
           "é ü 中文 😀", " lead", "trail ", ",", '""', "'=guarded", "=formula", "-minus", "x" * 500]


def _pandas_bytes(df: pd.DataFrame, tmp_path) -> bytes:
    path = tmp_path / "pandas.csv"
    tableio.prepare_for_csv(df).to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n",
                                       encoding="utf-8")
    return path.read_bytes()


def _ours(df: pd.DataFrame, tmp_path) -> bytes:
    path = tmp_path / "ours.csv"
    write_table(df, path)
    return path.read_bytes()


def _frame(rng: random.Random, rows: int) -> pd.DataFrame:
    text = [rng.choice(AWKWARD) for _ in range(rows)]
    return pd.DataFrame({
        "text": pd.array([None if i % 7 == 3 else t for i, t in enumerate(text)], dtype="str"),
        "object_text": pd.Series([rng.choice(AWKWARD) for _ in range(rows)], dtype=object),
        "whole": pd.array([None if i % 5 == 0 else rng.randint(-10**12, 10**12) for i in range(rows)], dtype="Int64"),
        "count": np.array([rng.randint(0, 99) for _ in range(rows)], dtype=np.int64),
        "share": [rng.choice([0.0, -0.0, 1 / 3, 1e21, 1e-9, float("nan"), float("inf"), -2.5]) for _ in range(rows)],
        "flag": [rng.random() < 0.5 for _ in range(rows)],
        "with, comma": ["x"] * rows,
    })


@pytest.mark.parametrize("seed", range(5))
def test_same_bytes_as_pandas(tmp_path, seed):
    df = _frame(random.Random(seed), 200)
    assert _ours(df, tmp_path) == _pandas_bytes(df, tmp_path)


@pytest.mark.parametrize("values", [["", "a", ""], ["a, b", ""], [None, "x"], []])
def test_one_column_and_no_rows(tmp_path, values):
    df = pd.DataFrame({"only": pd.array(values, dtype="str")})
    assert _ours(df, tmp_path) == _pandas_bytes(df, tmp_path)
    empty = _frame(random.Random(0), 0)
    assert _ours(empty, tmp_path) == _pandas_bytes(empty, tmp_path)


def test_other_values_are_formatted_by_pandas(tmp_path, monkeypatch):
    """A number among text (an object column) or a date goes through pandas' own formatting: still its bytes."""
    df = pd.DataFrame({"mixed": pd.Series(["a", 1.5, 2, None, "x, \"y\"\nz", 1e-9], dtype=object),
                       "when": pd.to_datetime(["2020-01-01"] * 5 + [None]),
                       "text": pd.array(AWKWARD[:6], dtype="str")})
    assert tableio._csv_fields(df["mixed"]) is None and tableio._csv_fields(df["when"]) is None
    assert _ours(df, tmp_path) == _pandas_bytes(df, tmp_path)
    assert _ours(df.iloc[:0], tmp_path) == _pandas_bytes(df.iloc[:0], tmp_path)


def test_a_lone_carriage_return_is_quoted_and_read_back(tmp_path):
    """Python 3.11's csv writer leaves a field holding "\r" (and no "\n") unquoted, and pandas' reader ends the
    row there: the statement would come back as two rows. The writer quotes it, so every row reads back whole."""
    texts = ["cr\ronly", "\rlead", "tail\r", "both\r\n", "plain"]
    df = pd.DataFrame({"text": pd.array(texts, dtype="str"), "n": np.arange(len(texts), dtype=np.int64),
                       "mixed": pd.Series(["a\rb", 1, None, "c", 2.5], dtype=object)})  # formatted by pandas
    path = tmp_path / "cr.csv"
    write_table(df, path)
    assert path.read_bytes().startswith(b'text,n,mixed\n"cr\ronly",0,"a\rb"\n"\rlead",1,1\n')
    back = read_table(path)
    assert back["text"].tolist() == texts and back["n"].astype(int).tolist() == list(range(len(texts)))
    assert back["mixed"].tolist() == ["a\rb", "1", "", "c", "2.5"]
