"""The core of the `segment` stage: one report's lines -> statements, session, speakers, dropped lines.

Order of work: page furniture is found first (it can sit anywhere, even
between a speaker's name and its first bullet), then the header, then the body
is walked line by line keeping the current section and speaker. Each line ends
in exactly one place: a statement, or `dropped` with its reason, so nothing is
lost silently (`SegmentedReport.statement_lines` lets tests check it).

A statement is one bullet, or one unbulleted paragraph, of one speaker. An
unbulleted line continues the open statement when it is wrapped (no blank line
before it, and the layout says the paragraph goes on: `paragraphs`), when the
open statement does not end a sentence or the line starts in lowercase, or,
after a page break, when the open statement is a bullet (a new item would
carry its own bullet) or spaCy reads both sides as one sentence. A cue
"Name: more" right after the open turn of the same speaker continues it (call
transcripts). Speaker labels are read by `labels`, judged by `turns.NameJudge`
and resolved to people by `identity`; the tables are built by `tables`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from pipeline.errors import InputError
from pipeline.segment.furniture import find_furniture
from pipeline.segment.header import field_kind, parse_header, split_listed_people
from pipeline.segment.identity import Identities, Speaker
from pipeline.segment.labels import DEFAULT_LABEL_ROLES, parse_label, role_words
from pipeline.segment.lines import SourceLine
from pipeline.segment.names import Roster, has_name_shape
from pipeline.segment.paragraphs import ends_paragraph, wrap_width
from pipeline.segment.normalise import (
    collapse_spaces,
    ends_sentence,
    fold,
    starts_lowercase,
    strip_bullet,
    strip_inline_markup,
    strip_markdown,
)
from pipeline.segment.sections import heading_section
from pipeline.segment.settings import LabelRoles, SegmentParams
from pipeline.segment.tables import Piece, attribute, dropped_table, session_table, speakers_table, statements_table
from pipeline.segment.turns import (
    NameJudge,
    Turn,
    chat_turn,
    inline_turns,
    label_only,
    label_name_counts,
    recurring_label_names,
    split_who_and_verb,
)

__all__ = ["LabelRoles", "SegmentParams", "SegmentedReport", "segment_report"]

log = logging.getLogger(__name__)

_SPACY_WINDOW = 300
# A line this long is body text, never a header line (the header ends before it).
_MAX_HEADER_WORDS = 40
# A heading with no blank line above it, under a paragraph, without a colon: at most this many words.
_MAX_TIGHT_HEADING_WORDS = 6
# A name wrapped before its colon: at most this many words on the first line.
_MAX_WRAPPED_NAME_WORDS = 5


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
    labelled: str = ""  # the label that opened an unbulleted "Name: text" statement

    @property
    def text(self) -> str:
        return collapse_spaces(strip_inline_markup(" ".join(self.parts)))


@dataclass
class _Walk:
    """The state of the walk through the body."""

    judge: NameJudge
    nlp: Any
    identities: Identities
    section: str = "other"
    speaker: str = ""
    open: _Open | None = None
    blank_gap: bool = False
    after_label: bool = False
    wrap: int | None = None  # see paragraphs.wrap_width
    last_page: int | None = None
    break_gap: bool = False
    pieces: list[Piece] = field(default_factory=list)
    dropped: dict[int, str] = field(default_factory=dict)
    line_texts: dict[int, str] = field(default_factory=dict)


def segment_report(report_id: str, lines: Sequence[SourceLine], *, nlp: Any, params: SegmentParams) -> SegmentedReport:
    """Segment one report. Raises InputError(report_id, ...) when no speaker can be recognised."""
    originals = {line.line_no: line.text for line in lines}
    lines = [replace(line, text=strip_markdown(line.text)) for line in lines]
    furniture = find_furniture(
        lines,
        min_repeats=params.min_footer_repeats,
        similarity=params.footer_similarity,
        is_protected=_protected_shape,
    )
    content = [line for line in lines if line.line_no not in furniture.reasons]
    pages = furniture.pages
    roles = params.label_roles.words()
    recurring = recurring_label_names([line.text for line in content], roles)
    blind_judge = NameJudge(nlp, Roster(()), roles, recurring)
    header, body_start = parse_header(content, lambda text: _is_body_start(text, blind_judge))
    body_labels = frozenset(label_name_counts([line.text for line in content[body_start:]], roles))
    header = replace(header, people=split_listed_people(header.people, body_labels))
    roster = Roster(header.people, fuzzy_threshold=params.fuzzy_threshold)
    judge = NameJudge(nlp, roster, roles, recurring)
    identities = Identities(judge, roster)

    walk = _Walk(judge=judge, nlp=nlp, identities=identities, line_texts=originals)
    walk.wrap = wrap_width([line.text for line in content[body_start:]])
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

    if not any(p.speaker.who for p in walk.pieces):
        raise InputError(report_id, "no recognisable speaker (no 'Name:' label, 'From Name:' line or header roster)")
    log.debug("%s: %d statements, %d dropped lines", report_id, len(walk.pieces), len(walk.dropped))
    people = attribute(walk.pieces, roster, identities)
    times = {line.line_no: (line.start, line.end) for line in lines if line.start is not None}
    statements = statements_table(report_id, walk.pieces, people, times)
    return SegmentedReport(
        statements=statements,
        session=session_table(report_id, header),
        speakers=speakers_table(report_id, roster, statements, people),
        dropped=dropped_table(report_id, walk.dropped, walk.line_texts, pages),
        statement_lines=tuple(piece.lines for piece in walk.pieces),
    )


_SHAPE_ROLES = role_words(DEFAULT_LABEL_ROLES)


def _protected_shape(text: str) -> bool:
    """Lines that may recur legitimately: speaker labels, chat turns, headings (shape only, cheap)."""
    _, body = strip_bullet(text)
    if heading_section(text):
        return True
    if ":" in body:
        who = body.split(":", 1)[0].strip()
        label = parse_label(who, _SHAPE_ROLES)
        if label is not None and (not label.name or has_name_shape(label.name)):
            return True
        return has_name_shape(who) or fold(who).startswith(("from ", "de "))
    return False


def _is_body_start(text: str, judge: NameJudge) -> bool:
    if heading_section(text):
        return True
    if field_kind(text) is not None:
        return False
    if len(text.split()) > _MAX_HEADER_WORDS:
        return True
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
    section = None if _not_a_heading(walk, text) else heading_section(text)
    if section is not None:
        _close(walk)
        walk.section, walk.speaker = section, ""
        walk.dropped[line.line_no] = "heading"
        walk.after_label = False
        return
    label = _wrapped_label(walk, text) or label_only(text, judge)
    if label is not None:
        _close(walk)
        walk.speaker = label
        walk.dropped[line.line_no] = "speaker_label"
        walk.after_label = True
        _reset_gaps(walk)
        return
    walk.after_label = False
    chat = chat_turn(text, judge)
    if chat is not None:
        _close(walk)
        walk.open = _Open(chat.who, True, strip_bullet(text)[0], walk.section, [chat.text], [line.line_no], page)
        _reset_gaps(walk)
        return
    bulleted, body = strip_bullet(text)
    if not bulleted and _wrapped_inline(walk, body, line.line_no, page):
        return
    if not bulleted and _same_speaker_goes_on(walk, body, line.line_no, cue=line.start is not None):
        return
    if not bulleted and walk.open is not None and _continues(walk, body):
        walk.open.parts.append(body)
        walk.open.lines.append(line.line_no)
        _reset_gaps(walk)
        return
    _close(walk)
    labelled = ""
    if not bulleted:
        first = inline_turns(body, judge)[0]
        if first.who:
            # An unbulleted "Name: text" paragraph: that person keeps the floor for what follows.
            walk.speaker = labelled = first.who
    walk.open = _Open(walk.speaker, False, bulleted, walk.section, [body], [line.line_no], page, labelled)
    _reset_gaps(walk)


def _not_a_heading(walk: _Walk, text: str) -> bool:
    """A wrapped line inside a sentence, or a label with a title ('Hon. X (Minister of Public
    Services):'), is no heading whatever words it holds ('floor', 'public')."""
    if starts_lowercase(text) or (walk.after_label and not walk.blank_gap):
        return True  # the first line under a label is what they said
    if walk.open is not None and not walk.blank_gap:
        if not ends_sentence(walk.open.text):
            return True
        # right under a paragraph, a heading is short or ends with a colon
        if not walk.open.bulleted and not text.endswith(":") and len(text.split()) > _MAX_TIGHT_HEADING_WORDS:
            return True
    label = label_only(text, walk.judge)
    found = walk.judge.label(label) if label is not None else None
    return found is not None and found.marked


