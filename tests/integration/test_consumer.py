"""The consumer API against a real Redis: ack after handling, retries and dead letters,
own pending first, claims of idle entries, gaps, start positions, resets, the entry JSON."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from redis_servers import RedisServer

from tests.conftest import Wirestream
from tests.integration.test_cli import publish
from tests.unit.test_publish_stage import make_article
from worker.adapters.groups import GroupStream, SentBackEntries
from worker.adapters.redis_client import connect
from worker.adapters.stream import ArticleStream, DedupeSettings
from worker.consumer import (
    Backoff,
    Consumer,
    Gap,
    PartialFailure,
    Start,
    StopConsuming,
    StreamEntry,
    entry_validator,
)
from worker.errors import ConfigError
from worker.keys import Keys
from worker.models import Article, PublishResult
from worker.settings import load_settings
from worker.stages.dedupe import fingerprint
from worker.stages.publish import OutgoingMessage, build_message

FAST = Backoff(base=0.05, maximum=0.2)


@pytest.fixture
def client(redis_url: str) -> Any:
    """The client the package builds (decode_responses, blocking pool)."""
    made = connect(redis_url)
    yield made
    made.close()


def consumer(client: redis.Redis, keys: Keys, **options: Any) -> Consumer:
    options.setdefault("start", Start.beginning())
    options.setdefault("block", 0.2)
    options.setdefault("min_idle", 0.3)
    options.setdefault("backoff", FAST)
    return Consumer(client, options.pop("group", "g"), keys=keys, **options)


def pending(client: redis.Redis, keys: Keys, group: str = "g") -> int:
    return int(client.xpending(keys.articles_stream, group)["pending"])


def test_every_entry_is_handled_and_acked_once_in_stream_order(
    client: redis.Redis, keys: Keys
) -> None:
    ids = publish(client, keys, 7)
    handled: list[StreamEntry] = []
    settled = consumer(client, keys, batch_size=3).run(handled.append, until_idle=True)
    assert settled == 7
    assert [entry.stream_id for entry in handled] == ids
    assert all(entry.deliveries == 1 for entry in handled)
    assert handled[0].data["url"] == handled[0].fields["url"]
    assert pending(client, keys) == 0


def test_a_failing_entry_is_retried_then_dead_lettered_with_its_error(
    client: redis.Redis, keys: Keys
) -> None:
    ids = publish(client, keys, 6)
    poison = ids[2]
    attempts: list[int] = []
    handled: list[str] = []

    def handler(entry: StreamEntry) -> None:
        if entry.stream_id == poison:
            attempts.append(entry.deliveries)
            raise RuntimeError("cannot store this one")
        handled.append(entry.stream_id)

    consumer(client, keys, max_deliveries=3).run(handler, until_idle=True)

    assert attempts == [1, 2, 3]
    assert handled == [entry_id for entry_id in ids if entry_id != poison]
    [(_, letter)] = client.xrange(keys.group_dead_stream("g"))
    assert letter["stream_id"] == poison
    assert letter["error"] == "RuntimeError: cannot store this one"
    assert letter["deliveries"] == "3"
    assert json.loads(letter["entry"])["stream_id"] == poison
    assert pending(client, keys) == 0


def test_a_redis_that_refuses_writes_delays_a_dead_letter_and_loses_nothing(
    tmp_path: Path, keys: Keys
) -> None:
    """Its memory full (maxmemory, noeviction): the dead letter's transaction is refused, the
    consumer waits and goes on, and the entry is dead-lettered once memory is freed."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    own = connect(server.url)
    try:
        [poison] = publish(own, keys, 1)
        full = threading.Event()

        def handler(entry: StreamEntry) -> None:
            if entry.deliveries == 2 and not full.is_set():
                own.config_set("maxmemory", int(own.info("memory")["used_memory"]))
                threading.Timer(1.0, own.config_set, ("maxmemory", 0)).start()
                full.set()
            raise RuntimeError("cannot store this one")

        consumer(own, keys, max_deliveries=2).run(handler, until_idle=True)

        [(_, letter)] = own.xrange(keys.group_dead_stream("g"))
        assert letter["stream_id"] == poison
        assert letter["error"] == "RuntimeError: cannot store this one", "its own reason"
        assert pending(own, keys) == 0
    finally:
        own.close()
        server.stop()


