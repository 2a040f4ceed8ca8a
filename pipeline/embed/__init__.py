"""The embed stage: every statement to a sentence-transformers vector, offline and cached.

Public helpers for other stages (loaded on first use, so importing this package
stays cheap and never imports torch):

- `load_encoder(name)`: the model named in params.yaml, resolved offline;
- `embed_with_cache(texts, encoder, params, cache)` / `embed_arbitrary_texts(texts, params, cache_dir=...)`:
  vectors for any texts, with the same model, settings and cache as the stage;
- `embed_texts(texts, encoder, ...)`: the uncached core;
- `load_embeddings(vectors_path, ids_path, statement_ids)`: the stage's outputs, aligned to statements.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "embed_texts": "pipeline.embed.encode",
    "EmbedReport": "pipeline.embed.incremental",
    "cache_for": "pipeline.embed.incremental",
    "embed_arbitrary_texts": "pipeline.embed.incremental",
    "embed_with_cache": "pipeline.embed.incremental",
    "DEFAULT_MODEL": "pipeline.embed.model",
    "Encoder": "pipeline.embed.model",
    "load_encoder": "pipeline.embed.model",
    "EmbedParams": "pipeline.embed.settings",
    "LongTextParams": "pipeline.embed.settings",
    "load_embeddings": "pipeline.embed.store",
    "write_embeddings": "pipeline.embed.store",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'pipeline.embed' has no attribute {name!r}")
