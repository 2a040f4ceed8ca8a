"""Statements in `seq` order, as pandas' `sort_values("seq")` gives them (the export's order, ties included)."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd

from pipeline.qda.project import _SeqOrder


def test_seq_order_is_sort_values_order_ties_and_types_included() -> None:
    rng = random.Random(2)
    for dtype in ("Int64", "int64", "int32", object, "float64"):
        for _ in range(200):
            n = rng.randint(0, 60)
            df = pd.DataFrame({"seq": pd.array([rng.randint(0, 8) for _ in range(n)]).astype(dtype),
                               "statement_id": [f"s{i}" for i in range(n)]})
            positions = np.array(sorted(rng.sample(range(n), rng.randint(0, n))), dtype=np.intp)
            expected = df.iloc[positions].reset_index(drop=True).sort_values("seq").index.to_numpy()
            assert _SeqOrder(df).order(positions) == positions[expected].tolist()


def test_seq_order_with_a_missing_seq_falls_back_to_pandas() -> None:
    df = pd.DataFrame({"seq": pd.array([3, None, 1, 2], dtype="Int64")})
    positions = np.arange(4, dtype=np.intp)
    assert _SeqOrder(df).order(positions) == [2, 3, 0, 1]
