"""Deterministic GUIDs: the same statement, theme or speaker gets the same GUID on every export."""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("6f1d2b9e-5c3a-5e8b-9a47-2f0c1d3e4b5a")


def guid(*parts: object) -> str:
    """A REFI-QDA GUID (uuid5) for a key such as ("theme", "financing")."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(str(p) for p in parts)))


def theme_guid(theme_id: str) -> str:
    return guid("theme", theme_id)


def speaker_guid(name: str) -> str:
    return guid("speaker", name)


def source_guid(report_id: str) -> str:
    return guid("source", report_id)


def selection_guid(report_id: str, text_hash: str, line_start: int) -> str:
    """Keyed like a correction rule (report, text hash, line), never by row number."""
    return guid("selection", report_id, text_hash, line_start)
