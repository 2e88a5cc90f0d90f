"""Charset decisions, sitemaps as feeds, discovery on pages and robots.txt, TOML feed lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from worker.errors import PermanentError
from worker.stages.charset import codec_for, decode_document
from worker.stages.discover import alternate_feed_links, common_feed_urls, sitemaps_in_robots
from worker.stages.feedlist import parse_feed_list
from worker.stages.feeds import parse_feed

RSS = (
    '<?xml version="1.0" encoding="{declared}"?><rss version="2.0"><channel><title>t</title>'
    "<item><title>{title}</title><link>https://a.example/1</link></item></channel></rss>"
)


def rss(title: str, declared: str, actual: str) -> bytes:
    return RSS.format(declared=declared, title=title).encode(actual)


def test_a_bom_beats_the_http_header() -> None:
    body = b"\xef\xbb\xbf" + rss("Grüße", "utf-8", "utf-8")
    parsed = parse_feed(body, url="https://a.example/f", content_type="text/xml; charset=cp1251")
    assert (parsed.encoding, parsed.entries[0].title) == ("utf-8", "Grüße")


def test_the_http_header_beats_the_declaration() -> None:
    body = rss("Привет", "iso-8859-1", "koi8-r")
    parsed = parse_feed(body, url="https://a.example/f", content_type="text/xml; charset=koi8-r")
    assert parsed.entries[0].title == "Привет"


def test_text_xml_without_charset_follows_the_declaration_not_us_ascii() -> None:
    body = rss("Verzió", "iso-8859-2", "iso-8859-2")
    parsed = parse_feed(body, url="https://a.example/f", content_type="text/xml")
    assert parsed.entries[0].title == "Verzió"
    # Clients that still follow RFC 3023 read this feed as US-ASCII: the publisher is told.
    assert parsed.problems[0].startswith("CharacterEncodingOverride: text/xml without a charset")


def test_a_charset_that_does_not_fit_the_bytes_is_passed_over() -> None:
    body = rss("Verzió", "iso-8859-2", "iso-8859-2")
    decoded = decode_document(body, "application/xml; charset=utf-8")
    assert (decoded.encoding, decoded.source) == ("iso8859-2", "declaration")
    assert "does not fit" in decoded.problems[0]


def test_an_undeclared_legacy_charset_is_detected() -> None:
    title = "Греция сегодня: Афины борются с проституцией, а полиция ищет новые меры"  # noqa: RUF001
    body = rss(title, "utf-8", "cp1251").replace(b' encoding="utf-8"', b"")
    parsed = parse_feed(body, url="https://a.example/f", content_type="application/xml")
    assert parsed.entries[0].title == title
    assert parsed.problems == ("CharacterEncodingOverride: no usable charset; detected cp1251",)


def test_utf8_bytes_under_another_declaration_are_read_as_utf8_and_flagged() -> None:
    body = rss("Grüße", "iso-8859-1", "utf-8")
    parsed = parse_feed(body, url="https://a.example/f", content_type="application/rss+xml")
    assert parsed.entries[0].title == "Grüße"
    assert parsed.problems == (
        "CharacterEncodingOverride: declared 'iso-8859-1' (declaration), read as utf-8",
    )


def test_bytes_that_make_no_language_fall_back_to_windows_1252_byte_by_byte() -> None:
    # Declared UTF-8 but not UTF-8, and too few bytes to tell a code page: the undefined 0x9d
    # keeps its ISO-8859-1 meaning, the other bytes cp1252's.
    body = (
        b'<?xml version="1.0" encoding="utf-8"?>'
        b"<rss><title> \xe2\x80\x99\xe2\x80\x9d\xa9 </title></rss>"
    )
    decoded = decode_document(body, None)
    assert (decoded.encoding, decoded.source) == ("cp1252", "fallback")
    assert "<title> \xe2\u20ac\u2122\xe2\u20ac\x9d\xa9 </title>" in decoded.text


def test_a_feed_served_as_plain_text_is_parsed_and_flagged() -> None:
    body = rss("Title", "utf-8", "utf-8")
    parsed = parse_feed(body, url="https://a.example/f", content_type="text/plain; charset=utf-8")
    assert parsed.entries[0].title == "Title"
    assert parsed.problems == ("NonXMLContentType: served as text/plain",)


def test_labels_are_read_as_browsers_read_them() -> None:
    assert codec_for("ISO-8859-1") == "cp1252"
    assert codec_for("TIS-620") == "cp874"
    assert codec_for("x-mac-cyrillic") == "mac-cyrillic"
    assert codec_for("no-such-charset") is None


def test_html_in_titles_is_reduced_to_text() -> None:
    body = rss("&lt;b&gt;Breaking&lt;/b&gt; news &amp;amp; more", "utf-8", "utf-8")
    parsed = parse_feed(body, url="https://a.example/f")
    assert parsed.entries[0].title == "Breaking news & more"


def test_ttl_and_syndication_period_are_read() -> None:
    body = (
        b'<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel>'
        b"<title>t</title><ttl>30</ttl><sy:updatePeriod>hourly</sy:updatePeriod>"
        b"<sy:updateFrequency>4</sy:updateFrequency>"
        b"<item><link>https://a.example/1</link></item></channel></rss>"
    )
    parsed = parse_feed(body, url="https://a.example/f")
    assert (parsed.ttl_seconds, parsed.update_period_seconds) == (1800, 900)


def test_a_google_news_sitemap_reads_as_a_feed() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://paper.example/a</loc><news:news>
  <news:publication><news:name>Paper</news:name><news:language>en</news:language></news:publication>
  <news:publication_date>2026-11-30T08:00:00+01:00</news:publication_date>
  <news:title>Storm hits coast</news:title></news:news></url>
<url><loc>https://paper.example/b</loc><lastmod>2026-11-29</lastmod></url>
</urlset>"""
    parsed = parse_feed(body, url="https://paper.example/news-sitemap.xml")
    first, second = parsed.entries
    assert parsed.format == "news-sitemap"
    assert (first.link, first.title) == ("https://paper.example/a", "Storm hits coast")
    assert first.published == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert second.updated == datetime(2026, 11, 29, tzinfo=UTC)


