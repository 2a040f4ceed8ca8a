"""The report pages, rendered from the few-row fixture tables: content, escaping, self-containment."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from processed_tables import MARKUP_TEXT, make_processed

from pipeline import figures
from pipeline.report.build import ReportParams, page_name, render_report
from pipeline.report.cli import write_files


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    p = make_processed()
    ids = sorted(p.statement_themes["statement_id"])
    emb = np.random.default_rng(0).normal(size=(len(ids), 8))
    return render_report(p, None, emb, {s: i for i, s in enumerate(ids)}, ReportParams())


def _html(files, name):
    return files[name].decode("utf-8")


def test_one_page_per_session_and_the_charts(files):
    assert {"index.html", "session-r1.html", "session-r2.html", "topics_per_class.html", "topic_map.html"} <= set(files)
    assert {f"figures/{n}.png" for n in figures.STATIC_FIGURES} <= set(files)


def test_index_links_every_session_and_chart(files):
    index = _html(files, "index.html")
    for page in ("session-r1.html", "session-r2.html", "topics_per_class.html", "topic_map.html"):
        assert f'href="{page}"' in index


def test_session_page_has_metadata_speakers_table_and_quotes(files):
    page = _html(files, "session-r1.html")
    assert "Keynote speakers" in page and "Bea Key" in page
    assert 'id="speaker-theme-table"' in page
    assert "Legislation and law" in page
    assert "lines 20–21" in page and "r1-0002" in page  # provenance of a quote


def test_report_text_is_escaped(files):
    page = _html(files, "session-r1.html")
    assert MARKUP_TEXT not in page
    assert "Funding &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; credit unions" in page
    assert "Social economy &amp; &lt;sustainable&gt; development" in _html(files, "index.html")


def test_pages_need_no_network(files):
    for name, content in files.items():
        if not name.endswith(".html"):
            continue
        html = content.decode("utf-8")
        assert not re.search(r"<(script|img|link)[^>]+(src|href)=\"(https?:)?//", html), name
    for match in re.finditer(r'<img src="([^"]+)"', _html(files, "index.html")):
        assert match.group(1).startswith("data:image/png;base64,")


def test_write_files_replaces_the_folder(files, tmp_path):
    out = tmp_path / "report"
    (out / "session-old.html").parent.mkdir(parents=True)
    (out / "session-old.html").write_text("stale")
    write_files(files, out)
    assert not (out / "session-old.html").exists()
    assert (out / "figures" / "speaker_theme_heatmap.png").read_bytes() == files["figures/speaker_theme_heatmap.png"]


def test_page_names_are_safe():
    assert page_name("gsef 2021/webinar#3") == "session-gsef-2021-webinar-3.html"
    assert page_name("../..") == "session-session.html"


def test_report_command_names_a_missing_input(tmp_path, repo_root):
    from processed_tables import write_processed
    from typer.testing import CliRunner

    from pipeline.cli import app
    from pipeline.explore import PROCESSED_FILES

    write_processed(tmp_path)
    (tmp_path / "speaker_theme_counts.csv").unlink()
    tables = [a for name, (file, _) in PROCESSED_FILES.items() for a in (f"--{name.replace('_', '-')}", str(tmp_path / file))]
    args = ["report", *tables, "--topic-model", str(tmp_path / "topic_model"), "--embeddings", str(tmp_path / "e.npy"),
            "--embedding-ids", str(tmp_path / "ids.csv"), "--codebook", str(repo_root / "codebooks" / "sse.yaml"),
            "--params", str(repo_root / "params.yaml"), "--out", str(tmp_path / "report")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "speaker_theme_counts.csv: file not found" in result.output and "Traceback" not in result.output


def test_pages_are_the_same_bytes_with_worker_processes(files):
    p = make_processed()
    ids = sorted(p.statement_themes["statement_id"])
    emb = np.random.default_rng(0).normal(size=(len(ids), 8))
    pooled = render_report(p, None, emb, {s: i for i, s in enumerate(ids)}, ReportParams(workers=2))
    assert pooled == files


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_bad_workers_are_refused_by_name(bad):
    with pytest.raises(Exception, match="workers"):
        ReportParams(workers=bad)


def test_the_page_cache_gives_the_same_files_and_draws_only_changed_sessions(files, tmp_path, caplog):
    import dataclasses

    from pipeline.report.page_cache import page_cache

    p = make_processed()
    ids = sorted(p.statement_themes["statement_id"])
    emb = np.random.default_rng(0).normal(size=(len(ids), 8))
    row_of = {s: i for i, s in enumerate(ids)}
    params = ReportParams()
    with caplog.at_level("INFO", logger="pipeline.report.build"):
        cold = render_report(p, None, emb, row_of, params, page_cache=page_cache(tmp_path, params))
        warm = render_report(p, None, emb, row_of, params, page_cache=page_cache(tmp_path, params))
        assert "(2 drawn in 1 process(es), 0 read back)" in caplog.text
        assert "(0 drawn in 1 process(es), 2 read back)" in caplog.text
        caplog.clear()
        # a speaker of r2 renamed: r2's page is drawn again, r1's read back
        speakers = p.speakers.assign(speaker=p.speakers["speaker"].where(p.speakers["report_id"] != "r2", "Renamed"))
        changed = dataclasses.replace(p, speakers=speakers)
        again = render_report(changed, None, emb, row_of, params, page_cache=page_cache(tmp_path, params))
        assert "(1 drawn in 1 process(es), 1 read back)" in caplog.text
    # r2's earlier page went with that run: one page kept per session
    (namespace,) = (d for d in tmp_path.iterdir() if d.is_dir())
    assert len(list(namespace.glob("*.pkl"))) == 2
    assert cold == files and warm == files
    assert again == render_report(changed, None, emb, row_of, params)
    assert "Renamed" in again["session-r2.html"].decode("utf-8")
    # a codebook theme renamed changes every page's key
    renamed = dataclasses.replace(p, theme_names={**p.theme_names, "financing": "Money"})
    with caplog.at_level("INFO", logger="pipeline.report.build"):
        caplog.clear()
        render_report(renamed, None, emb, row_of, params, page_cache=page_cache(tmp_path, params))
        assert "(2 drawn in 1 process(es), 0 read back)" in caplog.text


def test_session_pages_read_no_row_of_the_corpus_wide_tables(files):
    """What the page cache's keys rely on: a table without report_id (topics, roles) changes with
    every statement added, and no session page may show its rows (else page_keys must hash them)."""
    import dataclasses

    p = make_processed()
    corpus_wide = {f.name: getattr(p, f.name).iloc[:0] for f in dataclasses.fields(p)
                   if isinstance(getattr(p, f.name), pd.DataFrame) and "report_id" not in getattr(p, f.name).columns}
    assert {"topics", "role_counts", "role_shares"} <= set(corpus_wide)
    ids = sorted(p.statement_themes["statement_id"])
    emb = np.random.default_rng(0).normal(size=(len(ids), 8))
    emptied = render_report(dataclasses.replace(p, **corpus_wide), None, emb, {s: i for i, s in enumerate(ids)},
                            ReportParams())
    pages = [name for name in files if name.startswith("session-")]
    assert pages and all(emptied[name] == files[name] for name in pages)
