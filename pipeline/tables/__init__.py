"""The `tables` stage: per-speaker, per-role and per-session theme tables.

Pure functions over the STATEMENT_THEMES contract (no file I/O here); the
thin `cli.py` reads, calls `build_tables`, writes. `speaker_theme_table` is
the entry point for other corpora (e.g. president x CAP topic).
"""

from pipeline.tables.core import TablesParams, ThemeTables, build_tables
from pipeline.tables.counts import (
    UNATTRIBUTED,
    speaker_theme_table,
    speaker_themes_long,
    theme_counts,
    theme_shares,
)
from pipeline.tables.themes import OTHER, ThemeColumns

__all__ = [
    "OTHER",
    "UNATTRIBUTED",
    "TablesParams",
    "ThemeColumns",
    "ThemeTables",
    "build_tables",
    "speaker_theme_table",
    "speaker_themes_long",
    "theme_counts",
    "theme_shares",
]
