"""Static PNGs and interactive HTML, on the few-row fixture tables (fast) and a real BERTopic model (slow)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from processed_tables import make_processed

from pipeline import figures
from pipeline.errors import InputError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def p():
    return make_processed()


def _row_of(p):
    ids = sorted(p.statement_themes["statement_id"])
    return {s: i for i, s in enumerate(ids)}


def test_static_figures_are_pngs_and_identical_on_rerun(p):
    first = figures.static_figures(p, figures.FiguresParams())
    second = figures.static_figures(p, figures.FiguresParams())
    assert set(first) == set(figures.STATIC_FIGURES)
    for name, png in first.items():
        assert png.startswith(PNG_MAGIC), name
        assert png == second[name], f"{name} differs between runs"


def test_heatmap_is_sized_by_the_matrix(p):
    small = figures.heatmap(figures.speaker_theme_matrix(p, "r2"), title="t")
    large = figures.heatmap(figures.speaker_theme_matrix(p), title="t")
    assert large.get_size_inches()[1] > small.get_size_inches()[1]


def test_top_speakers_keeps_the_busiest(p):
    m = figures.speaker_theme_matrix(p)
    top = figures.top_speakers(m, 2)
    assert list(top.index) == ["Bea Key (r1)", "Cid Pan (r1)"]


def test_empty_tables_still_draw(p):
    empty = figures.speaker_theme_matrix(p, "no-such-session")
    assert figures.png_bytes(figures.heatmap(empty, title="t")).startswith(PNG_MAGIC)


def test_interactive_figures_are_self_contained_and_stable(p):
    emb = np.random.default_rng(0).normal(size=(len(p.statements), 8))
    first = figures.interactive_figures(None, p.statement_themes, emb, _row_of(p), figures.FiguresParams())
    second = figures.interactive_figures(None, p.statement_themes, emb, _row_of(p), figures.FiguresParams())
    assert set(first) == set(figures.INTERACTIVE_FIGURES)
    for name, html in first.items():
        assert html == second[name]
        assert not re.search(r"<script[^>]+src=", html), f"{name} loads a script from elsewhere"
        assert "Plotly.newPlot" in html
        assert len(html) > 1_000_000, f"{name} does not inline plotly.js"


def test_interactive_figures_refuse_missing_embeddings(p):
    emb = np.zeros((2, 8))
    with pytest.raises(ValueError, match="no embedding"):
        figures.interactive_figures(None, p.statement_themes, emb, {"r1-0001": 0}, figures.FiguresParams())


def test_reduce_to_2d_handles_tiny_inputs():
    assert figures.reduce_to_2d(np.zeros((0, 4))).shape == (0, 2)
    assert figures.reduce_to_2d(np.ones((2, 4))).shape == (2, 2)
    assert figures.reduce_to_2d(np.random.default_rng(1).normal(size=(9, 4))).shape == (9, 2)


def test_bad_class_parameter_is_one_line_error():
    with pytest.raises(InputError, match="topics_per_class_by"):
        figures.FiguresParams(topics_per_class_by="colour")


def test_load_topic_model_without_model_files(tmp_path):
    assert figures.load_topic_model(tmp_path) is None
    with pytest.raises(InputError, match="not found"):
        figures.load_topic_model(tmp_path / "missing")


@pytest.mark.slow
def test_bertopic_charts_on_a_real_fitted_model(p, tmp_path):
    """BERTopic's own charts (not the fallbacks) on a model fitted to real embeddings."""
    from bertopic import BERTopic
    from bertopic.dimensionality import BaseDimensionalityReduction
    from sklearn.cluster import KMeans

    from pipeline.embed.model import load_encoder

    encoder = load_encoder("all-MiniLM-L6-v2")
    st = p.statement_themes.sort_values("statement_id")
    docs = st["text"].tolist()
    emb = encoder.encode_batch(docs, batch_size=16)
    model = BERTopic(embedding_model=encoder.model, umap_model=BaseDimensionalityReduction(),
                     hdbscan_model=KMeans(n_clusters=3, random_state=0, n_init=10))
    topics, _ = model.fit_transform(docs, emb)
    p2 = type(p)(**{**p.__dict__, "statement_themes": st.assign(topic=topics)})
    html = figures.interactive_figures(model, p2.statement_themes, emb, {s: i for i, s in enumerate(st["statement_id"])},
                                       figures.FiguresParams())
    assert "Topics per Class" in html["topics_per_class"] or "Topics per class" in html["topics_per_class"]
    assert "Statements and topics" in html["topic_map"]
    assert not re.search(r"<script[^>]+src=", html["topic_map"])
    # BERTopic's document map shuffles with numpy's global generator: the page must not change
    import numpy as np

    np.random.seed(12345)
    again = figures.interactive_figures(model, p2.statement_themes, emb, {s: i for i, s in enumerate(st["statement_id"])},
                                        figures.FiguresParams())
    assert again["topic_map"] == html["topic_map"]
    # the statements' word counts kept per report and summed give BERTopic's own counts of the joined texts
    from pipeline.report.word_counts import counts_cache

    labels, classes = st["topic_label"].astype(str).tolist(), st["role"].astype(str).tolist()
    plain = figures.topics_per_class(model, docs, list(topics), labels, classes, 10)
    for _ in range(2):  # counted, then read back
        summed = figures.topics_per_class(model, docs, list(topics), labels, classes, 10,
                                          reports=st["report_id"].astype(str).tolist(),
                                          counts_cache=counts_cache(tmp_path))
        assert figures.plotly_html(summed, "t") == figures.plotly_html(plain, "t")


def test_topic_map_draws_a_seeded_sample_above_its_limit(p):
    n = len(p.statements)
    assert n >= 3
    emb = np.random.default_rng(0).normal(size=(n, 8))
    small = figures.interactive_figures(None, p.statement_themes, emb, _row_of(p), figures.FiguresParams(max_map_points=2))
    again = figures.interactive_figures(None, p.statement_themes, emb, _row_of(p), figures.FiguresParams(max_map_points=2))
    whole = figures.interactive_figures(None, p.statement_themes, emb, _row_of(p), figures.FiguresParams())
    assert small["topic_map"] == again["topic_map"]
    assert f"a sample of 2 of {n} statements" in small["topic_map"]
    assert "a sample of" not in whole["topic_map"]
    assert figures.map_sample(n, 2, 42).tolist() == sorted(figures.map_sample(n, 2, 42).tolist())
    assert figures.map_sample(n, n, 42).tolist() == list(range(n))
