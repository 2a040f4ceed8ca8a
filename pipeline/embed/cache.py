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

Beside the shards, `checks.json` keeps what was measured of the encoder on a machine
(`short_passes.check_key`: CPU, torch, settings), so a later run on the same machine
need not measure it again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.text_cache import DAMAGED_SUFFIX, MAX_SHARDS, TextCache, atomic_write, namespace_for, set_aside, text_key

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

    @property
    def checks_path(self) -> Path:
        return self.dir / "checks.json"

    def read_checks(self) -> dict[str, Any]:
        """What earlier runs measured of the encoder (`Encoder.checks`); {} when nothing or damaged."""
        path = self.checks_path
        if not path.is_file():
            return {}
        try:
            checks = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(checks, dict):
                raise ValueError("not a mapping")
            return checks
        except (OSError, ValueError) as exc:
            set_aside(path, exc, "checks file", "what it held")
            return {}

    def write_checks(self, checks: dict[str, Any]) -> None:
        text = json.dumps(checks, indent=2, sort_keys=True) + "\n"
        atomic_write(self.checks_path, lambda fh: fh.write(text.encode("utf-8")))
