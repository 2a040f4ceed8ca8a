"""Where the stages call the corrections: read the rules, apply them, write the report.

With `theme_hooks`, the only file I/O of the package besides
`rules.load_corrections` and `writer`: the segment and topics commands each
call one function after their core function, so the stages' cores know
nothing of corrections. The segment stage's hook is here; the topics stage's
(which reads the codebook and the topic mapping) in `theme_hooks`, so the
segment stage runs no theme code.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from pipeline.contract import CORRECTIONS_REPORT
from pipeline.corrections.outcome import STALE, outcomes_frame
from pipeline.corrections.rules import load_corrections
from pipeline.corrections.speakers import apply_speaker_corrections
from pipeline.tableio import write_table

log = logging.getLogger(__name__)


def log_outcomes(report: pd.DataFrame, source: object) -> None:
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
        log_outcomes(out, corrections)
        write_table(out, report, CORRECTIONS_REPORT)
