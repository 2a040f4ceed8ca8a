"""Report readers: any supported file to the numbered lines the segmenter reads.

Every reader returns `SourceLine`s (line number, text, page) and turns every
failure of the file or of the parsing library into an `InputError` with a
one-line problem, so a bad report never ends in a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.errors import InputError
from pipeline.segment.lines import SourceLine
from pipeline.segment.readers.pdf import read_pdf
from pipeline.segment.readers.text import decode_text, read_text, text_to_lines
from pipeline.segment.readers.transcript import read_transcript
from pipeline.segment.readers.word import read_docx

__all__ = ["SUPPORTED_SUFFIXES", "decode_text", "read_report", "text_to_lines"]

_READERS: dict[str, Callable[[Path, bytes], list[SourceLine]]] = {
    ".txt": read_text,
    ".md": read_text,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".vtt": read_transcript,
    ".srt": read_transcript,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_READERS)


def read_report(path: Path) -> list[SourceLine]:
    """The report's lines, read by the reader its suffix (any case) names."""
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        shown = f"'{path.suffix}'" if path.suffix else "(no suffix)"
        raise InputError(path, f"unsupported format {shown}; supported: {', '.join(SUPPORTED_SUFFIXES)}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if not data:
        raise InputError(path, "empty file")
    return reader(path, data)
