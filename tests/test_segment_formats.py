"""One segmenter for every format: the sample as PDF (running footer on every page) and DOCX,
and a meeting transcript as VTT/SRT, segment to the statements of the text (slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.segment.readers import read_report
from pipeline.segment.segmenter import SegmentedReport, SegmentParams, segment_report
from docgen import make_docx, make_pdf, make_srt, make_vtt

pytestmark = pytest.mark.slow

FOOTER = "Session report, social economy forum - all rights reserved"
COLUMNS = ["section", "speaker", "role", "speaker_label", "text"]


def _segment(path: Path, nlp) -> SegmentedReport:
    return segment_report("r", read_report(path), nlp=nlp, params=SegmentParams())


@pytest.fixture(scope="module")
def from_text(sample_report: Path, nlp) -> SegmentedReport:
    return _segment(sample_report, nlp)


@pytest.fixture(scope="module")
def sample_lines(sample_report: Path) -> list[str]:
    return sample_report.read_text(encoding="utf-8").split("\n")


@pytest.mark.parametrize("maker", [make_pdf, make_docx], ids=["pdf", "docx"])
def test_pdf_and_docx_give_the_statements_of_the_text(maker, sample_lines, from_text, nlp, tmp_path: Path) -> None:
    path = maker(sample_lines, tmp_path / f"report.{maker.__name__[5:]}", footer=FOOTER)
    result = _segment(path, nlp)
    assert result.statements[COLUMNS].values.tolist() == from_text.statements[COLUMNS].values.tolist()
    assert result.session.drop(columns="report_id").iloc[0].to_dict() == from_text.session.drop(columns="report_id").iloc[0].to_dict()
    assert result.speakers.values.tolist() == from_text.speakers.values.tolist()
    assert not any("all rights reserved" in t for t in result.statements["text"])


def test_pdf_pages_come_from_the_reader(sample_lines, nlp, tmp_path: Path) -> None:
    result = _segment(make_pdf(sample_lines, tmp_path / "report.pdf", footer=FOOTER, lines_per_page=25), nlp)
    dropped = result.dropped
    assert (dropped["reason"] == "footer").sum() >= 10 + 10  # its own footer on every page, plus the report's
    numbers = dropped[dropped["reason"] == "page_number"]
    # the PDF's "Page N" on each of its 11 pages, plus the report's own last page number "7"
    assert sorted(numbers["text"]) == sorted([f"Page {n}" for n in range(1, 12)] + ["7"])
    assert all(text == f"Page {page}" or text == "7" for text, page in zip(numbers["text"], numbers["page"]))
    assert result.statements["page"].max() == 11


TURNS = [
    ("Ana Ruiz", "Welcome everyone to this session on housing cooperatives and their financing."),
    ("Kwame Mensah", "Thank you. Cooperatives in Ghana have grown fast since the new law was passed."),
    ("Ana Ruiz", "What did the law change for savings and credit cooperatives?"),
    ("Kwame Mensah", "It allowed them to lend to members without a bank licence."),
]


@pytest.mark.parametrize("maker", [make_vtt, make_srt], ids=["vtt", "srt"])
def test_transcripts_give_one_statement_per_turn(maker, nlp, tmp_path: Path) -> None:
    path = maker(TURNS, tmp_path / f"meeting.{maker.__name__[5:]}")
    statements = _segment(path, nlp).statements
    assert list(zip(statements["speaker"], statements["text"])) == TURNS
    assert set(statements["role"]) == {"other"} and set(statements["section"]) == {"other"}
