"""The stage's outputs and `load_embeddings` (fast): alignment and stale files."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.embed.store import load_embeddings, write_embeddings
from pipeline.errors import InputError


@pytest.fixture
def written(tmp_path):
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4)
    ids = ["r1-002", "r1-000", "r2-001"]
    write_embeddings(vectors, ids, tmp_path / "e.npy", tmp_path / "ids.csv")
    return tmp_path, vectors, ids


def test_rows_come_back_in_the_order_asked(written):
    folder, vectors, _ = written
    got = load_embeddings(folder / "e.npy", folder / "ids.csv", ["r2-001", "r1-002"])
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, vectors[[2, 0]])


def test_ids_file_follows_the_contract(written):
    folder, _, _ = written
    assert (folder / "ids.csv").read_text(encoding="utf-8") == "statement_id,row\nr1-002,0\nr1-000,1\nr2-001,2\n"


def test_writing_twice_gives_identical_bytes(written, tmp_path):
    folder, vectors, ids = written
    write_embeddings(vectors, ids, tmp_path / "again.npy", tmp_path / "again.csv")
    assert (tmp_path / "again.npy").read_bytes() == (folder / "e.npy").read_bytes()


def test_a_statement_without_vector_is_reported_as_stale(written):
    folder, _, _ = written
    with pytest.raises(InputError, match=r"no vector for 1 statement\(s\), e.g. 'r3-000' \(stale embeddings"):
        load_embeddings(folder / "e.npy", folder / "ids.csv", ["r1-000", "r3-000"])


def test_ids_and_matrix_that_disagree_are_refused(written):
    folder, _, ids = written
    np.save(folder / "e.npy", np.zeros((2, 4), dtype=np.float32))
    with pytest.raises(InputError, match="lists 3 rows but .* holds 2 vectors"):
        load_embeddings(folder / "e.npy", folder / "ids.csv", ids)


def test_missing_and_unreadable_files_name_the_file(tmp_path, written):
    folder, _, ids = written
    with pytest.raises(InputError, match="nothing.npy: file not found"):
        load_embeddings(tmp_path / "nothing.npy", folder / "ids.csv", ids)
    (tmp_path / "bad.npy").write_bytes(b"garbage")
    with pytest.raises(InputError, match="bad.npy: not a readable .npy matrix"):
        load_embeddings(tmp_path / "bad.npy", folder / "ids.csv", ids)


def test_write_refuses_mismatched_lengths(tmp_path):
    with pytest.raises(ValueError):
        write_embeddings(np.zeros((2, 3), dtype=np.float32), ["a"], tmp_path / "e.npy", tmp_path / "i.csv")
