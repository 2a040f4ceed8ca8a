"""A contract table's CSV parsed once per content, not once per stage that reads it.

On a rerun that adds a report to a large corpus, statements.csv changes and is
read by seven stages, statement_themes.csv by six; parsing each (and undoing
the formula guard) took about a second at 100,000 statements, each time. With
a table cache (`python -m pipeline --table-cache DIR <stage> ...`, as dvc.yaml
runs every stage), the first stage to read a file keeps what it parsed (every
column as text, the guard undone: what `tableio.read_table` types and checks
next) under the sha256 of the file's bytes; a later stage reading the same
bytes loads that instead of parsing. Typing, column choice and the contract's
checks still run on every read, so a read gives the same frame with the cache,
without it or with an empty one.

Layout: `<root>/<namespace>/<file name>_<folder hash>-<sha256>.pkl` (the namespace hashes the
reading code and pandas' version); keeping a file's parse removes that file
name's earlier ones, so the folder holds about one parse per table. Deleting it
is always safe; a damaged entry is set aside and the file parsed again. The
entries are pickles: read only what this project wrote.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from pipeline.result_cache import _UNREADABLE, source_fingerprint
from pipeline.text_cache import atomic_write, namespace_for, set_aside

log = logging.getLogger(__name__)

_HASH_CHUNK = 1 << 22


class TableCache:
    """Parsed CSV files under `root`, keyed by their bytes."""

    def __init__(self, root: str | Path) -> None:
        import pipeline.tableio

        code = source_fingerprint([pipeline.tableio, sys.modules[__name__]])
        self.dir = Path(root) / namespace_for(code, {"pandas": pd.__version__})
        self.root = Path(root)

    def parsed(self, path: Path, parse: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """`parse()` of the file at `path`, or what it gave before for the same bytes."""
        entry = self.dir / f"{_slug(path)}-{file_sha256(path)}.pkl"
        if entry.exists():
            try:
                with open(entry, "rb") as fh:
                    frame = pickle.load(fh)
                if isinstance(frame, pd.DataFrame):
                    return frame
                raise TypeError(f"not a table: {type(frame).__name__}")
            except _UNREADABLE as exc:
                set_aside(entry, exc, "parsed table", "the file")
        frame = parse()
        self._keep(entry, frame)
        return frame

    def _keep(self, entry: Path, frame: pd.DataFrame) -> None:
        if self.root.is_dir():  # only the namespace in use is kept
            for other in self.root.iterdir():
                if other.is_dir() and other != self.dir:
                    _remove_tree(other)
        prefix = entry.name.rsplit("-", 1)[0] + "-"
        if self.dir.is_dir():  # the same file's earlier parses
            for old in self.dir.glob(f"{glob_escape(prefix)}*.pkl"):
                old.unlink(missing_ok=True)
        atomic_write(entry, lambda fh: pickle.dump(frame, fh, protocol=pickle.HIGHEST_PROTOCOL))


_active: TableCache | None = None


def use(root: str | Path | None) -> None:
    """Keep parsed tables under `root` for the rest of the process (None: parse every read)."""
    global _active
    _active = TableCache(root) if root is not None else None


def active() -> TableCache | None:
    """The table cache set by `use`, if any."""
    return _active


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _slug(path: Path) -> str:
    """The file's name (made safe, without '-') and its folder's hash: one slug per file the stages read."""
    folder = hashlib.sha256(str(path.resolve().parent).encode("utf-8")).hexdigest()[:12]
    return re.sub(r"[^A-Za-z0-9._]+", "_", path.name) + "_" + folder


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _remove_tree(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    log.info("table cache: removed parses of other code (%s)", folder.name)
