"""Corrections and REFI-QDA on the real sample report through the real segment stage (slow: spaCy)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from lxml import etree
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.contract import CORRECTIONS_REPORT, SPEAKERS, STATEMENT_THEMES, STATEMENTS
from pipeline.corrections import statement_hash
from pipeline.qda.ids import theme_guid
from pipeline.tableio import read_table, write_table
from qda_helpers import NS, read_qde, rewrite_qde, schema_path

pytestmark = pytest.mark.slow
OUTPUTS = ("statements", "sessions", "speakers", "dropped", "errors")


def _segment(raw: Path, out: Path, corrections: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    params = out / "params.yaml"
    params.write_text("segment: {}\nembed:\n  model: all-MiniLM-L6-v2\n", encoding="utf-8")
    paths = {name: out / f"{name}.csv" for name in OUTPUTS}
    args = ["segment", "--raw", str(raw), "--params", str(params), "--corrections", str(corrections),
            "--corrections-report", str(out / "corrections.csv")]
    for name, path in paths.items():
        args += [f"--{name}", str(path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return {**paths, "params": params, "report": out / "corrections.csv"}


def _pick(st: pd.DataFrame) -> tuple[pd.Series, str]:
    """A long one-line statement of a named speaker, and another person of the report to give it to."""
    single = st[(st["line_start"] == st["line_end"]) & (st["speaker"] != "") & (st["text"].str.len() > 120)]
    target = single.iloc[len(single) // 2]
    others = sorted(set(st["speaker"]) - {"", target["speaker"]})
    return target, others[0]


def test_fixes_survive_a_resegmented_rerun_and_round_trip_through_qdpx(sample_report: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    lines = sample_report.read_text(encoding="utf-8").split("\n")
    (raw / sample_report.name).write_text("\n".join(lines), encoding="utf-8")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    first = read_table(_segment(raw, tmp_path / "first", empty)["statements"], STATEMENTS)
    target, other = _pick(first)
    label_rows = first[(first["speaker_label"] != "") & (first["speaker"] != target["speaker"]) & (first["speaker"] != other)]
    label = label_rows["speaker_label"].value_counts().index[0]
    corrections = tmp_path / "corrections.yaml"
    corrections.write_text(yaml.safe_dump({
        "speakers": [
            {"statement": {"report": target["report_id"], "hash": target["text_hash"], "line": int(target["line_start"])},
             "speaker": other},
            {"label": label, "speaker": "Renamed Person", "role": "panelist"},
            {"statement": {"report": target["report_id"], "hash": statement_hash("Nobody said this."), "line": 3},
             "speaker": other},
        ]}, allow_unicode=True), encoding="utf-8")

    # a revised report: one more statement before the target, the target's line wrapped in two
    first_statement = first.iloc[0]
    n = int(target["line_start"]) - 1
    words = lines[n].split(" ")
    revised = (lines[: int(first_statement["line_end"])] + ["- An extra point added in a revised version of the report."]
               + lines[int(first_statement["line_end"]): n]
               + [" ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2:])] + lines[n + 1:])
    (raw / sample_report.name).write_text("\n".join(revised), encoding="utf-8")
    out = _segment(raw, tmp_path / "second", corrections)
    st = read_table(out["statements"], STATEMENTS)
    fixed = st[st["text_hash"] == target["text_hash"]]
    assert len(fixed) == 1 and fixed["statement_id"].iloc[0] != target["statement_id"]  # resegmented: another id
    assert fixed["line_end"].iloc[0] == fixed["line_start"].iloc[0] + 1  # now two lines
    assert (fixed["speaker"].iloc[0], fixed["corrected_by"].iloc[0]) == (other, "analyst")
    renamed = st[st["speaker_label"] == label]
    assert len(renamed) and set(renamed["speaker"]) == {"Renamed Person"} and set(renamed["role"]) == {"panelist"}
    assert set(st.loc[st["corrected_by"] == "analyst", "statement_id"]) == set(renamed["statement_id"]) | set(fixed["statement_id"])
    speakers = read_table(out["speakers"], SPEAKERS).set_index("speaker")
    assert speakers.loc["Renamed Person", "n_statements"] == len(renamed)
    report = read_table(out["report"], CORRECTIONS_REPORT)
    assert report["status"].tolist() == ["applied", "applied", "stale"]
    assert report["matched"].tolist() == [1, len(renamed), 0]

    # the corrected statements to a QDA tool and back
    themed = st[["statement_id", "report_id", "speaker", "role", "section", "text"]].assign(
        topic=0, topic_label="t", theme="financing", theme_score=0.5, themes="financing")
    write_table(themed, tmp_path / "statement_themes.csv", STATEMENT_THEMES)
    qdpx = tmp_path / "project.qdpx"
    args = ["export-qda", "--out", str(qdpx), "--raw", str(raw), "--statements", str(out["statements"]),
            "--statement-themes", str(tmp_path / "statement_themes.csv"), "--speakers", str(out["speakers"]),
            "--sessions", str(out["sessions"]), "--params", str(out["params"]), "--schema", str(schema_path())]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    root = read_qde(qdpx)
    with zipfile.ZipFile(qdpx) as zf:
        text = zf.read(next(n for n in zf.namelist() if n.startswith("sources/"))).decode("utf-8")
    selections = root.findall(".//q:PlainTextSelection", NS)
    assert len(selections) == len(st)
    exact = sum(statement_hash(text[int(s.get("startPosition")):int(s.get("endPosition"))]) == h
                for s, h in zip(selections, st.sort_values("seq")["text_hash"]))
    assert exact >= 0.9 * len(st)  # the rest span a page footer between their lines
    for sel in selections[:2]:
        ref = sel.find(f"q:Coding/q:CodeRef[@targetGUID='{theme_guid('financing')}']", NS)
        ref.set("targetGUID", theme_guid("legislation"))
    edited = tmp_path / "edited.qdpx"
    rewrite_qde(qdpx, root, edited)
    result = CliRunner().invoke(app, ["import-qda", str(edited), "--corrections", str(corrections), "--raw", str(raw),
                                      "--statements", str(out["statements"]),
                                      "--statement-themes", str(tmp_path / "statement_themes.csv")])
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load(corrections.read_text(encoding="utf-8"))
    assert len(doc["speakers"]) == 3
    assert [r["theme"] for r in doc["themes"]] == ["legislation", "legislation"]
    assert [r["statement"]["hash"] for r in doc["themes"]] == st.sort_values("seq")["text_hash"].iloc[:2].tolist()
    assert etree.XMLSchema(etree.parse(str(schema_path()))).validate(root)
