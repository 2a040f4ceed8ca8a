"""Speaker turns in layouts other than the sample's, one few-line fixture per convention (real spaCy: slow).

Hearing records (label line, then paragraphs), "Name AM: text" paragraphs,
call transcripts (cues of one speaker are one statement), role labels that
stand for a person, names wrapped before their colon, unbulleted paragraphs
without blank lines, headers of other layouts, and the roles of a hearing.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the benchmark's scoring, not a copy of it
from benchmarks.segment_bench import VARIANTS, score_variants  # noqa: E402
from pipeline.contract import SESSIONS, SPEAKERS, STATEMENTS, validate
from pipeline.segment.lines import SourceLine
from pipeline.segment.readers import read_report
from pipeline.segment.segmenter import SegmentedReport, SegmentParams, segment_report
from docgen import make_pdf, make_vtt

pytestmark = pytest.mark.slow


def _segment(text: str, nlp) -> SegmentedReport:
    lines = [SourceLine(i + 1, line) for i, line in enumerate(text.split("\n"))]
    result = segment_report("r1", lines, nlp=nlp, params=SegmentParams())
    validate(result.statements, STATEMENTS, "r1")
    validate(result.session, SESSIONS, "r1")
    validate(result.speakers, SPEAKERS, "r1")
    in_statements = {n for group in result.statement_lines for n in group}
    assert in_statements | set(result.dropped["line_no"]) == set(range(1, len(lines) + 1))
    return result


def _who(result: SegmentedReport) -> list[tuple[str, str]]:
    """(speaker, first three words) per statement."""
    return [(who, " ".join(text.split()[:3])) for who, text in zip(result.statements["speaker"], result.statements["text"])]


HEARING = """House of Commons Special Committee on the COVID-19 Pandemic

The Chair (Hon. Anthony Rota (Nipissing—Timiskaming, Lib.)):
I call this meeting to order. Welcome to the 14th meeting of the special
committee.

Mr. Garnett Genuis (Sherwood Park—Fort Saskatchewan, CPC):
Thank you, Mr. Chair. I am presenting a petition today.

The Chair:
Back to Ms. Shin.

Ms. Nelly Shin (Port Moody—Coquitlam, CPC):
Mr. Chair, the public health agency has not answered.

The Chair:
Back to Ms. Shin.

The Acting Chair (Mrs. Carol Hughes):
We go to the minister.

Hon. Patty Hajdu (Minister of Health):
Mr. Chair, the information is public.

