"""Word pieces per second of one forward pass by its size, float32 against bfloat16.

`python -m benchmarks.pass_size_bench [--seconds 3]`: for texts of a few lengths L
(real statements of the scale corpus, from ../shared/corpora), each precision encodes
passes of L-long texts holding about 256 ... 8192 word pieces for `--seconds` each, in
one process with the stage's thread count. The README's "Stage: embed" table and the
`embed.batch_tokens` default come from it; compare within one run (the host's speed varies).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.scale_corpus import default_shared, distinct_statements

REPO = Path(__file__).resolve().parents[1]
PASS_TOKENS = (256, 1024, 2048, 4096, 8192)
LENGTHS = (20, 46, 100)


def words_per_second(encoder, pool: list[str], length: int, tokens: int, seconds: float) -> float:
    """Word pieces per second of passes of `tokens // length` texts of `length` word pieces."""
    rows = max(1, tokens // length)
    cycle = pool * (rows // len(pool) + 2)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        offset = done % len(pool)
        encoder._forward(cycle[offset : offset + rows])
        done += rows
    return done * length / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    from pipeline.embed.encode import count_tokens
    from pipeline.embed.model import load_encoder

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=default_shared(REPO), help="folder holding corpora/")
    parser.add_argument("--seconds", type=float, default=3.0, help="time per cell")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (params.yaml embed.threads)")
    args = parser.parse_args(argv)
    texts = [s.text for s in distinct_statements(30000, args.shared, seed=3)]
    encoders = {p: load_encoder(precision=p, threads=args.threads) for p in ("float32", "bfloat16")}
    lengths = count_tokens(texts, encoders["float32"].tokenizer)
    print("| L | precision | " + " | ".join(f"{t:,}" for t in PASS_TOKENS) + " |")
    print("|---" * (len(PASS_TOKENS) + 2) + "|")
    for length in LENGTHS:
        pool = [t for t, n in zip(texts, lengths) if n + 2 == length][:600]
        for precision, encoder in encoders.items():
            encoder._forward(pool[:8])  # warm-up
            cells = [words_per_second(encoder, pool, length, t, args.seconds) for t in PASS_TOKENS]
            print(f"| {length} | {precision} | " + " | ".join(f"{c / 1000:.1f}k" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
