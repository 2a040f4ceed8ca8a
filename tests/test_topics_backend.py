"""BERTopic's embedding backend: each distinct text encoded once, statements' own vectors reused."""

from __future__ import annotations

import numpy as np
from topics_helpers import hashing_encode

from pipeline.topics.model import order_free_backend


def counting_encode(calls: list[str]):
    def encode(texts: list[str]) -> np.ndarray:
        calls.extend(texts)
        return hashing_encode(texts)

    return encode


def test_a_text_is_encoded_once_per_run_and_gets_the_vector_encode_gives():
    calls: list[str] = []
    backend = order_free_backend(counting_encode(calls))
    words = ["credit", "law", "credit", "climate"]
    first = backend.embed(words)
    again = backend.embed(["law", "credit", "tax"])  # MMR asks again for KeyBERTInspired's words
    assert calls == ["credit", "law", "climate", "tax"]
    np.testing.assert_array_equal(first, hashing_encode(words).astype(np.float32))
    np.testing.assert_array_equal(again, hashing_encode(["law", "credit", "tax"]).astype(np.float32))
    assert first.dtype == np.float32


def test_statements_take_the_vectors_the_embed_stage_made():
    calls: list[str] = []
    texts = ["we need credit for cooperatives", "the law must change"]
    stage_vectors = np.eye(2, 64, dtype=np.float32)  # not what encode would give
    backend = order_free_backend(counting_encode(calls), known=(texts, stage_vectors))
    out = backend.embed(["the law must change", "credit"])
    assert calls == ["credit"]
    np.testing.assert_array_equal(out[0], stage_vectors[1])


def test_nothing_to_embed_gives_an_empty_matrix():
    assert order_free_backend(hashing_encode).embed([]).shape[0] == 0


def test_texts_encoded_once_are_read_from_the_vector_cache_without_loading_the_model(repo_root, tmp_path):
    """The topics stages' encoder (`--vector-cache`): the same bits as a fresh encoding, no weights loaded."""
    from pipeline.embed.reuse import embed_stage_encoder

    params = repo_root / "params.yaml"
    texts = ["Access to credit for cooperatives", "A framework law for the social economy", "credit", "law"]
    fresh = embed_stage_encoder(params).encode(texts)
    first = embed_stage_encoder(params, cache_dir=tmp_path)
    assert np.array_equal(first.encode(texts), fresh)
    again = embed_stage_encoder(params, cache_dir=tmp_path)
    assert np.array_equal(again.encode(texts[::-1]), fresh[::-1])
    assert not again.encoder.loaded
