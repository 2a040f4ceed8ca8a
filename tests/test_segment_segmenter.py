"""The segmenter on few-line reports written for each rule (real spaCy: slow)."""

from __future__ import annotations

import pytest

from pipeline.contract import DROPPED_LINES, SESSIONS, SPEAKERS, STATEMENTS, validate
from pipeline.errors import InputError
from pipeline.segment.lines import SourceLine
from pipeline.segment.segmenter import SegmentedReport, SegmentParams, segment_report

pytestmark = pytest.mark.slow

HEADER = """Report Session 5 May 2, 2022 10:00-11:00 hrs.

Housing cooperatives

Name of the moderator: Ana Lucía Ferreira Soto

Name of the main speaker:

Kwame Mensah- Boateng, Ghana Co-operative Council.

Name of panelists/commentators:

• Hélène Dubois Martin, Université de Lyon.
"""


def _segment(body: str, nlp, *, header: str = HEADER) -> SegmentedReport:
    text = header + "\n" + body
    lines = [SourceLine(i + 1, line) for i, line in enumerate(text.split("\n"))]
    return segment_report("r1", lines, nlp=nlp, params=SegmentParams())


def _rows(result: SegmentedReport) -> list[tuple[str, str, str, str]]:
    df = result.statements
    return list(zip(df["section"], df["speaker"], df["role"], df["text"]))


def _assert_every_line_once(result: SegmentedReport, n_lines: int) -> None:
    in_statements = {n for lines in result.statement_lines for n in lines}
    dropped = list(result.dropped["line_no"])
    assert len(dropped) == len(set(dropped))
    assert in_statements.isdisjoint(dropped)
    assert in_statements | set(dropped) == set(range(1, n_lines + 1))


def test_tables_match_the_contract(nlp) -> None:
    result = _segment("Key points:\n\nKwame:\n\n- One.\n", nlp)
    validate(result.statements, STATEMENTS, "test")
    validate(result.session, SESSIONS, "test")
    validate(result.speakers, SPEAKERS, "test")
    validate(result.dropped, DROPPED_LINES, "test")
    assert result.statements.loc[0, "statement_id"] == "r1:0001"


def test_label_owns_bullets_across_a_footer_and_a_cut_sentence_is_joined(nlp) -> None:
    body = """Key points:

Hélène Dubois:

- Cooperatives house families in the

Printed with the support of the Housing Fund

whole region since 1990.

- Second point.

Kwame:

Printed with the support of the Housing Fund

- Finance matters.
"""
    result = _segment(body, nlp)
    assert _rows(result) == [
        ("key_points", "Hélène Dubois Martin", "panelist", "Cooperatives house families in the whole region since 1990."),
        ("key_points", "Hélène Dubois Martin", "panelist", "Second point."),
        ("key_points", "Kwame Mensah-Boateng", "keynote", "Finance matters."),
    ]
    assert set(result.dropped.loc[result.dropped["reason"] == "footer", "text"]) == {
        "Printed with the support of the Housing Fund"
    }
    _assert_every_line_once(result, (HEADER + "\n" + body).count("\n") + 1)


def test_an_unbulleted_line_after_a_page_break_continues_the_bullet(nlp) -> None:
    body = """Key points:

Kwame:

- The state must help in several areas: energy, transport...

Printed with the support of the Housing Fund

It is necessary in production.

- Next.

Printed with the support of the Housing Fund
"""
    texts = list(_segment(body, nlp).statements["text"])
    assert texts == ["The state must help in several areas: energy, transport... It is necessary in production.", "Next."]


def test_paragraphs_and_wrapped_lines(nlp) -> None:
    body = """Key points:

Kwame:

A first paragraph that is wrapped
over two lines.

A second paragraph of the same speaker.
"""
    result = _segment(body, nlp)
    assert list(result.statements["text"]) == [
        "A first paragraph that is wrapped over two lines.",
        "A second paragraph of the same speaker.",
    ]
    assert set(result.statements["speaker"]) == {"Kwame Mensah-Boateng"}


