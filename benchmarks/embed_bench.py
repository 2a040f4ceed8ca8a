"""Embed-stage benchmark: throughput, incremental rerun, memory, CPU speed-ups.

    .venv/bin/python -m benchmarks.embed_bench [--shared ../shared] [--speedup-texts 1500] [--only-speedups]

On the 6,434 real sentences of ../shared/corpora/cap_sotu/df_cap_sotu_test.csv
(column text_original), in one run, every figure beside a baseline measured in
the same run:

(a) throughput of the stage's encoding path (`embed_with_cache`, empty cache)
    against a bare `SentenceTransformer.encode` of the same texts; the two run
    alternately on quarters of the set so that load from other processes hits
    both alike (bare first on even quarters, stage first on odd). Goal: >= 0.95.
(b) the stage as `dvc repro` runs it (`run_embed`, in a subprocess): cold on
    the whole set, then again after adding 1% new statements (real sentences
    joined to the sentence that follows them, so texts not yet in the set). Start-up
    (imports and model load) is reported apart; goal: the rerun's time beyond
    start-up <= 5% of the cold run's.
(c) peak RSS of that cold subprocess (whole set), beside its RSS after start-up.
(d) CPU speed-ups on a sample (`--speedup-texts`): no length sorting, torch
    thread settings, the params' pass shape in float32 and bfloat16, and plain
    length-sorted encodes (no fill copies) of torch, ONNX Runtime (fp32, int8 with
    one scale per tensor or per channel) and torch dynamic int8, each against the stage's
    default measured twice in the same run (mean), with the lowest cosine of any
    vector to the default's. Adopt when >= 1.5x faster and every cosine >= 0.99.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
CAP = Path("corpora") / "cap_sotu" / "df_cap_sotu_test.csv"
ADOPT_SPEEDUP = 1.5
ADOPT_COSINE = 0.99


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def cap_texts(shared: Path) -> pd.DataFrame:
    path = shared / CAP
    if not path.is_file():
        raise SystemExit(f"error: {path}: file not found (pass --shared)")
    return pd.read_csv(path, usecols=["doc_id", "text_original", "text_following"])


def statements_frame(texts: list[str], report_of: list[str]) -> pd.DataFrame:
    seq = pd.Series(report_of).groupby(report_of).cumcount().to_numpy()
    return pd.DataFrame(
        {
            "report_id": report_of,
            "statement_id": [f"{r}-{s:05d}" for r, s in zip(report_of, seq)],
            "seq": seq,
            "section": "other",
            "speaker": "",
            "role": "other",
            "speaker_label": "",
            "text": texts,
            "line_start": seq + 1,
            "line_end": seq + 1,
            "page": pd.NA,
        }
    )


# ---------------------------------------------------------------- (b), (c): the stage in a subprocess


def child(statements: Path, vectors: Path, ids: Path, params: Path, cache: Path) -> None:
    """Run the stage once; print timings and memory as JSON on stdout."""
    t0 = time.perf_counter()
    from pipeline.embed.cli import run_embed
    from pipeline.embed.model import load_encoder
    from pipeline.embed.settings import EmbedParams
    from pipeline.params import load_section

    p = load_section(params, "embed", EmbedParams)
    load_encoder(p.model, backend=p.backend, threads=p.threads, cache_dir=cache).model  # memoised per process
    t1 = time.perf_counter()
    rss_startup = _rss_mb()
    report = run_embed(statements, vectors, ids, params, cache)
    t2 = time.perf_counter()
    out = {
        "startup_s": t1 - t0,
        "work_s": t2 - t1,
        "rss_startup_mb": rss_startup,
        "peak_rss_mb": _rss_mb(),
        "encoded": report.encoded,
        "cached": report.cached,
    }
    print(json.dumps(out))


def run_child(work: Path, cache: Path) -> dict[str, float]:
    cmd = [sys.executable, "-m", "benchmarks.embed_bench", "--child"]
    cmd += [str(work / n) for n in ("statements.csv", "embeddings.npy", "embedding_ids.csv", "params.yaml")]
    cmd += [str(cache)]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"error: the stage subprocess failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - start
    return result


# ---------------------------------------------------------------- (d): speed-ups


def encode_unsorted(model, texts: list[str], batch_size: int) -> np.ndarray:
    """Batches in the given order: each call sorts only within its batch, as if no global length sort."""
    parts = [model.encode(texts[i : i + batch_size], batch_size=batch_size) for i in range(0, len(texts), batch_size)]
    return np.concatenate(parts).astype(np.float32)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float((a * b).sum(axis=1).min())


def torch_int8(name: str):
    """A fresh copy of the model with every linear layer in dynamic int8 (torch's per-channel weight scales,
    the most accurate of its dynamic schemes here)."""
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig

    from pipeline.embed.model import load_encoder

    model = load_encoder(name).model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's notice that eager quantisation moves to torchao
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig})


def speedups(encoder, texts: list[str], batch_size: int, cache: Path) -> tuple[list[dict[str, object]], float]:
    """Each variant's time and lowest cosine to the baseline: the stage's own path in float32 (passes of at
    most the params' word pieces, torch with one thread per core)."""
    import torch

    from pipeline.embed.encode import embed_texts
    from pipeline.embed.model import load_encoder
    from pipeline.embed.onnx_backend import OnnxRunner, model_layout, quantize_int8
    from pipeline.embed.settings import EmbedParams

    model = encoder.model
    cores = os.cpu_count() or 1
    tokens = EmbedParams().batch_tokens

    def torch_with(threads: int, batch_tokens: int = tokens, shaped=encoder):
        def run():
            torch.set_num_threads(threads)
            return embed_texts(texts, shaped, batch_size=batch_size, batch_tokens=batch_tokens)

        return run

    base1, reference = timed(torch_with(cores))
    rows: list[dict[str, object]] = []

    def add(name: str, fn) -> None:
        seconds, vectors = timed(fn)
        rows.append({"variant": name, "seconds": seconds, "cosine": min_cosine(vectors, reference)})

    torch.set_num_threads(cores)
    add(f"torch, {cores} threads, no global length sort", lambda: encode_unsorted(model, texts, batch_size))
    add(f"torch, 1 thread, passes of <= {tokens} word pieces", torch_with(1))
    add(f"torch, {cores} threads, passes of {batch_size} texts (no word-piece bound; the last pass of a length "
        "filled)", torch_with(cores, 0))
    # plain length-sorted encodes (no pass shapes, no fill copies): the engines and precisions side by side
    plain = "plain encode (length-sorted batches):"
    add(f"{plain} torch fp32 (SentenceTransformer.encode), {cores} threads",
        lambda: (torch.set_num_threads(cores), model.encode(texts, batch_size=batch_size))[1])
    onnx = load_encoder(encoder.name, backend="onnx", cache_dir=cache)
    export_s, _ = timed(lambda: onnx.encode_batch(texts[:2], batch_size=2))
    max_tokens, lowercase, _ = model_layout(onnx.path)

    def runner(path: Path, threads: int) -> OnnxRunner:
        return OnnxRunner(path, onnx.tokenizer, max_tokens=max_tokens, lowercase=lowercase, threads=threads)

    int8_path = onnx.onnx_path().with_name("model-int8.onnx")
    channel_path = onnx.onnx_path().with_name("model-int8-per-channel.onnx")
    for path, per_channel in ((int8_path, False), (channel_path, True)):
        if not path.is_file():
            quantize_int8(onnx.onnx_path(), path, per_channel=per_channel)
    for name, path, threads in ((f"onnx fp32, {cores} threads", onnx.onnx_path(), cores),
                                ("onnx fp32, 1 thread", onnx.onnx_path(), 1),
                                ("onnx int8 (dynamic, one scale per tensor), 1 thread", int8_path, 1),
                                (f"onnx int8 (dynamic, one scale per tensor), {cores} threads", int8_path, cores),
                                (f"onnx int8 (dynamic, one scale per channel), {cores} threads", channel_path, cores)):
        add(f"{plain} {name}", lambda r=runner(path, threads): r.encode(texts, batch_size=batch_size))
    quantised = torch_int8(encoder.name)
    add(f"{plain} torch int8 (dynamic, one scale per channel), {cores} threads",
        lambda: (torch.set_num_threads(cores), quantised.encode(texts, batch_size=batch_size))[1])
    add(f"torch bfloat16, {cores} threads, passes of <= {tokens} word pieces",
        torch_with(cores, shaped=load_encoder(encoder.name, precision="bfloat16")))

    base2, _ = timed(torch_with(cores))
    baseline = (base1 + base2) / 2
    rows.insert(0, {"variant": f"the stage: torch float32, {cores} threads, passes of <= {tokens} word pieces "
                               "(baseline, mean of 2)", "seconds": baseline, "cosine": 1.0})
    one_thread = next(float(r["seconds"]) for r in rows if r["variant"].startswith("torch, 1 thread"))
    for row in rows:
        row["speedup"] = baseline / float(row["seconds"])
        row["vs_torch_1"] = one_thread / float(row["seconds"])
        row["adopt"] = row["speedup"] >= ADOPT_SPEEDUP and row["cosine"] >= ADOPT_COSINE
    rows[0]["adopt"] = False
    return rows, export_s


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="folder holding corpora/")
    parser.add_argument("--speedup-texts", type=int, default=1500, help="sample size for (d)")
    parser.add_argument("--only-speedups", action="store_true", help="(d) only, on the same sample")
    parser.add_argument("--limit", type=int, default=None, help="first N sentences only (a quick try, not the figures)")
    parser.add_argument("--child", nargs=5, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return

    load = os.getloadavg()[0]
    frame = cap_texts(args.shared)
    if args.limit:
        frame = frame.head(args.limit)
    texts = frame["text_original"].astype(str).tolist()
    reports = [f"sotu{int(d):02d}" for d in frame["doc_id"]]
    print(f"{len(texts)} CAP sentences ({len(set(texts))} distinct); load average at start {load:.1f} on {os.cpu_count()} cores")

    with tempfile.TemporaryDirectory(prefix="embed-bench-") as tmp:
        work = Path(tmp)
        from pipeline.embed.settings import EmbedParams
        from pipeline.params import load_section

        # the stage as configured: the repository's params.yaml, embed section
        (work / "params.yaml").write_text((REPO / "params.yaml").read_text(encoding="utf-8"), encoding="utf-8")
        params = load_section(work / "params.yaml", "embed", EmbedParams)
        print(f"stage settings (params.yaml embed): backend {params.backend}, precision {params.precision}, "
              f"threads {params.threads}, batch_size {params.batch_size}, batch_tokens {params.batch_tokens}")

        # the seeded draws, made first so that --only-speedups takes the same sample as a whole run
        rng = np.random.default_rng(0)
        candidates = [
            f"{a} {b}" for a, b in zip(frame["text_original"], frame["text_following"]) if isinstance(b, str)
        ]
        fresh_order = rng.permutation(len(candidates))
        sample = [texts[i] for i in sorted(rng.choice(len(texts), size=min(args.speedup_texts, len(texts)), replace=False))]
        if args.only_speedups:
            rows, export_s = speedups(load_encoder_for(params), sample, params.batch_size, work / "cache-d")
            print_speedups(rows, sample, export_s)
            return

        # (a) throughput, in this process, alternating on quarters
        t0 = time.perf_counter()
        from pipeline.embed.incremental import cache_for, embed_with_cache
        from pipeline.embed.model import load_encoder
        encoder = load_encoder(params.model, **params.encoder_options(), cache_dir=work / "cache-a")
        model = load_encoder(params.model).model  # the bare SentenceTransformer (same process, same torch threads)
        encoder.encode_batch(texts[:64], batch_size=params.batch_size)  # warm-up (loads the model)
        model.encode(texts[:64], batch_size=params.batch_size)
        startup = time.perf_counter() - t0
        cache = cache_for(encoder, params, work / "cache-a")
        bare_s = stage_s = 0.0
        quarters = np.array_split(np.arange(len(texts)), 4)
        for k, q in enumerate(quarters):
            part = [texts[i] for i in q]
            for which in (("bare", "stage") if k % 2 == 0 else ("stage", "bare")):
                if which == "bare":
                    seconds, _ = timed(lambda: model.encode(part, batch_size=params.batch_size))
                    bare_s += seconds
                else:
                    seconds, _ = timed(lambda: embed_with_cache(part, encoder, params, cache))
                    stage_s += seconds
        print(f"(a) start-up (imports + model load + warm-up): {startup:.1f} s")

        # (b), (c) the stage in subprocesses, as dvc repro runs it
        from pipeline.contract import STATEMENTS
        from pipeline.tableio import write_table

        write_table(statements_frame(texts, reports), work / "statements.csv", STATEMENTS)
        cold = run_child(work, work / "cache-b")
        known = set(texts)
        fresh = [t for t in dict.fromkeys(candidates[i] for i in fresh_order) if t not in known]
        added = fresh[: max(1, round(len(texts) / 100))]
        write_table(
            statements_frame(texts + added, reports + ["new-report"] * len(added)), work / "statements.csv", STATEMENTS
        )
        rerun = run_child(work, work / "cache-b")

        # (d) speed-ups on a sample
        rows, export_s = speedups(load_encoder_for(params), sample, params.batch_size, work / "cache-d")

    n = len(texts)
    ratio = bare_s / stage_s
    print()
    print("| measure | stage | baseline | ratio | goal |")
    print("|---|---|---|---|---|")
    print(
        f"| (a) throughput, texts/s | {n / stage_s:.1f} | {n / bare_s:.1f} (bare encode) | {ratio:.3f} | >= 0.95 "
        f"{'ok' if ratio >= 0.95 else 'MISSED'} |"
    )
    share = rerun["work_s"] / cold["work_s"]
    print(
        f"| (b) rerun +{len(added)} statements (1%): time beyond start-up, s | {rerun['work_s']:.2f} "
        f"(encoded {rerun['encoded']}, cached {rerun['cached']}) | {cold['work_s']:.1f} (cold run, encoded {cold['encoded']}) "
        f"| {share:.3f} | <= 0.05 {'ok' if share <= 0.05 and rerun['encoded'] == len(added) else 'MISSED'} |"
    )
    print(f"| (b) start-up (imports + model load), s | {rerun['startup_s']:.1f} rerun | {cold['startup_s']:.1f} cold | | reported apart |")
    print(
        f"| (c) peak RSS of the stage, whole set, MB | {cold['peak_rss_mb']:.0f} | {cold['rss_startup_mb']:.0f} "
        f"(after start-up) | {cold['peak_rss_mb'] / cold['rss_startup_mb']:.2f} | reported |"
    )
    print_speedups(rows, sample, export_s)


def load_encoder_for(params):
    """The stage's model, float32 torch (the speed-ups' baseline)."""
    from pipeline.embed.model import load_encoder

    return load_encoder(params.model)


def print_speedups(rows: list[dict[str, object]], sample: list[str], export_s: float) -> None:
    print()
    print(f"(d) speed-ups on {len(sample)} sentences (ONNX export, one-off: {export_s:.1f} s)")
    print("| variant | seconds | speed-up | vs torch 1 thread | lowest cosine | >= 1.5x and >= 0.99 |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['variant']} | {row['seconds']:.1f} | {row['speedup']:.2f}x | {row['vs_torch_1']:.2f}x "
            f"| {row['cosine']:.6f} | {'yes' if row['adopt'] else 'no'} |"
        )


if __name__ == "__main__":
    main()
