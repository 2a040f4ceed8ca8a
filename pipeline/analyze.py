"""`python -m pipeline analyze DIR --out OUT`: the whole analysis on a folder, outside DVC.

For an analyst with a folder of reports and no wish to set up a DVC
workspace. There is one definition of the pipeline, dvc.yaml: `analyze` reads
its stages and runs their very commands, in dependency order, in a temporary
copy of the project's layout where the reports folder is DIR, with the same
params.yaml (and the same vector cache). So on the same input it writes the
same bytes as `dvc repro`, and a stage added to dvc.yaml is run here too.
The tables, report and workbook land in OUT, metrics in OUT/metrics/.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import typer
import yaml

from pipeline.cli_support import one_line_errors
from pipeline.errors import InputError
from pipeline.stages import Stage, read_stages, source_paths

log = logging.getLogger(__name__)

ON_ERROR = ("skip", "fail")


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
        out += [f"outputs:      {self.out}"]
        return out


def _stage_option(stages: list[Stage], flag: str) -> str:
    values = {v for s in stages if (v := s.option(flag)) is not None}
    if len(values) != 1:
        raise InputError("dvc.yaml", f"expected one value of {flag} across the stages, found {sorted(values) or 'none'}")
    return values.pop()


def output_destination(path: str, processed: PurePosixPath) -> PurePosixPath:
    """Where an output of dvc.yaml lands in OUT: below the processed folder as is, elsewhere with its path."""
    p = PurePosixPath(path)
    return p.relative_to(processed) if p.is_relative_to(processed) else p


def processed_folder(stages: list[Stage]) -> PurePosixPath:
    """The folder that holds every stage's data outputs (data/processed in this project's dvc.yaml)."""
    outs = [PurePosixPath(o) for s in stages for o in s.outs if not o.endswith(".json")]
    return PurePosixPath(os.path.commonpath([str(o) for o in outs])) if outs else PurePosixPath(".")


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target.resolve(), target_is_directory=target.is_dir())


def prepare_workspace(project: Path, workspace: Path, stages: list[Stage], folder: Path, on_error: str | None) -> None:
    """Lay out `workspace` as the project: its inputs linked, the reports folder being `folder`, params copied."""
    raw = _stage_option(stages, "--raw")
    params = _stage_option(stages, "--params")
    cache = {v for s in stages if (v := s.option("--cache")) is not None}
    code = Path(__file__).resolve().parent.name  # the stages run this package from the interpreter, not a link
    linked: list[PurePosixPath] = []
    for rel in source_paths(stages):
        path = PurePosixPath(rel)
        if rel in (raw, params) or path.parts[0] == code or not (project / rel).exists():
            continue
        if any(path.is_relative_to(done) for done in linked):
            continue
        _link(project / rel, workspace / rel)
        linked.append(path)
    _link(folder, workspace / raw)
    for rel in cache:
        (project / rel).mkdir(parents=True, exist_ok=True)
        _link(project / rel, workspace / rel)
    values = yaml.safe_load((project / params).read_text(encoding="utf-8")) or {}
    if on_error is not None:
        values.setdefault("segment", {})["on_error"] = on_error
    (workspace / params).write_text(yaml.safe_dump(values, sort_keys=False, allow_unicode=True), encoding="utf-8")
    for stage in stages:
        for out in stage.outs:
            (workspace / out).parent.mkdir(parents=True, exist_ok=True)


def run_stage(stage: Stage, workspace: Path) -> float:
    """Run one stage's dvc.yaml command in `workspace` with this interpreter; seconds taken."""
    argv = stage.argv
    if argv and argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    t0 = time.perf_counter()
    done = subprocess.run(argv, cwd=workspace, env=env, check=False)
    if done.returncode != 0:
        raise InputError(f"stage {stage.name}", f"failed (exit {done.returncode}); its message is above")
    return time.perf_counter() - t0


def run_analysis(folder: Path, out: Path, project: Path, *, on_error: str | None = None,
                 announce=lambda message: None) -> AnalysisSummary:
    """Run every stage of `project`/dvc.yaml on the reports of `folder`; outputs into `out`."""
    import pandas as pd

    if on_error is not None and on_error not in ON_ERROR:
        raise InputError("--on-error", f"must be skip or fail, not {on_error!r}")
    stages = read_stages(project / "dvc.yaml")
    processed = processed_folder(stages)
    with tempfile.TemporaryDirectory(prefix="session-themes-analyze-") as tmp:
        workspace = Path(tmp)
        prepare_workspace(project, workspace, stages, folder.resolve(), on_error)
        for i, stage in enumerate(stages, start=1):
            announce(f"[{i}/{len(stages)}] {stage.name}")
            seconds = run_stage(stage, workspace)
            log.info("stage %s: %.1f s", stage.name, seconds)
        for stage in stages:
            for rel in stage.outs:
                src, dst = workspace / rel, out / output_destination(rel, processed)
                dst.parent.mkdir(parents=True, exist_ok=True)
                if dst.is_dir():
                    shutil.rmtree(dst)
                (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)

    def table(flag: str) -> pd.DataFrame:
        return pd.read_csv(out / output_destination(_stage_option(stages, flag), processed), keep_default_na=False)

    speakers = table("--speakers")
    errors = table("--errors")
    topics = table("--topics")
    return AnalysisSummary(
        reports_read=len(table("--sessions")),
        statements=len(table("--statements")),
        speakers=int((speakers["speaker"].astype(str).str.strip() != "").sum()),
        topics=int((topics["topic"].astype(int) != -1).sum()),
        errors=tuple((str(f), str(m)) for f, m in zip(errors["file"], errors["problem"], strict=True)),
        out=out,
    )


@one_line_errors
def command(
    folder: Path = typer.Argument(..., help="Folder of reports (.txt, .md, .pdf, .docx, .vtt, .srt)."),
    out: Path = typer.Option(..., "--out", help="Folder for every output (tables, report/, workbook, metrics/)."),
    project: Path = typer.Option(Path("."), "--project", help="The project folder: its dvc.yaml, params.yaml, "
                                                               "codebook, labels and vector cache are used."),
    on_error: str | None = typer.Option(None, "--on-error",
                                        help="skip: list unreadable reports and go on; fail: stop "
                                             "(default: params.yaml segment.on_error)."),
) -> None:
    """Run every stage of dvc.yaml on a folder of reports, outside DVC, with a summary at the end."""
    if not folder.is_dir():
        raise InputError(folder, "folder not found")
    summary = run_analysis(folder, out, project, on_error=on_error,
                           announce=lambda message: typer.echo(message, err=True))
    typer.echo("\n".join(summary.lines()))
