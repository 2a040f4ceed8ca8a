"""Report readers: encodings, pages, every format, every error path, round trips."""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from fpdf import FPDF
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.errors import InputError
from pipeline.segment.lines import SourceLine
from pipeline.segment.readers import SUPPORTED_SUFFIXES, decode_text, read_report
from docgen import make_docx, make_pdf, make_srt, make_vtt

NAME = "Soraya Pérez"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def texts(lines: list[SourceLine]) -> list[str]:
    return [line.text for line in lines]


def non_blank(lines: list[str]) -> list[str]:
    return [" ".join(text.split()) for text in lines if text.strip()]


def problem(path: Path) -> str:
    with pytest.raises(InputError) as caught:
        read_report(path)
    assert caught.value.path == str(path)
    assert "\n" not in str(caught.value)
    return caught.value.problem


# --- decoding -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (f"{NAME}\n".encode(), f"{NAME}\n"),
        (f"{NAME}\n".encode("utf-8-sig"), f"{NAME}\n"),
        (f"{NAME} – 5 €\n".encode("cp1252"), f"{NAME} – 5 €\n"),
        (f"{NAME}, Québec\n".encode("latin-1"), f"{NAME}, Québec\n"),
        (f"{NAME}\n".encode("utf-16"), f"{NAME}\n"),
    ],
    ids=["utf-8", "utf-8-bom", "cp1252", "latin-1", "utf-16-bom"],
)
def test_decode_text_reads_each_encoding(data: bytes, expected: str) -> None:
    assert decode_text(data, "r.txt") == expected


def test_decode_text_falls_back_to_latin1_for_bytes_cp1252_lacks() -> None:
    # 0x81 is undefined in cp1252; latin-1 still decodes the rest correctly.
    data = "Soraya Pérez, Québec: a stray byte ".encode("latin-1") + b"\x81"
    assert decode_text(data, "r.txt") == "Soraya Pérez, Québec: a stray byte \x81"


def test_decode_text_prefers_utf8_over_cp1252() -> None:
    # "é" in UTF-8 is two bytes that cp1252 would read as "Ã©".
    assert decode_text("é".encode(), "r.txt") == "é"


def test_decode_text_normalises_to_nfc() -> None:
    decomposed = "Pe\u0301rez"
    assert decode_text(decomposed.encode(), "r.txt") == "Pérez"


def test_decode_text_normalises_line_ends() -> None:
    assert decode_text(b"a\r\nb\rc\n", "r.txt") == "a\nb\nc\n"


