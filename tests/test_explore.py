"""The analyst views in pipeline/explore.py, on the few-row fixture tables."""

from __future__ import annotations

import pandas as pd
import pytest
from processed_tables import FORMULA_TEXT, make_processed, write_processed

from pipeline import explore
from pipeline.errors import InputError


@pytest.fixture(scope="module")
def p() -> explore.Processed:
    return make_processed()


def test_load_processed_round_trips_the_tables(tmp_path):
    written = write_processed(tmp_path)
    loaded = explore.load_processed(tmp_path, written.theme_names)
    assert loaded.themes == ["financing", "legislation", "inequality"]
    assert loaded.procedural == ["procedural"]
    assert FORMULA_TEXT in set(loaded.statements["text"])  # the CSV guard is undone on reading
    pd.testing.assert_frame_equal(explore.speaker_theme_matrix(loaded), explore.speaker_theme_matrix(written))


def test_load_processed_names_the_missing_file(tmp_path):
    write_processed(tmp_path)
    (tmp_path / "quote_bank.csv").unlink()
    with pytest.raises(InputError, match="quote_bank.csv: file not found"):
        explore.load_processed(tmp_path)


def test_find_repo_root_from_a_subfolder(repo_root):
    assert explore.find_repo_root(repo_root / "notebooks") == repo_root
    assert explore.processed_dir(repo_root / "pipeline") == repo_root / "data" / "processed"


def test_find_repo_root_outside_the_repository(tmp_path):
    with pytest.raises(InputError, match="no dvc.yaml"):
        explore.find_repo_root(tmp_path)


def test_speaker_theme_matrix_orders_by_role_and_names_sessions(p):
    m = explore.speaker_theme_matrix(p)
    assert list(m.index[:3]) == ["Ana Mod (r1)", "Bea Key (r1)", "Cid Pan (r1)"]
    assert list(m.columns) == ["Financing", "Legislation and law", "Inequality", "Other (no theme fits)"]
    assert m.loc["Bea Key (r1)"].tolist() == [1, 1, 1, 0]
    one = explore.speaker_theme_matrix(p, "r2", procedural=True)
    assert list(one.index) == ["Fay Mod", "Gus Key", "Hal Pan"]
    assert "Procedural" in one.columns


def test_shares_by_role_sum_to_one(p):
    shares = explore.role_theme_shares(p)
    assert list(shares.index) == ["moderator", "keynote", "panelist", "audience"]
    assert shares.sum(axis=1).round(6).eq(1.0).all()
    assert shares.loc["keynote", "Inequality"] == pytest.approx(0.5)


def test_who_raises_matches_theme_names(p):
    out = explore.who_raises(p, "financ")
    assert set(out["speaker"]) == {"Bea Key", "Cid Pan", "Dia Pan", "Hal Pan"}
    assert set(out["theme"]) == {"Financing"}
    assert explore.themes_matching(p, "law") == ["legislation"]  # by the name, not the id


def test_quotes_for_theme_best_first_with_provenance(p):
    q = explore.quotes_for_theme(p, "financing", limit=2)
    assert len(q) == 2
    assert q["theme_score"].is_monotonic_decreasing
    assert {"page", "line_start", "line_end", "statement_id"} <= set(q.columns)


def test_keynote_takeup(p):
    t = explore.keynote_takeup(p).set_index(["report_id", "theme"])
    assert t.loc[("r1", "Financing"), "panelists"] == "Cid Pan; Dia Pan"
    assert bool(t.loc[("r1", "Legislation and law"), "taken_up"])
    assert not bool(t.loc[("r2", "Inequality"), "taken_up"])


def test_topics_without_theme_and_outliers(p):
    assert explore.topics_without_theme(p)["topic"].tolist() == [3]
    assert explore.outlier_share(p) == pytest.approx(2 / 12)


def test_overview_counts(p):
    o = explore.corpus_overview(p).set_index("report_id")
    assert o.loc["r1", "statements"] == 8 and o.loc["r2", "speakers"] == 3
    assert explore.statements_per_role(p).loc["r1", "keynote"] == 3
    assert explore.topics_per_speaker(p).loc["Hal Pan (r2)", "3_local_development"] == 1
