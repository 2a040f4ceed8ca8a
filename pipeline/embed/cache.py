"""A vector cache keyed by (model and settings, exact text), kept outside DVC.

DVC reruns the embed stage whenever statements.csv changes; this cache makes
that rerun encode only the texts it has never seen with this model and these
settings. It lives in a folder of its own (dvc.yaml passes data/cache/embeddings,
which is not a DVC output, so `dvc repro` leaves it alone).

Layout and safety are those of every text cache (`pipeline.text_cache`): the
namespace hashes the model's content fingerprint with the settings that change
vectors, and each shard holds `keys` (sha256 of each text, hex) and `vectors`
(float32). The embed stage stores one shard per step of encoded texts. A
damaged shard is set aside with a warning and its texts encoded again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pipeline.text_cache import DAMAGED_SUFFIX, MAX_SHARDS, TextCache, namespace_for, text_key

__all__ = ["DAMAGED_SUFFIX", "MAX_SHARDS", "VectorCache", "namespace_for", "text_key"]


class VectorCache(TextCache):
    """Vectors already computed for a model and settings, looked up by exact text."""

    field = "vectors"
    what = "vector cache"

    def to_array(self, values: list[Any]) -> np.ndarray:
        return np.stack([np.asarray(v, dtype=np.float32) for v in values])

    def from_array(self, array: np.ndarray) -> list[Any]:
        if array.ndim != 2:
            raise ValueError("vectors are not a matrix")
        return list(array.astype(np.float32, copy=False))
