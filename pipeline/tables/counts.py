"""Theme counts and shares per speaker, role and session, in long and wide form.

Only the primary `theme` of each statement is counted, so that counts add up to
the number of statements and shares add up to 1 for every speaker: a table an
analyst can defend line by line. Procedural statements are counted in their
own column/rows and never enter a share's denominator.

Nothing here knows about sessions beyond the contract columns (report_id,
speaker, role, theme): the same functions give a president x topic table for
State of the Union addresses (speaker = president, report_id = address).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from pipeline.contract import ROLES
from pipeline.errors import InputError
from pipeline.tables.themes import DEFAULT_PROCEDURAL, ThemeColumns

log = logging.getLogger(__name__)

UNATTRIBUTED = "(unattributed)"
SUBSTANTIVE = "substantive"
TOTAL = "total"
N_SUBSTANTIVE = "n_substantive"
N_PROCEDURAL = "n_procedural"
SPEAKER_KEY = ("report_id", "speaker")


def label_unattributed(statement_themes: pd.DataFrame) -> pd.DataFrame:
    """Group statements with no speaker under one pseudo-speaker per report.

    Dropping them would make a report's counts disagree with its statements;
    grouping keeps them visible (and countable) as `(unattributed)`.
    """
    out = statement_themes.copy()
    speaker = out["speaker"].astype(object).where(out["speaker"].notna(), "").astype(str)
    blank = speaker.str.strip() == ""
    out["speaker"] = speaker.where(~blank, UNATTRIBUTED)
    return out


def speaker_roles(statement_themes: pd.DataFrame) -> pd.DataFrame:
    """One role per (report_id, speaker): the role of most of their statements.

    A speaker normally has one role in a report; when the segmenter gave
    several, the most frequent wins (ties go to the earlier role in the
    contract's order: moderator, keynote, panelist, audience, other). The
    role x theme tables count each statement under its own role, so nothing
    is lost there.
    """
    st = label_unattributed(statement_themes)
    if st.empty:
        return pd.DataFrame({"report_id": [], "speaker": [], "role": []}, dtype=object)
    rank = {r: i for i, r in enumerate(ROLES)}
    sizes = st.groupby([*SPEAKER_KEY, "role"], sort=True).size().rename("n").reset_index()
    sizes["order"] = sizes["role"].map(lambda r: rank.get(r, len(rank)))
    sizes = sizes.sort_values([*SPEAKER_KEY, "n", "order"], ascending=[True, True, False, True], kind="mergesort")
    several = sizes.duplicated(list(SPEAKER_KEY), keep=False)
    if several.any():
        n_speakers = len(sizes.loc[several, list(SPEAKER_KEY)].drop_duplicates())
        log.info("%d speaker(s) have statements under several roles; each keeps the most frequent", n_speakers)
    roles = sizes.drop_duplicates(list(SPEAKER_KEY), keep="first")
    return roles[[*SPEAKER_KEY, "role"]].reset_index(drop=True)


def speaker_themes_long(
    statement_themes: pd.DataFrame,
    *,
    themes: ThemeColumns,
) -> pd.DataFrame:
    """The SPEAKER_THEMES table: one row per (report, speaker, theme) that occurs.

    `share` = n_statements / the speaker's substantive statements in that
    report (`n_substantive`, all but procedural ones); procedural rows keep
    their count with an empty share.
    """
    st = label_unattributed(statement_themes)
    themes.check(st["theme"], "statement_themes")
    columns = [*SPEAKER_KEY, "role", "theme", "n_statements", "share", N_SUBSTANTIVE]
    if st.empty:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in columns})
    counts = st.groupby([*SPEAKER_KEY, "theme"], sort=True).size().rename("n_statements").reset_index()
    substantive = (
        st[~themes.is_procedural(st["theme"])].groupby(list(SPEAKER_KEY)).size().rename(N_SUBSTANTIVE).reset_index()
    )
    out = counts.merge(substantive, on=list(SPEAKER_KEY), how="left")
    out[N_SUBSTANTIVE] = out[N_SUBSTANTIVE].fillna(0).astype("int64")
    share = out["n_statements"] / out[N_SUBSTANTIVE].replace(0, np.nan)
    out["share"] = share.where(~themes.is_procedural(out["theme"]), np.nan).astype(float)
    out = out.merge(speaker_roles(st), on=list(SPEAKER_KEY), how="left")
    out["n_statements"] = out["n_statements"].astype("int64")
    return _sorted(out[columns], [*SPEAKER_KEY, "theme"])


def theme_counts(
    statement_themes: pd.DataFrame,
    *,
    by: Sequence[str],
    themes: ThemeColumns,
) -> pd.DataFrame:
    """Wide counts: one row per `by` group, one column per theme, then substantive and total.

    Every codebook theme gets a column even when no statement has it, so the
    tables of two runs (or two corpora) line up column for column.
    """
    by = list(by)
    st = label_unattributed(statement_themes)
    themes.check(st["theme"], "statement_themes")
    _check_no_clash(by, themes)
    if st.empty:
        wide = pd.DataFrame({c: pd.Series(dtype=object) for c in by})
        for c in themes.columns:
            wide[c] = pd.Series(dtype="int64")
    else:
        grouped = st.groupby([*by, "theme"], sort=True).size().unstack("theme", fill_value=0)
        wide = grouped.reindex(columns=list(themes.columns), fill_value=0).reset_index()
        wide.columns.name = None
    for c in themes.columns:
        wide[c] = wide[c].astype("int64")
    wide[SUBSTANTIVE] = wide[list(themes.share_columns)].sum(axis=1).astype("int64")
    wide[TOTAL] = wide[list(themes.columns)].sum(axis=1).astype("int64")
    return _sorted(wide[[*by, *themes.columns, SUBSTANTIVE, TOTAL]], by)


def theme_shares(counts: pd.DataFrame, *, themes: ThemeColumns) -> pd.DataFrame:
    """Wide shares from a `theme_counts` table: each theme over substantive statements.

    `total` is the sum of the shares (1, or empty for a group with only
    procedural statements); `n_substantive` and `n_procedural` give the base.
    """
    keys = [c for c in counts.columns if c not in (*themes.columns, SUBSTANTIVE, TOTAL)]
    base = counts[SUBSTANTIVE].astype(float).replace(0.0, np.nan)
    out = counts[keys].copy()
    for c in themes.share_columns:
        out[c] = (counts[c] / base).astype(float)
    out[TOTAL] = out[list(themes.share_columns)].sum(axis=1, min_count=1).where(base.notna(), np.nan)
    out[N_SUBSTANTIVE] = counts[SUBSTANTIVE].astype("int64")
    out[N_PROCEDURAL] = counts[list(themes.procedural)].sum(axis=1).astype("int64")
    return out.reset_index(drop=True)


def speaker_theme_table(
    statement_themes: pd.DataFrame,
    *,
    themes_order: Iterable[str],
    procedural: Iterable[str] = DEFAULT_PROCEDURAL,
    per_report: bool = True,
    shares: bool = False,
) -> pd.DataFrame:
    """Speaker x theme, wide: the table an analyst puts in a report.

    `themes_order` is the codebook's theme ids in order. With `per_report`
    rows are (report_id, speaker, role); without it, one row per speaker across
    the corpus (e.g. president x CAP topic over all addresses).
    """
    themes = ThemeColumns.from_ids(themes_order, procedural=procedural)
    if per_report:
        counts = theme_counts(statement_themes, by=SPEAKER_KEY, themes=themes)
        counts = counts.merge(speaker_roles(statement_themes), on=list(SPEAKER_KEY), how="left")
        counts = counts[[*SPEAKER_KEY, "role", *themes.columns, SUBSTANTIVE, TOTAL]]
    else:
        counts = theme_counts(statement_themes, by=("speaker",), themes=themes)
    return theme_shares(counts, themes=themes) if shares else counts


def _check_no_clash(by: Sequence[str], themes: ThemeColumns) -> None:
    reserved = {*by, SUBSTANTIVE, TOTAL, N_SUBSTANTIVE, N_PROCEDURAL}
    clash = sorted(reserved & set(themes.columns))
    if clash:
        raise InputError("codebook", f"theme id(s) {', '.join(clash)} clash with a table column name")


def _sorted(df: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    return df.sort_values(list(keys), kind="mergesort").reset_index(drop=True)


def _dtype(column: str) -> str:
    return {"n_statements": "int64", N_SUBSTANTIVE: "int64", "share": "float64"}.get(column, "object")
