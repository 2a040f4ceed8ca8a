"""A few-line report with its pipeline tables, for the REFI-QDA tests (no model needed)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from pipeline.contract import SESSIONS, SPEAKERS, STATEMENT_THEMES, STATEMENTS
from pipeline.corrections import statement_hash
from pipeline.tableio import write_table

REPO = Path(__file__).resolve().parents[1]
NS = {"q": "urn:QDA-XML:project:1.0"}
REPORT = "r1"
LINES = [
    "Report Session 1 9 June 2020",
    "Ana Ruiz:",
    "- Cooperatives cannot get loans without collateral.",
    "- The new law on cooperatives must pass this year.",
    "- From Carla: Our credit union lends to farmers and it charges",
    "fair interest.",
    "Bo Lee:",
    "Thank you.",
]
# (speaker, role, source lines, text, themes)
STATEMENT_ROWS = [
    ("Ana Ruiz", "moderator", [3], "Cooperatives cannot get loans without collateral.", "financing"),
    ("Ana Ruiz", "moderator", [4], "The new law on cooperatives must pass this year.", "legislation; financing"),
    ("Carla", "audience", [5, 6], "Our credit union lends to farmers and it charges fair interest.", "financing"),
    ("Bo Lee", "panelist", [8], "Thank you.", "procedural"),
]


def schema_path() -> Path:
    """The official schema in ../shared beside the repository (or beside the folder of worktrees)."""
    for base in (REPO.parent, REPO.parent.parent):
        path = base / "shared" / "schemas" / "refi-qda" / "Project-mrt2019.xsd"
        if path.exists():
            return path
    pytest.skip("../shared/schemas/refi-qda/Project-mrt2019.xsd is not beside the repository")


def write_corpus(folder: Path) -> dict[str, Path]:
    """data/raw, the segment and topics tables and an empty corrections file under `folder`."""
    raw = folder / "raw"
    raw.mkdir(parents=True)
    (raw / f"{REPORT}.txt").write_text("\n".join(LINES) + "\n", encoding="utf-8")
    rows, themed = [], []
    for i, (speaker, role, lines, text, themes) in enumerate(STATEMENT_ROWS, start=1):
        sid = f"{REPORT}:{i:04d}"
        rows.append({"report_id": REPORT, "statement_id": sid, "seq": i, "section": "key_points", "speaker": speaker,
                     "role": role, "speaker_label": speaker, "text": text, "line_start": lines[0], "line_end": lines[-1],
                     "page": pd.NA, "source_lines": " ".join(map(str, lines)), "text_hash": statement_hash(text)})
        themed.append({"statement_id": sid, "report_id": REPORT, "speaker": speaker, "role": role, "section": "key_points",
                       "text": text, "topic": 0, "topic_label": "t", "theme": themes.split("; ")[0], "theme_score": 0.5,
                       "themes": themes})
    paths = {name: folder / f"{name}.csv" for name in ("statements", "statement_themes", "speakers", "sessions")}
    write_table(pd.DataFrame(rows), paths["statements"], STATEMENTS)
    write_table(pd.DataFrame(themed), paths["statement_themes"], STATEMENT_THEMES)
    people = [("Ana Ruiz", "moderator", "OECD", 2), ("Bo Lee", "panelist", "ILO", 1), ("Carla", "audience", "", 1)]
    write_table(pd.DataFrame([{"report_id": REPORT, "speaker": p, "role": r, "affiliation": a, "aliases": p, "n_statements": n}
                              for p, r, a, n in people]), paths["speakers"], SPEAKERS)
    session = {c: "" for c in SESSIONS.column_names} | {"report_id": REPORT, "date": "2020-06-09", "session": 1,
                                                         "participants": pd.NA, "views": pd.NA, "people_reached": pd.NA}
    write_table(pd.DataFrame([session]), paths["sessions"], SESSIONS)
    corrections = folder / "corrections.yaml"
    corrections.write_text((REPO / "data" / "corrections" / "corrections.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    params = folder / "params.yaml"
    params.write_text("embed:\n  model: all-MiniLM-L6-v2\n", encoding="utf-8")
    return {"raw": raw, **paths, "corrections": corrections, "params": params, "codebook": REPO / "codebooks" / "sse.yaml"}


def export_args(paths: dict[str, Path], out: Path) -> list[str]:
    return ["export-qda", "--out", str(out), "--raw", str(paths["raw"]), "--statements", str(paths["statements"]),
            "--statement-themes", str(paths["statement_themes"]), "--speakers", str(paths["speakers"]),
            "--sessions", str(paths["sessions"]), "--codebook", str(paths["codebook"]), "--params", str(paths["params"])]


def import_args(paths: dict[str, Path], qdpx: Path) -> list[str]:
    return ["import-qda", str(qdpx), "--corrections", str(paths["corrections"]), "--raw", str(paths["raw"]),
            "--statements", str(paths["statements"]), "--statement-themes", str(paths["statement_themes"]),
            "--codebook", str(paths["codebook"])]


def read_qde(qdpx: Path) -> etree._Element:
    with zipfile.ZipFile(qdpx) as zf:
        return etree.fromstring(zf.read("project.qde"))


def rewrite_qde(qdpx: Path, root: etree._Element, out: Path) -> None:
    """Save an edited project.qde into a copy of the archive, as a QDA tool saves its project."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(qdpx) as src, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = etree.tostring(root, xml_declaration=True, encoding="utf-8") if name == "project.qde" else src.read(name)
            dst.writestr(name, data)
    out.write_bytes(buffer.getvalue())
