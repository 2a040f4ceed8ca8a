"""spaCy's reading of a candidate name is computed once per pipeline and text, across reports."""

from __future__ import annotations

from pipeline.segment import name_entities
from pipeline.segment.names import Roster
from pipeline.segment.turns import NameJudge


class CountingPipeline:
    """The real pipeline, counting the texts it is called on."""

    def __init__(self, nlp):
        self.nlp, self.calls = nlp, []

    def __call__(self, text):
        self.calls.append(text)
        return self.nlp(text)


def test_a_name_is_read_once_for_every_report_that_writes_it(nlp):
    counting = CountingPipeline(nlp)
    for _ in range(3):  # a judge per report, as segment_report makes them
        judge = NameJudge(counting, Roster([]))
        assert judge.label("Hefin David") is not None
        assert judge.label("Social Economy") is None
    assert sorted(counting.calls) == ["Hefin David", "Social Economy"]


def test_the_reading_is_what_spacy_says(nlp):
    reading = name_entities.read_name(nlp, "Mexico City")
    assert reading.not_person and not reading.person_entity
    person = name_entities.read_name(nlp, "Kirsty Williams")
    assert person.person_entity and not person.not_person and person.all_proper_nouns


def test_a_pipeline_that_cannot_be_weakly_referenced_is_read_every_time(nlp):
    calls = []

    class NoWeakref:
        __slots__ = ()

        def __call__(self, text):
            calls.append(text)
            return nlp(text)

    for _ in range(2):
        name_entities.read_name(NoWeakref(), "Hefin David")
    assert calls == ["Hefin David", "Hefin David"]
