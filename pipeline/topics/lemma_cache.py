"""The keyword lemmas of each statement, kept across runs as the embed stage keeps vectors.

A statement's keyword lemmas (`keywords.content_lemmas` against the codebook's
vocabulary) depend on its text alone, given the spaCy pipeline, the vocabulary
and the code that finds them; finding them took 30 s of the stage's 159 s on
30,000 statements (two workers, a slow day). This cache keeps them by exact text, in a namespace
that hashes all of those (a codebook edit that changes the vocabulary, another
spaCy pipeline or a change to `keywords.py` starts a new one), so a rerun after
statements are added tags only the new ones. The values are the ones computed,
so the stage's tables are the same bytes with the cache, without it or with an
empty one (pipeline/text_cache.py says how shards are written and read).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.text_cache import TextCache, namespace_for
from pipeline.topics import keywords
from pipeline.topics.keywords import NONE, pooled_content_lemmas

log = logging.getLogger(__name__)

# between the lemmas of one statement in a shard (no lemma holds it)
SEPARATOR = "\x1f"


class LemmaCache(TextCache):
    """Keyword lemma sets already found, looked up by exact text."""

    field = "lemmas"
    what = "keyword lemma cache"

    def to_array(self, values: list[Any]) -> np.ndarray:
        return np.array([SEPARATOR.join(sorted(v)) for v in values], dtype=str)

    def from_array(self, array: np.ndarray) -> list[Any]:
        if array.ndim != 1 or array.dtype.kind != "U":
            raise ValueError("lemmas are not a column of text")
        return [frozenset(x.split(SEPARATOR)) if x else NONE for x in array.tolist()]


def lemma_cache_for(root: str | Path, nlp: Any, keep: frozenset[str]) -> LemmaCache:
    """The cache of lemmas that `nlp` gives against the vocabulary `keep` with this code."""
    import spacy

    meta = getattr(nlp, "meta", {}) or {}
    pipeline = {"name": f"{meta.get('lang', '')}_{meta.get('name', '')}", "version": meta.get("version", ""),
                "spacy": spacy.__version__, "components": list(getattr(nlp, "pipe_names", []))}
    code = hashlib.sha256(Path(keywords.__file__).read_bytes()).hexdigest()
    settings = {"pipeline": pipeline, "vocabulary": sorted(keep), "code": code}
    return LemmaCache(root, namespace_for(code, settings),
                      description={"what": "keyword lemmas per statement (topics stage)", "pipeline": pipeline,
                                   "vocabulary_size": len(keep)})


def cached_content_lemmas(model: str, texts: Sequence[str], keep: frozenset[str], workers: int, nlp: Any,
                          cache: LemmaCache | None) -> list[frozenset[str]]:
    """`pooled_content_lemmas` of `texts`, computed only for the distinct texts `cache` does not hold."""
    if cache is None:
        return pooled_content_lemmas(model, texts, keep, workers, nlp=nlp)
    distinct = list(dict.fromkeys(texts))
    found = cache.lookup(distinct)
    missing = [t for t in distinct if t not in found]
    if missing:
        computed = pooled_content_lemmas(model, missing, keep, workers, nlp=nlp)
        cache.store(missing, computed)
        found.update(zip(missing, computed))
    log.info("keyword lemmas: %d distinct statement(s), %d from the cache, %d found now",
             len(distinct), len(distinct) - len(missing), len(missing))
    return [found[t] for t in texts]
