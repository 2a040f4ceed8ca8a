"""Short last passes: taken only where this machine gives them the full passes' bits (checked)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipeline.embed import encode, short_passes
from pipeline.embed.cache import VectorCache
from pipeline.embed.encode import embed_texts, pass_rows
from pipeline.embed.incremental import cache_for, embed_with_cache
from pipeline.embed.model import Encoder
from pipeline.embed.settings import MIN_BATCH_TOKENS, EmbedParams
from pipeline.embed.short_passes import check_key, short_passes_exact, short_rows


def full_rows(length: int) -> int:
    return pass_rows(length, 128, 2048)


def test_a_short_pass_holds_its_texts_but_at_least_the_floor_and_at_most_a_full_pass():
    assert short_rows(30, 5, full_rows(30)) == 5
    assert short_rows(4, 1, full_rows(4)) == MIN_BATCH_TOKENS // 4  # filled up to the floor
    assert short_rows(30, 500, full_rows(30)) == full_rows(30)


@dataclass
class ShapeEncoder:
    """An encoder whose vector of a row is a function of the row, plus `drift` x the pass's rows:
    drift 0 is a machine where short passes are exact, drift > 0 one where the shape shows."""

    drift: float
    backend: str = "torch"
    precision: str = "float32"
    threads: int = 1
    fingerprint: str = "f" * 64
    max_tokens: int = 256
    checks: dict[Any, Any] = field(default_factory=dict)
    passes: list[int] = field(default_factory=list)
    tokenizer: Any = None

    def tokenize(self, texts: list[str]) -> Any:
        ids = np.array([101, 7592, 102])
        return type("T", (), {"items": [({}, {"input_ids": ids, "attention_mask": np.ones(3, dtype=np.int64)})]})

    def encode_passes(self, passes: Any) -> Any:
        for items in passes:
            self.passes.append(len(items))
            rows = np.stack([np.resize(arrays["input_ids"].astype(np.float32), 8) for _, arrays in items])
            yield rows / 1000 + self.drift * len(items)


def test_the_check_finds_a_machine_where_the_shape_changes_the_bits():
    assert short_passes_exact(ShapeEncoder(drift=0.0), full_rows) is True
    assert short_passes_exact(ShapeEncoder(drift=1e-7), full_rows) is False


def test_the_answer_is_kept_on_the_encoder():
    encoder = ShapeEncoder(drift=0.0)
    short_passes_exact(encoder, full_rows)
    ran = len(encoder.passes)
    assert short_passes_exact(encoder, full_rows) is True and len(encoder.passes) == ran
    assert encoder.checks == {check_key(encoder, full_rows): True}


def test_another_backend_is_never_cut():
    assert short_passes_exact(ShapeEncoder(drift=0.0, backend="onnx"), full_rows) is False


@pytest.fixture(scope="module")
def cap_texts(shared_dir) -> list[str]:
    """240 real State of the Union sentences under 100 characters: about 25 lengths, a few texts
    each (every length's pass costs a full pass, 2,048 word pieces, in full shape)."""
    frame = pd.read_csv(shared_dir / "corpora" / "cap_sotu" / "df_cap_sotu_test.csv", usecols=["text_original"])
    texts = frame["text_original"].astype(str).drop_duplicates()
    return texts[texts.str.len() < 100].sample(240, random_state=5).tolist()


def fresh(encoder: Encoder) -> Encoder:
    """The same weights with nothing measured yet."""
    return Encoder(name=encoder.name, path=encoder.path, fingerprint=encoder.fingerprint, threads=encoder.threads,
                   precision=encoder.precision, _model=encoder.model)


@pytest.fixture(scope="module")
def full_passes(embed_encoder, cap_texts) -> np.ndarray:
    """The texts' vectors with every pass of one length in its full shape (nothing checked)."""
    encoder = fresh(embed_encoder)
    encoder.checks[check_key(encoder, full_rows)] = False
    return embed_texts(cap_texts, encoder, batch_size=128, batch_tokens=2048)


@pytest.fixture(scope="module")
def checked(embed_encoder) -> Encoder:
    """The real encoder once the check has run on this machine."""
    encoder = fresh(embed_encoder)
    short_passes_exact(encoder, full_rows)
    return encoder


@pytest.mark.slow
def test_short_passes_give_real_texts_the_bits_of_full_passes_where_the_check_allows(checked, cap_texts, full_passes):
    rows = encode.short_pass_rows(checked, [[0]], [30], 128, 2048)
    assert rows(30, 1) == (short_rows(30, 1, full_rows(30)) if checked.checks[check_key(checked, full_rows)]
                           else full_rows(30))
    # either way (short passes where the check allows them, else full ones): the same bits
    np.testing.assert_array_equal(embed_texts(cap_texts, checked, batch_size=128, batch_tokens=2048), full_passes)


@pytest.mark.slow
def test_an_incremental_run_gets_the_cold_runs_bits_and_keeps_the_check_beside_the_cache(
        embed_encoder, checked, cap_texts, full_passes, tmp_path, monkeypatch):
    params = EmbedParams(threads=embed_encoder.threads, precision=embed_encoder.precision)
    first = fresh(embed_encoder)
    first.checks.update(checked.checks)  # measured earlier in this process: written beside the cache
    cache = cache_for(first, params, tmp_path)
    old, report = embed_with_cache(cap_texts[:200], first, params, cache)
    assert report.encoded == 200
    kept = VectorCache(tmp_path, cache.dir.name).read_checks()
    assert kept == checked.checks and len(kept) == 1

    def no_second_check(*args: Any) -> bool:
        raise AssertionError("the check ran again although its answer was kept")

    monkeypatch.setattr(short_passes, "_check", no_second_check)
    monkeypatch.setattr(encode, "WORTH", 0)  # 40 new texts: checked, were it not kept
    second = fresh(embed_encoder)
    both, report = embed_with_cache(cap_texts, second, params, cache_for(second, params, tmp_path))
    assert report.encoded == 40 and second.checks == kept
    np.testing.assert_array_equal(both, full_passes)
    np.testing.assert_array_equal(both[:200], old)


def test_a_damaged_checks_file_is_set_aside_and_measured_again(tmp_path, caplog):
    cache = VectorCache(tmp_path, "ns")
    cache.checks_path.parent.mkdir(parents=True)
    cache.checks_path.write_text("{not json")
    assert cache.read_checks() == {}
    assert not cache.checks_path.exists() and "damaged checks file" in caplog.text
    cache.write_checks({"k": True})
    assert cache.read_checks() == {"k": True}
