"""CAP benchmark: theme assignment and topic recovery on labels no one here wrote.

    .venv/bin/python -m benchmarks.cap_bench [--limit N] [--csv PATH]

On the State of the Union quasi-sentences of the Comparative Agendas Project
(../shared/corpora/cap_sotu/df_cap_sotu_test.csv, 22 human major topics) with
codebooks/cap.yaml, in one run and on the same embeddings:

* theme assignment (the topics stage's core, params.yaml `topics`): accuracy and
  macro-F1 of the primary theme against the human label, beside the baseline
  "nearest topic name" (cosine to the embedding of the bare label name), and
  three ablations (no topic smoothing; no keyword evidence; centroid method);
* topic recovery: NMI and ARI of the emergent topics with the human labels
  (outliers counted as one cluster), beside BERTopic with default settings
  (seeded UMAP) and scikit-learn LDA with as many topics as ours; each method's
  cluster count is printed, since more clusters alone raise NMI;
* the president x theme table, built by the same `tables` core as session
  reports (speaker = president, one report per address).
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
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CSV = REPO.parent / "shared" / "corpora" / "cap_sotu" / "df_cap_sotu_test.csv"

log = logging.getLogger("benchmarks.cap_bench")


def cap_statements(df: pd.DataFrame) -> pd.DataFrame:
    """CAP quasi-sentences as session statements: one report per address, speaker = president."""
    df = df.sort_values(["doc_id", "idx"], kind="mergesort").reset_index(drop=True)
    report = [f"sotu_{int(y)}_{int(d):02d}" for y, d in zip(df["year"], df["doc_id"])]
    seq = df.groupby("doc_id").cumcount() + 1
    return pd.DataFrame({
        "report_id": report,
        "statement_id": [f"{r}:{int(s):04d}" for r, s in zip(report, seq)],
        "seq": seq.astype(int),
        "section": "other",
        "speaker": df["president"].astype(str),
        "role": "other",
        "speaker_label": df["president"].astype(str),
        "text": df["text_original"].astype(str),
        "line_start": seq.astype(int),
        "line_end": seq.astype(int),
        "page": pd.array([pd.NA] * len(df), dtype="Int64"),
        "label_text": df["label_text"].astype(str),
    })


def theme_names(ids: list[str], book) -> list[str]:
    """Codebook ids to CAP names; the fallback `other` (no theme fits) is CAP's "Other"."""
    from pipeline.codebook import OTHER

    return ["Other" if t == OTHER else book.theme(t).name for t in ids]


def lda_topics(docs: list[str], k: int, seed: int) -> np.ndarray:
    from sklearn.decomposition import LatentDirichletAllocation
    from sklearn.feature_extraction.text import CountVectorizer

    counts = CountVectorizer(stop_words="english", min_df=2).fit_transform(docs)
    lda = LatentDirichletAllocation(n_components=k, random_state=seed, learning_method="batch", max_iter=20)
    return lda.fit_transform(counts).argmax(axis=1)


def default_bertopic_topics(docs: list[str], embeddings: np.ndarray, embedding_model, seed: int) -> np.ndarray:
    """BERTopic as shipped (UMAP 15/5, HDBSCAN min_topic_size 10), only UMAP seeded for a stable figure."""
    from bertopic import BERTopic
    from umap import UMAP

    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    model = BERTopic(embedding_model=embedding_model, umap_model=umap)
    return np.asarray(model.fit_transform(docs, embeddings=embeddings)[0])


