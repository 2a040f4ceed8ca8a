"""QMSum committee meetings (../shared/corpora/qmsum_committee) as statement sequences.

Each meeting is a JSON file with `meeting_transcripts` (speaker, content) in turn
order and `topic_list`, human-written topics over utterance spans
(`relevant_text_span`: inclusive [start, end] index pairs, as strings).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "qmsum_committee"


@dataclass(frozen=True)
class Meeting:
    name: str
    speakers: tuple[str, ...]
    texts: tuple[str, ...]
    spans: tuple[tuple[tuple[int, int], ...], ...]  # per human topic: its inclusive (start, end) spans


def load_meetings(corpus: Path) -> list[Meeting]:
    files = sorted(corpus.glob("*.json"))
    if not files:
        raise SystemExit(f"error: {corpus}: no meeting JSON files (pass --corpus)")
    meetings = []
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        turns = data["meeting_transcripts"]
        spans = tuple(
            tuple((int(a), int(b)) for a, b in topic["relevant_text_span"]) for topic in data["topic_list"]
        )
        meetings.append(Meeting(
            name=path.stem,
            speakers=tuple(str(t["speaker"]) for t in turns),
            texts=tuple(str(t["content"]).strip() or "(no words)" for t in turns),
            spans=spans,
        ))
    return meetings


def meeting_embeddings(meetings: list[Meeting], cache_dir: Path) -> dict[str, np.ndarray]:
    """Every utterance embedded with the embed stage's model and settings (params.yaml `embed`), cached."""
    from pipeline.embed import EmbedParams, embed_arbitrary_texts
    from pipeline.params import load_section

    params = load_section(REPO / "params.yaml", "embed", EmbedParams)
    texts = [t for m in meetings for t in m.texts]
    vectors = embed_arbitrary_texts(texts, params, cache_dir=cache_dir)
    out: dict[str, np.ndarray] = {}
    start = 0
    for m in meetings:
        out[m.name] = vectors[start : start + len(m.texts)]
        start += len(m.texts)
    return out
