"""The command line: one command per DVC stage, plus ad hoc commands.

Each stage module exposes `command`, a thin typer function that reads its
inputs, calls the stage's pure core function and writes its outputs. Heavy
imports (torch, BERTopic) stay inside those functions so `--help` is fast.
"""

from __future__ import annotations

import typer

from pipeline.segment import cli as segment_cli

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="session-themes: who said what about which theme, from session reports.",
)

app.command("segment")(segment_cli.command)
