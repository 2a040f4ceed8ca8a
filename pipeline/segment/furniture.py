"""Page furniture: running footers/headers, lone page numbers, and their garbled variants.

Reports extracted from PDFs carry the page's footer in the middle of the text,
often cutting a sentence in two. Its wording differs from report to report, so
it is found by what makes it furniture: the same text (folded to letters only)
recurring at several places, not a bullet, not a speaker label or heading,
not the lowercase tail of a cut sentence; plus lines that are a run of such pieces written on one line,
or an OCR-garbled variant of one ("S Finanzgruppe ..."), sitting next to
furniture. When the format gives pages, lines that recur at the top or bottom
of several pages are furniture too.

For formats without pages (.txt, .md) pages are inferred: a page ends at each
furniture block, so page N is the text after the (N-1)th footer.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from pipeline.segment.lines import SourceLine
from pipeline.segment.normalise import BULLET_RE, ends_sentence, letters_only, starts_lowercase

PAGE_NUMBER_RE = re.compile(
    r"^\s*(?:[-–—]\s*)?(?:(?:page|pag|pág|página|pagina|p)\.?\s*)?\d{1,4}"
    r"(?:\s*(?:/|of|de)\s*\d{1,4})?(?:\s*[-–—])?\s*$",
    re.IGNORECASE,
)
_MIN_LETTERS = 6
_EDGE_LINES = 3


@dataclass(frozen=True)
class Furniture:
    """Line numbers that are page furniture, with the reason, and the inferred pages."""

    reasons: dict[int, str]
    pages: dict[int, int | None]


def is_page_number(text: str) -> bool:
    return bool(PAGE_NUMBER_RE.match(text))


def find_furniture(
    lines: Sequence[SourceLine],
    *,
    min_repeats: int,
    similarity: float,
    is_protected: Callable[[str], bool] = lambda text: False,
) -> Furniture:
    """Find the furniture among `lines`.

    `is_protected(text)` says a line must never be furniture however often it
    recurs (speaker labels and headings recur legitimately: "Maude:" twice).
    """
    candidates = _recurring_pieces(lines, min_repeats=min_repeats, is_protected=is_protected)
    if any(line.page is not None for line in lines):
        candidates |= _page_edge_pieces(lines, min_repeats=min_repeats, is_protected=is_protected)
    reasons: dict[int, str] = {}
    for index, line in enumerate(lines):
        key = letters_only(line.text)
        if line.page is None and _spoken_after_label(lines, index, is_protected):
            continue  # (with pages, a footer may sit right under a label at the page's foot)
        if key in candidates:
            reasons[line.line_no] = "footer"
        elif len(key) >= _MIN_LETTERS and not BULLET_RE.match(line.text) and _is_concatenation(key, candidates):
            reasons[line.line_no] = "footer"
    _add_garbled_variants(lines, reasons, candidates, similarity=similarity, is_protected=is_protected)
    _add_page_numbers(lines, reasons)
    return Furniture(reasons=reasons, pages=_pages(lines, reasons))


def _spoken_after_label(lines: Sequence[SourceLine], index: int, is_protected: Callable[[str], bool]) -> bool:
    """A line right under a speaker label ('The Chair:' / 'Back to Ms. Shin.'), on the same page, is what they said.

    Hearing records repeat short turns word for word; a running footer is set
    apart from the text (a blank line, a page break), never glued under a label.
    """
    if index == 0:
        return False
    before = lines[index - 1]
    text = before.text.strip()
    if before.page == lines[index].page and text.endswith(":") and is_protected(text):
        return True
    # In text without pages a footer is set apart by blank lines: a line glued under a line of
    # text ("... to rural" / "Canadians?", a paragraph's second line) is text. With pages, the
    # tail of a sentence on the same page is text too (a footer is found at the page edges anyway).
    if before.page is None and lines[index].page is None:
        return bool(text)
    return before.page == lines[index].page and bool(text) and not ends_sentence(text) and not text.endswith(":")


def _eligible(text: str, is_protected: Callable[[str], bool]) -> bool:
    return (
        len(letters_only(text)) >= _MIN_LETTERS
        and not BULLET_RE.match(text)
        and not is_protected(text.strip())
    )


def _recurring_pieces(
    lines: Sequence[SourceLine], *, min_repeats: int, is_protected: Callable[[str], bool]
) -> set[str]:
    """Folded texts of lines that recur `min_repeats` times or more.

    Bullets, speaker labels and headings may recur legitimately and are never
    candidates; nor is a line starting in lowercase (the tail of a cut sentence).
    Blank lines are not required around a footer: PDF text layers drop them.
    """
    keys = [
        letters_only(l.text)
        for i, l in enumerate(lines)
        if _eligible(l.text, is_protected) and not starts_lowercase(l.text) and not _spoken_after_label(lines, i, is_protected)
    ]
    counts = Counter(keys)
    pieces = {key for key, n in counts.items() if n >= min_repeats}
    # A footer written once on one line ("Sponsored by: X") and elsewhere on two
    # lines: what remains of that line around a known piece is a piece seen once more.
    extra: Counter[str] = Counter()
    for key in set(keys) - pieces:
        for piece in pieces:
            for rest in (key[len(piece) :] if key.startswith(piece) else "", key[: -len(piece)] if key.endswith(piece) else ""):
                if len(rest) >= _MIN_LETTERS:
                    extra[rest] += counts[key]
    return pieces | {key for key, n in extra.items() if counts[key] + n >= min_repeats}


def _page_edge_pieces(
    lines: Sequence[SourceLine], *, min_repeats: int, is_protected: Callable[[str], bool]
) -> set[str]:
    """Folded texts recurring among the first or last non-blank lines of several pages."""
    by_page: dict[int, list[SourceLine]] = defaultdict(list)
    for line in lines:
        if line.page is not None and line.text.strip():
            by_page[line.page].append(line)
    pages_with: dict[str, set[int]] = defaultdict(set)
    for page, page_lines in by_page.items():
        for line in page_lines[:_EDGE_LINES] + page_lines[-_EDGE_LINES:]:
            if _eligible(line.text, is_protected):
                pages_with[letters_only(line.text)].add(page)
    return {key for key, pages in pages_with.items() if len(pages) >= min_repeats}


def _is_concatenation(key: str, pieces: set[str]) -> bool:
    """Whether `key` is two or more furniture pieces written on one line."""
    if not pieces:
        return False
    reachable = [False] * (len(key) + 1)
    reachable[0] = True
    used = [0] * (len(key) + 1)
    for start in range(len(key)):
        if not reachable[start]:
            continue
        for piece in pieces:
            end = start + len(piece)
            if key.startswith(piece, start) and not reachable[end]:
                reachable[end] = True
                used[end] = used[start] + 1
    return reachable[len(key)] and used[len(key)] >= 2


def _add_garbled_variants(
    lines: Sequence[SourceLine],
    reasons: dict[int, str],
    pieces: set[str],
    *,
    similarity: float,
    is_protected: Callable[[str], bool],
) -> None:
    """Lines next to furniture (blank lines between allowed) that are a noisy copy of a piece."""
    if not pieces:
        return
    changed = True
    while changed:
        changed = False
        for index, line in enumerate(lines):
            if line.line_no in reasons or not _eligible(line.text, is_protected):
                continue
            if not _next_to_furniture(lines, index, reasons):
                continue
            key = letters_only(line.text)
            if any(_similar(key, piece, similarity) for piece in pieces):
                reasons[line.line_no] = "footer"
                changed = True


def _similar(key: str, piece: str, threshold: float) -> bool:
    if piece in key and len(key) - len(piece) <= max(3, len(piece) // 10):
        return True
    return SequenceMatcher(None, key, piece).ratio() >= threshold


def _neighbours(lines: Sequence[SourceLine], index: int) -> tuple[SourceLine | None, SourceLine | None]:
    """The nearest non-blank lines before and after `index`."""
    before = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].text.strip()), None)
    after = next((lines[i] for i in range(index + 1, len(lines)) if lines[i].text.strip()), None)
    return before, after


def _next_to_furniture(lines: Sequence[SourceLine], index: int, reasons: dict[int, str]) -> bool:
    before, after = _neighbours(lines, index)
    return any(n is not None and n.line_no in reasons for n in (before, after))


def _add_page_numbers(lines: Sequence[SourceLine], reasons: dict[int, str]) -> None:
    """Lone page numbers: a number alone at a page edge, next to furniture, between blank lines,
    or at either end of the file. A number right under a line of text ("Jobs in 2020:" / "45") is text."""
    for index, line in enumerate(lines):
        if line.line_no in reasons or not is_page_number(line.text):
            continue
        before, after = _neighbours(lines, index)
        isolated = 0 < index < len(lines) - 1 and not lines[index - 1].text.strip() and not lines[index + 1].text.strip()
        at_edge = (
            isolated
            or before is None
            or after is None
            or before.line_no in reasons
            or after.line_no in reasons
            or (line.page is not None and (before.page != line.page or after.page != line.page))
        )
        if at_edge:
            reasons[line.line_no] = "page_number"


def _pages(lines: Sequence[SourceLine], reasons: dict[int, str]) -> dict[int, int | None]:
    """The reader's pages when the format has them; else page N = text after the (N-1)th footer block."""
    if any(line.page is not None for line in lines):
        return {line.line_no: line.page for line in lines}
    if not any(r == "footer" for r in reasons.values()):
        return {line.line_no: None for line in lines}
    pages: dict[int, int | None] = {}
    page = 1
    in_footer = False
    for line in lines:
        reason = reasons.get(line.line_no)
        if reason == "footer":
            in_footer = True
        elif line.text.strip() and reason != "page_number" and in_footer:
            page += 1
            in_footer = False
        pages[line.line_no] = page
    return pages
