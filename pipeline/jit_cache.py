"""A persistent cache for the JIT-compiled code of UMAP, PyNNDescent and HDBSCAN.

UMAP and PyNNDescent compile their numba functions in every new process. At
10,000 statements that compilation was 82 s of the topics stage's 135 s
(cProfile), a fixed cost that every `dvc repro` paid again. numba keeps what it
compiled when `NUMBA_CACHE_DIR` names a writable folder; by default it writes
next to the library's sources, which a read-only or freshly built environment
may refuse. The folder is per user (`$XDG_CACHE_HOME/session-themes/numba`,
else `~/.cache/session-themes/numba`), outside the project, and safe to delete:
numba recompiles, and the compiled code computes the same numbers either way.
A `NUMBA_CACHE_DIR` already set by the user wins. It must be set before numba
is imported, so the package sets it when it is imported itself.
"""

from __future__ import annotations

import os
from pathlib import Path


def jit_cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "session-themes" / "numba"


def use_persistent_jit_cache() -> None:
    """Point numba's cache at a per-user folder unless the user chose one."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    os.environ["NUMBA_CACHE_DIR"] = str(jit_cache_folder())
