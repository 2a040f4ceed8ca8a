"""Where each statement sits in its report's text, in characters, for REFI-QDA selections.

The source text is the report as the segment stage's reader read it (lines
joined by "\n", NFC). A statement's span starts at its first source line and
ends with its last; inside that span the selection is narrowed to the
statement's own words (a speaker label, bullet or chat prefix before them is
left out), so the selected text normalises to the statement's text hash.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Iterator, Sequence

from pipeline.segment.lines import SourceLine

_WORD = re.compile(r"\w+", re.UNICODE)
_CLOSING = set(".,;:!?…\"'»”’)]")
_ANCHOR_WORDS = 4
_TAIL_CHARS = 160  # how far from its end the last anchor words are looked for first
_NON_WORD = re.compile(r"\W+")
# the only characters beyond ASCII that `re.IGNORECASE` matches to an ASCII letter, digit or "_"
# (İ ı ſ and the Kelvin sign; tests/test_qda_offsets.py checks every code point)
ASCII_LOOKALIKES = "\u0130\u0131\u017f\u212a"
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


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


def _ascii_matches(lowered: str, words: list[str], pos: int = 0) -> Iterator[tuple[int, int]]:
    """(start, end) of each match of `_anchor(words)` in a text, as `finditer` finds them, for ASCII words.

    Compiling one pattern per statement dominated the stage at scale. For ASCII
    words the match is exact without a regex when no character of the text
    folds to an ASCII one (see `_matches`): the text's ASCII letters are lowered
    (one to one, so offsets stay), each word is a literal and the `\W+`
    between two words takes the whole run of non-word characters (a word starts
    with a word character, so the regex could not stop earlier). Matches are
    leftmost and do not overlap, as `finditer`'s.
    """
    first, rest = words[0], words[1:]
    start = lowered.find(first, pos)
    while start != -1:
        end = start + len(first)
        for word in rest:
            gap = _NON_WORD.match(lowered, end)
            if gap is None or not lowered.startswith(word, gap.end()):
                end = -1
                break
            end = gap.end() + len(word)
        if end != -1:
            yield start, end
            start = lowered.find(first, end)
        else:
            start = lowered.find(first, start + 1)


def _matches(window: str, words: list[str], lowered: str | None = None) -> Iterator[tuple[int, int]]:
    """`_anchor(words)`'s matches in `window`; `lowered` is `_fold(window)` when the caller has it."""
    if all(w.isascii() for w in words):
        lowered = _fold(window) if lowered is None else lowered
        if lowered is not None:
            return _ascii_matches(lowered, [w.lower() for w in words])
    return (m.span() for m in _anchor(words).finditer(window))


def _fold(window: str) -> str | None:
    """`window` lowered for `_ascii_matches`, or None when only the regex matches it exactly.

    Beyond ASCII only ASCII_LOOKALIKES can match a letter of an ASCII word:
    other characters (dashes, curly quotes, accented letters) lower to
    characters beyond ASCII, one to one, and never match one.
    """
    if window.isascii():
        return window.lower()
    if any(c in window for c in ASCII_LOOKALIKES):
        return None
    return window.translate(_ASCII_LOWER)


def anchor_words(statement: str) -> tuple[list[str], list[str]]:
    """The statement's first and last `_ANCHOR_WORDS` words: `words[:4]`, `words[-4:]` of `_WORD.findall`.

    Only the statement's two ends are scanned (a long statement's middle words
    were most of the stage's word splitting).
    """
    head = [m.group() for m in itertools.islice(_WORD.finditer(statement), _ANCHOR_WORDS)]
    pos = max(0, len(statement) - _TAIL_CHARS)
    if pos == 0 or len(head) < _ANCHOR_WORDS:
        return head, _WORD.findall(statement)[-_ANCHOR_WORDS:]
    tail = [m for m in _WORD.finditer(statement, pos)]
    if tail and tail[0].start() == pos and _WORD.match(statement, pos - 1):
        tail = tail[1:]  # a word cut by the scan's start
    if len(tail) < _ANCHOR_WORDS:
        return head, _WORD.findall(statement)[-_ANCHOR_WORDS:]
    return head, [m.group() for m in tail[-_ANCHOR_WORDS:]]


def statement_span(text: str, spans: dict[int, tuple[int, int]], source_lines: Sequence[int], statement: str) -> tuple[int, int]:
    """(start, end) of a statement in `text`: [start, end) with end exclusive, as REFI-QDA positions.

    Falls back to the whole lines when the statement's words are not found in
    them (a text rewritten by the segmenter).
    """
    known = [n for n in source_lines if n in spans]
    if not known:
        raise ValueError(f"none of the lines {list(source_lines)[:5]} is in the report as read")
    lo, hi = spans[min(known)][0], spans[max(known)][1]
    head, tail = anchor_words(statement)
    if not head:
        return lo, hi
    window = text[lo:hi]
    lowered = _fold(window)
    first = next(_matches(window, head, lowered), None)
    start = lo + first[0] if first else lo
    last = None
    for m in _matches(window, tail, lowered):
        if lo + m[1] > start:
            last = m
    end = lo + last[1] if last else hi
    stripped = statement.rstrip()
    trailing = len(stripped) - len(stripped.rstrip("".join(_CLOSING)))
    for _ in range(trailing):
        if end < hi and text[end] in _CLOSING:
            end += 1
    return start, end
