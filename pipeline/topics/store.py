"""The fitted topic model on disk: BERTopic with safetensors (never pickle), plus its labels.

BERTopic's own config would name the sentence-transformers model, and loading
it would then ask the model hub for that name before any local encoder is
passed. So the BERTopic config names no model; `encoder.json` beside it names
the embed stage's model by its params name and content fingerprint (the same
on every checkout), and loading resolves that name offline, checks the
fingerprint, and hands the local encoder to BERTopic.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from pipeline.errors import InputError

log = logging.getLogger(__name__)

LABELS_FILE = "topic_labels.json"
ENCODER_FILE = "encoder.json"


def save_model(model: object | None, labels: dict, model_dir: Path, encoder: object) -> None:
    """Save the fitted BERTopic with safetensors (never pickle), its labels and its encoder's record."""
    from pipeline.embed.store import model_record, write_model_record

    model_dir = Path(model_dir)
    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)
    if model is not None:
        bertopic_log = logging.getLogger("BERTopic")
        level = bertopic_log.level
        bertopic_log.setLevel(logging.ERROR)  # its warning asks for the model name we keep in encoder.json
        try:
            model.save(str(model_dir), serialization="safetensors", save_ctfidf=True, save_embedding_model=False)
        finally:
            bertopic_log.setLevel(level)
        write_model_record(model_record(encoder), model_dir / ENCODER_FILE)
    write_labels(labels, model_dir)


def load_model(model_dir: str | Path) -> Any | None:
    """The saved BERTopic with its encoder found offline; None when the folder holds no fitted model."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise InputError(model_dir, "topic model folder not found (run the topics stage: dvc repro)")
    if not any(model_dir.glob("*.safetensors")):
        log.info("%s holds no fitted BERTopic model", model_dir)
        return None
    from bertopic import BERTopic

    from pipeline.embed.model import load_encoder
    from pipeline.embed.store import read_model_record, require_same_model

    record_path = model_dir / ENCODER_FILE
    record = read_model_record(record_path)
    encoder = load_encoder(str(record["model"]), source=record_path)
    require_same_model(record, encoder, vectors_source=record_path, encoder_source="this machine's copy")
    try:
        return BERTopic.load(str(model_dir), embedding_model=encoder.model)
    except Exception as exc:  # a model from another BERTopic version, a truncated file
        raise InputError(model_dir, f"cannot load the BERTopic model ({exc.__class__.__name__}: {exc})") from None


def write_labels(labels: dict, model_dir: Path) -> None:
    (Path(model_dir) / LABELS_FILE).write_text(json.dumps(labels, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
