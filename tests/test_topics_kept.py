"""A kept topic fit (`dvc freeze topic_fit`): extended to new statements, never refitted.

Small fixtures and the hashing encoder; the fit goes through its folder on disk
(`fit_store`) as between the two stages.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from pipeline.contract import STATEMENT_THEMES, TOPICS
from pipeline.tableio import write_table
from pipeline.topics.core import assign_topics_and_themes
from pipeline.topics.fit_store import load_fit, save_fit
from pipeline.topics.kept import FITTED_COLUMNS, covers, extend_fit, fit_differences, fit_record
from test_topics_save import RecordedEncoder
from topics_helpers import fast_params, hashing_encode, mini_codebook, statements

FITTED = 80


def kept_fit(tmp_path, n=FITTED, params=None):
    st, _ = statements(n)
    params = params or fast_params()
    result = assign_topics_and_themes(st, hashing_encode(st["text"].tolist()), mini_codebook(), hashing_encode,
                                      params, None)
    record = fit_record("0" * 64, dataclasses.asdict(params), {"model": "hashing"})
    save_fit(result, record, tmp_path / "fit", RecordedEncoder())
    return load_fit(tmp_path / "fit"), result


def extended(fit, st, params=None):
    return extend_fit(st, hashing_encode(st["text"].tolist()), fit, mini_codebook(), hashing_encode,
                      params or fast_params())


def written(result, folder):
    folder.mkdir()
    write_table(result.statement_themes, folder / "statement_themes.csv", STATEMENT_THEMES)
    write_table(result.topics, folder / "topics.csv", TOPICS)
    return {name: (folder / name).read_bytes() for name in ("statement_themes.csv", "topics.csv")}


def test_a_fit_extended_by_nothing_gives_the_fit_s_own_tables(tmp_path):
    fit, result = kept_fit(tmp_path)
    st, _ = statements(FITTED)
    assert covers(fit, st)
    assert written(extended(fit, st), tmp_path / "extended") == written(result, tmp_path / "fitted")


def test_new_statements_join_the_fit_s_topics_and_the_seen_ones_keep_theirs(tmp_path):
    fit, result = kept_fit(tmp_path)
    st, truth = statements(FITTED + 16)
    assert not covers(fit, st)
    out = extended(fit, st).statement_themes
    seen, new = out.iloc[:FITTED], out.iloc[FITTED:]
    for column in FITTED_COLUMNS:
        assert seen[column].tolist() == fit.statement_themes[column].tolist(), column
    assert set(new["topic"]) <= set(fit.statement_themes["topic"])
    assert new["topic_label"].tolist() == [fit.words.label[int(t)] for t in new["topic"]]
    # the hashing encoder's themes are plain: the new statements are named as the fitted ones of their kind
    assert (new["theme"].to_numpy() == np.asarray(truth[FITTED:])).mean() >= 0.75
    again = extended(fit, st).statement_themes
    pd.testing.assert_frame_equal(out, again)


def test_a_statement_whose_text_changed_is_placed_again_and_its_speaker_follows_statements_csv(tmp_path):
    fit, _ = kept_fit(tmp_path)
    st, _ = statements(FITTED)
    st.loc[3, "text"] = "pollution of the rivers and the climate"
    st.loc[5, "speaker"] = "Corrected Name"
    out = extended(fit, st).statement_themes
    assert out.loc[5, "speaker"] == "Corrected Name"
    assert out.loc[5, "theme"] == fit.statement_themes.loc[5, "theme"]
    assert out.loc[3, "theme"] == "environment"
    unchanged = [i for i in range(FITTED) if i != 3]
    assert out.loc[unchanged, "topic"].tolist() == fit.statement_themes.loc[unchanged, "topic"].tolist()


def test_a_fit_sharing_no_statement_is_refused(tmp_path):
    fit, _ = kept_fit(tmp_path)
    st, _ = statements(10)
    st["statement_id"] = [f"other:{i}" for i in range(10)]
    with pytest.raises(ValueError, match="fit again"):
        extended(fit, st)


def test_what_differs_from_the_fit_s_record_is_named():
    params = dataclasses.asdict(fast_params())
    record = fit_record("a" * 64, params, {"model": "m", "fingerprint": "1"})
    assert fit_differences(record, record) == []
    faster = fit_record("a" * 64, params | {"lemma_workers": 1}, {"model": "m", "fingerprint": "1"})
    assert fit_differences(record, faster) == []  # how the fit is computed, not what it is
    other = fit_record("b" * 64, params | {"seed": 7}, {"model": "m", "fingerprint": "2"})
    assert fit_differences(record, other) == ["codebook", "embedding model", "topics.seed"]


def _with_new_reports(n_new_reports=3, per_report=8):
    """The fitted statements (report r1) and `n_new_reports` new reports of `per_report` statements each."""
    st, _ = statements(FITTED + n_new_reports * per_report)
    for k in range(n_new_reports):
        rows = slice(FITTED + k * per_report, FITTED + (k + 1) * per_report)
        st.loc[st.index[rows], "report_id"] = f"new{k}"
        st.loc[st.index[rows], "statement_id"] = [f"new{k}:{i + 1:04d}" for i in range(per_report)]
    return st


def test_the_join_cache_gives_the_same_bytes_and_places_only_reports_it_has_not_placed(tmp_path, monkeypatch):
    from pipeline.topics import kept
    from pipeline.topics.join_cache import join_cache_for

    fit, _ = kept_fit(tmp_path)
    params = fast_params()
    st = _with_new_reports()

    encoded: list[int] = []

    def encode(texts):
        encoded.append(len(texts))
        return hashing_encode(texts)

    def run(folder, cache_root=None):
        cache = join_cache_for(cache_root, params) if cache_root is not None else None
        result = extend_fit(st, hashing_encode(st["text"].tolist()), fit, mini_codebook(), encode, params,
                            join_cache=cache, encoding="hashing encoder" if cache is not None else "")
        return written(result, tmp_path / folder)

    without = run("without")
    placed: list[int] = []
    vote = kept.neighbour_vote
    monkeypatch.setattr(kept, "neighbour_vote", lambda X, *a, **k: placed.append(len(X)) or vote(X, *a, **k))
    assert run("cold", tmp_path / "joins") == without
    assert placed == [8, 8, 8]  # a report at a time
    placed.clear()
    encoded.clear()
    assert run("warm", tmp_path / "joins") == without
    assert placed == [] and encoded == []  # every report, and the theme scorer, read back: nothing embedded
    st.loc[st.index[-1], "text"] = "pollution of the rivers and the climate"  # one report edited
    edited_without = run("edited_without")
    placed.clear()
    assert run("edited", tmp_path / "joins") == edited_without
    assert placed == [8]


def test_a_report_is_placed_the_same_alone_or_beside_others(tmp_path):
    """What makes the cache exact: a report's placement does not depend on the other new reports."""
    fit, _ = kept_fit(tmp_path)
    st = _with_new_reports()
    alone = st[st["report_id"].isin(["r1", "new1"])]
    both = extended(fit, st).statement_themes.set_index("statement_id")
    one = extended(fit, alone).statement_themes.set_index("statement_id")
    new1 = one.index[one.index.str.startswith("new1:")]
    pd.testing.assert_frame_equal(both.loc[new1], one.loc[new1])
