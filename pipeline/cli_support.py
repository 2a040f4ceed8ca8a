"""What every stage's thin CLI shares: logging for people and one-line errors."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import TypeVar

from pipeline.errors import SessionThemesError

F = TypeVar("F", bound=Callable[..., object])


def setup_logging(level: int = logging.INFO) -> None:
    """Plain messages on stderr; libraries stay at WARNING."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("pipeline").setLevel(level)
    # pypdf warns about every damaged PDF before our one-line error says the same
    logging.getLogger("pypdf").setLevel(logging.ERROR)


def show_progress() -> bool:
    """Progress bars on a terminal, never in CI or logs."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def one_line_errors(fn: F) -> F:
    """Turn a SessionThemesError into `error: <file>: <problem>` and exit 1."""

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> object:
        setup_logging()
        try:
            return fn(*args, **kwargs)
        except SessionThemesError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise SystemExit(1) from None

    return wrapper  # type: ignore[return-value]
