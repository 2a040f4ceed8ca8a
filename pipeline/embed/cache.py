"""A vector cache keyed by (model and settings, exact text), kept outside DVC.

DVC reruns the embed stage whenever statements.csv changes; this cache makes
that rerun encode only the texts it has never seen with this model and these
settings. It lives in a folder of its own (dvc.yaml passes data/cache/embeddings,
which is not a DVC output, so `dvc repro` leaves it alone).

Layout: `<root>/<namespace>/shard-<hash>.npz`, where the namespace hashes the
model's content fingerprint with the settings that change vectors, and each
shard holds `keys` (sha256 of each text, hex) and `vectors` (float32). Each
`store` adds at most one shard (the embed stage stores one per step of encoded
texts), written to a temporary file and renamed into place, so a crash or a
parallel run never leaves a half-written shard; shards are merged
once there are many. Deleting the folder is always safe: the next run encodes
everything again, to the same values. A shard that cannot be read (truncated
by a full disk, a partial copy or a sync) is set aside as
`shard-<hash>.npz.damaged`, with a warning naming it, and its texts are
encoded again: the run goes on and gives the same vectors.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MAX_SHARDS = 16
DAMAGED_SUFFIX = ".damaged"
# What numpy raises on a truncated or garbled .npz
_UNREADABLE = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error)


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def namespace_for(model_fingerprint: str, settings: dict[str, object]) -> str:
    """Vectors of one model with one set of settings; any change gives a new namespace."""
    blob = json.dumps({"model": model_fingerprint, "settings": settings}, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def _atomic_write(path: Path, write: Callable[[object], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is plain data
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class VectorCache:
    """Vectors already computed for a model and settings, looked up by exact text."""

    def __init__(self, root: str | Path, namespace: str, *, description: dict[str, object] | None = None) -> None:
        self.root = Path(root)
        self.dir = self.root / namespace
        self.description = description or {}
        self._vectors: dict[str, np.ndarray] | None = None

    def _load(self) -> dict[str, np.ndarray]:
        if self._vectors is None:
            self._vectors = {}
            for shard in self._shards():
                for key, vector in self._read_shard(shard):
                    self._vectors.setdefault(key, vector)
        return self._vectors

    def _shards(self) -> list[Path]:
        return sorted(self.dir.glob("shard-*.npz")) if self.dir.is_dir() else []

    @staticmethod
    def _read_shard(path: Path) -> Iterable[tuple[str, np.ndarray]]:
        try:
            with np.load(path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
                if keys.ndim != 1 or vectors.ndim != 2 or len(keys) != len(vectors):
                    raise ValueError("keys and vectors do not match")
                vectors = vectors.astype(np.float32, copy=False)
                return list(zip(keys.tolist(), vectors))
        except _UNREADABLE as exc:
            aside = path.with_name(path.name + DAMAGED_SUFFIX)
            try:
                os.replace(path, aside)
            except OSError:
                aside = path
            log.warning("%s: damaged vector cache shard (%s: %s) set aside as %s; its texts will be encoded again",
                        path, exc.__class__.__name__, exc, aside.name)
            return []

    def __len__(self) -> int:
        return len(self._load())

    def lookup(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vector of each text that has one, by text."""
        vectors = self._load()
        found: dict[str, np.ndarray] = {}
        for text in texts:
            vector = vectors.get(text_key(text))
            if vector is not None:
                found[text] = vector
        return found

    def store(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Add vectors (row i for texts[i]) as one new shard, atomically."""
        if len(texts) != len(vectors):
            raise ValueError(f"{len(texts)} texts but {len(vectors)} vectors")
        if not len(texts):
            return
        known = self._load()
        fresh = {}
        for text, vector in zip(texts, vectors):
            key = text_key(text)
            if key not in known:
                fresh[key] = np.asarray(vector, dtype=np.float32)
        if not fresh:
            return
        keys = sorted(fresh)
        self._write_shard(keys, np.stack([fresh[k] for k in keys]))
        known.update(fresh)
        if len(self._shards()) > MAX_SHARDS:
            self.compact()

    def compact(self) -> None:
        """Merge every shard into one (written first, then the old ones removed)."""
        old = self._shards()
        vectors = self._load()
        if len(old) <= 1 or not vectors:
            return
        keys = sorted(vectors)
        merged = self._write_shard(keys, np.stack([vectors[k] for k in keys]))
        for path in old:
            if path != merged:
                path.unlink(missing_ok=True)

    def _write_shard(self, keys: list[str], vectors: np.ndarray) -> Path:
        name = hashlib.sha256("\n".join(keys).encode("ascii")).hexdigest()[:24]
        path = self.dir / f"shard-{name}.npz"
        _atomic_write(path, lambda fh: np.savez(fh, keys=np.array(keys), vectors=vectors.astype(np.float32)))
        about = self.dir / "about.json"
        if self.description and not about.exists():
            text = json.dumps(self.description, indent=2, sort_keys=True) + "\n"
            _atomic_write(about, lambda fh: fh.write(text.encode("utf-8")))
        return path
