"""The segments stage: agenda segments from turn order and content, on few-statement fixtures."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.contract import SEGMENT_THEMES, SEGMENTS, STATEMENT_SEGMENTS
from pipeline.errors import ContractError
from pipeline.segments import SegmentsParams, segment_sequence
from pipeline.segments.boundaries import best_cut_gain, partition, partitions
from pipeline.segments.core import build_segments
from pipeline.segments.labels import segment_labels
from pipeline.tableio import read_table, write_table
from pipeline.tables.themes import ThemeColumns

DIM = 64
THEMES = ThemeColumns.from_ids(("financing", "legislation", "inequality", "procedural"))


def blocks(sizes: list[int], *, spread: float = 0.7, seed: int = 0) -> np.ndarray:
    """Unit vectors in blocks around random centres: cosine ~0.65 within a block, ~0 across."""
    rng = np.random.default_rng(seed)
    rows = []
    for size in sizes:
        centre = rng.normal(size=DIM)
        centre /= np.linalg.norm(centre)
        noise = rng.normal(size=(size, DIM)) / np.sqrt(DIM)
        rows.append(centre + spread * noise)
    x = np.vstack(rows)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def texts(n: int) -> list[str]:
    return [f"statement number {i} with a few words" for i in range(n)]


def test_three_clearly_different_blocks_give_three_segments():
    x = blocks([10, 12, 9])
    labels = segment_sequence(x, texts(len(x)), SegmentsParams())
    assert labels.tolist() == [1] * 10 + [2] * 12 + [3] * 9


def test_one_homogeneous_block_stays_one_segment():
    for n, seed in itertools.product((10, 30, 100), range(4)):
        x = blocks([n], seed=seed)
        assert set(segment_sequence(x, texts(n), SegmentsParams()).tolist()) == {1}, (n, seed)


def test_the_change_test_keeps_a_homogeneous_block_whole_at_any_penalty():
    """A lower `penalty` prices the parts of a report that has an agenda; whether it has one is the change test's."""
    cut_without_test = 0
    for n, seed in itertools.product((30, 100), range(4)):
        x = blocks([n], seed=seed)
        assert set(segment_sequence(x, texts(n), SegmentsParams(penalty=0.5)).tolist()) == {1}, (n, seed)
        cut_without_test += segment_sequence(x, texts(n), SegmentsParams(penalty=0.5, change_test=0.0)).max() > 1
    assert cut_without_test > 0  # without the test the same blocks get spurious boundaries
    x = blocks([10, 12, 9])
    assert segment_sequence(x, texts(31), SegmentsParams(penalty=0.5)).max() >= 3  # an agenda is still cut


def test_three_blocks_of_unequal_strength_among_noise():
    """A weaker change (blocks closer together) is still found; a block's inner noise is not cut."""
    x = blocks([15, 15, 15], spread=1.0, seed=7)
    assert segment_sequence(x, texts(45), SegmentsParams()).tolist() == [1] * 15 + [2] * 15 + [3] * 15


def test_a_higher_penalty_never_gives_more_segments():
    x = blocks([8, 6, 10, 7], spread=1.2, seed=3)
    counts = [segment_sequence(x, texts(len(x)), SegmentsParams(penalty=pen)).max() for pen in (0.1, 0.3, 1, 2, 4, 50)]
    assert counts == sorted(counts, reverse=True)
    assert counts[-1] == 1 and counts[0] > 1


def test_segmentation_is_deterministic():
    x = blocks([7, 9, 8], spread=1.0, seed=4)
    first = segment_sequence(x, texts(len(x)), SegmentsParams())
    for _ in range(3):
        assert np.array_equal(segment_sequence(x.copy(), texts(len(x)), SegmentsParams()), first)


@pytest.mark.parametrize("n", [1, 2])
def test_reports_of_one_and_two_statements_are_one_segment(n):
    assert segment_sequence(blocks([n]), texts(n), SegmentsParams()).tolist() == [1] * n
    assert segment_sequence(np.zeros((0, DIM)), [], SegmentsParams()).tolist() == []


