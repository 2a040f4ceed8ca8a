"""What the topics stage's UMAP compiles in each run, with and without the library kernels marked.

    .venv/bin/python -m benchmarks.jit_bench [--rows 4500] [--out benchmarks/results]

UMAP and PyNNDescent compile their numba kernels in every new process unless numba's cache
keeps them; most of PyNNDescent's are not marked for the cache by the library
(`pipeline/jit_cache.py`). For each way (`library`: what the libraries cache themselves;
`marked`: the stage's way, `cache_library_kernels`), a fresh numba cache folder is made and
the same UMAP fit (the stage's `umap_reducer` with this project's `params.yaml`, a codebook
guide, `rows` random unit vectors of 384 dimensions: above 4,096 rows UMAP takes PyNNDescent's
path, as a real corpus does) runs in two fresh processes one after the other: the first fills the
cache (a new machine's first run), the second is every later run. Each process reports the
seconds spent compiling (the outermost numba compilations, summed) and the fit's wall time.
Ways alternate (library, marked, marked, library) so that drift of the host hits both.
Results: `<out>/jit_bench.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_CHILD = """
import json, sys, time
import pipeline  # numba's cache folder is NUMBA_CACHE_DIR, set by the parent
import numba.core.dispatcher as dispatcher
import numpy as np

import pipeline.jit_cache as jit_cache
from pipeline.params import load_section
from pipeline.topics.model import umap_reducer
from pipeline.topics.params import TopicsParams

way, rows, params_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if way == "library":
    jit_cache.cache_library_kernels = lambda *a, **k: 0  # the libraries' own caching only
compiled, depth = [0.0], [0]
original = dispatcher.Dispatcher.compile

def timed_compile(self, sig):
    depth[0] += 1
    start = time.perf_counter()
    try:
        return original(self, sig)
    finally:
        depth[0] -= 1
        if depth[0] == 0:
            compiled[0] += time.perf_counter() - start

dispatcher.Dispatcher.compile = timed_compile
params = load_section(params_path, "topics", TopicsParams)
rng = np.random.default_rng(0)
X = rng.standard_normal((rows, 384)).astype(np.float32)
X /= np.linalg.norm(X, axis=1, keepdims=True)
guide = rng.integers(0, 12, rows)
start = time.perf_counter()
umap_reducer(params, rows, guided=True).fit_transform(X, y=guide)
print(json.dumps({"fit_s": round(time.perf_counter() - start, 2), "compile_s": round(compiled[0], 2)}))
"""


def run_child(way: str, rows: int, cache: Path) -> dict[str, float]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore"}
    out = subprocess.run([sys.executable, "-c", _CHILD, way, str(rows), str(REPO / "params.yaml")],
                         cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(way: str, rows: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="jit-bench-") as folder:
        return {"first_run": run_child(way, rows, Path(folder)), "later_run": run_child(way, rows, Path(folder))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=4500, help="vectors UMAP is fitted on (above 4,096: PyNNDescent)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results", help="folder for jit_bench.json")
    args = parser.parse_args(argv)
    from benchmarks.scale_bench import calibrate

    runs: dict[str, list[dict]] = {"library": [], "marked": []}
    calibration = [calibrate()]
    for way in ("library", "marked", "marked", "library"):
        runs[way].append(measure(way, args.rows))
        print(way, runs[way][-1], flush=True)
    calibration.append(calibrate())
    summary = {}
    for way, results in runs.items():
        summary[way] = {run: round(sum(r[run]["compile_s"] for r in results) / len(results), 2)
                        for run in ("first_run", "later_run")}
    summary["later_run_ratio"] = round(summary["library"]["later_run"] / summary["marked"]["later_run"], 2)
    result = {"rows": args.rows, "calibration_s": calibration, "runs": runs, "mean_compile_s": summary}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "jit_bench.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"compile seconds per run, means: library {summary['library']}, marked {summary['marked']}; "
          f"later runs {summary['later_run_ratio']}x less compiling when marked", flush=True)


if __name__ == "__main__":
    main()
