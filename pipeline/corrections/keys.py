"""How a rule names a statement so that the name survives reruns and resegmentation.

A statement is (report id, hash of its normalised text), with its first line
as a hint that tells identical texts apart ("Thank you." said twice). The
normalised text keeps letters and digits only, case-folded (NFKC), so a
changed bullet, quote mark, line wrap or spacing keeps the hash; when the
words themselves change (a statement split or merged by a new segmentation)
the rule's quoted `text` finds it again (`locate`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

HASH_CHARS = 12
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    """Letters and digits only, case-folded, single-spaced: what a statement's identity rests on."""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return " ".join(_NON_WORD.sub(" ", folded).split())


def statement_hash(text: str) -> str:
    """The first 12 hex digits of the sha256 of the normalised text."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()[:HASH_CHARS]


def text_hashes(statements: pd.DataFrame) -> pd.Series:
    """Each statement's `statement_hash`: its `text_hash` cell where one is set (the segment stage
    writes them), computed from `text` where not."""
    if not len(statements):
        return pd.Series(dtype=str, index=statements.index)
    known = statements["text_hash"] if "text_hash" in statements.columns else pd.Series(pd.NA, index=statements.index)
    known = known.astype(object).where(known.notna() & (known.astype(str) != ""), None)
    missing = known.isna().to_numpy()
    if not missing.any():
        return known.astype(str)
    out = known.copy()
    out[missing] = [statement_hash(t) for t in statements["text"][missing].astype(str)]
    return out.astype(str)


@dataclass(frozen=True)
class StatementRef:
    """A rule's pointer to a statement: report, text hash, line hint and (optional) quoted text."""

    report: str
    hash: str
    line: int | None = None
    text: str = ""

    def describe(self) -> str:
        line = f" line {self.line}" if self.line is not None else ""
        return f"{self.report} #{self.hash}{line}"


@dataclass(frozen=True)
class Match:
    statement_ids: tuple[str, ...]
    how: str  # "hash", "text" or "none"


def locate(ref: StatementRef, statements: pd.DataFrame) -> Match:
    """The statements `ref` names in `statements` (needs report_id, statement_id, text, line_start).

    By hash first: one hit is the statement; several identical texts are told
    apart by the nearest `line_start` to the hint (all of them without a hint).
    No hash hit: the quoted text, normalised, contained in exactly one
    statement of the report (the statement grew), or the statements contained
    in the quoted text (it was split).
    """
    in_report = statements[statements["report_id"].astype(str) == ref.report]
    if not len(in_report):
        return Match((), "none")
    hashes = in_report["text"].map(statement_hash)
    hits = in_report[hashes == ref.hash]
    if len(hits) == 1:
        return Match((str(hits["statement_id"].iloc[0]),), "hash")
    if len(hits) > 1:
        if ref.line is None:
            return Match(tuple(hits["statement_id"].astype(str)), "hash")
        distance = (pd.to_numeric(hits["line_start"]) - ref.line).abs().to_numpy()
        return Match((str(hits["statement_id"].iloc[int(distance.argmin())]),), "hash")
    quoted = normalise_text(ref.text)
    if not quoted:
        return Match((), "none")
    norm = in_report["text"].map(normalise_text)
    grown = in_report[norm.map(lambda t: f" {quoted} " in f" {t} ")]
    if len(grown) == 1:
        return Match((str(grown["statement_id"].iloc[0]),), "text")
    split = in_report[norm.map(lambda t: bool(t) and len(t.split()) >= 3 and f" {t} " in f" {quoted} ")]
    if len(split):
        return Match(tuple(split["statement_id"].astype(str)), "text")
    return Match((), "none")
