"""The ONNX Runtime backend: exported locally from the same weights, same vectors as torch."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.embed.encode import embed_texts
from pipeline.embed.model import load_encoder
from pipeline.embed.onnx_backend import model_layout, quantize_int8
from pipeline.errors import InputError

TEXTS = [
    "The social economy is a vehicle for sustainable development.",
    "Cooperatives need access to finance.",
    "How do we scale?",
    "Public procurement can favour social enterprises, and municipalities are learning how to write the rules.",
]


def test_default_model_layout_is_exportable():
    from pipeline.embed.model import resolve_model

    assert model_layout(resolve_model("all-MiniLM-L6-v2")) == (256, False, True)


def test_models_without_mean_pooling_are_refused(tmp_path):
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(
        json.dumps([{"type": "sentence_transformers.models.Transformer"}, {"type": "sentence_transformers.models.Pooling"}]),
        encoding="utf-8",
    )
    (tmp_path / "1_Pooling" / "config.json").write_text('{"pooling_mode_cls_token": true}', encoding="utf-8")
    with pytest.raises(InputError, match="mean pooling only.*use backend: torch"):
        model_layout(tmp_path)
    (tmp_path / "modules.json").write_text(json.dumps([{"type": "x.Dense"}]), encoding="utf-8")
    with pytest.raises(InputError, match="Transformer \\+ Pooling"):
        model_layout(tmp_path)


def test_unknown_backend_is_refused():
    with pytest.raises(InputError, match="unknown backend 'tpu'"):
        load_encoder(backend="tpu")


@pytest.mark.slow
def test_onnx_vectors_match_torch_and_the_export_is_reused(embed_encoder, tmp_path):
    reference = embed_texts(TEXTS, embed_encoder)
    onnx = load_encoder(backend="onnx", cache_dir=tmp_path)
    vectors = embed_texts(TEXTS, onnx, batch_size=2)
    assert onnx.onnx_path().is_file() and str(onnx.onnx_path()).startswith(str(tmp_path))
    assert np.abs(vectors - reference).max() <= 1e-5
    assert float((vectors * reference).sum(axis=1).min()) >= 0.9999
    np.testing.assert_allclose(embed_texts(TEXTS[::-1], onnx, batch_size=3)[::-1], vectors, atol=1e-6)

    again = load_encoder(backend="onnx", cache_dir=tmp_path)
    np.testing.assert_allclose(embed_texts(TEXTS, again), vectors, atol=1e-6)
    assert again._model is None  # graph and tokenizer only: no torch weights loaded


@pytest.mark.slow
def test_int8_quantisation_runs_but_moves_vectors(embed_encoder, tmp_path):
    from pipeline.embed.onnx_backend import OnnxRunner

    onnx = load_encoder(backend="onnx", cache_dir=tmp_path)
    embed_texts(TEXTS[:1], onnx)
    int8 = quantize_int8(onnx.onnx_path(), tmp_path / "int8.onnx")
    runner = OnnxRunner(int8, onnx.tokenizer, max_tokens=256, lowercase=False)
    raw = runner.encode(TEXTS, batch_size=4)
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    cosine = (raw * embed_texts(TEXTS, embed_encoder)).sum(axis=1)
    assert 0.5 < cosine.min() < 1 - 1e-4
