"""Per-session cost of the report stage, and a many-session copy of a project to time it on (not a test).

    python -m benchmarks.report_bench --project DIR [--sessions N]
    python -m benchmarks.report_bench --project DIR --multiply 10 --into BIGDIR

The first form loads DIR's data/processed tables and prints the CPU seconds
(`time.process_time`) one session's heatmap and one session's page take,
over the first N sessions. The second writes BIGDIR: a copy of DIR whose
per-session tables (and embeddings) are repeated `multiply` times under new
report ids (`r<k>` prefixed), so a finished 10,000-statement / 25-session
project becomes a 100,000-statement / 250-session one for timing the report
stage (`cd BIGDIR && python -m pipeline report <the arguments in dvc.yaml>`).
Corpus-wide tables (roles, topics) are left as they are: the copy is for
timing, its numbers are not a corpus's.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np

PER_SESSION_TABLES = ("quote_bank", "segment_themes", "segments", "session_theme_counts", "session_theme_shares",
                      "sessions", "speaker_theme_counts", "speaker_theme_shares", "speaker_themes", "speakers",
                      "statement_segments", "statement_themes", "statements")


def multiply(project: Path, into: Path, k: int) -> None:
    """Copy `project` to `into`, repeating every per-session table `k` times under new report ids."""
    import pandas as pd

    shutil.copytree(project, into, ignore=shutil.ignore_patterns("report", ".dvc", "cache"))
    d = into / "data" / "processed"
    for name in PER_SESSION_TABLES:
        frame = pd.read_csv(d / f"{name}.csv", dtype=str, keep_default_na=False)
        id_columns = [c for c in ("report_id", "statement_id", "first_statement_id", "last_statement_id")
                      if c in frame.columns]
        parts = []
        for i in range(k):
            part = frame.copy()
            for c in id_columns:
                part[c] = f"r{i}" + part[c]
            parts.append(part)
        pd.concat(parts).to_csv(d / f"{name}.csv", index=False)
    ids = pd.read_csv(d / "embedding_ids.csv", dtype={"statement_id": str})
    vectors = np.load(d / "embeddings.npy")
    pd.concat([ids.assign(statement_id=f"r{i}" + ids["statement_id"], row=ids["row"] + i * len(vectors))
               for i in range(k)]).to_csv(d / "embedding_ids.csv", index=False)
    np.save(d / "embeddings.npy", np.tile(vectors, (k, 1)))


def per_session(project: Path, n: int, codebook: str = "codebooks/sse.yaml") -> str:
    """CPU seconds per session for the heatmap and for the page, over the first `n` sessions."""
    from pipeline.explore import load_processed, theme_names_from
    from pipeline.figures import FiguresParams, session_heatmap
    from pipeline.report import build

    book = project / codebook
    p = load_processed(project / "data" / "processed", theme_names_from(book) if book.exists() else None)
    ids = sorted(p.sessions["report_id"])[:n]
    figure_params, params = FiguresParams(), build.ReportParams()
    start = time.process_time()
    heatmaps = {r: session_heatmap(p, r, figure_params) for r in ids}
    heatmap_s = (time.process_time() - start) / len(ids)
    env, segments, quotes = build._environment(), build.segment_of(p), build.quotes_by_session(p)
    start = time.process_time()
    for r in ids:
        build.render_session(p, r, heatmaps[r], params, env, segments, quotes.get(r))
    page_s = (time.process_time() - start) / len(ids)
    return (f"{len(p.sessions)} sessions, {len(p.statements)} statements: heatmap {heatmap_s:.3f} s CPU per session, "
            f"page {page_s:.3f} s CPU per session ({len(ids)} sessions timed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, required=True, help="a finished project (data/processed)")
    parser.add_argument("--sessions", type=int, default=25, help="sessions to time")
    parser.add_argument("--codebook", default="codebooks/sse.yaml", help="theme names, relative to --project")
    parser.add_argument("--multiply", type=int, default=0, help="write a copy with K times the sessions")
    parser.add_argument("--into", type=Path, help="where --multiply writes the copy")
    args = parser.parse_args()
    if args.multiply:
        if args.into is None:
            parser.error("--multiply needs --into")
        multiply(args.project, args.into, args.multiply)
        print(f"wrote {args.into}")  # noqa: T201 - a benchmark's output
    else:
        print(per_session(args.project, args.sessions, args.codebook))  # noqa: T201


if __name__ == "__main__":
    main()
