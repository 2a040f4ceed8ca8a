"""numba's compiled code (UMAP, PyNNDescent) is kept between runs in a per-user folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipeline.jit_cache import jit_cache_folder, use_persistent_jit_cache

REPO = Path(__file__).resolve().parents[1]


def test_folder_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert jit_cache_folder() == tmp_path / "session-themes" / "numba"


def test_user_choice_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    use_persistent_jit_cache()
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "mine")


def test_unset_points_at_the_per_user_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    use_persistent_jit_cache()
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "session-themes" / "numba")


def test_importing_the_package_configures_numba_before_it_loads(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path)
    code = "import pipeline, numba.core.config as c; print(c.CACHE_DIR)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(tmp_path / "session-themes" / "numba")
