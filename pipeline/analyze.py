"""`python -m pipeline analyze DIR --out OUT`: the whole analysis on a folder, outside DVC.

For an analyst with a folder of reports and no wish to set up a DVC
workspace: it calls the same core functions the stages call (segment → embed →
topics → tables → report and workbook), in memory, and writes the same files
into OUT. Unreadable reports are listed, not fatal (unless --on-error fail),
and the summary at the end says what was read.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import typer

from pipeline.cli_support import one_line_errors, show_progress
from pipeline.errors import InputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnalysisSummary:
    """What `analyze` read and wrote, for the closing summary."""

    reports_read: int
    statements: int
    speakers: int
    topics: int
    errors: tuple[tuple[str, str], ...]
    out: Path

    def lines(self) -> list[str]:
        out = [
            f"reports read: {self.reports_read}",
            f"statements:   {self.statements}",
            f"speakers:     {self.speakers}",
            f"topics:       {self.topics}",
            f"errors:       {len(self.errors)}",
        ]
        out += [f"  {file}: {problem}" for file, problem in self.errors]
        out += [f"report:       {self.out / 'report' / 'index.html'}", f"workbook:     {self.out / 'session_themes.xlsx'}"]
        return out


class Steps:
    """Announce each step on a terminal (people), log it otherwise (CI, files)."""

    def __init__(self, total: int, visible: bool) -> None:
        self.total, self.visible, self.n, self.t0 = total, visible, 0, time.perf_counter()

    def __call__(self, what: str) -> None:
        self.n += 1
        message = f"[{self.n}/{self.total}] {what} ({time.perf_counter() - self.t0:.0f}s)"
        if self.visible:
            typer.echo(message, err=True)
        else:
            log.info(message)


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def run_analysis(folder: Path, out: Path, params_path: Path, codebook_path: Path, *, on_error: str = "skip",
                 progress: bool = False) -> AnalysisSummary:
    """Segment, embed, cluster, tabulate and render every report of `folder` into `out`."""
    import spacy

    from pipeline.codebook import load_codebook
    from pipeline.contract import (
        DROPPED_LINES,
        INGEST_ERRORS,
        SESSIONS,
        SPEAKERS,
        STATEMENTS,
        validate,
    )
    from pipeline.embed.encode import embed_texts
    from pipeline.embed.incremental import embed_with_cache
    from pipeline.embed.model import load_encoder
    from pipeline.embed.settings import EmbedParams
    from pipeline.embed.store import write_embeddings
    from pipeline.explore import PROCESSED_FILES, Processed, theme_names_from
    from pipeline.export import ExportParams, export_workbook
    from pipeline.params import load_section
    from pipeline.report.build import ReportParams, render_report
    from pipeline.report.cli import write_files
    from pipeline.segment.cli import segment_folder
    from pipeline.segment.segmenter import SegmentParams
    from pipeline.tableio import write_table
    from pipeline.tables.core import TablesParams, build_tables
    from pipeline.tables.themes import ThemeColumns
    from pipeline.topics.store import save_model
    from pipeline.topics.core import assign_topics_and_themes
    from pipeline.topics.params import TopicsParams

    if on_error not in ("skip", "fail"):
        raise InputError("--on-error", f"must be skip or fail, not {on_error!r}")
    step = Steps(6, progress)
    seg_params = dataclasses.replace(load_section(params_path, "segment", SegmentParams), on_error=on_error)
    embed_params = load_section(params_path, "embed", EmbedParams)
    topics_params = load_section(params_path, "topics", TopicsParams)
    tables_params = load_section(params_path, "tables", TablesParams)
    report_params = load_section(params_path, "report", ReportParams)
    export_params = load_section(params_path, "export", ExportParams)
    codebook = load_codebook(codebook_path)

    step(f"segmenting the reports of {folder}")
    try:
        nlp = spacy.load(seg_params.spacy_model)
    except OSError:
        raise InputError(params_path, f"spaCy pipeline '{seg_params.spacy_model}' is not installed") from None
    results, error_rows = segment_folder(folder, seg_params, nlp)
    segmented = {
        "statements": (STATEMENTS, [r.statements for r in results]),
        "sessions": (SESSIONS, [r.session for r in results]),
        "speakers": (SPEAKERS, [r.speakers for r in results]),
        "dropped_lines": (DROPPED_LINES, [r.dropped for r in results]),
    }
    tables: dict[str, pd.DataFrame] = {
        name: validate(_concat(frames, table.column_names), table, f"segment ({folder})")
        for name, (table, frames) in segmented.items()
    }
    statements = tables["statements"]
    if statements.empty:
        raise InputError(folder, "no statement found in any report")

    step(f"embedding {len(statements)} statements")
    encoder = load_encoder(embed_params.model, source=f"{params_path}:embed.model", quiet=not progress)
    vectors, _ = embed_with_cache(statements["text"].astype(str).tolist(), encoder, embed_params, None,
                                  show_progress_bar=progress)

    step("fitting topics and naming them by the codebook's themes")
    topics_encoder = load_encoder(topics_params.encoder, source=f"{params_path}:topics.encoder")
    fitted = assign_topics_and_themes(statements, vectors, codebook, lambda texts: embed_texts(texts, topics_encoder),
                                      topics_params, topics_encoder.model)

    step("tabulating themes per speaker, role and session")
    built = build_tables(fitted.statement_themes, statements, themes=ThemeColumns.from_codebook(codebook),
                         params=tables_params)
    p = Processed(
        statements=statements, sessions=tables["sessions"], speakers=tables["speakers"],
        statement_themes=fitted.statement_themes, topics=fitted.topics, speaker_themes=built.speaker_themes,
        speaker_counts=built.speaker_counts, speaker_shares=built.speaker_shares, role_counts=built.role_counts,
        role_shares=built.role_shares, session_counts=built.session_counts, session_shares=built.session_shares,
        quote_bank=built.quote_bank, theme_names=theme_names_from(codebook_path),
    )
    for name, (file, table) in PROCESSED_FILES.items():
        write_table(getattr(p, name), out / file, table)
    write_table(tables["dropped_lines"], out / "dropped_lines.csv", DROPPED_LINES)
    write_table(error_rows, out / "ingest_errors.csv", INGEST_ERRORS)
    ids = statements["statement_id"].tolist()
    write_embeddings(vectors, ids, out / "embeddings.npy", out / "embedding_ids.csv")
    save_model(fitted.model, fitted.labels, out / "topic_model", topics_params.encoder)

    step("drawing the figures and writing the report")
    row_of = {s: i for i, s in enumerate(ids)}
    write_files(render_report(p, fitted.model, vectors, row_of, report_params), out / "report")

    step("writing the workbook")
    (out / "session_themes.xlsx").write_bytes(export_workbook(p, export_params))

    speakers = p.speakers[p.speakers["speaker"].astype(str).str.strip() != ""]
    return AnalysisSummary(
        reports_read=len(results),
        statements=len(statements),
        speakers=len(speakers[["report_id", "speaker"]].drop_duplicates()),
        topics=int((p.topics["topic"] != -1).sum()),
        errors=tuple((str(f), str(m)) for f, m in zip(error_rows["file"], error_rows["problem"], strict=True)),
        out=out,
    )


@one_line_errors
def command(
    folder: Path = typer.Argument(..., help="Folder of reports (.txt, .md, .pdf, .docx, .vtt, .srt)."),
    out: Path = typer.Option(..., "--out", help="Folder for every output (tables, report/, workbook)."),
    params: Path = typer.Option(Path("params.yaml"), "--params", help="params.yaml (every stage's section)."),
    codebook: Path = typer.Option(Path("codebooks/sse.yaml"), "--codebook", help="The codebook of themes."),
    on_error: str = typer.Option("skip", "--on-error", help="skip: list unreadable reports and go on; fail: stop."),
) -> None:
    """Run the whole analysis on a folder of reports, outside DVC, with a summary at the end."""
    if not folder.is_dir():
        raise InputError(folder, "folder not found")
    summary = run_analysis(folder, out, params, codebook, on_error=on_error, progress=show_progress())
    typer.echo("\n".join(summary.lines()))
