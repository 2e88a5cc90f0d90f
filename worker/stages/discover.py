"""Feed discovery on a web page: ``<link rel="alternate">`` feeds, the usual feed paths, and
the sitemaps a robots.txt names."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from worker.stages.urls import absolute_http_url

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
        "application/xml",
        "text/xml",
    }
)
COMMON_PATHS = (
    "/feed",
    "/rss",
    "/feed.xml",
    "/rss.xml",
    "/atom.xml",
    "/index.xml",
    "/feed/",
    "/rss/",
)
_SITEMAP_LINE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.I | re.M)


class _AlternateLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        if tag not in ("link", "a"):
            return
        rel = values.get("rel", "").lower().split()
        kind = values.get("type", "").split(";")[0].strip().lower()
        if "alternate" in rel and kind in FEED_TYPES and values.get("href"):
            self.links.append(values["href"])


def alternate_feed_links(page: str, url: str) -> list[str]:
    """Absolute URLs of the feeds a page announces, in page order, once each."""
    parser = _AlternateLinks()
    parser.feed(page)
    parser.close()
    base = absolute_http_url(url, parser.base) or url
    return _absolute_unique(base, parser.links)


def common_feed_urls(url: str) -> list[str]:
    """Where sites usually keep their feed, on the page's host."""
    parts = urlsplit(url)
    root = f"{parts.scheme}://{parts.netloc}"
    prefix = parts.path.rstrip("/") if parts.path not in ("", "/") else ""
    paths = [f"{prefix}{path}" for path in COMMON_PATHS] if prefix else []
    return _absolute_unique(root, [*paths, *COMMON_PATHS])


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def sitemaps_in_robots(robots: str, url: str) -> list[str]:
    """The ``Sitemap:`` lines of a robots.txt, as absolute URLs."""
    return _absolute_unique(url, _SITEMAP_LINE.findall(robots))


def _absolute_unique(base: str, hrefs: list[str]) -> list[str]:
    found: dict[str, None] = {}
    for href in hrefs:
        if absolute := absolute_http_url(base, href):
            found.setdefault(absolute, None)
    return list(found)