def test_an_entry_of_another_schema_is_dead_lettered_without_retries(
    client: redis.Redis, keys: Keys
) -> None:
    [good] = publish(client, keys, 1)
    alien = client.xadd(keys.articles_stream, {"schema": "other/9", "data": "{}"})
    handled: list[str] = []
    consumer(client, keys).run(lambda entry: handled.append(entry.stream_id), until_idle=True)
    assert handled == [good]
    [(_, letter)] = client.xrange(keys.group_dead_stream("g"))
    assert letter["stream_id"] == alien
    assert letter["deliveries"] == "1"
    assert "schema 'other/9'" in letter["error"]


def add_entry_not_utf8(redis_url: str, keys: Keys) -> str:
    """An entry some other writer added, with bytes that are not UTF-8 in two fields."""
    raw = redis.Redis.from_url(redis_url)
    try:
        fields = {b"schema": b"wirestream.article/1", b"id": b"\xff\xfe", b"data": b'\xff{"x":2}'}
        return raw.xadd(keys.articles_stream, fields).decode()
    finally:
        raw.close()


def test_an_entry_that_is_not_utf8_is_dead_lettered_as_it_was_and_the_rest_handled(
    client: redis.Redis, keys: Keys, redis_url: str
) -> None:
    [first] = publish(client, keys, 1)
    broken = add_entry_not_utf8(redis_url, keys)
    [last] = publish(client, keys, 1)
    handled: list[str] = []
    consumer(client, keys).run(lambda entry: handled.append(entry.stream_id), until_idle=True)

    assert handled == [first, last]
    assert pending(client, keys) == 0
    strict = redis.Redis.from_url(redis_url, decode_responses=True)
    [(_, letter)] = strict.xrange(keys.group_dead_stream("g"))  # the letter itself is UTF-8
    strict.close()
    assert (letter["stream_id"], letter["error"]) == (broken, "EntryError: field 'id' is not UTF-8")
    found = json.loads(letter["entry"])
    assert found["id"].encode("utf-8", "surrogateescape") == b"\xff\xfe"
    assert found["data"].encode("utf-8", "surrogateescape") == b'\xff{"x":2}'


def test_a_client_decoding_strictly_stops_on_such_an_entry_with_what_to_do(
    keys: Keys, redis_url: str
) -> None:
    add_entry_not_utf8(redis_url, keys)
    strict = redis.Redis.from_url(redis_url, decode_responses=True)
    with pytest.raises(ConfigError, match="encoding_errors='surrogateescape'"):
        consumer(strict, keys).run(lambda entry: None, until_idle=True)
    strict.close()


def test_tail_without_a_group_skips_such_an_entry_and_says_so(
    client: redis.Redis, keys: Keys, redis_url: str, wirestream: Wirestream
) -> None:
    [first] = publish(client, keys, 1)
    broken = add_entry_not_utf8(redis_url, keys)
    [last] = publish(client, keys, 1)

    result = wirestream("tail", "--from-start", "--no-follow", timeout=60)

    assert result.returncode == 0, result.stderr
    printed = [json.loads(line)["stream_id"] for line in result.stdout.splitlines()]
    assert printed == [first, last]
    [skipped] = [json.loads(line) for line in result.stderr.splitlines() if "skipped" in line]
    assert (skipped["stream_id"], skipped["reason"]) == (broken, "field 'id' is not UTF-8")


