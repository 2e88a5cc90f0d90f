"""Poll stage: select_entries turns a parsed feed into new entries and their seen keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from worker.models import Feed, FeedRef, ParsedEntry, ParsedFeed
from worker.stages.poll import NO_DATE, entry_seen_keys, is_news, select_entries

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
EARLY = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def make_feed(feed_id: str = "feed0000000000a1", **changes: object) -> Feed:
    feed = Feed(
        id=feed_id,
        url=f"https://news.example.com/{feed_id}.xml",
        title="Example News",
        tags=("World", "English"),
    )
    return feed.with_changes(**changes)


def make_parsed(*entries: ParsedEntry) -> ParsedFeed:
    return ParsedFeed(
        format="rss20",
        title="Example News",
        link="https://news.example.com/",
        encoding="utf-8",
        entries=entries,
    )


def entry(
    link: str | None,
    *,
    guid: str | None = None,
    minutes: int | None = None,
    title: str | None = None,
) -> ParsedEntry:
    published = EARLY + timedelta(minutes=minutes) if minutes is not None else None
    return ParsedEntry(link=link, guid=guid, title=title, published=published)


def urls(candidates: list) -> list[str]:
    return [candidate.entry.url for candidate in candidates]


def test_entry_without_link_is_rejected_with_a_reason() -> None:
    no_link = entry(None, guid="g1")
    empty_link = entry("", guid="g2")

    candidates, rejected = select_entries(
        make_parsed(no_link, empty_link), make_feed(), discovered_at=NOW
    )

    assert candidates == []
    assert [r.entry for r in rejected] == [no_link, empty_link]
    assert all(r.reason == "entry has no link" for r in rejected)


def test_entry_with_non_http_link_is_rejected_with_a_reason() -> None:
    ftp = entry("ftp://news.example.com/file.txt")
    mailto = entry("mailto:desk@example.com")
    good = entry("https://news.example.com/a")

    candidates, rejected = select_entries(
        make_parsed(ftp, good, mailto), make_feed(), discovered_at=NOW
    )

    assert urls(candidates) == ["https://news.example.com/a"]
    assert {r.entry for r in rejected} == {ftp, mailto}
    assert all("not an absolute http(s) URL" in r.reason for r in rejected)


def test_entry_whose_link_no_browser_could_open_is_rejected_and_the_rest_kept() -> None:
    bracket = entry("https://[::1/story")
    host = entry("https://exa mple.com/story")
    address = entry("https://999.1.1.1/story")
    good = entry("https://news.example.com/a")

    candidates, rejected = select_entries(
        make_parsed(bracket, host, good, address), make_feed(), discovered_at=NOW
    )

    assert urls(candidates) == ["https://news.example.com/a"]
    assert {r.entry: r.reason for r in rejected} == {
        bracket: "invalid URL: Invalid IPv6 URL",
        host: "invalid host",
        address: "invalid URL: '999.1.1.1' is not a valid IPv4 address",
    }


def test_entries_with_the_same_canonical_url_come_out_once() -> None:
    parsed = make_parsed(
        entry("https://news.example.com/a?utm_source=rss", minutes=1),
        entry("https://NEWS.example.com/a#top", minutes=2),
        entry("https://news.example.com/b", minutes=3),
    )

    candidates, rejected = select_entries(parsed, make_feed(), discovered_at=NOW)

    assert urls(candidates) == ["https://news.example.com/a", "https://news.example.com/b"]
    assert rejected == []


def test_a_guid_shared_by_entries_with_different_links_is_not_trusted() -> None:
    # A generator that gives every item one GUID would otherwise hide all items but one.
    parsed = make_parsed(
        entry("https://news.example.com/a", guid="story-1", minutes=1),
        entry("https://news.example.com/b", guid="story-1", minutes=2),
    )

    candidates, _ = select_entries(parsed, make_feed(), discovered_at=NOW)

    assert urls(candidates) == ["https://news.example.com/a", "https://news.example.com/b"]
    assert all(len(candidate.seen_keys) == 1 for candidate in candidates)


def test_the_same_entry_listed_twice_comes_out_once() -> None:
    parsed = make_parsed(
        entry("https://news.example.com/a", guid="story-1", minutes=1),
        entry("https://news.example.com/a?utm_source=rss", guid="story-1", minutes=2),
    )

    candidates, _ = select_entries(parsed, make_feed(), discovered_at=NOW)

    assert urls(candidates) == ["https://news.example.com/a"]


def test_a_known_entry_is_news_again_only_when_its_updated_date_moves_on() -> None:
    earlier = ParsedEntry(link="https://news.example.com/a", updated=EARLY)
    later = ParsedEntry(link="https://news.example.com/a", updated=NOW)
    undated = ParsedEntry(link="https://news.example.com/a")
    (old,), _ = select_entries(make_parsed(earlier), make_feed(), discovered_at=NOW)
    (new,), _ = select_entries(make_parsed(later), make_feed(), discovered_at=NOW)
    (plain,), _ = select_entries(make_parsed(undated), make_feed(), discovered_at=NOW)

    assert is_news(old, None) is True
    assert is_news(old, old.version) is False  # slid back into the feed: not new
    assert is_news(new, old.version) is True  # updated: through again
    assert is_news(old, new.version) is False  # an older copy never wins
    assert is_news(plain, old.version) is False
    assert is_news(new, NO_DATE) is False


def test_redirector_links_are_unwrapped_to_the_real_url() -> None:
    wrapped = (
        "https://www.google.com/url?q=https%3A%2F%2Fpaper.example%2Fstory%3Futm_source%3Dx&sa=D"
    )
    parsed = make_parsed(entry(wrapped, minutes=1))

    (candidate,), _ = select_entries(parsed, make_feed(), discovered_at=NOW)

    assert candidate.entry.url == "https://paper.example/story"
    assert candidate.entry.source_url == "https://paper.example/story?utm_source=x"


def test_a_freshness_window_drops_sitemap_entries_dated_before_it() -> None:
    parsed = make_parsed(
        ParsedEntry(link="https://news.example.com/old", published=NOW - timedelta(days=3)),
        ParsedEntry(link="https://news.example.com/new", published=NOW - timedelta(hours=3)),
    )

    candidates, _ = select_entries(
        parsed, make_feed(), discovered_at=NOW, freshness=timedelta(days=2)
    )

    assert urls(candidates) == ["https://news.example.com/new"]


def test_entries_with_distinct_urls_and_guids_all_come_out() -> None:
    parsed = make_parsed(*(entry(f"https://news.example.com/{i}", guid=f"g{i}") for i in range(5)))

    candidates, _ = select_entries(parsed, make_feed(), discovered_at=NOW)

    assert len(candidates) == 5


def test_url_seen_key_is_global_and_guid_key_is_per_feed() -> None:
    first_feed = make_feed("feed0000000000a1")
    second_feed = make_feed("feed0000000000b2")
    parsed = make_parsed(entry("https://news.example.com/a?utm_medium=x", guid="shared-guid"))

    [first], _ = select_entries(parsed, first_feed, discovered_at=NOW)
    [second], _ = select_entries(parsed, second_feed, discovered_at=NOW)

    first_url_keys = [k for k in first.seen_keys if k.startswith("url:")]
    second_url_keys = [k for k in second.seen_keys if k.startswith("url:")]
    first_guid_keys = [k for k in first.seen_keys if k.startswith("guid:")]
    second_guid_keys = [k for k in second.seen_keys if k.startswith("guid:")]
    assert len(first_url_keys) == 1
    assert first_url_keys == second_url_keys
    assert len(first_guid_keys) == len(second_guid_keys) == 1
    assert first_guid_keys != second_guid_keys
    assert first_feed.id in first_guid_keys[0]
    assert second_feed.id in second_guid_keys[0]


def test_entry_without_guid_has_only_the_url_key() -> None:
    [candidate], _ = select_entries(
        make_parsed(entry("https://news.example.com/a")), make_feed(), discovered_at=NOW
    )

    assert len(candidate.seen_keys) == 1
    assert candidate.seen_keys[0].startswith("url:")


def test_seen_keys_follow_the_canonical_url_not_the_link_as_given() -> None:
    plain = entry_seen_keys("f1", "https://news.example.com/a", None)
    [candidate], _ = select_entries(
        make_parsed(entry("https://news.example.com/a?fbclid=1")),
        make_feed("f1"),
        discovered_at=NOW,
    )

    assert candidate.seen_keys == plain


def test_entries_come_out_oldest_first_with_undated_ones_last_in_feed_order() -> None:
    parsed = make_parsed(
        entry("https://news.example.com/undated-1"),
        entry("https://news.example.com/newest", minutes=30),
        entry("https://news.example.com/undated-2"),
        entry("https://news.example.com/oldest", minutes=1),
        entry("https://news.example.com/middle", minutes=10),
    )

    candidates, _ = select_entries(parsed, make_feed(), discovered_at=NOW)

    assert urls(candidates) == [
        "https://news.example.com/oldest",
        "https://news.example.com/middle",
        "https://news.example.com/newest",
        "https://news.example.com/undated-1",
        "https://news.example.com/undated-2",
    ]


def test_updated_date_orders_an_entry_without_a_published_date() -> None:
    updated_only = ParsedEntry(
        link="https://news.example.com/updated", updated=EARLY + timedelta(minutes=5)
    )
    parsed = make_parsed(entry("https://news.example.com/later", minutes=20), updated_only)

    candidates, _ = select_entries(parsed, make_feed(), discovered_at=NOW)

    assert urls(candidates) == [
        "https://news.example.com/updated",
        "https://news.example.com/later",
    ]
    assert candidates[0].entry.published == EARLY + timedelta(minutes=5)


def test_feed_entry_carries_canonical_url_source_url_feed_ref_tags_and_discovery_time() -> None:
    feed = make_feed()
    link = "HTTPS://News.Example.com/a?utm_source=rss&id=3"
    parsed = make_parsed(entry(link, guid="g-3", minutes=4, title="A headline"))

    [candidate], _ = select_entries(parsed, feed, discovered_at=NOW)
    feed_entry = candidate.entry

    assert feed_entry.url == "https://news.example.com/a?id=3"
    assert feed_entry.source_url == link
    assert feed_entry.feed == FeedRef(id=feed.id, url=feed.url, title=feed.title)
    assert feed_entry.feed_tags == ("World", "English")
    assert feed_entry.discovered_at == NOW
    assert feed_entry.guid == "g-3"
    assert feed_entry.title == "A headline"
    assert feed_entry.published == EARLY + timedelta(minutes=4)


def test_feed_entry_survives_the_task_payload_round_trip() -> None:
    [candidate], _ = select_entries(
        make_parsed(entry("https://news.example.com/a", guid="g", minutes=2)),
        make_feed(),
        discovered_at=NOW,
    )

    assert type(candidate.entry).from_payload(candidate.entry.to_payload()) == candidate.entry


def test_empty_feed_gives_no_candidates_and_no_rejections() -> None:
    assert select_entries(make_parsed(), make_feed(), discovered_at=NOW) == ([], [])


def test_http_mobile_and_amp_links_to_one_page_share_its_url_seen_key() -> None:
    [desktop] = entry_seen_keys("f1", "https://www.news.example.com/a", None)
    for variant in ("http://news.example.com/a/", "https://m.news.example.com/a/amp"):
        assert entry_seen_keys("f2", variant, None) == (desktop,)
