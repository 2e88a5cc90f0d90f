"""The machine-readable truth about the demo web: outlets, feeds and every article served.

Tests of the pipeline compare what it publishes with ``ARTICLES``: each article sits in
exactly one feed, wire republications share a ``story_id``, and an article with
``exact_copy_of`` is served with the very bytes of its twin.
"""

from __future__ import annotations

import re
import zlib
from datetime import datetime, timedelta, timezone

from worker.simweb.model import (
    Article,
    Edit,
    ExactCopy,
    Feed,
    Outlet,
    Republication,
    Story,
    WireStory,
)
from worker.simweb.stories import english, french, german, spanish, wire

TRACKING = "utm_source=rss&utm_medium=feed"

OUTLETS: tuple[Outlet, ...] = (
    Outlet(
        host="www.harbourgazette.example",
        name="The Harbour Gazette",
        language="en",
        country="GB",
        utc_offset=timedelta(0),
        template="harbourgazette",
        path_pattern="/{section}/{yyyy}/{mon}/{dd}/{slug}",
        tracking_query=TRACKING,
    ),
    Outlet(
        host="24newsdesk.example",
        name="24 News Desk",
        language="en",
        country="PK",
        utc_offset=timedelta(hours=5),
        template="newsdesk24",
        path_pattern="/news/{id}/{slug}",
    ),
    Outlet(
        host="news.meridiantimes.example",
        name="The Meridian Times",
        language="en",
        country="US",
        utc_offset=timedelta(hours=-5),
        template="meridiantimes",
        path_pattern="/{yyyy}/{mm}/{dd}/{section}/{slug}.html",
    ),
    Outlet(
        host="www.northbridgepost.example",
        name="Northbridge Post",
        language="en",
        country="CA",
        utc_offset=timedelta(hours=-5),
        template="northbridgepost",
        path_pattern="/news/{section}/{slug}-1.{id}",
    ),
    Outlet(
        host="www.pacificledger.example",
        name="The Pacific Ledger",
        language="en",
        country="AU",
        utc_offset=timedelta(hours=11),
        template="pacificledger",
        path_pattern="/{section}/{slug}-{yyyy}{mm}{dd}-p5{id}.html",
    ),
    Outlet(
        host="www.rheinkurier.example",
        name="Rheinkurier",
        language="de",
        country="DE",
        utc_offset=timedelta(hours=1),
        template="rheinkurier",
        path_pattern="/{section}/{slug}-a-{id}.html",
    ),
    Outlet(
        host="www.alpenrundschau.example",
        name="Alpenrundschau",
        language="de",
        country="AT",
        utc_offset=timedelta(hours=1),
        template="alpenrundschau",
        path_pattern="/{section}/{id}/{slug}",
    ),
    Outlet(
        host="www.seelandcourrier.example",
        name="Seeland Courrier",
        language="de",
        country="CH",
        utc_offset=timedelta(hours=1),
        template="seelandcourrier",
        path_pattern="/{lang}/{section}/{slug}-{id}",
    ),
    Outlet(
        host="www.lemessager.example",
        name="Le Messager",
        language="fr",
        country="FR",
        utc_offset=timedelta(hours=1),
        template="lemessager",
        path_pattern="/{section}/article/{yyyy}/{mm}/{dd}/{slug}_{id}.html",
        tracking_query=TRACKING,
    ),
    Outlet(
        host="www.diariodelplata.example",
        name="Diario del Plata",
        language="es",
        country="AR",
        utc_offset=timedelta(hours=-3),
        template="diariodelplata",
        path_pattern="/{section}/{slug}-nid{dd}{mm}{yyyy}/",
        tracking_query=TRACKING,
    ),
    Outlet(
        host="syndication.newsbridge.example",
        name="NewsBridge Syndication",
        language="en",
        country="GB",
        utc_offset=timedelta(0),
        template=None,
    ),
)

