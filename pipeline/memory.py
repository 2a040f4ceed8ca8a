"""Returning freed memory to the system (glibc), for stages whose peak follows a large temporary.

glibc's malloc keeps freed blocks for reuse, and raises its mmap threshold each time a large
block is freed (up to 32 MB on 64-bit), so that later arrays come from the heap, where freeing
them returns nothing to the system. A stage that frees a large temporary just before its most
memory-hungry step (the topics stage before UMAP) then carries the dead memory into that step's
peak. Both helpers are no-ops where glibc is not the C library; neither changes any result.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import cache

log = logging.getLogger(__name__)

_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


@cache
def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018  (glibc has both)
        return libc
    except (OSError, AttributeError):
        return None


def fix_mmap_threshold(size: int = 1 << 20) -> bool:
    """Blocks of `size` bytes and more get their own mappings for good (freed: returned at once)."""
    libc = _glibc()
    ok = bool(libc is not None and libc.mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(size)))
    log.debug("malloc mmap threshold fixed at %d bytes: %s", size, ok)
    return ok


def release_freed_memory() -> bool:
    """Give the heap's free pages back to the system (`malloc_trim(0)`); True when something was returned."""
    libc = _glibc()
    return bool(libc is not None and libc.malloc_trim(0))
