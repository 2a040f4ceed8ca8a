"""`python -m pipeline segment`: data/raw reports -> the five segment tables.

Thin: lists the reports, reads each one, calls `segment_report`, validates and
writes. A bad report stops the stage with one line naming the file
(`on_error: fail`) or is listed in the errors table (`on_error: skip`).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from pipeline.cli_support import one_line_errors
from pipeline.contract import DROPPED_LINES, INGEST_ERRORS, SESSIONS, SPEAKERS, STATEMENTS, validate
from pipeline.corrections.hooks import apply_speaker_rules
from pipeline.errors import InputError
from pipeline.forkpool import fork_map
from pipeline.params import load_section
from pipeline.result_cache import ResultCache, input_key, params_settings, source_fingerprint
from pipeline.segment.segmenter import SegmentedReport, SegmentParams, segment_report
from pipeline.tableio import write_table

log = logging.getLogger(__name__)


def list_reports(raw: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Every file of `raw` with a supported suffix, sorted by name; an error when there is none."""
    if not raw.is_dir():
        raise InputError(raw, "folder not found")
    paths = sorted(p for p in raw.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
    if not paths:
        raise InputError(raw, f"no report to segment (supported: {', '.join(suffixes)})")
    return paths


def segment_folder(raw: Path, params: SegmentParams, nlp: object, cache: ResultCache | None = None
                   ) -> tuple[list[SegmentedReport], pd.DataFrame]:
    """Segment every report of `raw`; returns the results and the ingest errors (file, problem).

    With `params.workers` > 1 the reports are segmented by that many forked
    processes (each inherits `nlp`, loaded once); results come back in report
    order, so the tables are the same bytes as with one process. With a
    `cache`, a report segmented before (same name, same bytes) is read back,
    and only the others are segmented (and then stored); entries of reports since
    changed or taken out are removed.
    """
    from pipeline.segment.readers import SUPPORTED_SUFFIXES

    paths = list_reports(raw, SUPPORTED_SUFFIXES)
    keys = [input_key(p.name, p.read_bytes()) for p in paths] if cache is not None else []
    found = {i: cache.get(k) for i, k in enumerate(keys)} if cache is not None else {}
    todo = [i for i, p in enumerate(paths) if found.get(i) is None]
    computed = dict(zip(todo, _segment_all([paths[i] for i in todo], params, nlp)))
    if cache is not None:
        log.info("segment cache: %d report(s) read back, %d segmented now", len(paths) - len(todo), len(todo))
    results: list[SegmentedReport] = []
    errors: list[dict[str, str]] = []
    for i, path in enumerate(paths):
        result, problem = (found[i], "") if i not in computed else computed[i]
        if result is not None:
            if cache is not None and i in computed:
                cache.put(keys[i], result)
            results.append(result)
            continue
        error = InputError(path, problem)
        if params.on_error == "fail":
            raise error from None
        log.warning("skipped %s", error)
        errors.append({"file": str(path), "problem": problem})
    if cache is not None:  # every report in the folder was asked for: the rest were changed or removed
        cache.retain_asked()
    return results, pd.DataFrame(errors, columns=INGEST_ERRORS.column_names)


def segment_cache(root: Path, params: SegmentParams, nlp: Any) -> ResultCache:
    """Where each report's tables are kept: a namespace per params (but `workers` and `on_error`, which
    change no report's tables), spaCy pipeline, library versions and segmenting code."""
    import pipeline.contract
    import pipeline.errors
    import pipeline.segment
    import spacy

    meta = getattr(nlp, "meta", {}) or {}
    settings = params_settings(params, ignore=("workers", "on_error"))
    settings["pipeline"] = {"name": f"{meta.get('lang', '')}_{meta.get('name', '')}", "version": meta.get("version", ""),
                            "spacy": spacy.__version__, "pandas": pd.__version__}
    code = source_fingerprint([pipeline.segment, pipeline.contract, pipeline.errors])
    return ResultCache(root, code, settings, what="segment cache")


def _segment_one(path: Path, params: SegmentParams, nlp: object) -> tuple[SegmentedReport | None, str]:
    """One report's result, or None and the problem (an InputError does not survive pickling)."""
    from pipeline.segment.readers import read_report

    try:
        return segment_report(path.stem, read_report(path), nlp=nlp, params=params), ""
    except InputError as exc:
        return None, exc.problem


def _segment_all(paths: list[Path], params: SegmentParams, nlp: object) -> list[tuple[SegmentedReport | None, str]]:
    """Each report's result in report order, in `params.workers` forked processes (each inherits `nlp`)."""
    return fork_map(functools.partial(_segment_one, params=params, nlp=nlp), paths, params.workers, what="reports")


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


@one_line_errors
def command(
    raw: Path = typer.Option(..., "--raw", help="Folder of reports (.txt, .md, .pdf, .docx, .vtt, .srt)."),
    params_path: Path = typer.Option(..., "--params", help="params.yaml; reads its `segment` section."),
    statements: Path = typer.Option(..., "--statements", help="Output: one row per statement."),
    sessions: Path = typer.Option(..., "--sessions", help="Output: one row per report."),
    speakers: Path = typer.Option(..., "--speakers", help="Output: one row per person per report."),
    dropped: Path = typer.Option(..., "--dropped", help="Output: every line in no statement, with the reason."),
    errors: Path = typer.Option(..., "--errors", help="Output: reports skipped with on_error: skip."),
    corrections: Path | None = typer.Option(None, "--corrections", help="The analyst's corrections file (speaker rules)."),
    corrections_report: Path | None = typer.Option(
        None, "--corrections-report", help="Output: what became of each speaker rule (the topics stage adds the rest)."
    ),
    cache_dir: Path | None = typer.Option(
        None, "--cache", help="Folder keeping each report's tables across runs (only changed reports are segmented)."
    ),
) -> None:
    """Segment every report into statements attributed to person, role and section."""
    import spacy

    params = load_section(params_path, "segment", SegmentParams)
    try:
        nlp = spacy.load(params.spacy_model)
    except OSError:
        raise InputError(params_path, f"spaCy pipeline '{params.spacy_model}' is not installed") from None
    cache = segment_cache(cache_dir, params, nlp) if cache_dir is not None else None
    results, error_rows = segment_folder(raw, params, nlp, cache)
    tables = (
        (statements, STATEMENTS, [r.statements for r in results]),
        (sessions, SESSIONS, [r.session for r in results]),
        (speakers, SPEAKERS, [r.speakers for r in results]),
        (dropped, DROPPED_LINES, [r.dropped for r in results]),
    )
    frames_by_path = {path: _concat(frames, table.column_names) for path, table, frames in tables}
    apply_speaker_rules(frames_by_path, statements, speakers, corrections, corrections_report)
    for path, table, _ in tables:
        write_table(validate(frames_by_path[path], table, path), path, table)
    write_table(error_rows, errors, INGEST_ERRORS)
    n_statements = sum(len(r.statements) for r in results)
    n_dropped = sum(len(r.dropped) for r in results)
    log.info(
        "segment: %d report(s), %d statement(s), %d dropped line(s), %d skipped",
        len(results),
        n_statements,
        n_dropped,
        len(error_rows),
    )
