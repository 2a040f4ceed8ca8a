"""REFI-QDA: the .qdpx validates, reopens with pyrefiqda, and an analyst's edits come back as rules."""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path

import pytest
import yaml
from lxml import etree
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.codebook import load_codebook, parse_codebook
from pipeline.corrections import load_corrections, statement_hash
from pipeline.corrections.themes import apply_theme_corrections
from pipeline.contract import STATEMENT_THEMES
from pipeline.qda.codebook import export_qdc, import_qdc
from pipeline.qda.ids import theme_guid
from pipeline.tableio import read_table
from qda_helpers import NS, REPO, STATEMENT_ROWS, export_args, import_args, read_qde, rewrite_qde, schema_path, write_corpus


def _run(args: list[str]) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture()
def corpus(tmp_path: Path) -> dict[str, Path]:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture()
def qdpx(corpus: dict[str, Path], tmp_path: Path) -> Path:
    out = tmp_path / "project.qdpx"
    _run(export_args(corpus, out))
    return out


def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(schema_path())))


def test_the_project_validates_against_the_official_schema(qdpx: Path) -> None:
    schema = _schema()
    root = read_qde(qdpx)
    assert schema.validate(root), schema.error_log.last_error
    with zipfile.ZipFile(qdpx) as zf:
        names = zf.namelist()
    assert names[0] == "project.qde" and len([n for n in names if n.startswith("sources/")]) == 1


def test_every_selection_is_its_statement_by_character_offsets(qdpx: Path) -> None:
    root = read_qde(qdpx)
    source = root.find(".//q:TextSource", NS)
    with zipfile.ZipFile(qdpx) as zf:
        text = zf.read("sources/" + source.get("plainTextPath").split("://")[1]).decode("utf-8")
    selections = source.findall("q:PlainTextSelection", NS)
    assert len(selections) == len(STATEMENT_ROWS)
    for sel, (_, _, _, statement, _) in zip(selections, STATEMENT_ROWS):
        selected = text[int(sel.get("startPosition")):int(sel.get("endPosition"))]
        assert statement_hash(selected) == statement_hash(statement)
    third = selections[2]
    assert text[int(third.get("startPosition")):int(third.get("endPosition"))] == (
        "Our credit union lends to farmers and it charges\nfair interest.")  # "From Carla:" left out, two lines


def test_codes_cases_and_coders(qdpx: Path) -> None:
    root = read_qde(qdpx)
    users = {u.get("guid"): u.get("name") for u in root.iterfind(".//q:User", NS)}
    machine = [g for g, n in users.items() if n.startswith("session-themes ") and "all-MiniLM-L6-v2" in n and "sse" in n]
    assert len(machine) == 1
    codings = root.findall(".//q:PlainTextSelection/q:Coding", NS)
    assert codings and {c.get("creatingUser") for c in codings} == set(machine)  # no correction yet: all the machine's
    folders = {c.get("name"): c for c in root.find(".//q:CodeBook/q:Codes", NS)}
    financing = folders["Themes"].find(f"q:Code[@guid='{theme_guid('financing')}']", NS)
    assert financing.get("name") == "Financing" and "credit" in financing.find("q:Description", NS).text
    assert {c.get("name") for c in folders["Speakers"].findall("q:Code", NS)} == {"Ana Ruiz", "Bo Lee", "Carla"}
    ana = next(c for c in root.iterfind(".//q:Case", NS) if c.get("name") == "Ana Ruiz")
    variables = {v.get("guid"): v.get("name") for v in root.iterfind(".//q:Variable", NS)}
    values = {variables[vv.find("q:VariableRef", NS).get("targetGUID")]: vv[1].text for vv in ana.findall("q:VariableValue", NS)}
    assert values == {"role": "moderator", "affiliation": "OECD", "report": "r1", "date": "2020-06-09"}
    assert len(ana.findall("q:SelectionRef", NS)) == 2


def test_export_is_byte_identical_on_rerun(corpus: dict[str, Path], qdpx: Path, tmp_path: Path) -> None:
    again = tmp_path / "again" / "project.qdpx"
    _run(export_args(corpus, again))
    assert again.read_bytes() == qdpx.read_bytes()


def test_reopens_with_pyrefiqda(qdpx: Path, tmp_path: Path) -> None:
    from pyrefiqda.refiproject import RefiProject

    project = RefiProject.load(qdpx, extract_dir=str(tmp_path / "extracted"))
    source = project.sources.text_source[0]
    assert len(source.plain_text_selection) == len(STATEMENT_ROWS)
    text = RefiProject.resolve_source_path(source.plain_text_path, tmp_path / "extracted").read_text(encoding="utf-8")
    first = source.plain_text_selection[0]
    assert text[first.start_position:first.end_position] == STATEMENT_ROWS[0][3]
    assert len(project.cases.case) == 3


