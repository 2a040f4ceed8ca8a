"""Deterministic GUIDs: the same statement, theme or speaker gets the same GUID on every export."""

from __future__ import annotations

import hashlib
import uuid

_NAMESPACE = uuid.UUID("6f1d2b9e-5c3a-5e8b-9a47-2f0c1d3e4b5a")
_PREFIX = hashlib.sha1(_NAMESPACE.bytes)  # uuid5 hashes the namespace's bytes, then the name's
_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))  # the version and variant bits, as uuid.UUID(version=5) sets them
_SET = (5 << 76) | (0x8000 << 48)
SEP = "\x1f"  # between the parts of a key


def guid(*parts: object) -> str:
    """A REFI-QDA GUID (uuid5) for a key such as ("theme", "financing").

    `str(uuid.uuid5(namespace, key))` computed without building a UUID object
    (an export makes one per statement and coding: hundreds of thousands).
    """
    return key_guid(SEP.join([str(p) for p in parts]))


def key_guid(key: str) -> str:
    """`guid(*parts)` for a key already joined with SEP."""
    h = _PREFIX.copy()
    h.update(key.encode("utf-8"))
    x = "%032x" % ((int.from_bytes(h.digest()[:16], "big") & _CLEAR) | _SET)
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def theme_guid(theme_id: str) -> str:
    return guid("theme", theme_id)


def speaker_guid(name: str) -> str:
    return guid("speaker", name)


def source_guid(report_id: str) -> str:
    return guid("source", report_id)


def selection_guid(report_id: str, text_hash: str, line_start: int) -> str:
    """Keyed like a correction rule (report, text hash, line), never by row number."""
    return guid("selection", report_id, text_hash, line_start)
