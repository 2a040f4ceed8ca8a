"""A new user's run: the project copied, other reports in data/raw/, plain `dvc repro`, no network.

The Makefile's variables (HF_HUB_OFFLINE, TRANSFORMERS_OFFLINE, DVC_NO_ANALYTICS,
…) are unset, as for a user who types `dvc repro`; every Python process runs
under tests/netguard/sitecustomize.py, which records and refuses any attempt
to reach the network. Then `analyze` runs on the same reports and must write
the same bytes as `dvc repro`: there is one definition of the pipeline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from docgen import make_vtt
from pipeline.stages import read_stages

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
NETGUARD = Path(__file__).resolve().parent / "netguard"
NOT_COPIED = {".git", ".venv", "data", "test-artifacts", ".pytest_cache", ".hypothesis", "dvc_plots"}
MAKEFILE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "DVC_NO_ANALYTICS",
                      "TOKENIZERS_PARALLELISM", "PYTHONPATH")

REPORT = """\
Forum on Cooperative Housing
Report Session 2 March 3, 2021 10:00-11:30
Name of the moderator:
Laura Benítez
Panelists:
Tomás Herrera - Housing Cooperative Federation
Ingrid Solberg - Municipal Planning Office
Key points:
Laura Benítez:
- Welcome to the second session on cooperative housing.
Tomás Herrera:
- Housing cooperatives need long-term loans at low interest rates from public banks.
- Without a legal framework, cooperatives cannot own land collectively.
Ingrid Solberg:
- Municipal land trusts can keep housing affordable for low-income families.
- Zoning rules should reserve plots for cooperatives.
Conclusions:
- Financing and land law are the two levers the participants agreed on.
"""

TURNS = [
    ("Grace Okafor", "Good morning everyone, thank you for joining this call on community finance."),
    ("Samuel Reyes", "Our credit union lends to small cooperatives that banks turn away."),
    ("Grace Okafor", "What would change if the law recognised social enterprises?"),
    ("Samuel Reyes", "A law would let public procurement favour social enterprises and their workers."),
    ("Amina Diallo", "Women in informal work are left out of both banks and credit unions."),
]


def _run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=1500, check=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("own_reports")
    project = root / "project"
    project.mkdir()
    for item in REPO.iterdir():
        if item.name in NOT_COPIED or item.name.endswith(".egg-info"):
            continue
        if item.is_dir():
            shutil.copytree(item, project / item.name, ignore=shutil.ignore_patterns("cache", "tmp", "__pycache__"))
        else:
            shutil.copy2(item, project / item.name)
    shutil.copytree(REPO / "data", project / "data", ignore=shutil.ignore_patterns("raw", "processed", "cache"))
    raw = project / "data" / "raw"
    raw.mkdir(parents=True)
    (raw / "housing_forum_session2.txt").write_text(REPORT, encoding="utf-8")
    make_vtt(TURNS, raw / "community_finance_call.vtt")
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)

    net_log = root / "network_attempts.log"
    env = {k: v for k, v in os.environ.items() if k not in MAKEFILE_VARIABLES}
    env.update(PYTHONPATH=str(NETGUARD), SESSION_THEMES_NET_LOG=str(net_log),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    repro = _run([str(Path(sys.executable).parent / "dvc"), "repro"], project, env)
    out = root / "analyze_out"
    analyze = _run([sys.executable, "-m", "pipeline", "analyze", str(raw), "--out", str(out),
                    "--project", str(project)], project, env)
    attempts = net_log.read_text(encoding="utf-8") if net_log.exists() else ""
    return project, out, repro, analyze, attempts


def test_plain_dvc_repro_runs_every_stage_on_other_reports(runs):
    project, _, repro, _, _ = runs
    assert repro.returncode == 0, repro.stdout[-2000:] + repro.stderr[-3000:]
    status = _run([str(Path(sys.executable).parent / "dvc"), "status"], project, dict(os.environ))
    assert "up to date" in status.stdout, status.stdout
    for stage in read_stages(project / "dvc.yaml"):
        for out in stage.outs:
            assert (project / out).exists(), f"{stage.name}: {out}"
    assert (project / "data" / "processed" / "report" / "index.html").exists()


def test_no_process_tried_to_reach_the_network(runs):
    *_, attempts = runs
    assert attempts == "", attempts


def test_evaluate_says_no_labelled_report_and_succeeds(runs):
    project = runs[0]
    metrics = json.loads((project / "metrics" / "evaluate.json").read_text(encoding="utf-8"))
    assert metrics["n_labelled"] == 0 and metrics["status"].startswith("no labelled report")
    assert metrics["labelled_reports_absent"]  # the sample's labels, set aside


def test_statements_are_on_the_right_people(runs):
    project = runs[0]
    st = pd.read_csv(project / "data" / "processed" / "statements.csv", keep_default_na=False)
    housing = st[st["report_id"] == "housing_forum_session2"]
    said = dict(zip(housing["text"], housing["speaker"]))
    assert said["Zoning rules should reserve plots for cooperatives."] == "Ingrid Solberg"
    assert said["Welcome to the second session on cooperative housing."] == "Laura Benítez"
    call = st[st["report_id"] == "community_finance_call"]
    assert sorted(set(call["speaker"])) == ["Amina Diallo", "Grace Okafor", "Samuel Reyes"]


def test_analyze_writes_the_same_bytes_as_dvc_repro(runs):
    project, out, _, analyze, _ = runs
    assert analyze.returncode == 0, analyze.stderr[-3000:]
    processed = project / "data" / "processed"
    csvs = sorted(p.relative_to(processed) for p in processed.rglob("*.csv"))
    assert len(csvs) >= 15
    different = [str(rel) for rel in csvs if (processed / rel).read_bytes() != (out / rel).read_bytes()]
    assert not different, different
    assert (out / "metrics" / "evaluate.json").read_bytes() == (project / "metrics" / "evaluate.json").read_bytes()
    assert (out / "report" / "index.html").exists() and (out / "session_themes.xlsx").exists()
    assert "reports read: 2" in analyze.stdout
