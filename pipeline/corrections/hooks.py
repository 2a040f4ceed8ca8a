"""Where the stages call the corrections: read the rules, apply them, write the report.

The only file I/O of the package besides `rules.load_corrections` and
`writer`: the segment and topics commands each call one function here after
their core function, so the stages' cores know nothing of corrections.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.contract import CORRECTIONS_REPORT
from pipeline.corrections.outcome import STALE, outcomes_frame
from pipeline.corrections.rules import load_corrections
from pipeline.corrections.speakers import apply_speaker_corrections
from pipeline.tableio import read_table, write_table

log = logging.getLogger(__name__)


def _log_outcomes(report: pd.DataFrame, source: object) -> None:
    stale = report[report["status"] == STALE]
    for row in stale.itertuples(index=False):
        log.warning("%s: %s matched nothing (%s): stale, see corrections_report.csv", source, row.rule, row.target)
    if len(report):
        log.info("corrections: %d rule(s) applied, %d stale", len(report) - len(stale), len(stale))


def apply_speaker_rules(frames: dict[Path, pd.DataFrame], statements: Path, speakers: Path,
                        corrections: Path | None, report: Path | None) -> None:
    """Segment stage: apply the speaker rules to the statements and speakers frames (in place in `frames`)."""
    rules = load_corrections(corrections)
    fixed = apply_speaker_corrections(frames[statements], frames[speakers], rules)
    frames[statements], frames[speakers] = fixed.statements, fixed.speakers
    if report is not None:
        out = outcomes_frame(fixed.outcomes)
        _log_outcomes(out, corrections)
        write_table(out, report, CORRECTIONS_REPORT)


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
        topic_mapping=(lambda t, p: topic_themes(t, p, topic_min_share)) if len(rules.themes) + len(rules.topics) else None,
    )
    result.statement_themes, result.topics, result.labels = fixed.statement_themes, fixed.topics, fixed.labels
    if report is not None:
        own = outcomes_frame(fixed.outcomes)
        _log_outcomes(own, corrections)
        earlier = read_table(segment_report, CORRECTIONS_REPORT) if segment_report is not None else own.iloc[0:0]
        merged = pd.concat([f for f in (earlier, own) if len(f)], ignore_index=True) if len(earlier) or len(own) else own
        write_table(merged, report, CORRECTIONS_REPORT)
    return result
