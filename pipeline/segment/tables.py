"""One report's walk -> the contract tables: statements, session, speakers, dropped lines.

Who a statement is by is settled here, once the whole document is read: the
header's person and role when the label resolves to someone listed, else the
person as the label writes them, cleaned (titles, post-nominals and asides
dropped), with the role a role word gave ("The Chair" -> moderator), else
`audience` for people who write in a chat or speak in an audience section and
`other` for everyone else (members who question witnesses, unlisted participants).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.contract import DROPPED_LINES, SESSIONS, SPEAKERS, STATEMENTS
from pipeline.corrections.keys import statement_hash
from pipeline.segment.header import Header
from pipeline.segment.identity import Identities, Speaker
from pipeline.segment.names import Roster, clean_name
from pipeline.segment.normalise import collapse_spaces, fold

AUDIENCE_SECTIONS = frozenset({"audience_comments", "spoken_comments"})
# When one person's statements carry several roles, the person's role is the first of these.
ROLE_PRECEDENCE = ("moderator", "keynote", "panelist", "audience", "other")


@dataclass
class Piece:
    """A finished statement before attribution."""

    speaker: Speaker
    chat: bool
    section: str
    text: str
    lines: tuple[int, ...]
    page: int | None


@dataclass(frozen=True)
class Attributed:
    speaker: str
    role: str
    affiliation: str


def statements_table(
    report_id: str,
    pieces: list[Piece],
    people: list[Attributed],
    times: dict[int, tuple[str | None, str | None]] | None = None,
) -> pd.DataFrame:
    """`times`: a transcript's (start, end) per line; a statement runs from its first cue's start to its last cue's end."""
    times = times or {}
    rows = []
    for seq, (piece, who) in enumerate(zip(pieces, people), start=1):
        rows.append(
            {
                "report_id": report_id,
                "statement_id": f"{report_id}:{seq:04d}",
                "seq": seq,
                "section": piece.section,
                "speaker": who.speaker,
                "role": who.role,
                "speaker_label": collapse_spaces(piece.speaker.label),
                "text": piece.text,
                "line_start": min(piece.lines),
                "line_end": max(piece.lines),
                "page": piece.page,
                "start_time": times.get(min(piece.lines), (None, None))[0],
                "end_time": times.get(max(piece.lines), (None, None))[1],
                "source_lines": " ".join(str(n) for n in piece.lines),
                "text_hash": statement_hash(piece.text),
            }
        )
    df = pd.DataFrame(rows, columns=list(STATEMENTS.column_names))
    df["page"] = df["page"].astype("Int64")
    return df


def dropped_table(report_id: str, dropped: dict[int, str], texts: dict[int, str], pages: dict[int, int | None]) -> pd.DataFrame:
    df = pd.DataFrame(
        [
            {"report_id": report_id, "line_no": n, "page": pages.get(n), "reason": reason, "text": texts.get(n, "")}
            for n, reason in sorted(dropped.items())
        ],
        columns=DROPPED_LINES.column_names,
    )
    df["page"] = df["page"].astype("Int64")
    return df


def attribute(pieces: list[Piece], roster: Roster, identities: Identities) -> list[Attributed]:
    """(speaker, role, affiliation) per piece (see the module docstring)."""
    resolved: list[tuple[str, str, Speaker]] = []  # (name, roster role or "", speaker)
    label_roles: dict[str, set[str]] = {}
    audience_names: set[str] = set()
    affiliations: dict[str, str] = {}
    for piece in pieces:
        speaker = identities.settle(piece.speaker)
        if not speaker.who:
            resolved.append(("", "", speaker))
            continue
        person = roster.resolve(speaker.who)
        name = person.name if person else clean_name(speaker.who)
        resolved.append((name, person.role if person else "", speaker))
        key = fold(name)
        if person is None and speaker.role and speaker.role != "other":
            label_roles.setdefault(key, set()).add(speaker.role)
        if person is None and (piece.chat or piece.section in AUDIENCE_SECTIONS):
            audience_names.add(key)
        if speaker.affiliation and not speaker.pending_role:
            affiliations.setdefault(key, speaker.affiliation)
    out: list[Attributed] = []
    first_spelling: dict[str, str] = {}
    for piece, (name, roster_role, _) in zip(pieces, resolved):
        key = fold(name)
        if not name:
            out.append(Attributed("", "audience" if piece.section in AUDIENCE_SECTIONS else "other", ""))
            continue
        if roster_role:
            role = roster_role
        elif key in label_roles:
            role = next(r for r in ROLE_PRECEDENCE if r in label_roles[key])
        else:
            role = "audience" if key in audience_names else "other"
        # people outside the header written with different case/accents get the first spelling seen
        spelling = first_spelling.setdefault(key, name) if not roster_role else name
        out.append(Attributed(spelling, role, affiliations.get(key, "")))
    return out


def session_table(report_id: str, header: Header) -> pd.DataFrame:
    row = {
        "report_id": report_id,
        "series": header.series,
        "session": header.session,
        "date": header.date,
        "start_time": header.start_time,
        "end_time": header.end_time,
        "title": header.title,
        "moderator": "; ".join(header.names("moderator")),
        "keynotes": "; ".join(header.names("keynote")),
        "panelists": "; ".join(header.names("panelist")),
        "panelist_affiliations": "; ".join(p.affiliation for p in header.people if p.role == "panelist"),
        "participants": header.participants,
        "views": header.views,
        "people_reached": header.people_reached,
        "participation": header.participation,
        "event": header.event,
    }
    df = pd.DataFrame([row], columns=[*SESSIONS.column_names, "event"])
    for col in ("session", "participants", "views", "people_reached"):
        df[col] = df[col].astype("Int64")
    return df


def speakers_table(report_id: str, roster: Roster, statements: pd.DataFrame, people: list[Attributed]) -> pd.DataFrame:
    """One row per person: everyone in the header (even silent) and everyone who speaks."""
    rows: dict[str, dict[str, object]] = {}
    for person in roster.people:
        rows[person.name] = {
            "report_id": report_id,
            "speaker": person.name,
            "role": person.role,
            "affiliation": person.affiliation,
            "aliases": set(),
            "n_statements": 0,
        }
    affiliation = {who.speaker: who.affiliation for who in people if who.speaker}
    for record in statements[statements["speaker"] != ""].itertuples():
        row = rows.setdefault(
            record.speaker,
            {
                "report_id": report_id,
                "speaker": record.speaker,
                "role": record.role,
                "affiliation": affiliation.get(record.speaker, ""),
                "aliases": set(),
                "n_statements": 0,
            },
        )
        row["aliases"].add(record.speaker_label)  # type: ignore[union-attr]
        row["n_statements"] = int(row["n_statements"]) + 1  # type: ignore[call-overload]
    for row in rows.values():
        row["aliases"] = "; ".join(sorted(row["aliases"]))  # type: ignore[arg-type]
    return pd.DataFrame(list(rows.values()), columns=SPEAKERS.column_names)