@given(st.lists(st.text(alphabet=st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"))), max_size=8))
@settings(max_examples=60, deadline=None)
def test_text_lines_round_trip_in_utf8(tmp_path_factory: pytest.TempPathFactory, lines: list[str]) -> None:
    if not any(line.strip() for line in lines):
        return
    path = tmp_path_factory.mktemp("hyp") / "r.txt"
    path.write_bytes("".join(f"{line}\r\n" for line in lines).encode())
    read = read_report(path)
    assert texts(read) == [unicodedata.normalize("NFC", line) for line in lines]
    assert [line.line_no for line in read] == list(range(1, len(lines) + 1))


# --- text reports ---------------------------------------------------------------


def test_text_report_keeps_blank_lines_with_file_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "r.txt", b"Name of the moderator: Ann\r\n\r\n- First point.\r\n")
    assert read_report(path) == [
        SourceLine(1, "Name of the moderator: Ann", None),
        SourceLine(2, "", None),
        SourceLine(3, "- First point.", None),
    ]


def test_suffix_is_case_insensitive_and_markdown_reads_as_text(tmp_path: Path) -> None:
    assert texts(read_report(write(tmp_path, "R.TXT", b"a\nb"))) == ["a", "b"]
    assert texts(read_report(write(tmp_path, "r.Md", b"# Title\n- point"))) == ["# Title", "- point"]


def test_form_feeds_give_page_numbers(tmp_path: Path) -> None:
    # pdftotext style: each page after the first starts with \f, the text ends with one.
    path = write(tmp_path, "r.txt", b"one\n\nend of one\n\ftwo\nmore two\f\nthree\n\f")
    assert read_report(path) == [
        SourceLine(1, "one", 1),
        SourceLine(2, "", 1),
        SourceLine(3, "end of one", 1),
        SourceLine(4, "two", 2),
        SourceLine(5, "more two", 2),
        SourceLine(6, "three", 3),
        SourceLine(7, "", 3),
    ]


def test_trailing_form_feed_opens_no_page(tmp_path: Path) -> None:
    lines = read_report(write(tmp_path, "r.txt", b"one\n\f\n"))
    assert [(line.text, line.page) for line in lines] == [("one", 1), ("", 1)]


# --- error paths ------------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
def test_empty_file_of_any_format(tmp_path: Path, suffix: str) -> None:
    assert problem(write(tmp_path, f"r{suffix}", b"")) == "empty file"


def test_whitespace_only_text_is_empty(tmp_path: Path) -> None:
    assert problem(write(tmp_path, "r.txt", b"  \n\n\t\n")).startswith("empty file")


def test_nul_bytes_mean_binary(tmp_path: Path) -> None:
    assert problem(write(tmp_path, "r.txt", b"abc\x00\x01\x02def")).startswith("binary file, not a text report")


def test_mostly_control_characters_mean_binary(tmp_path: Path) -> None:
    data = bytes(range(1, 32)) * 10 + b"some text"
    assert problem(write(tmp_path, "r.txt", data)).startswith("binary file, not a text report")


def test_pdf_renamed_to_txt_is_named(tmp_path: Path) -> None:
    pdf = make_pdf(["Hello"], tmp_path / "r.pdf", footer="f")
    message = problem(write(tmp_path, "r.txt", pdf.read_bytes()))
    assert message.startswith("binary file, not a text report") and ".pdf" in message


def test_unsupported_suffix_lists_the_supported_ones(tmp_path: Path) -> None:
    message = problem(write(tmp_path, "r.xyz", b"text"))
    assert message == "unsupported format '.xyz'; supported: .txt, .md, .pdf, .docx, .vtt, .srt"


def test_missing_file(tmp_path: Path) -> None:
    assert problem(tmp_path / "absent.txt").startswith("cannot read the file")


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    pdf.output(str(tmp_path / "scan.pdf"))
    assert problem(tmp_path / "scan.pdf") == "PDF has no text layer (scanned image?); run OCR first"


@pytest.mark.parametrize(
    "damage",
    [lambda data: b"%PDF-1.4\nnot really a pdf\n", lambda data: data[: len(data) // 2], lambda data: b"plain text"],
    ids=["garbage-after-header", "truncated", "no-header"],
)
def test_corrupt_pdf(tmp_path: Path, damage: Callable[[bytes], bytes]) -> None:
    good = make_pdf(["Hello", "World"], tmp_path / "good.pdf", footer="f").read_bytes()
    assert problem(write(tmp_path, "bad.pdf", damage(good))).startswith("not a readable PDF: ")


def test_corrupt_docx(tmp_path: Path) -> None:
    good = make_docx(["Hello"], tmp_path / "good.docx", footer="f").read_bytes()
    assert problem(write(tmp_path, "cut.docx", good[: len(good) // 2])).startswith("not a readable DOCX: ")
    assert problem(write(tmp_path, "text.docx", b"plain text")).startswith("not a readable DOCX: ")
    with zipfile.ZipFile(tmp_path / "zip.docx", "w") as archive:
        archive.writestr("notes.txt", "not a Word document")
    assert problem(tmp_path / "zip.docx").startswith("not a readable DOCX: ")


def test_docx_with_empty_body(tmp_path: Path) -> None:
    assert problem(make_docx(["", ""], tmp_path / "r.docx", footer="only a footer")).startswith("empty document")


@pytest.mark.parametrize("suffix", [".vtt", ".srt"])
def test_transcript_without_cues(tmp_path: Path, suffix: str) -> None:
    data = b"WEBVTT\n\nNOTE nothing here\n" if suffix == ".vtt" else b"Just some text\nwith no timings\n"
    assert problem(write(tmp_path, f"r{suffix}", data)).startswith("no cues found")


# --- transcripts ------------------------------------------------------------------

VTT = """WEBVTT - Zoom export
Kind: captions

NOTE
This comment spans
two lines.

STYLE
::cue { color: yellow }

intro
00:00:01.000 --> 00:00:04.000 align:start position:10%
<v Soraya Pérez>Good morning, <i>everyone</i>;
welcome &amp; thanks.</v>

00:04.000 --> 00:06.000
<v.loud Humberto Cerdio>Thank you.
<v Ann>Hello!</v>

3
00:00:06.000 --> 00:00:09.000
<c.yellow>and this</c> continues <00:00:07.000>the turn

4
00:00:09.000 --> 00:00:10.000
<v Ann></v>
"""


def test_vtt_cues_voices_and_tags(tmp_path: Path) -> None:
    lines = read_report(write(tmp_path, "r.vtt", VTT.encode()))
    # each cue's times, "HH:MM:SS.mmm" whatever the file writes ("00:04.000")
    assert [(line.start, line.end) for line in lines] == [
        ("00:00:01.000", "00:00:04.000"),
        ("00:00:04.000", "00:00:06.000"),
        ("00:00:04.000", "00:00:06.000"),
        ("00:00:06.000", "00:00:09.000"),
    ]
    assert [SourceLine(line.line_no, line.text, line.page) for line in lines] == [
        SourceLine(13, "Soraya Pérez: Good morning, everyone; welcome & thanks.", None),
        SourceLine(17, "Humberto Cerdio: Thank you.", None),
        SourceLine(18, "Ann: Hello!", None),
        SourceLine(22, "and this continues the turn", None),
    ]


SRT = """1
00:00:01,000 --> 00:00:04,000
Soraya Pérez: the first cue
spans two lines.

2
00:00:04,000 --> 00:00:06,000
{\\an8}<i>second cue</i>
3
00:00:06,000 --> 00:00:08,000
<font color="#ffffff">third cue after a missing blank line</font>
"""


def test_srt_cues_numbers_and_tags(tmp_path: Path) -> None:
    lines = read_report(write(tmp_path, "r.srt", SRT.encode("utf-8-sig")))
    assert [(line.start, line.end) for line in lines] == [
        ("00:00:01.000", "00:00:04.000"),
        ("00:00:04.000", "00:00:06.000"),
        ("00:00:06.000", "00:00:08.000"),
    ]
    assert [SourceLine(line.line_no, line.text, line.page) for line in lines] == [
        SourceLine(3, "Soraya Pérez: the first cue spans two lines.", None),
        SourceLine(8, "second cue", None),
        SourceLine(11, "third cue after a missing blank line", None),
    ]


def test_transcript_text_outside_cues_is_kept(tmp_path: Path) -> None:
    data = b"1\n00:00:01,000 --> 00:00:02,000\nfirst part\n\nsecond part after a stray blank line\n"
    assert texts(read_report(write(tmp_path, "r.srt", data))) == ["first part", "second part after a stray blank line"]


TURNS = [
    (NAME, "The ways to reactivate the economy now make more sense than ever, we must look at the Social Economy."),
    ("Juan Pablo Ortiz", "Proposes to create an agenda for discussion on the Social Economy."),
    (NAME, "Cooperativism is the perfect vehicle – profits equitably distributed."),
]


@pytest.mark.parametrize("make", [make_vtt, make_srt], ids=["vtt", "srt"])
def test_generated_transcripts_round_trip(tmp_path: Path, make: Callable[..., Path]) -> None:
    path = make(TURNS, tmp_path / f"t.{make.__name__[-3:]}")
    assert texts(read_report(path)) == [f"{speaker}: {text}" for speaker, text in TURNS]


# --- docx -------------------------------------------------------------------------


def _numbered(paragraph: docx.text.paragraph.Paragraph, num_id: str) -> None:
    """Give a paragraph direct numbering (numPr), as Word does for a list in a Normal paragraph."""
    num_pr = OxmlElement("w:numPr")
    for tag, value in (("w:ilvl", "0"), ("w:numId", num_id)):
        element = OxmlElement(tag)
        element.set(qn("w:val"), value)
        num_pr.append(element)
    paragraph._p.get_or_add_pPr().append(num_pr)


def test_docx_lists_tables_breaks_and_no_header(tmp_path: Path) -> None:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Running header"
    document.sections[0].footer.paragraphs[0].text = "Running footer"
    document.add_paragraph("Maude Brossard:")
    document.add_paragraph("Strengthening our capacities.", style="List Bullet")
    _numbered(document.add_paragraph("Numbered without a list style."), "1")
    _numbered(document.add_paragraph("Numbering switched off.", style="List Bullet"), "0")
    document.add_paragraph("• Typed bullet kept.", style="List Paragraph")
    document.add_paragraph("Continued text.", style="List Continue")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Cell one"
    table.cell(0, 1).text = "Cell two"
    broken = document.add_paragraph("First visual line")
    broken.add_run().add_break()
    broken.add_run("second visual line")
    document.add_paragraph("")
    document.add_paragraph("Last.")
    document.save(str(tmp_path / "r.docx"))

    assert read_report(tmp_path / "r.docx") == [
        SourceLine(line_no, text, None)
        for line_no, text in enumerate(
            [
                "Maude Brossard:",
                "- Strengthening our capacities.",
                "- Numbered without a list style.",
                "Numbering switched off.",
                "• Typed bullet kept.",
                "Continued text.",
                "Cell one",
                "Cell two",
                "First visual line",
                "second visual line",
                "",
                "Last.",
            ],
            start=1,
        )
    ]


def test_docx_text_in_tracked_insertions_and_hyperlinks_is_read(tmp_path: Path) -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("Seen ")
    insertion = OxmlElement("w:ins")
    insertion.set(qn("w:id"), "1")
    insertion.set(qn("w:author"), "analyst")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "inserted"
    run.append(text)
    insertion.append(run)
    paragraph._p.append(insertion)
    document.save(str(tmp_path / "r.docx"))
    assert texts(read_report(tmp_path / "r.docx")) == ["Seen inserted"]


# --- round trips on the real sample report --------------------------------------

FOOTER = "Session report series – test footer"


def test_pdf_round_trip_of_the_sample_report(tmp_path: Path, sample_report: Path) -> None:
    source = sample_report.read_text(encoding="utf-8").split("\n")
    lines_per_page = 25
    path = make_pdf(source, tmp_path / "report.pdf", footer=FOOTER, lines_per_page=lines_per_page)
    read = read_report(path)

    page_count = -(-len(source) // lines_per_page)
    assert {line.page for line in read} == set(range(1, page_count + 1))
    assert [line.line_no for line in read] == list(range(1, len(read) + 1))
    for page in range(1, page_count + 1):
        on_page = [line.text for line in read if line.page == page]
        assert on_page[-2:] == [FOOTER, f"Page {page}"]
    body = [line.text for line in read if line.text != FOOTER and not line.text.startswith("Page ")]
    assert non_blank(body) == non_blank(source)


def test_docx_round_trip_of_the_sample_report(tmp_path: Path, sample_report: Path) -> None:
    source = sample_report.read_text(encoding="utf-8").split("\n")
    read = read_report(make_docx(source, tmp_path / "report.docx", footer=FOOTER))
    # make_docx stores "• " and "- " lines as list paragraphs, which read back as "- ".
    expected = ["- " + text[2:] if text.startswith("• ") else text for text in source]
    assert texts(read) == expected
    assert FOOTER not in texts(read)


TEXT_BOX_RUN = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
     xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
     xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
     xmlns:v="urn:schemas-microsoft-com:vml">
  <mc:AlternateContent>
    <mc:Choice Requires="wps"><w:drawing><wps:wsp><wps:txbx><w:txbxContent>
      <w:p><w:r><w:t>Text in a box.</w:t></w:r></w:p>
    </w:txbxContent></wps:txbx></wps:wsp></w:drawing></mc:Choice>
    <mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent>
      <w:p><w:r><w:t>Text in a box.</w:t></w:r></w:p>
    </w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>
  </mc:AlternateContent>
</w:r>"""


def test_docx_text_box_is_read_once_after_its_paragraph(tmp_path: Path) -> None:
    document = docx.Document()
    anchor = document.add_paragraph("Anchor paragraph.")
    anchor._p.append(parse_xml(TEXT_BOX_RUN))
    document.add_paragraph("Next paragraph.")
    document.save(str(tmp_path / "r.docx"))
    assert texts(read_report(tmp_path / "r.docx")) == ["Anchor paragraph.", "Text in a box.", "Next paragraph."]


def test_the_control_character_class_is_unicodes_cc_category_less_whitespace():
    import sys

    from pipeline.segment.readers.text import _CONTROL, _WHITESPACE_CONTROLS

    cc = {chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cc"}
    matched = {chr(c) for c in range(sys.maxunicode + 1) if _CONTROL.match(chr(c))}
    assert matched == cc - _WHITESPACE_CONTROLS
