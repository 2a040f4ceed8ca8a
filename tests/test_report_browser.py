"""Open the report `dvc repro` wrote in headless Chromium: the tables render and the pictures load.

Needs Debian's `chromium` (the Makefile's `browser` target installs it before
`make test`); the screenshots are kept under test-artifacts/ for people to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,2000",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed (make browser installs Debian's chromium)")
    return path


@pytest.fixture(scope="module")
def report_dir(repo_root) -> Path:
    folder = repo_root / "data" / "processed" / "report"
    if not (folder / "index.html").exists():
        pytest.skip("data/processed/report/index.html missing: run `dvc repro` first (make test does)")
    return folder


def _run(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)


def rendered_dom(chromium: str, page: Path, profile: Path) -> str:
    """The DOM after the page's scripts ran (virtual time lets `load` fire)."""
    done = _run(chromium, profile, "--virtual-time-budget=5000", "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(chromium: str, page: Path, out: Path, profile: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    done = _run(chromium, profile, f"--screenshot={out}", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]


def _table_rows(dom: str, table_id: str) -> int:
    match = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', dom, re.S)
    assert match, f"table #{table_id} is not in the rendered page"
    return len(re.findall(r"<tr>", match.group(1)))


def _images(dom: str) -> list[str]:
    return re.findall(r"<img\b[^>]*>", dom)


def test_index_renders_tables_and_pictures(chromium, report_dir, repo_root, tmp_path):
    import pandas as pd

    dom = rendered_dom(chromium, report_dir / "index.html", tmp_path / "profile")
    assert 'data-ready="yes"' in dom, "the page's script did not run"
    sessions = pd.read_csv(repo_root / "data" / "processed" / "sessions.csv")
    assert _table_rows(dom, "sessions-table") == len(sessions)
    assert _table_rows(dom, "speaker-theme-table") > 0
    assert _table_rows(dom, "roles-table") > 0
    images = _images(dom)
    assert len(images) >= 3
    for img in images:
        assert 'src="data:image/png;base64,' in img, img[:120]
        assert 'data-loaded="yes"' in img, f"picture did not load: {img[-120:]}"
    screenshot(chromium, report_dir / "index.html", repo_root / "test-artifacts" / "report_index.png",
               tmp_path / "profile")
    assert (repo_root / "test-artifacts" / "report_index.png").stat().st_size > 10_000


def test_session_pages_render(chromium, report_dir, repo_root, tmp_path):
    pages = sorted(report_dir.glob("session-*.html"))
    assert pages, "no session page"
    dom = rendered_dom(chromium, pages[0], tmp_path / "profile")
    assert _table_rows(dom, "speakers-table") > 0
    assert _table_rows(dom, "speaker-theme-table") > 0
    assert re.search(r"<blockquote", dom), "no quote on the session page"
    assert all('data-loaded="yes"' in img for img in _images(dom))
    screenshot(chromium, pages[0], repo_root / "test-artifacts" / "report_session.png", tmp_path / "profile")


def test_interactive_charts_draw_offline(chromium, report_dir, tmp_path):
    """plotly.js is inlined: the chart's SVG exists although the browser has no network."""
    for name in ("topics_per_class.html", "topic_map.html"):
        dom = rendered_dom(chromium, report_dir / name, tmp_path / "profile")
        assert 'class="main-svg"' in dom, f"{name}: plotly did not draw"
