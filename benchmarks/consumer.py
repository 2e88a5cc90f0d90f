"""What the consumer API costs over a bare redis-py loop, on the same stream, in the same run.

A stream of ``--entries`` article-sized entries (the catalog's articles as the publisher
writes them: flat fields and the article JSON, a few kB each) is read to its end by:

- **baseline**: a bare redis-py loop, ``XREADGROUP COUNT <batch>`` then ``XACK`` of the batch,
  nothing else (no claims, no retries, no gap check, no dead letters);
- **consumer**: :class:`worker.consumer.Consumer` with a no-op handler (own pending checked,
  XAUTOCLAIM pass, the gap check in one MULTI with the read, ack after the handler);

each on a fresh group, one after the other in alternating order, ``--repeat`` times (the
figure: the median of the pairs' ratios; the best runs and client CPU per entry beside).
Then the same two with ``data`` parsed (``json.loads`` in the loop; ``entry.data`` in the handler),
which is what a real handler pays. Ratios are consumer / baseline throughput.

    .venv/bin/python benchmarks/consumer.py [--redis-url URL] [--entries 20000] [--repeat 5]

Everything it writes lives under ``bench-consumer-<random>:`` and is deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import time
from collections.abc import Callable
from functools import partial

import redis

from worker.adapters.redis_client import connect
from worker.consumer import Consumer, Start, StreamEntry
from worker.keys import Keys
from worker.simweb import catalog
from worker.stages.urls import article_id


def fill(client: redis.Redis, keys: Keys, count: int) -> int:
    """``count`` entries shaped as the publisher writes them; returns their mean size."""
    sizes = []
    pipe = client.pipeline(transaction=False)
    for number in range(count):
        article = catalog.ARTICLES[number % len(catalog.ARTICLES)]
        url = f"https://{article.outlet}.example/{number}"
        data = {
            "url": url, "title": article.title, "text": "\n\n".join(article.paragraphs),
            "authors": list(article.authors), "language": "en", "tags": {"places": []},
        }  # fmt: skip
        fields = {
            "schema": "wirestream.article/1", "event": "article.created", "id": article_id(url),
            "url": url, "feed": "feed0", "lang": "en", "cluster": article_id(url),
            "data": json.dumps(data, ensure_ascii=False),
        }  # fmt: skip
        sizes.append(sum(len(k) + len(v) for k, v in fields.items()))
        pipe.xadd(keys.articles_stream, fields)  # type: ignore[arg-type]
        if number % 500 == 499:
            pipe.execute()
    pipe.execute()
    return sum(sizes) // len(sizes)


def bare_loop(client: redis.Redis, stream: str, group: str, batch: int, parse: bool) -> int:
    client.xgroup_create(stream, group, "0")
    read = 0
    while True:
        reply = client.xreadgroup(group, "bare", {stream: ">"}, count=batch)
        if not reply:
            return read
        entries = reply[0][1]
        if parse:
            for _, fields in entries:
                json.loads(fields["data"])
        client.xack(stream, group, *(entry_id for entry_id, _ in entries))
        read += len(entries)


def with_consumer(client: redis.Redis, keys: Keys, group: str, batch: int, parse: bool) -> int:
    def parse_data(entry: StreamEntry) -> None:
        entry.data  # noqa: B018 parsing is the point

    handler: Callable[[StreamEntry], None] = parse_data if parse else lambda entry: None
    consumer = Consumer(
        client, group, keys=keys, consumer="api", start=Start.beginning(), batch_size=batch
    )
    return consumer.run(handler, until_idle=True)


def timed(run: Callable[[], int]) -> tuple[int, float, float]:
    """Entries read, wall seconds, CPU seconds of this process."""
    started, cpu_started = time.perf_counter(), time.process_time()
    count = run()
    return count, time.perf_counter() - started, time.process_time() - cpu_started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    client = connect(args.redis_url)
    keys = Keys(f"bench-consumer-{secrets.token_hex(4)}")
    try:
        size = fill(client, keys, args.entries)
        print(f"stream: {args.entries} entries, {size} bytes each on average, batch {args.batch}")
        for parse in (False, True):
            rates: dict[str, list[float]] = {"baseline": [], "consumer": []}
            cpu: dict[str, list[float]] = {"baseline": [], "consumer": []}
            for attempt in range(args.repeat):
                suffix = f"{parse}{attempt}"
                runs: dict[str, Callable[[], int]] = {
                    "baseline": partial(
                        bare_loop, client, keys.articles_stream, f"b{suffix}", args.batch, parse
                    ),
                    "consumer": partial(
                        with_consumer, client, keys, f"c{suffix}", args.batch, parse
                    ),
                }
                order = list(runs) if attempt % 2 == 0 else list(reversed(runs))
                for name in order:
                    count, seconds, cpu_seconds = timed(runs[name])
                    assert count == args.entries, f"{name} read {count} of {args.entries}"
                    rates[name].append(count / seconds)
                    cpu[name].append(cpu_seconds / count * 1e6)
            # Each pair ran back to back, so a busy machine slows both alike: the median of
            # the pairs' ratios is the figure; best runs and client CPU per entry beside it.
            pairs = [c / b for b, c in zip(rates["baseline"], rates["consumer"], strict=True)]
            label = "data parsed" if parse else "no-op handler"
            print(
                f"{label:<14} best: baseline {max(rates['baseline']):6.0f}/s,"
                f" consumer {max(rates['consumer']):6.0f}/s"
                f" ({max(rates['consumer']) / max(rates['baseline']):.2f}x);"
                f" median of {args.repeat} pairs {statistics.median(pairs):.2f}x;"
                f" client CPU per entry: baseline {statistics.median(cpu['baseline']):.0f} us,"
                f" consumer {statistics.median(cpu['consumer']):.0f} us"
            )
    finally:
        for key in client.scan_iter(match=f"{keys.namespace}:*", count=1000):
            client.delete(key)
        client.close()


if __name__ == "__main__":
    main()
