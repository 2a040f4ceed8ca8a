"""Read a REFI-QDA project back: its sources, selections, codes and who coded what.

Tolerant of what the tools write: elements are matched by local name (any
namespace prefix), a source's text comes from `sources/` in the archive or
from `PlainTextContent`, and codings on whole sources are ignored (only
selections name statements).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from pipeline.errors import InputError


@dataclass(frozen=True)
class Selection:
    guid: str
    source: str  # the source's guid
    start: int
    end: int
    codes: tuple[tuple[str, str], ...]  # (code guid, creating user guid)


@dataclass(frozen=True)
class Code:
    guid: str
    name: str
    folder: str  # the name of the top-level code it sits under ("" at top level)


@dataclass
class QdaProject:
    sources: dict[str, tuple[str, str]] = field(default_factory=dict)  # guid -> (name, text)
    selections: list[Selection] = field(default_factory=list)
    codes: dict[str, Code] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # guid -> name


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if _local(c) == name]


def _walk_codes(parent: etree._Element, folder: str, out: dict[str, Code]) -> None:
    for code in _children(parent, "Code"):
        g, name = code.get("guid", "").strip("{}").lower(), code.get("name", "")
        out[g] = Code(g, name, folder)
        _walk_codes(code, folder or name, out)


def read_qdpx(path: str | Path) -> QdaProject:
    """Parse the .qdpx at `path`; a file that is not a REFI-QDA project is a one-line error."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            qde = [n for n in names if n.lower().endswith(".qde")]
            if not qde:
                raise InputError(path, "no project.qde inside: not a REFI-QDA project (.qdpx)")
            root = etree.fromstring(zf.read(qde[0]), etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
            files = {n.split("/", 1)[1]: n for n in names if n.startswith("sources/") and not n.endswith("/")}
            return _parse(root, lambda uri: zf.read(files[uri]).decode("utf-8-sig") if uri in files else None, path)
    except FileNotFoundError:
        raise InputError(path, "file not found") from None
    except zipfile.BadZipFile:
        raise InputError(path, "not a zip archive: a .qdpx project is project.qde and sources/ zipped") from None
    except etree.XMLSyntaxError as exc:
        raise InputError(path, f"project.qde is not well-formed XML ({exc.msg})") from None


def _parse(root: etree._Element, read_source, path: Path) -> QdaProject:  # type: ignore[no-untyped-def]
    if _local(root) != "Project":
        raise InputError(path, f"the root element is <{_local(root)}>, not a REFI-QDA <Project>")
    project = QdaProject()
    for users in _children(root, "Users"):
        for user in _children(users, "User"):
            project.users[user.get("guid", "").strip("{}").lower()] = user.get("name", "")
    for book in _children(root, "CodeBook"):
        for codes in _children(book, "Codes"):
            _walk_codes(codes, "", project.codes)
    for sources in _children(root, "Sources"):
        for src in _children(sources, "TextSource"):
            g = src.get("guid", "").strip("{}").lower()
            content = _children(src, "PlainTextContent")
            uri = src.get("plainTextPath", "")
            text = content[0].text or "" if content else read_source(uri.split("://", 1)[-1]) if uri else None
            if text is None:
                raise InputError(path, f"source '{src.get('name', g)}': its text ({uri or 'no plainTextPath'}) is not in the archive")
            project.sources[g] = (src.get("name", ""), text)
            for sel in _children(src, "PlainTextSelection"):
                codes = tuple(
                    (ref.get("targetGUID", "").strip("{}").lower(), coding.get("creatingUser", "").strip("{}").lower())
                    for coding in _children(sel, "Coding") for ref in _children(coding, "CodeRef")
                )
                try:
                    start, end = int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))
                except ValueError:
                    raise InputError(path, f"selection {sel.get('guid')} has no integer startPosition/endPosition") from None
                project.selections.append(Selection(sel.get("guid", "").strip("{}").lower(), g, start, end, codes))
    return project