def _wrapped_label(walk: _Walk, text: str) -> str | None:
    """'María Guadalupe Echeverría' / 'Santoyo:': a label whose name wrapped onto a second line.

    Returns the whole label, or None; the first line moves from the open statement into the label.
    """
    bulleted, body = strip_bullet(text)
    if bulleted or not body.endswith(":") or ":" in body[:-1]:
        return None
    joined = _join_wrapped(walk, body[:-1].strip())
    if joined is None:
        return None
    walk.dropped[joined[1]] = "speaker_label"
    return joined[0]


def _wrapped_inline(walk: _Walk, body: str, line_no: int, page: int | None) -> bool:
    """'María Guadalupe Echeverría' / 'Santoyo: In Mexico ...': the same at the start of a paragraph."""
    who, colon, rest = body.partition(":")
    if not colon or not rest.strip() or len(who.split()) > _MAX_WRAPPED_NAME_WORDS:
        return False
    joined = _join_wrapped(walk, who.strip())
    if joined is None:
        return False
    name, first_line = joined
    _close(walk)
    walk.speaker = name
    walk.open = _Open(name, False, False, walk.section, [f"{name}: {rest.strip()}"], [first_line, line_no], page, name)
    _reset_gaps(walk)
    return True


def _join_wrapped(walk: _Walk, who: str) -> tuple[str, int] | None:
    """(whole label, line of its first part) when the open statement's last line is the start of `who`.

    That line must be short, name-shaped and unfinished, `who` must not be a
    whole label by itself ('Maude Brossard', 'The Chair'), and both together
    must name a person.
    """
    current = walk.open
    if current is None or current.chat or (current.bulleted and len(current.parts) == 1):
        return None  # a bullet's own text is no name line
    alone = walk.judge.label(split_who_and_verb(who))
    if alone is not None and (not alone.name or len(alone.name.split()) >= 2):
        return None
    last = current.parts[-1]
    if len(last.split()) > _MAX_WRAPPED_NAME_WORDS or ends_sentence(last) or ":" in last or not has_name_shape(last):
        return None
    joined = split_who_and_verb(f"{last} {who}")
    label = walk.judge.label(joined)
    if label is None or not label.name or len(label.name.split()) < 2:
        return None
    current.parts.pop()
    first_line = current.lines.pop()
    if not current.parts:
        walk.open = None
    return joined, first_line