FEEDS: tuple[Feed, ...] = (
    Feed(
        outlet="www.harbourgazette.example",
        path="/feeds/latest.rss",
        format="rss2",
        title="The Harbour Gazette: latest news",
        description="Latest news, sport, business and culture from The Harbour Gazette",
    ),
    Feed(
        outlet="24newsdesk.example",
        path="/feed/",
        format="rss2",
        title="24 News Desk",
        description="Breaking news from Pakistan and the world",
        opaque_guids=True,
    ),
    Feed(
        outlet="news.meridiantimes.example",
        path="/services/xml/atom/homepage.xml",
        format="atom",
        title="The Meridian Times - Top Stories",
        description="Top stories from The Meridian Times",
    ),
    Feed(
        outlet="www.northbridgepost.example",
        path="/feeds/latest.json",
        format="jsonfeed",
        title="Northbridge Post | Latest",
        description="The latest from the Northbridge Post",
    ),
    Feed(
        outlet="www.pacificledger.example",
        path="/rss/world.xml",
        format="rss2",
        title="The Pacific Ledger - World",
        description="World news from The Pacific Ledger",
        sections=("world",),
        full_content=True,
    ),
    Feed(
        outlet="www.pacificledger.example",
        path="/rss/business.xml",
        format="rss2",
        title="The Pacific Ledger - Business",
        description="Business news from The Pacific Ledger",
        sections=("business",),
    ),
    Feed(
        outlet="www.rheinkurier.example",
        path="/index.rdf",
        format="rdf",
        title="Rheinkurier - Nachrichten",
        description="Nachrichten aus Politik, Wirtschaft, Sport und Wissen",
    ),
    Feed(
        outlet="www.alpenrundschau.example",
        path="/feeds/atom.xml",
        format="atom",
        title="Alpenrundschau",
        description="Nachrichten aus Österreich und der Welt",
        full_content=True,
    ),
    Feed(
        outlet="www.seelandcourrier.example",
        path="/feed.json",
        format="jsonfeed",
        title="Seeland Courrier",
        description="Nachrichten aus Biel und dem Seeland / Les nouvelles de Bienne et du Seeland",
    ),
    Feed(
        outlet="www.lemessager.example",
        path="/rss/une.xml",
        format="rss2",
        title="Le Messager - À la une",
        description="Toute l'actualité en continu",
        opaque_guids=True,
    ),
    Feed(
        outlet="www.diariodelplata.example",
        path="/arc/outboundfeeds/rss/",
        format="rss2",
        title="Diario del Plata",
        description="Las últimas noticias de la Argentina y el mundo",
        full_content=True,
    ),
    Feed(
        outlet="syndication.newsbridge.example",
        path="/feeds/partner.xml",
        format="rss2",
        title="NewsBridge partner content",
        description="Stories syndicated from NewsBridge partner newsrooms",
        opaque_guids=True,
    ),
)

EXACT_COPIES: tuple[ExactCopy, ...] = (
    ExactCopy(
        outlet="syndication.newsbridge.example",
        path="/partners/24newsdesk/south-korea-summons-russian-ambassador.html",
        original_outlet="24newsdesk.example",
        original_slug="south-korea-summons-russian-ambassador-over-pyongyang-arms-pact",
    ),
    ExactCopy(
        outlet="syndication.newsbridge.example",
        path="/partners/24newsdesk/{slug}.html",
        original_outlet="24newsdesk.example",
        original_slug="smog-lahore-schools-closed",
    ),
    ExactCopy(
        outlet="www.northbridgepost.example",
        path="/print{original}",
        original_outlet="www.northbridgepost.example",
        original_slug="grey-cup-blue-bombers-win-at-home",
    ),
    ExactCopy(
        outlet="www.northbridgepost.example",
        path="/print{original}",
        original_outlet="www.northbridgepost.example",
        original_slug="tornadoes-kill-9-in-mississippi-alabama",
    ),
)

SECTION_LABELS = {
    "uk-news": "UK news",
    "us": "U.S.",
    "wirtschaft": "Wirtschaft",
    "economie": "Économie",
    "economia": "Economía",
    "suisse": "Suisse",
    "schweiz": "Schweiz",
    "wien": "Wien",
}

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def section_label(section: str) -> str:
    return SECTION_LABELS.get(section, section.replace("-", " ").capitalize())


def outlet(host: str) -> Outlet:
    for candidate in OUTLETS:
        if candidate.host == host:
            return candidate
    raise KeyError(host)


def feed_for(article: Article) -> Feed:
    """The one feed that lists ``article``."""
    for feed in FEEDS:
        if feed.outlet == article.outlet and (
            not feed.sections or article.section in feed.sections
        ):
            return feed
    raise KeyError(article.key)


def articles_in(feed: Feed) -> tuple[Article, ...]:
    """The feed's articles, oldest first."""
    return _FEED_ARTICLES[feed.key]


