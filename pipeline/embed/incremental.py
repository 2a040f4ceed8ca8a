"""Embed texts through the vector cache: only texts never seen are encoded.

This is what the embed stage runs, and what other stages call to embed their
own texts (the topics stage embeds codebook descriptions) with the same model,
settings and cache, so equal texts always get equal vectors.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.embed.cache import VectorCache, namespace_for
from pipeline.embed.encode import embed_texts, find_long_texts
from pipeline.embed.model import Encoder
from pipeline.embed.settings import EmbedParams

log = logging.getLogger(__name__)

# Distinct texts encoded, and stored in the cache as one shard, per step. A step's word pieces,
# windows and intermediate vectors are what the stage holds beyond the finished vectors, so its
# memory no longer grows with the corpus by several copies of every vector (a million statements
# held about four). A text's vector does not depend on the other texts encoded with it (see
# encode.py), so the vectors are the same bits whatever the step; a run stopped halfway keeps
# the steps it finished in the cache.
ENCODE_STEP = 65536


@dataclass(frozen=True)
class EmbedReport:
    """How a call got its vectors: `encoded` distinct texts were computed, `cached` read back."""

    texts: int
    distinct: int
    cached: int
    encoded: int
    truncated: tuple[str, ...] = ()  # texts encoded this call that the model read only in part


def _vector_settings(encoder: Encoder, params: EmbedParams) -> dict[str, object]:
    return {**params.vector_settings(), "backend": encoder.backend}  # the encoder's backend made the vectors


def cache_namespace(encoder: Encoder, params: EmbedParams) -> str:
    """The vector cache's namespace: the model's fingerprint and every setting that changes a vector."""
    return namespace_for(encoder.fingerprint, _vector_settings(encoder, params))


def cache_for(encoder: Encoder, params: EmbedParams, cache_dir: str | Path) -> VectorCache:
    settings = _vector_settings(encoder, params)
    return VectorCache(
        cache_dir,
        cache_namespace(encoder, params),
        description={"model": encoder.name, "model_path": str(encoder.path), "fingerprint": encoder.fingerprint, **settings},
    )


def embed_with_cache(
    texts: Sequence[str],
    encoder: Encoder,
    params: EmbedParams,
    cache: VectorCache | None,
    *,
    show_progress_bar: bool = False,
) -> tuple[np.ndarray, EmbedReport]:
    """Vectors for `texts` (row i = texts[i]), encoding only what `cache` lacks.

    With `cache=None` everything is encoded (nothing is read or written).
    """
    distinct = list(dict.fromkeys(texts))
    found = cache.lookup(distinct) if cache is not None else {}
    # Shortest first (characters, a proxy for word pieces), so that each step holds few lengths and
    # fills few last passes of a length with copies (encode.py): 100,000 statements, 2 steps, 9% of
    # the word pieces computed were copies in input order, 6% in this order (5% in one step).
    missing = sorted((t for t in distinct if t not in found), key=len)
    truncated: tuple[str, ...] = ()
    if missing and params.long_text.strategy == "truncate":
        truncated = tuple(missing[i] for i in find_long_texts(missing, encoder))
    # One matrix of the distinct texts' vectors, filled as they are read or encoded: the corpus's
    # vectors are held once (a step's fresh vectors are copied in and dropped; the cache keeps
    # only what it read from disk).
    vectors = np.empty((len(distinct), encoder.dimension), dtype=np.float32)
    row = {text: i for i, text in enumerate(distinct)}
    for text, vector in found.items():
        vectors[row[text]] = vector
    del found
    stored = cache.read_checks() if cache is not None and missing else {}
    encoder.checks.update({**stored, **encoder.checks})  # what earlier runs measured on this machine
    for start in range(0, len(missing), ENCODE_STEP):
        step = missing[start : start + ENCODE_STEP]
        fresh = _encode(step, encoder, params, show_progress_bar)
        if cache is not None:
            cache.store(step, fresh)
        vectors[[row[t] for t in step]] = fresh
        del fresh
    if cache is not None and missing and encoder.checks != stored:
        cache.write_checks(encoder.checks)
    report = EmbedReport(
        texts=len(texts), distinct=len(distinct), cached=len(distinct) - len(missing), encoded=len(missing),
        truncated=truncated,
    )
    log.debug("%d text(s): %d encoded, %d read from the cache", report.distinct, report.encoded, report.cached)
    if len(distinct) < len(texts):  # repeated texts: one row each, in `texts` order
        vectors = vectors[[row[t] for t in texts]]
    return vectors, report


def _encode(texts: list[str], encoder: Encoder, params: EmbedParams, show_progress_bar: bool) -> np.ndarray:
    """Vectors of `texts` on the configured engine (the same values on either)."""
    if params.engine == "dask":
        from pipeline.embed.distributed import encode_on_cluster

        return encode_on_cluster(texts, params)
    return embed_texts(texts, encoder, **params.encoding_options(), show_progress_bar=show_progress_bar)


def embed_arbitrary_texts(
    texts: Sequence[str], params: EmbedParams = EmbedParams(), *, cache_dir: str | Path | None = None
) -> np.ndarray:
    """One-call helper for other stages: load the model of `params`, embed `texts` (cached when `cache_dir`)."""
    from pipeline.embed.model import load_encoder

    encoder = load_encoder(params.model, **params.encoder_options(), cache_dir=cache_dir)
    cache = cache_for(encoder, params, cache_dir) if cache_dir is not None else None
    vectors, _ = embed_with_cache(texts, encoder, params, cache)
    return vectors