def _edit_two_codings(root: etree._Element, *, new_guids: bool) -> None:
    """As an analyst in a QDA tool: move statement 1 from financing to legislation, add governance to statement 4."""
    analyst = str(uuid.uuid4())
    etree.SubElement(root.find("q:Users", NS), f"{{{NS['q']}}}User", guid=analyst, name="Reviewer")
    selections = root.findall(".//q:PlainTextSelection", NS)
    first = selections[0].find(f"q:Coding/q:CodeRef[@targetGUID='{theme_guid('financing')}']", NS)
    first.set("targetGUID", theme_guid("legislation"))
    coding = etree.Element(f"{{{NS['q']}}}Coding", guid=str(uuid.uuid4()), creatingUser=analyst)
    etree.SubElement(coding, f"{{{NS['q']}}}CodeRef", targetGUID=theme_guid("governance"))
    selections[3].append(coding)
    if new_guids:  # some tools write new GUIDs for everything they save
        for sel in selections:
            sel.set("guid", str(uuid.uuid4()).upper())


@pytest.mark.parametrize("new_guids", [False, True])
def test_round_trip_gives_exactly_the_two_corrections(corpus: dict[str, Path], qdpx: Path, tmp_path: Path, new_guids: bool) -> None:
    root = read_qde(qdpx)
    _edit_two_codings(root, new_guids=new_guids)
    edited = tmp_path / "edited.qdpx"
    rewrite_qde(qdpx, root, edited)
    _run(import_args(corpus, edited))
    text = corpus["corrections"].read_text(encoding="utf-8")
    assert text.startswith("# The analyst's corrections")  # comments kept
    doc = yaml.safe_load(text)
    assert doc["speakers"] == [] and doc["topics"] == []
    rules = [{k: v for k, v in r.items() if k != "note"} for r in doc["themes"]]
    assert [r["statement"]["hash"] for r in rules] == [statement_hash(STATEMENT_ROWS[0][3]), statement_hash(STATEMENT_ROWS[3][3])]
    assert [{k: v for k, v in r.items() if k != "statement"} for r in rules] == [{"theme": "legislation"}, {"also": ["governance"]}]
    themed = read_table(corpus["statement_themes"], STATEMENT_THEMES)
    book = load_codebook(corpus["codebook"])
    fixed = apply_theme_corrections(themed, themed.iloc[0:0].assign(size=[], top_words=[], label=[]), {},
                                    load_corrections(corpus["corrections"]), book.ids).statement_themes
    changed = fixed[fixed["themes"] != fixed["machine_themes"]]
    assert changed["statement_id"].tolist() == ["r1:0001", "r1:0004"]
    assert changed["themes"].tolist() == ["legislation", "procedural; governance"]
    # importing the same project again changes nothing
    before = corpus["corrections"].read_bytes()
    _run(import_args(corpus, edited))
    assert corpus["corrections"].read_bytes() == before


def test_speaker_recoded_in_the_tool_becomes_a_speaker_rule(corpus: dict[str, Path], qdpx: Path, tmp_path: Path) -> None:
    root = read_qde(qdpx)
    speakers = {c.get("name"): c.get("guid") for c in root.iterfind(".//q:Code", NS)}
    second = root.findall(".//q:PlainTextSelection", NS)[1]
    ref = next(r for r in second.iterfind("q:Coding/q:CodeRef", NS) if r.get("targetGUID") == speakers["Ana Ruiz"])
    ref.set("targetGUID", speakers["Bo Lee"])
    edited = tmp_path / "edited.qdpx"
    rewrite_qde(qdpx, root, edited)
    _run(import_args(corpus, edited))
    rules = load_corrections(corpus["corrections"])
    assert len(rules.themes) == 0 and [(r.kind, r.speaker, r.ref.hash) for r in rules.speakers] == [
        ("statement", "Bo Lee", statement_hash(STATEMENT_ROWS[1][3]))]


def test_a_selection_the_tool_dropped_with_its_last_code_removes_the_themes(corpus: dict[str, Path], qdpx: Path,
                                                                            tmp_path: Path) -> None:
    root = read_qde(qdpx)
    third = root.findall(".//q:PlainTextSelection", NS)[2]
    third.getparent().remove(third)
    for ref in root.iterfind(f".//q:SelectionRef[@targetGUID='{third.get('guid')}']", NS):
        ref.getparent().remove(ref)
    edited = tmp_path / "edited.qdpx"
    rewrite_qde(qdpx, root, edited)
    _run(import_args(corpus, edited))
    rules = load_corrections(corpus["corrections"])
    assert [(r.ref.hash, r.theme) for r in rules.themes] == [(statement_hash(STATEMENT_ROWS[2][3]), "other")]
    assert rules.speakers == ()


