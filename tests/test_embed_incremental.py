"""The cache with the real model: hit, miss, model change, deletion (same values again)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from pipeline.embed.incremental import cache_for, embed_with_cache
from pipeline.embed.model import Encoder, load_encoder
from pipeline.embed.settings import EmbedParams

pytestmark = pytest.mark.slow

TEXTS = [
    "The social economy is a vehicle for sustainable development.",
    "Cooperatives need access to finance.",
    "Public procurement can favour social enterprises.",
]


def test_miss_then_hit(embed_encoder, tmp_path):
    params = EmbedParams()
    first, report = embed_with_cache(TEXTS, embed_encoder, params, cache_for(embed_encoder, params, tmp_path))
    assert (report.encoded, report.cached) == (3, 0)
    again, report = embed_with_cache(
        TEXTS[::-1] + ["A new statement on care work."], embed_encoder, params, cache_for(embed_encoder, params, tmp_path)
    )
    assert (report.encoded, report.cached) == (1, 3)
    np.testing.assert_array_equal(again[:3], first[::-1])


def test_all_cached_needs_no_model_weights(embed_encoder, tmp_path):
    params = EmbedParams()
    embed_with_cache(TEXTS, embed_encoder, params, cache_for(embed_encoder, params, tmp_path))
    cold = load_encoder("all-MiniLM-L6-v2")
    _, report = embed_with_cache(TEXTS, cold, params, cache_for(cold, params, tmp_path))
    assert report.encoded == 0 and not cold.loaded


def test_deleting_the_cache_recomputes_the_same_values(embed_encoder, tmp_path):
    params = EmbedParams()
    first, _ = embed_with_cache(TEXTS, embed_encoder, params, cache_for(embed_encoder, params, tmp_path / "c"))
    shutil.rmtree(tmp_path / "c")
    second, report = embed_with_cache(TEXTS, embed_encoder, params, cache_for(embed_encoder, params, tmp_path / "c"))
    assert report.encoded == 3
    assert np.abs(second - first).max() <= 1e-6


def test_another_model_or_settings_do_not_reuse_vectors(embed_encoder, tmp_path):
    params = EmbedParams()
    embed_with_cache(TEXTS, embed_encoder, params, cache_for(embed_encoder, params, tmp_path))
    # the same weights under another fingerprint stand for a changed model folder
    changed = Encoder(name="changed", path=embed_encoder.path, fingerprint="0" * 64, _model=embed_encoder.model)
    _, report = embed_with_cache(TEXTS, changed, params, cache_for(changed, params, tmp_path))
    assert report.encoded == 3
    raw = EmbedParams(normalize=False)
    _, report = embed_with_cache(TEXTS, embed_encoder, raw, cache_for(embed_encoder, raw, tmp_path))
    assert report.encoded == 3
    _, report = embed_with_cache(TEXTS, embed_encoder, params, cache_for(embed_encoder, params, tmp_path))
    assert report.encoded == 0


def test_without_cache_everything_is_encoded(embed_encoder):
    vectors, report = embed_with_cache(TEXTS + TEXTS[:1], embed_encoder, EmbedParams(), cache=None)
    assert (report.texts, report.distinct, report.encoded) == (4, 3, 3)
    np.testing.assert_array_equal(vectors[0], vectors[3])


def test_a_truncated_shard_is_set_aside_and_the_same_vectors_come_back(embed_encoder, tmp_path, caplog):
    params = EmbedParams()
    first, _ = embed_with_cache(TEXTS, embed_encoder, params, cache_for(embed_encoder, params, tmp_path))
    (shard,) = (tmp_path).rglob("shard-*.npz")
    shard.write_bytes(shard.read_bytes()[:100])  # a full disk or a partial copy
    with caplog.at_level("WARNING"):
        again, report = embed_with_cache(TEXTS, embed_encoder, params, cache_for(embed_encoder, params, tmp_path))
    assert report.encoded == 3
    np.testing.assert_array_equal(again, first)
    assert shard.name in caplog.text and shard.with_name(shard.name + ".damaged").exists()


def test_steps_give_the_same_vectors_and_one_shard_each(embed_encoder, tmp_path, monkeypatch):
    import pipeline.embed.incremental as incremental

    params = EmbedParams()
    texts = TEXTS + ["A new statement on care work.", "Housing cooperatives in the city."]
    whole, _ = embed_with_cache(texts, embed_encoder, params, cache_for(embed_encoder, params, tmp_path / "whole"))
    monkeypatch.setattr(incremental, "ENCODE_STEP", 2)
    stepped, report = embed_with_cache(texts + texts[:1], embed_encoder, params,
                                       cache_for(embed_encoder, params, tmp_path / "steps"))
    assert report.encoded == 5
    np.testing.assert_array_equal(stepped[:5], whole)
    np.testing.assert_array_equal(stepped[5], whole[0])
    assert len(list((tmp_path / "steps").rglob("shard-*.npz"))) == 3


def test_a_corpus_s_vectors_are_held_once_whatever_the_steps(embed_encoder, tmp_path, monkeypatch):
    """Peak numpy memory of a cold run is the result plus about one step, not a copy per step and per cache."""
    import tracemalloc

    from pipeline.embed import incremental

    texts = [f"Statement {i}: cooperatives in region {i % 17} ask for credit and training." for i in range(600)]
    params = EmbedParams()
    monkeypatch.setattr(incremental, "ENCODE_STEP", 100)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        vectors, report = embed_with_cache(texts, embed_encoder, params, cache_for(embed_encoder, params, tmp_path))
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert report.encoded == 600
    # measured: 1.84x the result now (result, one step's work, keys); 3.3x when every step's vectors
    # and the cache's copy of them were kept until the result was assembled
    assert peak < 2.5 * vectors.nbytes, (peak, vectors.nbytes)
    again = incremental.VectorCache(tmp_path, cache_for(embed_encoder, params, tmp_path).dir.name).lookup(texts)
    np.testing.assert_array_equal(np.stack([again[t] for t in texts]), vectors)
