"""Which theme columns a table has, in which order, and which count as substantive.

Analysts read theme tables left to right in the codebook's order, with `other`
(substantive, but no theme fits) after the codebook themes and the procedural
themes (greetings, thanks, logistics) last. Shares are taken over substantive
statements only, so a long welcome does not dilute what a speaker argued.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from pipeline.errors import ContractError

OTHER = "other"
DEFAULT_PROCEDURAL = ("procedural",)


@dataclass(frozen=True)
class ThemeColumns:
    """Theme ids in table order: substantive codebook themes, `other`, procedural ones."""

    substantive: tuple[str, ...]
    procedural: tuple[str, ...] = DEFAULT_PROCEDURAL

    @classmethod
    def from_ids(cls, themes_order: Iterable[str], *, procedural: Iterable[str] = DEFAULT_PROCEDURAL) -> ThemeColumns:
        """Split codebook ids (in codebook order) into substantive and procedural ones.

        `other` may or may not be listed: it is always placed after the codebook themes.
        Procedural ids not in `themes_order` are still counted apart (a corpus
        codebook such as CAP's simply has none in its data).
        """
        ids = list(dict.fromkeys(themes_order))
        proc = tuple(dict.fromkeys(procedural))
        return cls(
            substantive=tuple(t for t in ids if t != OTHER and t not in proc),
            procedural=proc,
        )

    @classmethod
    def from_codebook(cls, codebook: object) -> ThemeColumns:
        """Columns for a `pipeline.codebook.Codebook` (its `ids` and `procedural_ids`)."""
        return cls.from_ids(codebook.ids, procedural=codebook.procedural_ids)  # type: ignore[attr-defined]

    @property
    def share_columns(self) -> tuple[str, ...]:
        """The themes whose shares sum to 1: codebook themes, then `other`."""
        return (*self.substantive, OTHER)

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.share_columns, *self.procedural)

    def is_procedural(self, themes: pd.Series) -> pd.Series:
        return themes.isin(self.procedural)

    def check(self, themes: Sequence[str] | pd.Series, source: object) -> None:
        """Refuse a theme the codebook does not know: it would vanish from the wide tables."""
        unknown = sorted(set(map(str, themes)) - set(self.columns))
        if unknown:
            raise ContractError(
                source,
                f"column 'theme' has value(s) {', '.join(map(repr, unknown[:5]))} not in the codebook "
                f"(known: {', '.join(self.columns)})",
            )
