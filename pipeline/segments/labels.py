"""Readable labels for segments: the words that set a segment apart, as topic labels are made.

Class-based TF-IDF (BERTopic's c-TF-IDF): all statements of a segment form one
document; a term's frequency in the segment (L1-normalised) is weighed by
log(1 + mean words per segment / the term's frequency across all segments of
the corpus). The top `n_words` terms make the label, skipping a term that
repeats a word of a term already taken ("climate" after "climate finance").
Words of the speakers' names are left out: in a hearing, "Thank you, Ms Shin"
would otherwise label every segment by who spoke.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

# letters only (any script), two or more: no numbers, no punctuation
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"


def name_words(names: Iterable[str]) -> set[str]:
    """The lower-cased words of people's names ("Hon. Anthony Rota" -> hon, anthony, rota)."""
    return {w.lower() for name in names for w in re.findall(TOKEN_PATTERN, str(name))}


def segment_labels(
    documents: Sequence[str],
    *,
    n_words: int,
    ngram_max: int,
    stop_words: str | None,
    skip_words: Iterable[str] = (),
) -> list[str]:
    """One label per document (a segment's statements joined), ", "-joined words; "" when it has none.

    `skip_words` are left out besides the stop words (the stage passes the words of
    speakers' names: "Thank you, Ms Shin" says who spoke, not what about).
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    if not documents:
        return []
    stop = set(ENGLISH_STOP_WORDS if stop_words == "english" else ()) | {w.lower() for w in skip_words}
    vectorizer = CountVectorizer(
        token_pattern=TOKEN_PATTERN, ngram_range=(1, ngram_max), stop_words=sorted(stop) or None, lowercase=True
    )
    try:
        counts = vectorizer.fit_transform(documents)
    except ValueError:  # no document has a single usable word
        return ["" for _ in documents]
    terms = vectorizer.get_feature_names_out()
    counts = counts.tocsr().astype(np.float64)
    words_per_doc = counts.sum() / len(documents)
    idf = np.log(1.0 + words_per_doc / np.maximum(np.asarray(counts.sum(axis=0)).ravel(), 1.0))
    labels = []
    for i in range(counts.shape[0]):
        row = counts.getrow(i)
        cols, tf = row.indices, row.data
        if len(cols) == 0:
            labels.append("")
            continue
        scores = tf / tf.sum() * idf[cols]
        order = np.lexsort((terms[cols], -scores))  # highest score first, ties alphabetical
        chosen: list[str] = []
        seen: set[str] = set()
        for j in order:
            if len(chosen) == n_words:
                break
            term = str(terms[cols[j]])
            words = set(term.split())
            if words & seen:
                continue
            chosen.append(term)
            seen |= words
        labels.append(", ".join(chosen))
    return labels
