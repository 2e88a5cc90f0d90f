"""Parse one feed document: RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1, or an XML
sitemap, sitemap index or Google News sitemap (read as a feed of its URLs).

The charset is decided before feedparser sees the bytes (:mod:`worker.stages.charset`).

The body is always handed over as bytes: feedparser is never given a URL or a string it could
take for a path, so parsing reads nothing but the body. The feed URL only serves as the base for
relative links. Recoverable oddities are kept in ``ParsedFeed.problems``; a document that is
no feed at all raises ``PermanentError("parse", url, "not a feed: ...")``.
"""

from __future__ import annotations

import html
import io
import json
import re
import xml.sax
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser

from worker.errors import PermanentError
from worker.models import ParsedEntry, ParsedFeed
from worker.stages.charset import as_utf8_xml, decode_document
from worker.stages.sitemaps import is_sitemap, parse_sitemap
from worker.stages.urls import absolute_http_url

STAGE = "parse"

_JSON_MEDIA_TYPES = frozenset({"application/feed+json", "application/json"})
_JSON_FEED_VERSION = re.compile(r"https?://jsonfeed\.org/version/(\d+)(?:\.(\d+))?/?")
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_HTML_PAGE = re.compile(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)

# feedparser removes entity declarations with patterns anchored at the very start of the
# document, so a DOCTYPE that follows an XML declaration reaches expat intact; a "billion
# laughs" then burns about a second of CPU before expat's amplification limit stops it. A feed
# has no use for entities of its own, so such a DOCTYPE is cut out before parsing. The pattern
# reads quoted literals, comments and processing instructions as expat does, and its
# possessive loops keep it linear on hostile input.
_ELEMENT_START = re.compile(rb"<[A-Za-z_]")
_DOCTYPE_WITH_SUBSET = re.compile(
    rb"<!DOCTYPE(?:[^\[>\"']|\"[^\"]*\"|'[^']*')*+"
    rb"\[(?:<!--.*?-->|<\?.*?\?>|[^\]\"']|\"[^\"]*\"|'[^']*')*+\]\s*>",
    re.S,
)

_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|blockquote|pre|table|tr|td|th|section"
    r"|article|header|footer|figure|figcaption|aside|nav)\b[^>]*>",
    re.I,
)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")
_TAG_LIKE = re.compile(r"</?[A-Za-z][^>]*>")
_SPACE = re.compile(r"\s+")


