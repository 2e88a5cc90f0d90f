"""The chardet feeds of the corpus come out in the charset their ``Expect:`` comment names.
(That every corpus feed parses into the entries ``inventory.csv`` counts, or fails with a
classified error: test_parse_feed.py.)"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from worker.stages.feeds import parse_feed

# The superset browsers decode these labels with (WHATWG Encoding Standard); it agrees with
# the narrower charset wherever that one defines a byte.
BROWSER_CODEC = {"TIS-620": "cp874", "ISO-8859-1": "cp1252"}
_ITEM = re.compile(r"<(item|entry)[\s>].*?</\1>", re.S)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.S)
_CDATA = re.compile(r"^<!\[CDATA\[(.*)\]\]>$", re.S)


def expected_titles(raw: bytes, expect: str) -> list[str | None]:
    codec = BROWSER_CODEC.get(expect.upper(), expect)
    text = raw.decode(codec)
    titles: list[str | None] = []
    for item in _ITEM.finditer(text):
        title = _TITLE.search(item.group())
        if title is None:
            titles.append(None)
            continue
        value = _CDATA.sub(r"\1", title.group(1).strip())
        # RSS titles are escaped HTML: entities once for XML, once more for the HTML inside.
        value = re.sub(r"<[^>]*>", "", html.unescape(html.unescape(value)))
        titles.append(re.sub(r"\s+", " ", value).strip() or None)
    return titles


def test_chardet_feeds_decode_to_the_charset_their_expect_comment_names(
    corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checked = matched = 0
    mismatches = []
    for path in sorted((corpus_dir / "corpus" / "feeds" / "chardet").rglob("*.xml")):
        raw = path.read_bytes()
        expect = re.search(rb"Expect:\s*(\S+)", raw[:1024])
        if expect is None:
            continue
        checked += 1
        parsed = parse_feed(raw, url="https://corpus.example/feed")
        expected = expected_titles(raw, expect.group(1).decode())
        got = [entry.title for entry in parsed.entries]
        # A truncated document yields its complete items; the regex sees those too.
        if got[: len(expected)] == expected and expected:
            matched += 1
        else:
            mismatches.append((path.name, next(
                (pair for pair in zip(expected, got, strict=False) if pair[0] != pair[1]), None
            )))  # fmt: skip
    with capsys.disabled():
        print(f"\nchardet feeds: {matched} of {checked} titles match their Expect: charset")
    assert checked >= 80
    # One feed writes "&#39s" (no semicolon): HTML reads it as an apostrophe, XML as text.
    assert len(mismatches) <= 1, mismatches
