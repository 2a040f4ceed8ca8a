"""The data contract: every table's columns, types and allowed values, defined once.

Every stage checks its inputs and outputs against these specs at the boundary
(`validate`), so a broken table fails with the file and the column named,
instead of somewhere deep inside a later stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from pipeline.errors import ContractError

Kind = Literal["str", "int", "float"]

SECTIONS = ("key_points", "audience_comments", "spoken_comments", "conclusions", "other")
ROLES = ("moderator", "keynote", "panelist", "audience", "other")
DROP_REASONS = (
    "blank",
    "footer",
    "page_number",
    "header_field",
    "heading",
    "garbled",
    "url",
    "noise",
    "speaker_label",
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = "str"
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    # a column added after tables were first written: when absent, `validate` fills it with
    # `default`, or with a copy of the column `default_from` (older files and core outputs read as before)
    default: str | None = None
    default_from: str | None = None
    optional: bool = False  # may be absent from the table; checked when present


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    sort_by: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    extra_columns_allowed: bool = True
    notes: str = field(default="", compare=False)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _c(
    name: str,
    kind: Kind = "str",
    *,
    nullable: bool = False,
    allowed: tuple[str, ...] | None = None,
    default: str | None = None,
    default_from: str | None = None,
    optional: bool = False,
) -> Column:
    return Column(name, kind, nullable, allowed, default, default_from, optional)


CORRECTED_BY = ("", "analyst")  # corrected_by: empty (the machine's value) or analyst (a corrections rule)


STATEMENTS = Table(
    "statements",
    (
        _c("report_id"),
        _c("statement_id"),
        _c("seq", "int"),
        _c("section", allowed=SECTIONS),
        _c("speaker"),  # canonical name; empty when unattributed
        _c("role", allowed=ROLES),
        _c("speaker_label"),  # the name as written in the body
        _c("text"),
        _c("line_start", "int"),
        _c("line_end", "int"),
        _c("page", "int", nullable=True),
        # a transcript's cue times ("HH:MM:SS.mmm") of the statement's first and last cue; empty otherwise
        _c("start_time", nullable=True, optional=True),
        _c("end_time", nullable=True, optional=True),
        _c("corrected_by", allowed=CORRECTED_BY, default=""),  # analyst: a speaker rule changed the row
        _c("source_lines", optional=True),  # the statement's line numbers, space-separated
        _c("text_hash", optional=True),  # what a correction rule names it by (`corrections.keys.statement_hash`)
    ),
    sort_by=("report_id", "seq"),
    unique=("statement_id",),
)

SESSIONS = Table(
    "sessions",
    (
        _c("report_id"),
        _c("series"),
        _c("session", "int", nullable=True),
        _c("date"),
        _c("start_time"),
        _c("end_time"),
        _c("title"),
        _c("moderator"),
        _c("keynotes"),
        _c("panelists"),
        _c("panelist_affiliations"),
        _c("participants", "int", nullable=True),  # people who attended live, on any platform
        _c("views", "int", nullable=True),  # views of the stream or recording, on any platform
        _c("people_reached", "int", nullable=True),
        _c("participation"),  # the participation figures as the report writes them (platforms named there)
    ),
    sort_by=("report_id",),
    unique=("report_id",),
)

SPEAKERS = Table(
    "speakers",
    (
        _c("report_id"),
        _c("speaker"),
        _c("role", allowed=ROLES),
        _c("affiliation"),
        _c("aliases"),  # every form seen in the body, "; "-joined
        _c("n_statements", "int"),
    ),
    sort_by=("report_id", "speaker"),
    unique=("report_id", "speaker"),
)

DROPPED_LINES = Table(
    "dropped_lines",
    (
        _c("report_id"),
        _c("line_no", "int"),
        _c("page", "int", nullable=True),
        _c("reason", allowed=DROP_REASONS),
        _c("text"),
    ),
    sort_by=("report_id", "line_no"),
    unique=("report_id", "line_no"),
)

INGEST_ERRORS = Table(
    "ingest_errors",
    (_c("file"), _c("problem")),
    sort_by=("file",),
)

EMBEDDING_IDS = Table(
    "embedding_ids",
    (_c("statement_id"), _c("row", "int")),
    sort_by=("row",),
    unique=("statement_id",),
)

STATEMENT_THEMES = Table(
    "statement_themes",
    (
        _c("statement_id"),
        _c("report_id"),
        _c("speaker"),
        _c("role", allowed=ROLES),
        _c("section", allowed=SECTIONS),
        _c("text"),
        _c("topic", "int"),
        _c("topic_label"),
        _c("theme"),
        _c("theme_score", "float"),
        _c("themes"),
        _c("corrected_by", allowed=CORRECTED_BY, default=""),  # analyst: a speaker, theme or topic rule changed the row
        _c("machine_theme", default_from="theme"),  # the primary theme before the analyst's corrections
        _c("machine_themes", default_from="themes"),  # every theme that applied before the corrections
    ),
    sort_by=("statement_id",),
    unique=("statement_id",),
)

SPEAKER_THEMES = Table(
    "speaker_themes",
    (
        _c("report_id"),
        _c("speaker"),
        _c("role", allowed=ROLES),
        _c("theme"),
        _c("n_statements", "int"),
        _c("share", "float", nullable=True),  # empty for procedural rows
    ),
    sort_by=("report_id", "speaker", "theme"),
    unique=("report_id", "speaker", "theme"),
    notes="share = n_statements / n_substantive (extra column: the speaker's non-procedural statements in the report)",
)

TOPICS = Table(
    "topics",
    (
        _c("topic", "int"),
        _c("label"),
        _c("top_words"),
        _c("size", "int"),
        _c("representative_statements"),
        _c("theme"),
    ),
    sort_by=("topic",),
    unique=("topic",),
)


def _wide_theme_table(name: str, keys: tuple[str, ...], unique: tuple[str, ...]) -> Table:
    """A wide theme table: its key columns are fixed; one column per codebook theme follows."""
    columns = tuple(_c(k, allowed=ROLES if k == "role" else None) for k in keys)
    return Table(name, columns, sort_by=unique, unique=unique, notes="theme columns follow the keys, in codebook order")


SPEAKER_THEME_COUNTS = _wide_theme_table("speaker_theme_counts", ("report_id", "speaker", "role"), ("report_id", "speaker"))
SPEAKER_THEME_SHARES = _wide_theme_table("speaker_theme_shares", ("report_id", "speaker", "role"), ("report_id", "speaker"))
ROLE_THEME_COUNTS = _wide_theme_table("role_theme_counts", ("role",), ("role",))
ROLE_THEME_SHARES = _wide_theme_table("role_theme_shares", ("role",), ("role",))
SESSION_THEME_COUNTS = _wide_theme_table("session_theme_counts", ("report_id",), ("report_id",))
SESSION_THEME_SHARES = _wide_theme_table("session_theme_shares", ("report_id",), ("report_id",))

QUOTE_BANK = Table(
    "quote_bank",
    (
        _c("theme"),
        _c("report_id"),
        _c("speaker"),
        _c("role", allowed=ROLES),
        _c("rank", "int"),
        _c("theme_score", "float"),
        _c("statement_id"),
        _c("section", allowed=SECTIONS),
        _c("line_start", "int"),
        _c("line_end", "int"),
        _c("page", "int", nullable=True),
        _c("topic", "int"),
        _c("topic_label"),
        _c("themes"),
        _c("text"),
    ),
    sort_by=("theme", "report_id", "speaker", "rank"),
    unique=("theme", "report_id", "speaker", "rank"),
)

THEME_SHARE_BY_ROLE = Table(
    "theme_share_by_role",
    (_c("role", allowed=ROLES), _c("theme"), _c("n_statements", "int"), _c("share", "float"), _c("label")),
    sort_by=("label",),
    unique=("role", "theme"),
)

THEME_SHARE_BY_SPEAKER = Table(
    "theme_share_by_speaker",
    (
        _c("report_id"),
        _c("speaker"),
        _c("role", allowed=ROLES),
        _c("theme"),
        _c("n_statements", "int"),
        _c("share", "float"),
        _c("label"),
    ),
    sort_by=("label", "report_id"),
    unique=("report_id", "speaker", "theme"),
)

THEME_LABELS = Table(
    "theme_labels",
    (_c("report_id"), _c("statement_id"), _c("text"), _c("themes")),  # themes: every acceptable id, "; "-joined
    sort_by=("statement_id",),
    unique=("statement_id",),
    notes="hand labels for the evaluate stage; text guards against a changed segmentation",
)

CORRECTION_STATUSES = ("applied", "applied_by_text", "stale")

CORRECTIONS_REPORT = Table(
    "corrections_report",
    (
        _c("section", allowed=("speakers", "themes", "topics")),
        _c("index", "int"),  # 1-based position of the rule in its section of the corrections file
        _c("rule"),  # section[index], e.g. themes[2]
        _c("kind"),
        _c("target"),
        _c("change"),
        _c("matched", "int"),  # statements the rule touched
        _c("statements"),  # their statement_ids, space-separated
        _c("status", allowed=CORRECTION_STATUSES),
    ),
    sort_by=("section", "index"),
    unique=("section", "index"),
    notes="one row per rule of data/corrections/corrections.yaml: stale rules matched nothing in this run",
)

SEGMENTS = Table(
    "segments",
    (
        _c("report_id"),
        _c("segment", "int"),  # 1, 2, ... in turn order within the report
        _c("first_statement_id"),
        _c("last_statement_id"),
        _c("line_start", "int"),
        _c("line_end", "int"),
        _c("n_statements", "int"),
        _c("n_substantive", "int"),
        _c("label"),  # c-TF-IDF words; empty when the segment has no usable word
        _c("theme"),  # most frequent primary theme of its substantive statements
        _c("theme_share", "float", nullable=True),  # of substantive statements; empty when none
        _c("theme_shares"),  # every substantive theme with its share, "id 0.50; id 0.25"
        _c("speakers"),  # "; "-joined, most statements first
    ),
    sort_by=("report_id", "segment"),
    unique=("report_id", "segment"),
    notes="the agenda of each report: contiguous runs of statements in turn order",
)

SEGMENT_THEMES = Table(
    "segment_themes",
    (
        _c("report_id"),
        _c("segment", "int"),
        _c("theme"),
        _c("n_statements", "int"),
        _c("share", "float", nullable=True),  # empty for procedural rows
        _c("n_substantive", "int"),
    ),
    sort_by=("report_id", "segment", "theme"),
    unique=("report_id", "segment", "theme"),
    notes="share = n_statements / n_substantive (the segment's non-procedural statements)",
)

STATEMENT_SEGMENTS = Table(
    "statement_segments",
    (_c("statement_id"), _c("report_id"), _c("seq", "int"), _c("segment", "int")),
    sort_by=("report_id", "seq"),
    unique=("statement_id",),
    notes="each statement's segment; joined to statement_themes by statement_id",
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        STATEMENTS,
        SESSIONS,
        SPEAKERS,
        DROPPED_LINES,
        INGEST_ERRORS,
        EMBEDDING_IDS,
        STATEMENT_THEMES,
        SPEAKER_THEMES,
        TOPICS,
        THEME_LABELS,
        SPEAKER_THEME_COUNTS,
        SPEAKER_THEME_SHARES,
        ROLE_THEME_COUNTS,
        ROLE_THEME_SHARES,
        SESSION_THEME_COUNTS,
        SESSION_THEME_SHARES,
        QUOTE_BANK,
        THEME_SHARE_BY_ROLE,
        THEME_SHARE_BY_SPEAKER,
        CORRECTIONS_REPORT,
        SEGMENTS,
        SEGMENT_THEMES,
        STATEMENT_SEGMENTS,
    )
}


def validate(df: pd.DataFrame, table: Table, source: object) -> pd.DataFrame:
    """Check `df` against `table`; return it with columns in contract order first.

    Raises ContractError naming `source` (a file or stage) and the column at fault.
    """
    absent = [c for c in table.columns if c.name not in df.columns and (c.default is not None or c.default_from in df.columns)]
    unset = [c for c in table.columns if c.default is not None and c.name in df.columns and df[c.name].isna().any()]
    if absent or unset:
        df = df.copy()
        for c in absent:
            df[c.name] = df[c.default_from] if c.default_from else c.default
        for c in unset:  # a frame built with the contract's column list, before anything set the column
            df[c.name] = df[c.name].astype(object).where(df[c.name].notna(), c.default)
    missing = [c.name for c in table.columns if c.name not in df.columns and not c.optional]
    if missing:
        raise ContractError(source, f"{table.name} table lacks column(s) {', '.join(missing)}")
    if not table.extra_columns_allowed:
        extra = [c for c in df.columns if c not in table.column_names]
        if extra:
            raise ContractError(source, f"{table.name} table has unexpected column(s) {', '.join(extra)}")
    for col in table.columns:
        if col.name not in df.columns:
            continue  # an optional column left out
        series = df[col.name]
        nulls = series.isna()
        if nulls.any() and not col.nullable:
            row = int(nulls.to_numpy().nonzero()[0][0])
            raise ContractError(source, f"column '{col.name}' is empty in row {row} ({table.name})")
        present = series[~nulls]
        if col.kind in ("int", "float") and len(present):
            numeric = pd.to_numeric(present, errors="coerce")
            bad = numeric.isna()
            if bad.any():
                value = present[bad].iloc[0]
                raise ContractError(source, f"column '{col.name}' should be {col.kind}, found {value!r}")
            if col.kind == "int" and not (numeric == numeric.round()).all():
                raise ContractError(source, f"column '{col.name}' should hold whole numbers")
        if col.allowed is not None and len(present):
            bad_values = sorted(set(present.astype(str).unique().tolist()) - set(col.allowed))
            if bad_values:
                raise ContractError(
                    source,
                    f"column '{col.name}' has value(s) {', '.join(map(repr, bad_values[:5]))}; "
                    f"allowed: {', '.join(col.allowed)}",
                )
    if table.unique and len(df):
        dup = df.duplicated(list(table.unique), keep=False)
        if dup.any():
            first = df.loc[dup, list(table.unique)].iloc[0].tolist()
            raise ContractError(source, f"{table.name} rows are not unique on {', '.join(table.unique)}: {first}")
    ordered = [c for c in table.column_names if c in df.columns] + [c for c in df.columns if c not in table.column_names]
    return df[ordered]
