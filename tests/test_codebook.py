"""The codebook loader: the shipped codebooks load, and every mistake is one clear line."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from pipeline.codebook import OTHER, load_codebook, parse_codebook
from pipeline.errors import InputError

SSE_IDS = (
    "financing", "legislation", "inequality", "sustainable_development", "public_policy", "local_development",
    "economic_model", "governance", "crisis_recovery", "knowledge_youth", "procedural",
)

GOOD = {
    "name": "t",
    "themes": [
        {"id": "a", "name": "A", "description": "about a", "seeds": ["a1", "a2"], "examples": ["a3"]},
        {"id": "b", "name": "B", "description": "about b", "seeds": ["b1", "b2", "b3"], "procedural": True},
    ],
}


def broken(**changes) -> dict:
    data = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if value is None:
            del data["themes"][0][key]
        else:
            data["themes"][0][key] = value
    return data


def test_default_codebook_has_exactly_the_issue_ids(repo_root):
    book = load_codebook(repo_root / "codebooks" / "sse.yaml")
    assert book.ids == SSE_IDS
    assert book.procedural_ids == ("procedural",)
    assert all(len(t.examples) >= 5 for t in book.themes)


def test_cap_codebook_names_are_the_cap_labels(repo_root, shared_dir):
    book = load_codebook(repo_root / "codebooks" / "cap.yaml")
    labels = set(pd.read_csv(shared_dir / "corpora" / "cap_sotu" / "df_cap_sotu_test.csv", usecols=["label_text"])["label_text"])
    assert {t.name for t in book.themes} == labels
    assert len(book.themes) == 22


def test_a_good_codebook_parses():
    book = parse_codebook(GOOD, "x.yaml")
    assert book.ids == ("a", "b")
    assert book.theme("a").training_texts() == ("about a", "a1", "a2", "a3")
    assert book.display_name(OTHER).startswith("Other")


@pytest.mark.parametrize(
    "data, message",
    [
        (broken(id="b"), "theme id 'b' is used more than once"),
        (broken(id=OTHER), "reserved"),
        (broken(id="Not Snake"), "lower_snake_case"),
        (broken(name=None), "needs a 'name'"),
        (broken(name="b"), "theme name 'b' is used more than once"),
        (broken(description=None), "needs a 'description'"),
        (broken(description="  "), "needs a 'description'"),
        (broken(seeds=["a1"], examples=["a2"]), "at least 3 seed phrases and examples"),
        (broken(seeds="a1, a2"), "must be a list of non-empty texts"),
        (broken(examples=["x", "x", "y"]), "repeats 'x'"),
        (broken(procedural="yes"), "'procedural' must be true or false"),
        (broken(colour="red"), "unknown key(s) colour"),
        ({"themes": []}, "non-empty 'themes' list"),
        (["a", "b"], "must be a mapping"),
    ],
)
def test_codebook_mistakes_are_named(data, message):
    with pytest.raises(InputError) as err:
        parse_codebook(data, "books/my.yaml")
    assert str(err.value).startswith("books/my.yaml: ")
    assert message in str(err.value)


def test_unreadable_files_name_the_file(tmp_path):
    with pytest.raises(InputError, match="codebook file not found"):
        load_codebook(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("themes:\n  - id: a\n    name: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.yaml: codebook file is not valid YAML near line \d"):
        load_codebook(bad)
