"""What an analyst changed in a QDA tool: selections back to statements, codings to correction rules.

A selection names a statement by its GUID (the export keys it by report,
text hash and line), else by its exact character span, else by the
statement it overlaps most (at least half of either); when the tool changed
the source text, by the selected words (hash, then quoted text). Every
coding on a statement counts, whoever made it: deleting the pipeline's
coding removes the theme, adding one adds it. The rule written for a
statement is its analyst's themes against the machine's (`machine_themes`),
so it replaces any earlier rule for that statement instead of stacking on it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from pipeline.codebook import OTHER, Codebook
from pipeline.corrections.keys import StatementRef, locate, statement_hash
from pipeline.qda.ids import selection_guid, source_guid, speaker_guid, theme_guid
from pipeline.qda.project import SPEAKERS_FOLDER
from pipeline.qda.reading import QdaProject

log = logging.getLogger(__name__)
SEP = "; "
QUOTE_CHARS = 300


@dataclass
class Changes:
    themes: list[tuple[StatementRef, dict[str, object] | None]] = field(default_factory=list)  # None: back to the machine's
    speakers: list[tuple[StatementRef, dict[str, object]]] = field(default_factory=list)
    unknown_codes: list[str] = field(default_factory=list)
    unmatched_selections: int = 0
    uncoded: list[str] = field(default_factory=list)  # statements whose selection the tool dropped


def statement_ref(row: object) -> StatementRef:
    text = str(getattr(row, "text"))
    if len(text) > QUOTE_CHARS:
        text = text[:QUOTE_CHARS].rsplit(" ", 1)[0]
    return StatementRef(str(getattr(row, "report_id")), str(getattr(row, "text_hash")), int(getattr(row, "line_start")), text)


def theme_rule(machine: list[str], final: list[str]) -> dict[str, object] | None:
    """The rule that turns the machine's themes into the analyst's (None when they agree)."""
    if set(final) == set(machine):
        return None
    if machine and machine[0] in final:
        rule: dict[str, object] = {}
        also = [t for t in final if t not in machine]
        never = [t for t in machine if t not in final]
        if also:
            rule["also"] = also
        if never:
            rule["never"] = never
        return rule
    if final:
        rule = {"theme": final[0]}
        if final[1:]:
            rule["also"] = final[1:]
        return rule
    return {"theme": OTHER}


def _theme_of_codes(project: QdaProject, codebook: Codebook) -> dict[str, str]:
    by_guid = {theme_guid(t): t for t in (*codebook.ids, OTHER)}
    by_name = {codebook.display_name(t).casefold(): t for t in (*codebook.ids, OTHER)} | {t: t for t in (*codebook.ids, OTHER)}
    out = {}
    for code in project.codes.values():
        if code.guid in by_guid:
            out[code.guid] = by_guid[code.guid]
        elif code.folder != SPEAKERS_FOLDER and code.name.casefold() in by_name:
            out[code.guid] = by_name[code.name.casefold()]
    return out


def _speaker_of_codes(project: QdaProject, people: set[str]) -> dict[str, str]:
    by_guid = {speaker_guid(p): p for p in people}
    return {c.guid: by_guid.get(c.guid, c.name) for c in project.codes.values()
            if c.guid in by_guid or (c.folder == SPEAKERS_FOLDER and c.name != SPEAKERS_FOLDER)}


def project_changes(
    project: QdaProject,
    statements: pd.DataFrame,
    statement_themes: pd.DataFrame,
    codebook: Codebook,
    texts: Mapping[str, str],
    spans: Mapping[str, tuple[int, int]],
) -> Changes:
    """Compare the project's codings with the current tables.

    `statements` needs text_hash and source columns; `texts` is each report's
    source text as exported (report_id -> text); `spans` each statement's
    (start, end) in it.
    """
    changes = Changes()
    st = statements.set_index(statements["statement_id"].astype(str), drop=False)
    themed = statement_themes.set_index(statement_themes["statement_id"].astype(str))
    by_source = {source_guid(r): r for r in texts}
    guid_to_sid = {selection_guid(str(r.report_id), str(r.text_hash), int(r.line_start)): str(r.statement_id)
                   for r in st.itertuples(index=False)}
    themes_of = _theme_of_codes(project, codebook)
    speakers_of = _speaker_of_codes(project, {str(s) for s in st["speaker"] if str(s)})
    unknown: set[str] = set()
    final_themes: dict[str, list[str]] = {}
    final_speakers: dict[str, list[str]] = {}
    for sel in project.selections:
        report = by_source.get(sel.source) or _report_by_name(project.sources.get(sel.source, ("", ""))[0], texts)
        sid = _statement_of(sel, report, project, st, texts, spans, guid_to_sid)
        if sid is None:
            changes.unmatched_selections += 1
            continue
        for code, _user in sel.codes:
            if code in themes_of and themes_of[code] not in final_themes.setdefault(sid, []):
                final_themes[sid].append(themes_of[code])
            elif code in speakers_of and speakers_of[code] not in final_speakers.setdefault(sid, []):
                final_speakers[sid].append(speakers_of[code])
            elif code not in themes_of and code not in speakers_of:
                unknown.add(project.codes[code].name if code in project.codes else code)
        final_themes.setdefault(sid, [])
        final_speakers.setdefault(sid, [])
    changes.unknown_codes = sorted(unknown)
    changes.uncoded = _uncoded_statements(project, st, texts, by_source, final_themes)
    for sid in changes.uncoded:
        final_themes[sid] = []  # the tool dropped the selection with its last code: no theme left
    for sid in sorted(final_themes, key=lambda s: (str(st.at[s, "report_id"]), int(st.at[s, "seq"]))):
        row = st.loc[sid]
        if sid in themed.index:
            current = [t for t in str(themed.at[sid, "themes"]).split(SEP) if t and t != OTHER]
            final = [t for t in final_themes[sid] if t != OTHER] or []
            if set(final) != set(current):
                machine_col = "machine_themes" if "machine_themes" in themed.columns else "themes"
                machine = [t for t in str(themed.at[sid, machine_col]).split(SEP) if t and t != OTHER]
                changes.themes.append((statement_ref(row), theme_rule(machine, final)))
        if sid not in final_speakers:
            continue  # no selection left: its speaker is not the tool's to say
        people = final_speakers[sid]
        current_person = str(row["speaker"])
        if len(people) > 1:
            log.warning("%s has %d speaker codes (%s): not changed", sid, len(people), ", ".join(people))
        elif (people[0] if people else "") != current_person:
            changes.speakers.append((statement_ref(row), {"speaker": people[0] if people else ""}))
    return changes


def _uncoded_statements(project: QdaProject, st: pd.DataFrame, texts: Mapping[str, str], by_source: Mapping[str, str],
                        seen: Mapping[str, object]) -> list[str]:
    """Statements whose selection is gone from a source that still has the exported text and other selections.

    QDA tools drop a selection when its last code is removed. A source with
    no selection at all, or whose text changed, says nothing about them.
    """
    with_selections = {sel.source for sel in project.selections}
    out: list[str] = []
    for guid_, (name, text) in sorted(project.sources.items()):
        report = by_source.get(guid_) or _report_by_name(name, texts)
        if report is None:
            continue
        if guid_ not in with_selections:
            log.warning("source '%s' has no selection: its statements are left as they are", name)
            continue
        if text != texts[report]:
            continue
        mine = st[st["report_id"].astype(str) == report]
        out += [sid for sid in mine["statement_id"].astype(str) if sid not in seen]
    return out


def _report_by_name(name: str, texts: Mapping[str, str]) -> str | None:
    stem = name.rsplit(".", 1)[0]
    return stem if stem in texts else None


def _statement_of(sel, report, project, st, texts, spans, guid_to_sid) -> str | None:  # type: ignore[no-untyped-def]
    if sel.guid in guid_to_sid:
        return guid_to_sid[sel.guid]
    if report is None:
        return None
    mine = st[st["report_id"].astype(str) == report]
    their_text = project.sources.get(sel.source, ("", ""))[1]
    if their_text == texts[report]:
        best, best_share = None, 0.0
        for sid in mine["statement_id"].astype(str):
            start, end = spans[sid]
            if (start, end) == (sel.start, sel.end):
                return sid
            overlap = min(end, sel.end) - max(start, sel.start)
            if overlap > 0:
                share = max(overlap / max(end - start, 1), overlap / max(sel.end - sel.start, 1))
                if share > best_share:
                    best, best_share = sid, share
        return best if best_share >= 0.5 else None
    quoted = their_text[sel.start:sel.end]
    match = locate(StatementRef(report, statement_hash(quoted), None, quoted), mine)
    return match.statement_ids[0] if len(match.statement_ids) == 1 else None
