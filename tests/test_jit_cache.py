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


# A PyNNDescent kernel the library compiles in every process (njit without cache=True), called
# once in a fresh process whose numba cache is `folder`; whether its compiled code was kept.
_KERNEL_RUN = """
import sys, numpy as np
import pipeline, umap
from pipeline.jit_cache import cache_library_kernels
if sys.argv[1] == "mark":
    print(cache_library_kernels())
from pynndescent.utils import deheap_sort
deheap_sort(np.array([[2, 1, 0]], dtype=np.int32), np.array([[0.3, 0.2, 0.1]], dtype=np.float32))
"""


def _kept_after_run(folder: Path, mode: str) -> list[str]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(folder)}
    subprocess.run([sys.executable, "-c", _KERNEL_RUN, mode], cwd=REPO, env=env, check=True, capture_output=True)
    return sorted(p.name for p in folder.rglob("utils.deheap_sort-*.nbi"))


def test_library_kernels_without_their_own_cache_are_kept_once_marked(tmp_path):
    assert _kept_after_run(tmp_path / "plain", "plain") == []  # the library alone compiles it in every process
    assert len(_kept_after_run(tmp_path / "marked", "mark")) == 1


def test_marking_twice_marks_nothing_more():
    import umap  # noqa: F401  (imports PyNNDescent)

    from pipeline.jit_cache import cache_library_kernels

    cache_library_kernels()
    assert cache_library_kernels() == 0
