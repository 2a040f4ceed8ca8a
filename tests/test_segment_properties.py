"""Property-based tests of the segmenter on generated reports (hypothesis; real spaCy: slow).

Generated reports have a header, sections, speaker labels, bullets, chat lines,
and furniture dropped anywhere: a running footer, lone page numbers, blank
lines. Whatever the mix, the segmenter must not crash, must account for every
line exactly once, must keep every bullet's words, and must keep furniture out
of the statements.
"""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import InputError
from pipeline.segment.lines import SourceLine
from pipeline.segment.segmenter import SegmentParams, segment_report

pytestmark = pytest.mark.slow

PEOPLE = ["Laura Gómez Ibarra", "Tomás Okafor", "Ingrid Lindqvist", "Rafael Nuñez Prado"]
HEADINGS = ["Relevant ideas and key points:", "Comentarios del público:", "Spoken comments:", "Conclusiones:"]
WORDS = "cooperative members need fair credit rules and local markets for the solidarity economy to grow".split()
FOOTER = "Printed with support of the Regional Development Agency"

sentences = st.lists(st.sampled_from(WORDS), min_size=3, max_size=12).map(lambda ws: " ".join(ws).capitalize() + ".")
# Furniture as PDF extraction leaves it in text: on lines of its own between blank lines.
furniture = st.sampled_from(["", FOOTER, "7", "Page 3"]).map(lambda text: ["", text, ""])


@st.composite
def reports(draw) -> tuple[list[str], list[str]]:
    """(lines, bullet texts) of a generated report."""
    lines = [
        "Report Session 2 March 4, 2021 10:00-11:00 hrs.",
        "",
        "A generated session",
        "",
        f"Name of the moderator: {PEOPLE[0]}",
        "Name of panelists/commentators:",
        *[f"• {name}, Some Institute." for name in PEOPLE[1:]],
        "",
    ]
    bullets: list[str] = []
    for heading in draw(st.lists(st.sampled_from(HEADINGS), min_size=1, max_size=4)):
        lines.append(heading)
        for _ in range(draw(st.integers(1, 3))):
            who = draw(st.sampled_from(PEOPLE))
            form = draw(st.sampled_from(["label", "short", "chat"]))
            if form == "chat":
                text = draw(sentences)
                lines.append(f"- From {who.split()[0]} {who.split()[1]}: {text}")
                bullets.append(text)
                continue
            lines.append(f"{who if form == 'label' else who.split()[0]}:")
            for _ in range(draw(st.integers(1, 3))):
                if draw(st.booleans()):
                    lines.extend(draw(furniture))
                text = draw(sentences)
                lines.append(f"{draw(st.sampled_from(['-', '•', '–', '*']))} {text}")
                bullets.append(text)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(9, len(lines)))
        lines[at:at] = draw(furniture)
    if draw(st.booleans()):
        lines += ["", FOOTER, "", "9"]
    return lines, bullets


def _source(lines: list[str]) -> list[SourceLine]:
    return [SourceLine(i + 1, text) for i, text in enumerate(lines)]


def _check_accounting(result, n_lines: int) -> None:
    in_statements = {n for lines in result.statement_lines for n in lines}
    dropped = result.dropped["line_no"].tolist()
    assert len(dropped) == len(set(dropped))
    assert in_statements.isdisjoint(dropped)
    assert in_statements | set(dropped) == set(range(1, n_lines + 1))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports())
def test_generated_reports(nlp, report) -> None:
    lines, bullets = report
    result = segment_report("gen", _source(lines), nlp=nlp, params=SegmentParams())
    _check_accounting(result, len(lines))
    texts = " ".join(result.statements["text"])
    for bullet in bullets:
        assert bullet in texts
    assert set(result.statements["speaker"]) - {""} <= set(PEOPLE)
    if lines.count(FOOTER) != 1:  # a footer seen once is text (params: min_footer_repeats = 2)
        assert "Regional Development Agency" not in texts
        assert (result.statements["role"] != "other").all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=40), max_size=25))
def test_arbitrary_lines_never_crash(nlp, raw_lines) -> None:
    lines = ["Ana Ruiz:", *raw_lines]
    try:
        result = segment_report("any", _source(lines), nlp=nlp, params=SegmentParams())
    except InputError as exc:
        assert "no recognisable speaker" in exc.problem
        return
    _check_accounting(result, len(lines))


