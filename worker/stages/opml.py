"""OPML feed lists: read (folders become tags) and written."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from worker.errors import PermanentError
from worker.models import Feed


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    title: str | None
    tags: tuple[str, ...]


def parse_opml(body: bytes, *, source: str) -> list[OpmlFeed]:
    """Every outline with an ``xmlUrl``; the titles of the folders around it become its tags."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise PermanentError("opml", source, f"not well-formed XML: {error}") from None
    if root.tag != "opml":
        raise PermanentError("opml", source, f"not an OPML document (root element <{root.tag}>)")
    body_element = root.find("body")
    if body_element is None:
        raise PermanentError("opml", source, "OPML document has no <body>")
    found: list[OpmlFeed] = []
    _collect(body_element, (), found)
    return found


def _collect(element: ElementTree.Element, folders: tuple[str, ...], found: list[OpmlFeed]) -> None:
    for outline in element.findall("outline"):
        label = (outline.get("title") or outline.get("text") or "").strip()
        url = (outline.get("xmlUrl") or "").strip()
        if url:
            # Writers (ours too) put the URL in ``text`` when a feed has no title.
            title = label if label and label != url else None
            found.append(OpmlFeed(url=url, title=title, tags=folders))
        else:
            _collect(outline, (*folders, label) if label else folders, found)


def render_opml(feeds: Iterable[Feed], *, title: str, created: datetime) -> str:
    """Feeds grouped into one folder per first tag, so an export imports back the same."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = title
    ElementTree.SubElement(head, "dateCreated").text = format_datetime(created)
    body = ElementTree.SubElement(root, "body")
    folders: dict[tuple[str, ...], ElementTree.Element] = {}
    for feed in feeds:
        parent = body
        for depth in range(len(feed.tags)):
            path = feed.tags[: depth + 1]
            if path not in folders:
                folders[path] = ElementTree.SubElement(parent, "outline", text=path[-1])
            parent = folders[path]
        attributes = {"type": "rss", "text": feed.title or feed.url, "xmlUrl": feed.url}
        if feed.title:
            attributes["title"] = feed.title
        ElementTree.SubElement(parent, "outline", attributes)
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, "unicode") + "\n"
