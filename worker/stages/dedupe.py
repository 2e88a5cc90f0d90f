"""Dedupe stage: the fingerprint that finds the same story under another outlet's edits.

A body becomes word shingles (``SHINGLE_WORDS`` consecutive words of the normalised text),
and the shingles a MinHash signature of ``PERMUTATIONS`` values: the share of positions two
signatures agree on estimates the Jaccard similarity of their shingle sets. With the set
sizes kept beside it, the same signature also estimates *containment* (how much of the
smaller body the larger one holds), which is what still recognises a copy cut short.

The publishing script (``adapters/stream.py``) compares signatures inside Redis, so the
verdict and the insertion into the index are one atomic step; the functions here compute
what it is given and mirror its arithmetic for the tests and the benchmarks.

Signatures are stored as the low 16 bits of each value (b-bit MinHash): two unrelated
values agree by chance once in 65,536, and the index needs half the memory. LSH bands are
``BAND_ROWS`` consecutive values; two bodies whose signatures agree on a whole band become
candidates, with probability ``1 - (1 - J**BAND_ROWS) ** BANDS`` for Jaccard J (0.99 at 0.5).
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass

import numpy as np

SHINGLE_WORDS = 3
PERMUTATIONS = 128
BANDS = 16
BAND_ROWS = 2
MIN_SHINGLES = 20
"""Fewer shingles than this (a teaser, an empty page) are too little to call a copy."""

_PRIME = np.uint64((1 << 61) - 1)
_WORD = re.compile(r"\w+")
# Fixed seeds: every worker, everywhere, must draw the same permutations.
_generator = np.random.default_rng(20261130)
_A = _generator.integers(1, (1 << 61) - 1, size=(PERMUTATIONS, 1), dtype=np.uint64)
_B = _generator.integers(0, (1 << 61) - 1, size=(PERMUTATIONS, 1), dtype=np.uint64)


@dataclass(frozen=True)
class Fingerprint:
    """What the index stores for one body: its signature and the size of its shingle set."""

    signature: bytes  # PERMUTATIONS big-endian 16-bit values
    shingles: int

    @property
    def indexable(self) -> bool:
        return self.shingles >= MIN_SHINGLES


def words(text: str) -> list[str]:
    """The body's words with case and Unicode forms folded."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def shingle_hashes(text: str) -> np.ndarray:
    """A stable 32-bit hash of every distinct word shingle of ``text``."""
    tokens = words(text)
    if len(tokens) < SHINGLE_WORDS:
        shingles = {" ".join(tokens)} if tokens else set()
    else:
        shingles = {
            " ".join(tokens[i : i + SHINGLE_WORDS]) for i in range(len(tokens) - SHINGLE_WORDS + 1)
        }
    return np.fromiter(
        (zlib.crc32(shingle.encode("utf-8")) for shingle in shingles),
        dtype=np.uint64,
        count=len(shingles),
    )


def fingerprint(text: str) -> Fingerprint:
    hashes = shingle_hashes(text)
    if hashes.size == 0:
        return Fingerprint(b"\0\0" * PERMUTATIONS, 0)
    # datasketch's permutations: (a*x + b) mod p, the product wrapping at 64 bits. With a
    # and b below 2**32 as well, a*x would stay below p for most x and every permutation
    # would order the shingles alike.
    minima = ((_A * hashes + _B) % _PRIME).min(axis=1)
    return Fingerprint((minima & np.uint64(0xFFFF)).astype(">u2").tobytes(), int(hashes.size))


def jaccard(first: Fingerprint, second: Fingerprint) -> float:
    """Estimated Jaccard similarity: the share of signature positions that agree."""
    a = np.frombuffer(first.signature, dtype=">u2")
    b = np.frombuffer(second.signature, dtype=">u2")
    return float(np.count_nonzero(a == b)) / PERMUTATIONS


def similarity(first: Fingerprint, second: Fingerprint) -> float:
    """The larger of Jaccard and the containment of the smaller body in the larger.

    From J = |A and B| / |A or B| and the set sizes: |A and B| = J (|A| + |B|) / (1 + J).
    """
    estimate = jaccard(first, second)
    smaller = min(first.shingles, second.shingles)
    if smaller == 0:
        return 0.0
    common = estimate * (first.shingles + second.shingles) / (1 + estimate)
    return round(min(1.0, max(estimate, common / smaller)), 3)