def n_clusters(labels: np.ndarray) -> str:
    labels = np.asarray(labels)
    k = len(set(labels.tolist()) - {-1})
    out = int((labels == -1).sum())
    return f"{k}" + (f" (+{out} outliers)" if out else "")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--codebook", type=Path, default=REPO / "codebooks" / "cap.yaml")
    parser.add_argument("--params", type=Path, default=REPO / "params.yaml")
    parser.add_argument("--limit", type=int, default=0, help="first N quasi-sentences only (quick look)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)

    from sklearn.metrics import accuracy_score, adjusted_rand_score, f1_score, normalized_mutual_info_score

    from pipeline.codebook import load_codebook
    from pipeline.contract import STATEMENT_THEMES, STATEMENTS, validate
    from pipeline.embed.encode import embed_texts
    from pipeline.embed.reuse import embed_stage_encoder
    from pipeline.params import load_section
    from pipeline.tables.core import TablesParams, build_tables
    from pipeline.tables.themes import ThemeColumns
    from pipeline.topics.core import assign_topics_and_themes, theme_scores
    from pipeline.topics.model import order_free_backend
    from pipeline.topics.params import TopicsParams
    from pipeline.topics.themes import assign_themes, smooth_by_topic

    if not args.csv.exists():
        raise SystemExit(f"error: {args.csv}: file not found (the CAP corpus lives in ../shared/corpora)")
    raw = pd.read_csv(args.csv)
    if args.limit:
        raw = raw.sort_values(["doc_id", "idx"]).head(args.limit)
    statements = cap_statements(raw)
    gold = statements["label_text"].tolist()
    book = load_codebook(args.codebook)
    params = load_section(args.params, "topics", TopicsParams)
    encoder = embed_stage_encoder(args.params).encoder
    docs = statements["text"].tolist()
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    vectors = embed_texts(docs, encoder, batch_size=64)
    timings["embed"] = time.perf_counter() - t0
    encode = lambda texts: embed_texts(texts, encoder)  # noqa: E731

    t0 = time.perf_counter()
    result = assign_topics_and_themes(validate(statements, STATEMENTS, "cap"), vectors, book, encode, params, order_free_backend(encode))
    timings["topics stage core"] = time.perf_counter() - t0
    st = validate(result.statement_themes, STATEMENT_THEMES, "cap statement_themes")
    ours = theme_names(st["theme"].tolist(), book)
    topics = st["topic"].to_numpy()

    # Baseline and ablations on the same embeddings.
    names = encode([t.name for t in book.themes])
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    name_unit = names / np.linalg.norm(names, axis=1, keepdims=True)
    baseline = [book.themes[j].name for j in (unit @ name_unit.T).argmax(axis=1)]
    raw_scores = theme_scores(book, vectors, encode, params, docs)
    no_smooth = assign_themes(raw_scores, book.ids, params.themes).theme
    no_keywords = assign_themes(smooth_by_topic(theme_scores(book, vectors, encode, params), topics,
                                                params.themes.topic_weight), book.ids, params.themes).theme
    centroid_params = dataclasses.replace(params, themes=dataclasses.replace(params.themes, method="centroid"))
    centroid = assign_themes(smooth_by_topic(theme_scores(book, vectors, encode, centroid_params, docs), topics,
                                             params.themes.topic_weight), book.ids, params.themes).theme

    rows = []
    for name, pred in [
        ("topics stage (classifier + topic smoothing)", ours),
        ("  ablation: classifier, no topic smoothing", theme_names(no_smooth, book)),
        ("  ablation: no keyword evidence", theme_names(no_keywords, book)),
        ("  ablation: centroid + topic smoothing", theme_names(centroid, book)),
        ("baseline: nearest topic name", baseline),
    ]:
        rows.append((name, accuracy_score(gold, pred), f1_score(gold, pred, average="macro", zero_division=0)))

    t0 = time.perf_counter()
    default_topics = default_bertopic_topics(docs, vectors, encoder.model, params.seed)
    timings["BERTopic default"] = time.perf_counter() - t0
    k = len(set(topics.tolist()) - {-1})
    t0 = time.perf_counter()
    lda = lda_topics(docs, max(k, 2), params.seed)
    timings["LDA"] = time.perf_counter() - t0
    clusters = []
    for name, labels in [("topics stage (ours)", topics), ("BERTopic default", default_topics), (f"LDA (k={max(k, 2)})", lda)]:
        clusters.append((name, n_clusters(labels), normalized_mutual_info_score(gold, labels), adjusted_rand_score(gold, labels)))

    tables = build_tables(st, statements.drop(columns=["label_text"]), themes=ThemeColumns.from_codebook(book),
                          params=TablesParams())
    president = tables.speaker_counts.groupby("speaker")[list(ThemeColumns.from_codebook(book).columns)].sum()

    print(f"\nCAP benchmark: {len(statements)} quasi-sentences, {statements['report_id'].nunique()} addresses, "
          f"{len(set(gold))} human labels, codebook {args.codebook.name} ({len(book.themes)} themes)\n")
    print(f"{'theme assignment':46s} {'accuracy':>9s} {'macro-F1':>9s}")
    for name, acc, f1 in rows:
        print(f"{name:46s} {acc:9.3f} {f1:9.3f}")
    print(f"\n{'topic recovery (outliers = one cluster)':46s} {'clusters':>20s} {'NMI':>7s} {'ARI':>7s}")
    for name, count, nmi, ari in clusters:
        print(f"{name:46s} {count:>20s} {nmi:7.3f} {ari:7.3f}")
    print(f"\nfit path: {result.fit_path}; timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    top = president.div(president.sum(axis=1), axis=0)
    cols = top.mean().sort_values(ascending=False).index[:6]
    print("\npresident x theme (share of statements, 6 most frequent themes; from pipeline.tables.core.build_tables):")
    print(top[cols].round(3).to_string())


if __name__ == "__main__":
    main()
