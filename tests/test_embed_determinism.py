"""The same text gives the same vector, whatever runs, batches and neighbours (real model).

With one thread count the vectors are bit for bit equal (no padding: equal-length
batches); across thread counts they agree within 1e-6.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.embed.encode import embed_texts, equal_length_batches
from pipeline.embed.model import Encoder, _load_sentence_transformer, load_encoder

pytestmark = pytest.mark.slow

TOL = 1e-6


@pytest.fixture(scope="module")
def cap_texts(shared_dir) -> list[str]:
    """120 real State of the Union sentences of varied length."""
    frame = pd.read_csv(shared_dir / "corpora" / "cap_sotu" / "df_cap_sotu_test.csv", usecols=["text_original"])
    return frame["text_original"].astype(str).drop_duplicates().sample(120, random_state=3).tolist()


def test_order_and_batch_size_do_not_change_a_vector(embed_encoder, cap_texts):
    reference = embed_texts(cap_texts, embed_encoder, batch_size=32)
    order = np.random.default_rng(0).permutation(len(cap_texts))
    for batch_size in (7, 64):
        shuffled = embed_texts([cap_texts[i] for i in order], embed_encoder, batch_size=batch_size)
        back = np.empty_like(shuffled)
        back[order] = shuffled
        np.testing.assert_array_equal(back, reference, err_msg=f"batch_size={batch_size}")
    one_by_one = embed_texts(cap_texts[:25], embed_encoder, batch_size=1)
    np.testing.assert_array_equal(one_by_one, reference[:25])


def test_neighbours_do_not_change_a_vector(embed_encoder, cap_texts):
    alone = embed_texts(cap_texts[:20], embed_encoder)
    among_others = embed_texts(cap_texts[60:] + cap_texts[:20], embed_encoder)[-20:]
    np.testing.assert_array_equal(alone, among_others)
    each_alone = np.vstack([embed_texts([t], embed_encoder) for t in cap_texts[:20]])
    np.testing.assert_array_equal(each_alone, alone)


def test_a_fresh_model_load_gives_the_same_vectors(embed_encoder, cap_texts):
    first = embed_texts(cap_texts[:50], embed_encoder)
    resolved = load_encoder("all-MiniLM-L6-v2")
    assert resolved.fingerprint == embed_encoder.fingerprint
    # bypass the per-process memo: really load the weights again
    weights = _load_sentence_transformer.__wrapped__(resolved.path, resolved.fingerprint, "cpu", True)
    assert weights is not embed_encoder.model
    fresh = Encoder(name=resolved.name, path=resolved.path, fingerprint=resolved.fingerprint, _model=weights)
    assert np.abs(embed_texts(cap_texts[:50], fresh) - first).max() <= TOL


def test_thread_count_does_not_change_a_vector(embed_encoder, cap_texts):
    import torch

    one = embed_texts(cap_texts[:40], embed_encoder)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        two = embed_texts(cap_texts[:40], embed_encoder)
    finally:
        torch.set_num_threads(before)
    assert np.abs(one - two).max() <= TOL


def test_equal_texts_get_identical_rows(embed_encoder):
    texts = ["Credit unions matter.", "Other text.", "Credit unions matter."]
    vectors = embed_texts(texts, embed_encoder)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors[0], vectors[2])
    assert not np.allclose(vectors[0], vectors[1])


def test_equal_length_batches_never_mix_lengths():
    from pipeline.embed.encode import equal_length_batches

    lengths = [40, 35, 40, 40, 35, 90]
    batches = equal_length_batches(lengths, 2)
    assert batches == [[1, 4], [0, 2], [3], [5]]
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(len({lengths[i] for i in b}) == 1 for b in batches)


def test_a_very_short_text_alone_equals_it_among_others(embed_encoder):
    # a forward pass of under ~16 word pieces takes another kernel path on CPUs: filled up to MIN_BATCH_TOKENS
    from pipeline.embed.encode import count_tokens

    candidates = ["Thank you.", "Thank them.", "Bless you.", "See you.", "Hello all.", "Yes indeed.", "Good point."]
    lengths = count_tokens(candidates, embed_encoder.tokenizer)
    same = [t for t, n in zip(candidates, lengths) if n == lengths[0]]
    assert len(same) >= 4  # one batch of equal-length texts
    alone = embed_texts(same[:1], embed_encoder)
    among = embed_texts(same, embed_encoder)[:1]
    np.testing.assert_array_equal(alone, among)


def test_bfloat16_vectors_do_not_depend_on_neighbours(cap_texts):
    # bfloat16 kernels sum in an order that follows the matrix shape: every pass of one length has
    # one shape (pass_rows), so a vector alone equals the same vector among others, in any order
    from pipeline.embed.model import native_bfloat16

    if not native_bfloat16():
        pytest.skip("this CPU has no native bfloat16 arithmetic")
    encoder = load_encoder("all-MiniLM-L6-v2", precision="bfloat16")
    options = {"batch_size": 64, "batch_tokens": 1024}
    among = embed_texts(cap_texts, encoder, **options)
    alone = np.vstack([embed_texts([t], encoder, **options) for t in cap_texts[:12]])
    np.testing.assert_array_equal(alone, among[:12])
    order = np.random.default_rng(1).permutation(len(cap_texts))
    shuffled = embed_texts([cap_texts[i] for i in order], encoder, **options)
    np.testing.assert_array_equal(shuffled, among[order])
    float32 = embed_texts(cap_texts, load_encoder("all-MiniLM-L6-v2"))
    assert float((among * float32).sum(axis=1).min()) >= 0.999


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_passes_side_by_side_give_the_bits_of_one_pass_at_a_time(embed_encoder, cap_texts, precision):
    from dataclasses import replace

    from pipeline.embed.model import native_bfloat16

    if precision == "bfloat16" and not native_bfloat16():
        pytest.skip("bfloat16 is emulated on this CPU (the stage's auto precision is float32 here)")
    alone = replace(embed_encoder, precision=precision, threads=1)  # the same weights, one pass at a time
    side_by_side = replace(alone, threads=2)
    tokens = alone.tokenize(cap_texts + [" ".join(cap_texts[:40])])  # and one the model cuts
    passes = [[tokens.items[i] for i in batch] for batch in equal_length_batches(tokens.lengths, 128, 2048)]
    assert len(passes) > 20 and max(tokens.lengths) == alone.max_tokens
    for one, two in zip(map(alone.encode_tokenized, passes), side_by_side.encode_passes(passes), strict=True):
        np.testing.assert_array_equal(one, two)


def test_linear_weights_cast_once_give_the_bits_of_autocast(embed_encoder, cap_texts):
    from dataclasses import replace

    import torch

    from pipeline.embed.model import native_bfloat16

    if not native_bfloat16():
        pytest.skip("bfloat16 is emulated on this CPU (the stage's auto precision is float32 here)")
    autocast = replace(embed_encoder, precision="bfloat16")  # the float32 weights, cast at every pass
    cast_once = load_encoder("all-MiniLM-L6-v2", precision="bfloat16", threads=embed_encoder.threads)
    linear = [m for m in cast_once.model.modules() if isinstance(m, torch.nn.Linear)]
    assert linear and all(m.weight.dtype == torch.bfloat16 for m in linear)
    assert all(p.dtype == torch.float32 for p in embed_encoder.model.parameters())  # the float32 model is another
    texts = cap_texts + [" ".join(cap_texts[:40])]
    np.testing.assert_array_equal(embed_texts(texts, cast_once), embed_texts(texts, autocast))