def test_a_file_that_is_not_a_project_is_a_one_line_error(corpus: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.qdpx"
    bad.write_bytes(b"not a zip")
    result = CliRunner().invoke(app, import_args(corpus, bad))
    assert result.exit_code == 1
    assert f"error: {bad}: not a zip archive" in result.output and "Traceback" not in result.output


# --- the codebook as .qdc --------------------------------------------------------------------


def _as_project(qdc: bytes) -> etree._Element:
    """The .qdc's codes inside a project, to check them against the project schema (same Codes type)."""
    text = qdc.decode("utf-8").replace("urn:QDA-XML:codebook:1.0", "urn:QDA-XML:project:1.0")
    book = etree.fromstring(text.encode("utf-8"))
    project = etree.Element(f"{{{NS['q']}}}Project", name="codebook", nsmap={None: NS["q"]})
    cb = etree.SubElement(project, f"{{{NS['q']}}}CodeBook")
    cb.append(book.find("q:Codes", NS))
    sets = book.find("q:Sets", NS)
    if sets is not None:
        project.append(sets)
    return project


def test_codebook_round_trips_through_qdc(tmp_path: Path) -> None:
    book = load_codebook(REPO / "codebooks" / "sse.yaml")
    qdc = tmp_path / "sse.qdc"
    _run(["export-qdc", "--out", str(qdc), "--codebook", str(REPO / "codebooks" / "sse.yaml")])
    assert qdc.read_bytes() == export_qdc(book)
    schema = _schema()
    assert schema.validate(_as_project(qdc.read_bytes())), schema.error_log.last_error
    back = tmp_path / "back.yaml"
    _run(["import-qdc", str(qdc), "--out", str(back)])
    assert load_codebook(back).themes == book.themes


def test_a_codebook_written_in_a_qda_tool_imports() -> None:
    qdc = b"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="MAXQDA 2022">
  <Codes>
    <Code guid="5A1B2C3D-0000-4000-8000-000000000001" name="Acc\xc3\xa8s au cr\xc3\xa9dit" isCodable="true">
      <Description>Loans, banks and guarantees.</Description>
      <Code guid="5A1B2C3D-0000-4000-8000-000000000002" name="Microcredit" isCodable="true"/>
      <Code guid="5A1B2C3D-0000-4000-8000-000000000003" name="Collateral" isCodable="true"/>
    </Code>
    <Code guid="5A1B2C3D-0000-4000-8000-000000000004" name="Greetings" isCodable="true">
      <Code guid="5A1B2C3D-0000-4000-8000-000000000005" name="Thanks" isCodable="true"/>
      <Code guid="5A1B2C3D-0000-4000-8000-000000000006" name="Welcome" isCodable="true"/>
    </Code>
  </Codes>
  <Sets><Set guid="5A1B2C3D-0000-4000-8000-000000000007" name="procedural">
    <MemberCode targetGUID="5A1B2C3D-0000-4000-8000-000000000004"/></Set></Sets>
</CodeBook>"""
    doc = import_qdc(qdc, "maxqda.qdc")
    book = parse_codebook(doc, "maxqda.qdc")
    assert book.ids == ("acces_au_credit", "greetings")
    assert book.themes[0].description == "Loans, banks and guarantees." and book.themes[0].seeds == ("accès au crédit", "microcredit", "collateral")
    assert book.themes[1].procedural and book.themes[1].description == "Greetings"


def test_the_source_cache_gives_the_same_project_and_rebuilds_a_changed_report(
        corpus: dict[str, Path], qdpx: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = ["--cache", str(tmp_path / "cache")]
    cold, warm, changed, plain = (tmp_path / n / "project.qdpx" for n in ("cold", "warm", "changed", "plain"))
    with caplog.at_level("INFO", logger="pipeline.qda.project"):
        _run(export_args(corpus, cold) + cache)
        _run(export_args(corpus, warm) + cache)
        assert "QDA sources: 0 read back, 1 built" in caplog.text and "QDA sources: 1 read back, 0 built" in caplog.text
        caplog.clear()
        themed = corpus["statement_themes"]
        lines = themed.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[1] = lines[1].replace(",financing", ",legislation")  # the first statement's theme, as a refit may change it
        themed.write_text("".join(lines), encoding="utf-8")
        _run(export_args(corpus, changed) + cache)
        assert "QDA sources: 0 read back, 1 built" in caplog.text
    (namespace,) = (tmp_path / "cache").iterdir()
    assert len(list(namespace.glob("*.pkl"))) == 1  # the report's earlier source went with that run
    assert cold.read_bytes() == qdpx.read_bytes() and warm.read_bytes() == qdpx.read_bytes()
    _run(export_args(corpus, plain))
    assert changed.read_bytes() == plain.read_bytes() != qdpx.read_bytes()


def test_the_source_cache_rebuilds_a_report_whose_file_changed(
        corpus: dict[str, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A kept source is keyed by its file's bytes (its lines are not read to look it up): a file edited
    outside its statements' lines (a line appended) gives a new source text, built again."""
    cache = ["--cache", str(tmp_path / "cache")]
    warm, edited, plain = (tmp_path / n / "project.qdpx" for n in ("warm", "edited", "plain"))
    _run(export_args(corpus, warm) + cache)
    report = next(corpus["raw"].glob("*.txt"))
    report.write_text(report.read_text(encoding="utf-8") + "A closing line no statement holds.\n", encoding="utf-8")
    with caplog.at_level("INFO", logger="pipeline.qda.project"):
        _run(export_args(corpus, edited) + cache)
    assert "QDA sources: 0 read back, 1 built" in caplog.text
    _run(export_args(corpus, plain))
    assert edited.read_bytes() == plain.read_bytes() != warm.read_bytes()
