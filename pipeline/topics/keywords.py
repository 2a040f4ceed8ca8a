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


def content_lemmas(nlp, texts: Iterable[str], keep: frozenset[str] | None = None) -> list[frozenset[str]]:
    """Each text's lowercased lemmas of content words (no stop words, numbers or short tokens).

    With `keep`, only the lemmas in `keep` are returned, and a text none of whose words
    can have such a lemma (`surface_forms`) skips the tagger: the result is the same as
    tagging everything and keeping those lemmas, at a fraction of the cost on a large corpus.
    """
    texts = list(texts)
    forms = surface_forms(nlp, keep) if keep is not None else None
    if forms is None:
        tagged = range(len(texts))
    else:
        tagged = [i for i, doc in enumerate(nlp.tokenizer.pipe(texts, batch_size=1024))
                  if any(t.lower_ in forms for t in doc)]
    out: list[frozenset[str]] = [frozenset()] * len(texts)
    for i, doc in zip(tagged, nlp.pipe([texts[i] for i in tagged], batch_size=256)):
        lemmas = frozenset(t.lemma_.lower() for t in doc
                           if t.pos_ in CONTENT_POS and not t.is_stop and t.is_alpha and len(t) >= MIN_LENGTH)
        out[i] = lemmas if keep is None else lemmas & keep
    return out


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
