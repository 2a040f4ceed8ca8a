"""Same inputs, byte-identical statement_themes.csv and topics.csv."""

from __future__ import annotations

import pytest

from pipeline.contract import STATEMENT_THEMES, TOPICS
from pipeline.tableio import write_table
from pipeline.topics.core import assign_topics_and_themes
from topics_helpers import fast_params, hashing_encode, mini_codebook, statements


def write_run(out_dir, st):
    result = assign_topics_and_themes(st, hashing_encode(st["text"].tolist()), mini_codebook(), hashing_encode,
                                      fast_params(), None)
    write_table(result.statement_themes, out_dir / "statement_themes.csv", STATEMENT_THEMES)
    write_table(result.topics, out_dir / "topics.csv", TOPICS)
    return result


def test_reruns_are_byte_identical(tmp_path):
    st, _ = statements(60)
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        write_run(tmp_path / run, st)
    for name in ("statement_themes.csv", "topics.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_row_order_of_the_input_does_not_change_the_themes(tmp_path):
    st, _ = statements(20)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_run(tmp_path / "a", st)
    shuffled = st.sample(frac=1.0, random_state=3)
    second = write_run(tmp_path / "b", shuffled)
    a = first.statement_themes.set_index("statement_id").sort_index()
    b = second.statement_themes.set_index("statement_id").sort_index()
    # KMeans (< 30 statements) is seeded and order-independent up to its labels; themes must not move
    assert (a["theme"] == b["theme"]).all()


@pytest.mark.slow
def test_the_saved_model_is_byte_identical_across_processes(repo_root, tmp_path):
    """Each process hashes strings with another seed: KeyBERT's candidate words come in another order."""
    import os
    import subprocess
    import sys

    processed = repo_root / "data" / "processed"
    if not (processed / "embedding_model.json").exists():
        pytest.skip("run `dvc repro` first (make test does)")
    common = ["--statements", str(processed / "statements.csv"), "--embeddings", str(processed / "embeddings.npy"),
              "--embedding-ids", str(processed / "embedding_ids.csv"),
              "--model-record", str(processed / "embedding_model.json"),
              "--codebook", str(repo_root / "codebooks" / "sse.yaml"), "--params", str(repo_root / "params.yaml")]
    for seed in ("1", "2"):
        out = tmp_path / seed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        for argv in (["topic-fit", *common, "--fit-dir", str(out / "fit")],
                     ["topics", *common, "--fit-dir", str(out / "fit"), "--statement-themes", str(out / "st.csv"),
                      "--topics", str(out / "topics.csv"), "--model-dir", str(out / "model")]):
            done = subprocess.run([sys.executable, "-m", "pipeline", *argv], cwd=repo_root, env=env,
                                  capture_output=True, text=True, check=False)
            assert done.returncode == 0, done.stderr[-2000:]
    files = sorted(p.relative_to(tmp_path / "1") for p in (tmp_path / "1").rglob("*") if p.is_file())
    assert any(f.name == "topics.json" for f in files)
    assert [f for f in files if (tmp_path / "1" / f).read_bytes() != (tmp_path / "2" / f).read_bytes()] == []
