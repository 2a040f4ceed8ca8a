"""The `tables` stage on real data: the outputs of `dvc repro` and the CAP corpus.

The real-output tests read what `dvc repro` wrote (make test runs it first)
and check the arithmetic against statements.csv, then rerun the stage's
command exactly as dvc.yaml declares it and require byte-identical files.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import typer
import yaml
from typer.testing import CliRunner

from pipeline.codebook import load_codebook
from pipeline.contract import (
    QUOTE_BANK,
    SPEAKER_THEME_COUNTS,
    SPEAKER_THEME_SHARES,
    SPEAKER_THEMES,
    STATEMENT_THEMES,
    STATEMENTS,
    THEME_SHARE_BY_ROLE,
)
from pipeline.tableio import read_table
from pipeline.tables import UNATTRIBUTED, ThemeColumns, speaker_theme_table
from pipeline.tables import cli as tables_cli


def _stage_options(repo_root) -> dict[str, str]:
    """The tables stage's options, as dvc.yaml passes them."""
    stage = yaml.safe_load((repo_root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]["tables"]
    words = shlex.split(stage["cmd"])
    start = words.index("tables") + 1
    return dict(zip(words[start::2], words[start + 1 :: 2], strict=True))


def _dvc(repo_root, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dvc", *args], cwd=repo_root, capture_output=True, text=True, check=True)


@pytest.fixture(scope="module")
def outputs(repo_root):
    options = _stage_options(repo_root)
    paths = {k: repo_root / v for k, v in options.items()}
    missing = [str(p) for p in paths.values() if not p.exists()]
    if missing:
        pytest.skip(f"run `dvc repro` first: missing {missing[0]}")
    return paths


@pytest.mark.slow
def test_real_counts_match_statements_and_shares_sum_to_one(outputs):
    statements = read_table(outputs["--statements"], STATEMENTS)
    themed = read_table(outputs["--statement-themes"], STATEMENT_THEMES)
    long = read_table(outputs["--speaker-themes"], SPEAKER_THEMES)
    assert len(themed) == len(statements) > 0
    speakers = statements["speaker"].where(statements["speaker"] != "", UNATTRIBUTED)
    expected = statements.assign(speaker=speakers).groupby(["report_id", "speaker"]).size()
    got = long.groupby(["report_id", "speaker"])["n_statements"].sum()
    assert got.to_dict() == expected.to_dict()
    substantive = long[long["share"].notna()]
    assert np.allclose(substantive.groupby(["report_id", "speaker"])["share"].sum(), 1.0, atol=1e-5)

    counts = read_table(outputs["--speaker-counts"], SPEAKER_THEME_COUNTS)
    assert counts.set_index(["report_id", "speaker"])["total"].astype(int).to_dict() == expected.to_dict()
    shares = read_table(outputs["--speaker-shares"], SPEAKER_THEME_SHARES)
    share_cols = list(shares.columns[3 : shares.columns.get_loc("total")])
    based = shares[shares["n_substantive"].astype(int) > 0]
    assert np.allclose(based[share_cols].astype(float).sum(axis=1), 1.0, atol=1e-5)

    role_counts = read_table(outputs["--role-counts"])
    assert role_counts["total"].astype(int).sum() == len(statements)
    session_counts = read_table(outputs["--session-counts"])
    assert session_counts.set_index("report_id")["total"].astype(int).to_dict() == (
        statements.groupby("report_id").size().to_dict()
    )


@pytest.mark.slow
def test_real_quote_bank_provenance_matches_statements(outputs):
    statements = read_table(outputs["--statements"], STATEMENTS).set_index("statement_id")
    quotes = read_table(outputs["--quote-bank"], QUOTE_BANK)
    assert len(quotes) > 0
    source = statements.loc[quotes["statement_id"]]
    assert (source["line_start"].to_numpy() == quotes["line_start"].to_numpy()).all()
    assert (source["text"].to_numpy() == quotes["text"].to_numpy()).all()


@pytest.mark.slow
def test_real_plots_and_metrics(outputs, repo_root):
    statements = read_table(outputs["--statements"], STATEMENTS)
    by_role = read_table(outputs["--plot-by-role"], THEME_SHARE_BY_ROLE)
    assert np.allclose(by_role.groupby("role")["share"].sum(), 1.0, atol=1e-5)
    metrics = json.loads(outputs["--metrics"].read_text(encoding="utf-8"))
    assert metrics["statements"] == len(statements)
    assert 0 < metrics["themes_covered"] <= metrics["themes_in_codebook"]
    shown = _dvc(repo_root, "metrics", "show", "--json")
    assert str(outputs["--metrics"].relative_to(repo_root)) in shown.stdout
    plots = _dvc(repo_root, "plots", "show", "--json")
    data = json.loads(plots.stdout)
    assert {"theme_share_by_role", "theme_share_by_speaker"} <= set(data["data"])
    assert not data.get("errors")


@pytest.mark.slow
def test_real_rerun_is_byte_identical(outputs, repo_root, tmp_path):
    """The stage's command from dvc.yaml, rerun into a temporary folder, gives the same bytes."""
    options = _stage_options(repo_root)
    inputs = {"--statement-themes", "--statements", "--codebook", "--params"}
    args = ["tables"]
    for option, value in options.items():
        args += [option, str(repo_root / value) if option in inputs else str(tmp_path / value)]
    app = typer.Typer()
    app.command("tables")(tables_cli.command)
    app.command("noop")(lambda: None)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for option, value in options.items():
        if option not in inputs:
            assert (tmp_path / value).read_bytes() == (repo_root / value).read_bytes(), value


def test_president_by_topic_table_on_cap_state_of_the_union(shared_dir, repo_root):
    """The same code on a corpus with no sessions: speaker = president, report = address."""
    path = shared_dir / "corpora" / "cap_sotu" / "df_cap_sotu_test.csv"
    if not path.exists():
        pytest.skip(f"{path} is missing")
    cap = pd.read_csv(path)
    codebook = load_codebook(repo_root / "codebooks" / "cap.yaml")
    theme_of = {t.name: t.id for t in codebook.themes}
    st = pd.DataFrame(
        {
            "statement_id": cap["idx"].astype(str),
            "report_id": cap["doc_id"].astype(str),
            "speaker": cap["president"],
            "role": "other",
            "theme": cap["label_text"].map(theme_of),
        }
    )
    assert st["theme"].notna().all()
    counts = speaker_theme_table(st, themes_order=codebook.ids, procedural=codebook.procedural_ids, per_report=False)
    themes = ThemeColumns.from_codebook(codebook)
    assert list(counts.columns) == ["speaker", *themes.columns, "substantive", "total"]
    assert counts.set_index("speaker")["total"].to_dict() == cap.groupby("president").size().to_dict()
    truman = cap[cap["president"] == "Harry S. Truman"]
    row = counts.set_index("speaker").loc["Harry S. Truman"]
    assert row["defense"] == (truman["label_text"] == "Defense").sum()
    shares = speaker_theme_table(
        st, themes_order=codebook.ids, procedural=codebook.procedural_ids, per_report=False, shares=True
    )
    assert np.allclose(shares[list(themes.share_columns)].sum(axis=1), 1.0)
    per_address = speaker_theme_table(st, themes_order=codebook.ids, procedural=codebook.procedural_ids)
    assert len(per_address) == cap["doc_id"].nunique() and per_address["total"].sum() == len(cap)