The agency publishes it every week, in both official languages.
"""


def test_hearing_record(nlp) -> None:
    result = _segment(HEARING, nlp)
    assert _who(result) == [
        ("Anthony Rota", "I call this"),
        ("Garnett Genuis", "Thank you, Mr."),
        ("Anthony Rota", "Back to Ms."),  # repeated word for word: no footer
        ("Nelly Shin", "Mr. Chair, the"),  # 'public' in the first line: no heading
        ("Anthony Rota", "Back to Ms."),
        ("Carol Hughes", "We go to"),
        ("Patty Hajdu", "Mr. Chair, the"),
        ("Patty Hajdu", "The agency publishes"),  # the label owns its paragraphs
    ]
    speakers = result.speakers.set_index("speaker")
    assert speakers.loc["Anthony Rota", "role"] == "moderator"
    assert speakers.loc["Anthony Rota", "affiliation"] == "Nipissing—Timiskaming, Lib."
    assert speakers.loc["Garnett Genuis", "role"] == "other"  # a member who questions
    assert speakers.loc["Garnett Genuis", "affiliation"] == "Sherwood Park—Fort Saskatchewan, CPC"
    assert speakers.loc["Patty Hajdu", "affiliation"] == "Minister of Health"
    assert "The Chair" in speakers.loc["Anthony Rota", "aliases"]
    assert result.session.iloc[0]["title"] == "House of Commons Special Committee on the COVID-19 Pandemic"


def test_bare_role_label_before_the_chair_is_named(nlp) -> None:
    text = "The Chair:\nGood morning.\n\nMs. Ann Lee:\nThank you.\n\nThe Chair (Mr. Tom Baker):\nNext question.\n"
    assert [who for who, _ in _who(_segment(text, nlp))] == ["Tom Baker", "Ann Lee", "Tom Baker"]


def test_role_label_goes_to_the_header_person(nlp) -> None:
    text = (
        "Session 4: Housing cooperatives\nHost: Ana Lucía Ferreira Soto\nWitnesses:\n- Dr. Kwame Mensah, Ghana Co-operative Council\n\n"
        "Host:\nWelcome.\n\nDr. Kwame Mensah:\nThank you.\n\nQ:\nWhat about rents?\n\nJo Park (Tenants Union):\nRents fell.\n"
    )
    result = _segment(text, nlp)
    assert list(zip(result.statements["speaker"], result.statements["role"])) == [
        ("Ana Lucía Ferreira Soto", "moderator"),
        ("Kwame Mensah", "panelist"),
        ("Q", "other"),  # Q names nobody in particular
        ("Jo Park", "other"),  # an unlisted participant
    ]
    session = result.session.iloc[0]
    assert (session["title"], session["moderator"], session["panelists"]) == ("Housing cooperatives", "Ana Lucía Ferreira Soto", "Kwame Mensah")


def test_parliament_paragraphs_with_post_nominals(nlp) -> None:
    text = (
        "Children, Young People and Education Committee\n\n"
        "Lynne Neagle AM: Good morning. Can I welcome everyone to the committee?\n\n"
        "Sharon Davies: Thank you. We have published the figures.\n\n"
        "Lynne Neagle AM: Thank you. Suzy.\n\n"
        "Suzy Davies AM: Can I ask about the figures for Wales?\n\n"
        "Sharon Davies: Yes, they are in the annex.\n"
    )
    result = _segment(text, nlp)
    assert [who for who, _ in _who(result)] == ["Lynne Neagle", "Sharon Davies", "Lynne Neagle", "Suzy Davies", "Sharon Davies"]
    assert result.statements["text"].iloc[0] == "Good morning. Can I welcome everyone to the committee?"
    assert "Lynne Neagle AM" in set(result.speakers["aliases"])


def test_name_wrapped_before_its_colon(nlp) -> None:
    own_line = "Ana Ruiz:\nWelcome.\n\nMaría Guadalupe Echeverría\nSantoyo:\nThank you, Ana.\n"
    assert _who(_segment(own_line, nlp)) == [("Ana Ruiz", "Welcome."), ("María Guadalupe Echeverría Santoyo", "Thank you, Ana.")]
    inline = "Ana Ruiz: Welcome to all of you.\nMaría Guadalupe Echeverría\nSantoyo: Thank you, Ana.\n"
    result = _segment(inline, nlp)
    assert _who(result) == [("Ana Ruiz", "Welcome to all"), ("María Guadalupe Echeverría Santoyo", "Thank you, Ana.")]
    assert result.statements["source_lines"].iloc[1] == "2 3"


def test_call_transcript_cues_of_one_speaker_are_one_statement(nlp, tmp_path: Path) -> None:
    turns = [
        ("Ana Ruiz", "Good morning and welcome."),
        ("Ana Ruiz", "Today we talk about care."),
        ("Tom Baker", "Thank you, Ana."),
        ("Ana Ruiz", "Over to you."),
    ]
    path = make_vtt(turns, tmp_path / "call.vtt")
    result = segment_report("call", read_report(path), nlp=nlp, params=SegmentParams())
    rows = result.statements
    assert list(rows["speaker"]) == ["Ana Ruiz", "Tom Baker", "Ana Ruiz"]
    assert rows["text"].iloc[0] == "Good morning and welcome. Today we talk about care."
    assert rows["source_lines"].iloc[0].split() == ["7", "11"]  # both cues
    assert (rows["start_time"].iloc[0], rows["end_time"].iloc[0]) == ("00:00:00.000", "00:00:08.000")
    assert result.session.iloc[0]["title"] == ""  # no header: nothing invented


def test_paragraph_per_line_without_blank_lines(nlp) -> None:
    text = (
        "Ana Ruiz: Welcome to the session on cooperatives.\n"
        "We have three guests today.\n"
        "Tom Baker: Thank you. Cooperatives kept jobs in the crisis.\n"
        "Credit is the problem.\n"
        "Training the boards matters too.\n"
    )
    result = _segment(text, nlp)
    assert _who(result) == [
        ("Ana Ruiz", "Welcome to the"),
        ("Ana Ruiz", "We have three"),
        ("Tom Baker", "Thank you. Cooperatives"),
        ("Tom Baker", "Credit is the"),
        ("Tom Baker", "Training the boards"),
    ]


def test_paragraphs_of_a_pdf_are_not_fused(nlp, tmp_path: Path) -> None:
    paragraphs = [
        "Ana Ruiz: Welcome to the session on cooperatives and decent work after the pandemic, the fifth of the series.",
        "We have three guests from three continents, and I thank them for joining us so early in their day.",
        "Tom Baker: Thank you. Cooperatives kept more jobs than other firms during the crisis of 2008 and since.",
        "Decent work is not only a wage. It is social protection, a voice at work and safety at work.",
    ]
    wrapped = []
    for paragraph in paragraphs:  # as a typeset page wraps them, no blank line between
        wrapped += textwrap.wrap(paragraph, 60)
    path = make_pdf(wrapped, tmp_path / "r.pdf", footer="Webinar series report", lines_per_page=3)
    result = segment_report("r", read_report(path), nlp=nlp, params=SegmentParams())
    assert [who for who, _ in _who(result)] == ["Ana Ruiz", "Ana Ruiz", "Tom Baker", "Tom Baker"]
    assert result.statements["text"].iloc[1].startswith("We have three guests")


def test_title_between_date_and_roster_and_no_body_in_the_header(nlp) -> None:
    text = (
        "Report Session 5 July 14, 2020 10:00-11:30 hrs.\n"
        "Cooperatives and decent work\n"
        "Name of the moderator: Laura Benítez Ochoa\n"
        "Relevant ideas and key points:\n"
        "Laura Benítez Ochoa (INAES): Welcome.\n"
    )
    session = _segment(text, nlp).session.iloc[0]
    assert (session["title"], session["moderator"], session["date"]) == ("Cooperatives and decent work", "Laura Benítez Ochoa", "2020-07-14")
    headless = (
        "from Ottawa without any conditions. Yet, the company has a year's worth of\n"
        "cash in reserve and is raising more money.\n\n"
        "The Chair:\nThank you.\n"
    )
    result = _segment(headless, nlp)
    assert result.session.iloc[0]["title"] == ""
    assert result.statements["text"].iloc[0].startswith("from Ottawa")


@pytest.mark.parametrize("gold", sorted(VARIANTS.glob("*.gold.json")), ids=lambda p: p.name.split(".")[0])
def test_report_variants(gold: Path, nlp) -> None:
    """Reports of the sample's series in other layouts (two written after the rules, held out), as text and PDF."""
    stem = gold.name[: -len(".gold.json")]
    assert json.loads(gold.read_text(encoding="utf-8"))
    scores = [row for row in score_variants(VARIANTS, nlp, SegmentParams()) if row[0].startswith(stem)]
    assert scores
    for name, n, right, _, fused in scores:
        assert right / n >= 0.95, name
        assert fused == 0, name


