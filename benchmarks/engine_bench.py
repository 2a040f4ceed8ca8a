"""Distributed embed engines measured side by side: Dask (the stage's `embed.engine: dask`) and Ray Data.

    .venv/bin/python -m benchmarks.engine_bench [--shared ../shared] [--texts 4000] [--workers 2]
        [--ray-path DIR] [--out benchmarks/results/engine_bench.json]

Issue 12 asks for the embed stage's distributed engine to be Ray (Ray Data `map_batches`,
one model per actor) or Dask, chosen by measurement. This runs, on the first `--texts`
real State of the Union sentences of ../shared/corpora/cap_sotu, each in a process of its
own so that one engine's daemons and memory do not reach the next:

- local, 1 thread: the stage's in-process encoding (`embed_texts`) with `threads: 1`, the
  vectors every engine must reproduce bitwise (each worker runs one thread);
- local, `embed.threads` threads: the stage's default, what a one-machine run does;
- dask: `encode_on_cluster`, the stage's own code, on a local cluster of `--workers`
  processes x 1 thread that this benchmark starts (the stage would start it itself);
- ray: Ray Data `map_batches` with an actor pool of `--workers` actors of 1 CPU, each
  loading the model once and running the same `embed_texts` on batches of
  `embed.engine_chunk` texts, order preserved.

For each: the time to start the engine (cluster or `ray.init`), the first pass over the
texts (workers start and load the model) and a second pass on the same running engine
(the throughput a worker keeps), the peak memory summed over the process and all its
descendants (scheduler, workers, Ray's raylet and GCS; sampled every 0.1 s with psutil),
and whether the vectors equal the 1-thread local ones bit for bit. The machine's speed
(`scale_bench.calibrate`) is taken before and after, and the engines run in the order
dask, ray, ray, dask so that a host that speeds up or slows down hits both alike (each
figure is the mean of its two runs).

Ray is not a dependency of the project (see README, Scale: "Distributed embedding"):
install it apart, e.g. `pip install --target /tmp/raypkgs --no-deps ray==2.60.0 pyarrow`
(its other needs are already in the project's environment), and pass `--ray-path
/tmp/raypkgs`. Without it the Ray rows are skipped and say so.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from benchmarks import scale_bench
from benchmarks.scale_bench import calibrate, loadavg
from benchmarks.scale_corpus import default_shared

REPO = Path(__file__).resolve().parents[1]
ENV = {**scale_bench.ENV, "RAY_USAGE_STATS_ENABLED": "0", "RAY_DEDUP_LOGS": "0"}
ENGINES = ("local1", "local", "dask", "ray")
ORDER = ("local1", "local", "dask", "ray", "ray", "dask")


class TreeMemory:
    """Peak RSS summed over this process and its descendants, sampled in a thread."""

    def __init__(self, every: float = 0.1) -> None:
        import psutil

        self._me = psutil.Process()
        self._every = every
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        import psutil

        total = 0
        for proc in [self._me, *self._me.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self._every)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cap_sentences(shared: Path, n: int) -> list[str]:
    """The first `n` distinct real sentences of the CAP set (the embed benchmark's texts)."""
    from benchmarks.embed_bench import cap_texts

    texts = cap_texts(shared)["text_original"].dropna().astype(str)
    return list(dict.fromkeys(texts))[:n]


def stage_params():
    """The embed section of this project's params.yaml, as the stage reads it."""
    from pipeline.embed.settings import EmbedParams
    from pipeline.params import load_section

    return load_section(REPO / "params.yaml", "embed", EmbedParams)


class _RayEncoder:
    """A Ray Data actor running the Dask workers' very task (`distributed._encode_chunk`) on each batch."""

    def __init__(self, settings: dict) -> None:
        from pipeline.embed.distributed import _encode_chunk

        self._settings = settings
        self._encode = _encode_chunk
        self._encode(["The model loads once per actor."], dict(settings))

    def __call__(self, batch: dict) -> dict:
        return {"vector": self._encode([str(t) for t in batch["text"]], dict(self._settings))}


def _ray_pass(texts: list[str], params) -> np.ndarray:
    import ray

    ds = ray.data.from_items([{"text": t} for t in texts], override_num_blocks=-(-len(texts) // params.engine_chunk))
    ds = ds.map_batches(_RayEncoder, fn_constructor_kwargs={"settings": asdict(params)},
                        batch_size=params.engine_chunk, compute=ray.data.ActorPoolStrategy(size=params.workers),
                        num_cpus=1,
                        batch_format="numpy")
    parts = [batch["vector"] for batch in ds.iter_batches(batch_size=None, batch_format="numpy")]
    return np.concatenate(parts).astype(np.float32, copy=False)


def run_one(engine: str, texts: list[str], workers: int) -> tuple[dict, np.ndarray]:
    """One engine in this process: start-up, two passes, tree memory; returns figures and vectors."""
    import pipeline.offline  # noqa: F401
    from pipeline.embed.encode import embed_texts
    from pipeline.embed.model import load_encoder

    base = stage_params()
    params = replace(base, threads=base.threads if engine == "local" else 1, workers=workers)
    figures: dict[str, object] = {"engine": engine, "threads_per_worker": params.threads,
                                  "workers": 1 if engine.startswith("local") else workers,
                                  "precision": params.precision, "engine_chunk": params.engine_chunk}
    with TreeMemory() as memory:
        start = time.perf_counter()
        if engine.startswith("local"):
            encoder = load_encoder(params.model, **params.encoder_options())
            encoder.model
            encode = lambda: embed_texts(texts, encoder, **params.encoding_options())  # noqa: E731
            stop = lambda: None  # noqa: E731
        elif engine == "dask":
            import logging

            from distributed import LocalCluster

            from pipeline.embed.distributed import encode_on_cluster

            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=logging.ERROR)
            on_cluster = replace(params, engine="dask", cluster=cluster.scheduler_address)
            encode = lambda: encode_on_cluster(texts, on_cluster)  # noqa: E731
            stop = cluster.close
        else:
            import ray

            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)  # env: inherited
            ray.data.DataContext.get_current().execution_options.preserve_order = True
            ray.data.DataContext.get_current().enable_progress_bars = False
            encode = lambda: _ray_pass(texts, params)  # noqa: E731
            stop = ray.shutdown
        figures["startup_s"] = round(time.perf_counter() - start, 2)
        passes = []
        for _ in range(2):
            began = time.perf_counter()
            vectors = encode()
            passes.append(time.perf_counter() - began)
        stop()
    figures["first_pass_s"] = round(passes[0], 2)
    figures["second_pass_s"] = round(passes[1], 2)
    figures["texts_per_s_second_pass"] = round(len(texts) / passes[1], 1)
    figures["texts_per_s_per_worker"] = round(len(texts) / passes[1] / figures["workers"], 1)
    figures["peak_tree_rss_mb"] = round(memory.peak / 2**20)
    return figures, vectors


def package_mb(names: list[str], where: list[str]) -> float:
    """Installed size of top-level packages found on `where` (the first hit of each)."""
    total = 0
    for name in names:
        for root in where:
            folder = Path(root) / name
            if folder.is_dir():
                total += sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
                break
    return round(total / 2**20, 1)


def _child(args: argparse.Namespace) -> None:
    texts = cap_sentences(Path(args.shared), args.texts)
    figures, vectors = run_one(args.one, texts, args.workers)
    np.save(args.vectors, vectors)
    print(json.dumps(figures))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", default=str(default_shared(REPO)))
    parser.add_argument("--texts", type=int, default=4000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ray-path", default="", help="a folder where ray (and pyarrow) are installed")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "engine_bench.json"))
    parser.add_argument("--one", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--vectors", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        _child(args)
        return

    env = {**os.environ, **ENV}
    paths = [str(REPO)] + ([args.ray_path] if args.ray_path else [])
    env["PYTHONPATH"] = os.pathsep.join(paths + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    has_ray = subprocess.run([sys.executable, "-c", "import ray.data"], env=env, capture_output=True).returncode == 0
    result: dict[str, object] = {"texts": args.texts, "workers": args.workers, "calibration_before_s": calibrate(),
                                 "load_before": loadavg(), "runs": []}
    vectors: dict[str, list[np.ndarray]] = {}
    for engine in ORDER:
        if engine == "ray" and not has_ray:
            continue
        out = Path(f"/tmp/engine_bench_{os.getpid()}_{engine}.npy")
        cmd = [sys.executable, "-m", "benchmarks.engine_bench", "--one", engine, "--shared", args.shared,
               "--texts", str(args.texts), "--workers", str(args.workers), "--vectors", str(out)]
        done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"error: engine {engine} failed:\n{done.stderr[-4000:]}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        vectors.setdefault(engine, []).append(np.load(out))
        out.unlink()
        result["runs"].append(figures)
        print(json.dumps(figures), flush=True)
    reference = vectors["local1"][0]
    for engine, got in vectors.items():
        result.setdefault("bitwise_equal_to_local_1_thread", {})[engine] = all(
            g.shape == reference.shape and np.array_equal(g, reference) for g in got)
        result.setdefault("max_abs_diff_to_local_1_thread", {})[engine] = float(
            max(np.abs(g - reference).max() for g in got))
    site = [p for p in sys.path if p.endswith("site-packages")]
    result["installed_mb"] = {
        "dask": package_mb(["dask", "distributed", "tornado", "toolz", "cloudpickle", "partd", "locket",
                            "zict", "tblib", "sortedcontainers", "psutil", "msgpack"], site),
        "ray": package_mb(["ray", "pyarrow"], [args.ray_path, *site]) if has_ray else None,
    }
    if not has_ray:
        result["ray"] = "not installed: pass --ray-path (see the module's docstring)"
    result["calibration_after_s"] = calibrate()
    result["load_after"] = loadavg()
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    main()
