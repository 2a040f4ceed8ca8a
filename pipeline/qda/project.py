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
import hashlib
import io
import logging
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
from lxml import etree

from pipeline.codebook import OTHER, Codebook
from pipeline.qda import NS_PROJECT
from pipeline.qda.ids import SEP, guid, key_guid, selection_guid, source_guid, speaker_guid, theme_guid
from pipeline.qda.offsets import source_text, statement_span
from pipeline.result_cache import ResultCache, source_fingerprint, value_key
from pipeline.segment.lines import SourceLine
from pipeline.zip_deflate import Deflated, PieceEntry, deflate_piece

log = logging.getLogger(__name__)

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


class _Serialiser:
    """The pretty-printed bytes of project.qde, a part at a time.

    lxml pretty-prints an element the same wherever it stands, given its depth
    and the namespaces in scope: so a batch of Cases or TextSources built under
    a throw-away `Project` (same default namespace) and `Cases`/`Sources`
    element serialises to exactly the bytes it takes in the whole document.
    Only one batch is ever held as elements (a million statements' selections
    and codings as one tree took gigabytes).
    """

    def __init__(self) -> None:
        self.holder: etree._Element | None = None

    def batch(self, container: str) -> etree._Element:
        """A fresh `container` element (Cases, Sources) to build the next batch under."""
        root = etree.Element(_e("Project"), nsmap={None: NS_PROJECT})
        self.holder = _sub(root, container)
        return self.holder

    def take(self) -> bytes:
        """The batch's children as they appear inside their container in the document."""
        assert self.holder is not None
        tag = etree.QName(self.holder).localname.encode()
        xml = etree.tostring(self.holder.getroottree(), encoding="utf-8", pretty_print=True)
        opening = b"<" + tag + b">\n"
        body = xml[xml.index(opening) + len(opening):xml.rindex(b"  </" + tag + b">\n")]
        self.holder = None
        return body


_SENTINEL = "session-themes-part"
_BATCH_ROWS = 2000  # cases per serialised batch (sources go one report at a time)


def write_project(
    out: BinaryIO,
    name: str,
    reports: Sequence[Report],
    statements: pd.DataFrame,
    statement_themes: pd.DataFrame,
    speakers: pd.DataFrame,
    sessions: pd.DataFrame,
    codebook: Codebook,
    user_name: str,
    workdir: Path,
    source_cache: ResultCache | None = None,
) -> int:
    """Write the .qdpx archive (project.qde and sources/) to `out`; same inputs, same bytes; the sources written.

    The project XML and the source texts are deflated as they are made, in pieces
    (`pipeline.zip_deflate.PieceEntry`: a part of the project or a source's element each),
    into temporary files (under `workdir`, an empty folder) and then into the archive, so
    memory does not grow with the statements' selections and codings. `reports` may read
    their lines lazily: each is read once. With a `source_cache` (`source_cache_for`), a
    report's source element and text whose inputs (`source_key`) did not change are read
    back deflated instead of built.
    """
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
    column = {c: statements[c].tolist() for c in _SOURCE_COLUMNS}
    ids, line_starts, hashes = column["statement_id"], column["line_start"], column["text_hash"]
    seq = _SeqOrder(statements)
    by_report = statements.groupby(statements["report_id"].astype(str), sort=True).indices
    reports = sorted(reports, key=lambda r: r.report_id)
    # the selections' GUIDs first: the schema puts Cases (which refer to them) before Sources
    selections: dict[str, str] = {}
    for report in reports:
        for i in by_report.get(report.report_id, _NO_ROWS):
            selections[str(ids[i])] = selection_guid(report.report_id, str(hashes[i]), int(line_starts[i]))

    has_cases, has_sources = bool(len(speakers)), bool(reports)
    part = f"<{_SENTINEL}/>"
    if has_cases:
        _sub(_sub(root, "Cases"), _SENTINEL)
    if has_sources:
        _sub(_sub(root, "Sources"), _SENTINEL)
    _sub(root, "Description", f"Statements of {len(reports)} report(s) coded by {user_name}; themes from the codebook "
                              f"'{codebook.name}', one code per speaker, a case per person per report.")
    skeleton = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True, standalone=True)
    pieces = skeleton.split(("    " + part + "\n").encode())
    if len(pieces) != 1 + has_cases + has_sources:
        raise AssertionError("project skeleton: unexpected serialisation")
    serialiser = _Serialiser()
    sources_dir = workdir / "sources"
    sources_dir.mkdir()
    texts: dict[str, tuple[int, int]] = {}  # a source text's file name: its CRC-32 and length
    # project.qde and each source text are deflated in pieces (`pipeline.zip_deflate`): the project's parts
    # on a second thread as they are made, a kept source's element and text read back deflated
    with PieceEntry() as qde:
        qde.add(pieces[0])
        if has_cases:
            for body in _case_batches(serialiser, speakers, sessions, statements, selections):
                qde.add(body)
            qde.add(pieces[1])
        if has_sources:
            themes_of = _themes_by_statement(statement_themes)
            reused = 0
            for report in reports:
                order = seq.order(by_report.get(report.report_id, _NO_ROWS))
                text_file = f"{source_guid(report.report_id)}.txt"
                if source_cache is None:
                    body, text = _source(serialiser, report, column, order, selections, themes_of, user, analyst)
                    qde.add(body)
                    texts[text_file] = _keep_text(sources_dir / text_file, deflate_piece(text))
                    continue
                content = getattr(report, "content_key", None)  # a report read from a file: its bytes
                if content is None:
                    report = Report(report.report_id, report.name, tuple(report.lines))  # read once
                    content = lines_key(report.lines)
                key = source_key(report, content, column, order, selections, themes_of, user, analyst)
                kept = source_cache.get(key)
                if kept is None or not all(isinstance(k, Deflated) for k in kept):
                    if not isinstance(report, Report):  # read from its file only now
                        report = Report(report.report_id, report.name, tuple(report.lines))
                    body, text = _source(serialiser, report, column, order, selections, themes_of, user, analyst)
                    text_piece = deflate_piece(text)
                    qde.add(body, functools.partial(_keep_source, source_cache, key, text_piece))
                else:
                    body_piece, text_piece = kept
                    qde.add_deflated(body_piece)
                    reused += 1
                texts[text_file] = _keep_text(sources_dir / text_file, text_piece)
            if source_cache is not None:
                log.info("QDA sources: %d read back, %d built", reused, len(reports) - reused)
            qde.add(pieces[-1])
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            qde.write_to(zf, _entry("project.qde"))
            for text_file in sorted(texts):  # sources/ by name
                crc, size = texts[text_file]
                with PieceEntry() as entry:
                    entry.add_deflated(Deflated((sources_dir / text_file).read_bytes(), crc, size))
                    entry.write_to(zf, _entry(f"sources/{text_file}"))
    if source_cache is not None:  # every source was asked for: the rest are of changed or removed reports
        source_cache.retain_asked()
    return len(reports)


