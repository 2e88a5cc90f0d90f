"""The simulated web over real HTTP on loopback: content, feeds, conditional GET, faults,
controls and the optional real corpus."""

from __future__ import annotations

import gzip
import html
import json
import os
import re
import socket
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import get_args
from urllib.parse import urlsplit, urlunsplit
from xml.etree import ElementTree

import feedparser
import httpx
import pytest

from worker.simweb import Article as SimArticle
from worker.simweb import SimWeb, catalog, evalset
from worker.simweb.faults import BIG_SIZE, BOMB_SIZE, REDIRECT_TARGET
from worker.simweb.model import Edit, Feed

CORPUS_DIR = Path(
    os.environ.get("WIRESTREAM_CORPUS", Path(__file__).parents[3] / "shared" / "data")
)
NON_ENGLISH = ("de", "fr", "es")
WIRE_AGENCIES = {"AFP", "AP", "Reuters", "dpa"}
REPUBLICATION_EDITS = {
    "headline_rewrite",
    "reworded_lede",
    "cut_ending",
    "local_paragraph",
    "agency_credit",
}


@pytest.fixture(scope="module")
def web() -> Iterator[SimWeb]:
    with SimWeb() as server:
        yield server


@pytest.fixture
def client(web: SimWeb) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as http:
        yield http
    web.clear_behaviours()


