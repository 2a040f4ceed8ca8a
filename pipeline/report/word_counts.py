"""Each statement's word counts under the fitted topic model's vectorizer, kept per report.

BERTopic's topics-per-class chart counts the words of one document per topic and
class: that class's statements of the topic, joined by spaces. At 100,000
statements tokenising those documents again is most of the chart's time, on every
run, though only the new reports' statements are new. A joined document's counts
are the sum of its statements' counts plus the n-grams that span two statements,
so this module counts each statement once, keeps the counts per report, and adds
the spanning n-grams when a document is counted (`joined_counts`): the same
matrix as counting the joined text.

Exact for BERTopic's cleaning (character by character) and a plain word
CountVectorizer whose n-grams are at most two words (`applies`): a bigram spans
two statements only as the last word of one and the first of the next that has
a word left after the stop words.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from pipeline.result_cache import value_key

# the placeholder BERTopic counts for a document that cleans to nothing
EMPTY_DOCUMENT = "emptydoc"


@dataclass
class StatementCounts:
    """Per statement (rows in the order given): its counts over the vocabulary, its first and last
    word after the stop words ("" when none is left) and whether its cleaned text is empty."""

    matrix: sp.csr_matrix
    first: list[str]
    last: list[str]
    empty: np.ndarray


def applies(vectorizer: Any) -> bool:
    """Whether a joined document's counts are its statements' counts plus the spanning bigrams."""
    return vectorizer.ngram_range[1] <= 2 and vectorizer.analyzer == "word"


def statement_counts(vectorizer: Any, clean: Callable[[list[str]], list[str]], texts: Sequence[str]) -> StatementCounts:
    """Count each text as BERTopic counts a document (cleaned, then the fitted `vectorizer`), without
    the stand-in word for an empty text (`joined_counts` adds it where the whole document is empty)."""
    lower, tokenize = vectorizer.build_preprocessor(), vectorizer.build_tokenizer()
    stop = vectorizer.get_stop_words() or frozenset()
    low, high = vectorizer.ngram_range
    vocabulary = vectorizer.vocabulary_
    # cleaned with a word after it, so that an empty text is not replaced by the stand-in word
    cleaned = [c[:-2] for c in clean([f"{t} x" for t in texts])]
    indices: list[int] = []
    values: list[int] = []
    indptr = [0]
    first, last = [], []
    for text in cleaned:
        tokens = [t for t in tokenize(lower(text)) if t not in stop]
        counts: dict[int, int] = {}
        for n in range(low, high + 1):
            for gram in map(" ".join, zip(*[tokens[j:] for j in range(n)])):
                column = vocabulary.get(gram)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
        for column in sorted(counts):
            indices.append(column)
            values.append(counts[column])
        indptr.append(len(indices))
        first.append(tokens[0] if tokens else "")
        last.append(tokens[-1] if tokens else "")
    matrix = sp.csr_matrix((np.asarray(values, dtype=vectorizer.dtype), np.asarray(indices, dtype=np.int64),
                            np.asarray(indptr, dtype=np.int64)), shape=(len(texts), len(vocabulary)))
    return StatementCounts(matrix, first, last, np.array([not c for c in cleaned], dtype=bool))


def joined_counts(vectorizer: Any, counts: StatementCounts, groups: Sequence[Sequence[int]]) -> sp.csr_matrix:
    """The counts of each group's statements joined by spaces, in order (as `vectorizer.transform` of
    the cleaned joined texts): their counts summed, plus each bigram of the last word of a statement
    and the first of the next that has one."""
    vocabulary = vectorizer.vocabulary_
    bigrams = vectorizer.ngram_range[1] >= 2
    rows = [g for g, members in enumerate(groups) for _ in members]
    pick = sp.csr_matrix((np.ones(len(rows), dtype=counts.matrix.dtype), (rows, [i for m in groups for i in m])),
                         shape=(len(groups), counts.matrix.shape[0]))
    extra_rows: list[int] = []
    extra_cols: list[int] = []
    empty = vectorizer.transform([EMPTY_DOCUMENT]).indices.tolist()
    for g, members in enumerate(groups):
        if len(members) == 1 and counts.empty[members[0]]:  # cleans to nothing: BERTopic counts its stand-in
            extra_rows.extend([g] * len(empty))
            extra_cols.extend(empty)
            continue
        previous = ""
        for i in members if bigrams else ():
            if not counts.first[i]:
                continue
            column = vocabulary.get(f"{previous} {counts.first[i]}") if previous else None
            if column is not None:
                extra_rows.append(g)
                extra_cols.append(column)
            previous = counts.last[i]
    spanning = sp.csr_matrix((np.ones(len(extra_rows), dtype=counts.matrix.dtype), (extra_rows, extra_cols)),
                             shape=(len(groups), counts.matrix.shape[1]))
    out = (pick @ counts.matrix + spanning).tocsr()
    out.sort_indices()
    return out


def vectorizer_key(vectorizer: Any) -> str:
    """What a statement's counts depend on besides its text: the vectorizer's settings and vocabulary (its
    term -> column pairs in the dict's order, `value_key`: the same vocabulary loaded from the same model in the
    same order each run; a vocabulary in another order only misses the kept counts)."""
    settings = {k: repr(v) for k, v in sorted(vectorizer.get_params().items())}
    return value_key([settings, {str(t): int(c) for t, c in vectorizer.vocabulary_.items()}])


def kept_statement_counts(vectorizer: Any, clean: Callable[[list[str]], list[str]], texts: Sequence[str],
                          report_of: Sequence[str], cache: Any | None) -> StatementCounts:
    """`statement_counts` of `texts`, a report at a time, each report's kept in `cache` (a ResultCache)
    under the vectorizer and the report's texts: a rerun counts only new or changed reports."""
    if cache is None:
        return statement_counts(vectorizer, clean, texts)
    fitted = vectorizer_key(vectorizer)
    rows_of: dict[str, list[int]] = {}
    for i, report in enumerate(report_of):
        rows_of.setdefault(report, []).append(i)
    parts: list[StatementCounts] = []
    for report in sorted(rows_of):
        own = [texts[i] for i in rows_of[report]]
        key = "counts-" + value_key([fitted, own])
        part = cache.get(key)
        if part is None:
            part = statement_counts(vectorizer, clean, own)
            cache.put(key, part)
        parts.append(part)
    cache.retain_asked()  # every report's counts were asked for: the rest are of changed reports
    if not parts:
        return statement_counts(vectorizer, clean, [])
    order = [i for report in sorted(rows_of) for i in rows_of[report]]
    back = np.empty(len(order), dtype=np.int64)
    back[order] = np.arange(len(order))  # a statement's row among the reports' rows, end to end
    stacked = sp.vstack([p.matrix for p in parts], format="csr")
    first = [w for p in parts for w in p.first]
    last = [w for p in parts for w in p.last]
    empty = np.concatenate([p.empty for p in parts])
    return StatementCounts(stacked[back], [first[i] for i in back], [last[i] for i in back], empty[back])


def counts_cache(root: Any) -> Any:
    """Where each report's statement counts are kept: a namespace per counting code and libraries (the
    fitted vectorizer is in each key)."""
    import bertopic
    import sklearn

    import pipeline.report.word_counts
    from pipeline.result_cache import ResultCache, source_fingerprint

    settings = {"libraries": {"bertopic": bertopic.__version__, "scikit-learn": sklearn.__version__}}
    return ResultCache(root, source_fingerprint([pipeline.report.word_counts]), settings,
                       what="report word counts cache", compress=True)
