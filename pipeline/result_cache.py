"""Results computed from one whole input (a report file), kept outside DVC, keyed by its bytes.

`pipeline.text_cache` keeps values per text (vectors, lemmas); this keeps a
stage's result for one independent input, so a rerun after a report is added
recomputes that report only. The `segment` stage keeps each report's tables
here (`--cache data/cache/segment`): segmenting is a function of the report's
name and bytes, the stage's params, the spaCy pipeline and the code, and the
namespace hashes all of those but the first two, which make the key. So the
result read back is the result computed, and the stage's tables are the same
bytes with the cache, without it or with an empty one.

Layout: `<root>/<namespace>/<key>.pkl`, one pickle per input, written to a
temporary file and renamed into place. Only the namespace in use is kept: a
stage that opens a new one (new params, new code) removes the others; within
one, the entries of inputs since edited or removed stay (the `analyze` command
shares the folder with `dvc repro`, so no run deletes what another may read).
Deleting the folder is always safe. A file that cannot be read is set aside as `<key>.pkl.damaged`,
with a warning naming it, and its input is computed again.

The files are pickles: read only what this project wrote (the folder is
local, under data/cache, and is never shared or committed).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import pickle
import zlib
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from pipeline.text_cache import atomic_write, namespace_for, remove_other_namespaces, set_aside

log = logging.getLogger(__name__)

# what reading a damaged or stale pickle raises: the entry is set aside and computed again
UNREADABLE = (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, IndexError, TypeError,
              ValueError, zlib.error)


def source_fingerprint(packages: Iterable[ModuleType]) -> str:
    """sha256 of the files of the given packages (code, templates; not bytecode) or modules, by name and content
    (names relative to the package's parent folder: a clone elsewhere has the same fingerprint)."""
    files: dict[str, Path] = {}
    for package in packages:
        where = Path(package.__file__ or "")
        found = ([f for f in where.parent.rglob("*") if f.is_file() and "__pycache__" not in f.parts
                  and f.suffix != ".pyc"] if where.name == "__init__.py" else [where])
        top = where.parent.parent if where.name == "__init__.py" else where.parent
        files.update({f.relative_to(top).as_posix(): f for f in found})
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + files[name].read_bytes() + b"\0")
    return digest.hexdigest()


def params_settings(params: Any, ignore: tuple[str, ...] = ("workers",)) -> dict[str, Any]:
    """A stage's params (a dataclass) as plain JSON values, without those that change no result."""
    values = {k: v for k, v in dataclasses.asdict(params).items() if k not in ignore}
    return json.loads(json.dumps(values, default=str))


def value_key(value: Any) -> str:
    """sha256 of `value` (plain lists, tuples, dicts, str, numbers, None) pickled without pickle's memo:
    the bytes follow the values, not which Python objects hold them (two equal strings, one shared
    object or two, give the same key; str, int, float, bool and None each pickle to their own code)."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo
    pickler.dump(value)
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def input_key(name: str, data: bytes) -> str:
    """The key of one input: sha256 of its name and its bytes."""
    return hashlib.sha256(name.encode("utf-8") + b"\0" + data).hexdigest()


class ResultCache:
    """Results of one stage under one namespace, one file per input key."""

    def __init__(self, root: str | Path, code: str, settings: dict[str, object], *, what: str,
                 compress: bool = False) -> None:
        self.root = Path(root)
        self.dir = self.root / namespace_for(code, {**settings, "compress": compress})
        self.what = what
        self.compress = compress  # zlib (level 1) over the pickle: for results that are mostly text
        self._pruned = False
        self.asked: set[str] = set()  # keys read or stored through this object (`retain_asked`)

    def get(self, key: str) -> Any | None:
        """The result stored for `key`, or None."""
        self.asked.add(key)
        path = self.dir / f"{key}.pkl"
        if not path.is_file():
            return None
        try:
            data = path.read_bytes()
            return pickle.loads(zlib.decompress(data) if self.compress else data)
        except UNREADABLE as exc:
            set_aside(path, exc, f"{self.what} entry", "its input")
            return None

    def put(self, key: str, value: Any) -> None:
        """Store `value` for `key` atomically; the first store removes other namespaces' results."""
        if not self._pruned:
            self._prune()
        self.asked.add(key)
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        atomic_write(self.dir / f"{key}.pkl", lambda fh: fh.write(zlib.compress(data, 1) if self.compress else data))

    def retain(self, keys: set[str]) -> int:
        """Remove this namespace's results whose key is not in `keys` (for a cache only one stage reads,
        after a run that asked for every key it needs); how many were removed."""
        if not self.dir.is_dir():
            return 0
        stale = [f for f in self.dir.glob("*.pkl") if f.stem not in keys]
        for f in stale:
            f.unlink(missing_ok=True)
        return len(stale)

    def retain_asked(self) -> int:
        """Remove the results not asked for through this object: for a stage that asks, in every run, for the
        result of every input it has (the rest belong to inputs since changed or gone); how many were removed."""
        removed = self.retain(self.asked)
        if removed:
            log.info("%s: removed %d result(s) no longer asked for", self.what, removed)
        return removed

    def _prune(self) -> None:
        self._pruned = True
        remove_other_namespaces(self.dir, f"{self.what}: results of other settings or code")
