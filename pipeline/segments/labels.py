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
from scipy import sparse

# letters only (any script), two or more: no numbers, no punctuation
TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"
_TOKEN = re.compile(TOKEN_PATTERN)


def name_words(names: Iterable[str]) -> set[str]:
    """The lower-cased words of people's names ("Hon. Anthony Rota" -> hon, anthony, rota)."""
    return {w.lower() for name in names for w in re.findall(TOKEN_PATTERN, str(name))}


def document_tokens(document: str) -> str:
    """A document's words, lower-cased, in order, space-joined (none holds a space): what `term_counts`
    reads. Finding them is most of the labels' time, and a segment's words depend on its text alone,
    so the stage keeps them (`pipeline.segments.core`)."""
    return " ".join(_TOKEN.findall(document.lower()))


def term_counts(tokens: Sequence[str], ngram_max: int, stop: Iterable[str]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Each document's count of each term (a word or n-gram of up to `ngram_max` words), and the terms.
    `tokens` are the documents' `document_tokens`.

    The counts scikit-learn's `CountVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=(1, ngram_max),
    stop_words=stop, lowercase=True).fit_transform` gives (stop words dropped before the n-grams are
    formed); the terms are ordered by their number of words, then by their words, instead of alphabetically.
    Counted with numpy over the whole corpus at once, not with a Python dictionary update per
    n-gram.
    """
    every = " ".join(t for t in tokens if t).split()
    words = np.array(sorted(set(every) - set(stop)), dtype=object)
    number = dict.fromkeys(stop, -1)
    number.update(zip(words.tolist(), range(len(words))))
    ids = np.fromiter(map(number.__getitem__, every), dtype=np.int64, count=len(every))
    per_document = np.fromiter((t.count(" ") + 1 if t else 0 for t in tokens), dtype=np.int64, count=len(tokens))
    kept = ids >= 0
    doc_of = np.repeat(np.arange(len(tokens), dtype=np.int64), per_document)[kept]
    ids = ids[kept]
    lengths = np.bincount(doc_of, minlength=len(tokens))
    # tokens left in a token's document from it on (itself included)
    left = np.repeat(np.cumsum(lengths), lengths) - np.arange(len(ids), dtype=np.int64)
    term_keys, term_docs, term_names = [], [], []
    offset = 0
    code = ids.copy()  # the code of the n-gram starting at each position, for the current n
    for n in range(1, ngram_max + 1):
        if n > 1:
            shifted = np.zeros_like(ids)
            shifted[: len(ids) - (n - 1)] = ids[n - 1:]
            code = code * len(words) + shifted
        at = np.nonzero(left >= n)[0]
        if not len(at):
            break
        distinct, first, inverse = np.unique(code[at], return_index=True, return_inverse=True)
        starts = at[first]
        names = words[ids[starts]]
        for j in range(1, n):
            names = names + " " + words[ids[starts + j]]  # object arrays: one C loop per word
        term_names.append(names)
        term_keys.append(offset + inverse)
        term_docs.append(doc_of[at])
        offset += len(distinct)
        code = np.zeros_like(code)
        code[at] = inverse  # re-coded densely: the next level's codes stay below n-grams x words
    terms = np.concatenate(term_names) if term_names else np.array([], dtype=object)
    if not len(terms):
        return sparse.csr_matrix((len(tokens), 0)), terms
    rows, cols = np.concatenate(term_docs), np.concatenate(term_keys)
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(tokens), len(terms)))
    matrix.sum_duplicates()  # one entry per document and term: its count
    return matrix, terms


def stop_set(stop_words: str | None, skip_words: Iterable[str] = ()) -> frozenset[str]:
    """The words a label leaves out: scikit-learn's English stop words (`stop_words: english`) and `skip_words`."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS if stop_words == "english" else ()) | {w.lower() for w in skip_words}


def joined_counts(parts: Sequence[tuple[sparse.csr_matrix, np.ndarray]]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The `term_counts` of runs of documents, each with its own terms, as one matrix over all their terms
    (in the order first met): the counts `term_counts` gives the documents together, with the terms in
    another order (the labels do not depend on it: ties are broken by the terms' text)."""
    import pandas as pd

    if not parts:
        return sparse.csr_matrix((0, 0)), np.array([], dtype=object)
    codes, terms = pd.factorize(np.concatenate([t for _, t in parts]))
    joined, offset = [], 0
    for matrix, own in parts:
        joined.append(sparse.csr_matrix((matrix.data, codes[offset:offset + len(own)][matrix.indices], matrix.indptr),
                                        shape=(matrix.shape[0], len(terms))))
        offset += len(own)
    return sparse.vstack(joined, format="csr"), np.asarray(terms, dtype=object)


def segment_labels(
    documents: Sequence[str],
    *,
    n_words: int,
    ngram_max: int,
    stop_words: str | None,
    skip_words: Iterable[str] = (),
    tokens: Sequence[str] | None = None,
    counted: tuple[sparse.csr_matrix, np.ndarray] | None = None,
) -> list[str]:
    """One label per document (a segment's statements joined), ", "-joined words; "" when it has none.

    `skip_words` are left out besides the stop words (the stage passes the words of
    speakers' names: "Thank you, Ms Shin" says who spoke, not what about). `tokens`: the
    documents' `document_tokens` when known (computed here when not); `counted`: their
    `term_counts` with these stop words and n-grams when known (`joined_counts` of runs of them).
    """
    if not documents:
        return []
    if counted is None:
        if tokens is None:
            tokens = [document_tokens(d) for d in documents]
        counted = term_counts(tokens, ngram_max, stop_set(stop_words, skip_words))
    counts, terms = counted
    if not len(terms):  # no document has a single usable word
        return ["" for _ in documents]
    words_per_doc = counts.sum() / len(documents)
    idf = np.log(1.0 + words_per_doc / np.maximum(np.asarray(counts.sum(axis=0)).ravel(), 1.0))
    return [", ".join(_top_terms(counts, i, idf, terms, n_words)) for i in range(counts.shape[0])]


# a segment's terms looked at first: its highest-scoring ones (ties at the last one included)
_CANDIDATES = 32


def _top_terms(counts: sparse.csr_matrix, i: int, idf: np.ndarray, terms: np.ndarray, n_words: int) -> list[str]:
    """Document `i`'s `n_words` best terms: highest tf-idf first, ties alphabetical, skipping a term that repeats
    a word of one taken. Its `_CANDIDATES` best terms (with every term tied with the last) are ordered first,
    and all of them only when those do not give `n_words` terms: the same terms as ordering all, less work."""
    cols = counts.indices[counts.indptr[i]:counts.indptr[i + 1]]
    tf = counts.data[counts.indptr[i]:counts.indptr[i + 1]]
    if len(cols) == 0:
        return []
    scores = tf / tf.sum() * idf[cols]
    if len(cols) > _CANDIDATES:
        cut = -np.partition(-scores, _CANDIDATES - 1)[_CANDIDATES - 1]
        best = np.nonzero(scores >= cut)[0]
        chosen = _pick(cols[best], scores[best], terms, n_words)
        if len(chosen) == n_words:
            return chosen
    return _pick(cols, scores, terms, n_words)


def _pick(cols: np.ndarray, scores: np.ndarray, terms: np.ndarray, n_words: int) -> list[str]:
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
    return chosen
