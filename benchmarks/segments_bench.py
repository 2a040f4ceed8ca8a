"""Segments benchmark: agenda segments against human topic spans of real committee meetings.

    .venv/bin/python -m benchmarks.segments_bench [--corpus ../shared/corpora/qmsum_committee]
        [--cache data/cache/segments_bench] [--csv per_meeting.csv] [--no-bertopic]

The 36 QMSum committee meetings (11 House of Commons COVID-19 committee sittings,
25 Welsh Assembly children/education committee sittings): utterances in turn
order go straight to the stage's core function (`segment_sequence`, params.yaml
`segments`), embedded with the embed stage's model and settings (params.yaml
`embed`; vectors cached under --cache, so a rerun encodes nothing). Scored per
meeting against the human topics (see benchmarks/segscore.py for overlaps and
gaps): NMI, Pk, WindowDiff, and the number of segments, beside

* equal chunks: k contiguous chunks of equal length, k = the meeting's number of
  human topics (a baseline that is told the answer's size);
* BERTopic with default settings (seeded UMAP) fitted on all utterances of all
  meetings, its topics taken as labels along each meeting;
* version 1 of the method (one price, penalty 1.0, no separate change test), and
  at penalty 0.9 without the change test (same cuts on these meetings, but a
  homogeneous session gets spurious boundaries: tests/test_segments.py);
* the stage at other penalties, and ablations: no speakers (content alone), no
  smoothing, no length weighting, no centring;
* a TextTiling-style depth-score cutter on the same vectors (own implementation,
  Hearst's cutoff mean + 0.5 sd of the depth scores);
* ruptures' KernelCPD with the cosine kernel on the stage's prepared vectors
  (content alone) and boundary cost: the same cost without length weights; only
  when ruptures is installed: it is measured here, not a dependency of the stage
  (no change test there: it cuts at `penalty` alone).

Tuning split: the params were tuned on the meetings at even positions of the
sorted file list ("tune", 18); the others ("held-out", 18) were only scored.
Both halves and all 36 are reported.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from benchmarks.qmsum import DEFAULT_CORPUS, REPO, Meeting, load_meetings, meeting_embeddings  # noqa: E402
from benchmarks.segscore import equal_chunks, reference_labels, score  # noqa: E402

log = logging.getLogger("benchmarks.segments_bench")


def texttiling_labels(vectors: np.ndarray, *, block: int = 5, depth_sd: float = 0.5, min_gap: int = 3) -> np.ndarray:
    """TextTiling (Hearst 1997) on embeddings: cosine of the `block` statements before and
    after each gap; a boundary at a local minimum whose depth exceeds mean + depth_sd * sd."""
    n = len(vectors)
    if n < 2 * min_gap:
        return np.ones(n, dtype=int)
    x = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = np.empty(n - 1)
    for g in range(1, n):
        left = x[max(0, g - block) : g].mean(axis=0)
        right = x[g : min(n, g + block)].mean(axis=0)
        sims[g - 1] = left @ right / (np.linalg.norm(left) * np.linalg.norm(right))
    depth = np.zeros_like(sims)
    for i in range(len(sims)):
        # climb left and right while similarity rises
        j = i
        while j > 0 and sims[j - 1] >= sims[j]:
            j -= 1
        k = i
        while k < len(sims) - 1 and sims[k + 1] >= sims[k]:
            k += 1
        depth[i] = (sims[j] - sims[i]) + (sims[k] - sims[i])
    cutoff = depth.mean() + depth_sd * depth.std()
    order = np.argsort(-depth, kind="mergesort")
    cuts: list[int] = []
    for i in order:
        if depth[i] <= cutoff:
            break
        g = int(i) + 1
        if g < min_gap or n - g < min_gap or any(abs(g - c) < min_gap for c in cuts):
            continue
        cuts.append(g)
    labels = np.ones(n, dtype=int)
    for c in sorted(cuts):
        labels[c:] += 1
    return labels


def ruptures_method(params) -> dict:
    """ruptures' KernelCPD (cosine kernel, exact) on the stage's prepared vectors, unweighted,
    with the stage's penalty; {} when ruptures is not installed (it is not a dependency)."""
    try:
        import ruptures
    except ImportError:
        log.info("ruptures not installed: its row is skipped (pip install ruptures)")
        return {}
    from pipeline.segments.boundaries import smooth
    from pipeline.segments.sequence import centre, null_gain, statement_weights

    def labels(m: Meeting, v: np.ndarray) -> np.ndarray:
        x = v / np.linalg.norm(v, axis=1, keepdims=True)
        x = centre(x) if params.centre else x
        w = statement_weights(m.texts, length_weighting=params.length_weighting)
        pen = params.penalty * null_gain(x, w, window=params.smoothing_window, shuffles=params.shuffles,
                                         seed=params.seed)
        x = smooth(x, params.smoothing_window)
        ends = ruptures.KernelCPD(kernel="cosine", min_size=params.min_statements).fit(x).predict(pen=pen)
        out = np.ones(len(x), dtype=int)
        for end in ends[:-1]:
            out[end:] += 1
        return out

    return {"ruptures KernelCPD (cosine), content alone, same cost": labels}


