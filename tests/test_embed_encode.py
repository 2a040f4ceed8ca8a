"""Long statements: windows that cover every word, and what the vectors become."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.embed.encode import content_token_limit, count_tokens, embed_texts, split_into_windows
from pipeline.embed.incremental import embed_with_cache
from pipeline.embed.model import resolve_model
from pipeline.embed.settings import EmbedParams, LongTextParams


@pytest.fixture(scope="module")
def tokenizer():
    """The real model's tokenizer (no weights)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(resolve_model("all-MiniLM-L6-v2")), local_files_only=True)


@pytest.fixture(scope="module")
def long_text(sample_report) -> str:
    """The real sample report's body as one long statement (thousands of word pieces)."""
    lines = [line.strip() for line in sample_report.read_text(encoding="utf-8").splitlines() if line.strip()]
    return " ".join(lines)


def test_a_text_that_fits_is_one_window(tokenizer):
    text = "The social economy is a vehicle for sustainable development."
    assert split_into_windows(text, tokenizer, window_tokens=254, overlap_tokens=32) == [text]


@pytest.mark.parametrize(("window", "overlap"), [(254, 32), (64, 0), (50, 10)])
def test_windows_stay_within_the_limit_overlap_and_cover_every_word(tokenizer, long_text, window, overlap):
    windows = split_into_windows(long_text, tokenizer, window_tokens=window, overlap_tokens=overlap)
    total = count_tokens([long_text], tokenizer)[0]
    assert total > 3 * window and len(windows) >= total // window
    sizes = count_tokens(windows, tokenizer)
    assert max(sizes) <= window
    assert windows[0] == long_text[: len(windows[0])]
    assert long_text.endswith(windows[-1])
    # no window cuts a word in two, and consecutive windows overlap or meet (at most spaces between)
    position = 0
    for piece in windows:
        start = long_text.find(piece, max(0, position - 2000))
        assert start != -1
        assert long_text[position:start].strip() == ""
        assert start == 0 or not (long_text[start - 1].isalnum() and long_text[start].isalnum())
        end = start + len(piece)
        assert end == len(long_text) or not (long_text[end - 1].isalnum() and long_text[end].isalnum())
        position = end
    assert position == len(long_text)
    if overlap:
        assert sum(sizes) > total


@pytest.mark.slow
def test_windows_strategy_averages_the_window_vectors(embed_encoder, long_text):
    params = LongTextParams()
    vector = embed_texts([long_text], embed_encoder, long_text=params)[0]
    windows = split_into_windows(
        long_text, embed_encoder.tokenizer, window_tokens=params.window_tokens, overlap_tokens=params.overlap_tokens
    )
    parts = embed_texts(windows, embed_encoder)
    expected = parts.mean(axis=0)
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(vector, expected, atol=1e-6)
    assert abs(float(np.linalg.norm(vector)) - 1) < 1e-6
    truncated = embed_texts([long_text], embed_encoder, long_text=LongTextParams(strategy="truncate"))[0]
    np.testing.assert_allclose(truncated, parts[0], atol=1e-6)  # the model read the first window only
    assert float(vector @ truncated) < 0.99  # the later windows changed the vector


@pytest.mark.slow
def test_texts_that_fit_are_untouched_by_the_strategy(embed_encoder):
    texts = ["Cooperatives need access to finance.", "Public procurement can favour social enterprises."]
    windows = embed_texts(texts, embed_encoder, long_text=LongTextParams(strategy="windows"))
    truncate = embed_texts(texts, embed_encoder, long_text=LongTextParams(strategy="truncate"))
    np.testing.assert_array_equal(windows, truncate)
    assert content_token_limit(embed_encoder) == 254


@pytest.mark.slow
def test_truncate_strategy_reports_the_long_texts(embed_encoder, long_text):
    params = EmbedParams(long_text=LongTextParams(strategy="truncate"))
    short = "A short statement."
    _, report = embed_with_cache([short, long_text], embed_encoder, params, cache=None)
    assert report.truncated == (long_text,)
    _, report = embed_with_cache([short, long_text], embed_encoder, EmbedParams(), cache=None)
    assert report.truncated == ()


@pytest.mark.slow
def test_normalize_off_keeps_the_model_scale_and_on_gives_unit_vectors(embed_encoder):
    texts = ["Solidarity finance grows.", "Women lead many cooperatives."]
    on = embed_texts(texts, embed_encoder, normalize=True)
    np.testing.assert_allclose(np.linalg.norm(on, axis=1), 1, atol=1e-6)
    raw = embed_encoder.encode_batch(texts, batch_size=8)
    np.testing.assert_allclose(embed_texts(texts, embed_encoder, normalize=False), raw, atol=1e-6)


def test_empty_input_gives_an_empty_matrix_without_loading_weights():
    from pipeline.embed.model import load_encoder

    encoder = load_encoder()
    out = embed_texts([], encoder)
    assert out.shape == (0, 384) and out.dtype == np.float32
    assert not encoder.loaded


def test_pass_rows_is_a_function_of_the_length_and_limits():
    from pipeline.embed.encode import pass_rows

    assert pass_rows(3, 1, min_tokens=64) == 22  # 22 rows x 3 pieces >= 64
    assert pass_rows(20, 32, min_tokens=64) == 32
    assert pass_rows(300, 1, min_tokens=64) == 1
    assert pass_rows(10, 2, min_tokens=64) == 7
    assert pass_rows(50, 512, 2048, min_tokens=64) == 40  # word pieces per pass bound the rows
    assert pass_rows(200, 64, 1024, min_tokens=64) == 5
    assert pass_rows(10, 64, 1024, min_tokens=64) == 64  # and so does batch_size
    assert pass_rows(3000, 64, 1024, min_tokens=64) == 1


@pytest.mark.slow
def test_word_pieces_made_once_give_the_vectors_of_the_model_s_own_preprocessing(embed_encoder, long_text, tokenizer):
    # texts of varied lengths, odd spaces and characters, one longer than the model reads
    texts = ["  Cooperatives need access to finance.  ", "tab\tseparated\twords", "Ünïcödé naïve café — “quotes”",
             "x", "Cooperatives need access to finance.", long_text[:4000]]
    tokens = embed_encoder.tokenize(texts)
    expected = [min(n + 2, embed_encoder.max_tokens) for n in count_tokens(texts, tokenizer)]
    assert tokens.lengths == expected
    for i, text in enumerate(texts):  # each alone: one forward pass of one text, as encode_batch makes it
        np.testing.assert_array_equal(embed_encoder.encode_tokenized([tokens.items[i]]),
                                      embed_encoder.encode_batch([text], batch_size=1))
    same_length = [i for i, n in enumerate(tokens.lengths) if n == tokens.lengths[0]]
    together = embed_encoder.encode_tokenized([tokens.items[i] for i in same_length])
    np.testing.assert_array_equal(together, embed_encoder.encode_batch([texts[i] for i in same_length], batch_size=8))
