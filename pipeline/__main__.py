"""`python -m pipeline --help`: the stages and the ad hoc commands."""

from __future__ import annotations

from pipeline.cli import app


def main() -> None:
    app()


if __name__ == "__main__":
    main()
