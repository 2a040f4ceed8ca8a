"""The quote bank: the statements that best stand for each speaker's take on a theme.

An analyst quoting a speaker must be able to find the words in the source,
so every quote carries its provenance from statements.csv: report, section,
line range and page.
"""

from __future__ import annotations

import pandas as pd

from pipeline.errors import InputError
from pipeline.tables.counts import label_unattributed
from pipeline.tables.themes import ThemeColumns

GROUP = ["report_id", "speaker", "theme"]
PROVENANCE = ["section", "line_start", "line_end", "page"]
COLUMNS = [
    "theme",
    "report_id",
    "speaker",
    "role",
    "rank",
    "theme_score",
    "statement_id",
    *PROVENANCE,
    "topic",
    "topic_label",
    "themes",
    "text",
]


def quote_bank(
    statement_themes: pd.DataFrame,
    statements: pd.DataFrame,
    *,
    themes: ThemeColumns,
    k: int,
    include_procedural: bool = False,
) -> pd.DataFrame:
    """Top `k` statements by theme_score per (report, speaker, theme), with provenance.

    Ties in theme_score go to the earlier statement in the report (`seq`), so
    the choice is stable. Procedural statements (greetings, thanks) are left
    out unless `include_procedural`: they are counted in the theme tables but
    are not worth quoting.
    """
    if k < 1:
        raise InputError("params", f"tables.quote_bank_k must be at least 1, got {k}")
    st = label_unattributed(statement_themes)
    themes.check(st["theme"], "statement_themes")
    if not include_procedural:
        st = st[~themes.is_procedural(st["theme"])]
    provenance = statements[["statement_id", "seq", *PROVENANCE]]
    # section comes from statement_themes too; keep the statements' own as the source of truth
    merged = st.drop(columns=[c for c in PROVENANCE if c in st.columns]).merge(
        provenance, on="statement_id", how="left", validate="one_to_one"
    )
    merged = merged.sort_values(
        [*GROUP, "theme_score", "seq"], ascending=[True, True, True, False, True], kind="mergesort"
    )
    merged["rank"] = merged.groupby(GROUP, sort=False).cumcount() + 1
    top = merged[merged["rank"] <= k].copy()
    top["rank"] = top["rank"].astype("int64")
    return top[COLUMNS].reset_index(drop=True)