def bertopic_labels(meetings: list[Meeting], vectors: dict[str, np.ndarray], seed: int = 42) -> dict[str, np.ndarray]:
    """BERTopic defaults on every utterance of every meeting (UMAP seeded for a stable figure)."""
    from bertopic import BERTopic
    from umap import UMAP

    docs = [t for m in meetings for t in m.texts]
    emb = np.vstack([vectors[m.name] for m in meetings])
    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    topics, _ = BERTopic(umap_model=umap_model).fit_transform(docs, emb)
    topics = np.asarray(topics)
    out, start = {}, 0
    for m in meetings:
        out[m.name] = topics[start : start + len(m.texts)]
        start += len(m.texts)
    return out


def run(meetings: list[Meeting], vectors: dict[str, np.ndarray], *, with_bertopic: bool) -> pd.DataFrame:
    from pipeline.params import load_section
    from pipeline.segments import SegmentsParams, segment_sequence

    params = load_section(REPO / "params.yaml", "segments", SegmentsParams)
    methods = {
        "segments stage (params.yaml)": lambda m, v: segment_sequence(v, m.texts, params, m.speakers),
        "  version 1: one price (penalty 1.0, no separate change test)": lambda m, v: segment_sequence(
            v, m.texts, dataclasses.replace(params, penalty=1.0, change_test=0.0), m.speakers),
        "  version 1 at penalty 0.9 (no change test)": lambda m, v: segment_sequence(
            v, m.texts, dataclasses.replace(params, penalty=0.9, change_test=0.0), m.speakers),
        **{f"  penalty {pen}": (lambda m, v, pen=pen: segment_sequence(
            v, m.texts, dataclasses.replace(params, penalty=pen), m.speakers)) for pen in (0.8,)},
        "  without speakers (content alone)": lambda m, v: segment_sequence(v, m.texts, params),
        "  without smoothing": lambda m, v: segment_sequence(
            v, m.texts, dataclasses.replace(params, smoothing_window=0), m.speakers
        ),
        "  without length weighting": lambda m, v: segment_sequence(
            v, m.texts, dataclasses.replace(params, length_weighting=False), m.speakers
        ),
        "  without centring": lambda m, v: segment_sequence(
            v, m.texts, dataclasses.replace(params, centre=False), m.speakers
        ),
        "TextTiling-style depth scores (own)": lambda m, v: texttiling_labels(v),
        **ruptures_method(params),
        "equal chunks, k = human topics": lambda m, v: equal_chunks(len(m.texts), len(m.spans)),
    }
    rows = []
    for i, m in enumerate(meetings):
        ref = reference_labels(len(m.texts), m.spans)
        for method, fn in methods.items():
            hyp = np.asarray(fn(m, vectors[m.name]))
            rows.append({"meeting": m.name, "split": "tune" if i % 2 == 0 else "held-out", "method": method,
                         "k_human": len(m.spans), "k": int(len(np.unique(hyp))), **score(ref, hyp)})
    if with_bertopic:
        t0 = time.perf_counter()
        bt = bertopic_labels(meetings, vectors)
        log.info("BERTopic fitted in %.0f s", time.perf_counter() - t0)
        for i, m in enumerate(meetings):
            ref = reference_labels(len(m.texts), m.spans)
            hyp = bt[m.name]
            rows.append({"meeting": m.name, "split": "tune" if i % 2 == 0 else "held-out",
                         "method": "BERTopic defaults, all utterances", "k_human": len(m.spans),
                         "k": int(len(np.unique(hyp))), **score(ref, hyp)})
    return pd.DataFrame(rows)


def summary(per_meeting: pd.DataFrame) -> pd.DataFrame:
    order = list(dict.fromkeys(per_meeting["method"]))
    parts = []
    for split, sub in [("all 36", per_meeting), ("tune 18", per_meeting[per_meeting["split"] == "tune"]),
                       ("held-out 18", per_meeting[per_meeting["split"] == "held-out"])]:
        g = sub.groupby("method", sort=False).agg(nmi=("nmi", "mean"), pk=("pk", "mean"),
                                                  windowdiff=("windowdiff", "mean"), k=("k", "mean"))
        g.columns = [f"{c} ({split})" for c in g.columns]
        parts.append(g)
    out = pd.concat(parts, axis=1).loc[order]
    keep = [c for c in out.columns if "(all 36)" in c] + ["nmi (tune 18)", "nmi (held-out 18)",
                                                            "pk (tune 18)", "pk (held-out 18)"]
    return out[keep]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--cache", type=Path, default=REPO / "data" / "cache" / "segments_bench")
    ap.add_argument("--csv", type=Path, default=None, help="also write the per-meeting scores here")
    ap.add_argument("--no-bertopic", action="store_true", help="skip the BERTopic row (about a minute)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("pipeline").setLevel(logging.WARNING)
    if not args.corpus.is_dir():
        raise SystemExit(f"error: {args.corpus}: not a folder (pass --corpus)")
    meetings = load_meetings(args.corpus)
    t0 = time.perf_counter()
    vectors = meeting_embeddings(meetings, args.cache)
    log.info("%d meetings, %d utterances embedded in %.0f s", len(meetings),
             sum(len(m.texts) for m in meetings), time.perf_counter() - t0)
    per_meeting = run(meetings, vectors, with_bertopic=not args.no_bertopic)
    if args.csv:
        per_meeting.to_csv(args.csv, index=False, float_format="%.4f")
    print(summary(per_meeting).to_markdown(floatfmt=".3f"))


if __name__ == "__main__":
    main()
