"""Questions analysts ask of the processed tables, as small functions.

The notebooks, the figures, the browsable report and the workbook all call
these, so a notebook cell stays a line or two and every view of the data
agrees. Counts and shares are never recomputed here: they come from the
`tables` stage (wide speaker/role/session × theme tables, quote bank); this
module only selects, labels and reshapes them for reading.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.contract import (
    QUOTE_BANK,
    ROLE_THEME_COUNTS,
    ROLE_THEME_SHARES,
    ROLES,
    SESSION_THEME_COUNTS,
    SESSION_THEME_SHARES,
    SEGMENT_THEMES,
    SEGMENTS,
    SESSIONS,
    SPEAKER_THEME_COUNTS,
    SPEAKER_THEME_SHARES,
    SPEAKER_THEMES,
    SPEAKERS,
    STATEMENT_SEGMENTS,
    STATEMENT_THEMES,
    STATEMENTS,
    TOPICS,
    Table,
)
from pipeline.errors import InputError
from pipeline.tableio import read_table
from pipeline.tables.counts import N_PROCEDURAL, N_SUBSTANTIVE, SUBSTANTIVE, TOTAL, UNATTRIBUTED
from pipeline.tables.themes import OTHER

log = logging.getLogger(__name__)

OUTLIER_TOPIC = -1
_NOT_THEMES = {"report_id", "speaker", "role", SUBSTANTIVE, TOTAL, N_SUBSTANTIVE, N_PROCEDURAL}

# Each table an analyst view needs: field name -> (file name in data/processed, contract).
# Only `load_processed` (for notebooks) uses the file names; stages get every path from dvc.yaml.
PROCESSED_FILES: dict[str, tuple[str, Table]] = {
    "statements": ("statements.csv", STATEMENTS),
    "sessions": ("sessions.csv", SESSIONS),
    "speakers": ("speakers.csv", SPEAKERS),
    "statement_themes": ("statement_themes.csv", STATEMENT_THEMES),
    "topics": ("topics.csv", TOPICS),
    "speaker_themes": ("speaker_themes.csv", SPEAKER_THEMES),
    "speaker_counts": ("speaker_theme_counts.csv", SPEAKER_THEME_COUNTS),
    "speaker_shares": ("speaker_theme_shares.csv", SPEAKER_THEME_SHARES),
    "role_counts": ("role_theme_counts.csv", ROLE_THEME_COUNTS),
    "role_shares": ("role_theme_shares.csv", ROLE_THEME_SHARES),
    "session_counts": ("session_theme_counts.csv", SESSION_THEME_COUNTS),
    "session_shares": ("session_theme_shares.csv", SESSION_THEME_SHARES),
    "quote_bank": ("quote_bank.csv", QUOTE_BANK),
}

# The `segments` stage's tables: optional, so a view built without that stage still works
# (its agenda parts are then simply not shown).
SEGMENT_FILES: dict[str, tuple[str, Table]] = {
    "segments": ("segments.csv", SEGMENTS),
    "segment_themes": ("segment_themes.csv", SEGMENT_THEMES),
    "statement_segments": ("statement_segments.csv", STATEMENT_SEGMENTS),
}


@dataclass(frozen=True)
class Processed:
    """The tables of one run, typed and checked against the contract."""

    statements: pd.DataFrame
    sessions: pd.DataFrame
    speakers: pd.DataFrame
    statement_themes: pd.DataFrame
    topics: pd.DataFrame
    speaker_themes: pd.DataFrame
    speaker_counts: pd.DataFrame
    speaker_shares: pd.DataFrame
    role_counts: pd.DataFrame
    role_shares: pd.DataFrame
    session_counts: pd.DataFrame
    session_shares: pd.DataFrame
    quote_bank: pd.DataFrame
    # theme id -> name for people (from the codebook); ids are shown when absent
    theme_names: dict[str, str] = field(default_factory=dict)
    # the `segments` stage's tables (SEGMENT_FILES); None when that stage did not run
    segments: pd.DataFrame | None = None
    segment_themes: pd.DataFrame | None = None
    statement_segments: pd.DataFrame | None = None

    @property
    def share_themes(self) -> list[str]:
        """Themes whose shares sum to 1, in codebook order: codebook themes then `other`."""
        return theme_columns(self.session_shares)

    @property
    def themes(self) -> list[str]:
        """The codebook's substantive themes, in codebook order (no `other`, no procedural)."""
        return [t for t in self.share_themes if t != OTHER]

    @property
    def procedural(self) -> list[str]:
        """Procedural themes (greetings, thanks): counted apart, never in a share."""
        return [t for t in theme_columns(self.session_counts) if t not in self.share_themes]

    def theme_name(self, theme: str) -> str:
        return self.theme_names.get(theme) or readable(theme)


