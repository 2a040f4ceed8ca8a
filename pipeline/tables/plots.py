"""Long-form share files for `dvc plots show` (bar charts of theme shares).

DVC's bar templates take one categorical field and one value field, so each
row carries a ready `label` ("keynote / financing"); vega orders the bars by
that label, which keeps each role's or speaker's themes together.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pipeline.tables.counts import SUBSTANTIVE
from pipeline.tables.themes import ThemeColumns

LABEL_SEPARATOR = " / "


def share_plot(
    counts: pd.DataFrame,
    *,
    keys: Sequence[str],
    label_keys: Sequence[str],
    themes: ThemeColumns,
) -> pd.DataFrame:
    """Melt a wide `theme_counts` table into rows (keys, theme, n_statements, share, label).

    Shares are over substantive statements, as in the tables; procedural
    themes and themes a group never raised are left out of the picture.
    """
    keys, label_keys = list(keys), list(label_keys)
    long = counts.melt(
        id_vars=[*keys, SUBSTANTIVE],
        value_vars=list(themes.share_columns),
        var_name="theme",
        value_name="n_statements",
    )
    long = long[long["n_statements"] > 0].copy()
    long["n_statements"] = long["n_statements"].astype("int64")
    long["share"] = (long["n_statements"] / long[SUBSTANTIVE].replace(0, np.nan)).astype(float)
    parts = [long[c].astype(str) for c in label_keys] + [long["theme"].astype(str)]
    long["label"] = parts[0].str.cat(parts[1:], sep=LABEL_SEPARATOR) if len(long) else pd.Series(dtype=object)
    long = long[[*keys, "theme", "n_statements", "share", "label"]]
    return long.sort_values("label", kind="mergesort").reset_index(drop=True)
