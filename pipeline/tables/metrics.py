"""Corpus figures for `dvc metrics show`, so `dvc exp run -S ...` runs can be compared.

The figures an analyst checks first when a parameter changes: how much is
covered (themes used), and how much escapes the model (outliers, `other`).
"""

from __future__ import annotations

import pandas as pd

from pipeline.tables.counts import UNATTRIBUTED, label_unattributed
from pipeline.tables.themes import OTHER, ThemeColumns

OUTLIER_TOPIC = -1
DECIMALS = 6


def table_metrics(statement_themes: pd.DataFrame, *, themes: ThemeColumns) -> dict[str, int | float]:
    """Counts and shares over all statements (shares are 0 for an empty corpus)."""
    st = label_unattributed(statement_themes)
    n = len(st)
    attributed = st[st["speaker"] != UNATTRIBUTED]
    covered = set(st["theme"]) & set(themes.substantive)

    def share(mask: pd.Series) -> float:
        return round(float(mask.sum()) / n, DECIMALS) if n else 0.0

    return {
        "statements": n,
        "reports": int(st["report_id"].nunique()),
        "speakers": int(len(attributed[["report_id", "speaker"]].drop_duplicates())),
        "unattributed_statements": int(n - len(attributed)),
        "themes_in_codebook": len(themes.substantive),
        "themes_covered": len(covered),
        "outlier_share": share(pd.to_numeric(st["topic"]) == OUTLIER_TOPIC),
        "other_share": share(st["theme"] == OTHER),
        "procedural_share": share(themes.is_procedural(st["theme"])),
    }