def test_a_batch_handler_partial_failure_acks_the_rest(client: redis.Redis, keys: Keys) -> None:
    ids = publish(client, keys, 4)
    batches: list[list[str]] = []

    def handle_batch(entries: Any) -> None:
        batches.append([entry.stream_id for entry in entries])
        if ids[1] in batches[-1]:
            raise PartialFailure({ids[1]: "row rejected"})

    consumer(client, keys, max_deliveries=2).run(batch_handler=handle_batch, until_idle=True)
    assert batches[0] == ids
    assert batches[1:] == [[ids[1]]]
    [(_, letter)] = client.xrange(keys.group_dead_stream("g"))
    assert (letter["stream_id"], letter["error"]) == (ids[1], "row rejected")
    assert pending(client, keys) == 0


def test_own_pending_entries_come_before_new_ones_on_restart(
    client: redis.Redis, keys: Keys
) -> None:
    ids = publish(client, keys, 5)
    client.xgroup_create(keys.articles_stream, "g", "0")
    # The consumer read two entries and died before handling them.
    client.xreadgroup("g", "me", {keys.articles_stream: ">"}, count=2)
    handled: list[StreamEntry] = []
    consumer(client, keys, consumer="me").run(handled.append, until_idle=True)
    assert [entry.stream_id for entry in handled] == ids
    assert [entry.deliveries for entry in handled] == [2, 2, 1, 1, 1]
    assert pending(client, keys) == 0


def test_idle_entries_of_a_dead_consumer_are_claimed_after_min_idle(
    client: redis.Redis, keys: Keys
) -> None:
    ids = publish(client, keys, 4)
    client.xgroup_create(keys.articles_stream, "g", "0")
    client.xreadgroup("g", "dead", {keys.articles_stream: ">"}, count=3)
    handled: list[str] = []
    survivor = consumer(client, keys, consumer="alive", min_idle=0.5)
    survivor.run(lambda entry: handled.append(entry.stream_id), limit=1)
    assert handled == [ids[3]]  # the dead consumer's entries are not idle long enough yet
    time.sleep(0.6)
    survivor.run(lambda entry: handled.append(entry.stream_id), until_idle=True)
    assert sorted(handled) == ids
    assert pending(client, keys) == 0
    consumers = {c["name"] for c in client.xinfo_consumers(keys.articles_stream, "g")}
    assert consumers == {"dead"}  # the survivor left; the dead one holds nothing now


def test_a_consumer_holding_pending_entries_stays_in_the_group_when_it_stops(
    client: redis.Redis, keys: Keys
) -> None:
    publish(client, keys, 2)
    member = consumer(client, keys, consumer="keeper", backoff=Backoff(30, 30))

    def fail_then_stop(entry: StreamEntry) -> None:
        member.stop()  # the batch in hand is finished first
        raise RuntimeError("down")

    assert member.run(fail_then_stop) == 0
    names = {c["name"]: c["pending"] for c in client.xinfo_consumers(keys.articles_stream, "g")}
    assert names == {"keeper": 2}


def test_trim_past_a_stopped_consumer_reports_the_gap_once_with_the_exact_count(
    client: redis.Redis, keys: Keys
) -> None:
    gaps: list[Gap] = []
    first = publish(client, keys, 4)
    reader = consumer(client, keys, on_gap=gaps.append)
    assert reader.run(lambda entry: None, limit=2) == 2
    later = publish(client, keys, 6)
    # While the consumer is stopped, everything but the last three entries is trimmed: the
    # two it had not read of the first four, and three of the six added since.
    client.xtrim(keys.articles_stream, maxlen=3, approximate=False)
    handled: list[str] = []
    reader.run(lambda entry: handled.append(entry.stream_id), until_idle=True)
    assert gaps == [Gap("g", lost=5, after_id=first[1], before_id=later[3])]
    assert handled == later[3:]
    publish(client, keys, 1)
    reader.run(lambda entry: None, until_idle=True)
    assert len(gaps) == 1


