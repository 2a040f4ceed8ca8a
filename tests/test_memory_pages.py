"""numpy's huge-page advice is off once the package is imported, unless the user set it (pipeline/memory_pages.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROBE = "from numpy._core.multiarray import _get_madvise_hugepage as g; print(g())"


def _advice(imports: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    out = subprocess.run([sys.executable, "-c", f"{imports}; {PROBE}"], cwd=REPO, env={**clean, **env},
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


@pytest.mark.parametrize("imports", ["import pipeline, numpy", "import numpy, pipeline"],
                         ids=["package first", "numpy first"])
def test_the_package_turns_huge_pages_off(imports: str) -> None:
    if _advice("import numpy") != "True":  # numpy advises huge pages on Linux 4.6 and later only
        pytest.skip("numpy does not advise huge pages on this kernel: nothing to turn off")
    assert _advice(imports) == "False"


def test_a_choice_in_the_environment_wins() -> None:
    assert _advice("import pipeline, numpy", NUMPY_MADVISE_HUGEPAGE="1") == "True"
