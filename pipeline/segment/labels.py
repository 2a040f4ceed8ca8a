"""The grammar of a speaker label, whatever the document's convention.

    [role words] [titles] name [post-nominals] [(affiliation)]

"The Chair (Hon. Anthony Rota (Nipissing—Timiskaming, Lib.))", "The Acting
Chair (Mrs. Carol Hughes)", "Ms. Jenny Kwan (Vancouver East, NDP)", "Carmen
Ruiz (ILO)", "Lynne Neagle AM", "Moderator", "Q". A role word ("Chair",
"Witness", "Host", ...) comes from the `segment.label_roles` params and says
which session role the label stands for; a parenthesised group after a role
word names the person holding it when it reads as a name, else it is an
affiliation; after a name it is the name's affiliation (constituency, party,
organisation). Titles and post-nominals are dropped later by `clean_name`.

This module only reads the shape; whether the name part names a person is
for `NameJudge` (roster, then spaCy).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.segment.names import has_name_shape, strip_postnominals, strip_titles
from pipeline.segment.normalise import collapse_spaces, fold

MAX_LABEL_CHARS = 160

# The default vocabulary of role labels (params.yaml `segment.label_roles` overrides it).
DEFAULT_LABEL_ROLES: dict[str, tuple[str, ...]] = {
    "moderator": (
        "chair", "acting chair", "chairman", "chairwoman", "chairperson", "co-chair", "deputy chair",
        "vice-chair", "vice chair", "presiding member", "presiding officer", "moderator", "co-moderator",
        "host", "co-host", "facilitator", "interviewer", "moderador", "moderadora",
        "presidente", "presidenta",
    ),
    "panelist": ("witness", "panelist", "panellist", "ponente", "panelista"),
    "keynote": ("keynote", "keynote speaker"),
    "other": (
        "q", "question", "a", "answer", "questioner", "respondent",
        "some hon. members", "an hon. member", "some members", "a member", "voices", "a voice",
    ),
}


@dataclass(frozen=True)
class Label:
    """A speaker label read by the grammar.

    `role_word` is the folded role phrase ("acting chair") or ""; `role` the
    session role it stands for; `name` the person as written (titles kept,
    empty for a bare role label); `affiliation` the parenthesised aside.
    """

    written: str
    name: str
    role_word: str = ""
    role: str = ""
    affiliation: str = ""
    marked: bool = False  # a title or post-nominal around the name: "Mr. X", "Hon. Y", "Z AM"


def split_parens(text: str) -> tuple[str, str, str]:
    """(before, first top-level parenthesised group's content, after); nested groups kept whole.

    An unbalanced group ('Ana (ILO') is not a group: returns (text, '', '').
    """
    start = text.find("(")
    if start < 0:
        return text.strip(), "", ""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[:start].strip(), text[start + 1 : i].strip(), text[i + 1 :].strip()
    return text.strip(), "", ""


def role_words(label_roles: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Folded role phrase -> session role."""
    return {fold(word): role for role, words in label_roles.items() for word in words}


def parse_label(written: str, roles: dict[str, str]) -> Label | None:
    """Read `written` (the text before the colon) as a label; None when its shape is not one.

    Shape only: 'Social Economy' parses (a name-shaped phrase) and the judge
    decides. Text after the parenthesised group ('Ana (ILO) says') is not a label.
    """
    written = collapse_spaces(written)
    if not written or len(written) > MAX_LABEL_CHARS or ":" in written:
        return None
    head, inner, after = split_parens(written)
    if after or not head or not head[0].isupper():
        return None  # labels are capitalised: 'question: what next' is text
    role_word, rest = _leading_role(head, roles)
    if role_word and not rest:
        if inner and _names_a_person(inner):
            name, affiliation = _person_and_affiliation(inner)
            return Label(written, name, role_word, roles[role_word], affiliation, _marked(inner, name))
        return Label(written, "", role_word, roles[role_word], inner)
    whole = rest if role_word else head
    name = strip_postnominals(whole)
    if not name:
        return None
    return Label(written, name, role_word, roles.get(role_word, ""), inner, _marked(whole, name))


def _marked(whole: str, name: str) -> bool:
    """Whether a title precedes the name or a post-nominal follows it."""
    return strip_postnominals(whole) != whole.strip() or (strip_titles(name) != name and len(strip_titles(name).split()) >= 1)


def _leading_role(head: str, roles: dict[str, str]) -> tuple[str, str]:
    """('acting chair', '') for 'The Acting Chair'; ('witness', 'Jane Doe') for 'Witness Jane Doe'."""
    words = head.split()
    if words and fold(words[0]) == "the":
        words = words[1:]
    for n in range(min(len(words), 3), 0, -1):
        phrase = fold(" ".join(words[:n])).strip(".")
        if phrase in roles:
            if len(phrase) == 1 and n < len(words):
                continue  # 'Q' and 'A' are labels alone; 'A. Smith' is a name
            rest = " ".join(words[n:])
            # 'A. Smith', 'Chair Smith' read as names when the rest is no name
            if rest and not has_name_shape(rest):
                return "", head
            return phrase, rest
    return "", head


def _names_a_person(inner: str) -> bool:
    name = strip_postnominals(split_parens(inner)[0].split(",")[0])
    return bool(name) and has_name_shape(name) and len(strip_titles(name).split()) >= 2


def _person_and_affiliation(inner: str) -> tuple[str, str]:
    """'Hon. Anthony Rota (Nipissing—Timiskaming, Lib.)' -> ('Hon. Anthony Rota', 'Nipissing—Timiskaming, Lib.')."""
    head, nested, _ = split_parens(inner)
    if "," in head and not nested:
        name, affiliation = head.split(",", 1)
        return strip_postnominals(name.strip()), affiliation.strip()
    return strip_postnominals(head), nested
