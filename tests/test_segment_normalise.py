"""The text folds: the fast paths (ASCII, memoised) give what the general rule gives."""

from __future__ import annotations

import random
import re
import string
import unicodedata

import pytest

from pipeline.segment.normalise import fold, letters_only, strip_accents


def _general_strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _general_fold(text: str) -> str:
    return re.sub(r"\s+", " ", _general_strip_accents(text).casefold()).strip()


def _general_letters_only(text: str) -> str:
    return "".join(ch for ch in _general_fold(text) if ch.isalpha())


def _texts() -> list[str]:
    rng = random.Random(7)
    alphabet = string.printable + "éÉñÑüß½²ſKİı\u00a0\u2009—’«»"
    made = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(400)]
    return made + ["Report - page 3", "  MARÍA   Ángeles\t", "Brossard- Sabourin", "", "   ", "ﬁnance ½ ²", "Straße"]


@pytest.mark.parametrize("text", _texts())
def test_fast_folds_equal_the_general_rule(text: str) -> None:
    assert strip_accents(text) == _general_strip_accents(text)
    assert fold(text) == _general_fold(text)
    assert letters_only(text) == _general_letters_only(text)
    assert fold(text) == fold(text)  # a memoised answer is the same answer


def test_footer_folds_ignore_page_numbers_and_accents() -> None:
    assert letters_only("Rapport — page 3") == letters_only("RAPPORT — PAGE 12") == "rapportpage"
    assert fold("  María   ÁNGELES ") == "maria angeles"
