"""The speaker-label grammar, post-nominals, paragraph ends from layout, hearing headers, cue times (fast)."""

from __future__ import annotations

import pytest

from pipeline.errors import InputError
from pipeline.params import section_from_dict
from pipeline.segment.header import field_kind, is_prose, parse_participation
from pipeline.segment.labels import DEFAULT_LABEL_ROLES, parse_label, role_words, split_parens
from pipeline.segment.names import clean_name, has_name_shape, strip_postnominals
from pipeline.segment.paragraphs import ends_paragraph, wrap_width
from pipeline.segment.readers.transcript import _cue_times
from pipeline.segment.segmenter import SegmentParams

ROLES = role_words(DEFAULT_LABEL_ROLES)


@pytest.mark.parametrize(
    ("written", "name", "role_word", "role", "affiliation"),
    [
        ("The Chair (Hon. Anthony Rota (Nipissing—Timiskaming, Lib.))", "Hon. Anthony Rota", "chair", "moderator",
         "Nipissing—Timiskaming, Lib."),
        ("The Acting Chair (Mrs. Carol Hughes)", "Mrs. Carol Hughes", "acting chair", "moderator", ""),
        ("The Chair", "", "chair", "moderator", ""),
        ("Chair", "", "chair", "moderator", ""),
        ("Moderator", "", "moderator", "moderator", ""),
        ("Host", "", "host", "moderator", ""),
        ("Witness Jane Doe", "Jane Doe", "witness", "panelist", ""),
        ("Q", "", "q", "other", ""),
        ("A", "", "a", "other", ""),
        ("A. Smith", "A. Smith", "", "", ""),  # a one-letter role word only stands alone
        ("Ms. Jenny Kwan (Vancouver East, NDP)", "Ms. Jenny Kwan", "", "", "Vancouver East, NDP"),
        ("Carmen Ruiz (ILO)", "Carmen Ruiz", "", "", "ILO"),
        ("Lynne Neagle AM", "Lynne Neagle", "", "", ""),
        ("Hon. Patty Hajdu (Minister of Health)", "Hon. Patty Hajdu", "", "", "Minister of Health"),
        ("Moderator (Welsh Assembly)", "Welsh Assembly", "moderator", "moderator", ""),  # shape only; the judge decides
    ],
)
def test_parse_label(written: str, name: str, role_word: str, role: str, affiliation: str) -> None:
    label = parse_label(written, ROLES)
    assert label is not None
    assert (label.name, label.role_word, label.role, label.affiliation) == (name, role_word, role, affiliation)


@pytest.mark.parametrize("written", ["", "question about funds", "Ana (ILO) says", "a: b", "x" * 200, "Ana (ILO"])
def test_not_labels(written: str) -> None:
    label = parse_label(written, ROLES)
    assert label is None or label.affiliation == ""  # 'Ana (ILO' is unbalanced: no group read


def test_titles_and_post_nominals_mark_a_label() -> None:
    assert parse_label("Mr. Garnett Genuis (Sherwood Park, CPC)", ROLES).marked
    assert parse_label("Lynne Neagle AM", ROLES).marked
    assert not parse_label("Nicola Edwards", ROLES).marked


def test_split_parens_keeps_nested_groups() -> None:
    assert split_parens("The Chair (Hon. A (B, Lib.))") == ("The Chair", "Hon. A (B, Lib.)", "")
    assert split_parens("Ana Ruiz") == ("Ana Ruiz", "", "")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Lynne Neagle AM", "Lynne Neagle"),
        ("Jane Smith, MP", "Jane Smith"),
        ("Ann Lee PhD", "Ann Lee"),
        ("Right Hon. Justin Trudeau", "Justin Trudeau"),
        ("The Honourable Patty Hajdu (Minister of Health)", "Patty Hajdu"),
        ("The Chair (Hon. Anthony Rota (Nipissing—Timiskaming, Lib.))", "The Chair"),
        ("Dr David Blaney", "David Blaney"),
        ("Maria Ms", "Maria Ms"),  # 'Ms' in lower case after a name is no post-nominal
    ],
)
def test_clean_name_folds_titles_and_post_nominals(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


def test_strip_postnominals_keeps_a_lone_word() -> None:
    assert strip_postnominals("AM") == "AM"


def test_name_shape_with_elided_particles() -> None:
    assert has_name_shape("Chris d'Entremont")
    assert not has_name_shape("don't Stop")


def test_wrap_width_tells_wrapped_text_from_a_paragraph_per_line() -> None:
    wrapped = [
        "Savings groups are small, twenty or thirty members, and they lend to each",
        "other from a common fund. They reach people that no bank reaches and they",
        "keep the money in the village, where it is needed most of the time.",
        "The weakness is that the fund is small. When a whole village needs money at",
        "the same time, after a bad harvest, the group cannot help everyone there.",
        "It ends here.",
    ]
    width = wrap_width(wrapped)
    assert width and 70 <= width <= 80
    assert ends_paragraph("It ends here.", "Next", width)
    assert not ends_paragraph(wrapped[2], "Internationally", width)  # the next word would not fit: wrapped
    assert ends_paragraph(wrapped[2], "I", width) == (len(wrapped[2]) + 2 <= width)
    one_per_line = ["First paragraph ends.", "Second one too.", "A third.", "A fourth one.", "Fifth."]
    assert wrap_width(one_per_line) == 0
    assert ends_paragraph("Second one too.", "A third.", 0)
    assert not ends_paragraph("no sentence end", "A third.", 0)
    assert wrap_width(["Too few.", "Lines."]) is None
    assert not ends_paragraph("Too few.", "Lines.", None)


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Chair: Hon. Anthony Rota", "moderator"),
        ("Witnesses:", "panelists"),
        ("Witnesses: Dr. Jane Smith, Chief Medical Officer; Prof. Ian Lee", "panelists"),
        ("Invited speakers:", "panelists"),
        ("Host: Mtra. Daniela Ríos Contreras, INAES", "moderator"),
        ("Chair:", None),  # a speaker label in a hearing record
        ("The Chair (Hon. A (B, Lib.)): I call this meeting to order.", None),
        ("Chair: I call this meeting to order.", None),
        ("Minister: Thank you for the question.", None),
    ],
)
def test_hearing_header_fields(line: str, kind: str | None) -> None:
    found = field_kind(line)
    assert (found[0] if found else None) == kind


