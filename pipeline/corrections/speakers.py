"""Speaker rules, applied by the segment stage to statements.csv and speakers.csv.

Order: labels (every statement written under a label goes to a person),
then single statements (the more specific rule wins), then merges (person A
is person B, whichever rule brought a statement to A). A statement a rule touches gets `corrected_by = analyst`.
speakers.csv follows: counts and aliases are recounted, a person who appears
only through a rule gets a row, a person merged away loses theirs (their
aliases and affiliation go to the person they were merged into), and a body
person (no affiliation) whose every statement moved away is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.corrections.keys import locate, text_hashes
from pipeline.corrections.outcome import APPLIED, APPLIED_BY_TEXT, STALE, RuleOutcome
from pipeline.corrections.rules import Corrections, SpeakerRule, contradiction

ANALYST = "analyst"


@dataclass
class SpeakerCorrection:
    statements: pd.DataFrame
    speakers: pd.DataFrame
    outcomes: list[RuleOutcome]


def add_identity_columns(statements: pd.DataFrame) -> pd.DataFrame:
    """`text_hash` (what rules name a statement by) and an empty `corrected_by`."""
    out = statements.copy()
    out["text_hash"] = text_hashes(out)
    if "corrected_by" not in out.columns:
        out["corrected_by"] = ""
    out["corrected_by"] = out["corrected_by"].astype(object).where(out["corrected_by"].notna(), "")
    return out


def _role_of(speakers: pd.DataFrame, report: str, person: str) -> str:
    rows = speakers[(speakers["report_id"].astype(str) == report) & (speakers["speaker"].astype(str) == person)]
    return str(rows["role"].iloc[0]) if len(rows) else ""


def _in_scope(st: pd.DataFrame, report: str) -> pd.Series:
    return st["report_id"].astype(str) == report if report else pd.Series(True, index=st.index)


def apply_speaker_corrections(statements: pd.DataFrame, speakers: pd.DataFrame, corrections: Corrections) -> SpeakerCorrection:
    """Apply every speaker rule; returns the corrected tables and one outcome per rule.

    Raises InputError naming both rules when two statement rules give one
    statement different people or roles.
    """
    st = add_identity_columns(statements).reset_index(drop=True)
    original = st[["report_id", "speaker"]].copy()
    sp = speakers.copy().reset_index(drop=True)
    outcomes: list[RuleOutcome] = []
    merged_away: list[tuple[str, str, str]] = []  # (report scope, person merged, into)
    rules = sorted(corrections.speakers, key=lambda r: ("label", "statement", "merge").index(r.kind))
    by_statement: dict[str, SpeakerRule] = {}
    for rule in rules:
        if rule.kind == "merge":
            mask = _in_scope(st, rule.report) & (st["speaker"].astype(str).str.casefold() == rule.label.casefold())
            merged_away.append((rule.report, rule.label, str(rule.speaker)))
            target, change = f"person '{rule.label}'" + (f" in {rule.report}" if rule.report else ""), f"merged into '{rule.speaker}'"
            kind = "speaker_merge"
        elif rule.kind == "label":
            mask = _in_scope(st, rule.report) & (st["speaker_label"].astype(str).str.casefold() == rule.label.casefold())
            target, change = f"label '{rule.label}'" + (f" in {rule.report}" if rule.report else ""), f"speaker '{rule.speaker}'"
            kind = "speaker_label"
        else:
            assert rule.ref is not None
            match = locate(rule.ref, st)
            for sid in match.statement_ids:
                other = by_statement.setdefault(sid, rule)
                if other is not rule and (other.speaker != rule.speaker or other.role != rule.role):
                    raise contradiction(corrections.source, other.rule, rule.rule,
                                        f"statement {sid} is given to {_who(other)} and {_who(rule)}")
            mask = st["statement_id"].astype(str).isin(match.statement_ids)
            target = f"statement {rule.ref.describe()}"
            change = ", ".join(x for x in (f"speaker '{rule.speaker}'" if rule.speaker is not None else "",
                                           f"role {rule.role}" if rule.role else "") if x)
            kind = "speaker_statement"
        idx = st.index[mask]
        for i in idx:
            report = str(st.at[i, "report_id"])
            if rule.speaker is not None:
                st.at[i, "speaker"] = rule.speaker
            person = str(st.at[i, "speaker"])
            role = rule.role or _role_of(sp, report, person)
            if role:
                st.at[i, "role"] = role
            st.at[i, "corrected_by"] = ANALYST
        ids = tuple(st.loc[idx, "statement_id"].astype(str))
        status = STALE if not ids else (APPLIED_BY_TEXT if rule.kind == "statement" and match.how == "text" else APPLIED)
        if rule.kind == "merge" and not ids and _has_person(sp, rule.report, rule.label):
            status = APPLIED  # a listed person who never speaks is still merged
        outcomes.append(RuleOutcome(rule.rule, kind, target, change, ids, status))
    sp = _recount_speakers(st, original, sp, merged_away)
    return SpeakerCorrection(st, sp, sorted(outcomes, key=lambda o: int(o.rule.split("[")[1].rstrip("]"))))


def _who(rule: SpeakerRule) -> str:
    person = "(its speaker)" if rule.speaker is None else f"'{rule.speaker}'"
    return f"{person} as {rule.role}" if rule.role else person


def _has_person(sp: pd.DataFrame, report: str, person: str) -> bool:
    mask = _in_scope(sp, report) & (sp["speaker"].astype(str).str.casefold() == person.casefold())
    return bool(mask.any())


def _recount_speakers(st: pd.DataFrame, original: pd.DataFrame, sp: pd.DataFrame,
                      merged_away: list[tuple[str, str, str]]) -> pd.DataFrame:
    rows = {(str(r.report_id), str(r.speaker)): r._asdict() for r in sp.itertuples(index=False)}
    for scope, person, into in merged_away:
        for key in [k for k in rows if (not scope or k[0] == scope) and k[1].casefold() == person.casefold()]:
            gone = rows.pop(key)
            keep = rows.setdefault((key[0], into), {**gone, "speaker": into, "aliases": ""})
            keep["aliases"] = "; ".join(sorted({a for a in f"{keep['aliases']}; {gone['aliases']}".split("; ") if a}))
            if not str(keep.get("affiliation", "")):
                keep["affiliation"] = gone.get("affiliation", "")
    attributed = st.loc[st["speaker"].astype(str) != "", ["report_id", "speaker", "speaker_label", "role"]].astype(str)
    counts = {(r, s): int(n) for (r, s), n in attributed.groupby(["report_id", "speaker"], sort=True).size().items()}
    before = original[original["speaker"].astype(str) != ""].astype(str).groupby(["report_id", "speaker"]).size()
    # whole-table group-bys, one dict pass over their results: no per-person frame (it cost
    # about a millisecond a person, and grew faster than the corpus)
    labels: dict[tuple[str, str], set[str]] = {}
    for r, s, label in attributed[["report_id", "speaker", "speaker_label"]].drop_duplicates().itertuples(index=False):
        if label:
            labels.setdefault((r, s), set()).add(label)
    new_roles: dict[tuple[str, str], tuple[int, str]] = {}  # the role most of a new person's statements carry
    role_counts = attributed.groupby(["report_id", "speaker", "role"], sort=True).size()
    for (r, s, role), n in role_counts.items():
        if (r, s) not in rows:
            best = new_roles.get((r, s))
            if best is None or n > best[0]:  # ties: the alphabetically first role (sorted group-by)
                new_roles[(r, s)] = (int(n), role)
    for key, n in counts.items():
        if key not in rows:
            rows[key] = {"report_id": key[0], "speaker": key[1], "role": new_roles[key][1],
                         "affiliation": "", "aliases": "", "n_statements": 0}
        row = rows[key]
        row["aliases"] = "; ".join(sorted({a for a in str(row["aliases"]).split("; ") if a} | labels.get(key, set())))
        row["n_statements"] = n
    for key, row in list(rows.items()):
        if key not in counts:
            lost_all = int(before.get(key, 0)) > 0
            if lost_all and not str(row.get("affiliation", "")):
                del rows[key]
            else:
                row["n_statements"] = 0
    out = pd.DataFrame(list(rows.values()), columns=list(sp.columns))
    return out.sort_values(["report_id", "speaker"], kind="mergesort").reset_index(drop=True)
