"""A zip entry's deflate stream made on a second thread while the entry's data is made.

zipfile deflates an entry as it is written, on the writing thread. Where the data is made in
Python (a workbook sheet's XML, a QDA project's XML), deflating it took about a third as long
again. zlib releases the GIL, so `BackgroundDeflate` deflates each chunk on a thread as soon
as it is made, by the compressor zipfile would use (level 6, raw deflate: the stream does not
depend on how the data is split), into a temporary file; `replace_compressor` then hands that
stream to the entry in place of zipfile's own compressor. zipfile still computes the CRC and
sizes from the data written to it, so the archive's bytes are the same as without this.
"""

from __future__ import annotations

import tempfile
from typing import BinaryIO

# deflated bytes held in memory before they go to a temporary file
SPOOL_BYTES = 64 << 20


class BackgroundDeflate:
    """The deflate stream zipfile writes for an entry, made on a second thread from what `write` is given."""

    def __init__(self) -> None:
        import queue
        import threading

        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self._out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="zip-deflate", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import zlib

        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        try:
            while (chunk := self._chunks.get()) is not None:
                self._out.write(compressor.compress(chunk))
            self._out.write(compressor.flush())
        except BaseException as exc:  # reported on the writing thread
            self._error = exc
            while self._chunks.get() is not None:  # drain, so the writer never blocks
                pass

    def write(self, data: bytes) -> None:
        self._chunks.put(bytes(data))

    def replace_compressor(self, dest: object) -> None:
        """Give the open zip entry `dest` the stream made here (as long as zipfile keeps its compressor where
        Python 3.11 does; otherwise zipfile deflates the entry itself, to the same bytes)."""
        self._finish()
        if type(getattr(dest, "_compressor", None)).__name__ == "Compress":
            self._out.seek(0)
            dest._compressor = DeflatedStream(self._out)  # type: ignore[attr-defined]

    def _finish(self) -> None:
        if self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> BackgroundDeflate:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread.is_alive():
            self._chunks.put(None)
            self._thread.join()
        self._out.close()


class DeflatedStream:
    """A zlib compressor's two calls over a stream deflated before: each `compress` gives the next part of it."""

    def __init__(self, deflated: BinaryIO) -> None:
        self._deflated = deflated

    def compress(self, data: bytes) -> bytes:
        return self._deflated.read(1 << 20)

    def flush(self) -> bytes:
        return self._deflated.read()


class Both:
    """A file that writes to two."""

    def __init__(self, first: BinaryIO, second: BackgroundDeflate) -> None:
        self._first, self._second = first, second

    def write(self, data: bytes) -> None:
        self._first.write(data)
        self._second.write(data)