def test_since_delivers_exactly_the_entries_at_or_after_the_time(
    client: redis.Redis, keys: Keys
) -> None:
    base = int(datetime.now(UTC).timestamp() * 1000) - 60_000
    fields = {"schema": "wirestream.article/1", "event": "article.created", "data": "{}"}
    ids = []
    for stamp in (base, base + 999, base + 1000, base + 1000, base + 1001, base + 5000):
        ids.append(client.xadd(keys.articles_stream, fields, id=f"{stamp}-*"))
    since = datetime.fromtimestamp((base + 1000) / 1000, UTC)
    handled: list[str] = []
    consumer(client, keys, start=Start.since(since)).run(
        lambda entry: handled.append(entry.stream_id), until_idle=True
    )
    assert handled == ids[2:]


def test_reset_moves_a_group_back_to_a_time(client: redis.Redis, keys: Keys) -> None:
    ids = publish(client, keys, 3)
    reader = consumer(client, keys)
    reader.run(lambda entry: None, until_idle=True)
    GroupStream(client, keys.articles_stream).reset_group("g", Start.after(ids[0]).id)
    handled: list[str] = []
    reader.run(lambda entry: handled.append(entry.stream_id), until_idle=True)
    assert handled == ids[1:]


def publish_one_article(
    client: redis.Redis, keys: Keys
) -> tuple[Article, OutgoingMessage, PublishResult]:
    """One real article published by the pipeline's script: the article, its message, and
    what the script returned."""
    article = make_article()
    stream = ArticleStream(
        client,
        keys,
        maxlen=100,
        ttl_seconds=60,
        dedupe=DedupeSettings(threshold=0.75, window_seconds=3600, mode="emit"),
    )
    message = build_message(article)
    published = stream.publish(message, fingerprint(article.page.text), at=datetime.now(UTC))
    return article, message, published


def test_the_entry_json_carries_its_stream_id_and_validates_against_the_shipped_schema(
    client: redis.Redis, keys: Keys
) -> None:
    article, message, published = publish_one_article(client, keys)
    handled: list[StreamEntry] = []
    consumer(client, keys, validate=True).run(handled.append, until_idle=True)
    [entry] = handled
    document = json.loads(entry.to_json())
    assert document["stream_id"] == published.stream_id
    assert entry.idempotency_key == f"{article.id}:article.created:1:{message.content_hash}"
    entry_validator().validate(document)
    assert entry.event == "article.created" and entry.article_id == article.id


def test_validation_dead_letters_an_invalid_entry_and_ignores_a_field_added_since(
    client: redis.Redis, keys: Keys
) -> None:
    publish_one_article(client, keys)
    [(_, fields)] = client.xrange(keys.articles_stream)
    later = client.xadd(keys.articles_stream, {**fields, "topic_version": "2"})
    invalid = client.xadd(keys.articles_stream, {**fields, "id": "not-an-article-id"})

    handled: list[StreamEntry] = []
    consumer(client, keys, validate=True).run(handled.append, until_idle=True)

    assert [entry.stream_id for entry in handled][1:] == [later]
    [(_, letter)] = client.xrange(keys.group_dead_stream("g"))
    assert letter["stream_id"] == invalid
    assert letter["error"].startswith("EntryError: invalid: 'not-an-article-id' does not match")
    assert pending(client, keys) == 0


def test_stream_max_age_trims_entries_older_than_the_age(client: redis.Redis, keys: Keys) -> None:
    now = datetime.now(UTC)
    old_stamp = int(now.timestamp() * 1000) - 7_200_000
    # Approximate trimming removes whole nodes (100 entries each by default).
    for number in range(250):
        client.xadd(keys.articles_stream, {"n": str(number)}, id=f"{old_stamp + number}-0")
    article = make_article()
    stream = ArticleStream(
        client,
        keys,
        maxlen=100_000,
        ttl_seconds=60,
        dedupe=DedupeSettings(threshold=0.75, window_seconds=3600, mode="emit"),
        max_age_seconds=3600,
    )
    stream.publish(build_message(article), fingerprint(article.page.text), at=now)
    remaining = client.xlen(keys.articles_stream)
    assert remaining < 100  # at least the two full nodes of entries two hours old are gone
    newest = client.xrevrange(keys.articles_stream, count=1)[0][1]
    assert newest["id"] == article.id


