"""numpy's large arrays on ordinary (4 KiB) memory pages, unless the user says otherwise.

numpy asks Linux for transparent huge pages (2 MiB, `madvise`) for every array
of 4 MiB or more. On a virtual machine whose memory the host hands over only
when first touched (Firecracker, as this project's machine), a huge page is new
memory the guest has never used, and filling it waits for the host; ordinary
pages come back from what the process and the kernel freed moments before.
Measured on this machine at 100,000 statements (README, Scale): reading the
vector cache 1.0-1.6 → 0.4-0.5 s, copying it into the corpus's matrix 1.1-1.4 →
0.4 s; a rerun of every stage that adds nothing, 106.0-110.3 s against
108.7-116.1 s with huge pages (two runs each, alternated), the same outputs.

The switch is numpy's own (`NUMPY_MADVISE_HUGEPAGE`, read when numpy is
imported), so the package sets it when it is imported itself, before numpy, as
it does the offline switches; a value the user already set wins
(`NUMPY_MADVISE_HUGEPAGE=1` on a machine where huge pages pay).
"""

from __future__ import annotations

import os
import sys

VARIABLE = "NUMPY_MADVISE_HUGEPAGE"


def use_small_pages() -> None:
    """Turn numpy's huge-page advice off unless `NUMPY_MADVISE_HUGEPAGE` is set (also when numpy is loaded)."""
    if VARIABLE in os.environ:
        return
    os.environ[VARIABLE] = "0"  # child processes (spawned workers) read it too
    numpy = sys.modules.get("numpy")
    if numpy is not None:  # imported first (a notebook, pytest): numpy's own switch, as the variable would
        from numpy._core.multiarray import _set_madvise_hugepage

        _set_madvise_hugepage(False)