def _keep_source(cache: ResultCache, key: str, text: Deflated, body: Deflated) -> None:
    cache.put(key, (body, text))


def _keep_text(path: Path, text: Deflated) -> tuple[int, int]:
    """A source text's deflated bytes to `path` (memory stays flat); its CRC-32 and length."""
    path.write_bytes(text.data)
    return text.crc, text.size


def _entry(name: str) -> zipfile.ZipInfo:
    """An archive entry's header: fixed timestamp and attributes (byte-identical reruns)."""
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.external_attr = 0o644 << 16
    return info


def source_key(report: Report, content: str, column: dict[str, list], order: list[int], selections: dict[str, str],
               themes_of: dict[str, tuple[str, str]], user: str, analyst: str) -> str:
    """Everything `_source` reads for one report (its lines, given by `content`: `lines_key` or the
    reader's key of its file, its statements' columns in order, their selections and themes, the
    coders), hashed (`result_cache.value_key`)."""
    ids = [str(column["statement_id"][i]) for i in order]
    rows = [[str(column[c][i]) for c in _SOURCE_COLUMNS] for i in order]
    return value_key([report.report_id, report.name, content, user, analyst, rows, [selections[s] for s in ids],
                      [themes_of.get(s) for s in ids]])


def lines_key(lines: Sequence[SourceLine]) -> str:
    """sha256 of a report's lines as held in memory (a report not read from a file)."""
    return "lines:" + hashlib.sha256(repr(tuple(lines)).encode("utf-8")).hexdigest()


def source_cache_for(root: str | Path) -> ResultCache:
    """Where each report's source element and text are kept, deflated (`zip_deflate.Deflated`): a namespace per
    export code, lxml and zlib."""
    import zlib

    import pipeline.corrections
    import pipeline.errors
    import pipeline.qda
    import pipeline.segment
    import pipeline.zip_deflate

    # the segment package holds the readers: a report's content key is its file's bytes, and what
    # lines they give is the readers' code
    code = source_fingerprint([pipeline.qda, pipeline.corrections, pipeline.segment, pipeline.errors,
                               pipeline.zip_deflate])
    return ResultCache(root, code, {"lxml": ".".join(map(str, etree.LXML_VERSION)), "zlib": zlib.ZLIB_RUNTIME_VERSION},
                       what="QDA source cache")


# the statements' columns a source element shows
_SOURCE_COLUMNS = ("statement_id", "source_lines", "line_start", "text", "text_hash", "section", "speaker", "corrected_by")


