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

import logging
from collections.abc import Iterable, Sequence

import numpy as np

from pipeline.codebook import Codebook

log = logging.getLogger(__name__)

CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ"})
MIN_LENGTH = 3


def content_lemmas(nlp, texts: Iterable[str]) -> list[frozenset[str]]:
    """Each text's lowercased lemmas of content words (no stop words, numbers or short tokens)."""
    out: list[frozenset[str]] = []
    for doc in nlp.pipe(list(texts), batch_size=256):
        out.append(frozenset(t.lemma_.lower() for t in doc
                             if t.pos_ in CONTENT_POS and not t.is_stop and t.is_alpha and len(t) >= MIN_LENGTH))
    return out


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
