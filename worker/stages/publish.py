"""Publish stage: the article assembled, and its stream message as the v1 contract says.

The dedupe verdict (event, cluster, duplicate_of) is decided atomically inside Redis by the
publishing script, so the message is built here without it: ``data`` is serialised with
its closing brace left off, and the script appends ``"dedupe": {...}}``.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin

from worker.errors import PermanentError
from worker.models import (
    Article,
    DatedValue,
    ExtractedPage,
    FeedEntry,
    Response,
    Tags,
    utc_iso,
)
from worker.stages.urls import article_id, canonical_url, same_site

SCHEMA = "wirestream.article/1"
CREATED = "article.created"
DUPLICATE = "article.duplicate"

# Date sources that give a day, not a moment.
DAY_ONLY_SOURCES = ("htmldate", "url")

_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class OutgoingMessage:
    """Everything the publishing script needs for one article."""

    article_id: str
    content_hash: str
    flat_fields: dict[str, str]  # schema, id, url, feed, lang: copies for cheap filtering
    data_without_dedupe: str  # JSON object text with its final "}" removed
    routes: tuple[str, ...] = ()  # named streams that also receive the entry


def build_article(
    entry: FeedEntry,
    response: Response,
    page: ExtractedPage,
    tags: Tags,
    *,
    processed_at: datetime,
    trust_canonical: bool = True,
) -> Article:
    url = article_url(response, page) if trust_canonical else canonical_url(response.final_url)
    return Article(
        id=article_id(url),
        url=url,
        source_url=entry.source_url,
        final_url=response.final_url,
        feed=entry.feed,
        page=page,
        tags=tags,
        content_hash=content_hash(page.text if page.identity_text is None else page.identity_text),
        word_count=len(_WORD.findall(page.text)),
        discovered_at=entry.discovered_at,
        fetched_at=response.fetched_at,
        processed_at=processed_at,
        agency=page.agency,
        quality={
            "extractor": page.extractor,
            "truncated": page.truncated,
            "paywalled": page.paywalled,
        },
    )


def article_url(response: Response, page: ExtractedPage) -> str:
    """The canonical URL: the page's own claim when it stays on the site, else where we landed.

    A page may only name a canonical on its own site; otherwise any page could claim to be
    another outlet's article.
    """
    landed = canonical_url(response.final_url)
    if not page.canonical_url:
        return landed
    claimed = urljoin(response.final_url, page.canonical_url)
    if not same_site(claimed, landed):
        return landed
    try:
        return canonical_url(claimed)
    except PermanentError:  # a broken canonical link is the page's problem, not the article's
        return landed


def claimed_canonical(response: Response, page: ExtractedPage) -> str | None:
    """The canonical URL the page claims for itself elsewhere than where it was fetched, if
    :func:`article_url` would follow it."""
    landed = canonical_url(response.final_url)
    url = article_url(response, page)
    return url if url != landed else None


def canonical_claim(response: Response, page: ExtractedPage) -> str:
    """What a page claiming a canonical URL is: where it was fetched, its title and its body.
    Two claims of one canonical that differ in all three are two stories."""
    title = " ".join(_WORD.findall((page.title or "").casefold()))
    return "\t".join((canonical_url(response.final_url), title, content_hash(page.text)))


def are_different_stories(claim: str, other: str) -> bool:
    """Whether two :func:`canonical_claim` values of one canonical URL are different pages
    with different stories: the canonical is then the host's template's, not the story's (an
    AMP or print copy of one story has its own address but the same title or body)."""
    return all(
        mine != theirs for mine, theirs in zip(claim.split("\t"), other.split("\t"), strict=True)
    )


def content_hash(text: str) -> str:
    """Digest of the body with case, Unicode forms and white space normalised."""
    normalised = _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:32]


def article_data(article: Article) -> dict[str, Any]:
    page = article.page
    return {
        "id": article.id,
        "url": article.url,
        "source_url": article.source_url,
        "final_url": article.final_url,
        "feed": article.feed.to_payload(),
        "title": page.title,
        "authors": list(page.authors),
        "published_at": utc_iso(page.published.value) if page.published else None,
        "published_at_source": page.published.source if page.published else None,
        "modified_at": utc_iso(page.modified.value) if page.modified else None,
        "modified_at_source": page.modified.source if page.modified else None,
        "discovered_at": utc_iso(article.discovered_at),
        "fetched_at": utc_iso(article.fetched_at),
        "processed_at": utc_iso(article.processed_at),
        "language": article.tags.language,
        "site_name": page.site_name,
        "section": page.section,
        "keywords": list(page.keywords),
        "image": page.image,
        "description": page.description,
        "text": page.text,
        "word_count": article.word_count,
        "agency": list(article.agency),
        "tags": tags_data(article.tags),
        "quality": article.quality,
    }


def tags_data(tags: Tags) -> dict[str, Any]:
    """Every tag with the extractor or rule that produced it (``by``)."""
    return {
        "feed": list(tags.feed),
        "categories": list(tags.categories),
        "places": [
            {
                "code": place.code,
                "name": place.name,
                "count": place.count,
                "in": {"title": place.title, "lead": place.lead, "body": place.body},
                "names": list(place.names),
                "by": place.by,
            }
            for place in tags.places
        ],
        "people": [asdict(person) for person in tags.people],
        "organisations": [asdict(organisation) for organisation in tags.organisations],
        "topics": [asdict(topic) for topic in tags.topics],
        "keywords": [asdict(keyword) for keyword in tags.keywords],
        "rules": list(tags.rules),
        "labels": [asdict(label) for label in tags.labels],
    }


def build_message(article: Article, routes: tuple[str, ...] = ()) -> OutgoingMessage:
    data = json.dumps(article_data(article), ensure_ascii=False, separators=(",", ":"))
    return OutgoingMessage(
        article_id=article.id,
        content_hash=article.content_hash,
        flat_fields={
            "schema": SCHEMA,
            "id": article.id,
            "url": article.url,
            "feed": article.feed.id,
            "lang": article.tags.language or "",
        },
        data_without_dedupe=data[:-1],
        routes=routes,
    )


def dated_from_feed(entry: FeedEntry, page: ExtractedPage) -> ExtractedPage:
    """The feed's timestamp when the page has no date, or only the day that timestamp is on.

    A date guessed by htmldate or read from the URL is a bare day (midnight UTC); a feed's
    ``pubDate`` on that same day says more.
    """
    feed_date = entry.published
    if feed_date is None:
        return page
    page_date = page.published
    day_only = page_date is not None and page_date.source in DAY_ONLY_SOURCES
    if page_date is None or (day_only and abs(page_date.value - feed_date) < timedelta(days=1)):
        return replace(page, published=DatedValue(feed_date, "feed"))
    return page
