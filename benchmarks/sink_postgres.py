"""Rows per second of the PostgreSQL sink, against plain inserts of the same rows in the same run.

The entries are real: the evaluation set's articles (``worker.simweb.evalset``) rendered by
the simulated web, extracted and published through the real publishing script, as in
``dedupe.py``; then copied under new article and story ids until there are ``--entries`` of
them (created, duplicate and updated events, stories of several members, article JSON of a
few KB each). Measured, each on a fresh database and the same rows, in batches of
``--batch`` (the consumer's default batch size):

1. **baseline**: ``executemany`` of plain ``INSERT``s into a table with the article columns,
   one transaction per batch: what a hand-written loader without idempotency costs;
2. **sink SQL**: ``Archive.apply`` (the upserts guarded by stream id, the members, the
   story sizes, the group's position), one transaction per batch;
3. **sink end to end**: ``wirestream sink postgres`` as a library call
   (``run_postgres_sink``): read from Redis by a consumer group, decoded, written, acked;
4. **replay**: the same group reset to the start and run again: every entry a no-op upsert.

    .venv/bin/python benchmarks/sink_postgres.py [--entries 5000] [--batch 100] [--repeat 3]
        [--redis-url redis://127.0.0.1:6379/0] [--postgres-dsn postgresql://postgres@127.0.0.1/test]

Everything it writes lives in a database ``bench_sink_<random>`` and under the Redis
namespace ``bench-sink-<random>``, both removed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import secrets
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import psycopg
import redis
from dedupe import UNINDEXED, WINDOW, prepare
from psycopg import conninfo, sql

from worker.adapters.stream import ArticleStream, DedupeSettings
from worker.consumer import Consumer, Start, StreamEntry
from worker.keys import Keys
from worker.sinks.postgres import Archive, ArticleRow, article_row, run_postgres_sink

_PLAIN_TABLE = """
CREATE TABLE plain_articles (
    id text, event text, stream_ms bigint, stream_seq bigint, url text, feed text,
    language text, cluster_id text, duplicate_of text, title text, published_at timestamptz,
    content_hash text, data jsonb
)
"""
_PLAIN_INSERT = """
INSERT INTO plain_articles (id, event, stream_ms, stream_seq, url, feed, language, cluster_id,
                            duplicate_of, title, published_at, content_hash, data)
VALUES (%(id)s, %(event)s, %(stream_ms)s, %(stream_seq)s, %(url)s, %(feed)s, %(language)s,
        %(cluster_id)s, %(duplicate_of)s, %(title)s, %(published_at)s, %(content_hash)s,
        %(data)s::jsonb)
