"""The `wirestream` command as a user runs it: a real process, the test Redis, the simulated web
over loopback. Only the commands that do not start Celery workers are exercised here; the
pipeline itself is in tests/e2e/."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.conftest import run_together
from worker.adapters.stream import ArticleStream, DedupeSettings
from worker.keys import Keys
from worker.models import utc_iso
from worker.simweb import Article, SimWeb, catalog
from worker.stages.dedupe import fingerprint
from worker.stages.publish import OutgoingMessage, content_hash
from worker.stages.urls import article_id, canonical_url, feed_id

Wirestream = Callable[..., subprocess.CompletedProcess[str]]
Piped = Callable[..., subprocess.CompletedProcess[str]]

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO_ROOT / "worker/schema/article-v1.json").read_text())
DATA_FIELDS = set(SCHEMA["$defs"]["data"]["required"])
FEED_URL = "https://www.example.org/news/feed.xml"


@pytest.fixture
def piped(pipeline_env: dict[str, str], tmp_path: Path) -> Piped:
    """Like `wirestream`, with ``stdin`` text fed to the command."""

    def run(*args: str, stdin: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "worker.cli", *args],
            env={**pipeline_env, **env},
            cwd=tmp_path,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


@pytest.fixture
def other_namespace(redis_url: str) -> Iterator[str]:
    """A second fresh namespace, for round trips between two subscribers."""
    name = f"wstest-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{name}:*", count=1000):
        client.delete(key)
    client.close()


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def listed_feeds(wirestream: Wirestream, **env: str) -> list[dict[str, Any]]:
    result = wirestream("feeds", "list", **env)
    assert result.returncode == 0, result.stderr
    return json_lines(result.stdout)


def stored_feeds(client: redis.Redis, namespace: str) -> list[dict[str, Any]]:
    """The feeds as stored in Redis: read directly, where `feeds list` is not under test."""
    return [json.loads(value) for value in client.hgetall(Keys(namespace).feeds).values()]


def first_article(predicate: Callable[[Article], bool]) -> Article:
    return next(article for article in catalog.ARTICLES if predicate(article))


def save_page(simweb: SimWeb, article: Article, path: Path) -> bytes:
    body = httpx.get(simweb.url_for(article), timeout=10).raise_for_status().content
    path.write_bytes(body)
    return body


# --- feeds ---------------------------------------------------------------------------------


def test_feeds_add_lists_the_feed_as_json_with_its_tags_and_next_poll(
    wirestream: Wirestream,
) -> None:
    added = wirestream(
        "feeds", "add", "--no-check", FEED_URL, "--name", "Example", "--tag", "eu", "--tag", "x"
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith(f"added {FEED_URL}")

    [feed] = listed_feeds(wirestream)
    assert feed["url"] == FEED_URL
    assert feed["title"] == "Example"
    assert feed["tags"] == ["eu", "x"]
    assert feed["next_poll_at"] and feed["next_poll_at"].endswith("Z")
    assert feed["last_polled_at"] is None


def test_feeds_add_twice_reports_updated_and_keeps_one_feed(
    wirestream: Wirestream, redis_client: redis.Redis, namespace: str
) -> None:
    assert wirestream("feeds", "add", "--no-check", FEED_URL, "--tag", "a").returncode == 0
    again = wirestream("feeds", "add", "--no-check", FEED_URL, "--tag", "b")
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"updated {FEED_URL}")
    [feed] = stored_feeds(redis_client, namespace)
    assert feed["url"] == FEED_URL
    assert feed["tags"] == ["b"]


def test_feeds_remove_unsubscribes_and_an_unknown_feed_exits_1_naming_it(
    wirestream: Wirestream, redis_client: redis.Redis, namespace: str
) -> None:
    assert wirestream("feeds", "add", "--no-check", FEED_URL).returncode == 0
    removed = wirestream("feeds", "remove", FEED_URL)
    assert removed.returncode == 0, removed.stderr
    assert stored_feeds(redis_client, namespace) == []
    assert redis_client.zcard(Keys(namespace).due) == 0

    unknown = wirestream("feeds", "remove", FEED_URL)
    assert unknown.returncode == 1
    assert FEED_URL in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_feeds_add_of_a_non_url_exits_2_naming_the_input(wirestream: Wirestream) -> None:
    result = wirestream("feeds", "add", "notaurl")
    assert result.returncode == 2
    assert "notaurl" in result.stderr
    assert "Traceback" not in result.stderr


def test_feeds_import_of_the_simweb_opml_url_subscribes_every_feed(
    wirestream: Wirestream, simweb: SimWeb, redis_client: redis.Redis, namespace: str
) -> None:
    result = wirestream("feeds", "import", simweb.opml_url)
    assert result.returncode == 0, result.stderr
    assert f"({len(catalog.FEEDS)} new)" in result.stdout
    feeds = stored_feeds(redis_client, namespace)
    assert sorted(feed["url"] for feed in feeds) == sorted(simweb.feed_urls())
    assert {feed["title"] for feed in feeds} == {feed.title for feed in catalog.FEEDS}


def test_feeds_export_imported_into_another_namespace_gives_the_same_feeds(
    wirestream: Wirestream,
    simweb: SimWeb,
    redis_client: redis.Redis,
    namespace: str,
    other_namespace: str,
    tmp_path: Path,
) -> None:
    assert wirestream("feeds", "import", simweb.opml_url).returncode == 0
    exported = wirestream("feeds", "export")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.lstrip().startswith("<?xml")
    opml = tmp_path / "exported.opml"
    opml.write_text(exported.stdout, encoding="utf-8")

    imported = wirestream("feeds", "import", str(opml), WIRESTREAM_NAMESPACE=other_namespace)
    assert imported.returncode == 0, imported.stderr

    def url_and_title(feeds: list[dict[str, Any]]) -> set[tuple[str, str]]:
        return {(feed["url"], feed["title"]) for feed in feeds}

    original = url_and_title(stored_feeds(redis_client, namespace))
    copy = url_and_title(stored_feeds(redis_client, other_namespace))
    assert copy == original
    assert len(copy) == len(catalog.FEEDS)


def test_feeds_import_reads_an_opml_file_and_standard_input(
    wirestream: Wirestream,
    piped: Piped,
    simweb: SimWeb,
    redis_client: redis.Redis,
    namespace: str,
    other_namespace: str,
    tmp_path: Path,
) -> None:
    opml = httpx.get(simweb.opml_url, timeout=10).raise_for_status().text
    path = tmp_path / "simweb.opml"
    path.write_text(opml, encoding="utf-8")

    results = run_together(
        {
            "file": lambda: wirestream("feeds", "import", str(path)),
            "stdin": lambda: piped(
                "feeds", "import", "-", stdin=opml, WIRESTREAM_NAMESPACE=other_namespace
            ),
        }
    )
    for result in results.values():
        assert result.returncode == 0, result.stderr
        assert f"imported {len(catalog.FEEDS)} of {len(catalog.FEEDS)} feeds" in result.stdout

    expected = sorted(simweb.feed_urls())
    for name in (namespace, other_namespace):
        assert sorted(feed["url"] for feed in stored_feeds(redis_client, name)) == expected


def test_feeds_import_of_a_non_opml_file_fails_naming_the_file(
    wirestream: Wirestream, redis_client: redis.Redis, namespace: str, tmp_path: Path
) -> None:
    path = tmp_path / "page.html"
    path.write_text("<!DOCTYPE html><html><body><p>not a list</p></body></html>")
    result = wirestream("feeds", "import", str(path))
    assert result.returncode != 0
    assert str(path) in result.stderr
    assert "Traceback" not in result.stderr
    assert stored_feeds(redis_client, namespace) == []


# --- settings and arguments ----------------------------------------------------------------


BAD_SETTINGS = (
    ("WIRESTREAM_ALLOWED_NETWORKS", "bogus", ("feeds", "list")),
    ("WIRESTREAM_ALLOWED_NETWORKS", "bogus", ("run", "--until-idle", "--timeout", "5")),
    ("WIRESTREAM_POLL_INTERVAL", "-1", ("tail", "--no-follow")),
    ("WIRESTREAM_POLL_INTERVAL", "-1", ("extract", "missing.html")),
)


def test_a_bad_setting_stops_any_command_with_exit_2_naming_the_variable(
    wirestream: Wirestream,
) -> None:
    results = run_together(
        {
            f"{variable} {' '.join(command)}": (
                lambda variable=variable, value=value, command=command: wirestream(
                    *command, **{variable: value}
                )
            )
            for variable, value, command in BAD_SETTINGS
        }
    )
    for name, result in results.items():
        variable = name.split()[0]
        assert result.returncode == 2, (name, result.stderr)
        assert variable in result.stderr, name
        assert "Traceback" not in result.stderr, name
        assert result.stdout == "", name


@pytest.mark.parametrize(
    "arguments",
    [("run", "--timeout", "abc"), ("worker", "--queues", "nope")],
    ids=["run-timeout", "worker-queues"],
)
def test_a_bad_argument_exits_2_naming_it(
    wirestream: Wirestream, arguments: tuple[str, ...]
) -> None:
    result = wirestream(*arguments)
    assert result.returncode == 2, result.stderr
    assert arguments[-1] in result.stderr
    assert "Traceback" not in result.stderr


# --- extract -------------------------------------------------------------------------------


def check_extracted(result: subprocess.CompletedProcess[str], article: Article, url: str) -> Any:
    assert result.returncode == 0, result.stderr
    [data] = json_lines(result.stdout)
    assert set(data) == DATA_FIELDS
    assert data["title"] == article.title
    assert data["language"] == article.language
    assert data["url"] == canonical_url(url)
    assert data["id"] == article_id(canonical_url(url))
    assert article.paragraphs[0][:60] in data["text"]
    return data


def test_extract_gives_the_same_article_for_a_file_a_gzipped_file_stdin_and_the_url(
    wirestream: Wirestream, piped: Piped, simweb: SimWeb, tmp_path: Path
) -> None:
    # A German page with a canonical link, so a file needs no --url.
    article = first_article(lambda a: a.outlet == "www.rheinkurier.example")
    url = simweb.url_for(article)
    page = tmp_path / "page.html"
    body = save_page(simweb, article, page)
    zipped = tmp_path / "page.html.gz"
    zipped.write_bytes(gzip.compress(body))

    results = run_together(
        {
            "file": lambda: wirestream("extract", str(page)),
            "gz": lambda: wirestream("extract", str(zipped)),
            "stdin": lambda: piped("extract", "-", "--url", url, stdin=body.decode("utf-8")),
            "url": lambda: wirestream("extract", url),
        }
    )
    extracted = {kind: check_extracted(result, article, url) for kind, result in results.items()}
    assert len({data["text"] for data in extracted.values()}) == 1
    assert len({data["dedupe"]["content_hash"] for data in extracted.values()}) == 1
    assert extracted["url"]["final_url"] == url


def test_extract_of_a_page_without_canonical_link_asks_for_url(
    wirestream: Wirestream, simweb: SimWeb, tmp_path: Path
) -> None:
    # Exact copies (print views, syndication) name no original: no rel=canonical, no og:url.
    article = first_article(lambda a: a.exact_copy_of is not None)
    page = tmp_path / "copy.html"
    assert b'rel="canonical"' not in save_page(simweb, article, page)

    url = simweb.url_for(article)
    results = run_together(
        {
            "bare": lambda: wirestream("extract", str(page)),
            "with-url": lambda: wirestream("extract", str(page), "--url", url),
        }
    )
    assert results["bare"].returncode == 2
    assert "--url" in results["bare"].stderr
    assert str(page) in results["bare"].stderr
    assert results["bare"].stdout == ""
    check_extracted(results["with-url"], article, url)


def test_extract_of_a_loopback_url_without_allowed_networks_is_refused(
    wirestream: Wirestream, simweb: SimWeb
) -> None:
    article = catalog.ARTICLES[0]
    result = wirestream("extract", simweb.url_for(article), WIRESTREAM_ALLOWED_NETWORKS="")
    assert result.returncode == 1
    assert "refused address 127.0.0.1" in result.stderr
    assert result.stdout == ""
    assert simweb.hits().get(article.outlet, 0) == 0


# --- parse-feed ----------------------------------------------------------------------------


def test_parse_feed_describes_every_simweb_feed_then_one_line_per_entry(
    wirestream: Wirestream, simweb: SimWeb
) -> None:
    results = run_together(
        {
            feed.key: lambda feed=feed: wirestream("parse-feed", f"{simweb.base_url}/{feed.key}")
            for feed in catalog.FEEDS
        }
    )
    formats = set()
    for feed in catalog.FEEDS:
        result = results[feed.key]
        assert result.returncode == 0, (feed.key, result.stderr)
        head, *entries = json_lines(result.stdout)
        assert head["title"] == feed.title
        assert head["encoding"].lower() == "utf-8"
        assert head["entries"] == len(entries) == len(catalog.articles_in(feed))
        expected_titles = {article.title for article in catalog.articles_in(feed)}
        assert {entry["title"] for entry in entries} == expected_titles
        assert all(entry["link"].startswith(simweb.base_url) for entry in entries)
        formats.add(head["format"])
    assert {"rss20", "atom10", "rss10", "json11"} <= formats


def test_parse_feed_reads_a_file_and_rejects_an_html_page(
    wirestream: Wirestream, simweb: SimWeb, tmp_path: Path
) -> None:
    feed = next(feed for feed in catalog.FEEDS if feed.format == "atom")
    path = tmp_path / "feed.xml"
    path.write_bytes(httpx.get(f"{simweb.base_url}/{feed.key}", timeout=10).content)
    result = wirestream("parse-feed", str(path))
    assert result.returncode == 0, result.stderr
    head, *entries = json_lines(result.stdout)
    assert (head["format"], head["title"]) == ("atom10", feed.title)
    assert len(entries) == len(catalog.articles_in(feed))

    page = tmp_path / "page.html"
    save_page(simweb, catalog.ARTICLES[0], page)
    rejected = wirestream("parse-feed", str(page))
    assert rejected.returncode == 1
    assert "parse: not a feed" in rejected.stderr
    assert rejected.stdout == ""


# --- tail ----------------------------------------------------------------------------------


def publish(client: redis.Redis, keys: Keys, count: int) -> list[str]:
    """XADD ``count`` contract-shaped entries; returns their stream ids."""
    ids = []
    for _ in range(count):
        url = f"https://news.example/{uuid.uuid4().hex[:8]}"
        data = {"url": url, "title": f"Story at {url}", "language": "en"}
        fields = {
            "schema": "wirestream.article/1",
            "event": "article.created",
            "id": article_id(url),
            "url": url,
            "feed": "feed0",
            "lang": "en",
            "cluster": article_id(url),
            "data": json.dumps(data),
        }
        ids.append(client.xadd(keys.articles_stream, fields))
    return ids


def test_tail_from_start_prints_every_entry_with_data_decoded(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys
) -> None:
    ids = publish(redis_client, keys, 3)
    result = wirestream("tail", "--from-start", "--no-follow", timeout=30)
    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    assert [line["stream_id"] for line in lines] == ids
    for line in lines:
        assert isinstance(line["data"], dict)
        assert line["data"]["url"] == line["url"]
        assert line["schema"] == "wirestream.article/1"


def test_tail_count_stops_after_that_many_entries(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys
) -> None:
    ids = publish(redis_client, keys, 4)
    result = wirestream("tail", "--from-start", "--count", "2", timeout=30)
    assert result.returncode == 0, result.stderr
    assert [line["stream_id"] for line in json_lines(result.stdout)] == ids[:2]


def test_tail_in_a_group_acknowledges_what_it_printed(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys
) -> None:
    ids = publish(redis_client, keys, 3)
    group = ("--group", "g", "--consumer", "c")
    first = wirestream("tail", "--from-start", "--no-follow", *group, timeout=30)
    assert first.returncode == 0, first.stderr
    assert [line["stream_id"] for line in json_lines(first.stdout)] == ids
    assert redis_client.xpending(keys.articles_stream, "g")["pending"] == 0

    second = wirestream("tail", "--from-start", "--no-follow", *group, timeout=30)
    assert second.returncode == 0, second.stderr
    assert second.stdout == ""

    [newer] = publish(redis_client, keys, 1)
    third = wirestream("tail", "--no-follow", *group, timeout=30)
    assert [line["stream_id"] for line in json_lines(third.stdout)] == [newer]
    assert redis_client.xpending(keys.articles_stream, "g")["pending"] == 0


def test_tail_consumer_without_group_exits_2(wirestream: Wirestream) -> None:
    result = wirestream("tail", "--no-follow", "--consumer", "c", timeout=30)
    assert result.returncode == 2
    assert result.stderr == "wirestream: tail: --consumer needs --group\n"


# --- run -----------------------------------------------------------------------------------


def test_run_until_idle_finishes_every_task_without_a_crash(
    wirestream: Wirestream, simweb: SimWeb, redis_client: redis.Redis, keys: Keys
) -> None:
    feed = min(catalog.FEEDS, key=lambda feed: len(catalog.articles_in(feed)))
    added = wirestream("feeds", "add", f"{simweb.base_url}/{feed.key}")
    run = wirestream("run", "--until-idle", "--timeout", "120", timeout=180)
    if added.returncode != 0 or run.returncode != 0:
        pytest.fail(f"feeds add / run failed: {added.stderr[-1000:]} {run.stderr[-2000:]}")
    if redis_client.xlen(keys.articles_stream) != len(catalog.articles_in(feed)):
        pytest.fail(f"expected {len(catalog.articles_in(feed))} articles: {run.stdout}")

    assert "raised unexpected" not in run.stderr
    assert "Traceback" not in run.stderr


# --- cluster -------------------------------------------------------------------------------


def test_cluster_lists_a_storys_members_with_outlet_time_and_similarity(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys
) -> None:
    assert (
        wirestream("feeds", "add", FEED_URL, "--name", "Example News", "--no-check").returncode == 0
    )
    stream = ArticleStream(
        redis_client,
        keys,
        maxlen=100,
        ttl_seconds=3600,
        dedupe=DedupeSettings(threshold=0.75, window_seconds=86_400, mode="emit"),
    )
    republications = [a for a in catalog.ARTICLES if a.story_id.startswith("ap-")][:3]
    urls = [f"https://outlet{n}.example/tornadoes" for n in range(len(republications))]
    # Dated from now: with a one-day window, copies published on a fixed day stop forming a
    # cluster the day after.
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    times = [start + timedelta(minutes=n) for n in range(len(republications))]
    for number, (article, url, at) in enumerate(zip(republications, urls, times, strict=True)):
        text = "\n\n".join(article.paragraphs)
        message = OutgoingMessage(
            article_id=article_id(url),
            content_hash=content_hash(text),
            flat_fields={"url": url, "feed": feed_id(FEED_URL) if number == 0 else "feed-gone"},
            data_without_dedupe=json.dumps({"url": url})[:-1],
        )
        stream.publish(message, fingerprint(text), at=at)

    result = wirestream("cluster", article_id(urls[2]), timeout=30)  # any member's id will do
    assert result.returncode == 0, result.stderr
    members = json_lines(result.stdout)
    assert [m["url"] for m in members] == urls
    assert [m["event"] for m in members] == ["article.created"] + ["article.duplicate"] * 2
    assert [m["outlet"] for m in members] == ["Example News", "feed-gone", "feed-gone"]
    assert [m["at"] for m in members] == [utc_iso(at) for at in times]
    assert members[0]["similarity"] is None
    assert all(0.75 <= m["similarity"] <= 1 for m in members[1:])


def test_cluster_of_an_unknown_id_exits_1_and_of_a_malformed_id_exits_2(
    wirestream: Wirestream,
) -> None:
    unknown = wirestream("cluster", "0" * 32, timeout=30)
    assert unknown.returncode == 1
    assert f"cluster: no story {'0' * 32}" in unknown.stderr
    malformed = wirestream("cluster", "not-an-id", timeout=30)
    assert malformed.returncode == 2
    assert "32 hex digits (got 'not-an-id')" in malformed.stderr
