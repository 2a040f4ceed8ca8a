"""Plain-text reports (.txt, .md): bytes of unknown encoding to numbered lines.

Reports reach analysts as exports from Word, PDF-to-text tools and e-mail, so
their encoding is rarely declared. Decoding tries the encodings such files
actually come in, in an order where a wrong guess is impossible or harmless:
a byte-order mark is proof; strict UTF-8 almost never accepts non-UTF-8 text;
cp1252 (Windows) is a superset of latin-1's printable range; latin-1 decodes
anything and is the last resort.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from pathlib import Path

from pipeline.errors import InputError
from pipeline.segment.lines import SourceLine

logger = logging.getLogger(__name__)

FORM_FEED = "\f"
BINARY_PROBLEM = "binary file, not a text report"

# Longest BOMs first: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Files people rename to .txt: say what they are instead of only "binary".
_MAGIC_HINTS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "it looks like a PDF; give it the .pdf suffix"),
    (b"PK\x03\x04", "it looks like a ZIP archive (a .docx?); give it its own suffix"),
    (b"\xd0\xcf\x11\xe0", "it looks like an old Word .doc; save it as .docx"),
)
_WHITESPACE_CONTROLS = frozenset("\t\n\r\f\v")
# Unicode's control characters (category Cc: U+0000-001F, U+007F-009F) other than those whitespace
_CONTROL = re.compile("[" + "".join(re.escape(chr(c)) for c in (*range(0x20), *range(0x7F, 0xA0))
                             if chr(c) not in _WHITESPACE_CONTROLS) + "]")
# A text report has next to no control characters; random bytes decoded as
# latin-1 have about one in four. The threshold sits far from both.
MAX_CONTROL_SHARE = 0.05


def decode_text(data: bytes, path: Path | str) -> str:
    """Decode a report's bytes into NFC text with `\\n` line ends.

    Form feeds are kept: they are page breaks, which `text_to_lines` turns into
    page numbers. Raises InputError for an empty or binary file.
    """
    if not data:
        raise InputError(path, "empty file")
    text, encoding = _decode(data, path)
    if encoding != "utf-8":
        logger.info("%s: decoded as %s", path, encoding)
    if _looks_binary(text):
        raise InputError(path, f"{BINARY_PROBLEM} (mostly control characters)")
    text = unicodedata.normalize("NFC", text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, path: Path | str) -> tuple[str, str]:
    """BOM -> strict UTF-8 -> strict cp1252 -> latin-1; NUL bytes mean binary."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise InputError(path, f"{BINARY_PROBLEM} (byte-order mark says {encoding}, but {exc.reason})") from None
    for magic, hint in _MAGIC_HINTS:
        if data.startswith(magic):
            raise InputError(path, f"{BINARY_PROBLEM} ({hint})")
    if b"\x00" in data:
        raise InputError(path, f"{BINARY_PROBLEM} (it holds NUL bytes)")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _looks_binary(text: str) -> bool:
    controls = len(_CONTROL.findall(text))
    return controls > MAX_CONTROL_SHARE * len(text)


def text_to_lines(text: str) -> list[SourceLine]:
    """One SourceLine per line of `text`, blank lines included, 1-based line numbers.

    Without form feeds, `page` is None. With them, a line belongs to the page
    where its first visible character sits (a blank line: where it ends), so
    "last line\\f" stays on its page and "\\fFirst line" opens the next one.
    Form feeds after the last visible text (pdftotext ends every page with
    one) open no page. Form feeds are removed from the line text.
    """
    raw_lines = text.split("\n")
    if text.endswith("\n"):
        raw_lines.pop()  # the newline ends the last line; it does not start another
    if FORM_FEED not in text:
        return [SourceLine(line_no, raw, None) for line_no, raw in enumerate(raw_lines, start=1)]
    pages: list[int] = []
    page = 1
    last_text_page = 1
    for raw in raw_lines:
        visible = raw.replace(FORM_FEED, "").strip()
        if visible:
            first = len(raw) - len(raw.lstrip(FORM_FEED + " \t"))
            line_page = page + raw[:first].count(FORM_FEED)
            last_text_page = line_page
        else:
            line_page = page + raw.count(FORM_FEED)
        page += raw.count(FORM_FEED)
        pages.append(line_page)
    return [
        SourceLine(line_no, raw.replace(FORM_FEED, ""), min(line_page, last_text_page))
        for line_no, (raw, line_page) in enumerate(zip(raw_lines, pages, strict=True), start=1)
    ]


def read_text(path: Path, data: bytes) -> list[SourceLine]:
    """A .txt or .md report: every line as it is in the file."""
    lines = text_to_lines(decode_text(data, path))
    if not any(line.text.strip() for line in lines):
        raise InputError(path, "empty file (only whitespace)")
    return lines
