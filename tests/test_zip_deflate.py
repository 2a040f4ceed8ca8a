"""Zip entries deflated in pieces (`pipeline.zip_deflate`): valid streams, the CRC of the whole, the same bytes
whether a piece is deflated now or read back."""

from __future__ import annotations

import io
import random
import zipfile
import zlib

import pytest

from pipeline import zip_deflate
from pipeline.zip_deflate import PieceEntry, crc32_combine, deflate_piece


def _texts(seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    words = [b"finance", b"law", b"<row r=\"1\">", b"\xc3\xa9", b"cooperative", b" ", b"\n"]
    return [b"".join(rng.choice(words) for _ in range(rng.randint(0, 3000))) for _ in range(count)]


@pytest.mark.parametrize("sizes", [(0, 5), (5, 0), (1, 1), (3000, 70_000), (1 << 20, 17), (5, (1 << 20) * 2 + 3)])
def test_crc32_combine_is_zlibs_crc_of_the_joined_data(sizes):
    rng = random.Random(sum(sizes))
    a, b = (bytes(rng.getrandbits(8) for _ in range(n)) if n < 100_000 else rng.randbytes(n) for n in sizes)
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_pieces_joined_are_one_deflate_stream():
    texts = _texts(1, 12)
    pieces = [deflate_piece(t) for t in texts]
    stream = b"".join(p.data for p in pieces) + b"\x03\x00"
    assert zlib.decompress(stream, -15) == b"".join(texts)
    assert [p.size for p in pieces] == [len(t) for t in texts]
    assert all(p.crc == zlib.crc32(t) for p, t in zip(pieces, texts))


def _entry(texts: list[bytes], kept: set[int], done: list[int] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z, PieceEntry() as entry:
        for i, t in enumerate(texts):
            if i in kept:
                entry.add_deflated(deflate_piece(t))
            else:
                entry.add(t, (lambda piece, i=i: done.append(i)) if done is not None else None)
        entry.write_to(z, zipfile.ZipInfo("sheet.xml", date_time=(1980, 1, 1, 0, 0, 0)))
    return out.getvalue()


def test_entry_is_the_same_bytes_whichever_pieces_were_kept(monkeypatch):
    monkeypatch.setattr(zip_deflate, "SPOOL_BYTES", 1_000)  # through a file on disk
    texts = _texts(2, 30)
    done: list[int] = []
    fresh = _entry(texts, set(), done)
    assert done == list(range(30))  # each new piece handed back in order, once deflated
    assert fresh == _entry(texts, set(range(0, 30, 3))) == _entry(texts, set(range(30)))
    with zipfile.ZipFile(io.BytesIO(fresh)) as z:
        assert z.testzip() is None
        info = z.getinfo("sheet.xml")
        assert z.read("sheet.xml") == b"".join(texts)
        assert (info.file_size, info.CRC) == (len(b"".join(texts)), zlib.crc32(b"".join(texts)))


def test_empty_entry_and_empty_pieces():
    book = _entry([b"", b"", b""], {1})
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        assert z.read("sheet.xml") == b""