def test_chat_lines_roles_and_aliases(nlp) -> None:
    body = """Audience comments:

- From Panelist Dip. Hélène Dubois: Thanks to all.
From Rosa Quispe: Greetings from Cusco.
- From OECD- Antonella NOYA: Good morning.
- From Rosa Quispe: A second message.
- An unsigned comment.
"""
    result = _segment(body, nlp)
    assert _rows(result) == [
        ("audience_comments", "Hélène Dubois Martin", "panelist", "Thanks to all."),
        ("audience_comments", "Rosa Quispe", "audience", "Greetings from Cusco."),
        ("audience_comments", "Antonella Noya", "audience", "Good morning."),
        ("audience_comments", "Rosa Quispe", "audience", "A second message."),
        ("audience_comments", "", "audience", "An unsigned comment."),
    ]
    speakers = result.speakers.set_index("speaker")
    assert speakers.loc["Rosa Quispe", "n_statements"] == 2
    assert speakers.loc["Antonella Noya", "aliases"] == "OECD- Antonella NOYA"
    assert speakers.loc["Hélène Dubois Martin", "aliases"] == "Panelist Dip. Hélène Dubois"
    # listed people who never speak keep their row
    assert speakers.loc["Ana Lucía Ferreira Soto", "n_statements"] == 0
    assert speakers.loc["Kwame Mensah-Boateng", "affiliation"] == "Ghana Co-operative Council"


def test_a_bullet_with_two_turns_is_two_statements(nlp) -> None:
    body = """Spoken comments:

- Dip. Hélène pregunta: Is there funding? Kwame: through funds: yes, many.
- An unattributed spoken comment.
"""
    result = _segment(body, nlp)
    assert _rows(result) == [
        ("spoken_comments", "Hélène Dubois Martin", "panelist", "Is there funding?"),
        ("spoken_comments", "Kwame Mensah-Boateng", "keynote", "through funds: yes, many."),
        ("spoken_comments", "", "audience", "An unattributed spoken comment."),
    ]
    assert list(result.statements["speaker_label"]) == ["Dip. Hélène", "Kwame", ""]
    assert result.statements["line_start"].iloc[0] == result.statements["line_start"].iloc[1]


def test_people_outside_header_and_audience_are_other(nlp) -> None:
    body = """Conclusions:

Juan Manuel:

- Invitation to follow up.
"""
    assert _rows(_segment(body, nlp)) == [("conclusions", "Juan Manuel", "other", "Invitation to follow up.")]


def test_a_url_line_continues_its_statement(nlp) -> None:
    body = """Audience comments:

- From Kwame: I suggest the 2019 report. You can find it here

https://example.org/report.pdf That report is in English.
"""
    texts = list(_segment(body, nlp).statements["text"])
    assert texts == ["I suggest the 2019 report. You can find it here https://example.org/report.pdf That report is in English."]


def test_no_recognisable_speaker_is_an_error(nlp) -> None:
    with pytest.raises(InputError, match="no recognisable speaker"):
        _segment("Just some text.\n\nMore text without anyone.\n", nlp, header="")


def test_session_row(nlp) -> None:
    session = _segment("Key points:\n\nKwame:\n- One.\n", nlp).session.iloc[0]
    assert (session["session"], session["date"], session["start_time"], session["end_time"]) == (5, "2022-05-02", "10:00", "11:00")
    assert session["title"] == "Housing cooperatives"
    assert session["moderator"] == "Ana Lucía Ferreira Soto"
    assert session["keynotes"] == "Kwame Mensah-Boateng"
    assert session["panelists"] == "Hélène Dubois Martin"
    assert session["panelist_affiliations"] == "Université de Lyon"


def test_a_finished_paragraph_before_a_page_break_is_not_continued(nlp) -> None:
    body = """Key points:

Kwame:

We need patient capital for cooperatives.

Printed with the support of the Housing Fund

The second idea is about training.

Printed with the support of the Housing Fund
"""
    texts = list(_segment(body, nlp).statements["text"])
    assert texts == ["We need patient capital for cooperatives.", "The second idea is about training."]


def test_spanish_headings_and_an_unbulleted_name_paragraph(nlp) -> None:
    body = """Ideas relevantes y puntos clave:

Kwame Mensah: Cooperatives need credit.

They also need training.

Conclusiones:

- Closing words without a speaker.
"""
    assert _rows(_segment(body, nlp)) == [
        ("key_points", "Kwame Mensah-Boateng", "keynote", "Cooperatives need credit."),
        ("key_points", "Kwame Mensah-Boateng", "keynote", "They also need training."),
        ("conclusions", "", "other", "Closing words without a speaker."),
    ]
