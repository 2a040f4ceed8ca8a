"""Write rules into the analyst's corrections file, keeping its comments and order (ruamel.yaml).

Used by `import-qda`: a statement's new rule replaces the rules already
written for it in the same section (matched by report and text hash), so
the file holds one rule per statement and `git diff` shows the change.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from pipeline.corrections.keys import StatementRef
from pipeline.corrections.rules import SECTIONS, parse_corrections
from pipeline.errors import InputError


def _yaml() -> YAML:
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.preserve_quotes = True
    return yaml


def _ref_map(ref: StatementRef) -> CommentedMap:
    out = CommentedMap([("report", ref.report), ("hash", DoubleQuotedScalarString(ref.hash))])  # all digits: still text
    if ref.line is not None:
        out["line"] = ref.line
    if ref.text:
        out["text"] = ref.text
    out.fa.set_flow_style()
    return out


def _same_statement(rule: object, ref: StatementRef) -> bool:
    if not isinstance(rule, dict) or not isinstance(rule.get("statement"), dict):
        return False
    st = rule["statement"]
    return str(st.get("report")) == ref.report and str(st.get("hash", "")).lower() == ref.hash


def update_rules(text: str, section: str, changes: Sequence[tuple[StatementRef, dict[str, object] | None]],
                 note: str = "") -> tuple[str, int, int]:
    """`text` (the corrections file) with each statement's rule in `section` replaced by the new one.

    A change of None removes the statement's rules (the analyst went back to
    the machine's answer). Returns the new text, rules written and rules removed.
    """
    if section not in SECTIONS:
        raise ValueError(section)
    yaml = _yaml()
    doc = yaml.load(text) if text.strip() else None
    if doc is None:
        doc = CommentedMap()
    rules = doc.get(section)
    if not rules:
        rules = CommentedSeq()
        doc[section] = rules
    written = removed = 0
    for ref, change in changes:
        for i in reversed(range(len(rules))):
            if _same_statement(rules[i], ref):
                del rules[i]
                removed += 1
        if change is None:
            continue
        rule = CommentedMap([("statement", _ref_map(ref))])
        for key, value in change.items():
            if isinstance(value, list):
                seq = CommentedSeq(value)
                seq.fa.set_flow_style()
                value = seq
            rule[key] = value
        if note:
            rule["note"] = note
        rules.append(rule)
        written += 1
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue(), written, removed


def write_rules(path: Path, section: str, changes: Sequence[tuple[StatementRef, dict[str, object] | None]],
                note: str = "") -> tuple[int, int]:
    """Update the corrections file at `path` in place; the result is checked before it is written."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    new, written, removed = update_rules(text, section, changes, note)
    import yaml as pyyaml

    parse_corrections(pyyaml.safe_load(new), path)  # never write a file the pipeline would refuse
    if new != text:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(new, encoding="utf-8")
        except OSError as exc:
            raise InputError(path, f"cannot write the corrections file: {exc.strerror or exc}") from None
    return written, removed
