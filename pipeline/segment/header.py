"""The header block: session metadata and the roster of who speaks in which role.

A report opens with logos, the series, a "Report Session N <date> <times>"
line, the title, then fields ("Name of the moderator:", "Name of the main
speaker:", "Name of panelists/commentators:", "Number of participants:") whose
value sits on the same line or on the following lines. Field names come in
English or Spanish and in varying words, so they are recognised by key words
in folded text. A missing field leaves its columns empty; it is not an error.

`series` holds the preamble line that names a series or cycle ("Preparatory
series of webinars"); `event` holds the other preamble lines that are not
logos (e.g. the forum the series prepares), joined by " | ".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pipeline.segment.lines import SourceLine
from pipeline.segment.names import Person, clean_name, has_name_shape
from pipeline.segment.normalise import collapse_spaces, fold, join_pdf_hyphen, strip_bullet

_FIELD_RE = re.compile(r"^(?P<label>[^:]{3,70}?)\s*:\s*(?P<value>.*)$")
_FIELDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("moderator", re.compile(r"\b(moderat|moderad|facilitat|facilitad|host\b|conductor|conductora|chair|presid)")),
    ("panelists", re.compile(r"\b(panel|comentarist|commentator|discussant|panelist|witness|minister|invited|guest|testig)")),
    ("keynote", re.compile(r"\b(main speaker|keynote|ponente|conferencist|orador|expositor|presenter|speaker)")),
    ("participants", re.compile(r"\b(participa|asistent|attendance|attendees)")),
)
# "Chair:" / "Witness:" with nothing after it is a speaker label in a hearing record, not a field.
_BARE_ROLE_LABEL_RE = re.compile(
    r"^(the )?((acting|deputy|vice-?) ?)?(chair|chairman|chairwoman|chairperson|witness|minister|host|co-host)$"
)
_PERSON_KINDS = frozenset({"moderator", "panelists", "keynote"})
_NAME_FIELD_HINT = re.compile(r"\b(name|names|nombre|nombres|nom)\b")
_SERIES_RE = re.compile(r"\b(series|serie|ciclo|cycle|season|temporada)\b")
_REPORT_RE = re.compile(r"\b(report|reporte|informe|relatoria|session|sesion|minutes|acta)\b")
_SESSION_NO_RE = re.compile(r"\b(?:session|sesion|webinar|seminario|panel|no|num)\.?\s*(?:no\.?|n[°º]|#)?\s*(\d{1,3})\b")
_TIME_RANGE_RE = re.compile(
    r"(?<!\d)(\d{1,2})\s*[:.h]\s*(\d{2})\s*(?:hrs?\.?|h\b)?\s*(?:[-–—]|a|to|al)\s*(\d{1,2})\s*[:.h]\s*(\d{2})(?!\d)"
)
_MONTHS = {
    **{m: i for i, m in enumerate(
        "january february march april may june july august september october november december".split(), 1)},
    **{m: i for i, m in enumerate(
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(), 1)},
    "setiembre": 9,
    **{m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)},
}
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_MDY_RE = re.compile(rf"\b({_MONTH_ALT})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b")
_DATE_DMY_RE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:de\s+)?({_MONTH_ALT})\.?,?\s+(?:de(?:l)?\s+)?(\d{{4}})\b")
_DATE_ISO_RE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_FIGURE_RE = re.compile(r"(\d{1,3}(?:[,.\s]\d{3})+|\d+)\s+([^\d,;]*)")
_LOGO_MAX_WORDS = 3


@dataclass(frozen=True)
class Header:
    """What the header says about the session, and which lines it consumed."""

    series: str = ""
    event: str = ""
    session: int | None = None
    date: str = ""
    start_time: str = ""
    end_time: str = ""
    title: str = ""
    people: tuple[Person, ...] = ()
    participants: int | None = None
    views: int | None = None
    people_reached: int | None = None
    participation: str = ""
    reasons: dict[int, str] = field(default_factory=dict)

    def names(self, role: str) -> list[str]:
        return [p.name for p in self.people if p.role == role]


def field_kind(text: str) -> tuple[str, str] | None:
    """('moderator', value) for 'Name of the moderator: X'; None when the line is no header field."""
    bulleted, body = strip_bullet(text)
    if bulleted:
        return None
    match = _FIELD_RE.match(body)
    if not match:
        return None
    label = fold(match.group("label"))
    if len(label.split()) > 8 or label.startswith(("from ", "de ", "desde ")):
        return None
    for kind, pattern in _FIELDS:
        if pattern.search(label):
            value = match.group("value").strip()
            if kind in _PERSON_KINDS and _is_turn(match.group("label"), value):
                return None
            return kind, value
    if _NAME_FIELD_HINT.search(label) and len(label.split()) <= 6:
        return "other", match.group("value").strip()
    return None


_FIELD_LOOKAHEAD = 2


def _fields_follow(lines: Sequence[SourceLine], index: int) -> bool:
    """Whether a header field comes within the next few non-blank lines."""
    after = [line.text.strip() for line in lines[index + 1 :] if line.text.strip()][:_FIELD_LOOKAHEAD]
    return any(field_kind(text) is not None for text in after)


def _is_turn(label: str, value: str) -> bool:
    """'The Chair (Hon. X): I call this meeting to order.' is a speaker's turn, not a roster field:
    a field's label has no parenthesised name, its value opens with a name, and a bare role word
    ('Chair:') alone on its line is a speaker label."""
    if "(" in label:
        return True
    if not value:
        return bool(_BARE_ROLE_LABEL_RE.match(fold(label).rstrip(".")))
    first = re.split(r"[,;(–—]| - ", value, maxsplit=1)[0].strip().rstrip(".")
    return not first or not has_name_shape(first)


def parse_header(lines: Sequence[SourceLine], is_body_start: Callable[[str], bool]) -> tuple[Header, int]:
    """Parse the header among `lines` (page furniture already removed).

    Returns the header and the index in `lines` where the body starts: the
    first line, not a header field, for which `is_body_start` holds (a section
    heading or a speaker). Every non-blank line before it is recorded in
    `Header.reasons` (header_field, or garbled for logo text).
    """
    body_start = len(lines)
    seen_field = False
    for index, line in enumerate(lines):
        text = line.text.strip()
        if not text:
            continue
        following = lines[index + 1].text.strip() if index + 1 < len(lines) else ""
        if is_body_start(text) or (not seen_field and is_prose(text, following)):
            if not seen_field and not text.endswith(":") and _fields_follow(lines, index):
                continue  # a title that happens to read like a heading or a label, above the fields
            body_start = index
            break
        seen_field = seen_field or field_kind(text) is not None
    head = lines[:body_start]
    first_field = next((i for i, l in enumerate(head) if field_kind(l.text.strip())), len(head))
    reasons: dict[int, str] = {}
    meta = _parse_preamble(head[:first_field], reasons)
    people, figures = _parse_fields(head[first_field:], reasons)
    header = Header(**meta, people=tuple(people), **figures, reasons=reasons)
    return header, body_start


_SENTENCE_INSIDE_RE = re.compile(r"\w[.?!]\s+[A-Z]")
_MIN_PROSE_WORDS = 10


def is_prose(text: str, following: str) -> bool:
    """Body text before any header field: sentences, or a paragraph wrapped onto a lowercase line.

    A title, series or logo line is neither; so a document that opens with
    text (a transcript, a hearing record) keeps it out of `title`.
    """
    if len(text.split()) < _MIN_PROSE_WORDS or _is_report_line(collapse_spaces(text)):
        return False
    sentences = bool(_SENTENCE_INSIDE_RE.search(text)) and text.rstrip().endswith((".", "?", "!"))
    wrapped = bool(following) and following[0].islower()
    return sentences or wrapped


def _parse_preamble(lines: Sequence[SourceLine], reasons: dict[int, str]) -> dict[str, object]:
    """Logos, series, event, the report/session line, a date line and the title.

    The title is the last line before the fields that comes after the
    report line and is not a date line ("September 1, 2020, 16:00-17:30");
    failing that, what follows a colon in the report line ("Session 7: Financing ...").
    Line by line, not by blank-separated blocks: PDF text layers drop blank lines.
    """
    meta: dict[str, object] = {}
    items = [line for line in lines if line.text.strip()]
    texts = [collapse_spaces(line.text) for line in items]
    report_index = next((i for i, t in enumerate(texts) if _is_report_line(t)), None)
    if report_index is not None:
        meta.update(parse_report_line(texts[report_index]))
    dated = {i for i, t in enumerate(texts) if i != report_index and _is_date_line(t)}
    for i in sorted(dated):
        for key, value in parse_report_line(texts[i]).items():
            meta.setdefault(key, value)
    first = report_index + 1 if report_index is not None else 0
    candidates = [i for i in range(first, len(items)) if i not in dated]
    title_index = candidates[-1] if candidates else None
    if title_index is not None:
        meta["title"] = texts[title_index]
    elif report_index is not None and ":" in texts[report_index]:
        meta["title"] = texts[report_index].split(":", 1)[1].strip()
    series, event = [], []
    for i, (line, text) in enumerate(zip(items, texts)):
        reason = "header_field"
        if i not in (report_index, title_index) and i not in dated:
            if _SERIES_RE.search(fold(text)):
                series.append(text)
            elif len(text.split()) <= _LOGO_MAX_WORDS and not any(ch.isdigit() for ch in text):
                reason = "garbled"
            else:
                event.append(text)
        reasons[line.line_no] = reason
    meta["series"] = " | ".join(series)
    meta["event"] = " | ".join(event)
    return meta


_DATE_LINE_MAX_WORDS = 8


def _is_date_line(text: str) -> bool:
    """A short line giving a date or a time range and little else."""
    folded = fold(text)
    return len(text.split()) <= _DATE_LINE_MAX_WORDS and bool(_parse_date(folded) or _TIME_RANGE_RE.search(folded))


def _is_report_line(text: str) -> bool:
    folded = fold(text)
    return bool(_REPORT_RE.search(folded)) and bool(
        _parse_date(folded) or _TIME_RANGE_RE.search(folded) or _SESSION_NO_RE.search(folded)
    )


def parse_report_line(text: str) -> dict[str, object]:
    """'Report Session 3 June 09, 2020 09: 00-10: 30 hrs.' -> session, ISO date, start and end times."""
    folded = fold(text)
    out: dict[str, object] = {}
    number = _SESSION_NO_RE.search(folded)
    if number:
        out["session"] = int(number.group(1))
    date = _parse_date(folded)
    if date:
        out["date"] = date
    times = _TIME_RANGE_RE.search(folded)
    if times:
        h1, m1, h2, m2 = (int(g) for g in times.groups())
        if h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60:
            out["start_time"] = f"{h1:02d}:{m1:02d}"
            out["end_time"] = f"{h2:02d}:{m2:02d}"
    return out


def _parse_date(folded: str) -> str:
    for regex, order in ((_DATE_MDY_RE, "mdy"), (_DATE_DMY_RE, "dmy")):
        match = regex.search(folded)
        if match:
            a, b, year = match.groups()
            month, day = (_MONTHS[a], int(b)) if order == "mdy" else (_MONTHS[b], int(a))
            if 1 <= day <= 31:
                return f"{int(year):04d}-{month:02d}-{day:02d}"
    match = _DATE_ISO_RE.search(folded)
    if match:
        return "-".join(match.groups())
    return ""


def _parse_fields(lines: Sequence[SourceLine], reasons: dict[int, str]) -> tuple[list[Person], dict[str, object]]:
    """Each field's value: on its own line after the colon, or on the following lines up to the next field."""
    people: list[Person] = []
    figures: dict[str, object] = {}
    kind: str | None = None
    values: list[tuple[bool, str]] = []

    def flush() -> None:
        if kind in ("moderator", "keynote", "panelists"):
            role = "panelist" if kind == "panelists" else kind
            for entry in _entries(values):
                person = parse_person(entry, role)
                if person is not None and all(p.name != person.name for p in people):
                    people.append(person)
        elif kind == "participants":
            written = collapse_spaces(" ".join(v for _, v in values))
            figures.update(parse_participation(written))
            figures["participation"] = written

    inline = blank_after = False
    for line in lines:
        text = line.text.strip()
        if not text:
            blank_after = True
            continue
        found = field_kind(text)
        if found is None and inline and blank_after:
            # a field written on one line ("Speakers: A; B") ends there: a line after a blank
            # is no more of its value (a section heading such as "Opening" before the body)
            reasons[line.line_no] = "heading"
            continue
        reasons[line.line_no] = "header_field"
        if found is not None:
            flush()
            kind, value = found
            values = [(False, value)] if value else []
            inline, blank_after = bool(value), False
        else:
            values.append(strip_bullet(text))
    flush()
    return people, figures


