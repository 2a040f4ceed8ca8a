"""Map a function over independent items in forked worker processes, results in the items' order.

The pattern of the `segment` stage's report pool, as a helper for any stage
whose items (reports, sessions) are independent: the function and the items
are set in a module global before the pool forks, so the workers inherit them
(tables, vectors, closures: nothing is pickled on the way in but an item's
index); only each result comes back through a pipe. Results are returned in
item order, so a stage's output is the same bytes whatever the number of
workers.

With `workers` <= 1, a single item, no `fork` start method (Windows, macOS's
default) or `SESSION_THEMES_NO_FORK=1`, the items are mapped in this process.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
NO_FORK_ENV = "SESSION_THEMES_NO_FORK"

# What the forked workers map: set in the parent just before the fork, inherited (never pickled).
_JOB: tuple[Callable[[object], object], Sequence[object]] | None = None


def can_fork() -> bool:
    """True when worker processes may be forked here."""
    return not os.environ.get(NO_FORK_ENV) and "fork" in mp.get_all_start_methods()


def exit_with_parent(parent: int) -> None:
    """In a worker: end it once its parent `parent` is gone.

    A stage killed mid-run (SIGKILL, out of memory) cannot shut its pool down, and a
    worker waiting for work would wait forever. A daemon thread polls the parent's pid.
    """
    threading.Thread(target=_poll_parent, args=(parent,), daemon=True).start()


def _poll_parent(parent: int, poll_s: float = 1.0) -> None:
    while os.getppid() == parent:
        time.sleep(poll_s)
    os._exit(1)


def _run(index: int) -> object:  # runs in a worker
    assert _JOB is not None
    fn, items = _JOB
    return fn(items[index])


@contextmanager
def forked_map(fn: Callable[[T], R], items: Sequence[T], workers: int, *, what: str = "items"
               ) -> Iterator[Callable[[], list[R]]]:
    """Start `[fn(x) for x in items]` in up to `workers` forked processes; the yielded callable waits
    for the results (in item order). The caller may do other work in between.

    `fn` may be any callable (a closure over large tables is fine: it is
    inherited, not pickled); its results must pickle. An exception in a
    worker is raised by the callable, as `concurrent.futures` re-raises it.
    Without workers the items are mapped when the results are asked for.
    """
    global _JOB
    items = list(items)
    workers = min(workers, len(items))
    if workers <= 1 or not can_fork():
        yield lambda: [fn(x) for x in items]
        return
    if _JOB is not None:
        raise RuntimeError("forked_map does not nest")
    log.info("%d %s in %d processes", len(items), what, workers)
    _JOB = (fn, items)  # type: ignore[assignment]
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"),
                                 initializer=exit_with_parent, initargs=(os.getpid(),)) as pool:
            futures = [pool.submit(_run, i) for i in range(len(items))]  # every worker forks here
            yield lambda: [f.result() for f in futures]  # type: ignore[misc]
            for f in futures:
                f.cancel()
    finally:
        _JOB = None


def fork_map(fn: Callable[[T], R], items: Sequence[T], workers: int, *, what: str = "items") -> list[R]:
    """`[fn(x) for x in items]`, computed by up to `workers` forked processes (see `forked_map`)."""
    with forked_map(fn, items, workers, what=what) as results:
        return results()