def _source(serialiser: _Serialiser, report: Report, column: dict[str, list], order: list[int],
            selections: dict[str, str], themes_of: dict[str, tuple[str, str]], user: str,
            analyst: str) -> tuple[bytes, bytes]:
    """One report's TextSource with its statements' selections and codings, and its text (UTF-8)."""
    ids, source_lines, line_starts, texts = column["statement_id"], column["source_lines"], column["line_start"], column["text"]
    hashes, section_of, speaker_of, corrected_by = column["text_hash"], column["section"], column["speaker"], column["corrected_by"]
    # a speaker or theme is coded thousands of times: each GUID computed once (functools.cache)
    text, spans = source_text(report.lines)
    sguid = source_guid(report.report_id)
    source = _sub(serialiser.batch("Sources"), "TextSource", guid=sguid, name=report.name,
                  plainTextPath=f"internal://{sguid}.txt", creatingUser=user)
    _sub(source, "Description", f"Report {report.report_id}")
    for i in order:
        sid, text_hash, speaker = str(ids[i]), hashes[i], str(speaker_of[i])
        lines = [int(x) for x in str(source_lines[i]).split()] or [int(line_starts[i])]
        start, end = statement_span(text, spans, lines, str(texts[i]))
        sel_guid = selections[sid]
        sel = _SubElement(source, _SELECTION, {"guid": sel_guid, "name": sid, "startPosition": str(start),
                                               "endPosition": str(end), "creatingUser": user})
        _SubElement(sel, _DESCRIPTION).text = f"{sid} #{text_hash} ({section_of[i]})"
        if speaker:
            _coding(sel, f"coding{SEP}speaker{SEP}{sel_guid}", _speaker_code(speaker), analyst if corrected_by[i] == "analyst" else user)
        coded = themes_of.get(sid)
        if coded is not None:
            themes, machine_themes = coded
            machine = set(machine_themes.split("; "))
            for theme in [x for x in themes.split("; ") if x]:
                _coding(sel, f"coding{SEP}theme{SEP}{sel_guid}{SEP}{theme}", _theme_code(theme), user if theme in machine else analyst)
    return serialiser.take(), text.encode("utf-8")


_speaker_code, _theme_code, _source_code = functools.cache(speaker_guid), functools.cache(theme_guid), functools.cache(source_guid)


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
    """The project XML and its source files in memory (small projects, tests); `write_project` streams."""
    with tempfile.TemporaryDirectory(prefix="qdpx_") as tmp:
        buffer = io.BytesIO()
        write_project(buffer, name, reports, statements, statement_themes, speakers, sessions, codebook, user_name, Path(tmp))
        with zipfile.ZipFile(buffer) as zf:
            xml = zf.read("project.qde")
            files = {n.removeprefix("sources/"): zf.read(n) for n in zf.namelist() if n.startswith("sources/")}
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


def _case_batches(serialiser: _Serialiser, speakers: pd.DataFrame, sessions: pd.DataFrame, statements: pd.DataFrame,
                  selections: dict[str, str]) -> Iterator[bytes]:
    """The Cases element's content, `_BATCH_ROWS` cases at a time."""
    dates = {str(r): _date(d) for r, d in zip(sessions["report_id"], sessions["date"])} if len(sessions) else {}
    several = speakers["report_id"].nunique() > 1
    # each person's statements, found once (a filter of the whole table per person is quadratic at scale)
    by_person = statements.groupby([statements["report_id"].astype(str), statements["speaker"].astype(str)]).indices
    ids, seq = statements["statement_id"].astype(str).tolist(), _SeqOrder(statements)
    variable_refs = {var: guid("variable", var) for var, _ in VARIABLES}
    tags = {tag: _e(tag) for tag in ("Case", "CodeRef", "VariableValue", "VariableRef", "DateValue", "TextValue",
                                     "SourceRef", "SelectionRef")}
    cases = None
    for n, row in enumerate(speakers.sort_values(["report_id", "speaker"]).itertuples(index=False)):
        if n % _BATCH_ROWS == 0:
            if cases is not None:
                yield serialiser.take()
            cases = serialiser.batch("Cases")
        report, person = str(row.report_id), str(row.speaker)
        case = _SubElement(cases, tags["Case"], {"guid": guid("case", report, person),
                                                 "name": f"{person} ({report})" if several else person})
        _SubElement(case, tags["CodeRef"], {"targetGUID": _speaker_code(person)})
        values = {"role": str(row.role), "affiliation": str(row.affiliation), "report": report, "date": dates.get(report)}
        for var, kind in VARIABLES:
            value = values[var]
            if not value:
                continue
            vv = _SubElement(case, tags["VariableValue"])
            _SubElement(vv, tags["VariableRef"], {"targetGUID": variable_refs[var]})
            _SubElement(vv, tags["DateValue" if kind == "Date" else "TextValue"]).text = value
        _SubElement(case, tags["SourceRef"], {"targetGUID": _source_code(report)})
        for i in seq.order(by_person.get((report, person), _NO_ROWS)):
            selection = selections.get(ids[i])
            if selection is not None:
                _SubElement(case, tags["SelectionRef"], {"targetGUID": selection})
    if cases is not None:
        yield serialiser.take()
