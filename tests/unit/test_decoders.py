"""Content-Encoding decoders: every coding decodes, stacks undo in reverse, and a bomb never
comes out in one piece larger than a step."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

import brotli  # type: ignore[import-untyped]
import pytest
import zstandard

from worker.adapters.decoders import CHUNK, UndecodableBody, decode_body

TEXT = b"<!doctype html><html><body>" + b"<p>story</p>" * 500 + b"</body></html>"


def pieces(data: bytes, size: int = 1000) -> Iterator[bytes]:
    return (data[start : start + size] for start in range(0, len(data), size))


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


ENCODERS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": zstandard.ZstdCompressor().compress,
}


@pytest.mark.parametrize("coding", sorted(ENCODERS))
def test_each_coding_decodes_in_pieces(coding: str) -> None:
    encoded = ENCODERS[coding](TEXT)

    assert b"".join(decode_body(pieces(encoded), coding)) == TEXT


def test_raw_deflate_without_zlib_header_decodes() -> None:
    assert b"".join(decode_body(pieces(raw_deflate(TEXT)), "deflate")) == TEXT


def test_stacked_codings_are_undone_last_first() -> None:
    encoded = brotli.compress(zlib.compress(gzip.compress(TEXT)))

    assert b"".join(decode_body(pieces(encoded), "gzip, deflate, br")) == TEXT


def test_identity_and_no_coding_pass_bytes_through() -> None:
    assert b"".join(decode_body(pieces(TEXT), "identity")) == TEXT
    assert b"".join(decode_body(pieces(TEXT), None)) == TEXT


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
def test_bomb_comes_out_in_bounded_steps(coding: str) -> None:
    bomb = ENCODERS[coding](bytes(50_000_000))
    assert len(bomb) < 100_000

    steps = decode_body(iter([bomb]), coding)
    largest = max(len(next(steps)) for _ in range(20))

    # brotli's output buffer stops growing once past the limit; zstd is fed 16 bytes a step.
    assert (
        largest <= {"gzip": CHUNK, "deflate": CHUNK, "br": 2 * CHUNK, "zstd": 1024 * 1024}[coding]
    )


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
def test_truncated_stream_is_refused(coding: str) -> None:
    encoded = ENCODERS[coding](TEXT)

    with pytest.raises(UndecodableBody, match="truncated"):
        b"".join(decode_body(iter([encoded[: len(encoded) // 2]]), coding))


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
def test_bytes_that_are_not_the_coding_are_refused(coding: str) -> None:
    with pytest.raises(UndecodableBody, match=coding):
        b"".join(decode_body(iter([b"this is not compressed at all, not even a little"]), coding))


def test_unknown_coding_is_refused_by_name() -> None:
    with pytest.raises(UndecodableBody, match="unsupported content encoding 'compress'"):
        decode_body(iter([TEXT]), "compress")


def test_zstd_frame_asking_for_a_huge_window_is_refused() -> None:
    params = zstandard.ZstdCompressionParameters(window_log=27, enable_ldm=True)
    frame = zstandard.ZstdCompressor(compression_params=params).compress(bytes(200_000_000))

    with pytest.raises(UndecodableBody, match="zstd"):
        b"".join(decode_body(iter([frame]), "zstd"))
