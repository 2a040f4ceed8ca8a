"""The segments stage with the real sentence-transformers model: real sentences, the real sample report."""

from __future__ import annotations

import pytest

from pipeline.segments import SegmentsParams, segment_sequence

FOOTBALL = [
    "The striker scored twice in the second half of the match.",
    "Our goalkeeper saved a penalty in the final minute.",
    "The coach changed the formation to four defenders.",
    "The league title was decided on the last matchday.",
    "Fans filled the stadium to watch the derby.",
    "The referee showed a red card to the midfielder.",
    "The club signed a young winger from the academy.",
    "Injuries kept three defenders out of the cup final.",
]
BAKING = [
    "Knead the dough for ten minutes until it is smooth.",
    "Let the bread rise in a warm place for an hour.",
    "Preheat the oven to two hundred degrees before baking.",
    "Brush the loaf with egg wash for a golden crust.",
    "Sourdough needs a lively starter fed the day before.",
    "Fold the butter into the pastry to make it flaky.",
    "Cool the cake on a rack before you ice it.",
    "Weigh the flour rather than measuring it in cups.",
]
TAX_LAW = [
    "The new statute raises the corporate income tax rate.",
    "Taxpayers must file their returns by the end of April.",
    "The court ruled that the deduction was not allowed under the act.",
    "Value added tax applies to most goods and services.",
    "The amendment closes a loophole for offshore holdings.",
    "Auditors from the revenue agency reviewed the accounts.",
    "Capital gains are taxed at a lower rate than wages.",
    "The bill exempts small cooperatives from the levy.",
]


@pytest.fixture(scope="module")
def embed(embed_encoder):
    from pipeline.embed.encode import embed_texts

    return lambda texts: embed_texts(texts, embed_encoder)


@pytest.mark.slow
def test_three_subjects_in_a_row_give_three_segments(embed):
    texts = FOOTBALL + BAKING + TAX_LAW
    labels = segment_sequence(embed(texts), texts, SegmentsParams())
    assert labels.tolist() == [1] * 8 + [2] * 8 + [3] * 8


@pytest.mark.slow
@pytest.mark.parametrize("block", [FOOTBALL, BAKING, TAX_LAW], ids=["football", "baking", "tax_law"])
def test_one_subject_stays_one_segment(embed, block):
    texts = block + block[::-1]  # 16 statements on one subject
    assert set(segment_sequence(embed(texts), texts, SegmentsParams()).tolist()) == {1}


@pytest.mark.slow
def test_sample_report_segments_cover_every_statement_in_order(repo_root):
    from pipeline.codebook import load_codebook
    from pipeline.contract import SEGMENTS, STATEMENT_THEMES, STATEMENTS, validate
    from pipeline.embed.store import load_embeddings
    from pipeline.params import load_section
    from pipeline.segments.core import build_segments
    from pipeline.tableio import read_table
    from pipeline.tables.themes import ThemeColumns

    processed = repo_root / "data" / "processed"
    if not (processed / "statement_themes.csv").exists():
        pytest.skip("run `dvc repro` first (make test does)")
    st = read_table(processed / "statements.csv", STATEMENTS)
    themed = read_table(processed / "statement_themes.csv", STATEMENT_THEMES)
    vectors = load_embeddings(processed / "embeddings.npy", processed / "embedding_ids.csv", st["statement_id"].tolist())
    params = load_section(repo_root / "params.yaml", "segments", SegmentsParams)
    out = build_segments(st, vectors, themed, themes=ThemeColumns.from_codebook(load_codebook(repo_root / "codebooks" / "sse.yaml")),
                         params=params)
    seg = validate(out.segments, SEGMENTS, "sample")
    for _, part in seg.groupby("report_id"):
        n = int(st[st["report_id"] == part["report_id"].iloc[0]].shape[0])
        assert part["n_statements"].sum() == n and 1 <= len(part) <= n // params.min_statements
        assert (part["line_start"].to_numpy()[1:] > part["line_end"].to_numpy()[:-1]).all()
        assert (part["label"] != "").all()


def _cli(repo_root, tmp_path, params, tag):
    import subprocess
    import sys

    processed = repo_root / "data" / "processed"
    outs = [tmp_path / f"{name}_{tag}.csv" for name in ("segments", "segment_themes", "statement_segments")]
    args = [sys.executable, "-m", "pipeline", "segments",
            "--statements", processed / "statements.csv", "--embeddings", processed / "embeddings.npy",
            "--embedding-ids", processed / "embedding_ids.csv", "--statement-themes", processed / "statement_themes.csv",
            "--codebook", repo_root / "codebooks" / "sse.yaml", "--params", params,
            "--segments", outs[0], "--segment-themes", outs[1], "--statement-segments", outs[2]]
    done = subprocess.run([str(a) for a in args], cwd=repo_root, capture_output=True, text=True)
    return done, outs


@pytest.mark.slow
def test_command_is_byte_identical_on_rerun_and_names_bad_params(repo_root, tmp_path):
    if not (repo_root / "data" / "processed" / "statement_themes.csv").exists():
        pytest.skip("run `dvc repro` first (make test does)")
    first, outs_a = _cli(repo_root, tmp_path, repo_root / "params.yaml", "a")
    second, outs_b = _cli(repo_root, tmp_path, repo_root / "params.yaml", "b")
    assert first.returncode == 0 and second.returncode == 0, first.stderr
    for a, b in zip(outs_a, outs_b, strict=True):
        assert a.read_bytes() == b.read_bytes()
    bad = tmp_path / "params.yaml"
    bad.write_text("segments:\n  penalty: -1\n", encoding="utf-8")
    failed, _ = _cli(repo_root, tmp_path, bad, "c")
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines()[-1] == f"error: {bad}: segments.penalty must be a number >= 0, got -1"
