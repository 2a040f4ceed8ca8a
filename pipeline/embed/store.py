"""The embed stage's outputs: a float32 matrix beside the ids of its rows.

`embeddings.npy` holds row i for the statement whose `row` is i in
`embedding_ids.csv` (EMBEDDING_IDS contract). Later stages read them through
`load_embeddings`, which aligns rows to the statements they hold and refuses
embeddings that no longer match them (stale outputs) with a one-line message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.contract import EMBEDDING_IDS
from pipeline.errors import InputError
from pipeline.tableio import read_table, write_table


def embedding_ids_frame(statement_ids: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({"statement_id": list(statement_ids), "row": range(len(statement_ids))})


def write_embeddings(vectors: np.ndarray, statement_ids: Sequence[str], vectors_path: str | Path, ids_path: str | Path) -> None:
    """Write the matrix (float32) and its row ids; byte-identical for identical vectors."""
    if len(vectors) != len(statement_ids):
        raise ValueError(f"{len(vectors)} vectors for {len(statement_ids)} statements")
    vectors_path = Path(vectors_path)
    vectors_path.parent.mkdir(parents=True, exist_ok=True)
    with open(vectors_path, "wb") as fh:
        np.save(fh, np.ascontiguousarray(vectors, dtype=np.float32), allow_pickle=False)
    write_table(embedding_ids_frame(statement_ids), ids_path, EMBEDDING_IDS)


def load_embeddings(vectors_path: str | Path, ids_path: str | Path, statement_ids: Sequence[str]) -> np.ndarray:
    """The vectors of `statement_ids`, in that order.

    Raises InputError when the files are missing or unreadable, disagree with
    each other, or lack vectors for some of the statements (run `dvc repro`).
    """
    vectors_path = Path(vectors_path)
    if not vectors_path.exists():
        raise InputError(vectors_path, "file not found (run the embed stage: dvc repro)")
    try:
        # memory-mapped: a million 384-wide vectors (1.5 GB) are paged in as read, not copied
        vectors = np.load(vectors_path, allow_pickle=False, mmap_mode="r")
    except (OSError, ValueError) as exc:
        raise InputError(vectors_path, f"not a readable .npy matrix ({exc})") from None
    if vectors.ndim != 2:
        raise InputError(vectors_path, f"expected a 2-D matrix, found shape {vectors.shape}")
    ids = read_table(ids_path, EMBEDDING_IDS)
    rows = ids["row"].astype(int).to_numpy()
    if len(ids) != len(vectors) or sorted(rows.tolist()) != list(range(len(vectors))):
        raise InputError(ids_path, f"lists {len(ids)} rows but {vectors_path} holds {len(vectors)} vectors (stale embeddings: rerun dvc repro)")
    row_of = dict(zip(ids["statement_id"], rows))
    missing = [s for s in statement_ids if s not in row_of]
    if missing:
        raise InputError(
            ids_path,
            f"no vector for {len(missing)} statement(s), e.g. {missing[0]!r} (stale embeddings: rerun dvc repro)",
        )
    order = np.fromiter((row_of[s] for s in statement_ids), dtype=np.int64, count=len(statement_ids))
    if len(order) == len(vectors) and (order == np.arange(len(vectors))).all():
        return vectors  # the usual case, rows already in statements.csv order: no copy
    return np.asarray(vectors[order], dtype=np.float32)


def model_record(encoder: object) -> dict[str, object]:
    """Which model made the vectors: its params name, content fingerprint, vector width, and the
    backend and precision that ran it (`precision: auto` resolves by the CPU)."""
    return {"model": encoder.name, "fingerprint": encoder.fingerprint, "dimension": int(encoder.dimension),
            "backend": encoder.backend, "precision": encoder.precision}


def write_model_record(record: dict[str, object], path: str | Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_model_record(path: str | Path) -> dict[str, object]:
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "file not found (run the embed stage: dvc repro)") from None
    except ValueError as exc:
        raise InputError(path, f"not valid JSON ({exc})") from None
    if not isinstance(record, dict) or not {"model", "fingerprint"} <= set(record):
        raise InputError(path, "lacks the model name or fingerprint (stale embeddings: rerun dvc repro)")
    return record


def require_same_model(record: dict[str, object], encoder: object, *, vectors_source: object, encoder_source: object) -> None:
    """Refuse to mix vectors of one model with texts embedded by another (same width or not)."""
    if record["fingerprint"] != encoder.fingerprint:
        raise InputError(
            vectors_source,
            f"the vectors were made by model {record['model']!r} (fingerprint {str(record['fingerprint'])[:12]}) "
            f"but {encoder_source} gives {encoder.name!r} (fingerprint {encoder.fingerprint[:12]}): "
            f"rerun the embed stage (dvc repro)",
        )