def readable(identifier: str) -> str:
    """`sustainable_development` -> `Sustainable development`: a header for people."""
    text = str(identifier).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def theme_columns(wide: pd.DataFrame) -> list[str]:
    """The theme columns of a wide table from the `tables` stage, in their order."""
    return [c for c in wide.columns if c not in _NOT_THEMES]


def load_tables(paths: dict[str, Path | None], theme_names: dict[str, str] | None = None,
                columns: dict[str, tuple[str, ...]] | None = None) -> Processed:
    """Read and check each table of `PROCESSED_FILES` (and of `SEGMENT_FILES` given a path) from its path.

    `columns` names, per table, the only columns a caller uses (the per-statement tables of a
    large corpus are most of a stage's memory); the others are not read.
    """
    missing = sorted(name for name in PROCESSED_FILES if paths.get(name) is None)
    if missing:
        raise ValueError(f"no path given for table(s) {', '.join(missing)}")
    columns = columns or {}
    frames = {name: read_table(paths[name], PROCESSED_FILES[name][1], columns=columns.get(name))
              for name in PROCESSED_FILES}
    for name, (_, table) in SEGMENT_FILES.items():
        if paths.get(name) is not None:
            frames[name] = read_table(paths[name], table)
    for name in WIDE_TABLES:
        frames[name] = numeric_theme_columns(frames[name], paths[name])
    return Processed(**frames, theme_names=dict(theme_names or {}))


WIDE_TABLES = ("speaker_counts", "speaker_shares", "role_counts", "role_shares", "session_counts", "session_shares")


def numeric_theme_columns(wide: pd.DataFrame, source: object) -> pd.DataFrame:
    """Theme and total columns of a wide table as numbers (the contract types only its keys).

    An empty share (a group with only procedural statements) stays empty (NaN).
    """
    out = wide.copy()
    for c in out.columns:
        if c in ("report_id", "speaker", "role"):
            continue
        raw = out[c].replace("", pd.NA)
        numeric = pd.to_numeric(raw, errors="coerce")
        if (numeric.isna() & raw.notna()).any():
            raise InputError(source, f"column '{c}' should hold numbers")
        out[c] = numeric.astype(float)
    return out


def theme_names_from(codebook_path: str | Path) -> dict[str, str]:
    """Theme id -> name for people, from the codebook at `codebook_path` (with `other`)."""
    from pipeline.codebook import load_codebook

    codebook = load_codebook(codebook_path)
    names = {t.id: t.name for t in codebook.themes}
    names[OTHER] = codebook.display_name(OTHER)
    return names