def test_partition_is_the_exact_optimum():
    """Against brute force over every set of cut points, on a short sequence."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(9, 4))
    w = rng.uniform(0.5, 2.0, size=9)
    min_size = 2
    beta = 0.5 * best_cut_gain(x, w)

    def cost(cuts: tuple[int, ...]) -> float:
        edges = (0, *cuts, 9)
        total = beta * len(cuts)
        for a, b in itertools.pairwise(edges):
            if b - a < min_size:
                return np.inf
            c = (w[a:b, None] * x[a:b]).sum(0) / w[a:b].sum()
            total += float((w[a:b] * ((x[a:b] - c) ** 2).sum(1)).sum())
        return total

    candidates = [c for k in range(5) for c in itertools.combinations(range(1, 9), k)]
    best = min(candidates, key=cost)
    got = tuple(partition(x, w, boundary_cost=beta, min_size=min_size))
    assert cost(got) == pytest.approx(cost(best))


def test_vectors_and_speakers_must_match_statements():
    with pytest.raises(ValueError, match="3 vectors for 2 statements"):
        segment_sequence(blocks([3]), texts(2), SegmentsParams())
    with pytest.raises(ValueError, match="2 speakers for 3 statements"):
        segment_sequence(blocks([3]), texts(3), SegmentsParams(), speakers=["a", "b"])


def test_turn_taking_counts_beside_content():
    """Same subject throughout, but one panel speaks, then another: a boundary with speakers, none without."""
    x = blocks([40], seed=2)
    speakers = [("Ana", "Bea")[i % 2] for i in range(20)] + [("Cid", "Dia")[i % 2] for i in range(20)]
    with_speakers = segment_sequence(x, texts(40), SegmentsParams(speaker_weight=1.0), speakers=speakers)
    assert with_speakers.tolist() == [1] * 20 + [2] * 20
    assert set(segment_sequence(x, texts(40), SegmentsParams(speaker_weight=0.0), speakers=speakers).tolist()) == {1}
    one_voice = segment_sequence(x, texts(40), SegmentsParams(speaker_weight=1.0), speakers=["Ana"] * 40)
    assert set(one_voice.tolist()) == {1}


@pytest.mark.parametrize("bad", [{"penalty": -1}, {"change_test": -0.5}, {"change_test": True}, {"min_statements": 0}, {"smoothing_window": -1}, {"shuffles": 0},
                                 {"seed": 1.5}, {"speaker_weight": -0.1}, {"centre": "yes"}, {"label_stop_words": "french"},
                                 {"label_skip_speaker_names": 1}, {"workers": 0}])
def test_bad_params_are_refused_by_name(bad):
    with pytest.raises(ValueError, match=f"segments.{next(iter(bad))}"):
        SegmentsParams(**bad)


def test_params_yaml_section_loads():
    from pipeline.params import section_from_dict

    raw = yaml.safe_load(open("params.yaml", encoding="utf-8"))["segments"]
    assert isinstance(section_from_dict(raw, SegmentsParams), SegmentsParams)


def test_labels_name_what_sets_a_segment_apart():
    docs = ["Credit unions and cooperative banks lend to members. Credit is scarce.",
            "The new law on cooperatives passed parliament; the law needs rules.",
            "Thank you all, credit to the organisers."]
    labels = segment_labels(docs, n_words=2, ngram_max=1, stop_words="english")
    assert labels[0].split(", ")[0] == "credit"
    assert labels[1].split(", ")[0] == "law"
    assert segment_labels(["1 2 3", "4 5"], n_words=3, ngram_max=2, stop_words="english") == ["", ""]


def test_labels_leave_speakers_names_out():
    from pipeline.segments.labels import name_words

    docs = ["Thank you, Ms Shin. Masks and protective equipment are made at home.",
            "Thank you, Ms Shin. Dairy farmers and milk quotas need support."]
    skip = name_words(["Ms. Jenny Shin", "The Chair (Hon. Anthony Rota)"])
    assert {"shin", "jenny", "chair", "rota"} <= skip
    labels = segment_labels(docs, n_words=3, ngram_max=1, stop_words="english", skip_words=skip)
    assert all("shin" not in label for label in labels)
    assert "masks" in labels[0] and "dairy" in labels[1]



def _sklearn_counts(docs: list[str], ngram_max: int, stop: set[str]) -> dict[tuple[int, str], int]:
    from sklearn.feature_extraction.text import CountVectorizer

    from pipeline.segments.labels import TOKEN_PATTERN

    v = CountVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=(1, ngram_max), stop_words=sorted(stop) or None)
    m = v.fit_transform(docs).tocoo()
    names = v.get_feature_names_out()
    return {(int(r), str(names[c])): int(x) for r, c, x in zip(m.row, m.col, m.data, strict=True)}


@pytest.mark.parametrize("ngram_max", [1, 2, 3])
def test_term_counts_are_countvectorizers(ngram_max):
    """The numpy counting gives scikit-learn's counts: stop words dropped before n-grams form, no
    n-gram across documents, documents with no word or only stop words, accents and other scripts."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from pipeline.segments.labels import document_tokens, term_counts

    docs = ["Credit unions and cooperative banks lend to members. Credit is scarce, credit unions know.",
            "", "1 2 3 -- 42", "the and of", "Économie sociale et solidaire: l'économie sociale au Mexique",
            "Ms Shin said: masks, masks and protective equipment; Shin thanked the chair.",
            "Кооперативы и кредит", "credit unions credit unions credit"]
    stop = set(ENGLISH_STOP_WORDS) | {"shin", "ms"}
    counts, terms = term_counts([document_tokens(d) for d in docs], ngram_max, stop)
    coo = counts.tocoo()
    mine = {(int(r), str(terms[c])): int(x) for r, c, x in zip(coo.row, coo.col, coo.data, strict=True)}
    assert mine == _sklearn_counts(docs, ngram_max, stop)
    assert len(set(terms.tolist())) == len(terms)


