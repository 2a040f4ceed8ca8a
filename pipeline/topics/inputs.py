"""What the `topic_fit` and `topics` stages read: statements, their vectors, the codebook, params, the encoder."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import typer

from pipeline.errors import InputError

# the statements' columns the correction rules match on, beside the core's (STATEMENT_COLUMNS)
RULE_COLUMNS = ("line_start", "corrected_by", "text_hash")

# the options both topics stages take (typer reads these defaults)
STATEMENTS_OPTION = typer.Option(..., "--statements", help="statements.csv (segment stage)")
EMBEDDINGS_OPTION = typer.Option(..., "--embeddings", help="embeddings.npy (embed stage)")
EMBEDDING_IDS_OPTION = typer.Option(..., "--embedding-ids", help="embedding_ids.csv (embed stage)")
MODEL_RECORD_OPTION = typer.Option(
    ..., "--model-record", help="the embed stage's model record: the codebook is embedded with the same model")
CODEBOOK_OPTION = typer.Option(..., "--codebook", help="the codebook YAML")
PARAMS_OPTION = typer.Option(..., "--params", help="params.yaml (section `topics`, and `embed.model`)")
VECTOR_CACHE_OPTION = typer.Option(
    None, "--vector-cache", help="the embed stage's vector cache: the codebook's and BERTopic's texts are read from it "
    "when encoded before, and kept in it (not a DVC output)")
LEMMA_CACHE_OPTION = typer.Option(
    None, "--lemma-cache", help="folder keeping each statement's keyword lemmas across runs (not a DVC output)")


@dataclass
class TopicsInputs:
    statements: pd.DataFrame
    codebook: Any
    params: Any  # TopicsParams
    paths: dict[str, Path | None]

    def vectors(self) -> np.ndarray:
        """The statements' vectors in their order (memory-mapped when already in that order)."""
        from pipeline.embed.store import load_embeddings

        return load_embeddings(self.paths["embeddings"], self.paths["embedding_ids"],
                               self.statements["statement_id"].tolist())

    def encoder(self) -> Any:
        """The embed stage's encoder (for the codebook's texts), checked against the model that made the vectors."""
        from pipeline.embed.reuse import embed_stage_encoder

        return embed_stage_encoder(self.paths["params"], self.paths["model_record"], self.paths.get("vector_cache"))

    def check_width(self, vectors: np.ndarray, encoder: Any) -> None:
        if len(vectors) and vectors.shape[1] != encoder.dimension:
            raise InputError(self.paths["embeddings"], f"vectors have {vectors.shape[1]} dimensions but embed.model "
                             f"{encoder.name!r} gives {encoder.dimension}: rerun the embed stage (dvc repro)")

    def record(self) -> dict[str, Any]:
        """What a fit made from these inputs is made with (`kept.fit_record`)."""
        from pipeline.embed.store import read_model_record
        from pipeline.topics.kept import fit_record

        book = hashlib.sha256(Path(self.paths["codebook"]).read_bytes()).hexdigest()
        return fit_record(book, asdict(self.params), read_model_record(self.paths["model_record"]))


def read_topics_inputs(statements: Path, embeddings: Path, embedding_ids: Path, model_record: Path,
                       codebook: Path, params: Path, vector_cache: Path | None = None) -> TopicsInputs:
    """The statements (only the columns the stages read), codebook and `topics` params; vectors on demand."""
    from pipeline.codebook import load_codebook
    from pipeline.contract import STATEMENTS
    from pipeline.params import load_section
    from pipeline.tableio import read_table
    from pipeline.topics.core import STATEMENT_COLUMNS
    from pipeline.topics.params import TopicsParams

    p = load_section(params, "topics", TopicsParams)
    book = load_codebook(codebook)
    used = (*STATEMENT_COLUMNS, *RULE_COLUMNS)
    st = read_table(statements, STATEMENTS, columns=used)  # the rest is not read here (a million rows: GBs)
    paths = {"embeddings": embeddings, "embedding_ids": embedding_ids, "model_record": model_record,
             "codebook": codebook, "params": params, "vector_cache": vector_cache}
    return TopicsInputs(st, book, p, paths)
