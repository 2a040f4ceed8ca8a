"""People's names: cleaning what the body writes and resolving it to the header.

The body of a report refers to the same person in many ways ("Dip. Soraya",
"Deputy Soraya Pérez", "From Panelist Deputy. Soraya Pérez", "OECD- Antonella
NOYA"). Everything downstream counts statements per person, so each form has to
land on one canonical name: the header's when the person is listed there, else
the name as written, cleaned of titles, organisation prefixes and shouting caps.
Matching is accent- and case-insensitive, by tokens first and fuzzy last, and
knows nothing about any particular report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from pipeline.segment.normalise import collapse_spaces, fold, join_pdf_hyphen

# Honorifics and functional titles written before names (EN/ES/FR), folded form, no dot.
TITLES = frozenset(
    """
    dip diputado diputada deputy congressman congresswoman senator senador senadora
    panelist panelista panellist moderator moderador moderadora keynote ponente speaker
    dr dra doctor doctora mtro mtra maestro maestra lic licenciado licenciada ing ingeniero ingeniera
    arq prof profa professor profesor profesora sr sra srta mr mrs ms miss mx dona
    hon honorable minister ministro ministra secretary secretario secretaria president presidente presidenta
    mme mlle right rt honourable sir dame rev reverend cllr councillor
    """.split()
)
# Letters after a name, written in capitals ("Lynne Neagle AM", "Jane Smith, MP", "Ann Lee PhD").
POSTNOMINALS = frozenset("am ms mp mla msp mpp mha mna td mep qc kc obe mbe cbe phd md mba".split())
# Lowercase words that belong inside names ("María de la Ángeles", "Roberto Di Meglio").
PARTICLES = frozenset("de la las los del di da das do dos du van von der den y e le el al bin ibn st".split())
# Verbs that follow a name in an inline turn ("Dip. Soraya pregunta: ...", "X asks: ...").
SPEECH_VERBS = frozenset(
    """
    asks asked answers answered says said replies replied responds responded comments commented adds added
    notes noted mentions mentioned explains explained questions
    pregunta pregunto responde respondio contesta contesto dice dijo comenta comento agrega agrego
    menciona menciono senala senalo explica explico interviene
    """.split()
)

_ORG_PREFIX_RE = re.compile(r"^\s*([A-Z][A-Z0-9&.]{1,9})\s*[-–—/:]\s*(?=[A-ZÁÉÍÓÚÑÜ][a-záéíóúñü])")
_PARENS_RE = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")
# Elided particles glued to a surname: "d'Entremont", "l'Heureux", "dell'Acqua".
_ELIDED_PREFIX_RE = re.compile(r"^[^\W\d_]{1,4}['’](?=[^\W\d_])")
_TOKEN_SPLIT_RE = re.compile(r"[\s\-‐‑]+")
_WORD_RE = re.compile(r"[^\W_][\w'’.\-]*", re.UNICODE)


def _bare(token: str) -> str:
    return fold(token).strip(".,;:")


def strip_titles(name: str) -> str:
    """Drop leading honorifics/titles ('Panelist Deputy. Soraya Pérez' -> 'Soraya Pérez').

    'The' goes only before a title ('The Honourable Patty Hajdu').
    """
    tokens = name.split()
    while len(tokens) > 1 and (
        _bare(tokens[0]) in TITLES or (_bare(tokens[0]) == "the" and _bare(tokens[1]) in TITLES)
    ):
        tokens = tokens[1:]
    return " ".join(tokens)


def strip_postnominals(name: str) -> str:
    """'Lynne Neagle AM' -> 'Lynne Neagle', 'Jane Smith, MP' -> 'Jane Smith': letters in capitals after a name."""
    tokens = name.replace(",", " , ").split()
    while len(tokens) > 1:
        last = tokens[-1]
        letters = "".join(ch for ch in last if ch.isalpha())
        if last == ",":
            tokens.pop()
        elif letters and fold(letters) in POSTNOMINALS and sum(ch.isupper() for ch in letters) >= 2:
            tokens.pop()
        else:
            break
    return " ".join(tokens).replace(" , ", ", ").strip()


def strip_org_prefix(name: str) -> str:
    """'OECD- Antonella NOYA' -> 'Antonella NOYA': an acronym and a dash before a name."""
    return _ORG_PREFIX_RE.sub("", name, count=1)


def readable_case(name: str) -> str:
    """Title-case words written in capitals ('NOYA' -> 'Noya'); keep every other word as written."""
    words = []
    for word in name.split():
        letters = [c for c in word if c.isalpha()]
        if len(letters) > 1 and all(c.isupper() for c in letters):
            word = "-".join(part[:1] + part[1:].lower() for part in word.split("-"))
        words.append(word)
    return " ".join(words)


def clean_name(raw: str) -> str:
    """The readable canonical form of a name as written in the body.

    Removes an organisation prefix, parenthesised asides, titles and the
    space a PDF leaves after a hyphen; words in capitals become title case.
    """
    name = collapse_spaces(join_pdf_hyphen(raw)).strip(" -–—:,;")
    name = strip_org_prefix(name)
    name = remove_parens(name)
    name = strip_postnominals(strip_titles(name))
    name = name.strip(" -–—:,;")
    return readable_case(name)


def remove_parens(text: str) -> str:
    """'Ana (ILO (Geneva)) Ruiz' -> 'Ana Ruiz': every bracketed aside, nested ones included."""
    previous = None
    while previous != text:
        previous, text = text, _PARENS_RE.sub("", text)
    return collapse_spaces(text)


def name_tokens(name: str) -> tuple[str, ...]:
    """Folded tokens of a name, hyphenated surnames split ('brossard', 'sabourin')."""
    return tuple(t.strip(".,;:'’") for t in _TOKEN_SPLIT_RE.split(fold(name)) if t.strip(".,;:'’"))


def has_name_shape(text: str, *, max_tokens: int = 6) -> bool:
    """Capitalised words, name particles or titles only: the shape of a person's name."""
    words = text.split()
    if not words or len(words) > max_tokens:
        return False
    content = 0
    for word in words:
        bare = word.strip(".,;'’")
        if not bare:
            continue
        if _bare(bare) in PARTICLES:
            continue
        first = _ELIDED_PREFIX_RE.sub("", bare)[:1] or bare[0]
        if not first.isalpha() or not first.isupper():
            return False
        if any(ch.isdigit() for ch in bare):
            return False
        content += 1
    return content > 0


