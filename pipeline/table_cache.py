"""A contract table's CSV parsed once per content, not once per stage that reads it.

On a rerun that adds a report to a large corpus, statements.csv changes and is
read by seven stages, statement_themes.csv by six; parsing each (and undoing
the formula guard) took about a second at 100,000 statements, each time. With
a table cache (`python -m pipeline --table-cache DIR <stage> ...`, as dvc.yaml
runs every stage), a stage that parses a column of a file keeps it (as text,
the guard undone: what `tableio.read_table` types and checks next) under the
sha256 of the file's bytes; a later stage reading the same bytes loads the
columns kept and parses only the others. A column is its own file, so a stage
that reads three columns of a large table loads three, as it would parse three.
Typing, column choice and the contract's checks still run on every read, so a
read gives the same frame with the cache, without it or with an empty one.

Layout: `<root>/<namespace>/<file name>_<folder hash>-<sha256>/<column position>.pkl`
(the namespace hashes the reading code and pandas' version); keeping a file's
columns removes that file's earlier contents' folders, so the cache holds about
one parse per table. Deleting it is always safe; a damaged column file is set
aside and the column parsed again. The files are pickles: read only what this
project wrote.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from pipeline.result_cache import UNREADABLE, source_fingerprint
from pipeline.text_cache import atomic_write, namespace_for, remove_other_namespaces, set_aside

log = logging.getLogger(__name__)

_HASH_CHUNK = 1 << 22
# parse(path, columns) -> those columns of the file, as text, the guard undone
Parse = Callable[[Path, Sequence[str]], pd.DataFrame]


class TableCache:
    """Parsed columns of CSV files under `root`, keyed by the files' bytes."""

    def __init__(self, root: str | Path) -> None:
        import pipeline.tableio

        code = source_fingerprint([pipeline.tableio, sys.modules[__name__]])
        self.root = Path(root)
        self.dir = self.root / namespace_for(code, {"pandas": pd.__version__})
        self._pruned = False

    def columns(self, path: Path, header: Sequence[str], wanted: Sequence[str], parse: Parse) -> pd.DataFrame:
        """The `wanted` columns of the file at `path` (whose parsed header is `header`), in file order: those kept
        for these bytes loaded, the others parsed by `parse` and kept."""
        folder = self.dir / f"{_slug(path)}-{file_sha256(path)}"
        position = {name: i for i, name in enumerate(header)}
        found: dict[str, pd.Series] = {}
        for name in wanted:
            column = self._load(folder / f"{position[name]}.pkl")
            if column is not None:
                found[name] = column
        missing = [name for name in wanted if name not in found]
        if missing:
            parsed = parse(path, missing)
            self._prune(folder)
            for name in missing:
                found[name] = parsed[name]
                atomic_write(folder / f"{position[name]}.pkl",
                             lambda fh, c=parsed[name]: pickle.dump(c, fh, protocol=pickle.HIGHEST_PROTOCOL))
        return pd.DataFrame({name: found[name] for name in wanted}) if wanted else parse(path, [])

    def _load(self, entry: Path) -> pd.Series | None:
        if not entry.exists():
            return None
        try:
            with open(entry, "rb") as fh:
                column = pickle.load(fh)
            if not isinstance(column, pd.Series):
                raise TypeError(f"not a column: {type(column).__name__}")
            return column
        except UNREADABLE as exc:
            set_aside(entry, exc, "parsed column", "the column")
            return None

    def _prune(self, folder: Path) -> None:
        """Before keeping columns: remove other namespaces (once) and this file's earlier contents."""
        if not self._pruned:
            self._pruned = True
            remove_other_namespaces(self.dir, "table cache: parses of other code")
        prefix = folder.name.rsplit("-", 1)[0] + "-"
        if self.dir.is_dir():
            for old in self.dir.iterdir():
                if old.name.startswith(prefix) and old != folder:
                    shutil.rmtree(old, ignore_errors=True)


_active: TableCache | None = None


def use(root: str | Path | None) -> None:
    """Keep parsed columns under `root` for the rest of the process (None: parse every read)."""
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
