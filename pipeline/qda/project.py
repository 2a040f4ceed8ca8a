"""Build a REFI-QDA project (`project.qde` and its sources) from the pipeline's tables.

Sources: each report's text as read, a plain-text source. Selections: each
statement, by character offsets into that text. Codes: the codebook's themes
(with descriptions, under a "Themes" folder) and one code per speaker (under
"Speakers"). Cases: each person per report, with the variables role,
affiliation, report and date. Codings: the machine's, made by a user named
for the pipeline, its version and model, so an analyst reviews them apart
from their own; a theme the analyst's corrections file added is coded by a
second user, "analyst (corrections file)".
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lxml import etree

from pipeline.codebook import OTHER, Codebook
from pipeline.qda import NS_PROJECT
from pipeline.qda.ids import SEP, guid, key_guid, selection_guid, source_guid, speaker_guid, theme_guid
from pipeline.qda.offsets import source_text, statement_span
from pipeline.segment.lines import SourceLine

THEMES_FOLDER = "Themes"
SPEAKERS_FOLDER = "Speakers"
ANALYST_USER = "analyst (corrections file)"
VARIABLES = (("role", "Text"), ("affiliation", "Text"), ("report", "Text"), ("date", "Date"))
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_PALETTE = ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F",
            "#BCBD22", "#17BECF", "#AEC7E8", "#FFBB78", "#98DF8A", "#FF9896", "#C5B0D5")


@dataclass(frozen=True)
class Report:
    report_id: str
    name: str  # the file name, shown by the QDA tool
    lines: tuple[SourceLine, ...]


@dataclass(frozen=True)
class Project:
    xml: bytes  # project.qde
    sources: dict[str, bytes]  # file name in sources/ -> UTF-8 text


def _e(tag: str) -> str:
    return f"{{{NS_PROJECT}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, _e(tag), {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = text
    return el


_SubElement = etree.SubElement
_SELECTION, _DESCRIPTION, _CODING, _CODE_REF = _e("PlainTextSelection"), _e("Description"), _e("Coding"), _e("CodeRef")
_NO_ROWS = np.empty(0, dtype=np.intp)


class _SeqOrder:
    """Row positions of a subset of `statements` in `seq` order, as `sort_values("seq")` orders them.

    pandas sorts one column with numpy's quicksort argsort of its values, so
    the same argsort of the same values gives the same order, ties included;
    a `seq` with missing values or not of integers falls back to pandas itself.
    """

    def __init__(self, statements: pd.DataFrame) -> None:
        self._seq = statements["seq"]
        col = self._seq
        numeric = pd.api.types.is_integer_dtype(col.dtype) and not bool(col.isna().any())
        self._values = col.to_numpy(dtype=np.dtype(getattr(col.dtype, "numpy_dtype", col.dtype))) if numeric else None

    def order(self, positions: np.ndarray) -> list[int]:
        positions = np.asarray(positions, dtype=np.intp)
        if self._values is not None:
            return positions[np.argsort(self._values[positions], kind="quicksort")].tolist()
        sub = self._seq.iloc[positions].reset_index(drop=True)
        return positions[sub.sort_values().index.to_numpy()].tolist()


def _themes_by_statement(statement_themes: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Statement id -> (its themes, the machine's themes), "; "-joined as in the table."""
    ids = statement_themes["statement_id"].astype(str).tolist()
    themes = [str(t) for t in statement_themes["themes"].tolist()]
    machine = [str(t) for t in statement_themes["machine_themes"].tolist()] if "machine_themes" in statement_themes.columns else themes
    return dict(zip(ids, zip(themes, machine)))


def pipeline_user(version: str, model: str, codebook: str) -> str:
    """The machine coder's name: what made these codings, for the analyst to filter on."""
    return f"session-themes {version} (model {model}, codebook {codebook})"


OTHER_DESCRIPTION = "Statements that no theme of the codebook fits."


