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

Most of what PyNNDescent compiles is not marked for caching at all (`njit()`
without `cache=True`), nor is UMAP's `smooth_knn_dist`: they were compiled again
in every run. `cache_library_kernels` marks those kernels for the same cache
before they first run; what remains compiled per process are the few that take
a distance function as an argument, which numba cannot keep ("dynamic globals").
Measured by `python -m benchmarks.jit_bench` (a UMAP fit with the topics stage's
settings): 41.9 s of compiling in every run before, 18.0 s now (README, Scale).
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

# the libraries whose numba kernels `cache_library_kernels` keeps
JIT_LIBRARIES = ("umap", "pynndescent")


def jit_cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "session-themes" / "numba"


def use_persistent_jit_cache() -> None:
    """Point numba's cache at a per-user folder unless the user chose one."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    os.environ["NUMBA_CACHE_DIR"] = str(jit_cache_folder())


def cache_library_kernels(libraries: tuple[str, ...] = JIT_LIBRARIES) -> int:
    """Mark the imported modules' numba functions that do not cache themselves for numba's cache.

    Call after importing the libraries and before they compile (their first fit). The
    compiled code is the same either way; numba keys what it keeps by the function's
    source file, signature and CPU, and recompiles when any of them changes. Returns how
    many functions were marked.
    """
    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher
    from numba.core.errors import NumbaWarning

    # kernels that take a distance function as an argument cannot be kept; numba says so each run
    warnings.filterwarnings("ignore", message=".*Cannot cache compiled function", category=NumbaWarning)
    marked = 0
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in libraries:
            continue
        for obj in list(vars(module).values()):
            if isinstance(obj, Dispatcher) and isinstance(obj._cache, NullCache) and obj.py_func.__module__ == name:
                obj.enable_caching()
                marked += 1
    return marked