def paragraphs_of(text: str) -> tuple[str, ...]:
    return tuple(" ".join(block.split()) for block in re.split(r"\n\s*\n", text.strip()))


def _local_time(host: str, stamp: str) -> datetime:
    naive = datetime.fromisoformat(stamp)
    return naive.replace(tzinfo=timezone(outlet(host).utc_offset))


def _path(host: str, section: str, slug: str, published: datetime, language: str) -> str:
    # A CRC of host and slug gives every article a CMS-looking id that stays put when
    # stories are added or reordered.
    article_id = zlib.crc32(f"{host}/{slug}".encode()) % 9_000_000 + 1_000_000
    return outlet(host).path_pattern.format(
        section=section,
        slug=slug,
        id=article_id,
        yyyy=f"{published.year:04d}",
        mm=f"{published.month:02d}",
        dd=f"{published.day:02d}",
        mon=_MONTHS[published.month - 1],
        lang=language,
    )


def _from_story(story: Story) -> Article:
    published = _local_time(story.outlet, story.published)
    language = story.language or outlet(story.outlet).language
    return Article(
        outlet=story.outlet,
        path=_path(story.outlet, story.section, story.slug, published, language),
        language=language,
        title=story.title,
        authors=story.authors,
        published=published,
        story_id=f"{story.outlet}/{story.slug}",
        agency=None,
        edits=(),
        exact_copy_of=None,
        paragraphs=paragraphs_of(story.text),
        section=story.section,
        topic=story.topic,
        modified=_local_time(story.outlet, story.modified) if story.modified else None,
    )


def _from_republication(story: WireStory, copy: Republication) -> Article:
    paragraphs = list(paragraphs_of(story.text))
    edits: list[Edit] = []
    if copy.title is not None:
        edits.append("headline_rewrite")
    if copy.lede is not None:
        paragraphs[0] = paragraphs_of(copy.lede)[0]
        edits.append("reworded_lede")
    if copy.cut:
        del paragraphs[-copy.cut :]
        edits.append("cut_ending")
    if copy.local is not None:
        index, text = copy.local
        paragraphs.insert(index, paragraphs_of(text)[0])
        edits.append("local_paragraph")
    if copy.authors is not None and copy.authors != story.authors:
        edits.append("agency_credit")
    published = _local_time(copy.outlet, copy.published)
    return Article(
        outlet=copy.outlet,
        path=_path(copy.outlet, copy.section, copy.slug, published, story.language),
        language=story.language,
        title=copy.title or story.title,
        authors=story.authors if copy.authors is None else copy.authors,
        published=published,
        story_id=story.story_id,
        agency=story.agency,
        edits=tuple(edits),
        exact_copy_of=None,
        paragraphs=tuple(paragraphs),
        section=copy.section,
        topic=story.topic,
    )


def _from_exact_copy(copy: ExactCopy, original: Article) -> Article:
    return Article(
        outlet=copy.outlet,
        path=copy.path.format(original=original.path, slug=copy.original_slug),
        language=original.language,
        title=original.title,
        authors=original.authors,
        published=original.published,
        story_id=original.story_id,
        agency=original.agency,
        edits=("exact_copy",),
        exact_copy_of=original.key,
        paragraphs=original.paragraphs,
        section=original.section,
        topic=original.topic,
        modified=original.modified,
    )


def _build() -> tuple[Article, ...]:
    by_slug = {
        (story.outlet, story.slug): _from_story(story)
        for module in (english, german, french, spanish)
        for story in module.STORIES
    } | {
        (copy.outlet, copy.slug): _from_republication(story, copy)
        for story, copies in wire.WIRE_STORIES
        for copy in copies
    }
    copies = [
        _from_exact_copy(copy, by_slug[copy.original_outlet, copy.original_slug])
        for copy in EXACT_COPIES
    ]
    articles = [*by_slug.values(), *copies]
    return tuple(sorted(articles, key=lambda article: (article.published, article.key)))


ARTICLES: tuple[Article, ...] = _build()
"""Every article page of the demo web, oldest first."""

BY_KEY: dict[str, Article] = {article.key: article for article in ARTICLES}

_FEED_ARTICLES = {
    feed.key: tuple(article for article in ARTICLES if feed_for(article) == feed) for feed in FEEDS
}