def test_group_labels_and_apostrophes_in_asides(nlp) -> None:
    text = (
        "Hansard\n\nMr. Jack Harris (St. John's East, NDP):\nMr. Speaker, I rise on a point of order.\n\n"
        "Some hon. members:\nAgreed.\n\nMr. Jack Harris:\nAgain.\n"
    )
    result = _segment(text, nlp)
    assert list(zip(result.statements["speaker"], result.statements["role"])) == [
        ("Jack Harris", "other"),
        ("Some hon. members", "other"),  # a group, not a fragment of the riding ("John's East, Ndp)")
        ("Jack Harris", "other"),
    ]
    assert result.speakers.set_index("speaker").loc["Jack Harris", "affiliation"] == "St. John's East, NDP"


def test_markdown_transcript_and_labels_in_capitals(nlp) -> None:
    text = (
        "# Webinar 9: Care cooperatives\n\n**Moderator:** Ana Lucía Ferreira Soto\n\n## Relevant ideas and key points\n\n"
        "**Ana Lucía Ferreira Soto:** Welcome to the ninth session.\n\n**MR. TOM BAKER:** Thank you, Ana.\n\n"
        "THE CHAIRMAN: Next.\n"
    )
    result = _segment(text, nlp)
    assert list(zip(result.statements["speaker"], result.statements["role"], result.statements["text"])) == [
        ("Ana Lucía Ferreira Soto", "moderator", "Welcome to the ninth session."),
        ("Tom Baker", "other", "Thank you, Ana."),
        ("Ana Lucía Ferreira Soto", "moderator", "Next."),  # the chair is the header's moderator
    ]
    assert result.session.iloc[0]["moderator"] == "Ana Lucía Ferreira Soto"
    assert result.dropped.set_index("line_no").loc[5, "text"] == "## Relevant ideas and key points"  # as written


