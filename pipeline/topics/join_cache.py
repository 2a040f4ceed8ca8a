"""New statements' places in a kept topic fit, kept a report at a time across reruns.

A kept fit (`dvc freeze topic_fit`) is extended on every rerun to every statement
it has not seen (`kept.extend_fit`). Without a cache that work grows with each
report added since the fit: every rerun places them all again (at 100,000 fitted
statements, about 4 s per 1,000 new ones, mostly the exact neighbour search).
Here a report's new statements are placed together, in blocks that depend only
on that report's statements, and the placement (their topics and raw theme scores,
before the fit's topic profiles are mixed in) is kept under a key of everything it
is a function of:

- the fit's statements still in the corpus: their vectors, in corpus order, and topics;
- the fit's record (codebook, `topics` params, embedding model) and the stage's params;
- the report's new statements: ids, texts and vectors, in order.

So a placement read back is the placement computed, and the stage's tables are the
same bytes with the cache, without it or with an empty one. The folder is a
`result_cache.ResultCache` (`topics --join-cache`, not a DVC output; safe to delete).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.result_cache import ResultCache, params_settings, source_fingerprint


@dataclass(frozen=True)
class Placement:
    """One report's new statements in a kept fit: topic and raw theme scores (rows in the report's order)."""

    topics: np.ndarray
    scores: np.ndarray


def join_cache_for(root: str | Path, params: Any) -> ResultCache:
    """The cache under `root` for this code and these `topics` params."""
    import pipeline.codebook
    import pipeline.topics

    code = source_fingerprint([pipeline.topics, pipeline.codebook])
    return ResultCache(root, code, params_settings(params, ignore=("lemma_workers",)), what="kept-fit join cache")


def fit_key(X: np.ndarray, known: np.ndarray, known_topics: np.ndarray, record: dict[str, Any]) -> str:
    """What every placement in the fit depends on: the fitted rows of `X` (in order), their topics, the record."""
    digest = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode("utf-8"))
    digest.update(f"{X.dtype.str}:{X.shape[1] if X.ndim == 2 else 0}".encode())
    # the fitted rows as runs of consecutive rows: hashed in place, never copied
    breaks = np.flatnonzero(np.diff(known) != 1) + 1
    for run in np.split(known, breaks):
        if len(run):
            digest.update(np.ascontiguousarray(X[run[0] : run[-1] + 1]).data)
    digest.update(np.asarray(known_topics, dtype=np.int64).tobytes())
    return digest.hexdigest()


def placement_key(fit: str, ids: list[str], texts: list[str], vectors: np.ndarray) -> str:
    """One report's key: the fit's and its new statements' ids, texts and vectors."""
    digest = hashlib.sha256(fit.encode("ascii"))
    for statement_id, text in zip(ids, texts):
        digest.update(statement_id.encode("utf-8") + b"\0" + text.encode("utf-8") + b"\0")
    digest.update(np.ascontiguousarray(vectors).data)
    return digest.hexdigest()


def cached_scorer(cache: ResultCache | None, codebook: Any, encode: Any, params: Any, encoding: str = "") -> Any:
    """`core.theme_scorer`, kept beside the placements (a logistic regression on the codebook's texts: seconds
    per run). Its key: the codebook's texts and their themes, and either `encoding` (what a text's vector is a
    function of beside the text: `StageEncoder.encoding`; then a scorer found needs no text embedded) or the
    texts' vectors. The params are the namespace's."""
    import sklearn

    from pipeline.topics.core import theme_scorer
    from pipeline.topics.themes import ThemeScorer, codebook_training_set

    texts, labels = codebook_training_set(codebook)
    vectors = None if encoding else np.ascontiguousarray(encode(texts))
    digest = hashlib.sha256(f"scorer\0{sklearn.__version__}\0{encoding}".encode())
    digest.update(json.dumps([list(codebook.ids), texts, np.asarray(labels).tolist()]).encode("utf-8"))
    if vectors is not None:
        digest.update(f"{vectors.dtype.str}{vectors.shape}".encode() + vectors.data)
    key = digest.hexdigest()
    scorer = cache.get(key) if cache is not None else None
    if isinstance(scorer, ThemeScorer):
        return scorer
    scorer = theme_scorer(codebook, encode if vectors is None else (lambda _: vectors), params)
    if cache is not None:
        cache.put(key, scorer)
    return scorer


def report_groups(report_ids: np.ndarray) -> list[np.ndarray]:
    """Positions of each report's rows, reports in order of their first row."""
    order: dict[str, list[int]] = {}
    for i, report in enumerate(report_ids.tolist()):
        order.setdefault(str(report), []).append(i)
    return [np.asarray(rows, dtype=int) for rows in order.values()]