def _as_dict(counted) -> dict[tuple[int, str], int]:
    coo = counted[0].tocoo()
    return {(int(r), str(counted[1][c])): int(x) for r, c, x in zip(coo.row, coo.col, coo.data, strict=True)}


@pytest.mark.parametrize("ngram_max", [1, 2])
def test_kept_term_counts_are_the_corpus_counts_and_read_back(tmp_path, ngram_max):
    """Each report's counts are kept: joined, they are the counts of all documents at once (terms in another
    order); they are read back unchanged, counted again only for a report whose text changed or in which a
    stop word (a new speaker's name) appears."""
    from pipeline.result_cache import ResultCache
    from pipeline.segments.core import kept_term_counts
    from pipeline.segments.labels import document_tokens, stop_set, term_counts

    docs = ["Credit unions lend, Ms Shin said.", "Laws pass.", "Dairy farmers and credit", "", "Shin: milk quotas"]
    reports = ["a", "a", "b", "b", "c"]
    stop = stop_set("english", ["ms"])
    cache = ResultCache(tmp_path, "code", {}, what="test")
    whole = _as_dict(term_counts([document_tokens(d) for d in docs], ngram_max, stop))
    first = kept_term_counts(docs, reports, stop, ngram_max, cache)
    assert _as_dict(first) == whole == _as_dict(kept_term_counts(docs, reports, stop, ngram_max, None))
    assert len(list(cache.dir.glob("counts-*.pkl"))) == 3
    assert _as_dict(kept_term_counts(docs, reports, stop, ngram_max, cache)) == whole
    assert len(list(cache.dir.glob("counts-*.pkl"))) == 3  # read back, none added

    named = stop | {"shin"}  # a speaker named Shin joins: only reports a and c hold the word
    assert _as_dict(kept_term_counts(docs, reports, named, ngram_max, cache)) == _as_dict(
        term_counts([document_tokens(d) for d in docs], ngram_max, named))
    assert len(list(cache.dir.glob("counts-*.pkl"))) == 5
    changed = [*docs[:2], "Milk quotas", "", docs[4]]
    assert _as_dict(kept_term_counts(changed, reports, stop, ngram_max, cache)) == _as_dict(
        term_counts([document_tokens(d) for d in changed], ngram_max, stop))
    assert len(list(cache.dir.glob("counts-*.pkl"))) == 6


