"""The real sample report, end to end through the segmenter, checked on its real content (slow)."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.segment.readers import read_report
from pipeline.segment.segmenter import SegmentedReport, SegmentParams, segment_report

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def result(sample_report, nlp) -> SegmentedReport:
    return segment_report(sample_report.stem, read_report(sample_report), nlp=nlp, params=SegmentParams())


@pytest.fixture(scope="module")
def statements(result) -> pd.DataFrame:
    return result.statements


def _one(statements: pd.DataFrame, fragment: str) -> pd.Series:
    found = statements[statements["text"].str.contains(fragment, regex=False)]
    assert len(found) == 1, f"{len(found)} statements contain {fragment!r}"
    return found.iloc[0]


def test_footer_cutting_a_statement_is_joined(statements) -> None:
    row = _one(statements, "The objective of Chantier")
    assert "democratization of the economy and the emergence" in row["text"]
    assert row["speaker"] == "Maude Brossard-Sabourin" and row["role"] == "keynote"
    row = _one(statements, "The government must facilitate")
    assert "transport... It is necessary in the production (private initiative?)." in row["text"]
    assert row["speaker"] == "Juan Pablo Ortiz"
    row = _one(statements, "the participation of all levels of government")
    assert row["speaker"] == "Edgar" and row["role"] == "audience"
    row = _one(statements, "reviewing the commercial legislation")
    assert row["text"].endswith("de facto and de jure as members of the social sector of the economy.")


def test_label_separated_from_its_bullet_by_a_footer(statements) -> None:
    row = _one(statements, "Recommends the ILO report")
    assert (row["speaker"], row["role"], row["section"]) == ("Roberto Di Meglio", "panelist", "conclusions")


def test_inline_turns_soraya_and_maude(statements) -> None:
    question = _one(statements, "Financing in Quebec for cooperatives?")
    answer = _one(statements, "through funds: integrate society")
    assert (question["speaker"], question["role"], question["speaker_label"]) == ("Soraya Pérez Munguía", "panelist", "Dip. Soraya")
    assert question["text"] == "Financing in Quebec for cooperatives?"
    assert (answer["speaker"], answer["role"], answer["speaker_label"]) == ("Maude Brossard-Sabourin", "keynote", "Maude")
    assert answer["seq"] == question["seq"] + 1 and answer["section"] == "spoken_comments"


def test_from_lines_without_dash(statements) -> None:
    row = _one(statements, "Good morning from Na Nuu SCAP")
    assert (row["speaker"], row["role"], row["section"]) == ("Julián González", "audience", "audience_comments")
    row = _one(statements, "Good morning to everyone from OECD")
    assert (row["speaker"], row["role"], row["speaker_label"]) == ("Antonella Noya", "audience", "OECD- Antonella NOYA")


def test_aliases_resolve_to_header_names(result) -> None:
    speakers = result.speakers.set_index("speaker")
    assert speakers.loc["Soraya Pérez Munguía", "role"] == "panelist"
    assert set(speakers.loc["Soraya Pérez Munguía", "aliases"].split("; ")) == {
        "Soraya Pérez",
        "Deputy Soraya Pérez",
        "Panelist Deputy. Soraya Pérez",
        "Dip. Soraya",
    }
    assert set(speakers.loc["Maude Brossard-Sabourin", "aliases"].split("; ")) == {"Maude Brossard", "Maude"}
    assert set(speakers.loc["Roberto Di Meglio", "aliases"].split("; ")) == {"Roberto Di Meglio", "Panelist Roberto Di Meglio"}
    header_people = {"Humberto Cerdio": "moderator", "Maude Brossard-Sabourin": "keynote", "Juan Pablo Ortiz": "panelist"}
    for name, role in header_people.items():
        assert speakers.loc[name, "role"] == role
    assert speakers.loc["Maude Brossard-Sabourin", "affiliation"].startswith("Chantier de l'Économie Sociale")
    assert speakers["n_statements"].sum() == len(result.statements[result.statements["speaker"] != ""])


def test_session_metadata_and_participation(result) -> None:
    session = result.session.iloc[0]
    assert session["session"] == 3 and session["date"] == "2020-06-09"
    assert (session["start_time"], session["end_time"]) == ("09:00", "10:30")
    assert session["title"] == "Social economy, a vehicle for achieving sustainable development"
    assert session["series"] == "Preparatory series of webinars"
    assert session["moderator"] == "Humberto Cerdio"
    assert session["keynotes"] == "Maude Brossard-Sabourin"
    assert session["panelists"] == "Soraya Pérez Munguía; Juan Pablo Ortiz; Roberto Di Meglio"
    assert (session["participants"], session["views"], session["people_reached"]) == (237, 3900, 12110)
    assert session["participation"] == "237 participants in zoom, 3,900 views on Facebook, 12,110 people reached."


def test_no_furniture_in_any_statement(result) -> None:
    footers = result.dropped[result.dropped["reason"] == "footer"]
    assert len(footers) == 10  # six footer blocks, one or two lines each, one garbled
    for text in result.statements["text"]:
        assert "Finanzgruppe" not in text and "cooperation of:" not in text
    assert result.dropped.loc[result.dropped["reason"] == "page_number", "text"].tolist() == ["7"]


def test_pages_inferred_from_footers(statements) -> None:
    assert statements["page"].min() == 1 and statements["page"].max() == 7
    assert statements["page"].is_monotonic_increasing


def test_every_line_accounted_for(result, sample_report) -> None:
    n_lines = len(read_report(sample_report))
    in_statements = {n for lines in result.statement_lines for n in lines}
    dropped = result.dropped["line_no"].tolist()
    assert len(dropped) == len(set(dropped)) and in_statements.isdisjoint(dropped)
    assert in_statements | set(dropped) == set(range(1, n_lines + 1))
    non_blank_dropped = result.dropped[result.dropped["reason"] != "blank"]
    assert set(non_blank_dropped["reason"]) <= {"header_field", "garbled", "heading", "speaker_label", "footer", "page_number"}


def test_sections_and_roles(statements) -> None:
    first = statements.iloc[:3]
    assert set(first["speaker"]) == {"María de la Ángeles"} and set(first["role"]) == {"other"}
    assert set(first["section"]) == {"key_points"}
    order = statements.drop_duplicates("section")["section"].tolist()
    assert order == ["key_points", "audience_comments", "spoken_comments", "conclusions"]
    audience = statements[statements["section"] == "audience_comments"]
    assert audience["speaker"].str.len().gt(0).sum() == len(audience) - 1  # one unsigned comment
    unsigned = statements[statements["speaker"] == ""]
    assert set(unsigned["role"]) == {"audience"} and set(unsigned["section"]) <= {"audience_comments", "spoken_comments"}
    last = statements.iloc[-1]
    assert (last["speaker"], last["role"], last["section"]) == ("Juan Manuel", "other", "conclusions")
    assert len(statements) == 79
    assert statements["statement_id"].tolist() == [f"{statements['report_id'].iloc[0]}:{i:04d}" for i in range(1, 80)]
