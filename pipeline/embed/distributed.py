"""Encoding spread over a Dask cluster (`embed.engine: dask`): the same vectors, more machines.

The texts the vector cache lacks are cut into chunks of `engine_chunk` texts;
each chunk is one task that a worker runs with the stage's own code
(`embed_texts`, the model and settings of params.yaml), loading the model once
per worker process. Because texts are encoded in batches of equal length, a
text's vector does not depend on which other texts share its chunk, so the
vectors are those of a local run (bitwise, with the same `threads` and CPU
kind). The driver (the DVC stage) gathers the chunks in order and writes the
vector cache and the outputs as a local run does: `dvc repro` is unchanged.

`embed.cluster` names the scheduler (`tcp://host:8786`); empty starts a local
cluster of `embed.workers` processes for the run and stops it afterwards.
Workers need this project and the model package installed (the same image or
virtual environment) and no network.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict

import numpy as np

from pipeline.embed.settings import EmbedParams, LongTextParams

log = logging.getLogger(__name__)


def _encode_chunk(texts: list[str], settings: dict) -> np.ndarray:
    """Runs on a worker: the stage's encoding of `texts` (the model is loaded once per process)."""
    import pipeline.offline  # noqa: F401  (no network on the worker either)
    from pipeline.embed.encode import embed_texts
    from pipeline.embed.model import load_encoder

    long_text = LongTextParams(**settings.pop("long_text"))
    params = EmbedParams(**settings, long_text=long_text)
    encoder = load_encoder(params.model, **params.encoder_options())
    return embed_texts(texts, encoder, **params.encoding_options())


def chunks(texts: Sequence[str], size: int) -> list[list[str]]:
    return [list(texts[i : i + size]) for i in range(0, len(texts), max(1, size))]


def encode_on_cluster(texts: Sequence[str], params: EmbedParams) -> np.ndarray:
    """Vectors of `texts` (row i = texts[i]) computed by the cluster's workers."""
    from distributed import Client, LocalCluster

    settings = asdict(params)  # the worker rebuilds the very params: every setting, none listed twice
    parts = chunks(list(texts), params.engine_chunk)
    cluster = None
    if params.cluster:
        client = Client(params.cluster)
        where = params.cluster
    else:
        cluster = LocalCluster(n_workers=params.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
        where = f"a local cluster of {params.workers} worker(s)"
    try:
        log.info("embed: %d text(s) in %d chunk(s) on %s", len(texts), len(parts), where)
        futures = [client.submit(_encode_chunk, part, dict(settings), pure=False) for part in parts]
        results = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    if not results:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(results).astype(np.float32, copy=False)
