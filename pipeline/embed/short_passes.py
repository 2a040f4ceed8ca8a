"""Whether a forward pass may hold fewer rows than `pass_rows`, on this machine: checked, not assumed.

Every pass of one length has `pass_rows` rows so that a text's vector cannot depend on how
many texts share its length (encode.py): on some CPUs the kernels sum in an order that
follows the shape of the matrix product (bfloat16 everywhere; float32 on the AVX-512/AMX
machines of the earlier runs). On others (float32 on AVX2, measured) a pass of 1, 3 or 40
rows gives each text the very bits it gets in a full pass. There the rows filled with copies
are pure waste: a run that adds a few hundred texts spread over a hundred lengths computes
about 7x the word pieces it needs.

`short_passes_exact` finds out which machine this is. It encodes passes of random word
pieces at lengths from 4 to the model's limit, each full and then cut to fewer rows (down to
the `MIN_BATCH_TOKENS` floor, taken from either end of the full pass, so positions move),
through the same `encode_passes` (threads, precision) the texts go through, and compares
the bits. Only if every cut row equals its full-pass row may the last pass of a
length be short. The answer is kept on the encoder for the process, and by the embed stage
beside its vector cache (`VectorCache.write_checks`), so a machine is checked once. The check
encodes about 24,000 word pieces (about 5 s on two cores), so `embed_texts` runs it only when short
passes would skip at least `WORTH` times that.

What it does not prove: that a shape it did not try sums like the ones it did. It tries the
shapes where kernels change path (a handful of rows, the floor, half a pass, one row short
of full) at five lengths; `tests/test_embed_short_passes.py` checks real texts, cold against
incremental, bit for bit, on the machine the tests run on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.embed.model import Encoder
from pipeline.embed.settings import MIN_BATCH_TOKENS

log = logging.getLogger(__name__)

# Lengths (word pieces, special tokens included) the check tries; the last is the model's limit.
PROBE_LENGTHS = (4, 16, 37, 100)
# Short passes are worth checking when they would skip this many times the check's word pieces.
WORTH = 2


def short_rows(length: int, texts: int, full_rows: int, min_tokens: int = MIN_BATCH_TOKENS) -> int:
    """Rows of a short last pass of `texts` texts of `length` word pieces: the texts, at least
    `min_tokens` word pieces (filled with copies up to that), never more than a full pass."""
    return min(full_rows, max(texts, -(-min_tokens // max(length, 1))))


def _probe_parts(length: int, full_rows: int) -> list[slice]:
    """The rows of a full pass each short pass of the check takes: the fewest (from either end, so
    positions move), one more, half and one, all but one."""
    floor = short_rows(length, 1, full_rows)
    rows = sorted({r for r in (floor, floor + 1, full_rows // 2 + 1, full_rows - 1) if floor <= r < full_rows})
    parts = [slice(0, r) for r in rows]
    return parts + [slice(full_rows - floor, full_rows)] if floor < full_rows else parts


def _probe_items(encoder: Encoder, length: int, rows: int, rng: np.random.Generator) -> list[Any]:
    """`rows` model inputs of `length` word pieces: [CLS], random vocabulary, [SEP]."""
    rest, arrays = encoder.tokenize(["probe"]).items[0]
    vocabulary = int(getattr(encoder.tokenizer, "vocab_size", 30000))
    items = []
    for _ in range(rows):
        made = {}
        for key, a in arrays.items():
            if key == "input_ids":
                middle = rng.integers(1000, vocabulary, size=length - 2, dtype=np.int64).astype(a.dtype)
                made[key] = np.concatenate([a[:1], middle, a[-1:]])
            else:
                made[key] = np.full(length, a[0], dtype=a.dtype)
        items.append((rest, made))
    return items


def probe_word_pieces(encoder: Encoder, pass_rows_of: Any) -> int:
    """Word pieces the check encodes (to weigh it against what short passes would save)."""
    total = 0
    for length in (*PROBE_LENGTHS, encoder.max_tokens):
        full = pass_rows_of(length)
        total += length * (full + sum(part.stop - part.start for part in _probe_parts(length, full)))
    return total


@lru_cache(maxsize=1)
def _cpu() -> str:
    """This CPU's make, model and instruction sets (what decides which kernels run)."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            name, sep, value = line.partition(":")
            if sep:
                fields.setdefault(name.strip().lower(), value.strip())  # the first CPU's
    except OSError:  # not Linux: what the platform says
        pass
    named = [fields.get(k, "") for k in ("vendor_id", "model name", "cpu implementer", "cpu part", "flags", "features")]
    return " | ".join([platform.machine(), platform.processor(), *named])


def check_key(encoder: Encoder, pass_rows_of: Any) -> str:
    """What the check's answer depends on: the CPU, torch, the encoder's settings and the pass shapes.
    Answers are kept under it on the encoder, and by the embed stage beside its vector cache."""
    import torch

    shapes = [(n, pass_rows_of(n)) for n in (*PROBE_LENGTHS, encoder.max_tokens)]
    what = [_cpu(), torch.__version__, encoder.fingerprint, encoder.backend, encoder.precision, encoder.threads,
            shapes, MIN_BATCH_TOKENS]
    return "short_passes:" + hashlib.sha256(json.dumps(what).encode()).hexdigest()[:24]


def short_passes_exact(encoder: Encoder, pass_rows_of: Any) -> bool:
    """True when, on this machine and encoder, a pass cut to fewer rows gives each of its texts the
    bits of the full pass (`pass_rows_of(length)` rows). Torch backend only; kept per encoder."""
    key = check_key(encoder, pass_rows_of)
    known = encoder.checks.get(key)
    if known is not None:
        return known
    if encoder.backend != "torch":  # its runner pads and batches texts itself: never cut
        encoder.checks[key] = False
        return False
    exact = _check(encoder, pass_rows_of)
    encoder.checks[key] = exact
    log.info("short forward passes %s on this machine (checked bit for bit at %d lengths)",
             "give the full passes' vectors: the last pass of each length holds only its texts" if exact
             else "change vectors: every pass of one length keeps its full shape", len(PROBE_LENGTHS) + 1)
    return exact


def _check(encoder: Encoder, pass_rows_of: Any) -> bool:
    rng = np.random.default_rng(0)
    passes: list[list[Any]] = []
    expected: list[tuple[int, int, slice]] = []  # (full pass index, short pass index, full rows compared)
    for length in (*PROBE_LENGTHS, encoder.max_tokens):
        full_rows = pass_rows_of(length)
        items = _probe_items(encoder, length, full_rows, rng)
        full_at = len(passes)
        passes.append(items)
        for part in _probe_parts(length, full_rows):
            expected.append((full_at, len(passes), part))
            passes.append(items[part])
    vectors = list(encoder.encode_passes(passes))
    return all(np.array_equal(vectors[short], vectors[full][part]) for full, short, part in expected)
