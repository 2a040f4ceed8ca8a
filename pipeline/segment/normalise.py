"""Text folding shared by the segment rules.

Reports mix accents, casing and PDF extraction noise ("Brossard- Sabourin");
every comparison between two pieces of text goes through these folds so that
one rule never sees "Pérez" and "PEREZ" as different words.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

BULLET_RE = re.compile(r"^\s*(?:[-•–—*·▪●◦]|\d{1,2}[.)])\s+")
_PDF_HYPHEN_RE = re.compile(r"(?<=[^\W\d_])([-‐‑])\s+(?=[^\W\d_])")
_SPACES_RE = re.compile(r"\s+")
_NOT_ASCII_LOWER_RE = re.compile(r"[^a-z]+")
# inline markup that text extraction leaves around words ("<u>https://…</u>")
_INLINE_TAG_RE = re.compile(r"</?(?:u|b|i|em|strong|span|sup|sub)(?:\s[^<>]*)?>", re.IGNORECASE)
TERMINAL_PUNCTUATION = (".", "!", "?", "»", '"', "”", ")")


def strip_accents(text: str) -> str:
    """'María Ángeles' -> 'Maria Angeles' (compatibility decomposition, marks dropped)."""
    if text.isascii():  # NFKD leaves ASCII as it is and it has no combining marks
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1 << 14)
def fold(text: str) -> str:
    """Lowercase, accent-free, single-spaced: the form names and headings are compared in.

    Memoised (bounded): the rules fold the same line many times over (furniture,
    labels, names); a report's lines recur across passes, not across the corpus.
    """
    return collapse_spaces(strip_accents(text).casefold())


@lru_cache(maxsize=1 << 14)
def letters_only(text: str) -> str:
    """Lowercase accent-free letters only: how page furniture is recognised.

    Digits are dropped so that a running footer carrying its page number
    ("Report - page 3") folds to the same string on every page.
    """
    folded = fold(text)
    if folded.isascii():  # the same letters, without a Python loop per character
        return _NOT_ASCII_LOWER_RE.sub("", folded)
    return "".join(ch for ch in folded if ch.isalpha())


def collapse_spaces(text: str) -> str:
    return _SPACES_RE.sub(" ", text).strip()


_MD_HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_STRONG_RE = re.compile(r"\*\*|__")


def strip_markdown(text: str) -> str:
    """'## Audience comments' -> 'Audience comments', '**Ana Ruiz:** Hello' -> 'Ana Ruiz: Hello':
    Markdown headings and strong emphasis are layout, not words (single * and _ stay: bullets, names)."""
    return _MD_STRONG_RE.sub("", _MD_HEADING_RE.sub("", text))


def strip_inline_markup(text: str) -> str:
    """'<u>http://x</u>' -> 'http://x': underline/bold tags are formatting, not words."""
    return _INLINE_TAG_RE.sub("", text)


def join_pdf_hyphen(text: str) -> str:
    """'Brossard- Sabourin' -> 'Brossard-Sabourin': PDF extraction leaves a space after a hyphen."""
    return _PDF_HYPHEN_RE.sub(r"\1", text)


def strip_bullet(text: str) -> tuple[bool, str]:
    """(True, rest) when the line starts with a bullet (-, •, –, *, '1.'), else (False, text)."""
    match = BULLET_RE.match(text)
    if match:
        return True, text[match.end() :].strip()
    return False, text.strip()


def ends_sentence(text: str) -> bool:
    """Whether `text` ends a sentence; a trailing ellipsis ('transport...') does not."""
    stripped = text.rstrip()
    if not stripped or stripped.endswith(("...", "…")):
        return False
    return stripped.endswith(TERMINAL_PUNCTUATION)


def starts_lowercase(text: str) -> bool:
    for ch in text.strip():
        if ch.isalpha():
            return ch.islower()
        if ch.isdigit():
            return False
    return False