def test_connect_resolves_settings_as_every_command_so_the_embedded_redis_too(
    tmp_path: Path, namespace: str
) -> None:
    # No WIRESTREAM_REDIS_URL: the embedded server (Redis 6.2: no XAUTOCLAIM deleted-ids, no
    # group counters) is started for the block and stopped after it.
    settings = load_settings(redis_url=None, data_dir=tmp_path / "data", namespace=namespace)
    keys = Keys(namespace)
    with Consumer.connect(
        "g", settings=settings, start=Start.beginning(), block=0.2, min_idle=0.2, backoff=FAST
    ) as member:
        assert member.redis.connection_pool.connection_kwargs["path"].endswith("redis.sock")
        ids = publish(member.redis, keys, 4)
        member.redis.xgroup_create(keys.articles_stream, "g", "0")
        member.redis.xreadgroup("g", "dead", {keys.articles_stream: ">"}, count=1)
        time.sleep(0.3)
        failed_once: set[str] = set()
        handled: list[str] = []

        def flaky(entry: StreamEntry) -> None:
            if entry.stream_id == ids[2] and entry.stream_id not in failed_once:
                failed_once.add(entry.stream_id)
                raise RuntimeError("try again")
            handled.append(entry.stream_id)

        assert member.run(flaky, until_idle=True) == 4
        assert sorted(handled) == ids
        assert member.redis.xpending(keys.articles_stream, "g")["pending"] == 0
    assert not (tmp_path / "data" / "redis.sock").exists()


def test_an_entry_its_consumers_keep_dying_on_is_dead_lettered_not_handed_over_again(
    client: redis.Redis, keys: Keys
) -> None:
    ids = publish(client, keys, 2)
    client.xgroup_create(keys.articles_stream, "g", "0")
    client.xreadgroup("g", "crashed", {keys.articles_stream: ">"}, count=1)
    # Delivered max_deliveries times already, each consumer dying before any ack.
    client.xclaim(keys.articles_stream, "g", "crashed", 0, [ids[0]], idle=10_000, retrycount=3)
    handled: list[str] = []
    consumer(client, keys, max_deliveries=3).run(
        lambda entry: handled.append(entry.stream_id), until_idle=True
    )
    assert handled == [ids[1]]
    [(_, letter)] = client.xrange(keys.group_dead_stream("g"))
    assert letter["stream_id"] == ids[0]
    assert letter["error"] == "delivered 4 times without being acknowledged"
    assert pending(client, keys) == 0


def test_a_group_reset_to_the_beginning_still_counts_a_gap_exactly(
    client: redis.Redis, keys: Keys
) -> None:
    publish(client, keys, 4)
    gaps: list[Gap] = []
    reader = consumer(client, keys, on_gap=gaps.append)
    reader.run(lambda entry: None, until_idle=True)
    GroupStream(client, keys.articles_stream).reset_group("g", Start.beginning().id)
    last = publish(client, keys, 2)[-1]
    client.xtrim(keys.articles_stream, maxlen=1, approximate=False)
    handled: list[str] = []
    reader.run(lambda entry: handled.append(entry.stream_id), until_idle=True)
    assert [gap.lost for gap in gaps] == [5]
    assert handled == [last]


def test_a_batch_handler_that_stops_hands_its_whole_batch_back(
    client: redis.Redis, keys: Keys
) -> None:
    publish(client, keys, 3)

    def database_gone(entries: Any) -> None:
        raise StopConsuming

    assert consumer(client, keys, min_idle=5.0).run(batch_handler=database_gone) == 0
    held = client.xpending_range(keys.articles_stream, "g", "-", "+", 10)
    assert len(held) == 3
    assert all(row["time_since_delivered"] >= 5000 for row in held)
    assert all(row["times_delivered"] == 0 for row in held)


