"""`python -m pipeline topics`: the topic fit, extended to new statements when kept; corrections; tables, model."""

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
    fit_dir: Path = typer.Option(..., "--fit-dir", help="the topic_fit stage's output (kept by `dvc freeze topic_fit`)"),
    statement_themes: Path = typer.Option(..., "--statement-themes", help="output: statement_themes.csv"),
    topics: Path = typer.Option(..., "--topics", help="output: topics.csv"),
    model_dir: Path = typer.Option(..., "--model-dir", help="output: the fitted BERTopic (safetensors) and its labels"),
    corrections: Path | None = typer.Option(None, "--corrections", help="the analyst's corrections file (theme and topic rules)"),
    segment_corrections: Path | None = typer.Option(None, "--segment-corrections", help="the segment stage's corrections report"),
    corrections_report: Path | None = typer.Option(None, "--corrections-report", help="output: what became of every rule"),
    lemma_cache: Path | None = LEMMA_CACHE_OPTION,
    vector_cache: Path | None = VECTOR_CACHE_OPTION,
    join_cache: Path | None = typer.Option(
        None, "--join-cache", help="folder keeping, per report, where a kept fit placed its new statements "
        "(not a DVC output; safe to delete)"),
) -> None:
    """Every statement's topic and themes from the topic fit (extended to new statements), with the corrections."""
    from pipeline.contract import STATEMENT_THEMES, TOPICS
    from pipeline.corrections.theme_hooks import apply_theme_rules
    from pipeline.tableio import write_table
    from pipeline.topics.inputs import read_topics_inputs
    from pipeline.topics.kept import covers, extend_fit, fit_differences, result_of_fit
    from pipeline.topics.fit_store import copy_model, load_fit
    from pipeline.topics.join_cache import join_cache_for

    inputs = read_topics_inputs(statements, embeddings, embedding_ids, model_record, codebook, params, vector_cache)
    st, p = inputs.statements, inputs.params
    fit = load_fit(fit_dir)
    differs = fit_differences(fit.record, inputs.record())
    if differs:
        raise InputError(fit_dir, f"the kept topic fit was made with another {', '.join(differs)} than now: "
                                  "fit again (`dvc unfreeze topic_fit`, then `dvc repro`)")
    if covers(fit, st):
        log.info("the topic fit covers these %d statements: its tables as they are", len(st))
        result = result_of_fit(fit)
    else:
        vectors, stage_encoder = inputs.vectors(), inputs.encoder()
        inputs.check_width(vectors, stage_encoder.encoder)
        try:
            result = extend_fit(st, vectors, fit, inputs.codebook, stage_encoder.encode, p, lemma_cache=lemma_cache,
                                join_cache=join_cache_for(join_cache, p) if join_cache is not None else None,
                                encoding=stage_encoder.encoding())
        except ValueError as exc:
            raise InputError(fit_dir, str(exc)) from None
    result = apply_theme_rules(result, st, inputs.codebook.ids, p.themes.topic_min_share, corrections,
                               segment_corrections, corrections_report)
    write_table(result.statement_themes, statement_themes, STATEMENT_THEMES)
    write_table(result.topics, topics, TOPICS)
    copy_model(fit_dir, result.labels, model_dir)
    log.info("%d statements, %d topics (%s) -> %s", len(st), len(result.topics), result.fit_path, statement_themes)
