"""What the downstream stages do a piece at a time at scale gives what they did whole (issue 12).

Fast: few-line fixtures with tiny pieces, so every cut and batch boundary is crossed.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree
from sklearn.feature_extraction.text import CountVectorizer
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.contract import STATEMENT_THEMES
from pipeline.figures import sliced_counts
from pipeline.qda import project as qda_project
from pipeline.tableio import read_table
from qda_helpers import export_args, write_corpus

DOCS = [
    "The cooperative bank lends to farmers. Farmers repay the cooperative bank on time, and the bank lends again.",
    "Thank you, Chair.\nThe law on social enterprises\tmust pass this year: the law matters to members.",
    "",
    "!!! ...",
    "a b c",
    "Credit unions and savings banks; credit unions, savings banks and investment funds " * 5,
]


def bertopic_clean(language: str | None):
    """BERTopic's `_preprocess_text` (0.17): tabs and line ends to spaces, English keeps [A-Za-z0-9 ]."""

    def clean(documents):
        out = [d.replace("\n", " ").replace("\t", " ") for d in documents]
        if language == "english":
            out = [re.sub(r"[^A-Za-z0-9 ]+", "", d) for d in out]
        return [d if d != "" else "emptydoc" for d in out]

    return clean


@pytest.mark.parametrize("language", [None, "english"])
@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (1, 3), (2, 2)])
@pytest.mark.parametrize("slice_chars", [1, 7, 30, 10_000])
def test_sliced_counts_are_the_vectorizers_counts(language, ngram_range, slice_chars):
    clean = bertopic_clean(language)
    vectorizer = CountVectorizer(ngram_range=ngram_range, stop_words="english").fit(clean(DOCS) + ["emptydoc"])
    want = vectorizer.transform(clean(DOCS))
    got = sliced_counts(vectorizer, DOCS, clean, slice_chars=slice_chars)
    assert type(got) is type(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert got.indptr.tolist() == want.indptr.tolist()
    assert got.indices.tolist() == want.indices.tolist()
    assert got.data.tolist() == want.data.tolist()


# groups of DOCS joined as BERTopic joins a topic's statements of one class: an empty statement alone (the
# stand-in word), punctuation and stop words only between two statements (a bigram spans them), repeats
GROUPS = [[0], [2], [3], [0, 1], [1, 2, 3, 4, 0], [4, 3, 5], [5, 5, 0], [2, 3], [3, 0, 4, 1]]


@pytest.mark.parametrize("language", [None, "english"])
@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 2)])
def test_joined_counts_are_the_vectorizers_counts(language, ngram_range, tmp_path):
    """Each statement counted once (kept per report) and summed, with the bigrams that span two
    statements, gives the counts of the statements joined by spaces."""
    from pipeline.report.word_counts import applies, counts_cache, joined_counts, kept_statement_counts

    clean = bertopic_clean(language)
    vectorizer = CountVectorizer(ngram_range=ngram_range, stop_words="english").fit(clean(DOCS) + ["emptydoc"])
    assert applies(vectorizer)
    want = vectorizer.transform(clean([" ".join(DOCS[i] for i in g) for g in GROUPS]))
    reports = ["b", "a", "b", "c", "a", "c"]
    cache = counts_cache(tmp_path)
    for _ in range(2):  # counted, then read back
        counts = kept_statement_counts(vectorizer, clean, DOCS, reports, cache)
        got = joined_counts(vectorizer, counts, GROUPS)
        assert got.shape == want.shape and got.dtype == want.dtype
        assert got.indptr.tolist() == want.indptr.tolist()
        assert got.indices.tolist() == want.indices.tolist()
        assert got.data.tolist() == want.data.tolist()
    assert len(list(cache.dir.glob("counts-*.pkl"))) == 3
    assert not applies(CountVectorizer(ngram_range=(1, 3)))


def test_read_table_columns_reads_only_those(tmp_path):
    corpus = write_corpus(tmp_path)
    whole = read_table(corpus["statement_themes"], STATEMENT_THEMES)
    some = read_table(corpus["statement_themes"], STATEMENT_THEMES, columns=("statement_id", "themes", "machine_themes"))
    assert list(some.columns) == ["statement_id", "themes", "machine_themes"]  # machine_themes filled from themes
    pd.testing.assert_frame_equal(some, whole[["statement_id", "themes", "machine_themes"]])
    with pytest.raises(ValueError, match="no column"):
        read_table(corpus["statement_themes"], STATEMENT_THEMES, columns=("statement_id", "nonesuch"))


def whole_tree_bytes(qde: bytes) -> bytes:
    """The document serialised in one piece, as the stage did before it streamed."""
    root = etree.fromstring(qde, etree.XMLParser(remove_blank_text=True))
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True, standalone=True)


@pytest.mark.parametrize("batch_rows", [1, 2, 2000])
def test_streamed_project_is_the_whole_tree(tmp_path, monkeypatch, batch_rows):
    monkeypatch.setattr(qda_project, "_BATCH_ROWS", batch_rows)
    corpus = write_corpus(tmp_path / "corpus")
    out = tmp_path / f"p{batch_rows}.qdpx"
    result = CliRunner().invoke(app, export_args(corpus, out))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as zf:
        qde = zf.read("project.qde")
        names = zf.namelist()
    assert qde.count(b"<Case ") == 3 and b"<Sources>" in qde
    assert qde == whole_tree_bytes(qde)
    assert names[0] == "project.qde" and names[1:] == sorted(names[1:])
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".qdpx_")]  # its work folder is gone


def test_streamed_project_same_entries_whatever_the_batch(tmp_path, monkeypatch):
    """The batch size cuts project.qde's deflate stream in other pieces (`pipeline.zip_deflate.PieceEntry`): the
    archive's entries (names, order, headers, data) are the same whatever it is."""
    corpus = write_corpus(tmp_path / "corpus")
    outputs = []
    for batch_rows in (1, 2000):
        monkeypatch.setattr(qda_project, "_BATCH_ROWS", batch_rows)
        out = tmp_path / f"b{batch_rows}" / "session_themes.qdpx"
        assert CliRunner().invoke(app, export_args(corpus, out)).exit_code == 0
        with zipfile.ZipFile(out) as zf:
            outputs.append([(i.filename, i.date_time, i.external_attr, i.CRC, i.file_size, zf.read(i.filename))
                            for i in zf.infolist()])
    assert outputs[0] == outputs[1]
