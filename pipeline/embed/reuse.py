"""The embed stage's model, for the stages after it that embed texts of their own.

The topics stage embeds the codebook's texts and the evaluate stage the theme
descriptions; both must use the very model, and the settings, that made the
statements' vectors. The model is named once, as `embed.model` in params.yaml
(dvc.yaml lists `embed.model` among those stages' params), and the embed
stage's model record (name and content fingerprint) is checked against it, so
two different models of the same width are never mixed silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.embed.cache import VectorCache
from pipeline.embed.model import Encoder, load_encoder
from pipeline.embed.settings import EmbedParams
from pipeline.embed.store import read_model_record, require_same_model
from pipeline.errors import InputError
from pipeline.params import load_section


@dataclass(frozen=True)
class StageEncoder:
    """The embed stage's encoder and settings, as another stage sees them."""

    encoder: Encoder
    params: EmbedParams
    cache: VectorCache | None = None  # the embed stage's vector cache: texts seen before are read, not encoded

    def encoding(self) -> str:
        """What a text's vector is a function of, beside the text: the model's content and the settings that
        change vectors (the vector cache's namespace, whether or not a cache is used)."""
        from pipeline.embed.incremental import cache_namespace

        return cache_namespace(self.encoder, self.params)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from pipeline.embed.encode import embed_texts
        from pipeline.embed.incremental import embed_with_cache

        if self.cache is not None:
            return embed_with_cache(list(texts), self.encoder, self.params, self.cache)[0]
        return embed_texts(list(texts), self.encoder, **self.params.encoding_options())


def embed_stage_encoder(params_path: str | Path, model_record_path: str | Path | None = None,
                        cache_dir: str | Path | None = None) -> StageEncoder:
    """`embed.model` resolved offline, checked against the model that made the vectors when its record is given.

    With `cache_dir` (the embed stage's vector cache) texts already encoded once, by any stage,
    are read from it (the same bits as a fresh encoding, see encode.py): a rerun whose texts are
    all known never loads the model's weights.
    """
    try:
        params = load_section(params_path, "embed", EmbedParams)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{params_path}:embed", str(exc)) from None
    encoder = load_encoder(params.model, **params.encoder_options(), source=f"{params_path}:embed.model")
    if model_record_path is not None:
        require_same_model(read_model_record(model_record_path), encoder, vectors_source=model_record_path,
                           encoder_source=f"{params_path}:embed.model")
    if cache_dir is None:
        return StageEncoder(encoder, params)
    from pipeline.embed.incremental import cache_for

    return StageEncoder(encoder, params, cache_for(encoder, params, cache_dir))
