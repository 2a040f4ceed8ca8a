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


def read_yaml(path: str | Path, what: str, *, missing: str = "") -> Any:
    """The parsed YAML file at `path`; a one-line InputError naming `what` when it is missing or unreadable."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, f"{what} not found{missing}") from None
    except UnicodeDecodeError:
        raise InputError(path, f"{what} is not UTF-8 text") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" near line {where.line + 1}" if where is not None else ""
        raise InputError(path, f"{what} is not valid YAML{line}") from None


def load_section(path: str | Path, section: str, cls: type[T]) -> T:
    """Read `section` of the YAML file at `path` into `cls`."""
    path = Path(path)
    data = read_yaml(path, "parameters file") or {}
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
