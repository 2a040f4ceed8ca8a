"""What became of each rule: the rows of corrections_report.csv."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

APPLIED = "applied"  # matched by the statement's text hash (or label, person, topic) and applied
APPLIED_BY_TEXT = "applied_by_text"  # the hash matched nothing, the quoted text did: update the rule's hash
STALE = "stale"  # matched nothing in this run: fix or delete the rule
STATUSES = (APPLIED, APPLIED_BY_TEXT, STALE)


@dataclass(frozen=True)
class RuleOutcome:
    rule: str  # e.g. "themes[2]"
    kind: str  # speaker_statement, speaker_label, speaker_merge, theme, topic_name, topic_merge
    target: str  # what the rule points at, readable
    change: str  # what it does, readable
    statement_ids: tuple[str, ...]
    status: str


COLUMNS = ("section", "index", "rule", "kind", "target", "change", "matched", "statements", "status")


def outcomes_frame(outcomes: list[RuleOutcome]) -> pd.DataFrame:
    """One row per rule, in file order: matched = statements (or topics' statements) it touched."""
    rows = []
    for o in outcomes:
        section, _, rest = o.rule.partition("[")
        rows.append({
            "section": section,
            "index": int(rest.rstrip("]")),
            "rule": o.rule,
            "kind": o.kind,
            "target": o.target,
            "change": o.change,
            "matched": len(o.statement_ids),
            "statements": " ".join(o.statement_ids),
            "status": o.status,
        })
    return pd.DataFrame(rows, columns=list(COLUMNS))
