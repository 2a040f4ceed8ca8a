"""`python -m pipeline topics`: read statements, vectors and codebook; write themes, topics, model."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from pipeline.cli_support import one_line_errors
from pipeline.errors import InputError
from pipeline.topics.store import LABELS_FILE, save_model  # noqa: F401  (LABELS_FILE: re-exported)

log = logging.getLogger(__name__)

# the statements' columns the correction rules match on, beside the core's (STATEMENT_COLUMNS)
RULE_COLUMNS = ("line_start", "corrected_by")

@one_line_errors
def command(
    statements: Path = typer.Option(..., "--statements", help="statements.csv (segment stage)"),
    embeddings: Path = typer.Option(..., "--embeddings", help="embeddings.npy (embed stage)"),
    embedding_ids: Path = typer.Option(..., "--embedding-ids", help="embedding_ids.csv (embed stage)"),
    model_record: Path | None = typer.Option(
        None, "--model-record", help="the embed stage's model record: the codebook is embedded with the same model"
    ),
    codebook: Path = typer.Option(..., "--codebook", help="the codebook YAML"),
    params: Path = typer.Option(..., "--params", help="params.yaml (section `topics`, and `embed.model`)"),
    statement_themes: Path = typer.Option(..., "--statement-themes", help="output: statement_themes.csv"),
    topics: Path = typer.Option(..., "--topics", help="output: topics.csv"),
    model_dir: Path = typer.Option(..., "--model-dir", help="output: the fitted BERTopic (safetensors) and its labels"),
    corrections: Path | None = typer.Option(None, "--corrections", help="the analyst's corrections file (theme and topic rules)"),
    segment_corrections: Path | None = typer.Option(None, "--segment-corrections", help="the segment stage's corrections report"),
    corrections_report: Path | None = typer.Option(None, "--corrections-report", help="output: what became of every rule"),
    lemma_cache: Path | None = typer.Option(
        None, "--lemma-cache", help="folder keeping each statement's keyword lemmas across runs (not a DVC output)"
    ),
) -> None:
    """Cluster statements into topics and name them by the codebook's themes."""
    from pipeline.memory import fix_mmap_threshold

    fix_mmap_threshold()  # large temporaries go back to the system when freed (pipeline/memory.py)
    from pipeline.codebook import load_codebook
    from pipeline.contract import STATEMENT_THEMES, STATEMENTS, TOPICS
    from pipeline.embed.reuse import embed_stage_encoder
    from pipeline.corrections.theme_hooks import apply_theme_rules
    from pipeline.embed.store import load_embeddings
    from pipeline.params import load_section
    from pipeline.tableio import read_table, write_table
    from pipeline.topics.core import STATEMENT_COLUMNS, assign_topics_and_themes
    from pipeline.topics.model import order_free_backend
    from pipeline.topics.params import TopicsParams

    p = load_section(params, "topics", TopicsParams)
    book = load_codebook(codebook)
    st = read_table(statements, STATEMENTS)
    used = (*STATEMENT_COLUMNS, *RULE_COLUMNS)
    st = st[[c for c in st.columns if c in used]]  # the rest is not read here (a million rows: GBs)
    vectors = load_embeddings(embeddings, embedding_ids, st["statement_id"].tolist())
    stage_encoder = embed_stage_encoder(params, model_record)
    encoder = stage_encoder.encoder
    if len(vectors) and vectors.shape[1] != encoder.dimension:
        raise InputError(embeddings, f"vectors have {vectors.shape[1]} dimensions but embed.model "
                                     f"{encoder.name!r} gives {encoder.dimension}: rerun the embed stage (dvc repro)")
    texts = st["text"].astype(str).tolist()  # BERTopic embeds some statements again: their vectors are known
    try:
        result = assign_topics_and_themes(st, vectors, book, stage_encoder.encode, p,
                                          order_free_backend(stage_encoder.encode, known=(texts, vectors)),
                                          lemma_cache=lemma_cache)
    except ValueError as exc:
        raise InputError(params, str(exc)) from None
    result = apply_theme_rules(result, st, book.ids, p.themes.topic_min_share, corrections, segment_corrections, corrections_report)
    write_table(result.statement_themes, statement_themes, STATEMENT_THEMES)
    write_table(result.topics, topics, TOPICS)
    save_model(result.model, result.labels, model_dir, encoder)
    log.info("%d statements, %d topics (%s) -> %s", len(st), len(result.topics), result.fit_path, statement_themes)
