"""Where each statement sits in its report's text, in characters, for REFI-QDA selections.

The source text is the report as the segment stage's reader read it (lines
joined by "\n", NFC). A statement's span starts at its first source line and
ends with its last; inside that span the selection is narrowed to the
statement's own words (a speaker label, bullet or chat prefix before them is
left out), so the selected text normalises to the statement's text hash.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.segment.lines import SourceLine

_WORD = re.compile(r"\w+", re.UNICODE)
_CLOSING = set(".,;:!?…\"'»”’)]")
_ANCHOR_WORDS = 4


def source_text(lines: Sequence[SourceLine]) -> tuple[str, dict[int, tuple[int, int]]]:
    """The report's text and each line number's (start, end) character offsets in it."""
    spans: dict[int, tuple[int, int]] = {}
    parts: list[str] = []
    pos = 0
    for line in lines:
        spans[line.line_no] = (pos, pos + len(line.text))
        parts.append(line.text)
        pos += len(line.text) + 1
    return "\n".join(parts), spans


def _anchor(words: list[str]) -> re.Pattern[str]:
    return re.compile(r"\W+".join(re.escape(w) for w in words), re.IGNORECASE | re.UNICODE)


def statement_span(text: str, spans: dict[int, tuple[int, int]], source_lines: Sequence[int], statement: str) -> tuple[int, int]:
    """(start, end) of a statement in `text`: [start, end) with end exclusive, as REFI-QDA positions.

    Falls back to the whole lines when the statement's words are not found in
    them (a text rewritten by the segmenter).
    """
    known = [n for n in source_lines if n in spans]
    if not known:
        raise ValueError(f"none of the lines {list(source_lines)[:5]} is in the report as read")
    lo, hi = spans[min(known)][0], spans[max(known)][1]
    words = _WORD.findall(statement)
    if not words:
        return lo, hi
    window = text[lo:hi]
    first = _anchor(words[:_ANCHOR_WORDS]).search(window)
    start = lo + first.start() if first else lo
    last = None
    for m in _anchor(words[-_ANCHOR_WORDS:]).finditer(window):
        if lo + m.end() > start:
            last = m
    end = lo + last.end() if last else hi
    stripped = statement.rstrip()
    trailing = len(stripped) - len(stripped.rstrip("".join(_CLOSING)))
    for _ in range(trailing):
        if end < hi and text[end] in _CLOSING:
            end += 1
    return start, end
