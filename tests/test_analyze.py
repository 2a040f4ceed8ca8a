"""`python -m pipeline analyze DIR --out OUT`: the whole analysis outside DVC, with a summary."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pipeline.analyze import AnalysisSummary
from pipeline.cli import app


def test_help_lists_every_command():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    for name in ("segment", "embed", "topics", "tables", "report", "export", "analyze"):
        assert name in result.output


def test_missing_folder_is_one_line_error(tmp_path):
    result = CliRunner().invoke(app, ["analyze", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "folder not found" in result.output
    assert "Traceback" not in result.output


def test_summary_lists_each_error(tmp_path):
    s = AnalysisSummary(reports_read=2, statements=10, speakers=4, topics=3,
                        errors=(("a.pdf", "not a readable PDF"),), out=tmp_path)
    lines = s.lines()
    assert "reports read: 2" in lines and "errors:       1" in lines
    assert "  a.pdf: not a readable PDF" in lines


@pytest.mark.slow
def test_analyze_a_folder_end_to_end(repo_root, sample_report, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    shutil.copy(sample_report, folder / sample_report.name)
    (folder / "broken.pdf").write_bytes(b"not a pdf at all")
    out = tmp_path / "out"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "CI": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "analyze", str(folder), "--out", str(out), "--on-error", "skip"],
        cwd=repo_root, env=env, capture_output=True, text=True, timeout=1200, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    statements = pd.read_csv(out / "statements.csv")
    speakers = pd.read_csv(out / "speakers.csv")
    summary = done.stdout.splitlines()
    assert "reports read: 1" in summary
    assert f"statements:   {len(statements)}" in summary and len(statements) > 20
    assert any(line.startswith("speakers:") and int(line.split()[-1]) >= 5 for line in summary)
    assert "errors:       1" in summary
    assert any("broken.pdf" in line for line in summary)
    assert len(speakers) >= 5
    for rel in ("statement_themes.csv", "topics.csv", "speaker_theme_counts.csv", "quote_bank.csv",
                "report/index.html", "report/topic_map.html", "session_themes.xlsx", "ingest_errors.csv"):
        assert (out / rel).exists(), rel
    pages = list((out / "report").glob("session-*.html"))
    assert len(pages) == 1
    assert pd.read_csv(out / "ingest_errors.csv")["file"].str.endswith("broken.pdf").all()