def _entries(values: list[tuple[bool, str]]) -> list[str]:
    """One entry per bullet; an unbulleted line continues the previous bulleted entry."""
    entries: list[str] = []
    last_bulleted = False
    for bulleted, text in values:
        if entries and not bulleted and last_bulleted:
            entries[-1] = f"{entries[-1]} {text}"
            continue
        entries.extend(part.strip() for part in text.split(";") if part.strip())
        last_bulleted = bulleted
    return entries


_PERSON_SEPARATORS = (",", " – ", " — ", " - ", " (")


def parse_person(entry: str, role: str) -> Person | None:
    """'Maude Brossard- Sabourin, Chantier de l'Économie Sociale. Québec.' -> name, affiliation."""
    entry = collapse_spaces(join_pdf_hyphen(entry)).strip()
    name, affiliation = entry, ""
    # the name ends at the first separator in the entry: "X (Ministry, Country)" keeps its comma
    found = [(entry.find(sep), sep) for sep in _PERSON_SEPARATORS if sep in entry]
    if found:
        at, separator = min(found)
        name, affiliation = entry[:at], entry[at + len(separator):]
    affiliation = affiliation.strip().rstrip(")").rstrip(".").strip()
    name = clean_name(name.rstrip("."))
    if not name:
        return None
    return Person(name=name, role=role, affiliation=affiliation)


