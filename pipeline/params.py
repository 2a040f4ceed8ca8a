"""Each stage reads its own section of params.yaml into a frozen dataclass."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, TypeVar

import yaml

from pipeline.errors import InputError

T = TypeVar("T")


def section_from_dict(raw: dict[str, Any], cls: type[T], *, source: str = "params") -> T:
    """Build `cls` (a frozen dataclass) from a mapping, rejecting unknown keys.

    Nested dataclass fields are built recursively; lists become tuples so the
    result stays hashable and immutable.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise InputError(source, f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    hints = _resolved_hints(cls)
    kwargs: dict[str, Any] = {}
    for name, value in raw.items():
        hint = hints.get(name)
        if dataclasses.is_dataclass(hint) and isinstance(value, dict):
            value = section_from_dict(value, hint, source=f"{source}.{name}")
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[name] = value
    return cls(**kwargs)


def load_section(path: str | Path, section: str, cls: type[T]) -> T:
    """Read `section` of the YAML file at `path` into `cls`."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InputError(path, "parameters file not found") from None
    except yaml.YAMLError as exc:
        raise InputError(path, f"not valid YAML ({exc.__class__.__name__})") from None
    raw = data.get(section, {}) or {}
    if not isinstance(raw, dict):
        raise InputError(path, f"section '{section}' must be a mapping")
    return section_from_dict(raw, cls, source=f"{path}:{section}")


def _resolved_hints(cls: type) -> dict[str, Any]:
    import typing

    try:
        return typing.get_type_hints(cls)
    except Exception:  # pragma: no cover - unresolvable forward refs
        return {}
