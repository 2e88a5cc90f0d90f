"""parse_feed: feed bytes in, a ParsedFeed (or a PermanentError) out, never a fetch."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from worker.errors import PermanentError
from worker.models import ParsedFeed
from worker.stages.feeds import parse_feed

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def not_a_feed(body: bytes, content_type: str | None = None) -> str:
    with pytest.raises(PermanentError) as raised:
        parse_feed(body, url="https://news.example/feed", content_type=content_type)
    assert raised.value.stage == "parse"
    assert raised.value.subject == "https://news.example/feed"
    return raised.value.reason


@pytest.fixture(scope="module")
def rss20() -> ParsedFeed:
    return parse_feed(
        fixture("rss20.xml"),
        url="https://harbour.example/feeds/main.xml",
        content_type="application/rss+xml; charset=utf-8",
    )


class TestRss20:
    def test_format_title_link_and_encoding_describe_the_channel(self, rss20: ParsedFeed) -> None:
        assert rss20.format == "rss20"
        assert rss20.title == "Harbour & Hills Gazette"
        assert rss20.link == "https://harbour.example/"
        assert rss20.encoding == "utf-8"
        assert rss20.problems == ()

    def test_relative_link_resolves_against_the_feed_url(self, rss20: ParsedFeed) -> None:
        assert rss20.entries[0].link == "https://harbour.example/news/2024/06/ferry-timetable.html"

    def test_guid_that_is_not_a_permalink_is_kept_as_guid_only(self, rss20: ParsedFeed) -> None:
        assert rss20.entries[0].guid == "gazette-article-48213"

    def test_permalink_guid_stands_in_for_a_missing_link(self, rss20: ParsedFeed) -> None:
        entry = rss20.entries[1]
        assert entry.link == "https://harbour.example/news/2024/06/market-hall.html"
        assert entry.guid == entry.link

    def test_feedburner_original_link_wins_over_the_redirector(self, rss20: ParsedFeed) -> None:
        assert rss20.entries[2].link == "https://harbour.example/news/2024/06/lighthouse.html"

    def test_title_markup_is_reduced_to_plain_text(self, rss20: ParsedFeed) -> None:
        assert rss20.entries[0].title == "Ferry timetable changes from Monday"

    def test_summary_is_plain_text_with_blocks_apart(self, rss20: ParsedFeed) -> None:
        assert rss20.entries[0].summary == (
            "The early ferry moves to 06:10. Late sailings are unchanged."
        )

    def test_authors_are_names_from_creator_and_email_form(self, rss20: ParsedFeed) -> None:
        assert rss20.entries[0].authors == ("Mara Quint",)
        assert rss20.entries[1].authors == ("News Desk",)

    def test_categories_keep_their_order(self, rss20: ParsedFeed) -> None:
        assert rss20.entries[0].categories == ("Transport", "Harbour")

    def test_pub_date_with_offset_becomes_utc(self, rss20: ParsedFeed) -> None:
        assert rss20.entries[0].published == utc(2024, 6, 21, 20, 28, 4)

    def test_updated_is_not_invented_from_the_publication_date(self, rss20: ParsedFeed) -> None:
        assert rss20.entries[0].updated is None

    def test_missing_date_and_guid_are_none(self, rss20: ParsedFeed) -> None:
        assert rss20.entries[2].published is None
        assert (
            parse_feed(fixture("latin1.xml"), url="https://vallee.example/rss").entries[0].guid
            is None
        )


@pytest.fixture(scope="module")
def atom() -> ParsedFeed:
    return parse_feed(
        fixture("atom10.xml"),
        url="https://riverside.example/blog/atom.xml",
        content_type="application/atom+xml",
    )


class TestAtom:
    def test_format_and_html_title(self, atom: ParsedFeed) -> None:
        assert atom.format == "atom10"
        assert atom.title == "Riverside Notes"
        assert atom.link == "https://riverside.example/blog/"

    def test_alternate_link_resolves_against_nested_xml_base(self, atom: ParsedFeed) -> None:
        assert atom.entries[0].link == "https://riverside.example/blog/2024/06/bridge-repairs.html"
        assert atom.entries[1].link == "https://riverside.example/blog/rowing-club.html"

    def test_id_is_the_guid(self, atom: ParsedFeed) -> None:
        assert atom.entries[0].guid == "tag:riverside.example,2024:entry-17"

    def test_published_and_updated_are_utc(self, atom: ParsedFeed) -> None:
        assert atom.entries[0].published == utc(2024, 6, 21, 16, 30)
        assert atom.entries[0].updated == utc(2024, 6, 22, 5, 45)
        assert atom.entries[1].published is None

    def test_entry_without_author_has_the_feed_author(self, atom: ParsedFeed) -> None:
        assert atom.entries[0].authors == ("Ilse Brandt",)
        assert atom.entries[1].authors == ("Riverside Desk",)

    def test_category_label_is_preferred_to_its_term(self, atom: ParsedFeed) -> None:
        assert atom.entries[0].categories == ("Infrastructure",)

    def test_text_title_keeps_its_angle_bracket(self, atom: ParsedFeed) -> None:
        assert atom.entries[1].title == "Rowing club: 3 < 5 boats"

    def test_xhtml_content_stands_in_for_a_missing_summary(self, atom: ParsedFeed) -> None:
        assert atom.entries[0].summary == "Crews finished the deck two weeks ahead of plan."
        assert atom.entries[1].summary == "The club now owns five boats."


def test_rdf_feed_reads_dublin_core_fields() -> None:
    feed = parse_feed(fixture("rss10.rdf"), url="https://valley.example/rss")

    assert feed.format == "rss10"
    assert feed.title == "Valley Observer"
    [entry] = feed.entries
    assert entry.link == "https://valley.example/2024/orchard-harvest"
    assert entry.authors == ("Pavel Novak",)
    assert entry.categories == ("Agriculture",)
    # feedparser files dc:date as the update date, as the feed says it.
    assert entry.updated == utc(2024, 6, 18, 4, 15)
    assert entry.published is None


def test_an_item_url_no_browser_could_open_is_no_link_and_the_feed_still_parses() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "T",'
        b' "home_page_url": "https://[::1/", "items": ['
        b'{"id": "1", "url": "https://[::1/a", "title": "Broken"},'
        b'{"id": "2", "url": "/b", "title": "Fine"}]}'
    )

    feed = parse_feed(body, url="https://n.example/feed.json", content_type="application/feed+json")

    assert feed.link is None
    assert [entry.link for entry in feed.entries] == [None, "https://n.example/b"]


@pytest.fixture(scope="module")
def jsonfeed() -> ParsedFeed:
    return parse_feed(
        fixture("jsonfeed11.json"),
        url="https://coastline.example/weekly/feed.json",
        content_type="application/feed+json",
    )


class TestJsonFeed:
    def test_version_1_1_and_feed_fields(self, jsonfeed: ParsedFeed) -> None:
        assert jsonfeed.format == "json11"
        assert jsonfeed.title == "Coastline Weekly"
        assert jsonfeed.link == "https://coastline.example/weekly/"
        assert jsonfeed.encoding == "utf-8"
        assert jsonfeed.problems == ()

    def test_relative_url_resolves_against_the_home_page(self, jsonfeed: ParsedFeed) -> None:
        assert (
            jsonfeed.entries[0].link == "https://coastline.example/weekly/2024/06/tide-gauges.html"
        )
        assert jsonfeed.entries[0].guid == "cw-2024-0612"

    def test_external_url_serves_when_url_is_missing(self, jsonfeed: ParsedFeed) -> None:
        assert jsonfeed.entries[1].link == "https://elsewhere.example/story/seals"

    def test_summary_comes_before_content(self, jsonfeed: ParsedFeed) -> None:
        assert jsonfeed.entries[0].summary == "Three gauges now report every minute."

    def test_content_html_becomes_text_without_scripts(self, jsonfeed: ParsedFeed) -> None:
        assert jsonfeed.entries[1].summary == "Seal pups on the north beach. Keep 50 m away."

    def test_dates_become_utc_and_naive_ones_are_read_as_utc(self, jsonfeed: ParsedFeed) -> None:
        assert jsonfeed.entries[0].published == utc(2024, 6, 12, 2, 30)
        assert jsonfeed.entries[0].updated == utc(2024, 6, 13, 9, 0)
        assert jsonfeed.entries[1].published == utc(2024, 6, 11, 12, 0)

    def test_item_authors_else_the_feed_authors(self, jsonfeed: ParsedFeed) -> None:
        assert jsonfeed.entries[0].authors == ("Rin Okada", "Tomas Berg")
        assert jsonfeed.entries[1].authors == ("Coastline Staff",)

    def test_tags_are_categories_once_each(self, jsonfeed: ParsedFeed) -> None:
        assert jsonfeed.entries[0].categories == ("Science", "Harbour")


def test_json_feed_1_0_reads_author_object_and_numeric_id() -> None:
    feed = parse_feed(fixture("jsonfeed10.json"), url="https://moorland.example/feed.json")

    assert feed.format == "json10"
    [entry] = feed.entries
    assert entry.guid == "4411"
    assert entry.authors == ("Agnes Hale",)
    assert entry.summary == "The heather is out on the high moor."
    assert entry.published == utc(2024, 8, 2, 14, 0)


def test_declared_iso_8859_1_is_decoded() -> None:
    feed = parse_feed(
        fixture("latin1.xml"), url="https://vallee.example/rss", content_type="application/rss+xml"
    )

    assert feed.encoding == "cp1252"  # ISO-8859-1 is read as windows-1252, as browsers do
    assert feed.title == "Gazette de la Vallée"
    assert feed.entries[0].title == "Café à Zürich : la fête dure jusqu'à l'aube"
    assert feed.entries[0].summary == "Les élèves ont célébré la fin de l'année."


def test_http_charset_overrides_the_xml_declaration() -> None:
    body = fixture("latin1.xml").replace(b'encoding="ISO-8859-1"', b'encoding="utf-8"')

    feed = parse_feed(
        body, url="https://vallee.example/rss", content_type="text/xml; charset=iso-8859-1"
    )

    assert feed.encoding == "cp1252"  # ISO-8859-1 is read as windows-1252, as browsers do
    assert feed.title == "Gazette de la Vallée"


def test_ill_formed_feed_keeps_its_entries_and_names_the_problem() -> None:
    feed = parse_feed(fixture("illformed.xml"), url="https://bits.example/rss")

    assert feed.format == "rss20"
    assert [entry.title for entry in feed.entries] == [
        "Fish & chips stall wins award",
        "Second story",
    ]
    assert feed.entries[0].published == utc(2024, 6, 3, 12, 0)
    assert len(feed.problems) == 1
    assert "not well-formed" in feed.problems[0]


def test_feed_without_entries_is_a_valid_feed() -> None:
    body = b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>'

    feed = parse_feed(body, url="https://quiet.example/rss")

    assert feed.format == "rss20"
    assert feed.title == "Quiet"
    assert feed.entries == ()


def test_html_page_is_not_a_feed() -> None:
    assert not_a_feed(fixture("not-a-feed.html"), "text/html") == "not a feed: an HTML page"


def test_empty_body_is_not_a_feed() -> None:
    assert not_a_feed(b"") == "not a feed: empty body"
    assert not_a_feed(b" \r\n\t") == "not a feed: empty body"


def test_truncated_json_is_not_a_feed() -> None:
    reason = not_a_feed(fixture("broken.json"), "application/feed+json")
    assert reason.startswith("not a feed: invalid JSON")


def test_json_that_is_not_a_json_feed_is_not_a_feed() -> None:
    assert not_a_feed(b'{"rss": {"channel": {}}}') == "not a feed: JSON that is not a JSON Feed"


def test_xml_with_another_root_is_not_a_feed() -> None:
    body = b'<?xml version="1.0"?><catalog><book id="1"/></catalog>'
    assert not_a_feed(body) == "not a feed: no RSS, Atom or RDF root element"


def test_body_naming_a_local_file_is_parsed_as_text_not_opened(tmp_path: Path) -> None:
    local = tmp_path / "feed.xml"
    local.write_bytes(fixture("rss20.xml"))

    assert not_a_feed(str(local).encode()).startswith("not a feed:")


LAUGHS = b"".join(
    b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10) for level in range(1, 10)
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">' + LAUGHS + b"]>"
    b'<rss version="2.0"><channel><title>Laughs</title><item><title>&lol9;</title>'
    b"<link>https://laughs.example/1</link></item></channel></rss>"
)


@pytest.mark.timeout(10)
def test_billion_laughs_is_cut_out_before_expat_expands_it() -> None:
    feed = parse_feed(BILLION_LAUGHS, url="https://laughs.example/rss")

    assert "ignored a DOCTYPE that declares entities" in feed.problems
    [entry] = feed.entries
    assert entry.link == "https://laughs.example/1"
    assert "lollol" not in (entry.title or "")


def test_external_entity_is_never_read() -> None:
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b'<rss version="2.0"><channel><title>t</title><item><title>A &x; B</title>'
        b"<description>&x;</description><link>https://xxe.example/1</link></item>"
        b"</channel></rss>"
    )

    feed = parse_feed(body, url="https://xxe.example/rss")

    [entry] = feed.entries
    assert entry.link == "https://xxe.example/1"
    assert "root:" not in f"{entry.title} {entry.summary}"


def test_external_dtd_is_never_fetched() -> None:
    body = (
        b'<!DOCTYPE rss SYSTEM "http://192.0.2.1/rss.dtd">'
        b'<rss version="2.0"><channel><title>t</title><item><title>A</title>'
        b"<link>https://dtd.example/1</link></item></channel></rss>"
    )

    feed = parse_feed(body, url="https://dtd.example/rss")

    assert feed.entries[0].title == "A"
    assert feed.problems == ()


@pytest.mark.corpus
def test_every_corpus_feed_parses_with_entries_or_a_classified_error(
    corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feeds_dir = corpus_dir / "corpus" / "feeds"
    if not feeds_dir.is_dir():
        pytest.skip(f"no feeds in the corpus at {feeds_dir}")
    # inventory.csv counts each feed's items (none for one JSON Feed cut off mid-file).
    with (corpus_dir / "corpus" / "inventory.csv").open(encoding="utf-8", newline="") as rows:
        counted = {
            row["local_path"]: int(row["items"])
            for row in csv.DictReader(rows)
            if row["set"] == "feeds" and row["items"]
        }
    assert len(counted) >= 280
    parsed: dict[str, int] = {}
    refused: dict[str, int] = {}
    without_entries = []
    entries = 0
    found: dict[str, int] = {}
    for path in sorted(p for p in feeds_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(corpus_dir / "corpus").as_posix()
        try:
            feed = parse_feed(path.read_bytes(), url=f"https://corpus.example/{path.name}")
        except PermanentError as error:
            assert error.stage == "parse"
            assert error.reason.startswith("not a feed: "), error
            kind = error.reason.removeprefix("not a feed: ").split(":")[0].split(" (")[0]
            refused[kind] = refused.get(kind, 0) + 1
            found[relative] = 0
            continue
        found[relative] = len(feed.entries)
        parsed[feed.format] = parsed.get(feed.format, 0) + 1
        entries += len(feed.entries)
        if not feed.entries:
            # A valid document with no items yet: it must still say what it is.
            assert feed.format != "unknown", path
            without_entries.append(path.name)
        for entry in feed.entries:
            assert entry.link is None or entry.link.startswith(("http://", "https://"))
            for moment in (entry.published, entry.updated):
                assert moment is None or moment.tzinfo is UTC
    total = sum(parsed.values()) + sum(refused.values())
    with capsys.disabled():
        print(
            f"\ncorpus feeds: {total} files: {sum(parsed.values()) - len(without_entries)}"
            f" with entries ({entries} entries), {len(without_entries)} valid without entries"
            f" {without_entries}, {sum(refused.values())} refused {dict(sorted(refused.items()))}"
        )
        print(f"formats: {dict(sorted(parsed.items()))}")
    assert sum(parsed.values()) - len(without_entries) >= 250
    assert len(without_entries) <= 5
    # A feed the inventory counts 0 items in is refused or valid and empty; the others give
    # exactly their items.
    assert {path: found[path] for path in counted} == counted