def test_a_handler_slower_than_min_idle_keeps_its_entries_from_the_other_consumers(
    client: redis.Redis, keys: Keys
) -> None:
    ids = publish(client, keys, 3)
    slow = consumer(client, keys, consumer="slow", min_idle=1.0, batch_size=3)
    other = consumer(client, keys, consumer="other", min_idle=1.0)
    taken_by_other: list[StreamEntry] = []
    other_runs = threading.Thread(target=other.run, args=(taken_by_other.append,))
    handled: list[StreamEntry] = []

    def handle_slowly(entry: StreamEntry) -> None:
        if not other_runs.is_alive():
            other_runs.start()  # the batch is read: the other consumer looks for idle entries
        time.sleep(0.8)  # the batch takes 2.4 s, more than twice min_idle
        handled.append(entry)

    assert slow.run(handle_slowly, limit=3) == 3
    other.stop()
    other_runs.join()
    assert taken_by_other == []
    assert [entry.stream_id for entry in handled] == ids
    assert [entry.deliveries for entry in handled] == [1, 1, 1]
    assert pending(client, keys) == 0


def test_renewing_leaves_an_entry_another_consumer_claimed_to_it(
    client: redis.Redis, keys: Keys
) -> None:
    ids = publish(client, keys, 2)
    client.xgroup_create(keys.articles_stream, "g", "0")
    client.xreadgroup("g", "stalled", {keys.articles_stream: ">"}, count=2)
    client.xclaim(keys.articles_stream, "g", "claimer", 0, [ids[0]])
    groups = GroupStream(client, keys.articles_stream)
    assert groups.renew("g", "stalled", ids) == 1
    owners = {
        row["message_id"]: (row["consumer"], row["times_delivered"])
        for row in client.xpending_range(keys.articles_stream, "g", "-", "+", 10)
    }
    assert owners == {ids[0]: ("claimer", 2), ids[1]: ("stalled", 1)}


def sent_back_letters(
    client: redis.Redis, keys: Keys, count: int
) -> tuple[list[str], SentBackEntries]:
    """``count`` entries dead-lettered by group "g" at their first failure, then sent back
    (as ``groups dead retry`` does)."""
    ids = publish(client, keys, count)

    def refuse(entry: StreamEntry) -> None:
        raise RuntimeError("receiver down")

    consumer(client, keys, max_deliveries=1).run(refuse, until_idle=True)
    sent_back = SentBackEntries(client, keys, "g")
    letters = sent_back.letters()
    sent_back.send_back([(i, fields["stream_id"], fields["entry"]) for i, fields in letters])
    assert client.xlen(keys.group_dead_stream("g")) == 0
    return ids, sent_back


def test_a_sent_back_entry_that_fails_again_is_retried_then_dead_lettered_again(
    client: redis.Redis, keys: Keys
) -> None:
    [stream_id], sent_back = sent_back_letters(client, keys, 1)
    deliveries: list[int] = []

    def still_down(entry: StreamEntry) -> None:
        deliveries.append(entry.deliveries)
        raise RuntimeError("receiver still down")

    consumer(client, keys, max_deliveries=3).run(still_down, until_idle=True)
    # until_idle ends before a retry's backoff: the next runs take it once it is due.
    while sent_back.count():
        time.sleep(0.05)
        consumer(client, keys, max_deliveries=3).run(still_down, until_idle=True)
    assert deliveries == [1, 2, 3]
    [(_, letter)] = client.xrange(keys.group_dead_stream("g"))
    assert (letter["stream_id"], letter["deliveries"]) == (stream_id, "3")
    assert letter["error"] == "RuntimeError: receiver still down"
    assert client.hlen(keys.group_sent_back("g")) == 0
    assert pending(client, keys) == 0