def theme_codes(parent: etree._Element, codebook: Codebook, ns: str, descriptions: dict[str, str] | None = None) -> None:
    """The codebook's themes (and `other`) as codable codes with descriptions, under `parent` (namespace `ns`)."""
    descriptions = descriptions or {}
    themes = [(t.id, t.name, descriptions.get(t.id, t.description)) for t in codebook.themes]
    themes.append((OTHER, codebook.display_name(OTHER), OTHER_DESCRIPTION))
    for i, (theme_id, name, description) in enumerate(themes):
        code = etree.SubElement(parent, f"{{{ns}}}Code",
                                {"guid": theme_guid(theme_id), "name": name, "isCodable": "true", "color": _PALETTE[i % len(_PALETTE)]})
        etree.SubElement(code, f"{{{ns}}}Description").text = description


def build_project(
    name: str,
    reports: Sequence[Report],
    statements: pd.DataFrame,
    statement_themes: pd.DataFrame,
    speakers: pd.DataFrame,
    sessions: pd.DataFrame,
    codebook: Codebook,
    user_name: str,
) -> Project:
    """The project XML and its source files; same inputs, same bytes."""
    user, analyst = guid("user", user_name), guid("user", ANALYST_USER)
    root = etree.Element(_e("Project"), {"name": name, "origin": user_name, "creatingUserGUID": user}, nsmap={None: NS_PROJECT})
    users = _sub(root, "Users")
    _sub(users, "User", guid=user, name=user_name)
    _sub(users, "User", guid=analyst, name=ANALYST_USER)

    codes = _sub(_sub(root, "CodeBook"), "Codes")
    themes_folder = _sub(codes, "Code", guid=guid("folder", THEMES_FOLDER), name=THEMES_FOLDER, isCodable="false")
    _sub(themes_folder, "Description", f"The themes of the codebook '{codebook.name}'. {codebook.description}".strip())
    theme_codes(themes_folder, codebook, NS_PROJECT)
    people = sorted({str(s) for s in speakers["speaker"] if str(s)} | {str(s) for s in statements["speaker"] if str(s)})
    speakers_folder = _sub(codes, "Code", guid=guid("folder", SPEAKERS_FOLDER), name=SPEAKERS_FOLDER, isCodable="false")
    _sub(speakers_folder, "Description", "Who said it: one code per person (the statements attributed to them).")
    for person in people:
        _sub(speakers_folder, "Code", guid=speaker_guid(person), name=person, isCodable="true")

    variables = _sub(root, "Variables")
    for var, kind in VARIABLES:
        _sub(variables, "Variable", guid=guid("variable", var), name=var, typeOfVariable=kind)

    # every per-statement value is read from plain lists and dicts built once: pandas row access
    # (`.loc`, `.iloc`, a sort per report and per person) dominated the stage at scale
    themes_of = _themes_by_statement(statement_themes)
    column = {c: statements[c].tolist() for c in ("statement_id", "source_lines", "line_start", "text", "text_hash",
                                                  "section", "speaker", "corrected_by")}
    ids, source_lines, line_starts, texts = column["statement_id"], column["source_lines"], column["line_start"], column["text"]
    hashes, section_of, speaker_of, corrected_by = column["text_hash"], column["section"], column["speaker"], column["corrected_by"]
    seq = _SeqOrder(statements)
    selections: dict[str, str] = {}
    sources_el = etree.Element(_e("Sources"))
    files: dict[str, bytes] = {}
    by_report = statements.groupby(statements["report_id"].astype(str), sort=True).indices
    # a speaker or theme is coded thousands of times: each GUID computed once
    speaker_code, theme_code = functools.cache(speaker_guid), functools.cache(theme_guid)
    for report in sorted(reports, key=lambda r: r.report_id):
        text, spans = source_text(report.lines)
        sguid = source_guid(report.report_id)
        files[f"{sguid}.txt"] = text.encode("utf-8")
        source = _sub(sources_el, "TextSource", guid=sguid, name=report.name, plainTextPath=f"internal://{sguid}.txt",
                      creatingUser=user)
        _sub(source, "Description", f"Report {report.report_id}")
        for i in seq.order(by_report.get(report.report_id, _NO_ROWS)):
            sid, text_hash, speaker = str(ids[i]), hashes[i], str(speaker_of[i])
            lines = [int(x) for x in str(source_lines[i]).split()] or [int(line_starts[i])]
            start, end = statement_span(text, spans, lines, str(texts[i]))
            sel_guid = selection_guid(report.report_id, str(text_hash), int(line_starts[i]))
            selections[sid] = sel_guid
            sel = _SubElement(source, _SELECTION, {"guid": sel_guid, "name": sid, "startPosition": str(start),
                                                   "endPosition": str(end), "creatingUser": user})
            _SubElement(sel, _DESCRIPTION).text = f"{sid} #{text_hash} ({section_of[i]})"
            if speaker:
                _coding(sel, f"coding{SEP}speaker{SEP}{sel_guid}", speaker_code(speaker), analyst if corrected_by[i] == "analyst" else user)
            coded = themes_of.get(sid)
            if coded is not None:
                themes, machine_themes = coded
                machine = set(machine_themes.split("; "))
                for theme in [x for x in themes.split("; ") if x]:
                    _coding(sel, f"coding{SEP}theme{SEP}{sel_guid}{SEP}{theme}", theme_code(theme), user if theme in machine else analyst)
    _cases(root, speakers, sessions, statements, selections)  # the schema puts Cases before Sources
    if len(sources_el):
        root.append(sources_el)
    _sub(root, "Description", f"Statements of {len(reports)} report(s) coded by {user_name}; themes from the codebook "
                              f"'{codebook.name}', one code per speaker, a case per person per report.")
    xml = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True, standalone=True)
    return Project(xml, files)


