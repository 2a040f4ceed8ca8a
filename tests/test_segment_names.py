"""Name cleaning and resolution to the header roster: each rule on a few names written for it."""

from __future__ import annotations

import pytest

from pipeline.segment.names import Person, Roster, clean_name, has_name_shape, name_tokens, strip_titles

ROSTER = Roster(
    (
        Person("Ana Lucía Ferreira Soto", "moderator"),
        Person("Kwame Mensah-Boateng", "keynote", "Ghana Co-operative Council"),
        Person("Hélène Dubois Martin", "panelist"),
        Person("Pedro Gómez", "panelist"),
    ),
    fuzzy_threshold=0.85,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Kwame Mensah- Boateng", "Kwame Mensah-Boateng"),  # PDF space after a hyphen
        ("Panelist Deputy. Hélène Dubois", "Hélène Dubois"),  # stacked titles
        ("Dra. Ana Lucía", "Ana Lucía"),
        ("ILO- Kwame MENSAH", "Kwame Mensah"),  # organisation prefix, capitals
        ("UNDP - Pedro Gómez (Colombia)", "Pedro Gómez"),
        ("admon2", "admon2"),
        ("María de la Cruz", "María de la Cruz"),
    ],
)
def test_clean_name(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


def test_strip_titles_keeps_a_lone_word() -> None:
    assert strip_titles("Dr.") == "Dr."
    assert strip_titles("Mtra. Lic. Rosa") == "Rosa"


def test_name_tokens_fold_accents_and_split_hyphens() -> None:
    assert name_tokens("Hélène Mensah-BOATENG") == ("helene", "mensah", "boateng")


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Kwame Mensah-Boateng", "Kwame Mensah-Boateng"),  # exact
        ("KWAME MENSAH- BOATENG", "Kwame Mensah-Boateng"),  # case and PDF hyphen
        ("Helene Dubois", "Hélène Dubois Martin"),  # accents, first name + first surname
        ("Ana Soto", "Ana Lucía Ferreira Soto"),  # first name + a later surname, in order
        ("Kwame", "Kwame Mensah-Boateng"),  # first name alone, unique
        ("Dip. Hélène", "Hélène Dubois Martin"),  # title + first name
        ("Gómez", "Pedro Gómez"),  # surname alone, unique
        ("Pedro Gomes", "Pedro Gómez"),  # fuzzy
        ("Panelist Pedro Gómez", "Pedro Gómez"),
    ],
)
def test_resolve_to_roster(label: str, expected: str) -> None:
    person = ROSTER.resolve(label)
    assert person is not None and person.name == expected


@pytest.mark.parametrize("label", ["Pedro Martínez", "Juan", "Ana Gómez", "de", "", "Dr."])
def test_resolve_refuses_people_not_listed_or_ambiguous(label: str) -> None:
    assert ROSTER.resolve(label) is None


def test_a_first_name_shared_by_two_listed_people_is_ambiguous() -> None:
    roster = Roster((Person("Ana Ruiz", "panelist"), Person("Ana Pérez", "keynote")))
    assert roster.resolve("Ana") is None
    assert roster.resolve("Ana Pérez").name == "Ana Pérez"


def test_fuzzy_threshold_is_a_parameter() -> None:
    strict = Roster(ROSTER.people, fuzzy_threshold=0.99)
    assert strict.resolve("Pedro Gomes") is None


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("María de la Ángeles", True),
        ("Juan Manuel", True),
        ("Dip. Soraya", True),
        ("Task to legislators", False),
        ("the government side", False),
        ("Session 3", False),
        ("A B C D E F G", False),
    ],
)
def test_has_name_shape(text: str, shape: bool) -> None:
    assert has_name_shape(text) is shape


def test_inline_markup_is_stripped_from_text():
    from pipeline.segment.normalise import strip_inline_markup

    assert strip_inline_markup("see <u>http://a.org/x</u> and <B>this</B>") == "see http://a.org/x and this"
    assert strip_inline_markup("a < b and c > d") == "a < b and c > d"
