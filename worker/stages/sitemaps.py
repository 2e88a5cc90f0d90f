"""XML sitemaps, sitemap indexes and Google News sitemaps, read as feeds.

A sitemap lists URLs with an optional ``<lastmod>``; a Google News sitemap adds
``<news:publication_date>`` and ``<news:title>``; a sitemap index lists other sitemaps, which
the poll reads in turn (``ParsedFeed.child_sitemaps``). Namespaces are matched by their
local names, since publishers spell the sitemap namespace in several ways.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime

from worker.errors import PermanentError
from worker.models import ParsedEntry, ParsedFeed

STAGE = "parse"

_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(urlset|sitemapindex)\b")
_PROLOGUE = re.compile(rb"^\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*|<!DOCTYPE[^>]*>\s*)*", re.S)


def is_sitemap(body: bytes) -> bool:
    """Whether the document's root element is ``<urlset>`` or ``<sitemapindex>``."""
    start = _PROLOGUE.match(body)
    return _ROOT.match(body, start.end() if start else 0) is not None


def parse_sitemap(body: bytes, *, url: str, encoding: str) -> ParsedFeed:
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise PermanentError(
            STAGE, url, f"not a feed: sitemap that is not well-formed ({error})"
        ) from None
    if _local(root.tag) == "sitemapindex":
        children = tuple(_listed(node) for node in root if _local(node.tag) == "sitemap")
        return ParsedFeed(
            format="sitemapindex",
            title=None,
            link=None,
            encoding=encoding,
            entries=(),
            child_sitemaps=tuple(child for child in children if child.link),
        )
    entries = tuple(_listed(node) for node in root if _local(node.tag) == "url")
    is_news = any(_local(child.tag) == "news" for node in root for child in node)
    return ParsedFeed(
        format="news-sitemap" if is_news else "sitemap",
        title=None,
        link=None,
        encoding=encoding,
        entries=tuple(entry for entry in entries if entry.link),
    )


def _listed(node: ElementTree.Element) -> ParsedEntry:
    fields = {_local(child.tag): (child.text or "").strip() for child in node}
    news = next((child for child in node if _local(child.tag) == "news"), None)
    news_fields: dict[str, str] = {}
    if news is not None:
        for child in news.iter():
            news_fields.setdefault(_local(child.tag), (child.text or "").strip())
    link = fields.get("loc") or None
    return ParsedEntry(
        link=link if link and link.startswith(("http://", "https://")) else None,
        title=news_fields.get("title") or None,
        published=_w3c_date(news_fields.get("publication_date")),
        updated=_w3c_date(fields.get("lastmod")),
    )


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _w3c_date(text: str | None) -> datetime | None:
    """A W3C datetime (``2026-11-30``, ``2026-11-30T08:00:00+01:00``, ``...Z``) in UTC."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
