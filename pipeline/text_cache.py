"""A cache of values computed from texts, keyed by (what computes them, exact text), kept outside DVC.

A stage reruns whenever its input table changes; such a cache lets the rerun
compute only for the texts it has never seen with the same model, settings and
code. The embed stage keeps vectors in one (`pipeline.embed.cache`), the topics
stage the keyword lemmas of each statement (`pipeline.topics.lemma_cache`).
dvc.yaml passes each a folder under data/cache, which is not a DVC output, so
`dvc repro` leaves it alone.

Layout: `<root>/<namespace>/shard-<hash>.npz`, where the namespace hashes
whatever changes the values, and each shard holds `keys` (sha256 of each text,
hex) and one array of values, a row per key. Each `store` adds at most one
shard, written to a temporary file and renamed into place, so a crash or a
parallel run never leaves a half-written shard; shards are merged once there
are many. Deleting the folder is always safe: the next run computes everything
again, to the same values. A shard that cannot be read (truncated by a full
disk, a partial copy or a sync) is set aside as `shard-<hash>.npz.damaged`,
with a warning naming it, and its texts are computed again: the run goes on
and gives the same values.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MAX_SHARDS = 16
DAMAGED_SUFFIX = ".damaged"
# What the in-memory index holds for a value this process stored: it is on disk, and read back
# only if asked for again, so a run that stores a million vectors does not also keep them
_WRITTEN = object()
# What numpy raises on a truncated or garbled .npz
_UNREADABLE = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error)


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def namespace_for(model_fingerprint: str, settings: dict[str, object]) -> str:
    """Values of one model with one set of settings; any change gives a new namespace."""
    blob = json.dumps({"model": model_fingerprint, "settings": settings}, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def remove_other_namespaces(namespace: Path, what: str) -> None:
    """Remove every folder beside `namespace` (`what`: the results of other code or settings), each with a log line."""
    if not namespace.parent.is_dir():
        return
    for other in namespace.parent.iterdir():
        if other.is_dir() and other != namespace:
            shutil.rmtree(other, ignore_errors=True)
            log.info("%s: removed (%s)", what, other.name)


def set_aside(path: Path, exc: BaseException, what: str, redone: str) -> None:
    """Rename a file that cannot be read to `<name>.damaged` (kept for a look, never read again), with a warning."""
    aside = path.with_name(path.name + DAMAGED_SUFFIX)
    try:
        os.replace(path, aside)
    except OSError:
        aside = path
    log.warning("%s: damaged %s (%s: %s) set aside as %s; %s will be computed again",
                path, what, exc.__class__.__name__, exc, aside.name, redone)


def atomic_write(path: Path, write: Callable[[object], object]) -> None:
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


class TextCache:
    """Values already computed for a namespace, looked up by exact text.

    A subclass says what a value is: `field` (the shard's array of values),
    `what` (for messages), `to_array` and `from_array`.
    """

    field = "values"
    what = "text cache"

    def __init__(self, root: str | Path, namespace: str, *, description: dict[str, object] | None = None) -> None:
        self.root = Path(root)
        self.dir = self.root / namespace
        self.description = description or {}
        self._values: dict[str, Any] | None = None

    def to_array(self, values: list[Any]) -> np.ndarray:
        """The values of one shard as one array (a row per value)."""
        raise NotImplementedError

    def from_array(self, array: np.ndarray) -> list[Any]:
        """One shard's array back as values; ValueError when it is not what this cache writes."""
        raise NotImplementedError

    def _load(self) -> dict[str, Any]:
        if self._values is None:
            self._values = {}
            for shard in self._shards():
                for key, value in self._read_shard(shard):
                    self._values.setdefault(key, value)
        return self._values

    def _shards(self) -> list[Path]:
        return sorted(self.dir.glob("shard-*.npz")) if self.dir.is_dir() else []

    def _read_shard(self, path: Path) -> Iterable[tuple[str, Any]]:
        try:
            with np.load(path, allow_pickle=False) as data:
                keys, values = data["keys"], self.from_array(data[self.field])
                if keys.ndim != 1 or len(keys) != len(values):
                    raise ValueError(f"keys and {self.field} do not match")
                return list(zip(keys.tolist(), values))
        except _UNREADABLE as exc:
            set_aside(path, exc, f"{self.what} shard", "its texts")
            return []

    def __len__(self) -> int:
        return len(self._load())

    def _reload(self) -> dict[str, Any]:
        """Every value from disk again, those this process stored included."""
        self._values = None
        return self._load()

    def lookup(self, texts: Sequence[str]) -> dict[str, Any]:
        """The cached value of each text that has one, by text."""
        values = self._load()
        found: dict[str, Any] = {}
        for text in texts:
            key = text_key(text)
            value = values.get(key)
            if value is _WRITTEN:
                values = self._reload()
                value = values.get(key)
            if value is not None:
                found[text] = value
        return found

    def store(self, texts: Sequence[str], values: Sequence[Any]) -> None:
        """Add values (values[i] for texts[i]) as one new shard, atomically."""
        if len(texts) != len(values):
            raise ValueError(f"{len(texts)} texts but {len(values)} {self.field}")
        if not len(texts):
            return
        known = self._load()
        fresh = {}
        for text, value in zip(texts, values):
            key = text_key(text)
            if key not in known:
                fresh[key] = value
        if not fresh:
            return
        keys = sorted(fresh)
        array = self.to_array([fresh[k] for k in keys])
        self._write_shard(keys, array)
        known.update(dict.fromkeys(keys, _WRITTEN))
        if len(self._shards()) > MAX_SHARDS:
            self.compact()

    def compact(self) -> None:
        """Merge every shard into one (written first, then the old ones removed)."""
        old = self._shards()
        values = self._load()
        if any(value is _WRITTEN for value in values.values()):
            values = self._reload()
        if len(old) <= 1 or not values:
            return
        keys = sorted(values)
        merged = self._write_shard(keys, self.to_array([values[k] for k in keys]))
        for path in old:
            if path != merged:
                path.unlink(missing_ok=True)

    def _write_shard(self, keys: list[str], array: np.ndarray) -> Path:
        name = hashlib.sha256("\n".join(keys).encode("ascii")).hexdigest()[:24]
        path = self.dir / f"shard-{name}.npz"
        atomic_write(path, lambda fh: np.savez(fh, keys=np.array(keys), **{self.field: array}))
        about = self.dir / "about.json"
        if self.description and not about.exists():
            text = json.dumps(self.description, indent=2, sort_keys=True) + "\n"
            atomic_write(about, lambda fh: fh.write(text.encode("utf-8")))
        return path