def test_a_report_repeating_a_label_after_a_full_point_writes_a_new_statement(nlp) -> None:
    result = _segment(
        "Care economy webinar\n"
        "Moderator: Lucía Fernández (RIPESS)\n"
        "Speakers: Kwame Mensah (ILO); Hélène Dubois (Chantier)\n\n"
        "Opening\n"
        "Lucía Fernández (RIPESS): Good afternoon and welcome to this webinar on care work and cooperatives.\n"
        "Kwame Mensah (ILO): Care work is mostly unpaid and done by women in every region we studied.\n"
        "Kwame Mensah (ILO): Public funding is the missing piece: municipalities rarely contract cooperatives.\n"
        "Hélène Dubois (Chantier): In Quebec, home-care social enterprises have a stable agreement.\n",
        nlp,
    )
    assert _who(result)[1:3] == [("Kwame Mensah", "Care work is"), ("Kwame Mensah", "Public funding is")]
    assert [p for p in result.session["keynotes"]] == ["Kwame Mensah; Hélène Dubois"]


def test_a_header_entry_listing_people_gives_each_their_role(nlp) -> None:
    """"Witnesses: A, B" lists two witnesses when B speaks in the body; "Name, Organisation" keeps its affiliation."""
    text = (
        "Hearing on the cooperatives bill\n\nChair: Sofia Mendes\nWitnesses: Maria Lopez, James Okafor\n"
        "Panelists: Jane Doe, Oxfam International\n\n"
        "Sofia Mendes: The committee will come to order.\n\nMaria Lopez: The bill recognises cooperatives.\n\n"
        "James Okafor: It needs a fund for access to finance.\n\nJane Doe: And training for members.\n"
    )
    result = _segment(text, nlp)
    assert list(zip(result.statements["speaker"], result.statements["role"])) == [
        ("Sofia Mendes", "moderator"), ("Maria Lopez", "panelist"), ("James Okafor", "panelist"),
        ("Jane Doe", "panelist"),
    ]
    affiliation = dict(zip(result.speakers["speaker"], result.speakers["affiliation"].fillna("")))
    assert affiliation["Maria Lopez"] == "" and affiliation["Jane Doe"] == "Oxfam International"
