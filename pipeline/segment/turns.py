"""Who is speaking: speaker labels, "From X:" chat lines and turns inside a bullet.

Shapes alone cannot tell "María de la Ángeles:" (a person) from "Social
Economy:" (a topic), or "From Edgar: ..." (a chat message) from "From the
government side: ..." (a sentence). A name-shaped candidate is accepted when it
resolves to a header person, or when spaCy reads it as a person (a PERSON
entity, or proper nouns only without a place/organisation/date entity covering
it). Every decision is cached: the same label recurs many times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from pipeline.segment.labels import DEFAULT_LABEL_ROLES, MAX_LABEL_CHARS, Label, parse_label, role_words
from pipeline.segment.name_entities import read_name
from pipeline.segment.names import PARTICLES, SPEECH_VERBS, Roster, clean_name, has_name_shape
from pipeline.segment.normalise import fold, strip_bullet

_FROM_RE = re.compile(r"^(?:from|de|desde)\s+(?P<who>[^:]{1,80}?)\s*:\s*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_LABEL_RE = re.compile(rf"^(?P<who>[^:]{{1,{MAX_LABEL_CHARS}}}?)\s*:\s*(?P<rest>.*)$", re.DOTALL)
# Where a new turn may start inside a bullet: after the end of a sentence.
_TURN_START_RE = re.compile(r"(?<=[.?!…])\s+(?=[^\W\d_])")
_MAX_NAME_WORDS = 6


@dataclass(frozen=True)
class Turn:
    """A piece of a line attributed to someone: `who` as written (empty when nobody) and the text."""

    who: str
    text: str
    chat: bool = False  # written "From X:" (an audience-style message)


@dataclass
class NameJudge:
    """Decides whether a piece of text names a person; uses the roster first, spaCy second."""

    nlp: Any
    roster: Roster
    roles: dict[str, str] = field(default_factory=lambda: role_words(DEFAULT_LABEL_ROLES))
    # folded names the document writes as labels more than once (see `recurring_label_names`)
    recurring: frozenset[str] = frozenset()
    _cache: dict[str, bool] = field(default_factory=dict)
    _labels: dict[str, Label | None] = field(default_factory=dict)

    def is_person(self, who: str, *, loose: bool = False) -> bool:
        """Whether `who` is a speaker label: a role label, or a name that names a person.

        `loose` admits single-token handles ("admon2", "Edgar") as in chat lines.
        """
        label = self.label(who)
        if label is not None:
            return True
        if loose:
            key = f"loose|{who.strip()}"
            if key not in self._cache:
                self._cache[key] = self._judge(who.strip(), loose=True)
            return self._cache[key]
        return False

    def is_strong(self, who: str) -> bool:
        """A label that needs no sentence end before it: a role word, a title or post-nominal,
        a name the document repeats as a label, or a header person."""
        label = self.label(who)
        if label is None:
            return False
        if not label.name or label.marked or fold(clean_name(label.name)) in self.recurring:
            return True
        return self.roster.resolve(label.name) is not None

    def label(self, who: str) -> Label | None:
        """`who` read as a speaker label (see `labels`), or None when it names nobody."""
        who = who.strip()
        if who not in self._labels:
            self._labels[who] = self._read_label(who)
        return self._labels[who]

    def _read_label(self, who: str) -> Label | None:
        label = parse_label(who, self.roles)
        if label is None:
            return None
        if not label.name:
            return label
        if (label.marked or fold(clean_name(label.name)) in self.recurring) and _plausible_name(label.name):
            return label  # "Mr. X", "Y AM", or a name the document keeps writing as a label
        key = f"False|{label.name}"
        if key not in self._cache:
            self._cache[key] = self._judge(label.name, loose=False)
        if self._cache[key]:
            return label
        if label.role_word and who.endswith(")"):
            # 'Moderator (Welsh Assembly)': the group names no person; it is an affiliation
            return replace(label, name="", affiliation=label.written[label.written.find("(") + 1 : -1].strip())
        return None

    def _judge(self, who: str, *, loose: bool) -> bool:
        if not who or len(who.split()) > _MAX_NAME_WORDS or any(ch in who for ch in "?!;\"“”"):
            return False
        words = clean_name(who).split()
        if not words:
            return False
        if loose and len(words) == 1 and re.fullmatch(r"[\w.\-']+", words[0]) and not words[0].isdigit():
            if words[0][0].isupper() or any(ch.isdigit() for ch in words[0]) or "_" in words[0]:
                return not read_name(self.nlp, who).not_person
        if not has_name_shape(who, max_tokens=_MAX_NAME_WORDS) and not (loose and _mostly_capitalised(who)):
            return False
        if not loose and len(words) == 1 and words[0].isupper():
            return False  # an acronym ("INAES: ...") names an organisation
        if self.roster.resolve(who) is not None:
            return True
        reading = read_name(self.nlp, " ".join(words))
        if reading.person_entity:
            return True
        if reading.not_person:
            return False
        if loose:
            return reading.has_alpha
        return reading.has_alpha and reading.all_proper_nouns


def _plausible_name(name: str) -> bool:
    """Name-shaped, one to five words once titles go, no sentence punctuation."""
    words = clean_name(name).split()
    return 1 <= len(words) <= 5 and has_name_shape(name) and not any(ch in name for ch in "?!;\"“”")


def recurring_label_names(texts: list[str], roles: dict[str, str]) -> frozenset[str]:
    """Folded names of two or more words written as a label ('Name:' alone, or 'Name: text'
    opening an unbulleted line) at least twice in one document.

    spaCy's small model misses many plain names ("Nicola Edwards" reads as an
    organisation); a witness who answers again and again is a speaker all the same,
    while a heading that looks like a name is written once.
    """
    return frozenset(key for key, n in label_name_counts(texts, roles).items() if n >= 2)


def label_name_counts(texts: list[str], roles: dict[str, str]) -> dict[str, int]:
    """How often each folded name of two or more words is written as a label in `texts`."""
    counts: dict[str, int] = {}
    for text in texts:
        bulleted, body = strip_bullet(text)
        match = None if bulleted else _LABEL_RE.match(body)
        if match is None:
            continue
        label = parse_label(split_who_and_verb(match.group("who").strip()), roles)
        if label is None or not label.name:
            continue
        key = fold(clean_name(label.name))
        if len(key.split()) >= 2:
            counts[key] = counts.get(key, 0) + 1
    return counts


def _mostly_capitalised(text: str) -> bool:
    words = [w for w in text.split() if w.strip(".,")]
    caps = [w for w in words if w[0].isupper() or fold(w) in PARTICLES]
    return bool(words) and len(caps) == len(words)


def split_who_and_verb(who: str) -> str:
    """'Dip. Soraya pregunta' -> 'Dip. Soraya': a speech verb after the name is not part of it."""
    words = who.split()
    if len(words) > 1 and fold(words[-1]) in SPEECH_VERBS:
        return " ".join(words[:-1])
    return who


def chat_turn(text: str, judge: NameJudge) -> Turn | None:
    """'- From Name: text' / 'From Name: text' -> Turn(Name, text, chat=True)."""
    _, body = strip_bullet(text)
    match = _FROM_RE.match(body)
    if not match:
        return None
    who = match.group("who").strip()
    if not judge.is_person(who, loose=True):
        return None
    return Turn(who=who, text=match.group("rest").strip(), chat=True)


def label_only(text: str, judge: NameJudge) -> str | None:
    """'Name:' alone on its line (bullet allowed) -> the name as written."""
    _, body = strip_bullet(text)
    body = body.strip()
    if not body.endswith(":") or ":" in body[:-1]:
        return None
    who = split_who_and_verb(body[:-1].strip())
    return who if judge.is_person(who) else None


def inline_turns(text: str, judge: NameJudge) -> list[Turn]:
    """Split a bullet's text into turns: 'X pregunta: question? Y: answer' -> [X, Y].

    A turn starts at the beginning of the text or after the end of a sentence,
    with a name-like prefix (optionally followed by a speech verb) and a colon;
    after a sentence the prefix needs stronger evidence (a speech verb, the
    roster, or a PERSON entity) than at the start;
    the text before the first such prefix is a turn with `who` empty. Only a
    prefix that names a person counts: 'through funds: ...' is text.
    """
    starts = [0] + [m.end() for m in _TURN_START_RE.finditer(text)]
    cuts: list[tuple[int, int, str]] = []  # (turn start, text start, who)
    for start in starts:
        if cuts and start < cuts[-1][1]:
            continue  # inside the previous label ("Dip. Soraya pregunta:")
        match = _LABEL_RE.match(text[start:])
        if not match:
            continue
        raw_who = match.group("who")
        who = split_who_and_verb(raw_who.strip())
        has_verb = who != raw_who.strip()
        if not who or not match.group("rest").strip():
            continue
        # At the start of the text a name-shaped prefix is enough ("Ana Ruiz: Welcome");
        # after a sentence it needs a speech verb, the roster or a PERSON entity.
        if not (judge.is_person(who) and (start == 0 or has_verb or _strong_person(who, judge))):
            continue
        text_start = start + match.start("rest")
        cuts.append((start, text_start, who))
    if not cuts:
        return [Turn(who="", text=text.strip())]
    turns: list[Turn] = []
    if cuts[0][0] > 0:
        turns.append(Turn(who="", text=text[: cuts[0][0]].strip()))
    for i, (_, text_start, who) in enumerate(cuts):
        end = cuts[i + 1][0] if i + 1 < len(cuts) else len(text)
        turns.append(Turn(who=who, text=text[text_start:end].strip()))
    return [t for t in turns if t.text]


def _strong_person(who: str, judge: NameJudge) -> bool:
    """Inline 'X: text' without a speech verb needs more than the shape: the roster or a PERSON entity."""
    label = judge.label(who)
    if label is None or not label.name:
        return False  # a bare role word after a sentence ("... of the Chair: ...") is too weak
    if judge.roster.resolve(label.name) is not None:
        return True
    return read_name(judge.nlp, clean_name(label.name)).person_entity