def _clean(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _title(page: str) -> str:
    match = re.search(r"<title>(.*?)</title>", page, re.S)
    assert match, "page has no <title>"
    return html.unescape(match.group(1))


def _feed_links(client: httpx.Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    if "json" in response.headers["content-type"]:
        return [item["url"] for item in response.json()["items"]]
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, f"{url}: {parsed.get('bozo_exception')}"
    return [entry.link for entry in parsed.entries]


def _article(web: SimWeb, url: str) -> SimArticle:
    by_url = {web.url_for(article): article for article in catalog.ARTICLES}
    return by_url[_clean(url)]


# The catalog


def test_catalog_has_at_least_eight_outlets_with_distinct_templates() -> None:
    templates = [outlet.template for outlet in catalog.OUTLETS if outlet.template]
    assert len(templates) >= 8
    assert len(set(templates)) == len(templates)


def test_catalog_has_64_articles_in_four_languages_english_first() -> None:
    languages = Counter(article.language for article in catalog.ARTICLES)
    assert len(catalog.ARTICLES) >= 64
    assert languages["en"] > len(catalog.ARTICLES) / 2
    assert all(languages[language] >= 6 for language in NON_ENGLISH)


def test_catalog_articles_have_plausible_length() -> None:
    for article in catalog.ARTICLES:
        assert 5 <= len(article.paragraphs) <= 12, article.key
        assert 250 <= article.word_count <= 700, article.key


def test_catalog_article_keys_are_unique_and_dates_carry_a_time_zone() -> None:
    assert len({article.key for article in catalog.ARTICLES}) == len(catalog.ARTICLES)
    assert all(article.published.utcoffset() is not None for article in catalog.ARTICLES)


def test_catalog_has_four_agency_wire_stories_each_republished_by_three_outlets() -> None:
    outlets_by_story: dict[str, set[str]] = {}
    for article in catalog.ARTICLES:
        if article.agency and not article.exact_copy_of:
            outlets_by_story.setdefault(article.story_id, set()).add(article.outlet)
    agencies = {
        article.agency
        for article in catalog.ARTICLES
        if article.agency and len(outlets_by_story[article.story_id]) >= 3
    }
    assert agencies >= WIRE_AGENCIES
    edits = {edit for article in catalog.ARTICLES for edit in article.edits}
    assert edits >= REPUBLICATION_EDITS


def test_catalog_story_ids_are_shared_only_by_republications_and_copies() -> None:
    twins = {article.exact_copy_of for article in catalog.ARTICLES if article.exact_copy_of}
    counts = Counter(article.story_id for article in catalog.ARTICLES)
    for article in catalog.ARTICLES:
        if counts[article.story_id] > 1:
            assert article.agency or article.exact_copy_of or article.key in twins, article.key


def test_catalog_afp_story_is_seoul_summoning_the_russian_ambassador() -> None:
    afp = [article for article in catalog.ARTICLES if article.agency == "AFP"]
    assert afp
    text = " ".join(afp[0].paragraphs)
    assert "South Korea" in afp[0].title
    assert "Russia" in text
    assert "ambassador" in text.lower()


def test_catalog_exact_copies_name_an_original_that_is_no_copy() -> None:
    copies = [article for article in catalog.ARTICLES if article.exact_copy_of]
    assert len(copies) >= 3
    for copy in copies:
        original = catalog.BY_KEY[copy.exact_copy_of or ""]
        assert original.exact_copy_of is None
        assert copy.edits == ("exact_copy",)
        assert (copy.title, copy.paragraphs) == (original.title, original.paragraphs)


def test_catalog_uses_all_four_feed_formats() -> None:
    assert {feed.format for feed in catalog.FEEDS} == {"rss2", "atom", "rdf", "jsonfeed"}


# Feeds and pages


def test_opml_lists_every_outlet_feed_and_no_faults(web: SimWeb, client: httpx.Client) -> None:
    response = client.get(web.opml_url)
    assert response.status_code == 200
    outlines = ElementTree.fromstring(response.content).iter("outline")
    assert {outline.get("xmlUrl") for outline in outlines} == set(web.feed_urls())
    assert "faults.example" not in response.text


def test_faults_opml_lists_only_the_faults_feed(web: SimWeb, client: httpx.Client) -> None:
    response = client.get(web.faults_opml_url)
    outlines = list(ElementTree.fromstring(response.content).iter("outline"))
    assert [outline.get("xmlUrl") for outline in outlines] == [
        f"{web.base_url}/faults.example/feed.xml"
    ]


@pytest.mark.parametrize("feed", catalog.FEEDS, ids=lambda feed: feed.key)
def test_feed_parses_and_each_entry_serves_its_catalog_page(
    web: SimWeb, client: httpx.Client, feed: Feed
) -> None:
    links = _feed_links(client, f"{web.base_url}/{feed.key}")
    assert len(links) == len(catalog.articles_in(feed))
    for link in links:
        article = _article(web, link)
        page = client.get(link)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert article.title in _title(page.text)
        assert f">{html.escape(article.title)}<" in page.text
        assert html.escape(article.paragraphs[0]) in page.text


def test_every_article_is_listed_in_exactly_one_feed(web: SimWeb, client: httpx.Client) -> None:
    listed = Counter(_clean(link) for url in web.feed_urls() for link in _feed_links(client, url))
    assert listed == Counter(web.url_for(article) for article in catalog.ARTICLES)


def test_tracking_parameters_in_feed_links_serve_the_clean_page(
    web: SimWeb, client: httpx.Client
) -> None:
    tracked = [
        link
        for url in web.feed_urls()
        for link in _feed_links(client, url)
        if "utm_source=rss" in link
    ]
    assert tracked
    for link in tracked[:3]:
        page = client.get(link)
        assert page.content == client.get(_clean(link)).content
        assert f'rel="canonical" href="{_clean(link)}"' in page.text


def test_html_lang_is_missing_only_on_the_seed_like_outlet_and_its_copies(
    web: SimWeb, client: httpx.Client
) -> None:
    without_lang = set()
    for outlet in catalog.OUTLETS:
        article = next(a for a in catalog.ARTICLES if a.outlet == outlet.host)
        page = client.get(web.url_for(article)).text
        if not re.search(r"<html[^>]*\blang=", page):
            without_lang.add(outlet.host)
    # The syndication host serves the lang-less outlet's pages byte for byte.
    assert without_lang == {"24newsdesk.example", "syndication.newsbridge.example"}


def test_seed_like_outlet_wraps_the_story_in_its_boilerplate(
    web: SimWeb, client: httpx.Client
) -> None:
    article = next(
        a for a in catalog.ARTICLES if a.outlet == "24newsdesk.example" and a.agency == "AFP"
    )
    page = client.get(web.url_for(article)).text
    note = "*Click the Title above to view complete article on https://24newsdesk.example/."
    first = f"<p>{html.escape(article.paragraphs[0])}</p>"
    last = f"<p>{html.escape(article.paragraphs[-1])}</p>"
    assert page.index(note) < page.index(first)
    assert page.index(last) < page.index("View More News")
    assert f"{article.published.isoformat()} AFP" in page


def test_json_ld_carries_the_headline_and_an_offset_date(web: SimWeb, client: httpx.Client) -> None:
    article = next(a for a in catalog.ARTICLES if a.outlet == "www.pacificledger.example")
    page = client.get(web.url_for(article)).text
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert match
    data = json.loads(match.group(1))
    assert data["headline"] == article.title
    assert data["datePublished"].endswith("+11:00")
    assert "articleBody" not in data


def test_exact_copies_serve_identical_bytes_without_canonical(
    web: SimWeb, client: httpx.Client
) -> None:
    for copy in (article for article in catalog.ARTICLES if article.exact_copy_of):
        original = catalog.BY_KEY[copy.exact_copy_of or ""]
        for encoding in ("identity", "gzip"):
            headers = {"Accept-Encoding": encoding}
            first = client.get(web.url_for(copy), headers=headers)
            second = client.get(web.url_for(original), headers=headers)
            assert first.status_code == second.status_code == 200
            assert first.content == second.content
        assert 'rel="canonical"' not in first.text
        assert "og:url" not in first.text


def test_article_pages_and_feeds_carry_validators(web: SimWeb, client: httpx.Client) -> None:
    for url in (web.url_for(catalog.ARTICLES[0]), web.feed_urls()[0]):
        response = client.get(url)
        assert response.headers["etag"]
        assert response.headers["last-modified"].endswith("GMT")


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_conditional_get_with_etag_returns_304_without_body(
    web: SimWeb, client: httpx.Client, encoding: str
) -> None:
    for url in (web.url_for(catalog.ARTICLES[5]), web.feed_urls()[2]):
        first = client.get(url, headers={"Accept-Encoding": encoding})
        again = client.get(
            url, headers={"If-None-Match": first.headers["etag"], "Accept-Encoding": encoding}
        )
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == first.headers["etag"]


def test_conditional_get_with_if_modified_since_returns_304(
    web: SimWeb, client: httpx.Client
) -> None:
    url = web.url_for(catalog.ARTICLES[7])
    first = client.get(url)
    again = client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert again.status_code == 304
    older = client.get(url, headers={"If-Modified-Since": "Sat, 01 Aug 2026 00:00:00 GMT"})
    assert older.status_code == 200


def test_head_returns_headers_without_body(web: SimWeb, client: httpx.Client) -> None:
    url = web.url_for(catalog.ARTICLES[3])
    head = client.head(url, headers={"Accept-Encoding": "identity"})
    get = client.get(url, headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) == len(get.content)


def test_robots_txt_allows_everything_on_every_host(web: SimWeb, client: httpx.Client) -> None:
    for host in ("", "/www.rheinkurier.example", "/faults.example"):
        response = client.get(f"{web.base_url}{host}/robots.txt")
        assert response.status_code == 200
        assert response.text == "User-agent: *\nAllow: /\n"


def test_unknown_paths_return_404(web: SimWeb, client: httpx.Client) -> None:
    for path in ("/www.rheinkurier.example/nope", "/unknown.example/x", "/nope.xml"):
        assert client.get(web.base_url + path).status_code == 404


def test_malformed_requests_get_400_and_the_server_keeps_serving(
    web: SimWeb, client: httpx.Client
) -> None:
    address = urlsplit(web.base_url)
    for request in (b"GARBAGE\r\n\r\n", b"GET nowhere HTTP/1.1\r\nHost: x\r\n\r\n"):
        with socket.create_connection((address.hostname, address.port), timeout=5) as raw:
            raw.sendall(request)
            assert b"400" in raw.recv(1024)
    assert client.get(web.opml_url).status_code == 200


# The fault host


@pytest.mark.parametrize("status", [404, 410, 500, 429])
def test_fault_status_url_returns_that_status(
    web: SimWeb, client: httpx.Client, status: int
) -> None:
    response = client.get(f"{web.base_url}/faults.example/status/{status}")
    assert response.status_code == status
    assert response.headers.get("retry-after") == ("2" if status == 429 else None)


def test_faults_feed_lists_every_fault_url(web: SimWeb, client: httpx.Client) -> None:
    links = _feed_links(client, f"{web.base_url}/faults.example/feed.xml")
    paths = {urlsplit(link).path.removeprefix("/faults.example") for link in links}
    assert {"/status/404", "/status/429", "/drip", "/big", "/gzip-bomb"} <= paths
    assert "/wrong-charset" in paths


def test_fault_redirect_chain_ends_at_an_article_page(web: SimWeb, client: httpx.Client) -> None:
    target = next(article for article in catalog.ARTICLES if article.language == "fr")
    url = f"{web.base_url}/faults.example/redirect/4/{target.key}"
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 200
    assert len(response.history) == 4
    assert str(response.url) == web.url_for(target)
    anything = client.get(f"{web.base_url}/faults.example/redirect/2/x", follow_redirects=True)
    assert str(anything.url) == web.url_for(REDIRECT_TARGET)


def test_fault_redirect_loop_never_ends(web: SimWeb) -> None:
    with (
        httpx.Client(max_redirects=6, follow_redirects=True) as client,
        pytest.raises(httpx.TooManyRedirects),
    ):
        client.get(f"{web.base_url}/faults.example/redirect-loop")


def test_fault_drip_sends_a_page_start_then_one_byte_per_half_second(web: SimWeb) -> None:
    timeout = httpx.Timeout(5, read=2)
    with (
        httpx.Client(timeout=timeout) as client,
        client.stream("GET", f"{web.base_url}/faults.example/drip") as response,
    ):
        assert response.status_code == 200
        started = time.monotonic()
        chunks = response.iter_raw()
        first = next(chunks)
        assert first.startswith(b"<!DOCTYPE html>")
        received = b""
        while time.monotonic() - started < 1.2:
            received += next(chunks)
        assert 1 <= len(received) <= 4
        assert len(first) + len(received) < int(response.headers["content-length"])


def test_fault_big_serves_a_20_mib_page(web: SimWeb, client: httpx.Client) -> None:
    with client.stream("GET", f"{web.base_url}/faults.example/big") as response:
        assert int(response.headers["content-length"]) == BIG_SIZE
        size = sum(len(chunk) for chunk in response.iter_raw())
    assert size == BIG_SIZE


def test_fault_gzip_bomb_is_small_on_the_wire_and_inflates_to_50_mib(
    web: SimWeb, client: httpx.Client
) -> None:
    with client.stream("GET", f"{web.base_url}/faults.example/gzip-bomb") as response:
        assert response.headers["content-encoding"] == "gzip"
        wire = b"".join(response.iter_raw())
    assert len(wire) < 200_000
    assert len(zlib.decompress(wire, wbits=31)) == BOMB_SIZE


def test_fault_not_html_is_a_pdf(web: SimWeb, client: httpx.Client) -> None:
    response = client.get(f"{web.base_url}/faults.example/not-html")
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_fault_no_charset_is_latin1_without_any_declaration(
    web: SimWeb, client: httpx.Client
) -> None:
    response = client.get(f"{web.base_url}/faults.example/no-charset")
    assert response.headers["content-type"] == "text/html"
    assert b"charset" not in response.content.lower()
    text = response.content.decode("iso-8859-1")
    assert "é" in text
    assert "ü" in text
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")


def test_fault_wrong_charset_is_windows_1252_labelled_utf8(
    web: SimWeb, client: httpx.Client
) -> None:
    response = client.get(f"{web.base_url}/faults.example/wrong-charset")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    assert "“naïve”" in response.content.decode("cp1252")


def test_server_survives_clients_hanging_up_mid_stream(web: SimWeb, client: httpx.Client) -> None:
    for path in ("/faults.example/drip", "/faults.example/big"):
        with httpx.Client(timeout=5) as hasty, hasty.stream("GET", web.base_url + path) as stream:
            next(stream.iter_raw())
    assert client.get(web.opml_url).status_code == 200


# Controls


def test_latency_delays_every_response() -> None:
    with SimWeb(latency=0.3) as slow, httpx.Client() as client:
        started = time.monotonic()
        assert client.get(slow.opml_url).status_code == 200
        assert client.get(slow.feed_urls()[0]).status_code == 200
        assert time.monotonic() - started >= 0.6


def test_behaviour_latency_delays_only_its_prefix(web: SimWeb, client: httpx.Client) -> None:
    web.set_behaviour("www.rheinkurier.example/", latency=0.4)
    started = time.monotonic()
    client.get(web.url_for(catalog.ARTICLES[0]))
    assert time.monotonic() - started < 0.3
    started = time.monotonic()
    client.get(f"{web.base_url}/www.rheinkurier.example/index.rdf")
    assert time.monotonic() - started >= 0.4


def test_behaviour_status_and_retry_after_override_a_page(
    web: SimWeb, client: httpx.Client
) -> None:
    url = web.url_for(catalog.ARTICLES[1])
    prefix = url.removeprefix(web.base_url + "/")
    web.set_behaviour(prefix, status=503, retry_after=7)
    response = client.get(url)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "7"
    web.set_behaviour(prefix)
    assert client.get(url).status_code == 200


def test_behaviour_redirect_body_and_content_type(web: SimWeb, client: httpx.Client) -> None:
    target = catalog.ARTICLES[2]
    web.set_behaviour("/moved.example/", redirect_to=f"/{target.key}", status=301)
    web.set_behaviour("custom.example/page", body=b"%PDF-1.7 fake", content_type="application/pdf")
    moved = client.get(f"{web.base_url}/moved.example/story", follow_redirects=True)
    assert moved.history[0].status_code == 301
    assert str(moved.url) == web.url_for(target)
    custom = client.get(f"{web.base_url}/custom.example/page")
    assert (custom.status_code, custom.content) == (200, b"%PDF-1.7 fake")
    assert custom.headers["content-type"] == "application/pdf"


def test_longest_behaviour_prefix_wins(web: SimWeb, client: httpx.Client) -> None:
    web.set_behaviour("www.lemessager.example/", status=500)
    web.set_behaviour("www.lemessager.example/rss/", status=410)
    assert client.get(f"{web.base_url}/www.lemessager.example/rss/une.xml").status_code == 410
    assert client.get(f"{web.base_url}/www.lemessager.example/culture/x").status_code == 500


def test_behaviour_can_be_set_and_cleared_over_http(web: SimWeb, client: httpx.Client) -> None:
    control = f"{web.base_url}/_control/behaviour"
    url = f"{web.base_url}/www.alpenrundschau.example/feeds/atom.xml"
    rule = {"path_prefix": "www.alpenrundschau.example/", "status": 429, "retry_after": 2}
    assert client.post(control, json=rule).status_code == 204
    assert client.get(url).status_code == 429
    body = {"path_prefix": "www.alpenrundschau.example/", "body": "hello"}
    assert client.post(control, json=body).status_code == 204
    assert client.get(url).text == "hello"
    assert (
        client.post(control, json={"path_prefix": "www.alpenrundschau.example/"}).status_code == 204
    )
    assert client.get(url).status_code == 200
    assert client.post(control, content=b"{not json").status_code == 400
    assert client.post(control, json={"path_prefix": "x", "colour": "red"}).status_code == 400
    assert client.post(control, json={"path_prefix": "x", "status": "500"}).status_code == 400


def test_stats_and_hits_count_requests_per_host() -> None:
    with SimWeb() as fresh, httpx.Client() as client:
        client.get(fresh.feed_urls()[0])
        client.get(f"{fresh.base_url}/faults.example/status/404")
        client.get(f"{fresh.base_url}/faults.example/status/410")
        client.get(fresh.opml_url)
        expected = {"www.harbourgazette.example": 1, "faults.example": 2}
        assert fresh.hits() == expected
        assert client.get(f"{fresh.base_url}/_stats").json() == expected


def test_clients_count_requests_per_client_address_but_not_the_stats_themselves() -> None:
    with SimWeb() as fresh, httpx.Client() as client:
        client.get(fresh.feed_urls()[0])
        client.get(fresh.opml_url)
        client.get(f"{fresh.base_url}/_stats")
        assert fresh.clients() == {"127.0.0.1": 2}
        assert client.get(f"{fresh.base_url}/_stats/clients").json() == {"127.0.0.1": 2}


def test_scheduled_release_reveals_items_as_the_feed_advances() -> None:
    with SimWeb(release="scheduled") as scheduled, httpx.Client() as client:
        feed = next(feed for feed in catalog.FEEDS if feed.format == "atom")
        url = f"{scheduled.base_url}/{feed.key}"
        total = len(catalog.articles_in(feed))
        first = client.get(url)
        shown = feedparser.parse(first.content).entries
        assert len(shown) == total // 2
        oldest = catalog.articles_in(feed)[: total // 2]
        assert {_clean(entry.link) for entry in shown} == {scheduled.url_for(a) for a in oldest}
        scheduled.advance()
        second = client.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert second.status_code == 200
        assert len(feedparser.parse(second.content).entries) == total // 2 + 1
        assert client.post(f"{scheduled.base_url}/_control/advance?count=99").status_code == 200
        assert len(feedparser.parse(client.get(url).content).entries) == total


def test_stop_releases_the_port() -> None:
    web = SimWeb().start()
    url = web.opml_url
    web.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=2)


# The real corpus


@pytest.mark.corpus
@pytest.mark.skipif(
    not (CORPUS_DIR / "corpus" / "urls.json").is_file(),
    reason=f"real corpus not found at {CORPUS_DIR} (set WIRESTREAM_CORPUS)",
)
def test_corpus_files_are_served_at_their_original_urls() -> None:
    records = json.loads((CORPUS_DIR / "corpus" / "urls.json").read_text(encoding="utf-8"))
    stored_gzip = next(record for record in records if record["gzip_stored"])
    duplicate = next(record for record in records if "#" in record["key"])
    with SimWeb(corpus_dir=CORPUS_DIR) as corpus, httpx.Client(timeout=10) as client:
        opml = client.get(corpus.corpus_opml_url)
        outlines = list(ElementTree.fromstring(opml.content).iter("outline"))
        assert len(outlines) == sum(record["set"] == "feeds" for record in records)

        stored = (CORPUS_DIR / "corpus" / stored_gzip["local_path"]).read_bytes()
        url = f"{corpus.base_url}/{stored_gzip['key']}"
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200
        assert plain.headers["content-type"] == stored_gzip["content_type"]
        assert "content-encoding" not in plain.headers
        assert plain.content == gzip.decompress(stored)
        with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as encoded:
            assert encoded.headers["content-encoding"] == "gzip"
            assert b"".join(encoded.iter_raw()) == stored

        local = (CORPUS_DIR / "corpus" / duplicate["local_path"]).read_bytes()
        served = client.get(f"{corpus.base_url}/{duplicate['key'].replace('#', '%23')}")
        expected = gzip.decompress(local) if duplicate["gzip_stored"] else local
        assert served.content == expected


def test_corpus_opml_is_404_without_a_corpus(web: SimWeb, client: httpx.Client) -> None:
    assert client.get(web.corpus_opml_url).status_code == 404


# The clustering evaluation set


def test_evalset_is_large_enough_to_measure_and_records_every_edit_kind() -> None:
    stories = Counter(article.story_id for article in evalset.ARTICLES)
    assert len(evalset.ARTICLES) >= 150
    assert len(stories) >= 40
    assert sum(1 for count in stories.values() if count > 1) >= 40
    edits = Counter(edit for article in evalset.ARTICLES for edit in article.edits)
    assert set(edits) == set(get_args(Edit))
    assert min(edits.values()) >= 9


def test_evalset_copies_differ_from_their_base_exactly_by_their_recorded_edits() -> None:
    bases = {a.story_id: a for a in evalset.ARTICLES if not a.edits}
    for copy in (a for a in evalset.ARTICLES if a.edits):
        base = bases[copy.story_id]
        assert (copy.title != base.title) == ("headline_rewrite" in copy.edits), copy.key
        assert (copy.paragraphs[0] != base.paragraphs[0]) == bool(
            {"reworded_lede", "dateline"} & set(copy.edits)
        ), copy.key
        if copy.edits == ("exact_copy",):
            assert copy.paragraphs == base.paragraphs
            assert copy.exact_copy_of == base.key


def test_evalset_hard_negatives_are_pairs_of_different_stories_of_each_kind() -> None:
    kinds = Counter(negative.kind for negative in evalset.HARD_NEGATIVES)
    assert set(kinds) == {"same_template", "same_topic_other_agency", "running_story_update"}
    for negative in evalset.HARD_NEGATIVES:
        first, second = evalset.BY_KEY[negative.first], evalset.BY_KEY[negative.second]
        assert first.story_id != second.story_id
        if negative.kind == "same_template":
            assert first.outlet == second.outlet
        if negative.kind == "same_topic_other_agency":
            assert first.topic == second.topic and first.agency != second.agency


def test_evalset_opml_serves_its_own_feeds_apart_from_the_demo(
    web: SimWeb, client: httpx.Client
) -> None:
    response = client.get(web.evalset_opml_url)
    feeds = [o.get("xmlUrl") for o in ElementTree.fromstring(response.content).iter("outline")]
    assert len(feeds) == len(evalset.FEEDS)
    assert not set(feeds) & set(web.feed_urls())
    links = [link for url in feeds for link in _feed_links(client, url or "")]
    assert Counter(_clean(link) for link in links) == Counter(
        web.url_for(article) for article in evalset.ARTICLES
    )
    tracked = [link for link in links if "utm_campaign=wire" in link]
    assert len(tracked) == len(evalset.LINK_QUERIES)
    copy = next(a for a in evalset.ARTICLES if a.exact_copy_of)
    original = evalset.BY_KEY[copy.exact_copy_of or ""]
    assert client.get(web.url_for(copy)).content == client.get(web.url_for(original)).content


def test_live_release_brings_one_story_at_a_time_then_revisions_with_a_new_date() -> None:
    with SimWeb(release="live") as live, httpx.Client() as client:
        feed = next(feed for feed in catalog.FEEDS if feed.format == "atom")
        url = f"{live.base_url}/{feed.key}"
        listed_at_start = len(feedparser.parse(client.get(url).content).entries)
        assert listed_at_start == len(catalog.articles_in(feed)) // 2
        evalset_feed = client.get(f"{live.base_url}/{evalset.FEEDS[0].key}")
        assert feedparser.parse(evalset_feed.content).entries == [], "the evaluation set waits"

        happened = [live.publish_next() for _ in range(400)]
        released = [line for line in happened if line.startswith("released ")]
        revised = [line for line in happened if line.startswith("revised ")]
        assert len(released) == len(catalog.ARTICLES) + len(evalset.ARTICLES) - sum(
            len(catalog.articles_in(f)) // 2 for f in catalog.FEEDS
        )
        assert len(revised) == 400 - len(released)
        assert all(line.startswith("revised ") for line in happened[-50:]), "then revisions"

        entries = feedparser.parse(client.get(url).content).entries
        assert len(entries) == len(catalog.articles_in(feed))
        newest = max(entry.updated_parsed for entry in entries)
        assert newest > max(a.last_modified for a in catalog.ARTICLES).timetuple()