def _coding(sel: etree._Element, key: str, code: str, user: str) -> None:
    """A coding of `sel` with `code`; `key` is its GUID's key, joined (`guid("coding", ...)`)."""
    coding = _SubElement(sel, _CODING, {"guid": key_guid(key), "creatingUser": user})
    _SubElement(coding, _CODE_REF, {"targetGUID": code})


def _date(value: object) -> str | None:
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        return None


def _cases(root: etree._Element, speakers: pd.DataFrame, sessions: pd.DataFrame, statements: pd.DataFrame,
           selections: dict[str, str]) -> None:
    if not len(speakers):
        return
    dates = {str(r): _date(d) for r, d in zip(sessions["report_id"], sessions["date"])} if len(sessions) else {}
    several = speakers["report_id"].nunique() > 1
    cases = _sub(root, "Cases")
    # each person's statements, found once (a filter of the whole table per person is quadratic at scale)
    by_person = statements.groupby([statements["report_id"].astype(str), statements["speaker"].astype(str)]).indices
    ids, seq = statements["statement_id"].astype(str).tolist(), _SeqOrder(statements)
    variable_refs = {var: guid("variable", var) for var, _ in VARIABLES}
    speaker_code, source_code = functools.cache(speaker_guid), functools.cache(source_guid)
    tags = {tag: _e(tag) for tag in ("Case", "CodeRef", "VariableValue", "VariableRef", "DateValue", "TextValue",
                                     "SourceRef", "SelectionRef")}
    for row in speakers.sort_values(["report_id", "speaker"]).itertuples(index=False):
        report, person = str(row.report_id), str(row.speaker)
        case = _SubElement(cases, tags["Case"], {"guid": guid("case", report, person),
                                                 "name": f"{person} ({report})" if several else person})
        _SubElement(case, tags["CodeRef"], {"targetGUID": speaker_code(person)})
        values = {"role": str(row.role), "affiliation": str(row.affiliation), "report": report, "date": dates.get(report)}
        for var, kind in VARIABLES:
            value = values[var]
            if not value:
                continue
            vv = _SubElement(case, tags["VariableValue"])
            _SubElement(vv, tags["VariableRef"], {"targetGUID": variable_refs[var]})
            _SubElement(vv, tags["DateValue" if kind == "Date" else "TextValue"]).text = value
        _SubElement(case, tags["SourceRef"], {"targetGUID": source_code(report)})
        for i in seq.order(by_person.get((report, person), _NO_ROWS)):
            selection = selections.get(ids[i])
            if selection is not None:
                _SubElement(case, tags["SelectionRef"], {"targetGUID": selection})


def write_qdpx(project: Project) -> bytes:
    """The .qdpx archive: project.qde and sources/, fixed timestamps and order (byte-identical reruns)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in [("project.qde", project.xml)] + [(f"sources/{k}", v) for k, v in sorted(project.sources.items())]:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buffer.getvalue()
