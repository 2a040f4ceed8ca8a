"""Where a paragraph ends when no blank line says so.

Text layers of PDFs, and text exported one paragraph per line, carry no blank
line between paragraphs. Two layouts are told apart by how lines end:

* wrapped text (a PDF page, a record wrapped at 78 columns): most lines stop
  mid-sentence; a line that ends a sentence well short of the wrap width (the
  common line length) is the last line of its paragraph;
* one paragraph per line (Word or web text saved as .txt): almost every line
  ends a sentence, so every line that ends a sentence ends its paragraph.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.segment.normalise import BULLET_RE, ends_sentence

# Wrapped when at least this share of lines followed by text stop mid-sentence.
_MIN_MID_SENTENCE_SHARE = 0.3
# A line ending a sentence is a paragraph's last when shorter than this share of the wrap width.
_SHORT_LINE_SHARE = 0.8
_MIN_LINES = 4


def wrap_width(texts: Sequence[str]) -> int | None:
    """The width lines are wrapped at; 0 when every line is a paragraph of its own; None when too few lines tell.

    `texts` are the body's lines in order (blank lines included).
    """
    pairs = [
        (a.strip(), b.strip())
        for a, b in zip(texts, texts[1:])
        if a.strip() and b.strip() and not BULLET_RE.match(b) and not a.strip().endswith(":")
    ]
    if len(pairs) < _MIN_LINES:
        return None
    mid = sum(1 for a, _ in pairs if not ends_sentence(a))
    if mid / len(pairs) < _MIN_MID_SENTENCE_SHARE:
        return 0
    lengths = sorted(len(a) for a, _ in pairs)
    return lengths[int(0.9 * (len(lengths) - 1))]


def ends_paragraph(last_line: str, wrap: int | None) -> bool:
    """Whether `last_line`, followed by a line of text, is its paragraph's last line.

    `wrap` as `wrap_width` gives it: 0 means one paragraph per line; None
    (too few lines to tell) keeps the old reading: a line without a blank
    line after it never ends a paragraph.
    """
    if wrap is None or not ends_sentence(last_line):
        return False
    return wrap == 0 or len(last_line) < _SHORT_LINE_SHARE * wrap
