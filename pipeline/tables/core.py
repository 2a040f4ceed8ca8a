"""The `tables` stage as one pure function: statement themes in, every table out."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from pipeline.errors import ContractError, InputError
from pipeline.tables.counts import (
    SPEAKER_KEY,
    SUBSTANTIVE,
    TOTAL,
    UNATTRIBUTED,
    label_unattributed,
    speaker_roles,
    speaker_themes_long,
    theme_counts,
    theme_shares,
)
from pipeline.tables.metrics import table_metrics
from pipeline.tables.plots import share_plot
from pipeline.tables.quotes import quote_bank
from pipeline.tables.themes import ThemeColumns

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TablesParams:
    """The `tables` section of params.yaml."""

    quote_bank_k: int = 3
    quote_bank_procedural: bool = False


@dataclass(frozen=True)
class ThemeTables:
    speaker_themes: pd.DataFrame
    speaker_counts: pd.DataFrame
    speaker_shares: pd.DataFrame
    role_counts: pd.DataFrame
    role_shares: pd.DataFrame
    session_counts: pd.DataFrame
    session_shares: pd.DataFrame
    quote_bank: pd.DataFrame
    plot_by_role: pd.DataFrame
    plot_by_speaker: pd.DataFrame
    metrics: dict[str, int | float]


def check_same_statements(
    statement_themes: pd.DataFrame,
    statements: pd.DataFrame,
    *,
    themes_source: object = "statement_themes",
    statements_source: object = "statements",
) -> None:
    """Both tables must hold the same statements, or the counts would not match the report."""
    themed, segmented = set(statement_themes["statement_id"]), set(statements["statement_id"])
    missing = sorted(segmented - themed)
    if missing:
        raise ContractError(
            themes_source,
            f"lacks {len(missing)} statement(s) of {statements_source} (first: {missing[0]}); rerun the topics stage",
        )
    unknown = sorted(themed - segmented)
    if unknown:
        raise ContractError(
            themes_source,
            f"has {len(unknown)} statement(s) not in {statements_source} (first: {unknown[0]}); rerun the topics stage",
        )


def build_tables(
    statement_themes: pd.DataFrame,
    statements: pd.DataFrame,
    *,
    themes: ThemeColumns,
    params: TablesParams,
    source: object = "statement_themes",
) -> ThemeTables:
    """Every output of the stage; `source` names the input in error messages."""
    if params.quote_bank_k < 1:
        raise InputError("params", f"tables.quote_bank_k must be at least 1, got {params.quote_bank_k}")
    themes.check(statement_themes["theme"], source)
    check_same_statements(statement_themes, statements, themes_source=source)

    unattributed = int((label_unattributed(statement_themes)["speaker"] == UNATTRIBUTED).sum())
    if unattributed:
        log.info("%d statement(s) without a speaker grouped as %s", unattributed, UNATTRIBUTED)
    roles = speaker_roles(statement_themes)
    speaker_counts = theme_counts(statement_themes, by=SPEAKER_KEY, themes=themes)
    speaker_counts = speaker_counts.merge(roles, on=list(SPEAKER_KEY), how="left")
    speaker_counts = speaker_counts[[*SPEAKER_KEY, "role", *themes.columns, SUBSTANTIVE, TOTAL]]
    role_counts = theme_counts(statement_themes, by=("role",), themes=themes)
    session_counts = theme_counts(statement_themes, by=("report_id",), themes=themes)

    several_reports = statement_themes["report_id"].nunique() > 1
    speaker_label = [*SPEAKER_KEY] if several_reports else ["speaker"]
    return ThemeTables(
        speaker_themes=speaker_themes_long(statement_themes, themes=themes),
        speaker_counts=speaker_counts,
        speaker_shares=theme_shares(speaker_counts, themes=themes),
        role_counts=role_counts,
        role_shares=theme_shares(role_counts, themes=themes),
        session_counts=session_counts,
        session_shares=theme_shares(session_counts, themes=themes),
        quote_bank=quote_bank(
            statement_themes,
            statements,
            themes=themes,
            k=params.quote_bank_k,
            include_procedural=params.quote_bank_procedural,
        ),
        plot_by_role=share_plot(role_counts, keys=("role",), label_keys=("role",), themes=themes),
        plot_by_speaker=share_plot(
            speaker_counts, keys=(*SPEAKER_KEY, "role"), label_keys=speaker_label, themes=themes
        ),
        metrics=table_metrics(statement_themes, themes=themes),
    )
