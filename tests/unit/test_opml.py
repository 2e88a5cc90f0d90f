"""OPML stage: folders become tags, bad documents are refused, export imports back the same."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from worker.errors import PermanentError
from worker.models import Feed
from worker.stages.opml import OpmlFeed, parse_opml, render_opml

SEED_FILE = Path(__file__).resolve().parents[2] / "seeds" / "feeds.opml"
CREATED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Mine</title></head>
  <body>
    <outline type="rss" text="Top level" xmlUrl="https://top.example.com/rss"/>
    <outline text="News" title="News">
      <outline text="Europe">
        <outline type="rss" text="Le Monde" title="Le Monde - Europe"
                 xmlUrl="https://lemonde.example.fr/europe/rss.xml"/>
        <outline text="Empty folder"/>
      </outline>
      <outline type="rss" text="Wire" xmlUrl="  https://wire.example.com/feed  "/>
    </outline>
    <outline text="">
      <outline type="rss" text="Under an unnamed folder" xmlUrl="https://unnamed.example.com/"/>
    </outline>
    <outline text="Wire services &amp; agencies">
      <outline type="rss" xmlUrl="https://agency.example.com/rss"/>
    </outline>
  </body>
</opml>
"""


def test_nested_folders_become_tags_outermost_first() -> None:
    feeds = {feed.url: feed for feed in parse_opml(NESTED, source="mine.opml")}

    assert feeds["https://lemonde.example.fr/europe/rss.xml"].tags == ("News", "Europe")
    assert feeds["https://wire.example.com/feed"].tags == ("News",)
    assert feeds["https://top.example.com/rss"].tags == ()
    assert feeds["https://agency.example.com/rss"].tags == ("Wire services & agencies",)


def test_outlines_without_xml_url_are_folders_not_feeds() -> None:
    feeds = parse_opml(NESTED, source="mine.opml")

    assert [feed.url for feed in feeds] == [
        "https://top.example.com/rss",
        "https://lemonde.example.fr/europe/rss.xml",
        "https://wire.example.com/feed",
        "https://unnamed.example.com/",
        "https://agency.example.com/rss",
    ]


def test_unnamed_folder_adds_no_tag() -> None:
    feeds = {feed.url: feed for feed in parse_opml(NESTED, source="mine.opml")}

    assert feeds["https://unnamed.example.com/"].tags == ()


def test_feed_title_prefers_title_then_text_and_is_none_without_either() -> None:
    feeds = {feed.url: feed for feed in parse_opml(NESTED, source="mine.opml")}

    assert feeds["https://lemonde.example.fr/europe/rss.xml"].title == "Le Monde - Europe"
    assert feeds["https://wire.example.com/feed"].title == "Wire"
    assert feeds["https://agency.example.com/rss"].title is None


def test_opml_without_feeds_gives_an_empty_list() -> None:
    body = b'<opml version="2.0"><head/><body><outline text="Folder"/></body></opml>'

    assert parse_opml(body, source="empty.opml") == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "not an OPML document"),
        (b"<html><body>Not found</body></html>", "not an OPML document"),
        (b'<opml version="2.0"><head/></opml>', "no <body>"),
    ],
)
def test_document_that_is_not_opml_raises_permanent_error_naming_the_source(
    body: bytes, reason: str
) -> None:
    with pytest.raises(PermanentError) as caught:
        parse_opml(body, source="https://example.com/list.opml")

    assert caught.value.stage == "opml"
    assert "https://example.com/list.opml" in str(caught.value)
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        b'<opml version="2.0"><body><outline text="x"></body></opml>',
        b"",
        b"just some text",
        b'<opml version="2.0"><body><outline text="a & b"/></body></opml>',
    ],
)
def test_ill_formed_xml_raises_permanent_error_naming_the_source(body: bytes) -> None:
    with pytest.raises(PermanentError) as caught:
        parse_opml(body, source="feeds/broken.opml")

    assert "feeds/broken.opml" in str(caught.value)
    assert "not well-formed XML" in str(caught.value)


def make_feed(url: str, title: str | None, tags: tuple[str, ...]) -> Feed:
    return Feed(id=url[-8:], url=url, title=title, tags=tags)


def test_render_then_parse_gives_back_urls_titles_and_tags() -> None:
    feeds = [
        make_feed("https://a.example.com/rss", "A & Co <news>", ("News", "Europe")),
        make_feed("https://b.example.com/rss", "B", ("Tech",)),
        make_feed("https://c.example.com/rss", "C", ("News",)),
        make_feed("https://d.example.com/rss", "D", ()),
        make_feed("https://e.example.com/rss?x=1&y=2", "E", ("News", "Europe")),
    ]

    text = render_opml(feeds, title="wirestream export", created=CREATED)
    parsed = parse_opml(text.encode("utf-8"), source="export")

    assert sorted(parsed, key=lambda f: f.url) == [
        OpmlFeed(url=f.url, title=f.title, tags=f.tags) for f in feeds
    ]


def test_render_groups_feeds_of_one_folder_under_one_outline() -> None:
    feeds = [
        make_feed("https://a.example.com/rss", "A", ("News",)),
        make_feed("https://b.example.com/rss", "B", ("Tech",)),
        make_feed("https://c.example.com/rss", "C", ("News",)),
    ]

    text = render_opml(feeds, title="export", created=CREATED)

    assert text.count('text="News"') == 1
    assert text.count('text="Tech"') == 1
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    assert "<title>export</title>" in text
    assert "<dateCreated>Sat, 01 Mar 2025 12:00:00 +0000</dateCreated>" in text


def test_render_then_parse_keeps_an_untitled_feed_untitled() -> None:
    feeds = [make_feed("https://untitled.example.com/rss", None, ("News",))]

    text = render_opml(feeds, title="export", created=CREATED)
    [parsed] = parse_opml(text.encode("utf-8"), source="export")

    assert parsed.title is None


def test_seed_opml_lists_at_least_fifty_https_feeds() -> None:
    feeds = parse_opml(SEED_FILE.read_bytes(), source=str(SEED_FILE))

    assert len(feeds) >= 50
    not_https = [feed.url for feed in feeds if not feed.url.startswith("https://")]
    assert not_https == []
    assert len({feed.url for feed in feeds}) == len(feeds), "a seed feed is listed twice"
    assert all(feed.tags for feed in feeds), "every seed feed sits in a folder"
