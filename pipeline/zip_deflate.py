"""Zip entries deflated in pieces beside the code that makes their data, pieces kept deflated between runs.

zipfile deflates an entry as it is written, on the writing thread. Where the data is made in
Python (a workbook sheet's XML, a QDA project's XML), deflating it took about a third as long
again, and on a rerun that reads most of that XML back from a cache, deflating it all again
was most of the work left.

`PieceEntry` (the workbook's sheets, the QDA project and its source texts): an entry's data is
a sequence of pieces, each deflated on its own (`deflate_piece`: a fresh level-6 compressor,
ended by a sync flush, so each piece is a run of whole deflate blocks that refers to nothing
before it), on a second thread (zlib releases the GIL), the pieces' blocks written one after
the other and closed by an empty final block. Such a stream is valid deflate for any reader,
and a piece's deflated bytes, CRC and length can be kept and used again: a rerun that reads a
report's rows or source back (`pipeline.sheet_rows`, `pipeline.qda.project`) neither deflates
them nor even holds them uncompressed. The stream depends on where the pieces are cut (the
stages cut them where their data says: a report's rows, a chunk of rows, a batch of cases), so
a file is the same bytes with a cache, without it or with an empty one; the entries' data are
what zipfile's own deflating would hold, only the deflated bytes differ (by about 0.5%).
"""

from __future__ import annotations

import tempfile
import zipfile
import zlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

# deflated bytes held in memory before they go to a temporary file
SPOOL_BYTES = 64 << 20
_LEVEL = 6  # zlib's default, as zipfile deflates
_FINAL_BLOCK = b"\x03\x00"  # an empty final block (fixed Huffman): what closes a raw deflate stream
_ZEROS = bytes(1 << 20)
# pieces handed to the deflate thread and not yet written: bounds the memory held by pieces in flight
_IN_FLIGHT = 8


@dataclass(frozen=True)
class Deflated:
    """One piece of an entry's data deflated on its own: whole deflate blocks, the last not final, ending on a
    byte boundary; with the CRC-32 and length of the data it holds."""

    data: bytes
    crc: int
    size: int


def deflate_piece(raw: bytes) -> Deflated:
    """`raw` deflated by a fresh compressor (nothing before it is referred to), ended by a sync flush."""
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
    return Deflated(compressor.compress(raw) + compressor.flush(zlib.Z_SYNC_FLUSH), zlib.crc32(raw), len(raw))


def _zeros_crc(length: int, crc: int) -> int:
    """zlib.crc32 of `length` zero bytes, starting from `crc`."""
    for _ in range(length // len(_ZEROS)):
        crc = zlib.crc32(_ZEROS, crc)
    return zlib.crc32(memoryview(_ZEROS)[: length % len(_ZEROS)], crc)


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC-32 of A + B from crc32(A), crc32(B) and len(B), as zlib's crc32_combine (which Python does not
    expose). The CRC register is linear: crc32(B, c) = crc32(B) ^ crc32(zeros, c) ^ crc32(zeros), zeros being
    len(B) zero bytes; two passes over zero bytes at zlib's speed (about 2 GB/s here)."""
    return crc2 ^ _zeros_crc(length2, crc1) ^ _zeros_crc(length2, 0)


class PieceEntry:
    """A zip entry's data as pieces, each deflated on its own (`deflate_piece`), in order: new data is deflated on a
    second thread, kept pieces go in as they are. The deflated stream goes to a temporary file (memory stays flat);
    `write_to` then writes it as the entry, its CRC and sizes combined from the pieces'."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zip-deflate")
        self._pending: deque[tuple[Future[Deflated], Callable[[Deflated], None] | None]] = deque()
        self._out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        self.crc, self.size = 0, 0

    def add(self, raw: bytes, done: Callable[[Deflated], None] | None = None) -> None:
        """Data to deflate as one piece; `done` is given the piece once it is deflated (to keep it)."""
        if not raw:  # adds nothing to the stream
            if done is not None:
                done(deflate_piece(b""))
            return
        self._pending.append((self._pool.submit(deflate_piece, bytes(raw)), done))
        self._drain(_IN_FLIGHT)

    def add_deflated(self, piece: Deflated) -> None:
        """A piece deflated before (by `deflate_piece`)."""
        if piece.size:
            done: Future[Deflated] = Future()
            done.set_result(piece)
            self._pending.append((done, None))
            self._drain(_IN_FLIGHT)

    def _drain(self, keep: int) -> None:
        while len(self._pending) > keep:
            future, done = self._pending.popleft()
            piece = future.result()
            self._out.write(piece.data)
            self.crc = crc32_combine(self.crc, piece.crc, piece.size) if self.size else piece.crc
            self.size += piece.size
            if done is not None:
                done(piece)

    def write_to(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        """Write the pieces as the entry `info` (deflated) of `archive`."""
        self._drain(0)
        self._out.write(_FINAL_BLOCK)
        self._out.seek(0)
        info.file_size = self.size  # as writestr sets it: the same headers (and zip64 choice)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w") as dest:
            if all(hasattr(dest, a) for a in ("_compressor", "_fileobj", "_compress_size", "_crc", "_file_size")):
                # Python's zipfile (3.8-3.13) keeps these on the open entry: the deflated bytes go to the file,
                # and the entry's header gets the CRC and sizes when it closes
                dest._compressor = _Written()  # type: ignore[attr-defined]
                while chunk := self._out.read(1 << 20):
                    dest._fileobj.write(chunk)  # type: ignore[attr-defined]
                    dest._compress_size += len(chunk)  # type: ignore[attr-defined]
                dest._crc, dest._file_size = self.crc, self.size  # type: ignore[attr-defined]
            else:  # pragma: no cover - another zipfile: it deflates the data itself (a valid file, other bytes)
                inflate = zlib.decompressobj(-15)
                while chunk := self._out.read(1 << 20):
                    dest.write(inflate.decompress(chunk))
                dest.write(inflate.flush())

    def __enter__(self) -> PieceEntry:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._out.close()


class _Written:
    """The compressor of an entry whose deflated bytes were written already: nothing more to add."""

    def compress(self, data: bytes) -> bytes:  # pragma: no cover - nothing is written through the entry
        raise AssertionError("data written to an entry deflated in pieces")

    def flush(self) -> bytes:
        return b""
