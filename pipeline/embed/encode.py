"""Texts to vectors: the embed stage's core, with no file I/O.

Long statements. The model reads at most `encoder.max_tokens` word pieces (256
for all-MiniLM-L6-v2, 2 of them special tokens) and silently drops the rest.
With the default strategy, `windows`, a longer text is cut at word boundaries
into windows of `window_tokens` word pieces that overlap by `overlap_tokens`;
each window is encoded, the L2-normalised window vectors are averaged, and the
mean is normalised again (when `normalize` is on). So every word of a long
statement counts, and a text that fits keeps exactly its ordinary vector. With
`truncate`, the model reads the first word pieces only; `find_long_texts` lets
the caller warn about those texts by name.

Determinism. Each distinct text is encoded once per call, in batches of texts
with the same number of word pieces (`equal_length_batches`): nothing is
padded, and every batch of one length has the same number of rows
(`pass_rows`, a function of the length and the batch limits alone; a batch short
of texts is filled with copies of its first text), so every text goes through
matrix products of one shape and its vector is bit for bit the same whatever its
neighbours or order, and a vector read from the cache equals a fresh one. (The
shape matters: in bfloat16, and in float32 beyond a few dozen rows, the kernels
sum in an order that follows it.) (With
padded batches they differ by ~2e-7, which is enough to move UMAP and change the
topic tables between a cold run and a cached one.) Where this machine gives a pass of fewer
rows the very bits of the full pass (`short_passes.short_passes_exact`, checked, not assumed),
the last pass of each length holds only its texts: a run adding a few hundred texts over a
hundred lengths then computes about a quarter of the word pieces. Measured on 480 CAP
sentences, length buckets are also faster than padded batches of 32 (3.5 s vs
4.5 s, one thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from pipeline.embed.model import SPECIAL_TOKENS, Encoder, Tokenized
from pipeline.embed.settings import MIN_BATCH_TOKENS, LongTextParams
from pipeline.embed.short_passes import WORTH, check_key, probe_word_pieces, short_passes_exact, short_rows

log = logging.getLogger(__name__)


def content_token_limit(encoder: Encoder) -> int:
    """Word pieces of a text the model reads, special tokens excluded."""
    return encoder.max_tokens - SPECIAL_TOKENS


# Texts tokenised at once when counting word pieces: a fast tokenizer's output keeps every
# token's string, offsets and masks, about 10 kB per statement, so a corpus is counted in chunks.
_COUNT_CHUNK = 4096


def count_tokens(texts: Sequence[str], tokenizer: Any) -> list[int]:
    """Word pieces of each text, without special tokens and without cutting."""
    counts: list[int] = []
    for k in range(0, len(texts), _COUNT_CHUNK):
        chunk = list(texts[k : k + _COUNT_CHUNK])
        ids = tokenizer(chunk, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        counts.extend(len(x) for x in ids)
    return counts


def find_long_texts(texts: Sequence[str], encoder: Encoder) -> list[int]:
    """Indices of the texts longer than the model reads."""
    limit = content_token_limit(encoder)
    return [i for i, n in enumerate(count_tokens(texts, encoder.tokenizer)) if n > limit]


def split_into_windows(text: str, tokenizer: Any, *, window_tokens: int, overlap_tokens: int) -> list[str]:
    """Cut `text` into overlapping pieces of at most `window_tokens` word pieces.

    Window edges fall on word starts, so no word is split, unless one word is
    longer than half a window. A text that fits comes back whole.
    """
    enc = tokenizer(text, add_special_tokens=False, truncation=False, return_offsets_mapping=True, verbose=False)
    offsets = enc["offset_mapping"]
    n = len(offsets)
    if n <= window_tokens:
        return [text]
    word_ids = enc.word_ids()
    starts_word = [i == 0 or word_ids[i] is None or word_ids[i] != word_ids[i - 1] for i in range(n)] + [True]

    def snap_back(i: int, floor: int) -> int:
        j = i
        while j > floor and not starts_word[j]:
            j -= 1
        return j if j > floor else i

    windows: list[str] = []
    start = 0
    while True:
        end = min(start + window_tokens, n)
        if end < n:
            end = snap_back(end, start + window_tokens // 2)
        windows.append(text[offsets[start][0] : offsets[end - 1][1]])
        if end >= n:
            return windows
        start = snap_back(end - overlap_tokens, start)


def pass_rows(length: int, batch_size: int, batch_tokens: int = 0, min_tokens: int = MIN_BATCH_TOKENS) -> int:
    """Rows of every forward pass of texts of `length` word pieces: a function of the length alone.

    At most `batch_size` texts and, when `batch_tokens` > 0, at most `batch_tokens` word pieces
    (texts x length), but never fewer than `min_tokens` word pieces (below about 16 the CPU
    kernels take another path). A pass short of texts is filled with copies up to this shape,
    so every text of one length goes through a matrix product of the same shape: in bfloat16,
    or in float32 beyond a few dozen rows, the kernels sum in an order that follows the shape,
    and a vector would otherwise depend on how many texts share its length.
    """
    rows = max(1, min(batch_size, batch_tokens // max(length, 1))) if batch_tokens > 0 else batch_size
    return max(rows, -(-min_tokens // max(length, 1)))


def equal_length_batches(lengths: Sequence[int], batch_size: int, batch_tokens: int = 0) -> list[list[int]]:
    """Indices grouped by token length, shortest first, `pass_rows` texts per batch at most.

    Texts of one batch have the same number of word pieces, so none is padded:
    a text's vector is then bit for bit the vector it gets when encoded alone,
    whatever its neighbours. Padded batches differ by float noise (~2e-7),
    enough to move UMAP and change the topic tables, and the vector cache
    would make that noise depend on the history of runs.
    """
    by_length: dict[int, list[int]] = {}
    for i, n in enumerate(lengths):
        by_length.setdefault(n, []).append(i)
    return [
        group[k : k + rows]
        for n in sorted(by_length)
        for group, rows in ((by_length[n], pass_rows(n, batch_size, batch_tokens)),)
        for k in range(0, len(group), rows)
    ]


def short_pass_rows(encoder: Encoder, batches: list[list[int]], lengths: Sequence[int], batch_size: int,
                    batch_tokens: int) -> Callable[[int, int], int]:
    """Rows of the pass of `texts` texts of one `length`: `pass_rows`, or only the texts (at least
    `MIN_BATCH_TOKENS` word pieces) where this machine gives short passes the same bits
    (`short_passes_exact`, checked only when the copies it would skip outweigh the check)."""
    def full(length: int, texts: int = 0) -> int:
        return pass_rows(length, batch_size, batch_tokens)

    copies = sum((full(lengths[b[0]]) - short_rows(lengths[b[0]], len(b), full(lengths[b[0]]))) * lengths[b[0]]
                 for b in batches)
    if not copies:
        return full
    unchecked = encoder.checks.get(check_key(encoder, full)) is None
    if (unchecked and copies < WORTH * probe_word_pieces(encoder, full)) or not short_passes_exact(encoder, full):
        return full
    log.info("%d word pieces of copies skipped (short last passes)", copies)
    return lambda length, texts: short_rows(length, texts, full(length))


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def embed_texts(
    texts: Sequence[str],
    encoder: Encoder,
    *,
    batch_size: int = 32,
    batch_tokens: int = 0,
    normalize: bool = True,
    long_text: LongTextParams = LongTextParams(),
    show_progress_bar: bool = False,
) -> np.ndarray:
    """One float32 vector per text (row i = texts[i]); equal texts get equal rows."""
    distinct = list(dict.fromkeys(texts))
    if not distinct:
        return np.zeros((0, encoder.dimension), dtype=np.float32)

    # Each distinct text becomes one or more pieces (windows) to encode; every piece is tokenised
    # once, and its forward pass reads those word pieces (`Encoder.tokenize`).
    tokens = encoder.tokenize(distinct)
    pieces_of: list[list[int]] = [[i] for i in range(len(distinct))]
    if long_text.strategy == "windows":
        window = min(long_text.window_tokens, content_token_limit(encoder))
        overlap = min(long_text.overlap_tokens, window // 2 - 1)
        cut = [i for i, n in enumerate(tokens.lengths) if n >= encoder.max_tokens]  # perhaps cut by the model
        exact = count_tokens([distinct[i] for i in cut], encoder.tokenizer)
        long = [i for i, n in zip(cut, exact) if n > content_token_limit(encoder)]
        if long:
            windows = [split_into_windows(distinct[i], encoder.tokenizer, window_tokens=window, overlap_tokens=overlap)
                       for i in long]
            extra = encoder.tokenize([w for pieces in windows for w in pieces])
            start = len(distinct)
            items, lengths = list(tokens.items) + extra.items, list(tokens.lengths) + extra.lengths
            for i, pieces in zip(long, windows):
                pieces_of[i] = list(range(start, start + len(pieces)))
                start += len(pieces)
            tokens = Tokenized(items, lengths)
            log.info("%d long text(s) split into windows of %d word pieces", len(long), window)

    flat = [k for pieces in pieces_of for k in pieces]
    lengths = [tokens.lengths[k] for k in flat]
    raw = np.empty((len(flat), encoder.dimension), dtype=np.float32)
    batches = equal_length_batches(lengths, batch_size, batch_tokens)
    rows_of = short_pass_rows(encoder, batches, lengths, batch_size, batch_tokens)

    def filled(batch: list[int]) -> list[Any]:
        rows = [tokens.items[flat[i]] for i in batch]
        return rows + [rows[0]] * (rows_of(lengths[batch[0]], len(batch)) - len(rows))

    done = zip(batches, encoder.encode_passes(map(filled, batches)))
    if show_progress_bar:
        from tqdm.auto import tqdm

        done = tqdm(done, total=len(batches), desc="embed", unit="batch")
    for batch, vectors in done:
        raw[batch] = vectors[: len(batch)]
    del tokens

    out = np.empty((len(distinct), raw.shape[1]), dtype=np.float32)
    row = 0
    for i, pieces in enumerate(pieces_of):
        k = len(pieces)
        out[i] = raw[row] if k == 1 else _unit(raw[row : row + k]).mean(axis=0)
        row += k
    if normalize:
        out = _unit(out).astype(np.float32)

    position = {t: i for i, t in enumerate(distinct)}
    return out[[position[t] for t in texts]]
