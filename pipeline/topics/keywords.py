"""Keyword evidence: the codebook's seed phrases read as keywords.

Why: an embedding of a whole statement can be pulled towards a broad theme by
its tone ("we ask you ...", "integrate society ...") while the statement names
the matter outright ("legislate", "funds"). Analysts write seeds as keywords,
so a statement that uses a theme's words (lemmatised: "funds" matches "fund")
gains evidence for that theme. Each hit adds `weight x idf` to the theme's
log-score: a word in the vocabulary of one theme only counts fully, a word
shared by every theme counts nothing. Statements without any hit keep their
scores unchanged.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from pipeline.codebook import Codebook
from pipeline.forkpool import exit_with_parent

log = logging.getLogger(__name__)

CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ"})
MIN_LENGTH = 3


def content_lemmas(nlp, texts: Iterable[str], keep: frozenset[str] | None = None) -> list[frozenset[str]]:
    """Each text's lowercased lemmas of content words (no stop words, numbers or short tokens).

    With `keep`, only the lemmas in `keep` are returned, and only the words that can
    have such a lemma (`surface_forms`) are tagged: a text without such a word skips
    the tagger, and with a pipeline of known reach (`context_radii`) each such word is
    tagged in a window of the tokens that can change its tag, then run through the
    attribute ruler and lemmatiser in the smaller window that can change its lemma.
    The result is the same as tagging every whole text and keeping those lemmas, at
    a fraction of the cost on a large corpus.
    """
    texts = list(texts)
    forms = surface_forms(nlp, keep) if keep is not None else None
    out: list[frozenset[str]] = [frozenset()] * len(texts)
    if forms is None:
        for i, doc in enumerate(nlp.pipe(texts, batch_size=256)):
            lemmas = frozenset(_lemma(t) for t in doc if _is_content(t))
            out[i] = lemmas if keep is None else lemmas & keep
        return out
    assert keep is not None
    radii = context_radii(nlp)
    tokenised = enumerate(nlp.tokenizer.pipe(texts, batch_size=1024))
    # CHUNK texts at a time; a chunk without any hit is skipped, not the end of the input
    for _ in range(0, len(texts), CHUNK):
        chunk = [(i, doc, hits) for i, doc in itertools.islice(tokenised, CHUNK)
                 if (hits := [t.i for t in doc if t.lower_ in forms])]
        if not chunk:
            continue
        if radii is None:
            tagged = [(i, doc, hits) for (i, _, hits), doc in zip(chunk, nlp.pipe([d for _, d, _ in chunk], batch_size=256))]
        else:
            tagged = _in_windows(nlp, chunk, radii)
        for i, doc, hits in tagged:
            out[i] = out[i] | frozenset(_lemma(doc[j]) for j in hits if _is_content(doc[j])) & keep
    return out


NONE: frozenset[str] = frozenset()
# texts tokenised at a time (bounds the windows held in memory)
CHUNK = 2048
BATCH = 256
# from this many texts `pooled_content_lemmas` uses worker processes; texts per task
POOL_FROM = 5000
POOL_CHUNK = 4000


def load_lemmatiser(name: str) -> Any:
    """spaCy with only what lemmas need (tagger, lemmatiser): the parser and NER are skipped for speed."""
    import spacy

    return spacy.load(name, disable=["parser", "ner"])


def pooled_content_lemmas(model: str, texts: Sequence[str], keep: frozenset[str], workers: int,
                          nlp: Any = None) -> list[frozenset[str]]:
    """`content_lemmas(load_lemmatiser(model), texts, keep)`, in `workers` processes for a large input.

    Each worker (a "spawn" process: no fork of a parent whose torch or numba threads
    run) loads the model once and returns the lemma sets of consecutive chunks of
    POOL_CHUNK texts, gathered in input order: a text's lemmas depend on it alone,
    so the result is the same whatever the number of workers. Below POOL_FROM texts,
    or with one worker, everything runs here (with `nlp` when given).
    """
    if workers < 1:
        raise ValueError(f"topics.lemma_workers must be at least 1, got {workers}")
    texts = list(texts)
    if workers == 1 or len(texts) < POOL_FROM:
        return content_lemmas(nlp if nlp is not None else load_lemmatiser(model), texts, keep)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunks = [texts[k:k + POOL_CHUNK] for k in range(0, len(texts), POOL_CHUNK)]
    workers = min(workers, len(chunks))
    log.info("keyword lemmas of %d statements in %d worker processes", len(texts), workers)
    out: list[frozenset[str]] = []
    # a worker that dies makes map() raise BrokenProcessPool (a multiprocessing.Pool would wait forever)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_start_worker, initargs=(model, keep, os.getpid())) as pool:
        for part in pool.map(_worker_lemmas, chunks):
            out.extend(lemmas or NONE for lemmas in part)  # one empty set, as in one process
    return out


_WORKER: dict[str, Any] = {}


def _start_worker(model: str, keep: frozenset[str], parent: int) -> None:
    exit_with_parent(parent)
    # a worker runs spaCy's tagger alone, on numpy: thinc would import torch only because it
    # is installed (0.2 GB more per worker, for nothing). A None entry makes that import fail.
    sys.modules.setdefault("torch", None)  # type: ignore[arg-type]
    _WORKER["nlp"], _WORKER["keep"] = load_lemmatiser(model), keep


def _worker_lemmas(texts: list[str]) -> list[frozenset[str]]:
    return content_lemmas(_WORKER["nlp"], texts, _WORKER["keep"])


def _in_windows(nlp, chunk: list[tuple[int, Any, list[int]]], radii: tuple[int, int]) -> list[tuple[int, Any, list[int]]]:
    """Tag each hit in a window of `tag_radius + rule_radius` tokens each side, then run the
    attribute ruler and lemmatiser on `rule_radius` tokens each side of it (both plus
    CONTEXT_MARGIN): (owner, window, hits in the window) for each final window."""
    tag_radius, rule_radius = radii
    steps = [(name, proc) for name, proc in nlp.pipeline]
    split = next((k for k, (name, _) in enumerate(steps) if name in RULE_STEPS), len(steps))
    owners, windows = [], []
    for i, doc, hits in chunk:
        for start, end, inside in _windows(hits, len(doc), tag_radius + rule_radius + CONTEXT_MARGIN):
            owners.append((i, inside))
            windows.append(doc if (start, end) == (0, len(doc)) else doc[start:end].as_doc())
    docs = _run(steps[:split], windows)
    owners2, windows2 = [], []
    for (i, hits), doc in zip(owners, docs):
        for start, end, inside in _windows(hits, len(doc), rule_radius + CONTEXT_MARGIN):
            owners2.append((i, inside))
            windows2.append(doc[start:end].as_doc())
    docs2 = _run(steps[split:], windows2)
    return [(i, doc, hits) for (i, hits), doc in zip(owners2, docs2)]


def _run(steps: list[tuple[str, Any]], docs: list) -> list:
    stream = iter(docs)
    for _, proc in steps:
        stream = proc.pipe(stream, batch_size=BATCH) if hasattr(proc, "pipe") else map(proc, stream)
    return list(stream)


def _is_content(token) -> bool:
    return token.pos_ in CONTENT_POS and not token.is_stop and token.is_alpha and len(token) >= MIN_LENGTH


def _lemma(token) -> str:
    return token.lemma_.lower()


def _windows(hits: list[int], length: int, radius: int) -> list[tuple[int, int, list[int]]]:
    """Token ranges [start, end) that cover every hit with `radius` tokens of context each side
    (overlapping ranges merged), each with its hits relative to its start."""
    out: list[tuple[int, int, list[int]]] = []
    for h in hits:
        start, end = max(0, h - radius), min(length, h + radius + 1)
        if out and start <= out[-1][1]:
            prev_start, _, inside = out[-1]
            out[-1] = (prev_start, end, [*inside, h - prev_start])
        else:
            out.append((start, end, [h - start]))
    return out


# spaCy tok2vec encoders whose receptive field is depth x window_size tokens each side
WINDOW_ENCODERS = ("spacy.MaxoutWindowEncoder.v1", "spacy.MaxoutWindowEncoder.v2",
                   "spacy.MishWindowEncoder.v1", "spacy.MishWindowEncoder.v2")
TAG_STEPS = ("tok2vec", "tagger")
RULE_STEPS = ("attribute_ruler", "lemmatizer")
# tokens of context added beyond each computed reach (a margin, not needed in theory)
CONTEXT_MARGIN = 2


def context_radii(nlp) -> tuple[int, int] | None:
    """How many tokens either side of a word can change its tag, and then its part of speech,
    morphology or lemma: (tag radius, rule radius).

    Known for a pipeline of exactly tok2vec (a window CNN: depth x window_size tokens
    each side, every input feature of one token alone) + tagger (one token's vector),
    then attribute ruler (patterns of at most L tokens: L - 1 each side) + rule
    lemmatiser (one token). None (tag whole texts) for any other pipeline: a parser,
    a transformer or an unknown component can look at the whole text.
    """
    if tuple(nlp.pipe_names) != (*TAG_STEPS, *RULE_STEPS):
        return None
    components = nlp.config.get("components", {})
    tagger = components.get("tagger", {}).get("model", {})
    if tagger.get("@architectures") not in ("spacy.Tagger.v1", "spacy.Tagger.v2") \
            or tagger.get("tok2vec", {}).get("@architectures") != "spacy.Tok2VecListener.v1":
        return None
    model = components.get("tok2vec", {}).get("model", {})
    encode = model.get("encode", {})
    if model.get("@architectures") not in ("spacy.Tok2Vec.v1", "spacy.Tok2Vec.v2") \
            or encode.get("@architectures") not in WINDOW_ENCODERS or model.get("embed", {}).get("include_static_vectors"):
        return None
    if getattr(nlp.get_pipe("lemmatizer"), "mode", None) != "rule":
        return None
    patterns = nlp.get_pipe("attribute_ruler").patterns
    longest = max((len(p) for rule in patterns for p in rule["patterns"]), default=1)
    return int(encode["depth"]) * int(encode["window_size"]), longest - 1


def surface_forms(nlp, lemmas: Iterable[str]) -> frozenset[str] | None:
    """Every lowercase word whose lemma, under any part of speech, can be one of `lemmas`.

    Read from the pipeline's rule lemmatiser (spaCy's English one): a word is its own
    lemma, an exception listed for it (paid -> pay), or the lemma with a suffix rule
    undone (funds -> fund). None when the pipeline lemmatises another way, or when its
    attribute ruler sets one of these lemmas itself: then every text must be tagged.
    """
    lemmas = {w.lower() for w in lemmas}
    if "lemmatizer" not in nlp.pipe_names or getattr(nlp.get_pipe("lemmatizer"), "mode", None) != "rule":
        return None
    if "attribute_ruler" in nlp.pipe_names:
        for pattern in nlp.get_pipe("attribute_ruler").patterns:
            lemma = pattern.get("attrs", {}).get("LEMMA")
            if isinstance(lemma, str) and lemma.lower() in lemmas:
                return None
    lookups = nlp.get_pipe("lemmatizer").lookups
    rules = lookups.get_table("lemma_rules", {})
    exceptions = lookups.get_table("lemma_exc", {})
    forms = set(lemmas)
    for pos in rules.keys():
        for old, new in rules[pos]:
            forms.update(w[: len(w) - len(new)] + old for w in lemmas if w.endswith(new))
    for pos in exceptions.keys():
        forms.update(word for word, targets in exceptions[pos].items() if lemmas.intersection(targets))
    return frozenset(forms)


def theme_vocabularies(nlp, codebook: Codebook) -> list[frozenset[str]]:
    """A theme's keywords: the content lemmas of its name, description and seeds (not its examples)."""
    vocabularies = []
    for theme in codebook.themes:
        lemmas = content_lemmas(nlp, (theme.name, theme.description, *theme.seeds))
        vocabularies.append(frozenset().union(*lemmas))
    return vocabularies


def keyword_evidence(statement_lemmas: Sequence[frozenset[str]], vocabularies: Sequence[frozenset[str]]) -> np.ndarray:
    """(statements, themes): the idf-weighted count of a theme's keywords in each statement."""
    k = len(vocabularies)
    doc_freq: dict[str, int] = {}
    for vocabulary in vocabularies:
        for word in vocabulary:
            doc_freq[word] = doc_freq.get(word, 0) + 1
    evidence = np.zeros((len(statement_lemmas), k))
    for i, lemmas in enumerate(statement_lemmas):
        for j, vocabulary in enumerate(vocabularies):
            for word in sorted(lemmas & vocabulary):
                evidence[i, j] += np.log(k / doc_freq[word])
    return evidence


def add_keyword_evidence(scores: np.ndarray, evidence: np.ndarray, weight: float) -> np.ndarray:
    """Scores times exp(weight x evidence), renormalised (rows sum to 1); weight 0 leaves them as they are."""
    if weight <= 0 or len(scores) == 0:
        return scores
    mixed = scores * np.exp(weight * evidence)
    return mixed / mixed.sum(axis=1, keepdims=True)
