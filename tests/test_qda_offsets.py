"""Statement anchors in the source text: the ASCII matcher finds what the regex finds."""

from __future__ import annotations

import random
import re

from pipeline.qda.offsets import ASCII_LOOKALIKES, _anchor, anchor_words, _ascii_matches, _matches, source_text, statement_span
from pipeline.segment.lines import SourceLine

_WORD = re.compile(r"\w+")


def _regex_spans(window: str, words: list[str]) -> list[tuple[int, int]]:
    return [m.span() for m in _anchor(words).finditer(window)]


def test_ascii_matcher_equals_the_regex_on_random_text() -> None:
    rng = random.Random(3)
    vocabulary = ["a", "an", "Ab", "ab", "ba", "cab", "x_1", "_", "9", "Ms", "MS", "ms"]
    separators = [" ", "  ", ", ", ". ", "\n", "-", "'", "", "_", "--"]
    for _ in range(3000):
        window = "".join(rng.choice(vocabulary) + rng.choice(separators) for _ in range(rng.randint(0, 12)))
        words = [rng.choice(vocabulary) for _ in range(rng.randint(1, 4))]
        words = [w for w in words if _WORD.fullmatch(w)] or ["ab"]
        expected = _regex_spans(window, words)
        assert list(_ascii_matches(window.lower(), [w.lower() for w in words])) == expected, (window, words)
        assert list(_matches(window, words)) == expected


def test_the_ascii_lookalikes_are_every_character_the_regex_folds_to_ascii() -> None:
    # what lets text beyond ASCII skip the regex: only these match an ASCII word character under IGNORECASE
    word_char = re.compile("[a-z0-9_]", re.IGNORECASE)
    found = [chr(cp) for cp in range(0x80, 0x110000) if not 0xD800 <= cp <= 0xDFFF and word_char.fullmatch(chr(cp))]
    assert "".join(found) == ASCII_LOOKALIKES


def test_matcher_equals_the_regex_on_text_beyond_ascii_with_ascii_words() -> None:
    rng = random.Random(5)
    vocabulary = ["a", "Ab", "ab", "cab", "x_1", "9", "Ms", "ms", "é", "Éb", "aé", "naïve", "ßa", "\u0130a", "\u212ab"]
    separators = [" ", "\u2014", "\u2019", "\u00a0", "\u2026 ", ", ", "\n", "", "£", "\u201c"]
    for _ in range(3000):
        window = "".join(rng.choice(vocabulary) + rng.choice(separators) for _ in range(rng.randint(0, 12)))
        words = [w for w in (rng.choice(vocabulary[:7] + ["k", "s", "i"]) for _ in range(rng.randint(1, 4)))] or ["ab"]
        assert list(_matches(window, words)) == _regex_spans(window, words), (window, words)


def test_non_ascii_text_keeps_the_regex() -> None:
    # the Kelvin sign and the long s fold to k and s under the regex's case rules: no ASCII shortcut there
    window = "The \u212aing's \u017fpeech, the king's speech"
    assert list(_matches(window, ["king", "s"])) == _regex_spans(window, ["king", "s"])
    assert list(_matches("Pérez said so", ["PÉREZ", "said"])) == [(0, 10)]


def test_span_narrows_to_the_statements_words() -> None:
    lines = [SourceLine(1, "Ms. Shin: Thank you, Chair."), SourceLine(2, "We need (more) money!")]
    text, spans = source_text(lines)
    start, end = statement_span(text, spans, [1, 2], "Thank you, Chair. We need (more) money!")
    assert text[start:end] == "Thank you, Chair.\nWe need (more) money!"


def test_anchor_words_are_the_first_and_last_four_words() -> None:
    rng = random.Random(11)
    vocabulary = ["a", "word", "longer_words_here", "x1", "é", "naïve", "2024", "Ms", "\u00a0", "w" * 150, "ü" * 60]
    separators = [" ", ", ", "-", "\u2014", "'", "\n", "", ". "]
    for _ in range(3000):
        statement = "".join(rng.choice(vocabulary) + rng.choice(separators) for _ in range(rng.randint(0, 120)))
        words = _WORD.findall(statement)
        assert anchor_words(statement) == (words[:4], words[-4:]), statement
