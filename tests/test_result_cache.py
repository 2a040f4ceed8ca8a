"""The per-input result cache: keys, namespaces, pruning, compression, damaged entries (no models)."""

from __future__ import annotations

import logging
import types
from pathlib import Path

import pytest

from pipeline.result_cache import ResultCache, input_key, source_fingerprint, value_key


def _package(root: Path, files: dict[str, str]) -> types.ModuleType:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    module = types.ModuleType(root.name)
    module.__file__ = str(root / "__init__.py")
    return module


def test_the_fingerprint_follows_code_and_templates_not_bytecode_or_place(tmp_path: Path) -> None:
    files = {"__init__.py": "", "core.py": "x = 1\n", "templates/page.j2": "<p>{{ x }}</p>\n"}
    here = _package(tmp_path / "a" / "pkg", files)
    elsewhere = _package(tmp_path / "b" / "pkg", files)
    first = source_fingerprint([here])
    assert source_fingerprint([elsewhere]) == first  # a clone in another folder
    (tmp_path / "a" / "pkg" / "__pycache__").mkdir()
    (tmp_path / "a" / "pkg" / "__pycache__" / "core.cpython-311.pyc").write_bytes(b"\0")
    assert source_fingerprint([here]) == first
    (tmp_path / "a" / "pkg" / "templates" / "page.j2").write_text("<p>{{ y }}</p>\n", encoding="utf-8")
    assert source_fingerprint([here]) != first


def test_keys_name_the_input_by_name_and_bytes() -> None:
    assert input_key("a.txt", b"x") == input_key("a.txt", b"x")
    assert len({input_key("a.txt", b"x"), input_key("b.txt", b"x"), input_key("a.txt", b"y")}) == 3


def test_value_keys_follow_values_not_objects() -> None:
    shared = "a statement"
    assert value_key([shared, shared]) == value_key(["a statement", "".join(["a ", "statement"])])
    assert len({value_key([None]), value_key(["None"]), value_key([""]), value_key([1]), value_key([1.0]),
                value_key([True]), value_key(["1"])}) == 7
    assert value_key(["a", ["b"]]) != value_key([["a"], "b"])


def test_retain_removes_what_was_not_used(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, "code", {}, what="test cache")
    assert cache.retain(set()) == 0  # nothing stored yet
    for key in ("a", "b", "c"):
        cache.put(key, key)
    assert cache.retain({"a", "c"}) == 1
    assert sorted(f.stem for f in cache.dir.glob("*.pkl")) == ["a", "c"] and cache.get("a") == "a"



def test_retain_asked_keeps_what_this_run_read_or_stored(tmp_path: Path) -> None:
    first = ResultCache(tmp_path, "code", {}, what="test cache")
    for key in ("a", "b", "c"):
        first.put(key, key)
    run = ResultCache(tmp_path, "code", {}, what="test cache")  # the next run: its own object
    assert run.get("a") == "a" and run.get("missing") is None
    run.put("d", "d")
    assert run.retain_asked() == 2  # b and c: not asked for by this run
    assert sorted(f.stem for f in run.dir.glob("*.pkl")) == ["a", "d"]


@pytest.mark.parametrize("compress", [False, True])
def test_values_come_back_and_a_new_namespace_removes_the_old(tmp_path: Path, compress: bool) -> None:
    cache = ResultCache(tmp_path, "code", {"p": 1}, what="test cache", compress=compress)
    assert cache.get("k") is None
    cache.put("k", {"rows": [1, 2, 3], "text": "é" * 1000})
    again = ResultCache(tmp_path, "code", {"p": 1}, what="test cache", compress=compress)
    assert again.get("k") == {"rows": [1, 2, 3], "text": "é" * 1000}
    other = ResultCache(tmp_path, "code", {"p": 2}, what="test cache", compress=compress)
    assert other.get("k") is None and len(list(tmp_path.iterdir())) == 1  # nothing stored yet: the old one stays
    other.put("k", 1)
    assert [d.name for d in tmp_path.iterdir()] == [other.dir.name]


def test_a_damaged_entry_is_set_aside_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = ResultCache(tmp_path, "code", {}, what="test cache", compress=True)
    cache.put("k", "value")
    entry = cache.dir / "k.pkl"
    entry.write_bytes(entry.read_bytes()[:5])
    with caplog.at_level(logging.WARNING):
        assert cache.get("k") is None
    assert "damaged test cache entry" in caplog.text and (cache.dir / "k.pkl.damaged").exists()
    cache.put("k", "value")
    assert cache.get("k") == "value"
