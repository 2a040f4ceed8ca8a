"""Few-row processed tables written for the figures, report, export and explore tests.

Two sessions, five roles, three themes plus outliers; one statement starts with
"=" (a formula a spreadsheet would run) and one holds HTML markup, so the
export and report tests can check neutralisation and escaping.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.contract import SPEAKERS, STATEMENT_THEMES, STATEMENTS
from pipeline.explore import PROCESSED_FILES, Processed
from pipeline.tableio import write_table
from pipeline.tables.core import TablesParams, build_tables
from pipeline.tables.themes import ThemeColumns

FORMULA_TEXT = "=HYPERLINK(\"http://evil.example\",\"click\")"
MARKUP_TEXT = "Funding <script>alert('x')</script> & credit unions"

# report_id, speaker, role, section, text, topic, theme
_ROWS = [
    ("r1", "Ana Mod", "moderator", "key_points", "Welcome to the session on the social economy.", -1, "procedural"),
    ("r1", "Bea Key", "keynote", "key_points", "Public funding must reach cooperatives.", 0, "financing"),
    ("r1", "Bea Key", "keynote", "key_points", "A framework law recognises the social economy.", 1, "legislation"),
    ("r1", "Bea Key", "keynote", "key_points", "Inequalities grow and must be confronted.", 2, "inequality"),
    ("r1", "Cid Pan", "panelist", "key_points", "Lack of financing hurts cooperatives.", 0, "financing"),
    ("r1", "Cid Pan", "panelist", "key_points", "The new law of cooperativism is urgent.", 1, "legislation"),
    ("r1", "Dia Pan", "panelist", "key_points", MARKUP_TEXT, 0, "financing"),
    ("r1", "Eve Aud", "audience", "audience_comments", FORMULA_TEXT, -1, "other"),
    ("r2", "Fay Mod", "moderator", "key_points", "Let us discuss local development.", 3, "other"),
    ("r2", "Gus Key", "keynote", "key_points", "Reduce inequality through local jobs.", 2, "inequality"),
    ("r2", "Hal Pan", "panelist", "conclusions", "Banks need social benefit rules for credit.", 0, "financing"),
    ("r2", "Hal Pan", "panelist", "conclusions", "Local development is rooted in community.", 3, "other"),
]
_TOPIC_LABELS = {-1: "-1_outliers", 0: "0_financing_credit", 1: "1_law_legislation", 2: "2_inequality_jobs", 3: "3_local_development"}
_TOPIC_THEME = {-1: "other", 0: "financing", 1: "legislation", 2: "inequality", 3: "other"}
THEME_IDS = ("financing", "legislation", "inequality", "procedural")
THEME_NAMES = {"financing": "Financing", "legislation": "Legislation and law", "inequality": "Inequality",
               "procedural": "Procedural", "other": "Other (no theme fits)"}


def make_processed() -> Processed:
    """The fixture tables as one `Processed`, checked against the contract."""
    rows = []
    for i, (rid, spk, role, section, text, topic, theme) in enumerate(_ROWS):
        seq = sum(1 for r in _ROWS[:i] if r[0] == rid) + 1
        rows.append(
            dict(report_id=rid, statement_id=f"{rid}-{seq:04d}", seq=seq, section=section, speaker=spk, role=role,
                 speaker_label=spk.split()[0], text=text, line_start=10 * seq, line_end=10 * seq + 1, page=1 + seq // 4,
                 topic=topic, topic_label=_TOPIC_LABELS[topic], theme=theme, theme_score=round(0.9 - 0.05 * seq, 6),
                 themes=theme)
        )
    df = pd.DataFrame(rows)
    # columns with a default in the contract (corrected_by, machine_theme...) are filled by `validate`
    statements = df[[c.name for c in STATEMENTS.columns if c.name in df.columns]].copy()
    statement_themes = df[[c.name for c in STATEMENT_THEMES.columns if c.name in df.columns]].copy()
    sessions = pd.DataFrame(
        {
            "report_id": ["r1", "r2"], "series": ["Webinars", "Webinars"], "session": [1, 2],
            "date": ["2020-06-09", "2020-06-16"], "start_time": ["09:00", "10:00"], "end_time": ["10:30", "11:30"],
            "title": ["Social economy & <sustainable> development", "Local development"],
            "moderator": ["Ana Mod", "Fay Mod"], "keynotes": ["Bea Key", "Gus Key"],
            "panelists": ["Cid Pan; Dia Pan", "Hal Pan"], "panelist_affiliations": ["Congress; Ministry", "ILO"],
            "participants": [237, pd.NA], "views": [3900, pd.NA], "people_reached": [12110, pd.NA],
            "participation": ["237 participants in zoom, 3,900 views on Facebook, 12,110 people reached.", ""],
        }
    )
    sp = df.groupby(["report_id", "speaker", "role"]).size().rename("n_statements").reset_index()
    sp["affiliation"] = ""
    sp["aliases"] = sp["speaker"].str.split().str[0]
    speakers = sp[[c.name for c in SPEAKERS.columns]]
    topics = pd.DataFrame(
        {
            "topic": list(_TOPIC_LABELS), "label": list(_TOPIC_LABELS.values()),
            "top_words": ["", "financing, credit", "law, legislation", "inequality, jobs", "local, development"],
            "size": [int((df["topic"] == t).sum()) for t in _TOPIC_LABELS],
            "representative_statements": ["", "Lack of financing", "The new law", "Inequalities grow", "Local development"],
            "theme": [_TOPIC_THEME[t] for t in _TOPIC_LABELS],
        }
    )
    t = build_tables(statement_themes, statements, themes=ThemeColumns.from_ids(THEME_IDS), params=TablesParams())
    return Processed(
        statements=statements, sessions=sessions, speakers=speakers, statement_themes=statement_themes, topics=topics,
        speaker_themes=t.speaker_themes, speaker_counts=t.speaker_counts, speaker_shares=t.speaker_shares,
        role_counts=t.role_counts, role_shares=t.role_shares, session_counts=t.session_counts,
        session_shares=t.session_shares, quote_bank=t.quote_bank, theme_names=dict(THEME_NAMES),
    )


def write_processed(folder: Path) -> Processed:
    """Write the fixture tables into `folder` under the names `dvc.yaml` uses."""
    p = make_processed()
    for name, (file, table) in PROCESSED_FILES.items():
        write_table(getattr(p, name), folder / file, table)
    return p


def with_segments(p: Processed) -> Processed:
    """The fixture tables plus the `segments` stage's, built by its core on made-up vectors.

    Each theme gets its own direction, so statements on one theme in a row form a segment.
    """
    import dataclasses

    import numpy as np

    from pipeline.segments.core import build_segments
    from pipeline.segments.params import SegmentsParams

    themes = sorted(set(p.statement_themes["theme"]))
    theme_of = dict(zip(p.statement_themes["statement_id"], p.statement_themes["theme"], strict=True))
    vectors = np.eye(len(themes))[[themes.index(theme_of[s]) for s in p.statements["statement_id"]]]
    built = build_segments(
        p.statements, vectors, p.statement_themes, themes=ThemeColumns.from_ids(THEME_IDS),
        params=SegmentsParams(min_statements=1, smoothing_window=0, centre=False),
    )
    return dataclasses.replace(
        p, segments=built.segments, segment_themes=built.segment_themes, statement_segments=built.statement_segments
    )