def test_a_sent_back_entry_a_dead_consumer_held_goes_to_another_after_min_idle(
    client: redis.Redis, keys: Keys
) -> None:
    [stream_id], sent_back = sent_back_letters(client, keys, 1)
    [held] = sent_back.take(10, lease_ms=500)  # then its consumer died
    assert (held.stream_id, held.deliveries) == (stream_id, 1)
    handled: list[StreamEntry] = []
    consumer(client, keys, min_idle=0.5).run(handled.append, until_idle=True)
    assert handled == []  # leased to the dead one still
    time.sleep(0.6)
    consumer(client, keys, min_idle=0.5).run(handled.append, until_idle=True)
    assert [(entry.stream_id, entry.deliveries) for entry in handled] == [(stream_id, 2)]
    [(_, original)] = client.xrange(keys.articles_stream, stream_id, stream_id)
    assert handled[0].fields["id"] == original["id"]
    assert handled[0].data == json.loads(original["data"])
    assert sent_back.count() == 0


def test_a_sent_back_entry_taken_by_another_after_a_stall_is_left_to_it(
    client: redis.Redis, keys: Keys
) -> None:
    """The stalled consumer's renewal, retry or hand back must not move the new holder's
    lease, nor uncount its delivery."""
    [stream_id], sent_back = sent_back_letters(client, keys, 1)
    [stalled] = sent_back.take(10, lease_ms=100)
    time.sleep(0.2)  # its lease ran out
    [taker] = sent_back.take(10, lease_ms=60_000)
    assert (stalled.deliveries, taker.deliveries) == (1, 2)
    due_for_taker = client.zscore(keys.group_sent_back_due("g"), stream_id)

    stalled_holds = {stream_id: stalled.deliveries}
    assert sent_back.delay(stalled_holds, {stream_id: 0}) == 0  # a renewal, or a retry now
    assert sent_back.delay(stalled_holds, {stream_id: 0}, handed_back=True) == 0

    assert client.zscore(keys.group_sent_back_due("g"), stream_id) == due_for_taker
    assert client.hget(keys.group_sent_back("g"), f"n:{stream_id}") == "2"
    assert sent_back.delay({stream_id: taker.deliveries}, {stream_id: 0}) == 1  # the holder's


def test_a_stop_hands_a_sent_back_entry_back_without_counting_the_delivery(
    client: redis.Redis, keys: Keys
) -> None:
    [first, second], sent_back = sent_back_letters(client, keys, 2)
    handled: list[StreamEntry] = []

    def stop_at_the_second(entry: StreamEntry) -> None:
        if entry.stream_id == second:
            raise StopConsuming
        handled.append(entry)

    consumer(client, keys).run(stop_at_the_second)
    assert sent_back.count() == 1  # the first was handled and is gone
    consumer(client, keys).run(handled.append, until_idle=True)
    assert [(entry.stream_id, entry.deliveries) for entry in handled] == [(first, 1), (second, 1)]
    assert sent_back.count() == 0


def test_a_consumer_started_again_on_the_same_host_takes_its_dead_predecessors_entries_at_once(
    client: redis.Redis, keys: Keys
) -> None:
    ids = publish(client, keys, 3)
    host = socket.gethostname()
    gone = subprocess.Popen(["true"])
    gone.wait()
    running = subprocess.Popen(["sleep", "60"])
    try:
        client.xgroup_create(keys.articles_stream, "g", "0")
        client.xreadgroup("g", f"{host}-{gone.pid}", {keys.articles_stream: ">"}, count=2)
        client.xreadgroup("g", f"{host}-{running.pid}", {keys.articles_stream: ">"}, count=1)
        handled: list[StreamEntry] = []
        # Its default name (this host, this process), min_idle a minute away.
        consumer(client, keys, min_idle=60.0).run(handled.append, until_idle=True)
    finally:
        running.kill()
        running.wait()
    assert [(entry.stream_id, entry.deliveries) for entry in handled] == [
        (ids[0], 2),
        (ids[1], 2),
    ]
    members = {c["name"]: c["pending"] for c in client.xinfo_consumers(keys.articles_stream, "g")}
    # The dead one left the group; the one whose process runs kept its entry.
    assert members == {f"{host}-{running.pid}": 1}