def parse_feed(body: bytes, *, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed document fetched from ``url`` (the base for its relative links)."""
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise PermanentError(STAGE, url, "not a feed: empty body")
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if head.startswith(b"{") or (media_type in _JSON_MEDIA_TYPES and not head.startswith(b"<")):
        return _parse_json_feed(body, url)
    body, dropped_doctype = _without_entity_doctype(body)
    decoded = decode_document(body, content_type)
    utf8 = as_utf8_xml(decoded)
    if is_sitemap(utf8):
        return parse_sitemap(utf8, url=url, encoding=decoded.encoding)
    problems = decoded.problems
    if media_type and "xml" not in media_type:
        # Parsed all the same: publishers serve feeds as text/plain or text/html by mistake.
        problems = (*problems, f"NonXMLContentType: served as {media_type}")
    return _parse_xml_feed(utf8, url, decoded.encoding, problems, dropped_doctype)


def _parse_xml_feed(
    body: bytes, url: str, encoding: str, problems: tuple[str, ...], dropped_doctype: bool
) -> ParsedFeed:
    # The body is UTF-8 by now and says so; feedparser is told the same, so that it has no
    # reason to guess (without a header it flags every document as not XML).
    headers = {"content-location": url, "content-type": "application/xml; charset=utf-8"}
    # A BytesIO, not the bytes themselves: feedparser opens a bytes argument as a file path
    # when such a file exists.
    result = feedparser.parse(io.BytesIO(body), response_headers=headers)
    version: str = result.get("version") or ""
    entries: list[dict[str, Any]] = result.get("entries") or []
    if not version and not entries:
        raise PermanentError(STAGE, url, f"not a feed: {_why_not_a_feed(body, result)}")

    found = list(problems)
    if dropped_doctype:
        found.append("ignored a DOCTYPE that declares entities")
    if result.get("bozo"):
        found.append(_describe(result.get("bozo_exception")))

    feed: dict[str, Any] = result.get("feed") or {}
    # Atom (RFC 4287 4.2.1) gives entries without an author the feed's authors.
    inherited = _xml_names(feed) if version.startswith("atom") else ()
    return ParsedFeed(
        format=version or "unknown",
        title=_detail_text(feed, "title"),
        link=absolute_http_url(url, feed.get("link")),
        encoding=encoding,
        entries=tuple(_xml_entry(entry, url, inherited) for entry in entries),
        problems=tuple(found),
        ttl_seconds=_ttl_seconds(feed),
        update_period_seconds=_syndication_period(feed),
    )


_SYNDICATION_PERIODS = {
    "hourly": 3600,
    "daily": 86_400,
    "weekly": 7 * 86_400,
    "monthly": 30 * 86_400,
    "yearly": 365 * 86_400,
}


def _ttl_seconds(feed: dict[str, Any]) -> float | None:
    """RSS 2.0 ``<ttl>``: minutes the feed may be cached."""
    text = str(dict.get(feed, "ttl") or "").strip()
    return float(text) * 60 if text.isdigit() and int(text) > 0 else None


def _syndication_period(feed: dict[str, Any]) -> float | None:
    """``sy:updatePeriod`` divided by ``sy:updateFrequency`` (RSS 1.0 syndication module)."""
    period = _SYNDICATION_PERIODS.get(str(dict.get(feed, "sy_updateperiod") or "").strip())
    if period is None:
        return None
    frequency = str(dict.get(feed, "sy_updatefrequency") or "1").strip()
    return period / int(frequency) if frequency.isdigit() and int(frequency) > 0 else period


def _without_entity_doctype(body: bytes) -> tuple[bytes, bool]:
    start = body.find(b"<!DOCTYPE")
    if start < 0 or b"<!ENTITY" not in body or _ELEMENT_START.search(body, 0, start):
        return body, False
    doctype = _DOCTYPE_WITH_SUBSET.match(body, start)
    if doctype is None or b"<!ENTITY" not in doctype.group():
        return body, False
    return body[:start] + body[doctype.end() :], True


def _why_not_a_feed(body: bytes, result: dict[str, Any]) -> str:
    if _HTML_PAGE.match(body[:4096]):
        return "an HTML page"
    error = result.get("bozo_exception")
    if isinstance(error, xml.sax.SAXException):
        return _describe(error)
    return "no RSS, Atom or RDF root element"


def _describe(error: object) -> str:
    return f"{type(error).__name__}: {error}"


def _xml_entry(entry: dict[str, Any], base: str, inherited: tuple[str, ...]) -> ParsedEntry:
    # Entries are read with dict.get, never entry.get: FeedParserDict maps some missing keys to
    # others, e.g. answers "updated_parsed" with "published_parsed", inventing an update.
    summary = _detail_text(entry, "summary")
    if summary is None:
        contents = dict.get(entry, "content") or []
        summary = next(filter(None, (_content_text(content) for content in contents)), None)
    return ParsedEntry(
        link=_entry_link(entry, base),
        guid=_clean(dict.get(entry, "id")),
        title=_detail_text(entry, "title"),
        summary=summary,
        authors=_xml_names(entry) or inherited,
        categories=_unique(
            tag.get("label") or tag.get("term") for tag in dict.get(entry, "tags") or []
        ),
        published=_struct_to_utc(dict.get(entry, "published_parsed")),
        updated=_struct_to_utc(dict.get(entry, "updated_parsed")),
    )


def _entry_link(entry: dict[str, Any], base: str) -> str | None:
    # FeedBurner rewrites links to its redirector and keeps the publisher's URL in origLink.
    original = absolute_http_url(base, dict.get(entry, "feedburner_origlink"))
    if original:
        return original
    alternates = [
        link
        for link in dict.get(entry, "links") or []
        if link.get("rel", "alternate") == "alternate"
    ]
    alternates.sort(key=lambda link: link.get("type", "text/html") not in _HTML_TYPES)
    for link in alternates:
        href = absolute_http_url(base, link.get("href"))
        if href:
            return href
    return absolute_http_url(base, dict.get(entry, "link"))


def _xml_names(node: dict[str, Any]) -> tuple[str, ...]:
    return _unique(author.get("name") for author in dict.get(node, "authors") or [])


def _detail_text(node: dict[str, Any], key: str) -> str | None:
    # A value without its detail is a copy feedparser made of the entry's content; the caller
    # reads the content itself, with its type.
    value = dict.get(node, key)
    detail = dict.get(node, f"{key}_detail")
    if not isinstance(value, str) or detail is None:
        return None
    if detail.get("type") in _HTML_TYPES or _TAG_LIKE.search(value):
        return _html_to_text(value)
    return _clean(value)


def _content_text(content: dict[str, Any]) -> str | None:
    value = content.get("value")
    if not isinstance(value, str):
        return None
    return _html_to_text(value) if content.get("type") in _HTML_TYPES else _clean(value)


def _struct_to_utc(moment: Any) -> datetime | None:
    if moment is None:
        return None
    year, month, day, hour, minute, second = moment[:6]
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        document = json.loads(body)
    except ValueError as error:
        raise PermanentError(STAGE, url, f"not a feed: invalid JSON ({error})") from error
    if not isinstance(document, dict):
        raise PermanentError(STAGE, url, "not a feed: JSON that is not an object")

    problems: list[str] = []
    version = _JSON_FEED_VERSION.fullmatch(str(document.get("version", "")))
    items = document.get("items")
    if version is None:
        if not isinstance(items, list):
            raise PermanentError(STAGE, url, "not a feed: JSON that is not a JSON Feed")
        problems.append(f"unknown JSON Feed version {document.get('version')!r}")
        format_name = "json"
    else:
        format_name = f"json{version.group(1)}{version.group(2) or '0'}"
    if not isinstance(items, list):
        problems.append("no items list")
        items = []

    home = absolute_http_url(url, document.get("home_page_url"))
    base = home or url
    # JSON Feed 1.1: an item without authors has the feed's authors.
    inherited = _json_names(document)
    entries = []
    for position, item in enumerate(items):
        if isinstance(item, dict):
            entries.append(_json_entry(item, base, inherited, problems))
        else:
            problems.append(f"item {position} is not an object")
    return ParsedFeed(
        format=format_name,
        title=_clean(document.get("title")),
        link=home,
        encoding="utf-8",
        entries=tuple(entries),
        problems=tuple(problems),
    )


def _json_entry(
    item: dict[str, Any], base: str, inherited: tuple[str, ...], problems: list[str]
) -> ParsedEntry:
    guid = item.get("id")
    summary = _clean(item.get("summary")) or _clean(item.get("content_text"))
    if summary is None and isinstance(item.get("content_html"), str):
        summary = _html_to_text(item["content_html"])
    tags = item.get("tags")
    return ParsedEntry(
        link=(
            absolute_http_url(base, item.get("url"))
            or absolute_http_url(base, item.get("external_url"))
        ),
        # JSON Feed 1.0 allowed numeric ids; 1.1 asks consumers to read them as strings.
        guid=_clean(str(guid)) if isinstance(guid, str | int) else None,
        title=_clean(item.get("title")),
        summary=summary,
        authors=_json_names(item) or inherited,
        categories=_unique(tags) if isinstance(tags, list) else (),
        published=_json_date(item, "date_published", problems),
        updated=_json_date(item, "date_modified", problems),
    )


def _json_names(node: dict[str, Any]) -> tuple[str, ...]:
    authors = node.get("authors")
    if not isinstance(authors, list):
        legacy = node.get("author")
        authors = [legacy] if isinstance(legacy, dict) else []
    return _unique(author.get("name") for author in authors if isinstance(author, dict))


def _json_date(item: dict[str, Any], key: str, problems: list[str]) -> datetime | None:
    text = _clean(item.get(key))
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        # Some generators write RFC 822 dates, as in RSS.
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            problems.append(f"unreadable {key} {text!r}")
            return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _html_to_text(markup: str) -> str | None:
    markup = _SCRIPT_OR_STYLE.sub(" ", markup)
    markup = _BLOCK_TAG.sub(" ", markup)
    return _clean(html.unescape(_TAG.sub("", markup)))


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return _SPACE.sub(" ", value).strip() or None


def _unique(values: Iterable[Any]) -> tuple[str, ...]:
    """Cleaned strings, once each ignoring case, in their first spelling."""
    kept: dict[str, str] = {}
    for value in map(_clean, values):
        if value:
            kept.setdefault(value.casefold(), value)
    return tuple(kept.values())
