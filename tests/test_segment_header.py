"""The header block: session line, title, roster and participation, in English and Spanish."""

from __future__ import annotations

import pytest

from pipeline.segment.header import field_kind, parse_header, parse_participation, parse_person, parse_report_line
from pipeline.segment.lines import SourceLine
from pipeline.segment.sections import heading_section


def _lines(text: str) -> list[SourceLine]:
    return [SourceLine(i + 1, line) for i, line in enumerate(text.split("\n"))]


def _body_start(text: str) -> bool:
    return heading_section(text) is not None


ENGLISH = """LOGO TEXT

Regional series of dialogues

WORLD COOPERATIVE SUMMIT 2030

Report Session 12 March 3, 2021 16: 00-17: 45 hrs. Lima time

Cooperatives and the care economy

Name of the moderator: Ana Lucía Ferreira Soto, Cooperative League

Name of the main speaker:

Kwame Mensah- Boateng, Ghana Co-operative Council.

Name of panelists/commentators:

• Hélène Dubois Martin, Université de Lyon.
• Pedro Gómez, Ministry of Labour
  of Colombia.

Number of participants:

120 participants in zoom, 1,050 views on Facebook, 4.300 people reached.

Key points:
"""

SPANISH = """Reporte Sesión 4 9 de junio de 2020 09:00-10:30 hrs.

La economía social y los cuidados

Nombre de la moderadora: Rosa Elena Quispe

Ponente principal: Luis Ángel Torres, Universidad de Chile

Panelistas/comentaristas:

- Marta Núñez, INAES

Número de participantes: 85 participantes en zoom, 400 reproducciones en Facebook

Ideas relevantes y puntos clave:
"""


def test_english_header() -> None:
    lines = _lines(ENGLISH)
    header, body_start = parse_header(lines, _body_start)
    assert lines[body_start].text == "Key points:"
    assert (header.session, header.date, header.start_time, header.end_time) == (12, "2021-03-03", "16:00", "17:45")
    assert header.title == "Cooperatives and the care economy"
    assert header.series == "Regional series of dialogues"
    assert header.event == "WORLD COOPERATIVE SUMMIT 2030"
    assert header.names("moderator") == ["Ana Lucía Ferreira Soto"]
    assert header.names("keynote") == ["Kwame Mensah-Boateng"]
    assert header.names("panelist") == ["Hélène Dubois Martin", "Pedro Gómez"]
    affiliations = {p.name: p.affiliation for p in header.people}
    assert affiliations["Pedro Gómez"] == "Ministry of Labour of Colombia"  # wrapped entry joined
    assert affiliations["Kwame Mensah-Boateng"] == "Ghana Co-operative Council"
    assert (header.participants, header.views, header.people_reached) == (120, 1050, 4300)
    # every non-blank header line is accounted for; the logo is garbled text
    non_blank = {l.line_no for l in lines[:body_start] if l.text.strip()}
    assert set(header.reasons) == non_blank
    assert header.reasons[1] == "garbled"


def test_spanish_header() -> None:
    header, _ = parse_header(_lines(SPANISH), _body_start)
    assert (header.session, header.date, header.start_time, header.end_time) == (4, "2020-06-09", "09:00", "10:30")
    assert header.title == "La economía social y los cuidados"
    assert header.names("moderator") == ["Rosa Elena Quispe"]
    assert header.names("keynote") == ["Luis Ángel Torres"]
    assert header.names("panelist") == ["Marta Núñez"]
    assert (header.participants, header.views, header.people_reached) == (85, 400, None)


def test_missing_fields_are_empty_not_errors() -> None:
    header, body_start = parse_header(_lines("Some title\n\nKey points:\n- text"), _body_start)
    assert body_start == 2
    assert header.people == ()
    assert header.date == "" and header.session is None and header.participants is None
    assert header.title == "Some title"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Report Session 3 June 09, 2020 09: 00-10: 30 hrs. CDMX time",
            {"session": 3, "date": "2020-06-09", "start_time": "09:00", "end_time": "10:30"},
        ),
        ("Sesión 7, 21 de septiembre de 2021, 10.00 a 12.00", {"session": 7, "date": "2021-09-21", "start_time": "10:00", "end_time": "12:00"}),
        ("Session report 2022-01-15", {"date": "2022-01-15"}),
        ("Report of session 2 (25 h - 99 h)", {"session": 2}),
    ],
)
def test_report_line(line: str, expected: dict[str, object]) -> None:
    assert parse_report_line(line) == expected


def test_participation_in_any_order() -> None:
    assert parse_participation("12,110 people reached; 3 900 views on Facebook and 237 participants") == {
        "people_reached": 12110,
        "views": 3900,
        "participants": 237,
    }


def test_person_entries() -> None:
    person = parse_person("Maude Brossard- Sabourin, Chantier de l'Économie Sociale. Québec.", "keynote")
    assert (person.name, person.affiliation) == ("Maude Brossard-Sabourin", "Chantier de l'Économie Sociale. Québec")
    assert parse_person("Dr. Ana Ruiz (UNAM)", "panelist").name == "Ana Ruiz"
    assert parse_person("Ana Ruiz", "panelist").affiliation == ""


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Name of the moderator: X", "moderator"),
        ("Nombre del moderador:", "moderator"),
        ("Name of the main speaker:", "keynote"),
        ("Keynote speakers:", "keynote"),
        ("Name of panelists/commentators:", "panelists"),
        ("Number of participants:", "participants"),
        ("From Panelist Roberto: hello", None),
        ("- Name of the moderator: X", None),
        ("Maude: through funds", None),
    ],
)
def test_field_kind(line: str, kind: str | None) -> None:
    found = field_kind(line)
    assert (found[0] if found else None) == kind


def test_a_one_line_field_ends_at_its_line_and_a_heading_after_a_blank_is_no_name() -> None:
    text = ("Webinar 9: Care work\nModerator: Ana Ruiz (RIPESS)\nSpeakers: Bo Lee (ILO); Cy Dubois (Chantier)\n\n"
            "Opening\nAna Ruiz (RIPESS): Welcome.")
    header, _ = parse_header(_lines(text), lambda t: t.startswith("Ana Ruiz ("))
    assert [p.name for p in header.people] == ["Ana Ruiz", "Bo Lee", "Cy Dubois"]
    assert header.reasons[5] == "heading"


def test_a_comma_inside_the_parenthesised_affiliation_stays_in_it():
    person = parse_person("Nadia Haddad (Ministry of Economy, Tunisia)", "keynote")
    assert (person.name, person.affiliation) == ("Nadia Haddad", "Ministry of Economy, Tunisia")
    person = parse_person("Maude Brossard- Sabourin, Chantier de l'Économie Sociale (Québec)", "panelist")
    assert person.name == "Maude Brossard-Sabourin"
