"""A report as lines with provenance: what every reader hands to the segmenter."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLine:
    """One line of a report as read.

    `line_no` is 1-based in the text as read (for PDF and DOCX: in the text the
    reader extracted, counted across pages); `page` is the 1-based page where the
    format has pages, else None. Transcript readers give each cue's `start`
    and `end` times.
    """

    line_no: int
    text: str
    page: int | None = None
    start: str | None = None  # a transcript cue's start time, "HH:MM:SS.mmm"
    end: str | None = None  # and its end time
