"""`python -m pipeline embed`: statements.csv -> embeddings.npy + embedding_ids.csv."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from pipeline.cli_support import one_line_errors, show_progress
from pipeline.errors import InputError

log = logging.getLogger(__name__)


def run_embed(
    statements_path: Path,
    vectors_path: Path,
    ids_path: Path,
    params_path: Path,
    cache_dir: Path | None,
    *,
    model_record_path: Path | None = None,
    progress: bool = False,
):
    """Read, embed through the cache, write. Returns the `EmbedReport` (what was encoded vs cached)."""
    from pipeline.contract import STATEMENTS
    from pipeline.embed.incremental import cache_for, embed_with_cache
    from pipeline.embed.model import load_encoder
    from pipeline.embed.settings import EmbedParams
    from pipeline.embed.store import model_record, write_embeddings, write_model_record
    from pipeline.params import load_section
    from pipeline.tableio import read_table

    try:
        params = load_section(params_path, "embed", EmbedParams)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{params_path}:embed", str(exc)) from None
    statements = read_table(statements_path, STATEMENTS, columns=("statement_id", "text"))
    ids = statements["statement_id"].tolist()
    texts = statements["text"].astype(str).tolist()

    encoder = load_encoder(
        params.model,
        **params.encoder_options(),
        cache_dir=cache_dir,
        source=f"{params_path}:embed.model",
        quiet=not progress,
    )
    cache = cache_for(encoder, params, cache_dir) if cache_dir is not None else None
    vectors, report = embed_with_cache(texts, encoder, params, cache, show_progress_bar=progress)

    if report.truncated:
        cut = set(report.truncated)
        log.warning(
            "%d statement(s) longer than the model reads (%d word pieces) were truncated: %s",
            len(cut),
            encoder.max_tokens,
            ", ".join(i for i, t in zip(ids, texts) if t in cut),
        )
    write_embeddings(vectors, ids, vectors_path, ids_path)
    if model_record_path is not None:
        write_model_record(model_record(encoder), model_record_path)
    log.info(
        "embed: %d statement(s), %d distinct text(s): %d encoded, %d read from the cache -> %s",
        report.texts,
        report.distinct,
        report.encoded,
        report.cached,
        vectors_path,
    )
    return report


@one_line_errors
def command(
    statements: Path = typer.Option(..., "--statements", help="statements.csv from the segment stage"),
    vectors: Path = typer.Option(..., "--vectors", help="output: float32 matrix (.npy), row i = statement i"),
    ids: Path = typer.Option(..., "--ids", help="output: embedding_ids.csv (statement_id,row)"),
    params: Path = typer.Option(..., "--params", help="params.yaml (reads the embed section)"),
    cache: Path | None = typer.Option(
        None, "--cache", help="vector cache folder (kept across runs, safe to delete); none: encode everything"
    ),
    model_record: Path | None = typer.Option(
        None, "--model-record", help="output: JSON naming the model (and its content fingerprint) that made the vectors"
    ),
) -> None:
    """Embed every statement with sentence-transformers, offline; only texts not in the cache are encoded."""
    run_embed(statements, vectors, ids, params, cache, model_record_path=model_record, progress=show_progress())
