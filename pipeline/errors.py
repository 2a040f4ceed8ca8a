"""Errors meant for people: one line naming the file and the problem."""

from __future__ import annotations


class SessionThemesError(Exception):
    """An error the CLI shows as one line, without a traceback."""


class InputError(SessionThemesError):
    """A report or table that cannot be read as it is."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ContractError(InputError):
    """A table that breaks the data contract (columns, types, allowed values)."""
