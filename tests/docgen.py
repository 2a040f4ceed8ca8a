"""Build report documents for tests: PDF, DOCX, WebVTT and SRT from lines of text.

The readers must be tested on files made by the same kind of tools that make
real reports (a PDF library drawing text with an embedded Unicode font, a
Word package with real list paragraphs and a section footer), not on bytes
typed by hand.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import docx
from fpdf import FPDF

FONT_SIZE_PT = 7
LINE_HEIGHT_PT = 10
MARGIN_PT = 36
FOOTER_HEIGHT_PT = 2 * LINE_HEIGHT_PT + MARGIN_PT
# The PDF specification's largest page side (200 inches); fpdf2 accepts more,
# but viewers do not.
MAX_PAGE_SIDE_PT = 14_400
MIN_PAGE_WIDTH_PT = 595  # A4
LIST_MARKERS = ("- ", "• ")


def unicode_font() -> Path:
    """A TTF font with accents, dashes and bullets: fpdf2's core fonts are latin-1 only."""
    import matplotlib

    candidates = [
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf",
    ]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no DejaVuSans.ttf in {[str(c) for c in candidates]}")


class _ReportPdf(FPDF):
    """A PDF whose every page ends with a running footer and its page number, as reports do."""

    def __init__(self, footer_text: str, width_pt: float, height_pt: float) -> None:
        super().__init__(unit="pt", format=(width_pt, height_pt))
        self.footer_text = footer_text
        self.set_margins(MARGIN_PT, MARGIN_PT, MARGIN_PT)
        self.set_auto_page_break(False)
        self.add_font("DejaVu", fname=str(unicode_font()))
        self.set_font("DejaVu", size=FONT_SIZE_PT)

    def footer(self) -> None:
        self.set_y(-FOOTER_HEIGHT_PT)
        self.cell(0, LINE_HEIGHT_PT, self.footer_text, new_x="LMARGIN", new_y="NEXT")
        self.cell(0, LINE_HEIGHT_PT, f"Page {self.page_no()}", new_x="LMARGIN", new_y="NEXT")


def make_pdf(lines: list[str], path: Path, *, footer: str, lines_per_page: int = 25) -> Path:
    """Write `lines` as a PDF with a text layer, `lines_per_page` input lines a page.

    The page is made as wide as the longest line (small font), so each input
    line is drawn as one line and extracts as one line. Only a line wider
    than the largest page the PDF format allows is wrapped at word
    boundaries; its pieces then come out as consecutive lines of the page
    (the segmenter joins continuation lines). Blank input lines are vertical
    space: a text extractor does not give them back.
    """
    measure = _ReportPdf(footer, MIN_PAGE_WIDTH_PT, MIN_PAGE_WIDTH_PT)
    widest = max([measure.get_string_width(text) for text in [*lines, footer]], default=0.0)
    width = min(max(MIN_PAGE_WIDTH_PT, widest + 2 * MARGIN_PT + 2), MAX_PAGE_SIDE_PT)
    height = 2 * MARGIN_PT + lines_per_page * LINE_HEIGHT_PT + FOOTER_HEIGHT_PT
    pdf = _ReportPdf(footer, width, height)
    for index, text in enumerate(lines):
        if index % lines_per_page == 0:
            pdf.add_page()
        if pdf.get_string_width(text) <= pdf.epw:
            pdf.cell(0, LINE_HEIGHT_PT, text, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.multi_cell(0, LINE_HEIGHT_PT, text, new_x="LMARGIN", new_y="NEXT")
    if not lines:
        pdf.add_page()
    pdf.output(str(path))
    return path


def make_docx(lines: list[str], path: Path, *, footer: str) -> Path:
    """Write `lines` as a Word document, one paragraph a line, `footer` in the section footer.

    A line starting with "- " or "• " becomes a real list paragraph (style
    'List Bullet') without its marker, as Word stores bullets; the reader
    gives every list paragraph the "- " prefix, so both markers read back
    as "- ". Blank lines become empty paragraphs.
    """
    document = docx.Document()
    document.sections[0].footer.paragraphs[0].text = footer
    for text in lines:
        if text.startswith(LIST_MARKERS):
            document.add_paragraph(text[2:], style="List Bullet")
        else:
            document.add_paragraph(text)
    document.save(str(path))
    return path


def make_vtt(turns: list[tuple[str, str]], path: Path, *, cue_seconds: float = 4.0, width: int = 42) -> Path:
    """A WebVTT transcript, one cue a turn, speaker in a voice tag, text wrapped like captions."""
    blocks = ["WEBVTT", "NOTE made by tests/docgen.py"]
    for index, (speaker, text) in enumerate(turns):
        wrapped = "\n".join(textwrap.wrap(text, width)) or text
        blocks.append(f"{index + 1}\n{_timing(index, cue_seconds, '.')}\n<v {speaker}>{wrapped}</v>")
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


def make_srt(turns: list[tuple[str, str]], path: Path, *, cue_seconds: float = 4.0, width: int = 42) -> Path:
    """An SRT transcript, one cue a turn, "Speaker: text" wrapped like captions."""
    blocks = []
    for index, (speaker, text) in enumerate(turns):
        wrapped = "\n".join(textwrap.wrap(f"{speaker}: {text}", width))
        blocks.append(f"{index + 1}\n{_timing(index, cue_seconds, ',')}\n{wrapped}")
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


def _timing(index: int, cue_seconds: float, decimal_mark: str) -> str:
    return f"{_timestamp(index * cue_seconds, decimal_mark)} --> {_timestamp((index + 1) * cue_seconds, decimal_mark)}"


def _timestamp(seconds: float, decimal_mark: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal_mark}{millis:03d}"
