"""Word reports (.docx): the body's paragraphs, in reading order.

python-docx's `Paragraph.text` only sees runs and hyperlinks that are direct
children of the paragraph, so text in tracked insertions, smart tags, fields
or content controls would vanish silently; this reader walks the XML itself.
Section headers and footers live in other parts of the package and are never
read: they are page furniture, not what was said.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn
from lxml import etree

from pipeline.errors import InputError
from pipeline.segment.lines import SourceLine

if TYPE_CHECKING:
    from docx.document import Document
    from docx.styles.style import BaseStyle

LIST_PREFIX = "- "
# A paragraph that already starts with a bullet typed by hand keeps it as is.
_TYPED_BULLET_RE = re.compile(r"^\s*[-•–—*·▪●◦‣]\s")
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_P, _TBL, _TR, _TC, _SDT, _SDT_CONTENT = (qn(tag) for tag in ("w:p", "w:tbl", "w:tr", "w:tc", "w:sdt", "w:sdtContent"))
_T, _TAB, _BR, _CR = (qn(tag) for tag in ("w:t", "w:tab", "w:br", "w:cr"))
_NO_BREAK_HYPHEN, _TEXT_BOX, _PPR = qn("w:noBreakHyphen"), qn("w:txbxContent"), qn("w:pPr")
# Elements whose text is not part of the paragraph as read.
_SKIPPED = frozenset(
    {qn("w:pPr"), qn("w:rPr"), qn("w:delText"), qn("w:instrText"), qn("w:footnoteReference"), _MC_FALLBACK}
)
_MAX_PROBLEM_CHARS = 200


def read_docx(path: Path, data: bytes) -> list[SourceLine]:
    """One SourceLine per body paragraph (table cells included); list items get '- '.

    A paragraph with manual line breaks gives one SourceLine per visual line,
    since a SourceLine never holds a newline.
    """
    if not data.startswith(b"PK\x03\x04"):
        raise InputError(path, "not a readable DOCX: not a ZIP package (an old .doc? save it as .docx)")
    try:
        document = docx.Document(io.BytesIO(data))
        list_styles = _list_style_ids(document)
        texts = [
            unicodedata.normalize("NFC", text)
            for paragraph in _body_paragraphs(document.element.body)
            for text in _paragraph_lines(paragraph, list_styles)
        ]
    except Exception as exc:  # python-docx, zipfile and lxml raise many types on damaged files
        message = " ".join(str(exc).split())[:_MAX_PROBLEM_CHARS] or type(exc).__name__
        raise InputError(path, f"not a readable DOCX: {message}") from None
    if not any(text.strip() for text in texts):
        raise InputError(path, "empty document: no text in the body")
    return [SourceLine(line_no, text, None) for line_no, text in enumerate(texts, start=1)]


def _body_paragraphs(container: etree._Element) -> Iterator[etree._Element]:
    """Paragraphs of a block container (body, cell, content control, text box) in order.

    A text box anchored in a paragraph is read after that paragraph.
    """
    for child in container.iterchildren():
        if child.tag == _P:
            yield child
            for box in _text_boxes(child):
                yield from _body_paragraphs(box)
        elif child.tag == _TBL:
            for row in child.iterchildren(_TR):
                for cell in row.iterchildren(_TC):
                    yield from _body_paragraphs(cell)
        elif child.tag == _SDT:
            for content in child.iterchildren(_SDT_CONTENT):
                yield from _body_paragraphs(content)


def _text_boxes(paragraph: etree._Element) -> Iterator[etree._Element]:
    """Text boxes anchored in this paragraph itself (not in a box inside it), Word's copy only.

    Word stores each text box twice: the drawing (mc:Choice) and a VML
    fallback (mc:Fallback) with the same text; reading both would double it.
    """
    for box in paragraph.iter(_TEXT_BOX):
        ancestors = list(box.iterancestors())
        if any(ancestor.tag == _MC_FALLBACK for ancestor in ancestors):
            continue
        if next(ancestor for ancestor in ancestors if ancestor.tag == _P) is paragraph:
            yield box


def _paragraph_lines(paragraph: etree._Element, list_styles: frozenset[str]) -> list[str]:
    text = "".join(_run_texts(paragraph))
    lines = text.split("\n")
    if _is_list_item(paragraph, list_styles) and lines[0].strip() and not _TYPED_BULLET_RE.match(lines[0]):
        lines[0] = LIST_PREFIX + lines[0].lstrip()
    return lines


def _run_texts(element: etree._Element) -> Iterator[str]:
    """The paragraph's characters in document order; text boxes are read separately."""
    for child in element.iterchildren():
        tag = child.tag
        if tag in _SKIPPED or tag == _TEXT_BOX or not isinstance(tag, str):
            continue
        if tag == _T:
            yield child.text or ""
        elif tag == _TAB:
            yield "\t"
        elif tag in (_BR, _CR):
            yield "\n"
        elif tag == _NO_BREAK_HYPHEN:
            yield "-"
        else:
            yield from _run_texts(child)


def _is_list_item(paragraph: etree._Element, list_styles: frozenset[str]) -> bool:
    properties = paragraph.find(_PPR)
    if properties is None:
        return False
    numbering = properties.find(qn("w:numPr"))
    if numbering is not None:
        return _numbering_is_on(numbering)
    style = properties.find(qn("w:pStyle"))
    return style is not None and style.get(qn("w:val")) in list_styles


def _numbering_is_on(numbering: etree._Element) -> bool:
    """numId 0 is how Word switches the numbering of a list style off for one paragraph."""
    num_id = numbering.find(qn("w:numId"))
    return num_id is None or num_id.get(qn("w:val")) != "0"


def _list_style_ids(document: Document) -> frozenset[str]:
    """Paragraph styles that make a bullet: 'List ...' by name or numbered by definition.

    'List Continue' styles are indented text under a list item, without a bullet.
    """
    ids = set()
    for style in document.styles:
        if style.type != WD_STYLE_TYPE.PARAGRAPH:
            continue
        name = style.name or ""
        if ("List" in name and "List Continue" not in name) or _style_numbering_on(style):
            ids.add(style.style_id)
    return frozenset(ids)


def _style_numbering_on(style: BaseStyle | None) -> bool:
    seen = set()
    while style is not None and style.style_id not in seen:
        seen.add(style.style_id)
        properties = style.element.find(_PPR)
        numbering = properties.find(qn("w:numPr")) if properties is not None else None
        if numbering is not None:
            return _numbering_is_on(numbering)
        style = style.base_style
    return False
