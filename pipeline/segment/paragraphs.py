"""Where a paragraph ends when no blank line says so.

Text layers of PDFs, and text exported one paragraph per line, carry no blank
line between paragraphs. Two layouts are told apart by how lines end:

* wrapped text (a PDF page, a record wrapped at 78 columns): most lines stop
  mid-sentence; a line that ends a sentence and leaves room for the next
  line's first word within the wrap width (the common line length) was ended
  on purpose: it is the last line of its paragraph (the reflow rule of text
  editors; a wrapper only breaks a line when the next word does not fit);
* one paragraph per line (Word or web text saved as .txt): almost every line
  ends a sentence, so every line that ends a sentence ends its paragraph.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.segment.normalise import BULLET_RE, ends_sentence

# Wrapped when at least this share of lines followed by text stop mid-sentence.
_MIN_MID_SENTENCE_SHARE = 0.3
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


def ends_paragraph(last_line: str, next_line: str, wrap: int | None) -> bool:
    """Whether `last_line`, followed by `next_line`, is its paragraph's last line.

    `wrap` as `wrap_width` gives it: 0 means one paragraph per line; None
    (too few lines to tell) keeps the old reading: a line without a blank
    line after it never ends a paragraph.
    """
    if wrap is None or not ends_sentence(last_line):
        return False
    first_word = next_line.split()[0] if next_line.split() else ""
    return wrap == 0 or len(last_line.strip()) + 1 + len(first_word) <= wrap
