"""The vector cache on its own (fast): hits, misses, namespaces, atomic shards, damage."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.embed.cache import MAX_SHARDS, VectorCache, namespace_for
from pipeline.embed.settings import EmbedParams, LongTextParams


def _vectors(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 4)).astype(np.float32)


def test_stored_vectors_come_back_exactly_from_a_new_instance(tmp_path):
    texts = ["Cooperatives need credit.", "Cooperatives need credit. ", "Le droit coopératif"]
    vectors = _vectors(3, 0)
    VectorCache(tmp_path, "ns").store(texts, vectors)
    found = VectorCache(tmp_path, "ns").lookup(texts + ["never seen"])
    assert sorted(found) == sorted(texts)  # exact text: a trailing space is another text
    for text, vector in zip(texts, vectors):
        assert found[text].dtype == np.float32
        np.testing.assert_array_equal(found[text], vector)


def test_a_second_store_adds_only_new_texts_in_one_new_shard(tmp_path):
    cache = VectorCache(tmp_path, "ns")
    cache.store(["a", "b"], _vectors(2, 1))
    cache.store(["a", "b"], _vectors(2, 2))  # already known: nothing written
    assert len(list(cache.dir.glob("shard-*.npz"))) == 1
    cache.store(["b", "c"], _vectors(2, 3))
    assert len(list(cache.dir.glob("shard-*.npz"))) == 2
    again = VectorCache(tmp_path, "ns")
    assert len(again) == 3
    np.testing.assert_array_equal(again.lookup(["b"])["b"], _vectors(2, 1)[1])  # first value kept


def test_writes_leave_no_temporary_files(tmp_path):
    cache = VectorCache(tmp_path, "ns", description={"model": "m"})
    cache.store(["a"], _vectors(1, 0))
    names = sorted(p.name for p in cache.dir.iterdir())
    assert names[0] == "about.json" and all(n.startswith("shard-") for n in names[1:])


def test_namespaces_differ_with_model_and_every_setting_that_changes_a_vector_but_not_the_engine():
    base = EmbedParams()
    ns = namespace_for("model-a", base.vector_settings())
    assert namespace_for("model-b", base.vector_settings()) != ns
    assert namespace_for("model-a", EmbedParams(normalize=False).vector_settings()) != ns
    assert namespace_for("model-a", EmbedParams(long_text=LongTextParams(strategy="truncate")).vector_settings()) != ns
    assert namespace_for("model-a", EmbedParams(long_text=LongTextParams(window_tokens=128)).vector_settings()) != ns
    # the shape of a forward pass changes a vector's last bits (measured: 512 vs 32 texts per pass)
    assert namespace_for("model-a", EmbedParams(batch_size=7).vector_settings()) != ns
    assert namespace_for("model-a", EmbedParams(batch_tokens=4096).vector_settings()) != ns
    assert namespace_for("model-a", EmbedParams(precision="bfloat16").vector_settings()) != namespace_for(
        "model-a", EmbedParams(precision="float32").vector_settings()
    )
    assert namespace_for("model-a", EmbedParams(engine="dask", workers=5).vector_settings()) == ns


def test_auto_precision_is_resolved_when_the_params_are_read():
    from pipeline.embed.model import native_bfloat16

    expected = "bfloat16" if native_bfloat16() else "float32"
    assert EmbedParams().precision == expected  # the cache key and a cluster's workers see what ran
    assert EmbedParams(precision="auto", backend="onnx").precision == "float32"
    with pytest.raises(ValueError, match="float32, bfloat16, auto"):
        EmbedParams(precision="half")


def test_another_namespace_sees_nothing(tmp_path):
    VectorCache(tmp_path, "model-a").store(["a"], _vectors(1, 0))
    assert VectorCache(tmp_path, "model-b").lookup(["a"]) == {}


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_shard_is_set_aside_with_a_warning_naming_it(tmp_path, caplog, damage):
    cache = VectorCache(tmp_path, "ns")
    cache.store(["a"], _vectors(1, 0))
    cache.store(["b"], _vectors(1, 1))
    first = sorted(cache.dir.glob("shard-*.npz"))[0]
    data = first.read_bytes()
    first.write_bytes(b"not an npz file" if damage == "garbage" else data[: len(data) // 2])
    with caplog.at_level("WARNING"):
        found = VectorCache(tmp_path, "ns").lookup(["a", "b"])
    assert len(found) == 1
    assert "damaged vector cache shard" in caplog.text and first.name in caplog.text
    assert not first.exists() and first.with_name(first.name + ".damaged").exists()
    assert len(VectorCache(tmp_path, "ns").lookup(["a", "b"])) == 1  # the next run no longer trips on it


def test_many_shards_are_merged_without_losing_a_vector(tmp_path):
    cache = VectorCache(tmp_path, "ns")
    vectors = _vectors(MAX_SHARDS + 2, 5)
    texts = [f"text {i}" for i in range(len(vectors))]
    for text, vector in zip(texts, vectors):
        cache.store([text], vector[None, :])
    assert len(list(cache.dir.glob("shard-*.npz"))) <= MAX_SHARDS
    found = VectorCache(tmp_path, "ns").lookup(texts)
    np.testing.assert_array_equal(np.stack([found[t] for t in texts]), vectors)


def test_store_refuses_mismatched_lengths(tmp_path):
    with pytest.raises(ValueError, match="2 texts but 1 vectors"):
        VectorCache(tmp_path, "ns").store(["a", "b"], _vectors(1, 0))


def test_values_stored_by_this_instance_are_read_back_when_looked_up(tmp_path):
    cache = VectorCache(tmp_path, "ns")
    first, second = _vectors(2, 7), _vectors(1, 8)
    cache.store(["a", "b"], first)
    cache.store(["c"], second)  # its index holds a marker for a and b, not their vectors
    found = cache.lookup(["b", "c", "never seen"])
    assert sorted(found) == ["b", "c"]
    np.testing.assert_array_equal(found["b"], first[1])
    np.testing.assert_array_equal(found["c"], second[0])
    assert len(cache) == 3