@dataclass(frozen=True)
class Person:
    """Someone the header lists, with their role in the session."""

    name: str
    role: str
    affiliation: str = ""

    @property
    def tokens(self) -> tuple[str, ...]:
        return name_tokens(self.name)


@dataclass(frozen=True)
class Roster:
    """The people the header lists; resolves body names to them."""

    people: tuple[Person, ...]
    fuzzy_threshold: float = 0.85

    def resolve(self, label: str) -> Person | None:
        """The listed person `label` refers to, or None when no single one fits."""
        tokens = name_tokens(clean_name(label))
        tokens = tuple(t for t in tokens if t not in TITLES)
        if not tokens or not self.people:
            return None
        for rule in (self._exact, self._ordered_subset, self._single_token, self._fuzzy):
            found = rule(tokens)
            if found is not None:
                return found
        return None

    def _unique(self, matches: list[Person]) -> Person | None:
        distinct = {p.name: p for p in matches}
        return next(iter(distinct.values())) if len(distinct) == 1 else None

    def _exact(self, tokens: tuple[str, ...]) -> Person | None:
        return self._unique([p for p in self.people if p.tokens == tokens])

    def _ordered_subset(self, tokens: tuple[str, ...]) -> Person | None:
        """First name plus some of the surnames, in order ('Soraya Pérez' for 'Soraya Pérez Munguía')."""
        if len(tokens) < 2:
            return None
        return self._unique([p for p in self.people if p.tokens and p.tokens[0] == tokens[0] and _in_order(tokens, p.tokens)])

    def _single_token(self, tokens: tuple[str, ...]) -> Person | None:
        """A first name (or a surname) alone, when exactly one listed person has it."""
        if len(tokens) != 1 or tokens[0] in PARTICLES:
            return None
        return self._unique([p for p in self.people if tokens[0] in p.tokens])

    def _fuzzy(self, tokens: tuple[str, ...]) -> Person | None:
        """Typos and transliterations: the best ratio against the same number of leading tokens."""
        written = " ".join(tokens)
        scored = []
        for person in self.people:
            candidates = {" ".join(person.tokens), " ".join(person.tokens[: len(tokens)])}
            score = max(SequenceMatcher(None, written, c).ratio() for c in candidates)
            scored.append((score, person))
        scored.sort(key=lambda item: -item[0])
        if not scored or scored[0][0] < self.fuzzy_threshold:
            return None
        if len(scored) > 1 and scored[1][0] >= self.fuzzy_threshold and scored[1][1].name != scored[0][1].name:
            return None
        return scored[0][1]


def _in_order(needle: tuple[str, ...], haystack: tuple[str, ...]) -> bool:
    it = iter(haystack)
    return all(any(tok == other for other in it) for tok in needle)