# Speaker labels of every convention: role word, title, name, post-nominal, (nested) aside; on
# their own line, at the start of a paragraph, or in transcript cues.
NAMES = ["Laura Gómez Ibarra", "Tomás Okafor", "Nicola Edwards", "Hefin David", "Chris d'Entremont", "Marie-Claude Bibeau"]
TITLES = ["", "Mr.", "Ms.", "Dr.", "Hon.", "Professor", "Right Hon."]
POSTNOMINALS = ["", "AM", "MP", "MS"]
ASIDES = ["", "(ILO)", "(Vancouver East, NDP)", "(Minister of Health)", "(Université de Lyon (France))"]


@st.composite
def labelled_turns(draw) -> tuple[str, list[tuple[str, str, str]]]:
    """(layout, [(label, person, text)]): each person keeps one label form, speaks twice or more, and
    the chair is named once ("The Chair (Hon. X (Riding, Lib.))") and then written "The Chair"."""
    layout = draw(st.sampled_from(["own_line", "paragraph", "cue"]))
    people = draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=4, unique=True))
    chair = people[0]
    forms = {
        person: " ".join(
            part
            for part in (draw(st.sampled_from(TITLES)), person, draw(st.sampled_from(POSTNOMINALS)), draw(st.sampled_from(ASIDES)))
            if part
        )
        for person in people[1:]
    }
    order = draw(st.permutations(people[1:] * 2))
    turns = [(f"The Chair (Hon. {chair} (Nipissing—Timiskaming, Lib.))", chair, draw(sentences))]
    for person in order:
        if turns[-1][1] == person:
            turns.append(("The Chair", chair, draw(sentences)))
        turns.append((forms[person], person, " ".join(draw(st.lists(sentences, min_size=1, max_size=3)))))
    return layout, turns


def _render(layout: str, turns: list[tuple[str, str, str]]) -> list[str]:
    lines = ["Committee meeting", ""]
    for label, _, text in turns:
        if layout == "own_line":
            lines += [f"{label}:", *textwrap.wrap(text, 50), ""]
        elif layout == "paragraph":
            lines += [f"{label}: {text}", ""]
        else:  # short cues, one after the other, each with the label
            words = text.split()
            lines += [f"{label}: {' '.join(words[i:i + 5])}" for i in range(0, len(words), 5)]
    return lines


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(labelled_turns())
def test_labels_of_every_convention(nlp, generated) -> None:
    layout, turns = generated
    lines = _render(layout, turns)
    result = segment_report("labels", _source(lines), nlp=nlp, params=SegmentParams())
    _check_accounting(result, len(lines))
    statements = result.statements
    assert list(statements["speaker"]) == [person for _, person, _ in turns]  # one statement per turn, the right person
    assert [" ".join(text.split()) for text in statements["text"]] == [text for _, _, text in turns]  # no word lost
    roles = dict(zip(statements["speaker"], statements["role"]))
    assert roles[turns[0][1]] == "moderator"
    assert {roles[person] for _, person, _ in turns[1:] if person != turns[0][1]} <= {"other"}


def test_a_caption_is_measured_without_its_label(nlp) -> None:
    """Found by the property test above: a long label ("Name AM (University (Country))") counted
    towards the caption's dozen words, so the speaker's next caption became a statement of its own."""
    label = "Laura Gómez Ibarra AM (Université de Lyon (France))"
    turns = [("The Chair (Hon. Tomás Okafor (Nipissing—Timiskaming, Lib.))", "Tomás Okafor", "Cooperative cooperative cooperative."),
             ("Nicola Edwards", "Nicola Edwards", "Cooperative cooperative cooperative."),
             (label, "Laura Gómez Ibarra", "Cooperative cooperative cooperative."),
             ("Nicola Edwards", "Nicola Edwards", "Cooperative cooperative cooperative."),
             (label, "Laura Gómez Ibarra", "Cooperative cooperative cooperative cooperative cooperative. Cooperative cooperative cooperative.")]
    result = segment_report("labels", _source(_render("cue", turns)), nlp=nlp, params=SegmentParams())
    assert list(result.statements["speaker"]) == [person for _, person, _ in turns]
