"""Charsets of real feeds: feedparser's charset cases (each states its ``Header:`` and what to
``Expect:``) and miniflux's encoding cases decode as they say."""

from __future__ import annotations

import codecs
import html
import os
import re
from pathlib import Path
from typing import Any

import feedparser
import pytest

from worker.models import ParsedFeed
from worker.stages.charset import decode_document
from worker.stages.feeds import parse_feed

REPO_ROOT = Path(__file__).resolve().parents[2]
# Cases are listed when the tests are collected, before the corpus_dir fixture could run.
CORPUS = (
    Path(os.environ.get("WIRESTREAM_CORPUS") or REPO_ROOT.parent / "shared" / "data") / "corpus"
)
FEEDPARSER_DIRS = ("hostile/feedparser/encoding", "hostile/feedparser/illformed/chardet")
URL = "http://127.0.0.1:8097/feed"

# Cases whose expectation is about something other than decoding, with the reason.
NOT_ABOUT_DECODING = {
    "euc-kr-attribute.xml": "the decoded text is in an attribute, which plain-text summaries "
    "drop: test_a_charset_case_inside_an_attribute_decodes checks the document instead",
}
# Expectations no decoder that explains itself meets, with the reason.
DECODED_OTHERWISE = {
    "bozo_linenoise.xml": "feedparser reads these stray bytes as ISO-8859-2, then turns C1 "
    "controls into windows-1252 letters; our windows-1252 reading differs in 0xa9 (© for Š)",
}


class Entry(dict[str, Any]):
    """An entry as feedparser's expectations read it: by key or attribute."""

    __getattr__ = dict.__getitem__


def header_lines(body: bytes) -> dict[str, str]:
    """``Header:``, ``Expect:`` ... of the leading comment, in whatever encoding it is."""
    for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        text = body[:4096].decode(encoding, errors="ignore")
        if "Expect:" in text:
            return {
                name.lower(): value.strip()
                for name, value in re.findall(r"^\s*(Header|Expect):\s*(.*)$", text, re.M)
            }
    return {}


def feedparser_cases() -> list[Any]:
    cases: list[Any] = []
    for folder in FEEDPARSER_DIRS:
        for path in sorted((CORPUS / folder).glob("*.xml")):
            marks = []
            if path.name in NOT_ABOUT_DECODING:
                marks.append(pytest.mark.skip(reason=NOT_ABOUT_DECODING[path.name]))
            if path.name in DECODED_OTHERWISE:
                marks.append(pytest.mark.xfail(reason=DECODED_OTHERWISE[path.name], strict=True))
            cases.append(pytest.param(path, id=path.name, marks=marks))
    return cases


def expectation_scope(feed: ParsedFeed) -> dict[str, Any]:
    """The names feedparser's expectations use, from what parse_feed returns. Summaries are
    plain text here, so entities in an expected value are compared unescaped."""
    problem = feed.problems[0] if feed.problems else ""
    exception_class = getattr(feedparser, problem.split(":", 1)[0], Exception)
    return {
        "bozo": bool(feed.problems),
        "bozo_exception": exception_class.__new__(exception_class),
        "encoding": _codec(feed.encoding),
        "feed": {"title": feed.title},
        "entries": [
            Entry(description=entry.summary, summary=entry.summary) for entry in feed.entries
        ],
        "feedparser": feedparser,
    }


def same_text(body: bytes, expected: str, used: str | None) -> bool:
    if used is None:
        return False
    if _codec(used) == expected:
        return True
    try:
        return body.decode(expected) == body.decode(used)
    except (UnicodeDecodeError, LookupError):
        return False


