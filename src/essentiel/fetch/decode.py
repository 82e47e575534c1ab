"""Incremental, bounded decoding of a Content-Encoding (gzip, deflate, br): the gzip-bomb defence."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

try:  # brotli comes with httpx[brotli]; without it we simply do not ask for br
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

CHUNK = 64 * 1024  # the largest piece of output the decoder gives at once
ACCEPT_ENCODING = "gzip, deflate, br" if brotli is not None else "gzip, deflate"


class Decoder:
    """Incremental Content-Encoding decoder whose output comes in pieces of at most CHUNK bytes."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._zlib: Any = None
        self._brotli: Any = None
        self._started = False
        self.consumed = 0  # compressed bytes the decoder has used so far (for the decompression ratio)
        if encoding in ("gzip", "x-gzip", "deflate"):
            self._zlib = zlib.decompressobj(32 + zlib.MAX_WBITS)  # gzip or zlib header, detected
        elif encoding == "br" and brotli is not None:
            self._brotli = brotli.Decompressor()
        else:
            raise ValueError(f"unsupported Content-Encoding '{encoding}'")

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._brotli is not None:
            self.consumed += len(data)
            yield from self._feed_brotli(data)
        else:
            yield from self._feed_zlib(data)

    def _feed_zlib(self, data: bytes) -> Iterator[bytes]:
        if not self._started and self.encoding == "deflate":
            self._started = True
            try:  # 'deflate' is often sent raw, without the zlib header
                zlib.decompressobj(zlib.MAX_WBITS).decompress(data[:64], 1)
            except zlib.error:
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        while not self._zlib.eof:
            out = self._zlib.decompress(data, CHUNK)
            self.consumed += len(data) - len(self._zlib.unconsumed_tail)
            data = self._zlib.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < CHUNK:
                break

    def _feed_brotli(self, data: bytes) -> Iterator[bytes]:
        out = self._brotli.process(data, output_buffer_limit=CHUNK)
        while True:
            if out:
                yield out
            if self._brotli.can_accept_more_data():
                break
            out = self._brotli.process(b"", output_buffer_limit=CHUNK)
