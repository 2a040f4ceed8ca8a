"""The embed command on tiny statements.csv files written for these tests."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from pipeline.contract import STATEMENTS
from pipeline.embed import cli as embed_cli
from pipeline.embed.store import load_embeddings
from pipeline.tableio import write_table

PARAMS = """\
embed:
  model: {model}
  batch_size: 16
  normalize: true
  long_text:
    strategy: {strategy}
    window_tokens: 254
    overlap_tokens: 32
  backend: torch
  threads: 1
"""


def statements(report_id: str, texts: list[str]) -> pd.DataFrame:
    n = len(texts)
    return pd.DataFrame(
        {
            "report_id": report_id,
            "statement_id": [f"{report_id}-{i:04d}" for i in range(n)],
            "seq": range(n),
            "section": "key_points",
            "speaker": ["Ana Mod", "Bea Key", ""][:n] + [""] * max(0, n - 3),
            "role": ["moderator", "keynote", "audience"][:n] + ["other"] * max(0, n - 3),
            "speaker_label": "",
            "text": texts,
            "line_start": range(1, n + 1),
            "line_end": range(1, n + 1),
            "page": pd.NA,
        }
    )


REPORT_1 = ["Welcome to the session on the social economy.", "Public funding must reach cooperatives.", "How do we scale?"]
REPORT_2 = ["A framework law recognises the social economy.", "Public funding must reach cooperatives."]


@pytest.fixture
def workdir(tmp_path) -> Path:
    (tmp_path / "params.yaml").write_text(PARAMS.format(model="all-MiniLM-L6-v2", strategy="windows"), encoding="utf-8")
    write_table(statements("r1", REPORT_1), tmp_path / "statements.csv", STATEMENTS)
    return tmp_path


def invoke(folder: Path, *, cache: bool = True):
    app = typer.Typer()
    app.command()(embed_cli.command)
    args = ["--statements", str(folder / "statements.csv"), "--params", str(folder / "params.yaml")]
    args += ["--vectors", str(folder / "out" / "embeddings.npy"), "--ids", str(folder / "out" / "embedding_ids.csv")]
    if cache:
        args += ["--cache", str(folder / "cache")]
    return CliRunner().invoke(app, args)


def test_unknown_model_is_one_line_error(workdir):
    (workdir / "params.yaml").write_text(PARAMS.format(model="no-such-model", strategy="windows"), encoding="utf-8")
    result = invoke(workdir)
    assert result.exit_code == 1
    assert "params.yaml:embed.model: model 'no-such-model' is not installed" in result.output
    assert "Traceback" not in result.output
    assert not (workdir / "out").exists()


def test_bad_parameter_is_one_line_error(workdir):
    (workdir / "params.yaml").write_text(PARAMS.format(model="all-MiniLM-L6-v2", strategy="chop"), encoding="utf-8")
    result = invoke(workdir)
    assert result.exit_code == 1
    assert "params.yaml:embed: long_text.strategy must be one of windows, truncate, got 'chop'" in result.output


def test_negative_threads_are_refused(workdir):
    text = PARAMS.format(model="all-MiniLM-L6-v2", strategy="windows").replace("threads: 1", "threads: -1")
    (workdir / "params.yaml").write_text(text, encoding="utf-8")
    result = invoke(workdir)
    assert result.exit_code == 1 and "params.yaml:embed: threads must be a whole number >= 0" in result.output


def test_unknown_parameter_is_refused(workdir):
    text = PARAMS.format(model="all-MiniLM-L6-v2", strategy="windows") + "  pooling: max\n"
    (workdir / "params.yaml").write_text(text, encoding="utf-8")
    result = invoke(workdir)
    assert result.exit_code == 1 and "unknown parameter(s) pooling" in result.output


def test_missing_statements_file_names_it(workdir):
    (workdir / "statements.csv").unlink()
    result = invoke(workdir)
    assert result.exit_code == 1 and "statements.csv: file not found" in result.output


def test_statements_that_break_the_contract_are_refused(workdir):
    frame = statements("r1", REPORT_1).drop(columns=["text"])
    frame.to_csv(workdir / "statements.csv", index=False)
    result = invoke(workdir)
    assert result.exit_code == 1 and "lacks column(s) text" in result.output


@pytest.mark.slow
def test_second_run_encodes_only_the_added_report(workdir, caplog):
    with caplog.at_level(logging.INFO, logger="pipeline"):
        result = invoke(workdir)
    assert result.exit_code == 0, result.output
    assert "3 distinct text(s): 3 encoded, 0 read from the cache" in caplog.text
    first = np.load(workdir / "out" / "embeddings.npy")
    assert first.shape == (3, 384) and first.dtype == np.float32

    both = pd.concat([statements("r1", REPORT_1), statements("r2", REPORT_2)])
    write_table(both, workdir / "statements.csv", STATEMENTS)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="pipeline"):
        result = invoke(workdir)
    assert result.exit_code == 0, result.output
    # r2 repeats one r1 text: only its one new text is encoded
    assert "5 statement(s), 4 distinct text(s): 1 encoded, 3 read from the cache" in caplog.text
    ids = both["statement_id"].tolist()
    vectors = load_embeddings(workdir / "out" / "embeddings.npy", workdir / "out" / "embedding_ids.csv", ids)
    np.testing.assert_array_equal(vectors[:3], first)
    np.testing.assert_array_equal(vectors[1], vectors[4])


@pytest.mark.slow
def test_rerun_is_byte_identical_and_cache_deletion_changes_nothing_beyond_noise(workdir):
    import shutil

    assert invoke(workdir).exit_code == 0
    first = (workdir / "out" / "embeddings.npy").read_bytes()
    assert invoke(workdir).exit_code == 0
    assert (workdir / "out" / "embeddings.npy").read_bytes() == first
    cached = np.load(workdir / "out" / "embeddings.npy")
    shutil.rmtree(workdir / "cache")
    assert invoke(workdir).exit_code == 0
    assert (workdir / "cache").is_dir()
    assert np.abs(np.load(workdir / "out" / "embeddings.npy") - cached).max() <= 1e-6


@pytest.mark.slow
def test_truncate_strategy_warns_with_the_statement_ids(workdir, sample_report, caplog):
    (workdir / "params.yaml").write_text(PARAMS.format(model="all-MiniLM-L6-v2", strategy="truncate"), encoding="utf-8")
    long_text = " ".join(line.strip() for line in sample_report.read_text(encoding="utf-8").splitlines() if line.strip())
    write_table(statements("r1", REPORT_1[:2] + [long_text]), workdir / "statements.csv", STATEMENTS)
    with caplog.at_level(logging.WARNING, logger="pipeline"):
        result = invoke(workdir, cache=False)
    assert result.exit_code == 0, result.output
    assert "1 statement(s) longer than the model reads (256 word pieces) were truncated: r1-0002" in caplog.text
