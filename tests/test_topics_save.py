"""The fitted model is saved with safetensors (no pickle), with its labels, and reloads."""

from __future__ import annotations

import json

import pytest

from pipeline.errors import InputError
from pipeline.topics.store import ENCODER_FILE, LABELS_FILE, load_model, save_model
from pipeline.topics.core import assign_topics_and_themes
from topics_helpers import fast_params, hashing_encode, mini_codebook, statements

PICKLE_SUFFIXES = (".pkl", ".pickle", ".bin", ".pt", ".joblib")


class RecordedEncoder:
    """What save_model records of an encoder: name, fingerprint, width, backend and precision."""

    def __init__(self, name="some-model", fingerprint="f" * 64, dimension=384):
        self.name, self.fingerprint, self.dimension = name, fingerprint, dimension
        self.backend, self.precision = "torch", "float32"


def fitted(n=40):
    st, _ = statements(n)
    return assign_topics_and_themes(st, hashing_encode(st["text"].tolist()), mini_codebook(), hashing_encode,
                                    fast_params(), None)


def test_saved_dir_holds_safetensors_and_labels_only(tmp_path):
    result = fitted()
    out = tmp_path / "topic_model"
    out.mkdir()
    (out / "stale.pkl").write_bytes(b"old")  # a previous run's leftovers are removed
    save_model(result.model, result.labels, out, RecordedEncoder())
    names = sorted(p.name for p in out.iterdir())
    assert "topic_embeddings.safetensors" in names and "ctfidf.safetensors" in names
    assert not [n for n in names if n.endswith(PICKLE_SUFFIXES)]
    labels = json.loads((out / LABELS_FILE).read_text(encoding="utf-8"))
    assert set(labels["topics"]) == {str(t) for t in result.topics["topic"]}
    assert labels["procedural_themes"] == ["procedural"]
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert "embedding_model" not in config  # BERTopic.load would ask the model hub for it
    record = json.loads((out / ENCODER_FILE).read_text(encoding="utf-8"))
    assert record == {"model": "some-model", "fingerprint": "f" * 64, "dimension": 384, "backend": "torch",
                      "precision": "float32"}


def test_no_statements_still_write_labels(tmp_path):
    save_model(None, {"topics": {}}, tmp_path / "m", RecordedEncoder())
    assert [p.name for p in (tmp_path / "m").iterdir()] == [LABELS_FILE]


@pytest.mark.slow
def test_saved_model_reloads_with_the_local_encoder(tmp_path):
    from pipeline.embed.model import load_encoder

    result = fitted()
    save_model(result.model, result.labels, tmp_path / "m", load_encoder("all-MiniLM-L6-v2"))
    record = json.loads((tmp_path / "m" / ENCODER_FILE).read_text(encoding="utf-8"))
    assert record["model"] == "all-MiniLM-L6-v2"  # a name, not this machine's folder
    loaded = load_model(tmp_path / "m")
    assert loaded.embedding_model is not None
    assert sorted(loaded.get_topics()) == sorted(result.model.get_topics())
    for topic in loaded.get_topics():
        assert [w for w, _ in loaded.get_topic(topic)] == [w for w, _ in result.model.get_topic(topic)]


def test_a_model_saved_with_another_encoder_is_refused_naming_both(tmp_path):
    result = fitted()
    save_model(result.model, result.labels, tmp_path / "m", RecordedEncoder("all-MiniLM-L6-v2", "0" * 64))
    with pytest.raises(InputError, match=r"made by model 'all-MiniLM-L6-v2' \(fingerprint 000000000000\).*gives 'all-MiniLM-L6-v2'"):
        load_model(tmp_path / "m")
