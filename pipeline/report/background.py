"""Run one slow, self-contained job in a forked child while the parent goes on with its own work.

The report's interactive charts need BERTopic, whose import alone takes
10-20 s; the session pages need none of it. Forking lets the child import
BERTopic and draw the charts while the parent draws heatmaps and renders pages
(two cores busy instead of one). The child inherits the tables by fork (nothing
is pickled on the way in); only its result (the HTML pages) comes back through
a pipe. Output does not depend on which finishes first: the parent waits for
the result and assembles every file itself.

Where fork is unavailable (Windows, macOS's default), or with
`SESSION_THEMES_NO_FORK=1`, the job simply runs in-process when its result is
asked for.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from pipeline.errors import SessionThemesError

log = logging.getLogger(__name__)

T = TypeVar("T")
NO_FORK_ENV = "SESSION_THEMES_NO_FORK"


class Pending(Generic[T]):
    """The result of a job started in a child (or to be run in-process when asked for)."""

    def __init__(self, job: Callable[[], T]) -> None:
        self._job = job
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn = None
        self._done = False
        self._value: T | None = None

    def start(self) -> None:
        if os.environ.get(NO_FORK_ENV) or "fork" not in multiprocessing.get_all_start_methods():
            return
        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe(duplex=False)
        self._process = ctx.Process(target=_run, args=(self._job, child))  # not daemonic: the job may start processes
        self._process.start()
        child.close()
        self._conn = parent

    def result(self) -> T:
        if self._done:
            return self._value  # type: ignore[return-value]
        if self._process is None:
            self._value = self._job()
        else:
            try:
                ok, payload = self._conn.recv()  # type: ignore[union-attr]
            except EOFError:
                self._process.join()
                raise RuntimeError(f"the background job died (exit code {self._process.exitcode})") from None
            self._process.join()
            if not ok:
                exc, trace = payload
                log.debug("background job failed:\n%s", trace)
                raise exc
            self._value = payload
        self._done = True
        return self._value  # type: ignore[return-value]

    def stop(self) -> None:
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join()
        if self._conn is not None:
            self._conn.close()


def _portable(exc: BaseException) -> BaseException:
    """`exc` if it survives pickling, else the same message as an error that does."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - e.g. InputError(path, problem) cannot be rebuilt from its message
        if isinstance(exc, SessionThemesError):
            return SessionThemesError(str(exc))
        return RuntimeError(f"{exc.__class__.__name__}: {exc}")


def _run(job: Callable[[], object], conn) -> None:  # runs in the child
    try:
        conn.send((True, job()))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent, which raises it
        conn.send((False, (_portable(exc), traceback.format_exc())))
    finally:
        conn.close()


@contextmanager
def in_background(job: Callable[[], T]) -> Iterator[Pending[T]]:
    """Start `job` in a forked child; `.result()` waits for it (the child is ended on the way out)."""
    pending = Pending(job)
    pending.start()
    try:
        yield pending
    finally:
        pending.stop()
