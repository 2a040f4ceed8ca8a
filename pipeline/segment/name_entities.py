"""What spaCy reads in a candidate name, cached for the whole stage.

Deciding whether a label names a person runs spaCy on the name alone, and the
reading depends on nothing but the text: the same name in the next report
reads the same. Transcripts of many speakers made this the segment stage's
main cost (one spaCy call per name per report, twice for some), growing with
the number of names per report; the readings are now kept per spaCy pipeline
for every report a process segments (forked workers each keep their own).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from pipeline.segment.names import PARTICLES

# Entity labels that, covering a whole candidate, say it names no person.
NOT_PERSON_ENTITIES = frozenset({"GPE", "LOC", "DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY",
                                 "EVENT", "LAW", "WORK_OF_ART", "FAC", "PRODUCT", "LANGUAGE", "ORG", "NORP"})
# Readings kept per pipeline; past it the cache starts again (the readings are the same, only recomputed).
MAX_READINGS = 1 << 16


@dataclass(frozen=True)
class NameReading:
    """spaCy's reading of a short text, as the name judgments use it."""

    person_entity: bool  # a PERSON entity somewhere in it
    not_person: bool  # no PERSON entity, and place/organisation/date/... entities cover every non-punctuation token
    has_alpha: bool  # a word of letters that is not a particle ("de", "van")
    all_proper_nouns: bool  # every such word tagged PROPN


_CACHES: weakref.WeakKeyDictionary[Any, dict[str, NameReading]] = weakref.WeakKeyDictionary()


def read_name(nlp: Any, text: str) -> NameReading:
    """spaCy's reading of `text`, computed once per pipeline and text."""
    try:
        cache = _CACHES.setdefault(nlp, {})
    except TypeError:  # a pipeline that cannot be weakly referenced: no cache
        return _read(nlp, text)
    if text not in cache:
        if len(cache) >= MAX_READINGS:
            cache.clear()
        cache[text] = _read(nlp, text)
    return cache[text]


def _read(nlp: Any, text: str) -> NameReading:
    doc = nlp(text)
    person = any(ent.label_ == "PERSON" for ent in doc.ents)
    covered = sum(len(ent) for ent in doc.ents if ent.label_ in NOT_PERSON_ENTITIES)
    tokens = [t for t in doc if not t.is_punct]
    alpha = [t for t in doc if t.is_alpha and t.lower_ not in PARTICLES]
    return NameReading(
        person_entity=person,
        not_person=not person and bool(tokens) and covered >= len(tokens),
        has_alpha=bool(alpha),
        all_proper_nouns=all(t.pos_ == "PROPN" for t in alpha),
    )
