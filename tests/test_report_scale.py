"""What keeps the report's cost per session small (issue 12), checked by structure, never by a clock.

A report has a page per session: anything drawn or computed per session is
paid hundreds of times at scale. These tests fail if a session's page starts
drawing matplotlib figures again, if a corpus-wide index is rebuilt per
session, or if the CLI imports BERTopic in the process that draws the pages.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from processed_tables import make_processed, write_processed

from pipeline import figures
from pipeline.errors import InputError, SessionThemesError
from pipeline.heatmap_image import heatmap_png
from pipeline.report import background, build
from pipeline.report.build import ReportParams

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def p():
    return make_processed()


def test_a_session_heatmap_draws_no_matplotlib_figure(p, monkeypatch):
    made = []
    original = figures.Figure.__init__

    def counting(self, *args, **kwargs):
        made.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(figures.Figure, "__init__", counting)
    png = figures.session_heatmap(p, "r1", figures.FiguresParams())
    assert png.startswith(b"\x89PNG")
    assert made == [], "a session heatmap built matplotlib figures (about 0.5 s each, per session)"


def test_corpus_wide_indexes_are_built_once_per_report_not_per_session(p, monkeypatch):
    calls = {"segment_of": 0, "quotes_by_session": 0}
    for name in calls:
        real = getattr(build, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(build, name, counted)
    assert p.sessions["report_id"].nunique() >= 2
    heatmaps = {r: b"\x89PNG" for r in p.sessions["report_id"]}
    pages = build.session_pages(p, heatmaps, ReportParams())
    assert len(pages) == p.sessions["report_id"].nunique()
    assert calls == {"segment_of": 1, "quotes_by_session": 1}


def test_quotes_from_the_index_equal_quotes_looked_up_alone(p):
    index = build.quotes_by_session(p)
    segments = build.segment_of(p)
    for r in p.sessions["report_id"]:
        alone = build.session_quotes(p, r, 2)
        assert build.session_quotes(p, r, 2, segments, index.get(r, p.quote_bank.iloc[:0])) == alone
        assert all(len(g["quotes"]) <= 2 for g in alone)


def _matrix(rows: int, cols: int, seed: int = 0) -> pd.DataFrame:
    values = np.random.default_rng(seed).integers(0, 9, size=(rows, cols))
    return pd.DataFrame(values, index=[f"Speaker {i}" for i in range(rows)],
                        columns=[f"Theme number {j}" for j in range(cols)])


def test_pillow_heatmap_is_stable_and_grows_with_the_matrix():
    m = _matrix(5, 4)
    first, second = heatmap_png(m, title="t"), heatmap_png(m, title="t")
    assert first == second
    small = Image.open(io.BytesIO(first))
    big = Image.open(io.BytesIO(heatmap_png(_matrix(20, 4), title="t")))
    assert big.height > small.height


def test_pillow_heatmap_colours_cells_by_count_and_keeps_long_labels_on_the_canvas():
    m = pd.DataFrame([[0, 9]], index=["A speaker with a very long name indeed, and an affiliation too"],
                     columns=["Zero", "A theme whose name is long enough to reach past the left edge of the picture"])
    image = np.asarray(Image.open(io.BytesIO(heatmap_png(m, title="t"))).convert("RGB")).astype(int)
    # every edge row and column is white padding: nothing was cut off
    for edge in (image[0], image[-1], image[:, 0], image[:, -1]):
        assert (edge == 255).all()
    # the darkest blue of the map appears (the 9) and so does the palest (the 0)
    import matplotlib

    dark = np.array(matplotlib.colormaps["Blues"](1.0, bytes=True)[:3])
    pale = np.array(matplotlib.colormaps["Blues"](0.0, bytes=True)[:3])
    assert (np.abs(image - dark).sum(axis=2) == 0).sum() > 100
    assert (np.abs(image - pale).sum(axis=2) == 0).sum() > 100


def test_background_job_returns_its_result_and_raises_its_errors(monkeypatch):
    with background.in_background(lambda: {"a": "b" * 100_000}) as pending:
        assert pending.result() == {"a": "b" * 100_000}

    def fails():
        raise InputError("some/model", "cannot load")

    with background.in_background(fails) as pending, pytest.raises(SessionThemesError, match="some/model: cannot load"):
        pending.result()
    monkeypatch.setenv(background.NO_FORK_ENV, "1")
    with background.in_background(lambda: 7) as pending:
        assert pending._process is None and pending.result() == 7


def test_report_cli_draws_pages_without_importing_bertopic(tmp_path):
    """The CLI process never imports BERTopic itself (only its background child may): pages don't wait on it."""
    p = write_processed(tmp_path / "processed")
    processed = tmp_path / "processed"
    ids = sorted(p.statement_themes["statement_id"])
    np.save(processed / "embeddings.npy", np.random.default_rng(0).normal(size=(len(ids), 8)).astype(np.float32))
    pd.DataFrame({"statement_id": ids, "row": range(len(ids))}).to_csv(processed / "embedding_ids.csv", index=False)
    (processed / "topic_model").mkdir()
    # the model loader is replaced by one that leaves a mark in the process that runs it
    script = f"""
import os, sys, types
from pathlib import Path
import pipeline.figures
from pipeline.explore import load_processed
from pipeline.report.build import ReportParams
from pipeline.report.cli import render

def load_topic_model(model_dir):
    sys.modules["_loaded_a_topic_model_here"] = types.ModuleType("mark")
    return None

pipeline.figures.load_topic_model = load_topic_model
d = Path({str(processed)!r})
files = render(load_processed(d), d / "topic_model", d / "embeddings.npy", d / "embedding_ids.csv", ReportParams())
assert "topic_map.html" in files and "index.html" in files
print("_loaded_a_topic_model_here" in sys.modules, "bertopic" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.split() == ["False", "False"], out.stdout + out.stderr


def test_the_session_chart_keeps_the_sessions_with_most_statements(p):
    shares, title = figures.largest_sessions(p, 1)
    assert list(shares.index) == ["r1"]  # 7 substantive statements against r2's 4
    assert "(the 1 with most statements, of 2)" in title
    all_shares, plain = figures.largest_sessions(p, 60)
    assert list(all_shares.index) == ["r1", "r2"] and plain == "Theme shares per session"


def test_the_corpus_page_lists_at_most_max_index_speakers_and_says_so(p):
    env = build._environment()
    capped = build.render_index(p, {}, [], ReportParams(max_index_speakers=3), env)
    full = build.render_index(p, {}, [], ReportParams(), env)
    assert "The 3 speakers with most statements, of 8" in capped
    assert "speakers with most statements" not in full
    matrix = figures.speaker_theme_matrix(p)
    shown = figures.top_speakers(matrix, 3).index
    left_out = [s for s in matrix.index if s not in shown]
    assert len(shown) == 3 and left_out
    assert all(s in full for s in left_out) and not any(s in capped for s in left_out)
