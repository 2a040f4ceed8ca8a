"""Page furniture: recurring footers, their garbled and one-line variants, page numbers, pages."""

from __future__ import annotations

from pipeline.segment.furniture import find_furniture, is_page_number
from pipeline.segment.lines import SourceLine


def _lines(text: str) -> list[SourceLine]:
    return [SourceLine(i + 1, line) for i, line in enumerate(text.split("\n"))]


def _labels(text: str) -> bool:
    """Speaker labels, as the segmenter protects them: capitalised words and a colon."""
    return text.endswith(":") and all(word[:1].isupper() for word in text.split())


def _find(text: str, **kwargs):
    options = {"min_repeats": 2, "similarity": 0.8, "is_protected": _labels, **kwargs}
    return find_furniture(_lines(text), **options)


REPORT = """Ana Ruiz:

- First point that goes on and on and is cut by the page

Sponsored by: The Friendly Foundation of Examples

continues here after the break.

Luis Pérez:

- A point.

Sponsored by:

The Friendly Foundation of Examples

- Another point.

Ana Ruiz:

Sponsored by:

X The Friendly Foundation of Examples

- Final point.

3"""


def test_recurring_footer_pieces_one_line_and_garbled_variants() -> None:
    furniture = _find(REPORT)
    footer_lines = {n for n, r in furniture.reasons.items() if r == "footer"}
    assert footer_lines == {5, 13, 15, 21, 23}
    assert furniture.reasons[27] == "page_number"
    # a speaker label that recurs is not furniture; neither are bullets or lowercase tails
    assert 1 not in furniture.reasons and 19 not in furniture.reasons
    assert 7 not in furniture.reasons


def test_pages_inferred_from_footers_when_the_format_has_none() -> None:
    furniture = _find(REPORT)
    assert furniture.pages[3] == 1
    assert furniture.pages[5] == 1  # the footer closes its page
    assert furniture.pages[7] == 2
    assert furniture.pages[17] == 3
    assert furniture.pages[25] == 4 and furniture.pages[27] == 4


def test_no_footer_means_no_pages() -> None:
    furniture = _find("Ana:\n- one\n- two")
    assert furniture.reasons == {}
    assert set(furniture.pages.values()) == {None}


def test_min_repeats_is_a_parameter() -> None:
    furniture = _find(REPORT, min_repeats=4)
    assert not any(r == "footer" for r in furniture.reasons.values())


def test_reader_pages_are_kept_and_page_edges_recur() -> None:
    lines = [
        SourceLine(1, "Ana:", 1),
        SourceLine(2, "- one", 1),
        SourceLine(3, "Quarterly bulletin of the network", 1),
        SourceLine(4, "- two", 2),
        SourceLine(5, "Quarterly bulletin of the network", 2),
        SourceLine(6, "12", 2),
    ]
    furniture = find_furniture(lines, min_repeats=2, similarity=0.8)
    assert furniture.reasons == {3: "footer", 5: "footer", 6: "page_number"}
    assert furniture.pages == {1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 2}


def test_a_number_inside_the_text_is_not_a_page_number() -> None:
    furniture = _find("Ana:\n- Jobs created in 2020:\n45\n- more")
    assert furniture.reasons == {}


def test_page_number_forms() -> None:
    assert all(is_page_number(t) for t in ["7", "Page 3", "- 4 -", "p. 12", "3 / 10", "Página 2 de 9"])
    assert not any(is_page_number(t) for t in ["2020 report", "3,900", "Session 3"])
