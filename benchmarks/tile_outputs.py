"""Tile a kept project's outputs K times into a new project: a benchmark aid, not a test.

The stages downstream of topics (segments, tables, report, export, export_qda,
evaluate) can be measured on a million statements without running segment,
embed and topics on a million (hours): take a kept project of N statements
(e.g. `scale_bench --statements 100000 --keep DIR`) and write K copies of its
inputs to those stages into a new project, copy k's report ids prefixed `c{k}_`
(so statement ids become `c{k}_<report>:<n>`; copy-major order keeps every
table in its contract's sort order). Written: data/raw (renamed transcripts),
statements, sessions, speakers, dropped_lines, ingest_errors, the corrections
reports, embeddings.npy (written through a memory map, row = k * N + row) with
embedding_ids.csv, embedding_model.json, statement_themes, topics.csv (sizes
times K) and topic_model (per-document topics times K, sizes times K). The
downstream stages' own outputs are not copied: run them.

    python -m benchmarks.tile_outputs --source /tmp/s100k4 --target /tmp/down1m --copies 10

Every copy has the same texts, so this measures memory and time of the
downstream stages, not their results.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger("tile_outputs")

REPO = Path(__file__).resolve().parents[1]
PROJECT_FILES = ("dvc.yaml", "params.yaml", "codebooks", "data/labels", "data/corrections")
# table -> its id columns: "report" (a report id), "statement" (one statement id), "statements" (space-separated)
ID_COLUMNS: dict[str, dict[str, str]] = {
    "statements.csv": {"report_id": "report", "statement_id": "statement"},
    "sessions.csv": {"report_id": "report"},
    "speakers.csv": {"report_id": "report"},
    "dropped_lines.csv": {"report_id": "report"},
    "statement_themes.csv": {"report_id": "report", "statement_id": "statement"},
}
PER_RUN = ("ingest_errors.csv", "corrections_speakers.csv", "corrections_report.csv", "embedding_model.json")
CSV_OPTIONS = {"index": False, "lineterminator": "\n", "encoding": "utf-8"}


def prefixed(value: str, kind: str, prefix: str) -> str:
    if not value:
        return value
    if kind == "statements":
        return " ".join(prefix + v for v in value.split(" "))
    return prefix + value


def tile_table(src: Path, dst: Path, columns: dict[str, str], copies: int) -> int:
    """Write `copies` copies of the CSV `src` to `dst`, ids prefixed per copy; the source's rows."""
    df = pd.read_csv(src, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8")
    with open(dst, "w", encoding="utf-8", newline="") as fh:
        for k in range(copies):
            out = df.copy()
            for col, kind in columns.items():
                out[col] = [prefixed(v, kind, f"c{k}_") for v in df[col]]
            out.to_csv(fh, header=k == 0, **CSV_OPTIONS)
    return len(df)


def tile_embeddings(src: Path, dst: Path, copies: int) -> int:
    vectors = np.load(src / "embeddings.npy", mmap_mode="r")
    n = vectors.shape[0]
    out = np.lib.format.open_memmap(dst / "embeddings.npy", mode="w+", dtype=vectors.dtype, shape=(n * copies, vectors.shape[1]))
    for k in range(copies):
        out[k * n:(k + 1) * n] = vectors
    out.flush()
    del out
    ids = pd.read_csv(src / "embedding_ids.csv", dtype=str, keep_default_na=False)
    with open(dst / "embedding_ids.csv", "w", encoding="utf-8", newline="") as fh:
        for k in range(copies):
            out_ids = pd.DataFrame({"statement_id": [f"c{k}_{v}" for v in ids["statement_id"]],
                                    "row": ids["row"].astype(int) + k * n})
            out_ids.to_csv(fh, header=k == 0, **CSV_OPTIONS)
    return n


def tile_topics(src: Path, dst: Path, copies: int) -> None:
    topics = pd.read_csv(src / "topics.csv", dtype=str, keep_default_na=False)
    topics["size"] = (topics["size"].astype(int) * copies).astype(str)
    topics.to_csv(dst / "topics.csv", **CSV_OPTIONS)
    model_src, model_dst = src / "topic_model", dst / "topic_model"
    shutil.copytree(model_src, model_dst)
    state_path = model_dst / "topics.json"
    if state_path.exists():
        state = json.loads(state_path.read_text(encoding="utf-8"))
        if isinstance(state.get("topics"), list):
            state["topics"] = state["topics"] * copies
        if isinstance(state.get("topic_sizes"), dict):
            state["topic_sizes"] = {t: s * copies for t, s in state["topic_sizes"].items()}
        state_path.write_text(json.dumps(state, indent=2), encoding="utf-8")


def tile_raw(src: Path, dst: Path, copies: int) -> int:
    dst.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in src.iterdir() if p.is_file())
    for k in range(copies):
        for p in files:
            shutil.copy2(p, dst / f"c{k}_{p.name}")
    return len(files)


def tile_project(source: Path, target: Path, copies: int) -> None:
    if target.exists():
        shutil.rmtree(target)
    for name in PROJECT_FILES:
        src, dst = source / name, target / name
        if not src.exists():
            src = REPO / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst)
        elif src.exists():
            shutil.copy2(src, dst)
    src_p, dst_p = source / "data" / "processed", target / "data" / "processed"
    dst_p.mkdir(parents=True)
    log.info("raw: %d reports x %d", tile_raw(source / "data" / "raw", target / "data" / "raw", copies), copies)
    for name, columns in ID_COLUMNS.items():
        log.info("%s: %d rows x %d", name, tile_table(src_p / name, dst_p / name, columns, copies), copies)
    for name in PER_RUN:
        if (src_p / name).exists():
            shutil.copy2(src_p / name, dst_p / name)
    log.info("embeddings: %d rows x %d", tile_embeddings(src_p, dst_p, copies), copies)
    tile_topics(src_p, dst_p, copies)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="a kept project (its data/processed complete)")
    parser.add_argument("--target", type=Path, required=True, help="the new project (replaced)")
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    tile_project(args.source, args.target, args.copies)


if __name__ == "__main__":
    main()