def find_repo_root(start: str | Path | None = None) -> Path:
    """The folder holding dvc.yaml, searching upwards (notebooks run from notebooks/)."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "dvc.yaml").exists():
            return folder
    raise InputError(here, "no dvc.yaml here or above: not inside the session-themes repository")


def processed_dir(start: str | Path | None = None) -> Path:
    """data/processed of the repository, where `dvc repro` leaves its outputs."""
    return find_repo_root(start) / "data" / "processed"


def load_processed(folder: str | Path, theme_names: dict[str, str] | None = None) -> Processed:
    """Every table `dvc repro` writes into `folder` (data/processed), for notebooks."""
    folder = Path(folder)
    paths: dict[str, Path | None] = {name: folder / file for name, (file, _) in PROCESSED_FILES.items()}
    paths |= {name: folder / file for name, (file, _) in SEGMENT_FILES.items() if (folder / file).exists()}
    return load_tables(paths, theme_names)


def speaker_or_unattributed(speakers: pd.Series) -> pd.Series:
    """Speaker names with blanks shown as `(unattributed)`, as the tables stage does."""
    s = speakers.astype(object).where(speakers.notna(), "").astype(str)
    return s.where(s.str.strip() != "", UNATTRIBUTED)


def corpus_overview(p: Processed) -> pd.DataFrame:
    """One row per session: date, title, moderator, how many speakers and statements."""
    n_statements = p.statements.groupby("report_id").size().rename("statements")
    n_speakers = p.speakers.groupby("report_id").size().rename("speakers")
    out = p.sessions[["report_id", "series", "session", "date", "title", "moderator"]].set_index("report_id")
    out = out.join(n_speakers).join(n_statements).fillna({"speakers": 0, "statements": 0})
    out = out.astype({"speakers": int, "statements": int}).reset_index()
    return out.sort_values("report_id", kind="mergesort").reset_index(drop=True)


def statements_per_role(p: Processed) -> pd.DataFrame:
    """Statements per session (rows) and role (columns, in the contract's order)."""
    counts = pd.crosstab(p.statements["report_id"], p.statements["role"])
    counts = counts.reindex(columns=[r for r in ROLES if r in counts.columns], fill_value=0)
    counts.columns.name = None
    return counts


def _row_labels(frame: pd.DataFrame, several_sessions: bool) -> list[str]:
    speakers = speaker_or_unattributed(frame["speaker"])
    if not several_sessions:
        return speakers.tolist()
    return [f"{s} ({r})" for s, r in zip(speakers, frame["report_id"], strict=True)]


def speaker_theme_matrix(p: Processed, report_id: str | None = None, *, shares: bool = False,
                         procedural: bool = False) -> pd.DataFrame:
    """Speakers as rows, themes as columns (theme names as headers), from the tables stage.

    Counts by default, shares of substantive statements with `shares`. Rows run
    in role order (moderator, keynote, panelists, audience) then name, like a
    report's header; with several sessions each row names its session.
    """
    wide = p.speaker_shares if shares else p.speaker_counts
    if report_id is not None:
        wide = wide[wide["report_id"] == report_id]
    columns = p.share_themes + ([] if shares or not procedural else p.procedural)
    if wide.empty:
        return pd.DataFrame(columns=[p.theme_name(t) for t in columns])
    rank = {r: i for i, r in enumerate(ROLES)}
    wide = wide.assign(_rank=wide["role"].map(rank)).sort_values(["report_id", "_rank", "speaker"], kind="mergesort")
    several = p.speaker_counts["report_id"].nunique() > 1 and report_id is None
    out = wide[columns].copy()
    out.index = pd.Index(_row_labels(wide, several), name="speaker")
    out.columns = [p.theme_name(t) for t in columns]
    return out.astype(float) if shares else out.fillna(0).astype(int)


def _shares_by(wide: pd.DataFrame, key: str, p: Processed, order: list[str] | None = None) -> pd.DataFrame:
    out = wide.set_index(key)[p.share_themes].astype(float)
    if order is not None:
        out = out.reindex([k for k in order if k in out.index])
    out.columns = [p.theme_name(t) for t in p.share_themes]
    return out.fillna(0.0)


def role_theme_shares(p: Processed) -> pd.DataFrame:
    """Roles as rows (moderator first), theme shares of substantive statements as columns."""
    return _shares_by(p.role_shares, "role", p, order=list(ROLES))


def session_theme_shares(p: Processed) -> pd.DataFrame:
    """Sessions as rows, theme shares of substantive statements as columns."""
    return _shares_by(p.session_shares, "report_id", p)


def themes_matching(p: Processed, pattern: str) -> list[str]:
    """Theme ids whose id or name matches `pattern` (a case-insensitive regular expression)."""
    rx = re.compile(pattern, re.IGNORECASE)
    return [t for t in p.themes if rx.search(t) or rx.search(p.theme_name(t))]


def who_raises(p: Processed, pattern: str) -> pd.DataFrame:
    """Speakers with statements on the themes matching `pattern`, from the speaker × theme table."""
    themes = themes_matching(p, pattern)
    long = p.speaker_themes[p.speaker_themes["theme"].isin(themes)]
    cols = ["report_id", "speaker", "role", "theme", "n_statements", "share"]
    out = long[cols].copy()
    out["theme"] = out["theme"].map(p.theme_name)
    out = out.sort_values(["n_statements", "report_id", "speaker", "theme"], ascending=[False, True, True, True],
                          kind="mergesort")
    return out.reset_index(drop=True)


def quotes_for_theme(p: Processed, theme: str, limit: int | None = 10) -> pd.DataFrame:
    """The quote bank's statements for `theme` (an id), best-scoring first, with where each comes from."""
    qb = p.quote_bank[p.quote_bank["theme"] == theme]
    qb = qb.sort_values(["theme_score", "report_id", "statement_id"], ascending=[False, True, True], kind="mergesort")
    cols = ["report_id", "speaker", "role", "text", "theme_score", "section", "page", "line_start", "line_end",
            "statement_id"]
    out = qb[cols].reset_index(drop=True)
    return out if limit is None else out.head(limit)


def keynote_takeup(p: Processed) -> pd.DataFrame:
    """Per session and codebook theme the keynote raised: which panelists raised it too.

    A rough trace of uptake from the speaker × theme counts: it says the theme
    recurs among panelists, not that one speaker answered the other.
    """
    long = p.speaker_themes[p.speaker_themes["theme"].isin(p.themes)]
    rows = []
    for (report_id, theme), group in long.groupby(["report_id", "theme"], sort=True):
        keynote = group[group["role"] == "keynote"]
        if keynote.empty:
            continue
        panel = group[group["role"] == "panelist"]
        rows.append(
            {
                "report_id": report_id,
                "theme": p.theme_name(theme),
                "keynote_statements": int(keynote["n_statements"].sum()),
                "panelist_statements": int(panel["n_statements"].sum()),
                "panelists": "; ".join(sorted(panel["speaker"])),
                "taken_up": not panel.empty,
            }
        )
    cols = ["report_id", "theme", "keynote_statements", "panelist_statements", "panelists", "taken_up"]
    return pd.DataFrame(rows, columns=cols)


def topics_without_theme(p: Processed) -> pd.DataFrame:
    """Emergent topics no codebook theme names (`other`, procedural or none): what the codebook may miss."""
    t = p.topics
    unnamed = ~t["theme"].isin(p.themes)
    out = t[(t["topic"] != OUTLIER_TOPIC) & unnamed]
    cols = ["topic", "label", "top_words", "size", "theme", "representative_statements"]
    return out[cols].sort_values(["size", "topic"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def topics_per_speaker(p: Processed) -> pd.DataFrame:
    """Speakers as rows, emergent topic labels as columns, statement counts as cells."""
    st = p.statement_themes
    several = st["report_id"].nunique() > 1
    rows = pd.Series(_row_labels(st, several), name="speaker", index=st.index)
    out = pd.crosstab(rows, st["topic_label"].rename("topic"))
    out.columns.name = None
    return out


def outlier_share(p: Processed) -> float:
    """Share of statements BERTopic left in its outlier topic (-1)."""
    n = len(p.statement_themes)
    return 0.0 if n == 0 else float((p.statement_themes["topic"] == OUTLIER_TOPIC).sum() / n)


def topic_theme_crosstab(p: Processed) -> pd.DataFrame:
    """Emergent topics (rows) × the themes their statements were given (columns): where the two agree."""
    st = p.statement_themes
    out = pd.crosstab(st["topic_label"].rename("topic"), st["theme"].map(p.theme_name).rename("theme"))
    out.columns.name = None
    return out


def open_run(start: str | Path | None = None, codebook: str = "codebooks/sse.yaml") -> Processed:
    """The processed tables of this repository's last `dvc repro`, with the codebook's theme names.

    For notebooks: `codebook` is relative to the repository root (the one dvc.yaml gives the topics stage).
    """
    root = find_repo_root(start)
    return load_processed(root / "data" / "processed", theme_names_from(root / codebook))


def session_segments(p: Processed, report_id: str) -> pd.DataFrame:
    """The agenda of one session: its segments in order, with lines, size, label, theme and speakers.

    Empty when the `segments` stage's tables are not loaded.
    """
    cols = ["segment", "lines", "statements", "share_of_session", "label", "theme", "theme_share", "speakers"]
    if p.segments is None:
        return pd.DataFrame(columns=cols)
    seg = p.segments[p.segments["report_id"] == report_id].sort_values("segment", kind="mergesort")
    total = int(seg["n_statements"].sum())
    out = pd.DataFrame({
        "segment": seg["segment"].astype(int),
        "lines": [f"{int(a)}–{int(b)}" for a, b in zip(seg["line_start"], seg["line_end"], strict=True)],
        "statements": seg["n_statements"].astype(int),
        "share_of_session": seg["n_statements"] / total if total else 0.0,
        "label": seg["label"],
        "theme": seg["theme"].map(p.theme_name),
        "theme_share": seg["theme_share"].astype(float),
        "speakers": seg["speakers"],
    })
    return out.reset_index(drop=True)


def segment_of(p: Processed) -> dict[str, int]:
    """statement_id -> its segment number ({} when the `segments` stage's tables are not loaded)."""
    if p.statement_segments is None:
        return {}
    ss = p.statement_segments
    return {str(s): int(n) for s, n in zip(ss["statement_id"], ss["segment"], strict=True)}
