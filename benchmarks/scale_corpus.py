"""N distinct real statements for the scale benchmark, from ../shared/corpora.

Sources (read-only, never copied into the project):
* qmsum_committee: the 36 committee meetings' utterances, split into sentences,
  each with its speaker;
* cap_sotu: the 6,434 State of the Union quasi-sentences, each with its president.

Statements are, in this order, until N are reached: every sentence alone; two
consecutive sentences of one speaker's turn joined; three consecutive; then
pairs of sentences drawn at random (seeded) from the whole pool. Every text is
distinct (duplicates are skipped), so the vector cache cannot serve any
statement twice. Statements are grouped into reports ("sessions") of
`per_report` statements, each written as a "Name: text" transcript.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
SPACE = re.compile(r"\s+")
PAREN = re.compile(r"\s*\(.*$")
TITLE = re.compile(r"^(The Chair|The Acting Chair|The Vice-Chair|Hon\.|Rt\. Hon\.|Right Hon\.|Mr\.|Ms\.|Mrs\.|Dr\.)\s*")
MIN_WORDS = 4


@dataclass(frozen=True)
class Sentence:
    speaker: str
    text: str
    turn: int  # sentences of one turn (utterance, or CAP address) share it


def clean_speaker(raw: str) -> str:
    """A plain "First Last" from "The Chair (Hon. Anthony Rota (Nipissing, Lib.))" or "Ms. Jenny Kwan"."""
    raw = SPACE.sub(" ", raw).strip()
    inner = re.match(r"^The (?:Acting )?Chair \((.*)\)$", raw)
    if inner:
        raw = inner.group(1)
    name = PAREN.sub("", raw)
    while TITLE.match(name):
        name = TITLE.sub("", name, count=1)
    words = [w for w in re.findall(r"[A-Za-zÀ-ÿ'\-]+", name) if w[0].isupper()]
    return " ".join(words[:3]) or "Member"


def split_sentences(text: str) -> list[str]:
    text = SPACE.sub(" ", text).strip()
    return [s.strip() for s in SENTENCE_END.split(text) if len(s.split()) >= MIN_WORDS]


def sentences(shared: Path) -> list[Sentence]:
    """Every sentence of both corpora, in a fixed order (files sorted, then document order)."""
    qmsum = shared / "corpora" / "qmsum_committee"
    cap = shared / "corpora" / "cap_sotu" / "df_cap_sotu_test.csv"
    if not qmsum.is_dir() or not cap.is_file():
        raise SystemExit(f"error: {shared}/corpora: qmsum_committee/ or cap_sotu/ not found (pass --shared)")
    out: list[Sentence] = []
    turn = 0
    for path in sorted(qmsum.glob("*.json")):
        for utterance in json.loads(path.read_text(encoding="utf-8"))["meeting_transcripts"]:
            speaker = clean_speaker(str(utterance.get("speaker", "")))
            for s in split_sentences(str(utterance.get("content", ""))):
                out.append(Sentence(speaker, s, turn))
            turn += 1
    frame = pd.read_csv(cap, usecols=["president", "text_original", "doc_id"])
    for row in frame.itertuples(index=False):
        for s in split_sentences(str(row.text_original)):
            out.append(Sentence(clean_speaker(str(row.president)), s, turn + int(row.doc_id)))
    return out


def _joined(pool: list[Sentence], width: int) -> Iterator[Sentence]:
    for i in range(len(pool) - width + 1):
        group = pool[i : i + width]
        if len({s.turn for s in group}) == 1:
            yield Sentence(group[0].speaker, " ".join(s.text for s in group), group[0].turn)


def _random_pairs(pool: list[Sentence], seed: int) -> Iterator[Sentence]:
    rng = np.random.default_rng(seed)
    while True:
        first, second = rng.integers(0, len(pool), size=(2, 65536))
        for i, j in zip(first.tolist(), second.tolist()):
            if i != j:
                yield Sentence(pool[i].speaker, f"{pool[i].text} {pool[j].text}", pool[i].turn)


def distinct_statements(n: int, shared: Path, seed: int = 0) -> list[Sentence]:
    """`n` statements with distinct texts (see the module docstring for how they are made)."""
    pool = sentences(shared)
    seen: set[str] = set()
    out: list[Sentence] = []
    for source in (iter(pool), _joined(pool, 2), _joined(pool, 3), _random_pairs(pool, seed)):
        for s in source:
            if len(out) >= n:
                return out
            if s.text not in seen:
                seen.add(s.text)
                out.append(s)
    return out


def write_transcripts(rows: list[Sentence], folder: Path, per_report: int, prefix: str = "session") -> list[Path]:
    """One "Name: text" transcript (.txt) per `per_report` statements, each statement a paragraph.

    A title and a heading ("Statements from the floor") open each report: without
    a heading the segment stage reads the first turns of an unknown speaker as
    header lines (it cannot tell a name from a title before it knows the roster).
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, start in enumerate(range(0, len(rows), per_report)):
        path = folder / f"{prefix}_{k:05d}.txt"
        lines = [f"Committee sitting {prefix} {k + 1}\n\nStatements from the floor\n\n"]
        lines += [f"{s.speaker}: {s.text}\n\n" for s in rows[start : start + per_report]]
        path.write_text("".join(lines), encoding="utf-8")
        paths.append(path)
    return paths


def default_shared(repo: Path) -> Path:
    """../shared beside the project (a clone), or two levels up (a git worktree under wt/)."""
    for candidate in (repo.parent / "shared", repo.parent.parent / "shared"):
        if (candidate / "corpora").is_dir():
            return candidate
    return repo.parent / "shared"