def test_top_terms_from_candidates_are_those_of_all_terms(monkeypatch):
    """A label takes its terms from the segment's best-scoring candidates when they suffice: the same labels
    as ordering every term, with ties and overlapping words among them."""
    from pipeline.segments import labels

    rng = np.random.default_rng(3)
    vocab = ["credit", "union", "law", "milk", "quota", "dairy", "farmer", "bank", "loan", "levy", "tax", "fund"]
    docs = [" ".join(rng.choice(vocab, size=int(rng.integers(0, 60)))) for _ in range(40)]
    for n_words in (1, 3, 5):
        monkeypatch.setattr(labels, "_CANDIDATES", 2)
        few = labels.segment_labels(docs, n_words=n_words, ngram_max=2, stop_words="english")
        monkeypatch.setattr(labels, "_CANDIDATES", 10**9)
        assert few == labels.segment_labels(docs, n_words=n_words, ngram_max=2, stop_words="english")


# --- build_segments: the tables -------------------------------------------------------------------

def _statements(rows: list[tuple[str, str, str]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(report_id, speaker, theme) per statement, in turn order."""
    seq = pd.Series([r[0] for r in rows]).groupby([r[0] for r in rows]).cumcount() + 1
    ids = [f"{r[0]}:{s:04d}" for r, s in zip(rows, seq, strict=True)]
    st = pd.DataFrame({
        "report_id": [r[0] for r in rows], "statement_id": ids, "seq": seq.astype(int), "section": "key_points",
        "speaker": [r[1] for r in rows], "role": "panelist", "speaker_label": [r[1] for r in rows],
        "text": [f"words about {r[2]} number {i}" for i, r in enumerate(rows)],
        "line_start": [10 * (i + 1) for i in range(len(rows))], "line_end": [10 * (i + 1) + 2 for i in range(len(rows))],
        "page": pd.array([pd.NA] * len(rows), dtype="Int64"),
    })
    themed = st[["statement_id", "report_id", "speaker", "role", "section", "text"]].assign(
        topic=0, topic_label="0_x", theme=[r[2] for r in rows], theme_score=0.9, themes=[r[2] for r in rows])
    return st, themed


ROWS = (
    [("r1", "Ana", "procedural")] + [("r1", "Bea", "financing")] * 3 + [("r1", "Ana", "financing")] * 2
    + [("r1", "Cid", "legislation")] * 4 + [("r1", "Bea", "legislation")] + [("r1", "Bea", "procedural")]
    + [("r2", "", "inequality")] * 2
)


@pytest.fixture()
def built():
    st, themed = _statements(ROWS)
    # one direction per block of turns: r1 statements 0-5 and 6-11, r2 its own
    block = [0] * 6 + [1] * 6 + [2] * 2
    vectors = np.eye(3)[block] + 0.01 * np.random.default_rng(0).normal(size=(len(block), 3))
    params = SegmentsParams(min_statements=2, smoothing_window=0, centre=False)
    # shuffled rows: the stage orders by report and seq itself
    order = np.random.default_rng(1).permutation(len(st))
    return build_segments(st.iloc[order], vectors[order], themed, themes=THEMES, params=params)


def test_segments_table_follows_turn_order(built):
    seg = built.segments
    assert seg[["report_id", "segment", "n_statements"]].values.tolist() == [["r1", 1, 6], ["r1", 2, 6], ["r2", 1, 2]]
    first = seg.iloc[0]
    assert (first["first_statement_id"], first["last_statement_id"]) == ("r1:0001", "r1:0006")
    assert (first["line_start"], first["line_end"]) == (10, 62)


def test_segment_theme_is_the_substantive_majority_and_speakers_most_first(built):
    seg = built.segments.set_index(["report_id", "segment"])
    one = seg.loc[("r1", 1)]
    assert one["theme"] == "financing" and one["theme_share"] == 1.0 and one["n_substantive"] == 5
    assert one["speakers"] == "Ana; Bea"  # 3 each: Ana spoke first
    two = seg.loc[("r1", 2)]
    assert two["theme"] == "legislation" and two["speakers"] == "Cid; Bea"
    assert two["theme_shares"] == "legislation 1.00"
    assert seg.loc[("r2", 1)]["speakers"] == "(unattributed)"


def test_segment_themes_keep_procedural_apart(built):
    st = built.segment_themes
    proc = st[st["theme"] == "procedural"]
    assert proc["share"].isna().all() and proc["n_statements"].sum() == 2
    shares = st[st["theme"] != "procedural"].groupby(["report_id", "segment"])["share"].sum()
    assert np.allclose(shares, 1.0)
    assert st["n_statements"].sum() == len(ROWS)


def test_every_statement_gets_its_segment(built):
    ss = built.statement_segments
    assert len(ss) == len(ROWS) and ss["statement_id"].is_unique
    assert ss.loc[ss["statement_id"] == "r1:0007", "segment"].item() == 2


def test_tables_round_trip_byte_identical(built, tmp_path):
    for table, df in ((SEGMENTS, built.segments), (SEGMENT_THEMES, built.segment_themes),
                      (STATEMENT_SEGMENTS, built.statement_segments)):
        write_table(df, tmp_path / "a.csv", table)
        back = read_table(tmp_path / "a.csv", table)
        write_table(back, tmp_path / "b.csv", table)
        assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_the_cut_cache_gives_the_same_tables_and_cuts_only_changed_reports(tmp_path, caplog):
    from pipeline.segments.core import segments_cache

    st, themed = _statements(ROWS)
    block = [0] * 6 + [1] * 6 + [2] * 2
    vectors = np.eye(3)[block] + 0.01 * np.random.default_rng(0).normal(size=(len(block), 3))
    params = SegmentsParams(min_statements=2, smoothing_window=0, centre=False)
    plain = build_segments(st, vectors, themed, themes=THEMES, params=params)
    cache = segments_cache(tmp_path / "cache", params)
    with caplog.at_level("INFO", logger="pipeline.segments.core"):
        cold = build_segments(st, vectors, themed, themes=THEMES, params=params, cache=cache)
        warm = build_segments(st, vectors, themed, themes=THEMES, params=params,
                              cache=segments_cache(tmp_path / "cache", params))
        assert "0 report(s) read back, 2 cut now" in caplog.text and "2 report(s) read back, 0 cut now" in caplog.text
        caplog.clear()
        # r1's second block turned towards the first: only r1 is cut again
        moved = vectors.copy()
        moved[6:12] = vectors[0:6]
        changed = build_segments(st, moved, themed, themes=THEMES, params=params, cache=cache)
        assert "1 report(s) read back, 1 cut now" in caplog.text
    for got in (cold, warm):
        for name in ("segments", "segment_themes", "statement_segments"):
            pd.testing.assert_frame_equal(getattr(got, name), getattr(plain, name))
    fresh = build_segments(st, moved, themed, themes=THEMES, params=params)
    pd.testing.assert_frame_equal(changed.statement_segments, fresh.statement_segments)
    assert not changed.statement_segments.equals(plain.statement_segments)  # not a stale cut
    # a stage run (its own cache object) keeps only what it asked for: r1's earlier cut and counts are removed
    before = {f.stem for f in cache.dir.glob("*.pkl")}
    rerun = segments_cache(tmp_path / "cache", params)
    build_segments(st, moved, themed, themes=THEMES, params=params, cache=rerun)
    kept = {f.stem for f in rerun.dir.glob("*.pkl")}
    assert kept == rerun.asked and kept < before
    # other params: another namespace, the old one removed on the first store
    other = SegmentsParams(min_statements=3, smoothing_window=0, centre=False)
    build_segments(st, vectors, themed, themes=THEMES, params=other, cache=segments_cache(tmp_path / "cache", other))
    assert len(list((tmp_path / "cache").iterdir())) == 1


def test_only_procedural_segment_has_no_share():
    st, themed = _statements([("r1", "Ana", "procedural")] * 2)
    out = build_segments(st, blocks([2]), themed, themes=THEMES, params=SegmentsParams())
    row = out.segments.iloc[0]
    assert row["theme"] == "procedural" and pd.isna(row["theme_share"]) and row["theme_shares"] == ""


def test_mismatched_inputs_are_named():
    st, themed = _statements(ROWS)
    with pytest.raises(ContractError, match="vectors for"):
        build_segments(st, np.zeros((3, 3)), themed, themes=THEMES, params=SegmentsParams(), source="x.csv")
    with pytest.raises(ContractError, match="rerun the topics stage"):
        build_segments(st, np.zeros((len(st), 3)), themed.iloc[1:], themes=THEMES, params=SegmentsParams())


# --- the views: report, workbook, notebook helper ------------------------------------------------

@pytest.fixture(scope="module")
def processed():
    from processed_tables import make_processed, with_segments

    return with_segments(make_processed())


def test_session_segments_view(processed):
    from pipeline.explore import session_segments

    view = session_segments(processed, "r1")
    assert view["segment"].tolist() == list(range(1, len(view) + 1))
    assert view["statements"].sum() == (processed.statements["report_id"] == "r1").sum()
    assert view["share_of_session"].sum() == pytest.approx(1.0)


def test_report_page_shows_the_timeline_and_each_quotes_segment(processed):
    from pipeline.report.build import ReportParams, render_report

    ids = sorted(processed.statement_themes["statement_id"])
    emb = np.random.default_rng(0).normal(size=(len(ids), 4))
    files = render_report(processed, None, emb, {s: i for i, s in enumerate(ids)}, ReportParams())
    page = files["session-r1.html"].decode("utf-8")
    n = len(processed.segments[processed.segments["report_id"] == "r1"])
    assert page.count('class="segment"') == n and 'id="agenda-table"' in page
    assert re.search(r"r1 · segment \d+ · ", page)


def test_workbook_has_segment_sheets_and_column(processed):
    from pipeline.export import ExportParams, sheets

    out = sheets(processed)
    assert {"Segments", "Segment × theme"} <= set(out)
    assert out["Statements"]["segment"].notna().all() and "segment" in out["Quote bank"].columns


def test_views_work_without_the_segments_stage():
    from processed_tables import make_processed

    from pipeline.explore import session_segments
    from pipeline.export import sheets

    p = make_processed()
    assert session_segments(p, "r1").empty
    assert "Segments" not in sheets(p) and "segment" not in sheets(p)["Statements"].columns


def test_dvc_stage_lists_its_inputs_params_and_outputs(repo_root):
    stages = yaml.safe_load((repo_root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    stage = stages["segments"]
    assert stage["params"] == ["segments"]
    assert {"pipeline/segments", "pipeline/tables", "pipeline/contract.py", "data/processed/embeddings.npy",
            "data/processed/statement_themes.csv"} <= set(stage["deps"])
    for out in stage["outs"]:
        assert out in stages["report"]["deps"] and out in stages["export"]["deps"]


def test_label_skip_words_from_params_reach_the_labels():
    st, themed = _statements(ROWS)
    vectors = np.eye(3)[[0] * 6 + [1] * 6 + [2] * 2]
    base = dict(min_statements=2, smoothing_window=0, centre=False)
    words = {w for label in build_segments(st, vectors, themed, themes=THEMES, params=SegmentsParams(**base)).segments["label"]
             for w in label.replace(",", " ").split()}
    skip = tuple(sorted(words))[:2]
    assert skip
    again = build_segments(st, vectors, themed, themes=THEMES, params=SegmentsParams(**base, label_skip_words=skip)).segments
    assert not {w for label in again["label"] for w in label.replace(",", " ").split()} & set(skip)


def test_partitions_at_several_costs_equal_partition_at_each():
    rng = np.random.default_rng(5)
    for n, d, min_size in ((1, 3, 3), (2, 3, 1), (9, 4, 2), (40, 6, 3), (60, 5, 1)):
        blocks = np.repeat(rng.normal(size=(4, d)), (n + 3) // 4, axis=0)[:n]
        x = blocks + 0.3 * rng.normal(size=(n, d))
        w = rng.uniform(0.5, 2.0, size=n)
        scale = best_cut_gain(x, w) or 1.0
        costs = [0.05 * scale, 0.3 * scale, 2.0 * scale]
        assert partitions(x, w, boundary_costs=costs, min_size=min_size) == [
            partition(x, w, boundary_cost=c, min_size=min_size) for c in costs
        ]


def _unpruned_partition(x: np.ndarray, w: np.ndarray, boundary_cost: float, min_size: int) -> list[int]:
    """The search over every start at every end, as the stage did before pruning (the reference)."""
    n = len(x)
    if n < 2:
        return []
    min_size = max(1, min(min_size, n))
    cw = np.concatenate([[0.0], np.cumsum(w)])
    cwx = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(x * w[:, None], axis=0)])
    cwxx = np.concatenate([[0.0], np.cumsum(w * np.einsum("ij,ij->i", x, x))])
    best = np.full(n + 1, np.inf)
    best[0] = -boundary_cost
    prev = np.zeros(n + 1, dtype=int)
    for end in range(min_size, n + 1):
        last = end - min_size + 1
        starts = np.flatnonzero(np.isfinite(best[:last]))
        sw = cw[end] - cw[:last]
        sx = cwx[end] - cwx[:last]
        cost = ((cwxx[end] - cwxx[:last]) - np.einsum("ij,ij->i", sx, sx) / np.where(sw > 0, sw, 1.0))[starts]
        total = best[starts] + cost + boundary_cost
        i = int(np.argmin(total))
        best[end], prev[end] = total[i], starts[i]
    cuts, end = [], n
    while end > 0:
        end = int(prev[end])
        if end > 0:
            cuts.append(end)
    return sorted(cuts)


@pytest.mark.parametrize("kind", ["noise", "blocks", "ties", "steps"])
def test_pruned_search_gives_the_cuts_of_the_full_search(kind):
    """Pruned starts are only those that lose by more than rounding: the same cuts, ties included."""
    rng = np.random.default_rng({"noise": 1, "blocks": 2, "ties": 3, "steps": 4}[kind])
    for _ in range(40):
        n, d, min_size = int(rng.integers(2, 90)), int(rng.integers(1, 12)), int(rng.integers(1, 6))
        if kind == "noise":
            x = rng.normal(size=(n, d))
        elif kind == "blocks":
            x = np.repeat(rng.normal(size=(n // 8 + 1, d)), 8, axis=0)[:n] + 0.2 * rng.normal(size=(n, d))
        elif kind == "ties":  # repeated rows and whole-number values: many equal costs
            x = np.round(rng.normal(size=(n, d)))
        else:
            x = np.zeros((n, d))
            x[:, 0] = np.arange(n) // 5
        w = rng.uniform(0.5, 2.0, size=n) if kind != "ties" else np.ones(n)
        costs = [float(rng.choice([0.0, 0.3, 2.0, 50.0])), float(rng.uniform(0.0, 10.0))]
        want = [_unpruned_partition(x, w, c, min_size) for c in costs]
        assert partitions(x, w, boundary_costs=costs, min_size=min_size) == want


def test_segments_are_the_same_in_worker_processes(built):
    st, themed = _statements(ROWS)
    block = [0] * 6 + [1] * 6 + [2] * 2
    vectors = np.eye(3)[block] + 0.01 * np.random.default_rng(0).normal(size=(len(block), 3))
    params = SegmentsParams(min_statements=2, smoothing_window=0, centre=False, workers=2)
    order = np.random.default_rng(1).permutation(len(st))
    pooled = build_segments(st.iloc[order], vectors[order], themed, themes=THEMES, params=params)
    for name in ("segments", "segment_themes", "statement_segments"):
        pd.testing.assert_frame_equal(getattr(pooled, name), getattr(built, name))
