"""The codebook alone as a REFI-QDA codebook file (`.qdc`), both ways.

Export: each theme a top-level code with its description; what a `.qdc` has
no place for (the theme's id, seed phrases, examples, procedural flag)
follows the description after a `[session-themes]` line as YAML, and the
procedural themes also form a set named "Procedural", so a codebook sent
out and read back is the same codebook. Import of a codebook written in a
QDA tool: each top-level code is a theme (id from its name), its
description the theme's description (its name when it has none), the names
of its sub-codes its seed phrases beside its own name.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

import yaml
from lxml import etree

from pipeline.codebook import MIN_EXAMPLES, OTHER, Codebook
from pipeline.errors import InputError
from pipeline.qda import NS_CODEBOOK
from pipeline.qda.ids import guid, theme_guid
from pipeline.qda.project import OTHER_DESCRIPTION, theme_codes

log = logging.getLogger(__name__)
MARKER = "[session-themes]"
PROCEDURAL_SET = "Procedural"


def export_qdc(codebook: Codebook) -> bytes:
    """The codebook as `.qdc` XML (root CodeBook, namespace urn:QDA-XML:codebook:1.0)."""
    root = etree.Element(f"{{{NS_CODEBOOK}}}CodeBook", {"origin": f"session-themes codebook '{codebook.name}'"},
                         nsmap={None: NS_CODEBOOK})
    codes = etree.SubElement(root, f"{{{NS_CODEBOOK}}}Codes")
    descriptions = {t.id: _description(t) for t in codebook.themes}
    theme_codes(codes, codebook, NS_CODEBOOK, descriptions)
    if codebook.procedural_ids:
        sets = etree.SubElement(root, f"{{{NS_CODEBOOK}}}Sets")
        group = etree.SubElement(sets, f"{{{NS_CODEBOOK}}}Set", {"guid": guid("set", PROCEDURAL_SET), "name": PROCEDURAL_SET})
        etree.SubElement(group, f"{{{NS_CODEBOOK}}}Description").text = "Themes without substantive content (counted apart)."
        for theme_id in codebook.procedural_ids:
            etree.SubElement(group, f"{{{NS_CODEBOOK}}}MemberCode", {"targetGUID": theme_guid(theme_id)})
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True, standalone=True)


def _description(theme: Any) -> str:
    extra: dict[str, Any] = {"id": theme.id}
    if theme.procedural:
        extra["procedural"] = True
    if theme.seeds:
        extra["seeds"] = list(theme.seeds)
    if theme.examples:
        extra["examples"] = list(theme.examples)
    trailer = yaml.safe_dump(extra, sort_keys=False, allow_unicode=True, width=4096)
    return f"{theme.description}\n\n{MARKER}\n{trailer}"


def _local(el: Any) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kids(el: Any, name: str) -> list[Any]:
    return [c for c in el if _local(c) == name]


def slug(name: str) -> str:
    """A theme id from a code's name: ASCII, lower_snake_case, starting with a letter."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
    return out if out[:1].isalpha() else f"theme_{out}" if out else "theme"


def import_qdc(data: bytes, source: object, name: str = "") -> dict[str, Any]:
    """A codebook document (what codebooks/*.yaml hold) from `.qdc` bytes; errors name `source`."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise InputError(source, f"not well-formed XML ({exc.msg})") from None
    if _local(root) not in ("CodeBook", "Project"):
        raise InputError(source, f"the root element is <{_local(root)}>, not a REFI-QDA <CodeBook>")
    book = root if _local(root) == "CodeBook" else next(iter(_kids(root, "CodeBook")), None)
    codes = [c for cs in (_kids(book, "Codes") if book is not None else []) for c in _kids(cs, "Code")]
    if not codes:
        raise InputError(source, "no codes in the codebook")
    procedural_guids = {m.get("targetGUID", "").strip("{}").lower()
                        for sets in _kids(root, "Sets") for s in _kids(sets, "Set") if s.get("name", "").casefold() == "procedural"
                        for m in _kids(s, "MemberCode")}
    themes: list[dict[str, Any]] = []
    seen: set[str] = set()
    for code in codes:
        g = code.get("guid", "").strip("{}").lower()
        label = " ".join(code.get("name", "").split())
        if not label or g == theme_guid(OTHER):
            continue
        text = "".join(d.text or "" for d in _kids(code, "Description"))
        description, _, trailer = text.partition(MARKER)
        extra = yaml.safe_load(trailer) if trailer.strip() else {}
        extra = extra if isinstance(extra, dict) else {}
        if description.strip() == OTHER_DESCRIPTION:
            continue
        theme_id = str(extra.get("id") or slug(label))
        while theme_id in seen or theme_id == OTHER:
            theme_id += "_2"
        seen.add(theme_id)
        children = [" ".join(c.get("name", "").split()) for c in code.iter() if c is not code and _local(c) == "Code"]
        seeds = list(extra.get("seeds") or dict.fromkeys([label.casefold(), *[c.casefold() for c in children if c]]))
        theme: dict[str, Any] = {"id": theme_id, "name": label, "description": " ".join(description.split()) or label,
                                 "seeds": seeds}
        if extra.get("examples"):
            theme["examples"] = list(extra["examples"])
        if extra.get("procedural") or g in procedural_guids:
            theme["procedural"] = True
        if len(theme["seeds"]) + len(theme.get("examples", [])) < MIN_EXAMPLES:
            log.warning("%s: theme '%s' has %d seed phrase(s) and example(s); the pipeline needs %d: add some to the YAML",
                        source, theme_id, len(theme["seeds"]) + len(theme.get("examples", [])), MIN_EXAMPLES)
        themes.append(theme)
    origin = root.get("origin", "")
    match = re.search(r"codebook '([^']+)'", origin)
    return {"name": name or (match.group(1) if match else "imported"),
            "description": f"Imported from a REFI-QDA codebook ({origin or 'no origin given'}).", "themes": themes}


def codebook_yaml(doc: dict[str, Any]) -> str:
    """The codebook document as YAML, themes in the file's order."""
    head = "# Imported from a REFI-QDA codebook (.qdc) by `python -m pipeline import-qdc`.\n"
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
