"""The topics stage's call into the corrections: theme and topic rules, and the whole corrections report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.contract import CORRECTIONS_REPORT
from pipeline.corrections.hooks import log_outcomes
from pipeline.corrections.outcome import outcomes_frame
from pipeline.corrections.rules import load_corrections
from pipeline.tableio import read_table, write_table


def apply_theme_rules(result: Any, statements: pd.DataFrame, theme_ids: tuple[str, ...], topic_min_share: float,
                      corrections: Path | None, segment_report: Path | None, report: Path | None) -> Any:
    """Topics stage: apply the theme and topic rules to a TopicsResult; write the whole corrections report.

    The report joins the segment stage's rows (`segment_report`) to this
    stage's, so one file says what became of every rule.
    """
    from pipeline.corrections.themes import apply_theme_corrections
    from pipeline.topics.themes import topic_themes

    rules = load_corrections(corrections)
    by_id = statements.set_index(statements["statement_id"].astype(str))
    corrected_by = by_id["corrected_by"] if "corrected_by" in by_id.columns else None
    fixed = apply_theme_corrections(
        result.statement_themes, result.topics, result.labels, rules, theme_ids,
        line_start=by_id["line_start"], corrected_speakers=corrected_by,
        known_hashes=by_id["text_hash"] if "text_hash" in by_id.columns else None,
        topic_mapping=(lambda t, p: topic_themes(t, p, topic_min_share)) if len(rules.themes) + len(rules.topics) else None,
    )
    result.statement_themes, result.topics, result.labels = fixed.statement_themes, fixed.topics, fixed.labels
    if report is not None:
        own = outcomes_frame(fixed.outcomes)
        log_outcomes(own, corrections)
        earlier = read_table(segment_report, CORRECTIONS_REPORT) if segment_report is not None else own.iloc[0:0]
        merged = pd.concat([f for f in (earlier, own) if len(f)], ignore_index=True) if len(earlier) or len(own) else own
        write_table(merged, report, CORRECTIONS_REPORT)
    return result
