"""The analyst's codebook: the themes statements are named by.

A codebook is a YAML file an analyst edits by hand, so every mistake in it
must come back as one line naming the file and the theme at fault, never as a
KeyError three stages later. Format::

    name: sse                      # short name of the codebook
    description: ...               # optional, free text
    themes:
      - id: financing              # lower_snake_case, unique, not "other"
        name: Financing            # what tables and reports show
        description: >-            # one or two sentences: what belongs here
          Credit, loans, ...
        seeds: [credit, loans]     # short seed phrases (optional)
        examples:                  # example statements written for the theme
          - "Cooperatives cannot get loans without collateral."
        procedural: false          # true: no substantive content (counted apart)

Each theme needs a description and at least `MIN_EXAMPLES` seed phrases and
examples together: they are what the theme classifier learns the theme from.
`other` is reserved for statements that no theme fits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


from pipeline.errors import InputError

OTHER = "other"
MIN_EXAMPLES = 3
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_THEME_KEYS = {"id", "name", "description", "seeds", "examples", "procedural"}


@dataclass(frozen=True)
class Theme:
    id: str
    name: str
    description: str
    seeds: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    procedural: bool = False

    def training_texts(self) -> tuple[str, ...]:
        """Every text that speaks for the theme: description, seeds, examples."""
        return (self.description, *self.seeds, *self.examples)


@dataclass(frozen=True)
class Codebook:
    name: str
    themes: tuple[Theme, ...]
    description: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.themes)

    @property
    def procedural_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.themes if t.procedural)

    def theme(self, theme_id: str) -> Theme:
        for t in self.themes:
            if t.id == theme_id:
                return t
        raise KeyError(theme_id)

    def display_name(self, theme_id: str) -> str:
        """The theme's name, or "Other" for the reserved fallback id."""
        if theme_id == OTHER:
            return "Other (no theme fits)"
        return self.theme(theme_id).name


def parse_codebook(data: Any, source: object = "codebook") -> Codebook:
    """Check a parsed YAML document and build the Codebook; errors name `source`."""
    if not isinstance(data, dict):
        raise InputError(source, "a codebook must be a mapping with a 'themes' list")
    themes_raw = data.get("themes")
    if not isinstance(themes_raw, list) or not themes_raw:
        raise InputError(source, "the codebook needs a non-empty 'themes' list")
    themes: list[Theme] = []
    seen: set[str] = set()
    for i, raw in enumerate(themes_raw, start=1):
        themes.append(_parse_theme(raw, i, source))
        if themes[-1].id in seen:
            raise InputError(source, f"theme id '{themes[-1].id}' is used more than once")
        seen.add(themes[-1].id)
    names = [t.name.casefold() for t in themes]
    dup_names = sorted({n for n in names if names.count(n) > 1})
    if dup_names:
        raise InputError(source, f"theme name '{dup_names[0]}' is used more than once")
    name = data.get("name", "")
    if not isinstance(name, str):
        raise InputError(source, "'name' must be text")
    description = data.get("description", "") or ""
    return Codebook(name=name, themes=tuple(themes), description=str(description).strip())


def load_codebook(path: str | Path) -> Codebook:
    """Read and check the codebook YAML at `path`."""
    from pipeline.params import read_yaml

    return parse_codebook(read_yaml(path, "codebook file"), Path(path))


def _parse_theme(raw: Any, index: int, source: object) -> Theme:
    if not isinstance(raw, dict):
        raise InputError(source, f"theme #{index} must be a mapping with id, name, description")
    theme_id = raw.get("id")
    label = f"theme #{index}" if not isinstance(theme_id, str) else f"theme '{theme_id}'"
    unknown = sorted(set(raw) - _THEME_KEYS)
    if unknown:
        raise InputError(source, f"{label} has unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_THEME_KEYS))}")
    if not isinstance(theme_id, str) or not _ID_RE.match(theme_id):
        raise InputError(source, f"{label}: 'id' must be lower_snake_case text (a-z, 0-9, _)")
    if theme_id == OTHER:
        raise InputError(source, f"{label}: the id '{OTHER}' is reserved for statements no theme fits")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(source, f"{label} needs a 'name'")
    description = raw.get("description")
    if not isinstance(description, str) or not description.strip():
        raise InputError(source, f"{label} needs a 'description'")
    seeds = _text_list(raw.get("seeds"), f"{label}: 'seeds'", source)
    examples = _text_list(raw.get("examples"), f"{label}: 'examples'", source)
    if len(seeds) + len(examples) < MIN_EXAMPLES:
        raise InputError(source, f"{label} needs at least {MIN_EXAMPLES} seed phrases and examples together")
    procedural = raw.get("procedural", False)
    if not isinstance(procedural, bool):
        raise InputError(source, f"{label}: 'procedural' must be true or false")
    return Theme(
        id=theme_id,
        name=name.strip(),
        description=" ".join(description.split()),
        seeds=seeds,
        examples=examples,
        procedural=procedural,
    )


def _text_list(value: Any, what: str, source: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(source, f"{what} must be a list of non-empty texts")
    texts = tuple(" ".join(v.split()) for v in value)
    dup = sorted({t for t in texts if texts.count(t) > 1})
    if dup:
        raise InputError(source, f"{what} repeats '{dup[0]}'")
    return texts
