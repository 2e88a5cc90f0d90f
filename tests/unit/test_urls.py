"""URL identity: canonical_url, article_id, feed_id, same_site, matching_key."""

from __future__ import annotations

import re

import pytest

from worker.errors import PermanentError
from worker.stages.urls import (
    absolute_http_url,
    article_id,
    canonical_url,
    feed_id,
    is_tracking_parameter,
    matching_key,
    same_site,
)


def test_scheme_and_host_are_lower_cased_but_path_case_is_kept() -> None:
    assert canonical_url("HTTPS://News.Example.COM/World/Story") == (
        "https://news.example.com/World/Story"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
    ],
)
def test_default_port_is_dropped(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
    ],
)
def test_non_default_port_is_kept(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_dot_segments_are_resolved() -> None:
    assert canonical_url("https://example.com/a/./b/../c") == "https://example.com/a/c"
    assert canonical_url("https://example.com/../a") == "https://example.com/a"


def test_fragment_is_dropped() -> None:
    assert canonical_url("https://example.com/story#comments") == "https://example.com/story"


def test_empty_path_becomes_slash() -> None:
    assert canonical_url("https://example.com") == "https://example.com/"


def test_trailing_dot_of_host_and_surrounding_space_are_removed() -> None:
    assert canonical_url("  https://example.com./x \n") == "https://example.com/x"


@pytest.mark.parametrize(
    "parameter",
    [
        "utm_source=rss",
        "utm_medium=feed",
        "utm_campaign=x",
        "UTM_Content=y",
        "fbclid=abc",
        "gclid=abc",
        "mc_cid=123",
        "mc_eid=456",
        "msclkid=1",
        "_ga=2.1",
        "ocid=x",
        "at_medium=y",
        "xtor=RSS-1",
    ],
)
def test_tracking_parameter_is_dropped(parameter: str) -> None:
    assert canonical_url(f"https://example.com/story?id=7&{parameter}") == (
        "https://example.com/story?id=7"
    )


def test_only_tracking_parameters_leave_no_query() -> None:
    url = "https://example.com/story?utm_source=x&fbclid=y&gclid=z&mc_cid=w"

    assert canonical_url(url) == "https://example.com/story"


def test_other_parameters_are_kept_and_sorted() -> None:
    url = "https://example.com/search?q=news&b=2&a=1&utm_source=x"

    assert canonical_url(url) == "https://example.com/search?a=1&b=2&q=news"


def test_parameters_that_only_resemble_tracking_ones_are_kept() -> None:
    assert not is_tracking_parameter("utm")
    assert not is_tracking_parameter("page")
    assert canonical_url("https://example.com/?page=2&ref=home") == (
        "https://example.com/?page=2&ref=home"
    )


def test_encoded_reserved_characters_in_values_survive() -> None:
    assert canonical_url("https://example.com/p?q=a%26b") == "https://example.com/p?q=a%26b"


def test_percent_encoding_is_normalised() -> None:
    assert canonical_url("https://example.com/%e2%82%ac") == "https://example.com/%E2%82%AC"
    assert canonical_url("https://example.com/a b") == "https://example.com/a%20b"
    assert canonical_url("https://example.com/%7euser") == "https://example.com/~user"


def test_international_host_is_idna_encoded() -> None:
    assert canonical_url("https://bücher.example/x") == "https://xn--bcher-kva.example/x"
    assert canonical_url("https://BÜCHER.example/x") == "https://xn--bcher-kva.example/x"


def test_ipv6_host_keeps_brackets_is_lower_cased_and_keeps_its_port() -> None:
    assert canonical_url("http://[2001:DB8::1]:8080/p") == "http://[2001:db8::1]:8080/p"
    assert canonical_url("http://[2001:db8::1]:80/") == "http://[2001:db8::1]/"


def test_user_info_is_not_part_of_the_identity() -> None:
    assert canonical_url("https://user:secret@example.com/a") == "https://example.com/a"


def test_canonical_url_is_idempotent() -> None:
    once = canonical_url("HTTP://Example.COM:80/a/./b/../c?b=2&a=1&utm_source=x#f")

    assert once == "http://example.com/a/c?a=1&b=2"
    assert canonical_url(once) == once


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/file",
        "mailto:editor@example.com",
        "javascript:alert(1)",
        "/relative/path",
        "relative/path",
        "//example.com/protocol-relative",
        "https:///no-host",
        "",
    ],
)
def test_non_http_or_relative_url_raises_permanent_error(url: str) -> None:
    with pytest.raises(PermanentError) as caught:
        canonical_url(url)

    assert caught.value.stage == "url"
    assert caught.value.subject == url
    assert str(caught.value).startswith("url: ")


def test_invalid_port_raises_permanent_error() -> None:
    with pytest.raises(PermanentError, match="invalid port"):
        canonical_url("https://example.com:99999/")


