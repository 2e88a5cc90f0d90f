"""The PostgreSQL sink's tables against a real PostgreSQL (a database per test), fed with
entries the real publishing script wrote."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import psycopg
import pytest
import redis
from archive_tables import actual, expected_from_stream, table_rows
from articles import decoded_entries, publish_stories
from psycopg.conninfo import make_conninfo

from worker.consumer import Consumer, EntryError, PartialFailure, Start, StreamEntry
from worker.errors import ConfigError, PermanentError
from worker.keys import Keys
from worker.sinks import postgres
from worker.sinks.postgres import (
    CONNECTION_DEFAULTS,
    Archive,
    ArchiveUnavailable,
    ArticleRow,
    Migration,
    PostgresSink,
    article_row,
    check_dsn,
    migrations,
    run_postgres_sink,
)


def stream_entry(entry: dict[str, Any]) -> StreamEntry:
    """An entry given as the package prints it, as the consumer delivers it."""
    fields = {name: value for name, value in entry.items() if name not in ("stream_id", "data")}
    data = entry["data"] if isinstance(entry["data"], str) else json.dumps(entry["data"])
    return StreamEntry(entry["stream_id"], {**fields, "data": data})


def row(entry: dict[str, Any]) -> ArticleRow:
    return article_row(stream_entry(entry))


@pytest.fixture
def entries(redis_client: redis.Redis, keys: Keys) -> list[dict[str, Any]]:
    publish_stories(redis_client, keys, 60)
    return decoded_entries(redis_client, keys)


def test_migrate_creates_the_tables_once_and_records_each_version(postgres_dsn: str) -> None:
    with Archive.connect(postgres_dsn, group="g") as archive:
        first = archive.migrate()
        second = archive.migrate()

    assert first == [migration.version for migration in migrations()] == [1, 2]
    assert second == []
    with psycopg.connect(postgres_dsn) as connection:
        versions = connection.execute(
            "SELECT version, name FROM schema_migrations ORDER BY version"
        ).fetchall()
    assert versions == [(1, "articles_and_clusters"), (2, "event_revision")]
    assert all(rows == [] for rows in table_rows(postgres_dsn).values())


def test_the_stream_applied_once_gives_one_row_per_article_and_its_stories(
    postgres_dsn: str, entries: list[dict[str, Any]]
) -> None:
    events = {entry["event"] for entry in entries}
    assert events == {"article.created", "article.duplicate", "article.updated"}
    with Archive.connect(postgres_dsn, group="g") as archive:
        archive.migrate()
        archive.apply([row(entry) for entry in entries])

    assert actual(postgres_dsn) == expected_from_stream(entries)
    assert any(size > 1 for _, size in actual(postgres_dsn)["clusters"])


def test_every_entry_applied_five_times_in_any_order_leaves_the_same_rows(
    postgres_dsn: str, entries: list[dict[str, Any]]
) -> None:
    with Archive.connect(postgres_dsn, group="g") as archive:
        archive.migrate()
        archive.apply([row(entry) for entry in entries])
        once = table_rows(postgres_dsn)
        shuffled = [row(entry) for entry in entries * 5]
        random.Random(13).shuffle(shuffled)
        for start in range(0, len(shuffled), 17):  # batches of mixed old and new entries
            archive.apply(shuffled[start : start + 17])

    assert table_rows(postgres_dsn) == once


def test_an_older_event_delivered_after_a_newer_one_does_not_overwrite_it(
    postgres_dsn: str, entries: list[dict[str, Any]]
) -> None:
    updated = next(entry for entry in entries if entry["event"] == "article.updated")
    created = next(e for e in entries if e["id"] == updated["id"] and e is not updated)
    with Archive.connect(postgres_dsn, group="g") as archive:
        archive.migrate()
        archive.apply([row(updated)])
        archive.apply([row(created)])

    with psycopg.connect(postgres_dsn) as connection:
        rows = connection.execute("SELECT event, stream_id, title FROM articles").fetchall()
        joined = connection.execute("SELECT event, stream_id FROM cluster_members").fetchall()
    assert rows == [("article.updated", updated["stream_id"], updated["data"]["title"])]
    assert joined == [(created["event"], created["stream_id"])]


def test_a_newer_revision_under_a_smaller_stream_id_still_wins(
    postgres_dsn: str, entries: list[dict[str, Any]]
) -> None:
    # A promoted server whose clock is behind the lost primary's gives the update a stream id
    # below that of the article's first event, which the sink took from the lost primary.
    updated = next(entry for entry in entries if entry["event"] == "article.updated")
    created = next(e for e in entries if e["id"] == updated["id"] and e is not updated)
    assert (created["revision"], updated["revision"]) == ("1", "2")
    behind = {**updated, "stream_id": "1-0"}
    with Archive.connect(postgres_dsn, group="g") as archive:
        archive.migrate()
        archive.apply([row(created)])
        archive.apply([row(behind)])
        archive.apply([row(created)])  # delivered again

    with psycopg.connect(postgres_dsn) as connection:
        rows = connection.execute("SELECT event, revision, stream_id FROM articles").fetchall()
        joined = connection.execute("SELECT event, stream_id FROM cluster_members").fetchall()
    assert rows == [("article.updated", 2, "1-0")]
    assert joined == [(created["event"], created["stream_id"])]


def test_events_whose_revision_is_not_known_are_ordered_by_stream_id(
    postgres_dsn: str, entries: list[dict[str, Any]]
) -> None:
    updated = next(entry for entry in entries if entry["event"] == "article.updated")
    created = next(e for e in entries if e["id"] == updated["id"] and e is not updated)
    unversioned = {name: value for name, value in updated.items() if name != "revision"}
    with Archive.connect(postgres_dsn, group="g") as archive:
        archive.migrate()
        archive.apply([row(unversioned)])
        archive.apply([row(created)])  # older by stream id: it does not overwrite

    with psycopg.connect(postgres_dsn) as connection:
        rows = connection.execute("SELECT event, revision, stream_id FROM articles").fetchall()
    assert rows == [("article.updated", 0, updated["stream_id"])]


def test_the_group_position_is_the_newest_stream_id_applied(
    postgres_dsn: str, entries: list[dict[str, Any]]
) -> None:
    with Archive.connect(postgres_dsn, group="archive") as archive:
        archive.migrate()
        archive.apply([row(entry) for entry in entries[10:]])
        archive.apply([row(entry) for entry in entries[:10]])  # late, older ones

    with psycopg.connect(postgres_dsn) as connection:
        rows = connection.execute("SELECT group_name, stream_id FROM sink_positions").fetchall()
    assert rows == [("archive", entries[-1]["stream_id"])]


def test_a_failed_batch_writes_nothing(postgres_dsn: str, entries: list[dict[str, Any]]) -> None:
    with Archive.connect(postgres_dsn, group="g") as archive:
        archive.migrate()
        rows = [row(entry) for entry in entries[:5]]
        # A NUL character is a value PostgreSQL text refuses: the whole batch is rolled back.
        broken = replace(rows[4], title="bad\x00title")
        with pytest.raises(PermanentError):
            archive.apply([*rows[:4], broken])

    assert all(rows == [] for rows in table_rows(postgres_dsn).values())


def test_entry_without_what_a_row_needs_is_a_permanent_error_naming_it(
    entries: list[dict[str, Any]],
) -> None:
    entry = entries[0]
    for broken, reason in [
        ({**entry, "data": '"not an object"'}, "data is not a JSON object"),
        ({**entry, "data": "{not json"}, "data is not JSON"),
        ({k: v for k, v in entry.items() if k != "cluster"}, "no 'cluster' field"),
        ({**entry, "stream_id": "nonsense"}, "not a stream entry id"),
        ({**entry, "revision": "0"}, "revision '0' is not a positive whole number"),
        ({**entry, "revision": "2.5"}, "revision '2.5' is not a positive whole number"),
        ({**entry, "data": {**entry["data"], "published_at": "yesterday"}}, "yesterday"),
        ({**entry, "data": {**entry["data"], "title": 42}}, "title is int, not a string"),
        (
            {**entry, "data": {**entry["data"], "dedupe": {"similarity": "high"}}},
            "similarity is str, not a number",
        ),
    ]:
        with pytest.raises(EntryError) as caught:
            row(broken)
        assert caught.value.stream_id == broken["stream_id"]
        assert reason in caught.value.reason


def test_a_malformed_dsn_is_a_config_error_in_one_line() -> None:
    with pytest.raises(ConfigError) as caught:
        check_dsn("host=127.0.0.1 port")

    assert str(caught.value).startswith("sink postgres: invalid DSN: ")
    assert "\n" not in str(caught.value)


def test_a_database_that_does_not_answer_is_unavailable_in_one_line(
    postgres_server_dsn: str,
) -> None:
    with pytest.raises(ArchiveUnavailable) as caught:
        Archive.connect("postgresql://postgres@127.0.0.1:1/none", group="g", connect_timeout=2)

    message = str(caught.value)
    assert message.startswith("sink postgres: connecting to postgres@127.0.0.1:1/none: ")
    assert "\n" not in message


class FailingOnThirdBatch(Archive):
    """An archive whose server connection is terminated, for real, before its third batch."""

    def __init__(self, dsn: str, admin: psycopg.Connection[Any]) -> None:
        super().__init__(psycopg.connect(dsn), group="g")
        self._admin = admin
        self.batches = 0

    def apply(self, rows: Sequence[ArticleRow]) -> None:
        self.batches += 1
        if self.batches == 3:
            pid = self._connection.info.backend_pid
            self._admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        super().apply(rows)


def test_a_database_lost_mid_run_stops_the_sink_with_its_batch_pending_and_uncounted(
    postgres_dsn: str, redis_client: redis.Redis, keys: Keys
) -> None:
    publish_stories(redis_client, keys, 60)
    entries = decoded_entries(redis_client, keys)
    options: dict[str, Any] = {"keys": keys, "consumer": "c1", "start": Start.beginning()}

    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        failing = FailingOnThirdBatch(postgres_dsn, admin)
        consumer = Consumer(redis_client, "g", batch_size=10, **options)
        with pytest.raises(ArchiveUnavailable) as caught:
            run_postgres_sink(consumer, failing, until_idle=True)
        failing.close()

    pending = redis_client.xpending_range(keys.articles_stream, "g", "-", "+", 100)
    assert [p["message_id"] for p in pending] == [e["stream_id"] for e in entries[20:30]]
    assert all(p["times_delivered"] == 0 for p in pending)
    assert redis_client.xlen(keys.group_dead_stream("g")) == 0
    assert str(caught.value).startswith("sink postgres: writing: ")
    assert "\n" not in str(caught.value)

    with Archive.connect(postgres_dsn, group="g") as archive:
        consumer = Consumer(redis_client, "g", batch_size=10, **options)
        run_postgres_sink(consumer, archive, until_idle=True)

    assert actual(postgres_dsn) == expected_from_stream(entries)
    assert redis_client.xpending(keys.articles_stream, "g")["pending"] == 0


def test_two_sinks_of_one_group_writing_at_once_leave_tables_matching_the_stream(
    postgres_dsn: str, redis_url: str, keys: Keys
) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    publish_stories(client, keys, 1500)
    entries = decoded_entries(client, keys)
    with Archive.connect(postgres_dsn, group="g") as archive:
        archive.migrate()
    failures: list[BaseException] = []

    def sink(name: str) -> None:
        consumer_client = redis.Redis.from_url(redis_url, decode_responses=True)
        try:
            with Archive.connect(postgres_dsn, group="g") as archive:
                consumer = Consumer(
                    consumer_client, "g", keys=keys, consumer=name, start=Start.beginning(),
                    batch_size=20,
                )  # fmt: skip
                run_postgres_sink(consumer, archive, until_idle=True)
        except BaseException as error:
            failures.append(error)
        finally:
            consumer_client.close()

    threads = [threading.Thread(target=sink, args=(f"c{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)

    assert failures == []
    assert actual(postgres_dsn) == expected_from_stream(entries)
    assert client.xpending(keys.articles_stream, "g")["pending"] == 0
    client.close()


def test_an_entry_the_database_refuses_is_failed_alone_and_its_batch_written(
    postgres_dsn: str, entries: list[dict[str, Any]]
) -> None:
    batch = entries[:8]
    refused = {**batch[3], "data": {**batch[3]["data"], "title": "NUL \x00 inside"}}
    delivered = [stream_entry(e) for e in [*batch[:3], refused, *batch[4:]]]
    with Archive.connect(postgres_dsn, group="g") as archive:
        archive.migrate()
        with pytest.raises(PartialFailure) as caught:
            PostgresSink(archive).handle(delivered)

    assert list(caught.value.failed) == [refused["stream_id"]]
    assert caught.value.failed[refused["stream_id"]].startswith("EntryError: ")
    assert actual(postgres_dsn) == expected_from_stream([*batch[:3], *batch[4:]])


def test_a_later_migration_is_applied_alone_and_a_failing_one_leaves_nothing(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = migrations()
    with Archive.connect(postgres_dsn, group="g") as archive:
        archive.migrate()
        latest = shipped[-1].version
        broken = Migration(latest + 2, "broken", "ALTER TABLE no_such_table ADD COLUMN x integer")
        added = Migration(
            latest + 1, "word_count", "ALTER TABLE articles ADD COLUMN word_count integer"
        )
        monkeypatch.setattr(postgres, "migrations", lambda: [*shipped, added, broken])
        with pytest.raises(ArchiveUnavailable, match="no_such_table"):
            archive.migrate()
        monkeypatch.setattr(postgres, "migrations", lambda: [*shipped, added])
        applied = archive.migrate()

    assert applied == [latest + 1]
    with psycopg.connect(postgres_dsn) as connection:
        versions = connection.execute("SELECT version FROM schema_migrations ORDER BY 1")
        assert [version for (version,) in versions] == [*range(1, latest + 1), latest + 1]
        connection.execute("SELECT word_count FROM articles")


def test_the_connection_detects_a_silent_database_and_a_dsn_keeps_its_own_settings(
    postgres_dsn: str,
) -> None:
    with Archive.connect(postgres_dsn, group="g") as archive:
        defaults = archive._connection.info.get_parameters()
    with Archive.connect(make_conninfo(postgres_dsn, keepalives_idle=99), group="g") as archive:
        own = archive._connection.info.get_parameters()
    assert {name: defaults.get(name) for name in CONNECTION_DEFAULTS} == CONNECTION_DEFAULTS
    assert own["keepalives_idle"] == "99"
    assert own["tcp_user_timeout"] == CONNECTION_DEFAULTS["tcp_user_timeout"]


def test_a_batch_waiting_on_a_lock_fails_after_the_statement_timeout(
    postgres_dsn: str, entries: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "BATCH_STATEMENT_TIMEOUT", "1s")
    with Archive.connect(postgres_dsn, group="g") as archive:
        archive.migrate()
        with psycopg.connect(postgres_dsn) as holder, holder.transaction():
            holder.execute("LOCK TABLE articles IN ACCESS EXCLUSIVE MODE")
            # Without the timeout the batch would wait for ever: the lock goes after 30 s.
            release = threading.Timer(30, holder.close)
            release.start()
            with pytest.raises(ArchiveUnavailable, match="statement timeout"):
                archive.apply([row(entry) for entry in entries[:5]])
            release.cancel()
        archive.apply([row(entry) for entry in entries[:5]])  # the lock gone: it goes through
    assert len(table_rows(postgres_dsn)["articles"]) == len({e["id"] for e in entries[:5]})
