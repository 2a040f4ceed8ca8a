"""`python -m pipeline topic-fit`: read statements, vectors and codebook; fit the topics and name the statements.

Writes the fit (its tables before the analyst's corrections, the BERTopic model,
and the record `kept.py` extends it by) into one folder that the `topics` stage
reads: `dvc freeze topic_fit` keeps a fit while statements are added.
"""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from pipeline.cli_support import one_line_errors
from pipeline.errors import InputError
from pipeline.topics.inputs import (
    CODEBOOK_OPTION,
    EMBEDDING_IDS_OPTION,
    EMBEDDINGS_OPTION,
    LEMMA_CACHE_OPTION,
    MODEL_RECORD_OPTION,
    PARAMS_OPTION,
    STATEMENTS_OPTION,
    VECTOR_CACHE_OPTION,
)

log = logging.getLogger(__name__)


@one_line_errors
def command(
    statements: Path = STATEMENTS_OPTION,
    embeddings: Path = EMBEDDINGS_OPTION,
    embedding_ids: Path = EMBEDDING_IDS_OPTION,
    model_record: Path = MODEL_RECORD_OPTION,
    codebook: Path = CODEBOOK_OPTION,
    params: Path = PARAMS_OPTION,
    fit_dir: Path = typer.Option(..., "--fit-dir", help="output: the fit (tables, model, record) for the topics stage"),
    lemma_cache: Path | None = LEMMA_CACHE_OPTION,
    vector_cache: Path | None = VECTOR_CACHE_OPTION,
) -> None:
    """Cluster statements into topics and name them by the codebook's themes (before corrections)."""
    from pipeline.memory import fix_mmap_threshold

    fix_mmap_threshold()  # large temporaries go back to the system when freed (pipeline/memory.py)
    from pipeline.topics.core import assign_topics_and_themes
    from pipeline.topics.inputs import read_topics_inputs
    from pipeline.topics.model import order_free_backend
    from pipeline.topics.fit_store import save_fit

    inputs = read_topics_inputs(statements, embeddings, embedding_ids, model_record, codebook, params, vector_cache)
    st, vectors, stage_encoder = inputs.statements, inputs.vectors(), inputs.encoder()
    inputs.check_width(vectors, stage_encoder.encoder)
    texts = st["text"].astype(str).tolist()  # BERTopic embeds some statements again: their vectors are known
    try:
        result = assign_topics_and_themes(st, vectors, inputs.codebook, stage_encoder.encode, inputs.params,
                                          order_free_backend(stage_encoder.encode, known=(texts, vectors)),
                                          lemma_cache=lemma_cache)
    except ValueError as exc:
        raise InputError(params, str(exc)) from None
    save_fit(result, inputs.record(), fit_dir, stage_encoder.encoder)
    log.info("%d statements, %d topics (%s) -> %s", len(st), len(result.topics), result.fit_path, fit_dir)
