"""The fingerprint: what makes two bodies one story, computed without Redis."""

from __future__ import annotations

import subprocess
import sys

from worker.simweb import catalog
from worker.stages.dedupe import (
    MIN_SHINGLES,
    PERMUTATIONS,
    fingerprint,
    jaccard,
    similarity,
)

SEOUL = next(a for a in catalog.ARTICLES if a.story_id.startswith("afp-") and not a.edits)
TORNADOES = next(a for a in catalog.ARTICLES if a.story_id.startswith("ap-") and not a.edits)


def body(paragraphs: tuple[str, ...] | list[str]) -> str:
    return "\n\n".join(paragraphs)


def test_the_same_body_in_other_case_and_spacing_has_the_same_fingerprint() -> None:
    text = body(SEOUL.paragraphs)
    shouted = "  ".join(text.upper().split())
    assert fingerprint(text) == fingerprint(shouted)
    assert similarity(fingerprint(text), fingerprint(shouted)) == 1.0


def test_a_copy_cut_to_half_is_contained_in_its_original() -> None:
    original = fingerprint(body(SEOUL.paragraphs))
    half = fingerprint(body(SEOUL.paragraphs[: len(SEOUL.paragraphs) // 2]))
    assert jaccard(original, half) < 0.65  # Jaccard alone would miss it
    assert similarity(original, half) >= 0.9


def test_a_copy_with_a_local_paragraph_and_a_footer_stays_similar() -> None:
    paragraphs = list(SEOUL.paragraphs)
    paragraphs.insert(3, "In Canberra, the government said it shared Seoul's concern.")
    paragraphs.append("© 2026 AFP. All rights reserved.")
    assert similarity(fingerprint(body(SEOUL.paragraphs)), fingerprint(body(paragraphs))) > 0.9


def test_two_different_stories_are_far_apart() -> None:
    first, second = fingerprint(body(SEOUL.paragraphs)), fingerprint(body(TORNADOES.paragraphs))
    assert similarity(first, second) < 0.2


def test_a_signature_is_two_bytes_per_permutation() -> None:
    fp = fingerprint(body(SEOUL.paragraphs))
    assert len(fp.signature) == 2 * PERMUTATIONS


def test_a_teaser_too_short_to_judge_is_not_indexed() -> None:
    assert not fingerprint("Read the full story on our website.").indexable
    assert not fingerprint("").indexable
    assert fingerprint(body(SEOUL.paragraphs)).shingles >= MIN_SHINGLES


def test_every_process_computes_the_same_signature() -> None:
    # Workers on other hosts must agree: no per-process hash seed may leak in.
    text = body(TORNADOES.paragraphs)
    code = (
        "import sys; from worker.stages.dedupe import fingerprint;"
        "sys.stdout.write(fingerprint(sys.stdin.read()).signature.hex())"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345"},
    )
    assert other.stdout == fingerprint(text).signature.hex()
