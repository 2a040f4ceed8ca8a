"""Section headings, English and Spanish, and lines that only look like them."""

from __future__ import annotations

import pytest

from pipeline.segment.sections import heading_section


@pytest.mark.parametrize(
    ("line", "section"),
    [
        ("Relevant ideas and key points:", "key_points"),
        ("Ideas relevantes y puntos clave:", "key_points"),
        ("IDEAS PRINCIPALES", "key_points"),
        ("Comentarios del público:", "audience_comments"),
        ("Audience comments", "audience_comments"),
        ("Comments from the chat:", "audience_comments"),
        ("Spoken comments:", "spoken_comments"),
        ("Comentarios hablados:", "spoken_comments"),
        ("Relevant observations or conclusions keynote speaker / panelists / moderator:", "conclusions"),
        ("Conclusiones", "conclusions"),
        ("Observaciones relevantes o conclusiones:", "conclusions"),
    ],
)
def test_headings(line: str, section: str) -> None:
    assert heading_section(line) == section


@pytest.mark.parametrize(
    "line",
    [
        "- Spoken comments matter a lot to the public.",  # a bullet is never a heading
        "Audience comments: great talk, thanks",  # text after the colon
        "The conclusions of the public consultation were clear.",  # a sentence
        "Juan Pablo Ortiz:",
        "",
        " ".join(["conclusions"] * 20),  # too long for a heading
    ],
)
def test_not_headings(line: str) -> None:
    assert heading_section(line) is None