def _codec(name: str | None) -> str | None:
    return codecs.lookup(name).name if name else None


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"real corpus not found at {CORPUS}")
@pytest.mark.parametrize("path", feedparser_cases())
def test_feedparser_charset_case_decodes_as_expected(path: Path) -> None:
    body = path.read_bytes()
    lines = header_lines(body)
    content_type = re.sub(r"^Content-type:\s*", "", lines.get("header", ""), flags=re.I) or None

    feed = parse_feed(body, url=URL, content_type=content_type)

    expect = lines["expect"]
    # An expected encoding is met by any codec that reads these bytes into the same text
    # ("Big5" is big5; an ASCII body read as windows-1252 is read as ASCII): the cases pin
    # what the feed decodes to, while feedparser names the label RFC 3023 gave text/xml.
    expect = re.sub(
        r"encoding == '([^']+)'",
        lambda m: f"decodes_like({_codec(m.group(1))!r})",
        expect,
    )
    expect = re.sub(
        r"== ('(?:[^'\\]|\\.)*')", lambda m: f"== {html.unescape(eval(m.group(1)))!r}", expect
    )
    scope = expectation_scope(feed)
    scope["decodes_like"] = lambda expected: same_text(body, expected, feed.encoding)
    assert eval(expect, scope), (expect, feed.encoding, feed.problems)


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"real corpus not found at {CORPUS}")
def test_a_charset_case_inside_an_attribute_decodes() -> None:
    body = (CORPUS / "hostile/feedparser/encoding/euc-kr-attribute.xml").read_bytes()

    decoded = decode_document(body, None)

    assert decoded.problems == ()
    assert '<img alt="\ub144" />' in html.unescape(decoded.text)


V2 = CORPUS / "feeds" / "v2" / "encoding" / "testdata"
# miniflux's cases, named for what they hold: the text each must decode to.
V2_FEEDS = {
    "utf8.xml": ("테스트 피드", "Café"),
    "utf8-incorrect-prolog.xml": ("테스트 피드", "Café"),
    "invalid-prolog.xml": ("테스트 피드", "Café"),
    "iso-8859-1.xml": ("Café", None),
    "koi8r.xml": ("Пример RSS ленты", "Первая новость"),
    "windows-1252.xml": ("Euro €", None),
    "windows-1252-incorrect-prolog.xml": ("Euro €", None),
}
V2_PAGES = {
    "utf8.html": "Café",
    "utf8-meta-after-1024.html": "Frédéric",
    "iso-8859-1.html": "Frédéric",
    "iso-8859-1-meta-after-1024.html": "Frédéric",
}


@pytest.mark.corpus
@pytest.mark.skipif(not V2.is_dir(), reason=f"miniflux's encoding cases not found at {V2}")
@pytest.mark.parametrize(
    ("name", "title", "first_entry"),
    [pytest.param(name, *texts, id=name) for name, texts in V2_FEEDS.items()],
)
def test_miniflux_encoding_case_decodes_to_its_text(
    name: str, title: str, first_entry: str | None
) -> None:
    feed = parse_feed((V2 / name).read_bytes(), url=URL)

    assert feed.title == title
    if first_entry is not None:
        assert feed.entries[0].title == first_entry


@pytest.mark.corpus
@pytest.mark.skipif(not V2.is_dir(), reason=f"miniflux's encoding cases not found at {V2}")
@pytest.mark.parametrize(("name", "text"), sorted(V2_PAGES.items()))
def test_miniflux_html_case_decodes_to_its_text(name: str, text: str) -> None:
    decoded = decode_document((V2 / name).read_bytes(), None)

    assert text in decoded.text


# A wave dash and a minus sign (U+2212): the two letters Shift_JIS and cp932 read apart.
JAPANESE = (
    "晴れた日は散歩に出かけます。週末〜月曜日の天気予報によると、気温は\u22122度まで下がります。"
)
KOREAN = "오늘 서울에서는 대통령이 새로운 경제 정책을 발표했습니다. 시장은 긍정적으로 반응했습니다."


@pytest.mark.parametrize(
    ("text", "codec"), [(JAPANESE, "euc_jp"), (JAPANESE, "shift_jis"), (KOREAN, "euc_kr")]
)
def test_an_undeclared_multi_byte_feed_decodes_as_its_publisher_wrote_it(
    text: str, codec: str
) -> None:
    items = "".join(
        f"<item><title>{n}</title><description>{text}</description></item>" for n in range(4)
    )
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'

    decoded = decode_document(feed.encode(codec), "application/rss+xml")

    assert decoded.text == feed
    assert decoded.source == "detected"
