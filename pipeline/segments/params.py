"""The `segments` section of params.yaml, as a frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SegmentsParams:
    # price of one boundary, as a multiple of the best cut's gain in the report's statements shuffled
    # (`shuffles` random orders), once the report has passed the change test; higher -> fewer, longer segments
    penalty: float = 0.9
    # the change test: a report is cut at all only if it has a boundary at this multiple of the same price
    # (1 = its best cut beats every shuffled order); a session without a change of subject stays one segment
    change_test: float = 1.0
    # random orders of the report's statements that calibrate the boundary price, and their seed
    shuffles: int = 10
    seed: int = 0
    # fewest statements in a segment (a report shorter than this is one segment)
    min_statements: int = 3
    # each statement vector is averaged with this many neighbours on either side before cutting
    smoothing_window: int = 1
    # subtract the report's mean vector first (what the whole session shares weighs less)
    centre: bool = True
    # weight of who speaks beside what is said (one-hot speaker columns; 0 = content alone)
    speaker_weight: float = 0.6
    # weigh statements by log(1 + words), so one-line interjections count less than speeches
    length_weighting: bool = True
    # words in a segment's readable label (c-TF-IDF over the corpus's segments)
    label_words: int = 3
    # longest word n-gram a label may use
    label_ngram_max: int = 2
    # stop words left out of labels: "english" or "" for none
    label_stop_words: str = "english"
    # leave the words of the speakers' names out of labels ("Thank you, Ms Shin" is not a subject)
    label_skip_speaker_names: bool = True
    # further words no label names: the courtesies and forms of address of meetings
    label_skip_words: tuple[str, ...] = ()
    # processes that cut reports side by side (1: in the stage's process); output identical either way
    workers: int = 1

    def __post_init__(self) -> None:
        for name in ("penalty", "change_test"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"segments.{name} must be a number >= 0, got {value!r}")
        for name in ("min_statements", "label_words", "label_ngram_max", "shuffles", "workers"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"segments.{name} must be a whole number >= 1, got {value!r}")
        if not isinstance(self.smoothing_window, int) or isinstance(self.smoothing_window, bool) or self.smoothing_window < 0:
            raise ValueError(f"segments.smoothing_window must be a whole number >= 0, got {self.smoothing_window!r}")
        if not isinstance(self.speaker_weight, (int, float)) or isinstance(self.speaker_weight, bool) \
                or self.speaker_weight < 0:
            raise ValueError(f"segments.speaker_weight must be a number >= 0, got {self.speaker_weight!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ValueError(f"segments.seed must be a whole number, got {self.seed!r}")
        if not isinstance(self.centre, bool):
            raise ValueError(f"segments.centre must be true or false, got {self.centre!r}")
        if not isinstance(self.label_skip_speaker_names, bool):
            raise ValueError(
                f"segments.label_skip_speaker_names must be true or false, got {self.label_skip_speaker_names!r}"
            )
        if not isinstance(self.length_weighting, bool):
            raise ValueError(f"segments.length_weighting must be true or false, got {self.length_weighting!r}")
        if self.label_stop_words not in ("english", ""):
            raise ValueError(f"segments.label_stop_words must be 'english' or '', got {self.label_stop_words!r}")