# A caption line holds at most two lines of ~42 characters: about a dozen words.
_CUE_WORDS = 12


def _spoken(line: str, label: str) -> str:
    """A statement's line without the speaker label that opens it (a caption's length is its words)."""
    if label and line.startswith(label):
        return line[len(label):].lstrip().removeprefix(":").lstrip()
    return line


def _same_speaker_goes_on(walk: _Walk, body: str, line_no: int, *, cue: bool) -> bool:
    """A call transcript's next cue 'Name: more' of the speaker who has the floor continues their turn.

    Only right after the open unbulleted 'Name: text' statement (no blank line,
    no page break): consecutive cues of one speaker are one statement. In a
    text without cue timings the line goes on only when the open statement was
    cut mid-sentence or its last line is as short as a caption (at most
    _CUE_WORDS words): a report that repeats the label after a full sentence of
    its own writes a new point.
    """
    current = walk.open
    if current is None or current.chat or current.bulleted or not current.labelled:
        return False
    if walk.blank_gap or walk.break_gap:
        return False
    if not cue and ends_sentence(current.text) and len(_spoken(current.parts[-1], current.labelled).split()) > _CUE_WORDS:
        return False
    first = inline_turns(body, walk.judge)[0]
    if not first.who:
        return False
    same = collapse_spaces(first.who) == collapse_spaces(current.labelled) or (
        walk.identities.key(first.who) == walk.identities.key(current.labelled)
    )
    if not same:
        return False
    current.parts.append(body.split(":", 1)[1].strip())
    current.lines.append(line_no)
    _reset_gaps(walk)
    return True


def _reset_gaps(walk: _Walk) -> None:
    walk.blank_gap = walk.break_gap = False


def _continues(walk: _Walk, body: str) -> bool:
    """Whether an unbulleted line continues the open statement (see the module docstring)."""
    current = walk.open
    assert current is not None
    previous = current.text
    who = inline_turns(body, walk.judge)[0].who
    if who and (walk.blank_gap or ends_sentence(previous) or walk.judge.is_strong(who)):
        return False  # a new turn; inside a sentence only a strong label starts one
    if who:
        return True
    if not walk.blank_gap and not walk.break_gap:
        return not ends_paragraph(current.parts[-1], body, walk.wrap)
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
        speaker = walk.identities.speaker(who) if who else Speaker("", "")
        walk.pieces.append(Piece(speaker, current.chat, current.section, turn.text, tuple(current.lines), current.page))


