"""Meeting transcripts (.vtt, .srt): one line per cue, speaker names kept.

Zoom, Teams and YouTube export a session as timed cues. Timings and cue
numbers say nothing about who said what and are dropped; WebVTT voice tags
(`<v Soraya Pérez>...</v>`) become the "Name: text" form a written report
uses, so the segmenter attributes both the same way.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import InputError
from pipeline.segment.lines import SourceLine
from pipeline.segment.readers.text import decode_text, text_to_lines

logger = logging.getLogger(__name__)

_TIMESTAMP = r"(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}"
TIMING_RE = re.compile(rf"^\s*{_TIMESTAMP}\s*-->\s*{_TIMESTAMP}(?:\s.*)?$")
_VOICE_RE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>")
_VOICE_START_RE = re.compile(r"^\s*<v[\s.]")
_TAG_RE = re.compile(r"</?[A-Za-z][^>]*>|<\d[\d:.]*>")  # markup and karaoke timestamps
_ASS_OVERRIDE_RE = re.compile(r"\{\\[^}]*\}")  # SRT files converted from ASS: {\an8}
_CUE_NUMBER_RE = re.compile(r"^\s*\d+\s*$")
# WebVTT blocks that hold no cue: the file header, comments, styles, regions.
_NON_CUE_BLOCK_RE = re.compile(r"^(?:WEBVTT|NOTE|STYLE|REGION)(?:\s|$)")
NO_CUES = "no cues found: a transcript needs 'start --> end' timing lines"


@dataclass(frozen=True)
class _Cue:
    """The text lines of one cue, as read."""

    lines: tuple[SourceLine, ...]
    start: str | None = None
    end: str | None = None


def read_transcript(path: Path, data: bytes) -> list[SourceLine]:
    """One SourceLine per cue (per voice when a cue holds several), numbered at its first text line."""
    cues, stray = _parse_cues(text_to_lines(decode_text(data, path)))
    if not cues:
        raise InputError(path, NO_CUES)
    for line in stray:
        logger.warning("%s: line %d: text outside any cue kept as is", path, line.line_no)
    turns = [turn for cue in cues for turn in _cue_turns(cue)]
    kept = [cleaned for cleaned in map(_clean, stray) if cleaned.text]
    lines = sorted(turns + kept, key=lambda line: line.line_no)
    if not lines:
        raise InputError(path, "transcript cues hold no text")
    return lines


def _parse_cues(lines: list[SourceLine]) -> tuple[list[_Cue], list[SourceLine]]:
    """Cues, plus text lines that belong to no cue (e.g. after a blank line inside a cue)."""
    cues: list[_Cue] = []
    stray: list[SourceLine] = []
    for block in _blocks(lines):
        timings = [i for i, line in enumerate(block) if TIMING_RE.match(line.text)]
        if not timings:
            if not _NON_CUE_BLOCK_RE.match(block[0].text.strip()) and not all(
                _CUE_NUMBER_RE.match(line.text) for line in block
            ):
                stray.extend(block)
            continue
        stray.extend(block[: _identifier_start(block, timings[0])])
        for start, end in zip(timings, [*timings[1:], len(block)], strict=True):
            text_end = _identifier_start(block, end) if end < len(block) else end
            begin, finish = _cue_times(block[start].text)
            cues.append(_Cue(tuple(block[start + 1 : text_end]), begin, finish))
    return cues, stray


_TIME_PARTS_RE = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})")


def _cue_times(timing: str) -> tuple[str | None, str | None]:
    """'00:01:02,500 --> 00:01:05.000 align:start' -> ('00:01:02.500', '00:01:05.000')."""
    found = [
        f"{int(h or 0):02d}:{int(m):02d}:{int(s):02d}.{frac.ljust(3, '0')}"
        for h, m, s, frac in _TIME_PARTS_RE.findall(timing)[:2]
    ]
    return (found[0], found[1]) if len(found) == 2 else (None, None)


def _identifier_start(block: list[SourceLine], timing: int) -> int:
    """Where the cue identifier before a timing line starts (= `timing` when there is none).

    At the start of a block, the line before the timing is an identifier in
    both formats; inside a block (a missing blank line), only a bare number is.
    """
    if timing == 0:
        return 0
    if timing == 1 or _CUE_NUMBER_RE.match(block[timing - 1].text):
        return timing - 1
    return timing


def _blocks(lines: list[SourceLine]) -> list[list[SourceLine]]:
    blocks: list[list[SourceLine]] = [[]]
    for line in lines:
        if line.text.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _cue_turns(cue: _Cue) -> list[SourceLine]:
    """A cue's lines joined by spaces; a line opening a voice tag starts a new turn."""
    turns: list[list[SourceLine]] = []
    for line in cue.lines:
        if not turns or _VOICE_START_RE.match(line.text):
            turns.append([])
        turns[-1].append(line)
    joined = [SourceLine(turn[0].line_no, " ".join(line.text for line in turn), None, cue.start, cue.end) for turn in turns]
    return [_clean(line) for line in joined if _clean_text(_VOICE_RE.sub("", line.text))]


def _clean(line: SourceLine) -> SourceLine:
    """Voice tags to 'Name: ', other markup removed, entities decoded, spaces collapsed."""
    text = _VOICE_RE.sub(lambda match: f"{match.group(1).strip()}: ", line.text)
    return SourceLine(line.line_no, _clean_text(text), None, line.start, line.end)


def _clean_text(text: str) -> str:
    text = html.unescape(_ASS_OVERRIDE_RE.sub("", _TAG_RE.sub("", text)))
    return " ".join(text.split())