@pytest.mark.parametrize(
    "url",
    [
        "https://%3C?php%20echo%20SSO_PREFIX;?%3Eseattletimes.com/accountcenter/",
        "https://exa mple.com/",
        "https://exa%20mple.com/",
        "https://ex|ample.com/",
    ],
    ids=["template code", "space", "encoded space", "pipe"],
)
def test_a_host_with_a_forbidden_character_raises_permanent_error(url: str) -> None:
    with pytest.raises(PermanentError, match="invalid host"):
        canonical_url(url)


def test_tracking_variants_of_one_url_share_an_article_id() -> None:
    plain = "https://news.example.com/2024/05/story?id=1"
    tracked = "HTTPS://NEWS.example.com:443/2024/05/story?utm_source=rss&id=1&fbclid=x#top"

    assert article_id(canonical_url(plain)) == article_id(canonical_url(tracked))


def test_different_pages_get_different_article_ids() -> None:
    first = article_id(canonical_url("https://example.com/story?id=1"))
    second = article_id(canonical_url("https://example.com/story?id=2"))

    assert first != second


def test_article_id_is_32_lower_hex_digits() -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", article_id("https://example.com/"))


def test_feed_id_is_stable_and_shared_by_equivalent_urls() -> None:
    first = feed_id("https://example.com/feed.xml")

    assert first == feed_id("https://example.com/feed.xml")
    assert first == feed_id("HTTPS://Example.com:443/feed.xml?utm_source=x")
    assert first != feed_id("https://example.com/other.xml")
    assert re.fullmatch(r"[0-9a-f]{16}", first)


def test_feed_id_of_a_non_http_url_raises_permanent_error() -> None:
    with pytest.raises(PermanentError):
        feed_id("file:///etc/passwd")


def test_same_site_ignores_www_scheme_and_case() -> None:
    assert same_site("https://www.example.com/a", "http://Example.com/b")
    assert same_site("https://example.com/a", "https://example.com:8443/b")


def test_same_site_is_false_for_other_hosts_and_subdomains() -> None:
    assert not same_site("https://example.com/a", "https://example.org/a")
    assert not same_site("https://news.example.com/a", "https://example.com/a")
    assert not same_site("https://example.com.evil.org/a", "https://example.com/a")


def test_same_site_is_false_when_neither_url_has_a_host() -> None:
    assert not same_site("/a", "/b")
    assert not same_site("", "")


def test_same_site_accepts_a_mobile_or_amp_edition_naming_its_desktop_page() -> None:
    assert same_site("https://m.example.com/a", "https://www.example.com/a")
    assert same_site("https://amp.example.com/a", "https://example.com/a")
    assert not same_site("https://m.example.com/a", "https://m.example.org/a")


@pytest.mark.parametrize(
    "variant",
    [
        "http://example.com/news/story",
        "https://www.example.com/news/story/",
        "https://m.example.com/news/story?utm_source=rss",
        "https://amp.example.com/news/story",
        "https://www.example.com/news/story/amp",
        "https://www.example.com/amp/news/story",
        "https://www.example.com/news/story.amp",
        "https://www.example.com/news/story?outputType=amp",
        "https://www.example.com/news/story?amp=1#top",
    ],
)
def test_scheme_edition_and_amp_variants_share_a_matching_key(variant: str) -> None:
    assert matching_key(variant) == matching_key("https://example.com/news/story")


def test_matching_key_still_tells_pages_hosts_ports_and_parameters_apart() -> None:
    base = matching_key("https://example.com/news/story")
    assert matching_key("https://example.com/news/other") != base
    assert matching_key("https://news.example.com/news/story") != base
    assert matching_key("https://example.com:8443/news/story") != base
    assert matching_key("https://example.com/news/story?id=2") != base
    assert matching_key("https://example.com/news/amp-story") != base


@pytest.mark.parametrize(
    "url",
    ["https://[::1/story", "https://999.1.1.1/story", "https://exa\udcffmple.com/"],
    ids=["unclosed IPv6 bracket", "IPv4 address out of range", "lone surrogate"],
)
def test_a_url_no_browser_could_open_raises_permanent_error(url: str) -> None:
    with pytest.raises(PermanentError, match="invalid URL: "):
        canonical_url(url)


def test_a_backslash_before_the_query_is_a_slash() -> None:
    assert canonical_url("https://time.com\\world\\story?q=a\\b") == (
        "https://time.com/world/story?q=a%5Cb"
    )


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/b?x=1", "https://news.example.com/b?x=1"),
        ("  //cdn.example.com/a.jpg ", "https://cdn.example.com/a.jpg"),
        ("mailto:desk@example.com", None),
        ("https://[::1/a", None),
        ("   ", None),
        (None, None),
        (42, None),
    ],
)
def test_absolute_http_url(href: object, expected: str | None) -> None:
    assert absolute_http_url("https://news.example.com/a/", href) == expected
