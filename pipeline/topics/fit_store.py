"""The `topic_fit` stage's folder: its tables before corrections, the model, and the record that extends it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from pipeline.errors import InputError
from pipeline.topics.store import LABELS_FILE, save_model, write_labels

FIT_FILE = "fit.json"
FIT_MODEL = "model"
FIT_STATEMENT_THEMES = "statement_themes.csv"
FIT_TOPICS = "topics.csv"


def save_fit(result: Any, record: dict, fit_dir: Path, encoder: object) -> None:
    """The `topic_fit` stage's output: its tables (before corrections), the model, and what extends it (`kept.py`)."""
    from pipeline.contract import STATEMENT_THEMES, TOPICS
    from pipeline.tableio import write_table

    fit_dir = Path(fit_dir)
    save_model(result.model, result.labels, fit_dir / FIT_MODEL, encoder)
    write_table(result.statement_themes, fit_dir / FIT_STATEMENT_THEMES, STATEMENT_THEMES)
    write_table(result.topics, fit_dir / FIT_TOPICS, TOPICS)
    words = result.words
    profiles = result.profiles or {}
    topics = {
        str(t): {"label": words.label[t], "words": words.words[t], "pos": words.pos[t],
                 "profile": [float(x) for x in profiles[t]] if t in profiles else None}
        for t in (sorted(words.label) if words is not None else [])
    }
    doc = {"fit_path": result.fit_path, "record": record, "topics": topics}
    (fit_dir / FIT_FILE).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_fit(fit_dir: Path) -> Any:
    """The kept fit the `topic_fit` stage wrote (`save_fit`), as a `kept.KeptFit`."""
    import numpy as np

    from pipeline.contract import STATEMENT_THEMES, TOPICS
    from pipeline.tableio import read_table
    from pipeline.topics.core import TopicWords
    from pipeline.topics.kept import KeptFit

    fit_dir = Path(fit_dir)
    doc = _read_json(fit_dir / FIT_FILE, "run the topic_fit stage: dvc repro")
    labels = _read_json(fit_dir / FIT_MODEL / LABELS_FILE, "run the topic_fit stage: dvc repro")
    try:
        topics = {int(t): v for t, v in doc["topics"].items()}
        words = TopicWords({t: str(v["label"]) for t, v in topics.items()},
                           {t: [str(w) for w in v["words"]] for t, v in topics.items()},
                           {t: [str(w) for w in v["pos"]] for t, v in topics.items()})
        profiles = {t: np.asarray(v["profile"], dtype=np.float64) for t, v in topics.items() if v["profile"] is not None}
        fit_path, record = str(doc["fit_path"]), dict(doc["record"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(fit_dir / FIT_FILE, f"not a topic fit record ({exc.__class__.__name__}: {exc}): "
                                             "run the topic_fit stage again (dvc repro)") from None
    return KeptFit(read_table(fit_dir / FIT_STATEMENT_THEMES, STATEMENT_THEMES), read_table(fit_dir / FIT_TOPICS, TOPICS),
                   labels, profiles, words, fit_path, record)


def copy_model(fit_dir: Path, labels: dict, model_dir: Path) -> None:
    """The kept fit's model, as the `topics` stage's output, with the labels of this run (themes, corrections)."""
    model_dir = Path(model_dir)
    if model_dir.exists():
        shutil.rmtree(model_dir)
    shutil.copytree(Path(fit_dir) / FIT_MODEL, model_dir)
    write_labels(labels, model_dir)


def _read_json(path: Path, hint: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, f"file not found ({hint})") from None
    except ValueError as exc:
        raise InputError(path, f"not valid JSON ({exc})") from None

