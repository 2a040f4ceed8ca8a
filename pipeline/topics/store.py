"""The fitted topic model on disk: BERTopic with safetensors (never pickle), plus its labels.

The model's config names its sentence-transformers model by the params name
(`topics.encoder`, e.g. "all-MiniLM-L6-v2"), not by the folder it was found in
on this machine, so the saved folder is the same on every checkout; loading
resolves that name offline the way the embed stage does.
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


def save_model(model: object | None, labels: dict, model_dir: Path, embedding_model_name: str) -> None:
    """Save the fitted BERTopic with safetensors (never pickle) plus its labels as JSON."""
    model_dir = Path(model_dir)
    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)
    if model is not None:
        model.save(str(model_dir), serialization="safetensors", save_ctfidf=True,
                   save_embedding_model=embedding_model_name)
    (model_dir / LABELS_FILE).write_text(json.dumps(labels, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                                         encoding="utf-8")


def load_model(model_dir: str | Path) -> Any | None:
    """The saved BERTopic, its encoder resolved offline; None when the folder holds no fitted model."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise InputError(model_dir, "topic model folder not found (run the topics stage: dvc repro)")
    if not any(model_dir.glob("*.safetensors")):
        log.info("%s holds no fitted BERTopic model", model_dir)
        return None
    from bertopic import BERTopic

    from pipeline.embed.model import load_encoder

    try:
        name = json.loads((model_dir / "config.json").read_text(encoding="utf-8")).get("embedding_model")
    except (OSError, ValueError) as exc:
        raise InputError(model_dir / "config.json", f"unreadable BERTopic config ({exc})") from None
    encoder = load_encoder(name, source=model_dir / "config.json").model if name else None
    try:
        return BERTopic.load(str(model_dir), embedding_model=encoder)
    except Exception as exc:  # a model from another BERTopic version, a truncated file
        raise InputError(model_dir, f"cannot load the BERTopic model ({exc.__class__.__name__}: {exc})") from None
