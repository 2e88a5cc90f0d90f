"""Render feeds (RSS 2.0, Atom 1.0, RSS 1.0/RDF, JSON Feed 1.1) and OPML subscription lists.

The renderers know formats, not outlets: callers hand them a ``Channel`` and ``Entry``\\ s
already resolved to absolute URLs on the simulated web.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from worker.simweb.model import FeedFormat

CONTENT_TYPES: dict[FeedFormat, str] = {
    "rss2": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "rdf": "application/rdf+xml; charset=utf-8",
    "jsonfeed": "application/feed+json; charset=utf-8",
}
OPML_CONTENT_TYPE = "text/x-opml; charset=utf-8"


@dataclass(frozen=True)
class Channel:
    id: str
    title: str
    description: str
    home: str
    self_url: str
    language: str
    updated: datetime


@dataclass(frozen=True)
class Entry:
    id: str
    id_is_link: bool
    """Whether ``id`` is the item's URL (RSS ``isPermaLink``)."""
    title: str
    link: str
    published: datetime
    updated: datetime
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    summary: str
    content_html: str | None
    language: str


@dataclass(frozen=True)
class Subscription:
    title: str
    xml_url: str
    html_url: str | None = None
    language: str | None = None


def render_feed(kind: FeedFormat, channel: Channel, entries: Sequence[Entry]) -> bytes:
    """Entries in the order given (newest first, as publishers list them)."""
    renderer = {"rss2": _rss2, "atom": _atom, "rdf": _rdf, "jsonfeed": _json_feed}[kind]
    return renderer(channel, entries).encode("utf-8")


def _text(tag: str, value: str) -> str:
    return f"<{tag}>{escape(value)}</{tag}>"


def _rss2(channel: Channel, entries: Sequence[Entry]) -> str:
    items = []
    for entry in entries:
        lines = [
            _text("title", entry.title),
            _text("link", entry.link),
            _text("description", entry.summary),
        ]
        if entry.content_html is not None:
            lines.append(_text("content:encoded", entry.content_html))
        lines += [_text("dc:creator", name) for name in entry.authors]
        lines += [_text("category", name) for name in entry.categories]
        permalink = "true" if entry.id_is_link else "false"
        lines.append(f'<guid isPermaLink="{permalink}">{escape(entry.id)}</guid>')
        lines.append(_text("pubDate", format_datetime(entry.published)))
        items.append("<item>\n" + "\n".join(lines) + "\n</item>")
    body = "\n".join(items)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" \
xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
{_text("title", channel.title)}
{_text("link", channel.home)}
{_text("description", channel.description)}
{_text("language", channel.language.lower())}
{_text("lastBuildDate", format_datetime(channel.updated))}
<atom:link href={quoteattr(channel.self_url)} rel="self" type="application/rss+xml"/>
{body}
</channel>
</rss>
"""


def _atom(channel: Channel, entries: Sequence[Entry]) -> str:
    items = []
    for entry in entries:
        lines = [
            _text("title", entry.title),
            f'<link rel="alternate" type="text/html" href={quoteattr(entry.link)}/>',
            _text("id", entry.id),
            _text("published", entry.published.isoformat()),
            _text("updated", entry.updated.isoformat()),
        ]
        lines += [f"<author>{_text('name', name)}</author>" for name in entry.authors]
        lines += [f"<category term={quoteattr(name)}/>" for name in entry.categories]
        lines.append(f'<summary type="text">{escape(entry.summary)}</summary>')
        if entry.content_html is not None:
            lines.append(f'<content type="html">{escape(entry.content_html)}</content>')
        items.append("<entry>\n" + "\n".join(lines) + "\n</entry>")
    body = "\n".join(items)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(channel.language)}>
{_text("title", channel.title)}
{_text("subtitle", channel.description)}
<link rel="alternate" type="text/html" href={quoteattr(channel.home)}/>
<link rel="self" type="application/atom+xml" href={quoteattr(channel.self_url)}/>
{_text("id", channel.id)}
{_text("updated", channel.updated.isoformat())}
{body}
</feed>
"""


def _rdf(channel: Channel, entries: Sequence[Entry]) -> str:
    sequence = "\n".join(f"<rdf:li rdf:resource={quoteattr(entry.link)}/>" for entry in entries)
    items = []
    for entry in entries:
        lines = [
            _text("title", entry.title),
            _text("link", entry.link),
            _text("description", entry.summary),
            _text("dc:date", entry.published.isoformat()),
            _text("dc:language", entry.language),
        ]
        lines += [_text("dc:creator", name) for name in entry.authors]
        lines += [_text("dc:subject", name) for name in entry.categories]
        items.append(f"<item rdf:about={quoteattr(entry.link)}>\n" + "\n".join(lines) + "\n</item>")
    body = "\n".join(items)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" \
xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about={quoteattr(channel.self_url)}>
{_text("title", channel.title)}
{_text("link", channel.home)}
{_text("description", channel.description)}
{_text("dc:language", channel.language)}
{_text("dc:date", channel.updated.isoformat())}
<items>
<rdf:Seq>
{sequence}
</rdf:Seq>
</items>
</channel>
{body}
</rdf:RDF>
"""


def _json_feed(channel: Channel, entries: Sequence[Entry]) -> str:
    items = []
    for entry in entries:
        item: dict[str, object] = {
            "id": entry.id,
            "url": entry.link,
            "title": entry.title,
            "summary": entry.summary,
            "date_published": entry.published.isoformat(),
            "date_modified": entry.updated.isoformat(),
            "authors": [{"name": name} for name in entry.authors],
            "tags": list(entry.categories),
            "language": entry.language,
        }
        # JSON Feed requires a body in one of the two fields on every item.
        if entry.content_html is not None:
            item["content_html"] = entry.content_html
        else:
            item["content_text"] = entry.summary
        items.append(item)
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": channel.title,
        "home_page_url": channel.home,
        "feed_url": channel.self_url,
        "description": channel.description,
        "language": channel.language,
        "items": items,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def render_opml(title: str, created: datetime, subscriptions: Sequence[Subscription]) -> bytes:
    outlines = []
    for feed in subscriptions:
        attributes = [
            f"text={quoteattr(feed.title)}",
            f"title={quoteattr(feed.title)}",
            'type="rss"',
            f"xmlUrl={quoteattr(feed.xml_url)}",
        ]
        if feed.html_url:
            attributes.append(f"htmlUrl={quoteattr(feed.html_url)}")
        if feed.language:
            attributes.append(f"language={quoteattr(feed.language)}")
        outlines.append(f"<outline {' '.join(attributes)}/>")
    body = "\n".join(outlines)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
<head>
{_text("title", title)}
{_text("dateCreated", format_datetime(created))}
</head>
<body>
{body}
</body>
</opml>
""".encode()
