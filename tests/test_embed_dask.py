"""engine: dask on a local cluster started by the test: the same vectors and the same cache as a local run."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from pipeline.embed.distributed import chunks
from pipeline.embed.incremental import cache_for, embed_with_cache
from pipeline.embed.settings import EmbedParams

TEXTS = [
    "The social economy is a vehicle for sustainable development.",
    "Cooperatives need access to finance.",
    "Public procurement can favour social enterprises.",
    "Thank you.",
    "We ask the government to legislate on the status of cooperatives and to fund local networks.",
    "Credit unions lend to members that banks turn away because they cannot offer collateral.",
    # longer than the model reads: encoded in windows, on the worker as locally
    " ".join(["Mutual aid societies grew in every town and kept their members in work."] * 30),
]


def test_chunks_keep_order_and_cover_everything():
    parts = chunks(list("abcdefg"), 3)
    assert parts == [["a", "b", "c"], ["d", "e", "f"], ["g"]]
    assert chunks([], 3) == []


def test_engine_is_checked():
    with pytest.raises(ValueError, match="engine must be one of local, dask"):
        EmbedParams(engine="spark")


@pytest.mark.slow
def test_dask_workers_give_the_local_vectors_and_fill_the_same_cache(embed_encoder, tmp_path):
    from distributed import LocalCluster

    local = EmbedParams(threads=1, precision=embed_encoder.precision)  # the encoder the local run uses
    expected, _ = embed_with_cache(TEXTS, embed_encoder, local, cache_for(embed_encoder, local, tmp_path / "local"))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = dataclasses.replace(local, engine="dask", cluster=cluster.scheduler_address, engine_chunk=3)
        cache = cache_for(embed_encoder, remote, tmp_path / "dask")
        got, report = embed_with_cache(TEXTS, embed_encoder, remote, cache)
    assert report.encoded == len(TEXTS)
    np.testing.assert_array_equal(got, expected)  # bitwise: same code, same threads, neighbours do not matter
    # the engine is not part of the cache key: a local run reads everything the cluster wrote
    again, report = embed_with_cache(TEXTS, embed_encoder, local, cache_for(embed_encoder, local, tmp_path / "dask"))
    assert (report.encoded, report.cached) == (0, len(TEXTS))
    np.testing.assert_array_equal(again, expected)


@pytest.mark.slow
def test_the_stage_on_its_own_local_cluster_writes_the_same_files(tmp_path):
    """`engine: dask` with no cluster address: the stage starts and stops a local cluster; same bytes out."""
    import pandas as pd

    from pipeline.contract import STATEMENTS
    from pipeline.embed.cli import run_embed
    from pipeline.tableio import write_table

    n = len(TEXTS)
    st = pd.DataFrame({"report_id": "r", "statement_id": [f"r:{i:04d}" for i in range(n)], "seq": range(n),
                       "section": "other", "speaker": "", "role": "other", "speaker_label": "", "text": TEXTS,
                       "line_start": range(1, n + 1), "line_end": range(1, n + 1), "page": pd.NA,
                       "source_lines": [str(i + 1) for i in range(n)]})
    out = {}
    for engine in ("local", "dask"):
        folder = tmp_path / engine
        folder.mkdir()
        write_table(st, folder / "statements.csv", STATEMENTS)
        (folder / "params.yaml").write_text(
            f"embed:\n  threads: 1\n  engine: {engine}\n  workers: 1\n  engine_chunk: 4\n", encoding="utf-8")
        run_embed(folder / "statements.csv", folder / "embeddings.npy", folder / "ids.csv", folder / "params.yaml",
                  folder / "cache")
        out[engine] = ((folder / "embeddings.npy").read_bytes(), (folder / "ids.csv").read_bytes())
    assert out["dask"] == out["local"]
