"""pipeline/memory.py: freed large arrays go back to the system (glibc), measured in a fresh process."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline.memory import _glibc

pytestmark = pytest.mark.skipif(_glibc() is None, reason="glibc only")

# 64 MB in 8 MB arrays, each followed by a small block that stays: freeing the arrays leaves holes
# inside the heap. glibc raises its mmap threshold by itself each time a large block is freed
# (up to 32 MB); the script sets it there at once, so that the 8 MB arrays come from the heap
# whatever this process allocated before, as they do in a stage that has freed large arrays
SCRIPT = """
import ctypes, sys, numpy as np
from pipeline.memory import _glibc, fix_mmap_threshold, release_freed_memory
def rss(): return int(open('/proc/self/statm').read().split()[1]) * 4096
if sys.argv[1] == "fix":
    fix_mmap_threshold()
else:
    _glibc().mallopt(-3, ctypes.c_int(32 << 20))  # the threshold as glibc leaves it after a 32 MB free
blocks, pins = [], []
for _ in range(8):
    blocks.append(np.ones(8 << 20, dtype=np.uint8)); pins.append(bytearray(200_000))
before = rss(); del blocks
if sys.argv[1] == "trim": release_freed_memory()
print((before - rss()) >> 20)
"""


def _returned_mb(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def test_plain_free_keeps_the_holes_and_both_helpers_return_them():
    assert _returned_mb("none") < 16
    assert _returned_mb("fix") >= 60
    assert _returned_mb("trim") >= 60
