"""Section headings (English and Spanish) -> the contract's section ids.

Reports of this kind share a skeleton (key points per speaker, audience
comments, spoken comments, conclusions) but word the headings freely and in
either language, so headings are recognised by key phrases in folded text,
not by exact strings.
"""

from __future__ import annotations

import re

from pipeline.segment.normalise import fold, strip_bullet

# Order matters: the first pattern that matches names the section.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "audience_comments",
        re.compile(
            r"\b(audience|public|publico|chat|participants'? (comments|questions)|asistentes|audiencia|"
            r"preguntas del|questions from|questions and answers|q ?& ?a|preguntas y respuestas)(?!\w)"
        ),
    ),
    (
        "spoken_comments",
        re.compile(r"\b(spoken|oral|orales|hablad[oa]s|verbal(es)?|floor|en voz|de viva voz)\b"),
    ),
    (
        "conclusions",
        re.compile(r"\b(conclusions?|conclusiones|closing|cierre|observations|observaciones|final remarks)\b"),
    ),
    (
        "key_points",
        re.compile(
            r"\b(key points?|relevant ideas|main ideas|ideas relevantes|ideas principales|puntos clave|"
            r"highlights|presentations?|exposiciones|ponencias|intervenciones)\b"
        ),
    ),
)
_MAX_HEADING_WORDS = 16


def heading_section(text: str) -> str | None:
    """The section a heading line opens, or None when the line is not a heading.

    A heading is short, unbulleted, and either ends with a colon or does not
    end like a sentence; its folded text contains one of the key phrases.
    """
    bulleted, body = strip_bullet(text)
    if bulleted or not body:
        return None
    words = body.split()
    if len(words) > _MAX_HEADING_WORDS:
        return None
    stripped = body.rstrip()
    if ":" in stripped[:-1]:
        # "Audience comments: great talk" is a sentence with a colon, not a heading.
        return None
    if stripped.endswith((".", "!", "?")) and not stripped.endswith(":"):
        return None
    folded = fold(stripped.rstrip(":").strip())
    for section, pattern in _PATTERNS:
        if pattern.search(folded):
            return section
    return None