"""


def base_entries(client: redis.Redis, keys: Keys) -> list[tuple[str, dict[str, str]]]:
    """The evaluation set published through the real script: its stream entries."""
    stream = ArticleStream(
        client, keys, maxlen=1_000_000, ttl_seconds=WINDOW,
        dedupe=DedupeSettings(threshold=0.75, window_seconds=WINDOW, mode="emit"),
    )  # fmt: skip
    for item in prepare():
        stream.publish(item.message, UNINDEXED, at=item.at)
    return [(str(i), dict(f)) for i, f in client.xrange(keys.articles_stream)]


def copies(base: list[tuple[str, dict[str, str]]], count: int) -> Iterator[dict[str, str]]:
    """``count`` entries: the base entries again and again, each round under new ids."""
    for number in range(count):
        round_, index = divmod(number, len(base))
        fields = base[index][1]

        def renamed(identifier: str, r: int = round_) -> str:
            return hashlib.md5(f"{identifier}-{r}".encode()).hexdigest() if r else identifier

        data = json.loads(fields["data"])
        data["id"] = renamed(data["id"])
        data["dedupe"]["cluster_id"] = renamed(data["dedupe"]["cluster_id"])
        if data["dedupe"]["duplicate_of"]:
            data["dedupe"]["duplicate_of"] = renamed(data["dedupe"]["duplicate_of"])
        copy = {**fields, "id": renamed(fields["id"]), "cluster": renamed(fields["cluster"])}
        if "duplicate_of" in copy:
            copy["duplicate_of"] = renamed(copy["duplicate_of"])
        copy["data"] = json.dumps(data, ensure_ascii=False)
        yield copy


@contextmanager
def bench_database(server_dsn: str) -> Iterator[Callable[[], str]]:
    """Makes fresh databases on the server; drops them all at the end."""
    made: list[str] = []

    def fresh() -> str:
        name = f"bench_sink_{secrets.token_hex(4)}"
        with psycopg.connect(server_dsn, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        made.append(name)
        return conninfo.make_conninfo(server_dsn, dbname=name)

    try:
        yield fresh
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as admin:
            for name in made:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def batches(rows: Sequence[ArticleRow], size: int) -> Iterator[Sequence[ArticleRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def baseline(dsn: str, rows: Sequence[ArticleRow], size: int) -> float:
    with psycopg.connect(dsn) as connection:
        connection.execute(_PLAIN_TABLE)
        connection.commit()
        started = time.perf_counter()
        for batch in batches(rows, size):
            with connection.transaction(), connection.cursor() as cursor:
                cursor.executemany(_PLAIN_INSERT, [row.parameters() for row in batch])
        return time.perf_counter() - started


def sink_sql(dsn: str, rows: Sequence[ArticleRow], size: int) -> float:
    with Archive.connect(dsn, group="bench") as archive:
        archive.migrate()
        started = time.perf_counter()
        for batch in batches(rows, size):
            archive.apply(batch)
        return time.perf_counter() - started


def end_to_end(dsn: str, client: redis.Redis, keys: Keys, group: str, size: int) -> float:
    with Archive.connect(dsn, group=group) as archive:
        archive.migrate()
        consumer = Consumer(
            client, group, keys=keys, consumer="bench", start=Start.beginning(), batch_size=size
        )
        started = time.perf_counter()
        run_postgres_sink(consumer, archive, until_idle=True)
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs each")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--postgres-dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()

    client = redis.Redis.from_url(args.redis_url, decode_responses=True)
    namespace = f"bench-sink-{secrets.token_hex(4)}"
    keys = Keys(namespace)
    try:
        base = base_entries(client, keys)
        client.delete(keys.articles_stream)
        pipe = client.pipeline(transaction=False)
        for fields in copies(base, args.entries):
            pipe.xadd(keys.articles_stream, fields)  # type: ignore[arg-type]
        pipe.execute()
        entries = [StreamEntry(str(i), dict(f)) for i, f in client.xrange(keys.articles_stream)]
        rows = [article_row(entry) for entry in entries]
        mean_kb = sum(len(row.data) for row in rows) / len(rows) / 1024
        events = sorted({row.event for row in rows})
        print(
            f"{len(rows)} entries from {len(base)} real articles ({', '.join(events)}),"
            f" data {mean_kb:.1f} KB each on average; batches of {args.batch}; best of"
            f" {args.repeat}"
        )
        with bench_database(args.postgres_dsn) as fresh:
            timings: dict[str, float] = {}

            def best(name: str, run: Callable[[], float]) -> None:
                timings[name] = min(run() for _ in range(args.repeat))

            best("baseline: plain INSERT executemany", lambda: baseline(fresh(), rows, args.batch))
            best("sink SQL: Archive.apply", lambda: sink_sql(fresh(), rows, args.batch))

            def through_the_consumer(replay: bool) -> float:
                dsn = fresh()
                group = f"g{secrets.token_hex(3)}"
                first = end_to_end(dsn, client, keys, group, args.batch)
                if not replay:
                    return first
                client.xgroup_setid(keys.articles_stream, group, "0")
                return end_to_end(dsn, client, keys, group, args.batch)

            best("sink end to end: Redis group -> PostgreSQL", lambda: through_the_consumer(False))
            best("replay: every entry again (no-op upserts)", lambda: through_the_consumer(True))

        reference = len(rows) / timings["baseline: plain INSERT executemany"]
        print(f"{'':44} {'rows/s':>9} {'x baseline':>11}")
        for name, seconds in timings.items():
            rate = len(rows) / seconds
            print(f"{name:44} {rate:9.0f} {rate / reference:11.2f}")
    finally:
        for key in client.scan_iter(match=f"{namespace}:*", count=1000):
            client.delete(key)
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
