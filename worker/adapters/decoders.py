"""Content-Encoding decoders that never inflate much more than :data:`CHUNK` bytes a step.

httpx's own decoders inflate each network read whole: 64 KiB of brotli or zstd can become
gigabytes in one call, before any size check runs. These pull compressed bytes as they are
needed and hand out about ``CHUNK`` bytes at a time (brotli: up to twice that; zstd: a few
hundred KiB), so the caller's cap on decompressed bytes holds to within one step, whatever
the ratio. Windows are bounded too: zstd frames may ask for at most 8 MiB (RFC 9659, what
browsers accept), brotli's format stops at 16 MiB. A stream that ends before its end marker
is refused, not truncated.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator

import brotli  # type: ignore[import-untyped]
import zstandard

CHUNK = 64 * 1024
ZSTD_MAX_WINDOW = 8 * 1024 * 1024
ZSTD_SLICE = 16
ACCEPT_ENCODING = "gzip, deflate, br, zstd"

Decode = Callable[[Iterator[bytes]], Iterator[bytes]]


class UndecodableBody(ValueError):
    """The body is not what its Content-Encoding says, or the encoding is unknown."""


def decode_body(raw: Iterator[bytes], content_encoding: str | None) -> Iterator[bytes]:
    """The body's bytes with every coding in ``content_encoding`` undone, last applied first."""
    codings = [part.strip().lower() for part in (content_encoding or "").split(",")]
    decoded = raw
    for coding in reversed([coding for coding in codings if coding and coding != "identity"]):
        decoder = _DECODERS.get(coding)
        if decoder is None:
            raise UndecodableBody(f"unsupported content encoding {coding!r}")
        decoded = decoder(decoded)
    return decoded


def _gzip(raw: Iterator[bytes]) -> Iterator[bytes]:
    return _zlib_stream(raw, lambda first: zlib.MAX_WBITS | 16, "gzip")


def _deflate(raw: Iterator[bytes]) -> Iterator[bytes]:
    # "deflate" means zlib-wrapped (RFC 9110), but many servers send raw deflate: a zlib
    # stream starts with a header whose checksum is a multiple of 31, as browsers test.
    def window(first: bytes) -> int:
        wrapped = len(first) >= 2 and first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0
        return zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS

    return _zlib_stream(raw, window, "deflate")


def _zlib_stream(
    raw: Iterator[bytes], window: Callable[[bytes], int], name: str
) -> Iterator[bytes]:
    decompressor = None
    try:
        for data in raw:
            if decompressor is None:
                if not data:
                    continue
                decompressor = zlib.decompressobj(window(data))
            pending = data
            while pending and not decompressor.eof:
                piece = decompressor.decompress(pending, CHUNK)
                pending = decompressor.unconsumed_tail
                if piece:
                    yield piece
        if decompressor is not None and not decompressor.eof:
            raise UndecodableBody(f"{name}: truncated stream")
    except zlib.error as error:
        raise UndecodableBody(f"{name}: {error}") from error


def _brotli(raw: Iterator[bytes]) -> Iterator[bytes]:
    decompressor = brotli.Decompressor()
    try:
        for data in raw:
            if decompressor.is_finished():
                break
            piece = decompressor.process(data, output_buffer_limit=CHUNK)
            while True:
                if piece:
                    yield piece
                if decompressor.can_accept_more_data() or decompressor.is_finished():
                    break
                piece = decompressor.process(b"", output_buffer_limit=CHUNK)
        if not decompressor.is_finished():
            raise UndecodableBody("br: truncated stream")
    except brotli.error as error:
        raise UndecodableBody(f"br: {error}") from error


def _zstd(raw: Iterator[bytes]) -> Iterator[bytes]:
    # zstandard's decompressobj inflates all it is given, and an RLE block turns 4 bytes into
    # 128 KiB: fed ZSTD_SLICE bytes at a time it can produce at most a few hundred KiB per step.
    decompressor = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).decompressobj()
    try:
        for data in raw:
            for start in range(0, len(data), ZSTD_SLICE):
                if decompressor.eof:
                    return
                piece = decompressor.decompress(data[start : start + ZSTD_SLICE])
                if piece:
                    yield piece
        if not decompressor.eof:
            raise UndecodableBody("zstd: truncated stream")
    except zstandard.ZstdError as error:
        raise UndecodableBody(f"zstd: {error}") from error


_DECODERS: dict[str, Decode] = {
    "gzip": _gzip,
    "x-gzip": _gzip,
    "deflate": _deflate,
    "br": _brotli,
    "zstd": _zstd,
}
