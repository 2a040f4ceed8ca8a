"""The real model on the real sample report's statements (segmented by the segment stage's core), offline."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from pipeline.contract import STATEMENTS
from pipeline.embed.cli import run_embed
from pipeline.embed.encode import embed_texts
from pipeline.embed.model import load_encoder
from pipeline.embed.settings import EmbedParams
from pipeline.embed.store import load_embeddings
from pipeline.params import load_section
from pipeline.tableio import write_table

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample_statements(repo_root, sample_report, nlp):
    try:
        from pipeline.segment.readers import read_report
        from pipeline.segment.segmenter import SegmentParams, segment_report
    except ImportError as exc:  # the segment stage is built alongside
        pytest.skip(f"segment core not available yet: {exc}")
    params = load_section(repo_root / "params.yaml", "segment", SegmentParams)
    statements = segment_report(sample_report.stem, read_report(sample_report), nlp=nlp, params=params).statements
    assert len(statements) > 20
    return statements


def test_sample_report_embeds_offline_and_reruns_from_the_cache(
    sample_statements, repo_root, tmp_path, monkeypatch
):
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    write_table(sample_statements, tmp_path / "statements.csv", STATEMENTS)
    paths = (tmp_path / "statements.csv", tmp_path / "e.npy", tmp_path / "ids.csv", repo_root / "params.yaml")
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    first = run_embed(*paths, tmp_path / "cache")
    texts = sample_statements["text"].tolist()
    assert first.encoded == len(set(texts)) and first.cached == 0

    ids = sample_statements["statement_id"].tolist()
    vectors = load_embeddings(tmp_path / "e.npy", tmp_path / "ids.csv", ids)
    assert vectors.shape == (len(ids), 384) and np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)

    again = run_embed(*paths, tmp_path / "cache")
    assert (again.encoded, again.cached) == (0, len(set(texts)))
    np.testing.assert_array_equal(load_embeddings(tmp_path / "e.npy", tmp_path / "ids.csv", ids), vectors)

    # each statement alone gets the vector it got among the report's other statements
    params = load_section(repo_root / "params.yaml", "embed", EmbedParams)
    encoder = load_encoder(params.model, **params.encoder_options(), cache_dir=tmp_path / "cache")
    picks = np.random.default_rng(0).choice(len(texts), size=8, replace=False)
    alone = np.stack([embed_texts([texts[i]], encoder, **params.encoding_options())[0] for i in picks])
    assert np.abs(alone - vectors[picks]).max() <= 1e-6