def test_prose_is_no_header_line() -> None:
    assert is_prose("It has the money it needs. We're tired of the Minister of Transport's tears.", "")
    assert is_prose("from Ottawa without any conditions. Yet, the company has a year's worth of", "cash in reserve")
    assert not is_prose("Social economy, a vehicle for achieving sustainable development", "")
    assert not is_prose("Report Session 3 June 09, 2020 09: 00-10: 30 hrs. CDMX time", "")


def test_participation_on_any_platform() -> None:
    assert parse_participation("180 participants in zoom, 2,100 views on YouTube") == {"participants": 180, "views": 2100}


def test_cue_times() -> None:
    assert _cue_times("00:01:02,5 --> 01:02.000 align:start") == ("00:01:02.500", "00:01:02.000")
    assert _cue_times("garbage") == (None, None)


def test_label_roles_param() -> None:
    params = section_from_dict({"label_roles": {"moderator": ["presiding judge"], "panelist": ["defendant"]}}, SegmentParams)
    words = params.label_roles.words()
    assert words["presiding judge"] == "moderator" and words["defendant"] == "panelist" and "chair" not in words
    with pytest.raises(InputError, match="under both"):
        section_from_dict({"label_roles": {"moderator": ["host"], "panelist": ["Host"]}}, SegmentParams)
    with pytest.raises(InputError, match="unknown parameter"):
        section_from_dict({"label_roles": {"judge": ["x"]}}, SegmentParams)


def test_statements_time_columns_are_optional_but_checked_when_present() -> None:
    import pandas as pd

    from pipeline.contract import STATEMENTS, ContractError, validate

    row = dict(report_id="r", statement_id="r:0001", seq=1, section="other", speaker="Ana", role="other",
               speaker_label="Ana", text="Hi.", line_start=1, line_end=1, page=None)
    without = validate(pd.DataFrame([row]), STATEMENTS, "s.csv")
    assert "start_time" not in without.columns
    timed = validate(pd.DataFrame([{**row, "start_time": "00:00:01.000", "end_time": None}]), STATEMENTS, "s.csv")
    columns = list(timed.columns)
    assert columns.index("end_time") == columns.index("start_time") + 1 > columns.index("page")
    with pytest.raises(ContractError, match="lacks column"):
        validate(pd.DataFrame([{k: v for k, v in row.items() if k != "text"}]), STATEMENTS, "s.csv")


def test_split_listed_people_only_when_every_part_speaks_in_the_body() -> None:
    from pipeline.segment.header import split_listed_people
    from pipeline.segment.names import Person

    listed = (Person("Maria Lopez", "panelist", "James Okafor, Ana Ruiz"), Person("Jane Doe", "panelist", "Oxfam"))
    speakers = frozenset({"james okafor", "ana ruiz", "jane doe"})
    assert split_listed_people(listed, speakers) == (
        Person("Maria Lopez", "panelist"), Person("James Okafor", "panelist"), Person("Ana Ruiz", "panelist"),
        Person("Jane Doe", "panelist", "Oxfam"),
    )
    # one part is no speaker's label: the entry stays a name and an affiliation
    assert split_listed_people(listed[:1], frozenset({"james okafor"})) == listed[:1]