def split_listed_people(people: tuple[Person, ...], label_names: frozenset[str]) -> tuple[Person, ...]:
    """People of one header entry written as a list: "Witnesses: Maria Lopez, James Okafor".

    `parse_person` reads "Name, Affiliation", so such an entry gives Maria Lopez from
    "James Okafor". When every comma-separated part of an affiliation is a name written as a
    speaker label in the body (`label_names`, folded), the entry listed people: each gets the
    entry's role, and the first keeps no affiliation. An affiliation that is no speaker's
    label ("Oxfam International") stays an affiliation.
    """
    out: list[Person] = []
    for person in people:
        parts = [part.strip() for part in person.affiliation.split(",")] if person.affiliation else []
        names = [clean_name(part) for part in parts]
        if not parts or not all(name and fold(name) in label_names for name in names):
            out.append(person)
            continue
        out.append(Person(name=person.name, role=person.role))
        out.extend(Person(name=name, role=person.role) for name in names)
    kept: list[Person] = []
    for person in out:
        if all(p.name != person.name for p in kept):
            kept.append(person)
    return tuple(kept)


def parse_participation(text: str) -> dict[str, int | None]:
    """'237 participants in zoom, 3,900 views on Facebook, 12,110 people reached' -> the three integers."""
    out: dict[str, int | None] = {}
    for number, words in _FIGURE_RE.findall(text):
        value = int(re.sub(r"\D", "", number))
        folded = fold(words)
        if re.search(r"facebook|view|vista|reproducc|visualizac", folded):
            out.setdefault("views", value)
        elif re.search(r"reach|alcanz|alcance|impact", folded):
            out.setdefault("people_reached", value)
        elif re.search(r"zoom|participa|asistent|attend|conect", folded):
            out.setdefault("participants", value)
    return out
