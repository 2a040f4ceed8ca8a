"""Analyst corrections: a versioned file of rules the stages apply on every run.

The analyst's file (`data/corrections/corrections.yaml`) holds rules of three
kinds: `speakers` (applied by the segment stage), `themes` and `topics`
(applied by the topics stage), so every later table, the report and the
workbook see the corrected values. A statement is named by its report and a
hash of its normalised text (`keys.statement_hash`), with its line as a hint,
never by a row number, so a rule survives reruns and resegmentation. Every
rule's outcome (applied, matched by its quoted text, stale) is reported;
contradictory rules stop the stage naming both. Pure functions: no file I/O
outside `rules.load_corrections`, `writer` and `hooks`.

The package root re-exports what the segment stage needs only: the theme
rules (`pipeline.corrections.themes`) read the codebook, which the segment
stage does not depend on.
"""

from pipeline.corrections.keys import normalise_text, statement_hash
from pipeline.corrections.outcome import RuleOutcome, outcomes_frame
from pipeline.corrections.rules import Corrections, load_corrections, parse_corrections
from pipeline.corrections.speakers import apply_speaker_corrections

__all__ = [
    "Corrections",
    "RuleOutcome",
    "apply_speaker_corrections",
    "load_corrections",
    "normalise_text",
    "outcomes_frame",
    "parse_corrections",
    "statement_hash",
]
