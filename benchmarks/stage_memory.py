"""Run chosen dvc.yaml stages of a project one at a time; wall time, peak RSS and peak PSS: a benchmark aid.

    python -m benchmarks.stage_memory /tmp/down1m segments tables report export export_qda evaluate

Each stage's command is run exactly as dvc.yaml gives it (`pipeline.stages.read_stages`),
after its outputs are removed (as dvc does), under `nice -n 19`, in its own session.
Printed per stage (one JSON line): exit code, wall and CPU seconds, `peak_rss_mb` (os.wait4's
ru_maxrss: the largest single process, the stage or one of its workers) and `peak_pss_mb`
(sampled twice a second: the proportional set size of the stage and every process of its
session summed, shared pages split between sharers: what the machine gave the stage). Above
`--cap-mb` of PSS the whole session is killed (exit -9). Per-stage traces of (seconds, PSS MB)
go to `--traces`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "DVC_NO_ANALYTICS": "1"}


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def session_pss_mb(sid: int) -> float:
    """PSS of every process of session `sid` (the stage, its workers, their children), MB."""
    out = subprocess.run(["ps", "-o", "pid=", "-s", str(sid)], capture_output=True, text=True).stdout.split()
    return sum(_pss_kb(int(p)) for p in out) / 1024


def run_stage(argv: list[str], cwd: Path, log_path: Path, cap_mb: float) -> tuple[dict[str, float], list]:
    env = {**os.environ, **ENV, "PYTHONPATH": str(REPO)}
    trace: list[tuple[float, float]] = []
    with open(log_path, "w", encoding="utf-8") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(["nice", "-n", "19", *argv], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                pss = session_pss_mb(proc.pid)
                trace.append((round(time.perf_counter() - start, 1), round(pss)))
                if pss > cap_mb:
                    os.killpg(proc.pid, signal.SIGKILL)
                stop.wait(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        stop.set()
        sampler.join()
    wall = time.perf_counter() - start
    return {"rc": os.waitstatus_to_exitcode(status), "wall_s": round(wall, 1),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "peak_pss_mb": max((m for _, m in trace), default=0)}, trace


def main(argv: list[str] | None = None) -> None:
    sys.path.insert(0, str(REPO))
    from pipeline.stages import read_stages

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("project", type=Path, help="a project folder (dvc.yaml, params.yaml, data/)")
    parser.add_argument("stages", nargs="+", help="stage names, run in dvc.yaml's order")
    parser.add_argument("--cap-mb", type=float, default=12000, help="kill a stage above this PSS")
    parser.add_argument("--traces", type=Path, default=Path("/tmp/stage_memory"), help="folder for logs and traces")
    args = parser.parse_args(argv)
    args.traces.mkdir(parents=True, exist_ok=True)
    for stage in read_stages(args.project / "dvc.yaml"):
        if stage.name not in args.stages:
            continue
        for path in stage.outs:
            target = args.project / path
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            target.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, *stage.argv[1:]] if stage.argv[0] == "python" else stage.argv
        name = f"{args.project.name}_{stage.name}"
        result, trace = run_stage(cmd, args.project, args.traces / f"{name}.log", args.cap_mb)
        (args.traces / f"{name}.trace.json").write_text(json.dumps(trace), encoding="utf-8")
        print(stage.name, json.dumps(result), flush=True)
        if result["rc"] != 0:
            raise SystemExit(f"error: stage {stage.name} failed (exit {result['rc']}): see {args.traces / name}.log")


if __name__ == "__main__":
    main()
