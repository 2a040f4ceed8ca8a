"""Speaker labels, "From X:" chat lines and several turns in one bullet (real spaCy: slow)."""

from __future__ import annotations

import pytest

from pipeline.segment.names import Person, Roster
from pipeline.segment.turns import NameJudge, chat_turn, inline_turns, label_only

pytestmark = pytest.mark.slow

ROSTER = Roster((Person("Kwame Mensah-Boateng", "keynote"), Person("Hélène Dubois Martin", "panelist")))


@pytest.fixture(scope="module")
def judge(nlp) -> NameJudge:
    return NameJudge(nlp, ROSTER)


@pytest.mark.parametrize(
    ("line", "who"),
    [
        ("María de la Cruz:", "María de la Cruz"),  # not in the roster: spaCy reads proper nouns
        ("Juan Manuel:", "Juan Manuel"),
        ("Dip. Hélène:", "Dip. Hélène"),
        ("- Kwame Mensah- Boateng:", "Kwame Mensah- Boateng"),
        ("Relevant ideas and key points:", None),
        ("With the cooperation of:", None),
        ("Social Economy:", None),  # an organisation-like phrase, not a person
        ("Kwame: text after", None),  # text after the colon: not a label on its own
    ],
)
def test_label_only(judge: NameJudge, line: str, who: str | None) -> None:
    assert label_only(line, judge) == who


@pytest.mark.parametrize(
    ("line", "who", "text"),
    [
        ("- From Deputy Hélène Dubois: Thank you.", "Deputy Hélène Dubois", "Thank you."),
        ("From Edgar: Edgar Tun, for the strengthening", "Edgar", "Edgar Tun, for the strengthening"),
        ("From OECD- Antonella NOYA: Good morning", "OECD- Antonella NOYA", "Good morning"),
        ("- From admon2: You could give participation", "admon2", "You could give participation"),
    ],
)
def test_chat_turn(judge: NameJudge, line: str, who: str, text: str) -> None:
    turn = chat_turn(line, judge)
    assert turn is not None and (turn.who, turn.text, turn.chat) == (who, text, True)


@pytest.mark.parametrize(
    "line",
    [
        "From the government side: we need more money.",
        "From Europe: a lesson in cooperation.",
        "- From what we heard: the law must change.",
        "Frome Anna: typo is not a chat line",
    ],
)
def test_sentences_starting_with_from_are_not_chat(judge: NameJudge, line: str) -> None:
    assert chat_turn(line, judge) is None


def test_inline_turns_split_question_and_answer(judge: NameJudge) -> None:
    turns = inline_turns("Dip. Hélène pregunta: Financing for cooperatives? Kwame: through funds: integrate society.", judge)
    assert [(t.who, t.text) for t in turns] == [
        ("Dip. Hélène", "Financing for cooperatives?"),
        ("Kwame", "through funds: integrate society."),
    ]


def test_inline_turns_english_verb_and_leading_text(judge: NameJudge) -> None:
    turns = inline_turns("Good session. Hélène Dubois asks: what next?", judge)
    assert [(t.who, t.text) for t in turns] == [("", "Good session."), ("Hélène Dubois", "what next?")]


@pytest.mark.parametrize(
    "text",
    [
        "Task to legislators: change the law, rebuild.",
        "The SSE in Quebec: 11,200 companies.",
        "Local development: social cohesion: economy rooted in the local.",
        "Cooperativism: the perfect vehicle.",
    ],
)
def test_colons_inside_statements_are_not_turns(judge: NameJudge, text: str) -> None:
    assert [(t.who, t.text) for t in inline_turns(text, judge)] == [("", text)]
