"""The corrections file: its format, parsed into typed rules, each mistake one line naming the rule.

Format (YAML; every section optional, an empty file is no correction)::

    speakers:
      - statement: {report: R, hash: "3f2a9c1b7d4e", line: 41, text: "Very radical change..."}
        speaker: Humberto Cerdio        # who said it ("" = unattributed)
        role: moderator                 # optional
      - label: "Maria de la Angeles"    # every statement written under this label...
        report: R                       # ...in this report (all reports when absent)
        speaker: María de los Ángeles Nuñez
      - merge: Antonella NOYA           # person A is person B
        into: Antonella Noya
        report: R                       # optional
    themes:
      - statement: {report: R, hash: "9d1c0e2f4a6b", line: 53}
        theme: financing                # the primary theme (replaces the machine's themes)
        also: [legislation]             # further themes (added)
        never: [economic_model]         # themes removed
    topics:
      - topic: 4
        name: Cooperative credit        # the topic's label in every table
        words: [credit, loans]          # optional: when topic 4 no longer has these words (a rerun
                                        # renumbered the topics), the topic that has most of them
      - merge: [4, 7]                   # topics 4 and 7 are one topic...
        into: 4                         # ...numbered 4

Every rule may carry a `note` (who, why). Rules are named by section and
1-based position (`themes[2]`) in the corrections report and in errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from pipeline.contract import ROLES
from pipeline.corrections.keys import HASH_CHARS, StatementRef
from pipeline.errors import InputError

SECTIONS = ("speakers", "themes", "topics")
_REF_KEYS = {"report", "hash", "line", "text"}


@dataclass(frozen=True)
class SpeakerRule:
    rule: str
    kind: str  # statement | label | merge
    speaker: str | None  # the person the statements go to (merge: `into`); None: keep (role-only rule)
    ref: StatementRef | None = None
    label: str = ""  # label rules: the name as written; merge rules: the person merged away
    report: str = ""  # scope of label and merge rules ("" = every report)
    role: str = ""
    note: str = ""


@dataclass(frozen=True)
class ThemeRule:
    rule: str
    ref: StatementRef
    theme: str = ""
    also: tuple[str, ...] = ()
    never: tuple[str, ...] = ()
    note: str = ""

    def theme_ids(self) -> tuple[str, ...]:
        return tuple(t for t in (self.theme, *self.also, *self.never) if t)


@dataclass(frozen=True)
class TopicRule:
    rule: str
    kind: str  # name | merge
    topics: tuple[int, ...]  # name: (k,); merge: the topics merged
    into: int | None = None
    name: str = ""
    words: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Corrections:
    source: str = "corrections"
    speakers: tuple[SpeakerRule, ...] = ()
    themes: tuple[ThemeRule, ...] = ()
    topics: tuple[TopicRule, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.speakers) + len(self.themes) + len(self.topics)


def load_corrections(path: str | Path | None) -> Corrections:
    """Read and check the corrections file; no path (or a missing option) is no correction."""
    if path is None:
        return Corrections()
    from pipeline.params import read_yaml

    path = Path(path)
    data = read_yaml(path, "corrections file", missing=" (an empty file means no corrections)")
    return parse_corrections(data, path)


def parse_corrections(data: Any, source: object = "corrections") -> Corrections:
    """Check a parsed YAML document and build the rules; errors name `source` and the rule."""
    if data is None:
        return Corrections(source=str(source))
    if not isinstance(data, dict):
        raise InputError(source, f"corrections must be a mapping with sections {', '.join(SECTIONS)}")
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise InputError(source, f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    parsed: dict[str, list[Any]] = {}
    for section, parse_one in (("speakers", _speaker_rule), ("themes", _theme_rule), ("topics", _topic_rule)):
        items = data.get(section) or []
        if not isinstance(items, list):
            raise InputError(source, f"'{section}' must be a list of rules")
        parsed[section] = [parse_one(item, f"{section}[{i}]", source) for i, item in enumerate(items, start=1)]
    corrections = Corrections(str(source), tuple(parsed["speakers"]), tuple(parsed["themes"]), tuple(parsed["topics"]))
    check_static_contradictions(corrections)
    return corrections


def _mapping(raw: Any, rule: str, source: object, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InputError(source, f"{rule} must be a mapping")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise InputError(source, f"{rule} has unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}")
    return raw


def _text(raw: dict[str, Any], key: str, rule: str, source: object, *, required: bool = False, empty_ok: bool = False) -> str:
    value = raw.get(key)
    if value is None:
        if required:
            raise InputError(source, f"{rule} needs '{key}'")
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or (not value.strip() and not empty_ok):
        raise InputError(source, f"{rule}: '{key}' must be non-empty text")
    return " ".join(value.split())


def _ref(raw: Any, rule: str, source: object) -> StatementRef:
    ref = _mapping(raw, f"{rule}.statement", source, _REF_KEYS)
    report = _text(ref, "report", f"{rule}.statement", source, required=True)
    value = ref.get("hash", "")
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML reads an unquoted all-digit hash as a number (leading zeros lost, 0-7 digits as octal)
        if len(str(value)) != HASH_CHARS:
            raise InputError(source, f"{rule}.statement: 'hash' {value} was read as a number: write it in quotes")
        value = str(value)
    digest = str(value).strip().lower()
    if len(digest) != HASH_CHARS or any(c not in "0123456789abcdef" for c in digest):
        raise InputError(source, f"{rule}.statement: 'hash' must be {HASH_CHARS} hex digits (see statements.csv `text_hash`)")
    line = ref.get("line")
    if line is not None and (isinstance(line, bool) or not isinstance(line, int) or line < 1):
        raise InputError(source, f"{rule}.statement: 'line' must be a line number (1 or more)")
    return StatementRef(report, digest, line, _text(ref, "text", f"{rule}.statement", source))


def _role(raw: dict[str, Any], rule: str, source: object) -> str:
    role = _text(raw, "role", rule, source)
    if role and role not in ROLES:
        raise InputError(source, f"{rule}: role '{role}' is not one of {', '.join(ROLES)}")
    return role


def _speaker_rule(raw: Any, rule: str, source: object) -> SpeakerRule:
    raw = _mapping(raw, rule, source, {"statement", "label", "merge", "into", "report", "speaker", "role", "note"})
    kinds = [k for k in ("statement", "label", "merge") if k in raw]
    if len(kinds) != 1:
        raise InputError(source, f"{rule} needs exactly one of 'statement', 'label', 'merge'")
    kind = kinds[0]
    note = _text(raw, "note", rule, source)
    role = _role(raw, rule, source)
    if kind == "statement":
        if "report" in raw or "into" in raw:
            raise InputError(source, f"{rule}: a statement rule takes 'speaker' and/or 'role', not 'report' or 'into'")
        if "speaker" not in raw and not role:
            raise InputError(source, f"{rule} needs 'speaker' or 'role'")
        speaker = _text(raw, "speaker", rule, source, empty_ok=True) if "speaker" in raw else None
        return SpeakerRule(rule, kind, speaker, _ref(raw["statement"], rule, source), role=role, note=note)
    report = _text(raw, "report", rule, source)
    if kind == "label":
        if "into" in raw:
            raise InputError(source, f"{rule}: a label rule takes 'speaker', not 'into'")
        return SpeakerRule(rule, kind, _text(raw, "speaker", rule, source, required=True),
                           label=_text(raw, "label", rule, source, required=True), report=report, role=role, note=note)
    if "speaker" in raw:
        raise InputError(source, f"{rule}: a merge rule takes 'into', not 'speaker'")
    merged, into = _text(raw, "merge", rule, source, required=True), _text(raw, "into", rule, source, required=True)
    if merged.casefold() == into.casefold():
        raise InputError(source, f"{rule} merges '{merged}' into itself")
    return SpeakerRule(rule, kind, into, label=merged, report=report, role=role, note=note)


def _theme_list(raw: dict[str, Any], key: str, rule: str, source: object) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(source, f"{rule}: '{key}' must be a theme id or a list of theme ids")
    return tuple(dict.fromkeys(v.strip() for v in value))


def _theme_rule(raw: Any, rule: str, source: object) -> ThemeRule:
    raw = _mapping(raw, rule, source, {"statement", "theme", "also", "never", "note"})
    if "statement" not in raw:
        raise InputError(source, f"{rule} needs 'statement'")
    theme = _text(raw, "theme", rule, source)
    also, never = _theme_list(raw, "also", rule, source), _theme_list(raw, "never", rule, source)
    if not (theme or also or never):
        raise InputError(source, f"{rule} needs 'theme', 'also' or 'never'")
    both = sorted(set((theme, *also)) & set(never))
    if both:
        raise InputError(source, f"{rule} contradicts itself: theme '{both[0]}' is both given and 'never'")
    return ThemeRule(rule, _ref(raw["statement"], rule, source), theme, tuple(t for t in also if t != theme), never,
                     _text(raw, "note", rule, source))


def _topic_id(value: Any, what: str, source: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(source, f"{what} must be a topic number (topics.csv `topic`)")
    return value


def _topic_rule(raw: Any, rule: str, source: object) -> TopicRule:
    raw = _mapping(raw, rule, source, {"topic", "name", "merge", "into", "words", "note"})
    note = _text(raw, "note", rule, source)
    words = raw.get("words") or []
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise InputError(source, f"{rule}: 'words' must be a list of words")
    words_t = tuple(w.strip().casefold() for w in words)
    if ("topic" in raw) == ("merge" in raw):
        raise InputError(source, f"{rule} needs exactly one of 'topic' (to name it) or 'merge'")
    if "topic" in raw:
        if "into" in raw:
            raise InputError(source, f"{rule}: 'into' goes with 'merge'")
        return TopicRule(rule, "name", (_topic_id(raw["topic"], f"{rule}: 'topic'", source),),
                         name=_text(raw, "name", rule, source, required=True), words=words_t, note=note)
    merged = raw["merge"]
    if not isinstance(merged, list) or len(merged) < 2:
        raise InputError(source, f"{rule}: 'merge' must list two topics or more")
    topics = tuple(_topic_id(t, f"{rule}: 'merge'", source) for t in merged)
    into = _topic_id(raw.get("into", topics[0]), f"{rule}: 'into'", source)
    if into not in topics or -1 in topics:
        raise InputError(source, f"{rule}: 'into' must be one of the merged topics, and outliers (-1) cannot be merged")
    return TopicRule(rule, "merge", topics, into, name=_text(raw, "name", rule, source), words=words_t, note=note)


def contradiction(source: object, first: str, second: str, what: str) -> InputError:
    return InputError(source, f"{first} contradicts {second}: {what}")


def check_static_contradictions(c: Corrections) -> None:
    """Rules that cannot both hold whatever the data: label/merge and topic rules.

    Statement rules are checked once resolved (two rules may name the same
    statement through different hashes only after a resegmentation).
    """
    seen_label: dict[tuple[str, str], SpeakerRule] = {}
    seen_merge: dict[tuple[str, str], SpeakerRule] = {}
    for r in c.speakers:
        key = (r.report, r.label.casefold())
        if r.kind == "label":
            other = seen_label.setdefault(key, r)
            if other.speaker != r.speaker or (other.role and r.role and other.role != r.role):
                raise contradiction(c.source, other.rule, r.rule, f"label '{r.label}' goes to '{other.speaker}' and '{r.speaker}'")
        elif r.kind == "merge":
            other = seen_merge.setdefault(key, r)
            if other.speaker != r.speaker:
                raise contradiction(c.source, other.rule, r.rule, f"'{r.label}' is merged into '{other.speaker}' and '{r.speaker}'")
    for r in c.speakers:
        if r.kind == "merge":
            back = seen_merge.get((r.report, str(r.speaker).casefold()))
            if back is not None and back.speaker.casefold() == r.label.casefold():
                raise contradiction(c.source, r.rule, back.rule, f"'{r.label}' and '{r.speaker}' are merged into each other")
    names: dict[int, TopicRule] = {}
    merged_into: dict[int, TopicRule] = {}
    for r in c.topics:
        if r.kind == "name":
            other = names.setdefault(r.topics[0], r)
            if other.name != r.name:
                raise contradiction(c.source, other.rule, r.rule, f"topic {r.topics[0]} is named '{other.name}' and '{r.name}'")
        else:
            for t in r.topics:
                other = merged_into.setdefault(t, r)
                if other.into != r.into:
                    raise contradiction(c.source, other.rule, r.rule, f"topic {t} is merged into {other.into} and {r.into}")