def test_a_sitemap_index_lists_its_sitemaps() -> None:
    body = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://paper.example/s1.xml</loc><lastmod>2026-11-30</lastmod></sitemap>
<sitemap><loc>https://paper.example/s2.xml</loc></sitemap></sitemapindex>"""
    parsed = parse_feed(body, url="https://paper.example/sitemap.xml")
    assert parsed.format == "sitemapindex"
    assert [child.link for child in parsed.child_sitemaps] == [
        "https://paper.example/s1.xml",
        "https://paper.example/s2.xml",
    ]


def test_a_page_announces_its_feeds_with_alternate_links() -> None:
    page = """<html><head><base href="https://cdn.example/news/">
<link rel="alternate" type="application/rss+xml" href="rss.xml">
<link rel="stylesheet" href="x.css"><link rel="alternate" type="text/html" href="/en">
<link rel="alternate" type="application/atom+xml" href="https://outlet.example/atom">
</head></html>"""
    assert alternate_feed_links(page, "https://outlet.example/") == [
        "https://cdn.example/news/rss.xml",
        "https://outlet.example/atom",
    ]


def test_common_feed_paths_and_robots_sitemaps() -> None:
    assert "https://outlet.example/feed" in common_feed_urls("https://outlet.example/")
    assert "https://outlet.example/world/rss.xml" in common_feed_urls(
        "https://outlet.example/world/"
    )
    robots = (
        "User-agent: *\nDisallow: /x\nSitemap: https://outlet.example/news.xml\nsitemap: /s.xml"
    )
    assert sitemaps_in_robots(robots, "https://outlet.example/") == [
        "https://outlet.example/news.xml",
        "https://outlet.example/s.xml",
    ]


def test_a_toml_feed_list_names_the_feed_and_option_it_refuses() -> None:
    good = b'[[feed]]\nurl = "https://a.example/rss"\ntags = ["x"]\nmax_interval = 600\n'
    [feed] = parse_feed_list(good, source="feeds.toml")
    assert (feed.url, feed.tags, feed.max_interval) == ("https://a.example/rss", ("x",), 600)

    for bad, reason in [
        (b'[[feed]]\nurl = "https://a.example/rss"\nspeed = 1\n', "unknown option"),
        (b'[[feed]]\nname = "x"\n', "url is missing"),
        (b'[[feed]]\nurl = "u"\nmin_interval = 900\nmax_interval = 60\n', "exceeds"),
        (b"[[feed]\n", "not a TOML feed list"),
    ]:
        with pytest.raises(PermanentError, match=reason):
            parse_feed_list(bad, source="feeds.toml")
