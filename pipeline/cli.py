"""The command line: one command per DVC stage, plus ad hoc commands.

Each stage module exposes `command`, a thin typer function that reads its
inputs, calls the stage's pure core function and writes its outputs. Heavy
imports (torch, BERTopic) stay inside those functions so `--help` is fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline import analyze as analyze_cli
from pipeline import export as export_cli
from pipeline import evaluate as evaluate_cli
from pipeline.embed import cli as embed_cli
from pipeline.qda import cli as qda_cli
from pipeline.report import cli as report_cli
from pipeline.segment import cli as segment_cli
from pipeline.segments import cli as segments_cli
from pipeline.tables import cli as tables_cli
from pipeline.topics import cli as topics_cli
from pipeline.topics import fit_cli as topic_fit_cli

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help=(
        "session-themes: who said what about which theme, from session reports.\n\n"
        "The stages (segment, embed, topic-fit, topics, segments, evaluate, tables, report, export, export-qda) are what `dvc repro` runs, in that order; "
        "`analyze DIR --out OUT` runs them all on a folder outside DVC."
    ),
)


@app.callback()
def options(
    table_cache: Path | None = typer.Option(
        None, "--table-cache",
        help="Folder keeping each table's parsed CSV under its bytes: a table read by several stages is parsed "
             "once per content (see pipeline/table_cache.py)."),
) -> None:
    """Options of every command (given before the command's name)."""
    from pipeline import table_cache as cache

    cache.use(table_cache)


app.command("segment")(segment_cli.command)
app.command("embed")(embed_cli.command)
app.command("topic-fit")(topic_fit_cli.command)
app.command("topics")(topics_cli.command)
app.command("segments")(segments_cli.command)
app.command("tables")(tables_cli.command)
app.command("evaluate")(evaluate_cli.command)
app.command("report")(report_cli.command)
app.command("export")(export_cli.command)
app.command("export-qda")(qda_cli.export_command)
app.command("analyze", rich_help_panel="Ad hoc (outside DVC)")(analyze_cli.command)
app.command("import-qda", rich_help_panel="Ad hoc (outside DVC)")(qda_cli.import_command)
app.command("export-qdc", rich_help_panel="Ad hoc (outside DVC)")(qda_cli.export_qdc_command)
app.command("import-qdc", rich_help_panel="Ad hoc (outside DVC)")(qda_cli.import_qdc_command)
