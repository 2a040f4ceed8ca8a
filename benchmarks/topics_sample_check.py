"""Topics fitted on a sample vs on every statement: agreement of primary themes, time, topics.

    .venv/bin/python -m benchmarks.topics_sample_check --project /tmp/s30k [--fit-sample 10000]

`--project` is a project the scale benchmark kept (`scale_bench --keep DIR`):
its statements.csv, embeddings and codebook are read. The topics core runs
twice on the same inputs with the project's params: `large_corpus.fit_sample: 0`
(UMAP and HDBSCAN on every statement) and `fit_sample` (a seeded sample, the
rest by nearest centroid). Themes do not depend on the topics' words, so both
runs skip the representation models (KeyBERTInspired, MMR, part of speech).
Goal: primary themes agree on >= 0.98 of the statements.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import pickle
import time
from pathlib import Path

import numpy as np


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--fit-sample", type=int, default=None, help="default: the project's params")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    from sklearn.metrics import adjusted_rand_score

    from pipeline.codebook import load_codebook
    from pipeline.contract import STATEMENTS
    from pipeline.embed.reuse import embed_stage_encoder
    from pipeline.embed.store import load_embeddings
    from pipeline.params import load_section
    from pipeline.tableio import read_table
    from pipeline.topics.core import assign_topics_and_themes
    from pipeline.topics.params import LargeCorpusParams, RepresentationParams, TopicsParams

    proj = args.project
    processed = proj / "data" / "processed"
    st = read_table(processed / "statements.csv", STATEMENTS)
    vectors = load_embeddings(processed / "embeddings.npy", processed / "embedding_ids.csv", st["statement_id"].tolist())
    book = load_codebook(proj / "codebooks" / "sse.yaml")
    stage = embed_stage_encoder(proj / "params.yaml", processed / "embedding_model.json")
    base = load_section(proj / "params.yaml", "topics", TopicsParams)
    base = dataclasses.replace(base, representation=RepresentationParams(keybert=False, mmr_diversity=0.0, pos_spacy_model=""))
    sample = args.fit_sample if args.fit_sample is not None else base.large_corpus.fit_sample
    runs = {}
    saved = proj / "full_fit.pkl"  # the full fit is slow: kept beside the project for later checks
    for name, fit in (("full", 0), ("sample", sample)):
        if name == "full" and saved.is_file():
            runs[name] = pickle.loads(saved.read_bytes())
            continue
        params = dataclasses.replace(base, large_corpus=dataclasses.replace(base.large_corpus, fit_sample=fit))
        start = time.perf_counter()
        result = assign_topics_and_themes(st, vectors, book, stage.encode, params, None)
        runs[name] = (time.perf_counter() - start, dataclasses.replace(result, model=None))
        logging.info("%s: %.1f s, %d topics, %s", name, runs[name][0], len(result.topics), result.fit_path)
        if name == "full":
            saved.write_bytes(pickle.dumps(runs[name]))
    full, samp = runs["full"][1].statement_themes, runs["sample"][1].statement_themes
    report = {
        "statements": len(st),
        "fit_sample": sample,
        "primary_theme_agreement": round(float(np.mean(full["theme"].to_numpy() == samp["theme"].to_numpy())), 4),
        "topic_ari": round(float(adjusted_rand_score(full["topic"], samp["topic"])), 4),
        "topics_full": len(runs["full"][1].topics),
        "topics_sample": len(runs["sample"][1].topics),
        "seconds_full": round(runs["full"][0], 1),
        "seconds_sample": round(runs["sample"][0], 1),
        "outliers_full": int((full["topic"] == -1).sum()),
        "outliers_sample": int((samp["topic"] == -1).sum()),
    }
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
