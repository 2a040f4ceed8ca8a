"""`export-qda`, `import-qda`, `export-qdc`, `import-qdc`: the round trip with QDA tools.

Thin: read the tables and reports, call `project`/`diff`/`codebook`, write.
The defaults are the DVC pipeline's paths, so an analyst types only the file.
"""

from __future__ import annotations

import logging
import tempfile
import zipfile
from pathlib import Path

import typer

from pipeline.cli_support import one_line_errors
from pipeline.errors import InputError

log = logging.getLogger(__name__)

RAW = Path("data/raw")
PROCESSED = Path("data/processed")
CORRECTIONS = Path("data/corrections/corrections.yaml")
CODEBOOK = Path("codebooks/sse.yaml")


def _model_name(params: Path) -> str:
    """`embed.model` from params.yaml: the model the machine codings come from (named in the coder's name)."""
    import yaml

    try:
        data = yaml.safe_load(params.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InputError(params, "parameters file not found") from None
    model = (data.get("embed") or {}).get("model")
    if not isinstance(model, str) or not model:
        raise InputError(params, "embed.model is not set")
    return model


class _LazyReport:
    """A report of data/raw whose lines are read (as the segment stage read them) when asked for."""

    def __init__(self, report_id: str, path: Path) -> None:
        self.report_id, self.name, self._path = report_id, path.name, path

    @property
    def lines(self):  # type: ignore[no-untyped-def]
        from pipeline.segment.readers import read_report

        return tuple(read_report(self._path))

    @property
    def content_key(self) -> str:
        """What the lines are read from: the file's name and bytes, hashed (no need to read the lines
        of a report whose source is kept)."""
        from pipeline.result_cache import input_key

        return "file:" + input_key(self.name, self._path.read_bytes())


def _reports(raw: Path, report_ids: set[str]):  # type: ignore[no-untyped-def]
    """Each report of the statements table; its lines are read when used (one report in memory at a time)."""
    from pipeline.segment.readers import SUPPORTED_SUFFIXES

    if not raw.is_dir():
        raise InputError(raw, "folder not found")
    found = {p.stem: p for p in sorted(raw.iterdir()) if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES}
    missing = sorted(report_ids - set(found))
    if missing:
        raise InputError(raw, f"report(s) of statements.csv not found: {', '.join(missing[:3])} (rerun `dvc repro`)")
    return [_LazyReport(r, found[r]) for r in sorted(report_ids)]


def _statements(path: Path):  # type: ignore[no-untyped-def]
    from pipeline.contract import STATEMENTS
    from pipeline.corrections.speakers import add_identity_columns
    from pipeline.tableio import read_table

    st = read_table(path, STATEMENTS)
    return add_identity_columns(st) if "text_hash" not in st.columns else st


@one_line_errors
def export_command(
    out: Path = typer.Option(..., "--out", help="output: the REFI-QDA project (.qdpx)"),
    raw: Path = typer.Option(RAW, "--raw", help="the reports (their text becomes the project's sources)"),
    statements: Path = typer.Option(PROCESSED / "statements.csv", "--statements"),
    statement_themes: Path = typer.Option(PROCESSED / "statement_themes.csv", "--statement-themes"),
    speakers: Path = typer.Option(PROCESSED / "speakers.csv", "--speakers"),
    sessions: Path = typer.Option(PROCESSED / "sessions.csv", "--sessions"),
    codebook: Path = typer.Option(CODEBOOK, "--codebook"),
    params: Path = typer.Option(Path("params.yaml"), "--params", help="params.yaml (reads embed.model: the coder's name)"),
    schema: Path | None = typer.Option(None, "--schema", help="validate against this REFI-QDA schema (Project-mrt2019.xsd)"),
    cache_dir: Path | None = typer.Option(None, "--cache", help="Folder keeping each report's source across runs "
                                                                  "(built again only when its statements change)."),
) -> None:
    """Export the coded statements as a REFI-QDA project for NVivo, ATLAS.ti, MAXQDA or QualCoder."""
    from pipeline import __version__
    from pipeline.codebook import load_codebook
    from pipeline.contract import SESSIONS, SPEAKERS, STATEMENT_THEMES
    from pipeline.qda.project import pipeline_user, source_cache_for, write_project
    from pipeline.tableio import read_table

    book = load_codebook(codebook)
    st = _statements(statements)
    out.parent.mkdir(parents=True, exist_ok=True)
    # only the columns the project uses: the statements' text is in statements.csv already
    themed = read_table(statement_themes, STATEMENT_THEMES, columns=("statement_id", "themes", "machine_themes"))
    with tempfile.TemporaryDirectory(prefix=".qdpx_", dir=out.parent) as work, open(out, "wb") as fh:
        n_sources = write_project(
            fh, out.stem, _reports(raw, set(st["report_id"].astype(str))), st, themed,
            read_table(speakers, SPEAKERS), read_table(sessions, SESSIONS), book,
            pipeline_user(__version__, _model_name(params), book.name), Path(work),
            source_cache_for(cache_dir) if cache_dir is not None else None,
        )
    if schema is not None:
        with zipfile.ZipFile(out) as zf:
            validate_project(zf.read("project.qde"), schema)
    log.info("export-qda: %d source(s), %d statement(s) -> %s", n_sources, len(st), out)


def validate_project(xml: bytes, schema: Path) -> None:
    """Check project.qde against the REFI-QDA schema; the first error, with its line, in one line."""
    from lxml import etree

    try:
        xsd = etree.XMLSchema(etree.parse(str(schema)))
    except OSError:
        raise InputError(schema, "schema not found") from None
    doc = etree.fromstring(xml)
    if not xsd.validate(doc):
        err = xsd.error_log.last_error
        raise InputError("project.qde", f"does not validate against {schema.name}: line {err.line}: {err.message}")


@one_line_errors
def import_command(
    project_file: Path = typer.Argument(..., help="a .qdpx project exported by export-qda and edited in a QDA tool"),
    corrections: Path = typer.Option(CORRECTIONS, "--corrections", help="the corrections file the rules are written to"),
    raw: Path = typer.Option(RAW, "--raw"),
    statements: Path = typer.Option(PROCESSED / "statements.csv", "--statements"),
    statement_themes: Path = typer.Option(PROCESSED / "statement_themes.csv", "--statement-themes"),
    codebook: Path = typer.Option(CODEBOOK, "--codebook"),
) -> None:
    """Write the codings an analyst changed (theme added, removed, moved; speaker) into the corrections file."""
    from pipeline.codebook import load_codebook
    from pipeline.contract import STATEMENT_THEMES
    from pipeline.corrections.writer import write_rules
    from pipeline.qda.diff import project_changes
    from pipeline.qda.offsets import source_text, statement_span
    from pipeline.qda.reading import read_qdpx
    from pipeline.tableio import read_table

    project = read_qdpx(project_file)
    st = _statements(statements)
    texts, spans = {}, {}
    for report in _reports(raw, set(st["report_id"].astype(str))):
        text, line_spans = source_text(report.lines)
        texts[report.report_id] = text
        for row in st[st["report_id"].astype(str) == report.report_id].itertuples(index=False):
            lines = [int(x) for x in str(row.source_lines).split()] or [int(row.line_start)]
            spans[str(row.statement_id)] = statement_span(text, line_spans, lines, str(row.text))
    changes = project_changes(project, st, read_table(statement_themes, STATEMENT_THEMES), load_codebook(codebook), texts, spans)
    for name in changes.unknown_codes:
        log.warning("%s: code '%s' is neither a theme of the codebook nor a speaker: its codings are not imported",
                    project_file, name)
    if changes.unmatched_selections:
        log.warning("%s: %d selection(s) match no statement (text outside every statement): not imported",
                    project_file, changes.unmatched_selections)
    if changes.uncoded:
        log.info("%s: %d statement(s) have no selection left: their themes are removed", project_file, len(changes.uncoded))
    note = f"imported from {project_file.name}"
    themes_written, themes_removed = write_rules(corrections, "themes", changes.themes, note)
    speakers_written, speakers_removed = write_rules(corrections, "speakers", changes.speakers, note)
    log.info("import-qda: %d theme rule(s) and %d speaker rule(s) written, %d replaced or removed -> %s "
             "(review with `git diff`, apply with `dvc repro`)",
             themes_written, speakers_written, themes_removed + speakers_removed, corrections)


@one_line_errors
def export_qdc_command(
    out: Path = typer.Option(..., "--out", help="output: the codebook as a REFI-QDA codebook (.qdc)"),
    codebook: Path = typer.Option(CODEBOOK, "--codebook"),
) -> None:
    """Export the codebook alone as a REFI-QDA codebook (.qdc)."""
    from pipeline.codebook import load_codebook
    from pipeline.qda.codebook import export_qdc

    book = load_codebook(codebook)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(export_qdc(book))
    log.info("export-qdc: %d theme(s) -> %s", len(book.themes), out)


@one_line_errors
def import_qdc_command(
    qdc: Path = typer.Argument(..., help="a REFI-QDA codebook (.qdc) written by a QDA tool"),
    out: Path = typer.Option(..., "--out", help="output: the codebook YAML (e.g. codebooks/mine.yaml)"),
    name: str = typer.Option("", "--name", help="the codebook's short name (default: the file's origin or 'imported')"),
) -> None:
    """Import a REFI-QDA codebook (.qdc) as a codebook YAML."""
    from pipeline.codebook import parse_codebook
    from pipeline.qda.codebook import codebook_yaml, import_qdc

    try:
        data = qdc.read_bytes()
    except FileNotFoundError:
        raise InputError(qdc, "file not found") from None
    doc = import_qdc(data, qdc, name)
    text = codebook_yaml(doc)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    try:
        parse_codebook(doc, out)
    except InputError as exc:
        log.warning("%s (written: complete it by hand)", exc)
    log.info("import-qdc: %d theme(s) -> %s", len(doc["themes"]), out)
