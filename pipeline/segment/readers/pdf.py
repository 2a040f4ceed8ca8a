"""PDF reports: the text layer, page by page, as pypdf extracts it.

Lines are kept as extracted, page furniture included: recognising a footer
needs to see it recur on every page, which is the segmenter's job.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from pathlib import Path

import pypdf
import pypdf.errors

from pipeline.errors import InputError
from pipeline.segment.lines import SourceLine

logger = logging.getLogger(__name__)

NO_TEXT_LAYER = "PDF has no text layer (scanned image?); run OCR first"
# Typeset PDFs draw "fi", "fl", ... as one glyph; pypdf hands back U+FB01 etc.,
# which NFC keeps and which would split words for the embedder and the codebook.
_LIGATURES_RE = re.compile("[\ufb00-\ufb06]")
_MAX_PROBLEM_CHARS = 200
_SPACE_RUN_RE = re.compile(r"[ \t]{2,}")


def read_pdf(path: Path, data: bytes) -> list[SourceLine]:
    """One SourceLine per extracted line, numbered across the document, 1-based pages."""
    if b"%PDF-" not in data[:1024]:
        raise InputError(path, "not a readable PDF: no %PDF header")
    page_texts = _extract_pages(path, data)
    if not page_texts:
        raise InputError(path, "not a readable PDF: it has no pages")
    if not any(text.strip() for text in page_texts):
        raise InputError(path, NO_TEXT_LAYER)
    lines: list[SourceLine] = []
    for page_no, text in enumerate(page_texts, start=1):
        if not text.strip():
            logger.warning("%s: page %d has no text layer (scanned image?); its content is missing", path, page_no)
            continue
        for raw in _split_lines(text):
            lines.append(SourceLine(len(lines) + 1, raw, page_no))
    return lines


def _extract_pages(path: Path, data: bytes) -> list[str]:
    """The text of every page; any pypdf failure becomes a one-line InputError."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            _decrypt_without_password(path, reader)
        return [_page_text(page) for page in reader.pages]
    except InputError:
        raise
    except pypdf.errors.DependencyError as exc:
        raise InputError(path, f"PDF is encrypted and cannot be decrypted here: {_one_line(exc)}") from None
    except Exception as exc:  # pypdf raises many types on damaged files (ValueError, KeyError, zlib.error...)
        raise InputError(path, f"not a readable PDF: {_one_line(exc)}") from None


def _page_text(page: pypdf.PageObject) -> str:
    """The page's text in pypdf's layout mode: a vertical gap between lines comes out as blank
    lines, so a paragraph break survives; positions become runs of spaces, which are collapsed.
    Falls back to the plain extraction when layout mode fails on the page."""
    try:
        text = page.extract_text(extraction_mode="layout") or ""
    except Exception:  # layout mode is stricter about odd fonts; the plain text is still the page's
        logger.debug("layout extraction failed; plain extraction used", exc_info=True)
        return page.extract_text() or ""
    lines = [_SPACE_RUN_RE.sub(" ", line).strip() for line in text.split("\n")]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)  # runs of blank lines become one
    return "\n".join(kept).strip("\n")


def _decrypt_without_password(path: Path, reader: pypdf.PdfReader) -> None:
    """Many PDFs are encrypted with an empty user password (copy/print restrictions only)."""
    if reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
        raise InputError(path, "PDF is protected by a password; save an unprotected copy first")


def _split_lines(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _LIGATURES_RE.sub(lambda match: unicodedata.normalize("NFKC", match.group()), text)
    raw_lines = text.split("\n")
    if text.endswith("\n"):
        raw_lines.pop()
    return raw_lines


def _one_line(exc: BaseException) -> str:
    message = " ".join(str(exc).split()) or type(exc).__name__
    if len(message) > _MAX_PROBLEM_CHARS:
        message = message[: _MAX_PROBLEM_CHARS - 3] + "..."
    return message
