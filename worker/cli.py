"""The ``wirestream`` command."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from worker.adapters.http import HttpClient, Kind
from worker.adapters.redis_client import RedisClient
from worker.adapters.store import FeedStore, Stats
from worker.adapters.stream import DeadLetters, StreamEntry, StreamReader
from worker.dead_letters import describe, retry_for
from worker.errors import ConfigError, WirestreamError
from worker.keys import ARTICLES_QUEUE, FEEDS_QUEUE, Keys
from worker.logs import configure_logging
from worker.models import FeedEntry, FeedRef, Response, utc_iso
from worker.runtime import (
    Children,
    child_environment,
    redis_for,
    start_beat,
    wait_until_idle,
    worker_command,
)
from worker.settings import Settings, load_settings
from worker.stages.extract import extract_page
from worker.stages.feeds import parse_feed
from worker.stages.opml import render_opml
from worker.stages.publish import article_data, build_article
from worker.stages.tag import tag_article
from worker.stages.urls import canonical_url
from worker.subscriptions import import_opml, new_feed

Handler = Callable[[argparse.Namespace, Settings], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        handler: Handler = args.handler
        return handler(args, settings)
    except ConfigError as error:
        print(f"wirestream: {error}", file=sys.stderr)
        return 2
    except WirestreamError as error:
        print(f"wirestream: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `wirestream tail | head`
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wirestream",
        description="News feeds in; clean, deduplicated, tagged articles out on a Redis stream.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    feeds = commands.add_parser("feeds", help="manage the feed list").add_subparsers(
        dest="feeds_command", required=True, metavar="ACTION"
    )
    add = feeds.add_parser("add", help="subscribe to a feed")
    add.add_argument("url", help="the feed's URL")
    add.add_argument("--name", help="a title for the feed")
    add.add_argument("--tag", action="append", default=[], help="a tag for its articles")
    add.set_defaults(handler=feeds_add)
    imp = feeds.add_parser("import", help="subscribe to every feed of an OPML file or URL")
    imp.add_argument("source", help="OPML file, URL, or - for standard input")
    imp.set_defaults(handler=feeds_import)
    feeds.add_parser("export", help="the feed list as OPML on standard output").set_defaults(
        handler=feeds_export
    )
    feeds.add_parser("list", help="one JSON line per feed, with its state").set_defaults(
        handler=feeds_list
    )
    remove = feeds.add_parser("remove", help="unsubscribe from a feed")
    remove.add_argument("url")
    remove.set_defaults(handler=feeds_remove)

    worker = commands.add_parser("worker", help="a Celery worker for one or both queues")
    worker.add_argument(
        "--queues", default=f"{FEEDS_QUEUE},{ARTICLES_QUEUE}",
        help="comma-separated: feeds, articles (default both, one worker each)",
    )  # fmt: skip
    worker.add_argument("--concurrency", type=positive_int, help="threads or processes")
    worker.set_defaults(handler=run_worker)
    commands.add_parser("beat", help="the scheduler (run exactly one)").set_defaults(
        handler=run_beat
    )

    run = commands.add_parser("run", help="scheduler and workers for both queues in one command")
    run.add_argument(
        "--until-idle", action="store_true",
        help="poll every feed once, process everything found, print a summary and exit",
    )  # fmt: skip
    run.add_argument(
        "--timeout",
        type=positive_float,
        default=1800.0,
        help="with --until-idle: give up after this many seconds (default 1800)",
    )
    run.set_defaults(handler=run_pipeline)

    dead = commands.add_parser("dead", help="the dead-letter stream").add_subparsers(
        dest="dead_command", required=True, metavar="ACTION"
    )
    dead.add_parser("list", help="one JSON line per dead letter, oldest first").set_defaults(
        handler=dead_list
    )
    retry = dead.add_parser("retry", help="send dead letters back to their task; remove them")
    retry.add_argument(
        "ids", nargs="*", type=stream_id, metavar="ID", help="dead-letter ids (from dead list)"
    )
    retry.add_argument("--all", action="store_true", help="every dead letter")
    retry.set_defaults(handler=dead_retry)

    tail = commands.add_parser("tail", help="the article stream as JSON lines")
    tail.add_argument("--from-start", action="store_true", help="begin at the oldest entry")
    tail.add_argument("--group", help="read as this consumer group (acknowledging)")
    tail.add_argument("--consumer", help="consumer name within --group")
    tail.add_argument("--count", type=positive_int, help="stop after this many entries")
    tail.add_argument("--no-follow", action="store_true", help="stop at the end of the stream")
    tail.set_defaults(handler=tail_stream)

    extract = commands.add_parser("extract", help="the article JSON for one page")
    extract.add_argument("source", help="HTML file (.gz too), URL, or - for standard input")
    extract.add_argument("--url", help="the page's URL, when reading a file")
    extract.set_defaults(handler=extract_one)

    parse = commands.add_parser("parse-feed", help="a parsed feed as JSON lines")
    parse.add_argument("source", help="feed file (.gz too), URL, or - for standard input")
    parse.set_defaults(handler=parse_one_feed)

    simweb = commands.add_parser("simweb", help="serve the simulated news web")
    simweb.add_argument("--port", type=port_number, default=8765)
    simweb.set_defaults(handler=serve_simweb)

    demo = commands.add_parser("demo", help="the simulated web, the pipeline and a live view")
    demo.add_argument("--port", type=port_number, default=0, help="simulated web port")
    demo.add_argument("--duration", type=positive_float, help="stop after this many seconds")
    demo.set_defaults(handler=run_demo)
    return parser


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
    return value


def stream_id(text: str) -> str:
    milliseconds, dash, sequence = text.partition("-")
    if not (milliseconds.isdigit() and dash and sequence.isdigit()):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a stream entry id (like 1764489600000-0)"
        )
    return text


def port_number(text: str) -> int:
    value = positive_int(text) if text != "0" else 0
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number")
    return value


# --- feeds ---------------------------------------------------------------------------------


def feeds_add(args: argparse.Namespace, settings: Settings) -> int:
    feed = new_feed(args.url, args.name, tuple(args.tag), added_at=now())
    with redis_for(settings) as (_, client):
        created = FeedStore(client, Keys(settings.namespace)).add(feed, poll_at=now())
    print(f"{'added' if created else 'updated'} {feed.url} (id {feed.id})")
    return 0


def feeds_import(args: argparse.Namespace, settings: Settings) -> int:
    body = read_source(args.source, settings, kind="feed", max_bytes=settings.max_feed_bytes)
    with redis_for(settings) as (_, client):
        store = FeedStore(client, Keys(settings.namespace))
        report = import_opml(store, body, source=args.source, now=now())
    for problem in report.skipped:
        print(f"wirestream: skipped: {problem}", file=sys.stderr)
    print(f"imported {report.listed} feeds from {args.source} ({report.created} new)")
    return 0


def feeds_export(args: argparse.Namespace, settings: Settings) -> int:
    with redis_for(settings) as (_, client):
        feeds = FeedStore(client, Keys(settings.namespace)).all()
    sys.stdout.write(render_opml(feeds, title="wirestream feeds", created=now()))
    return 0


def feeds_list(args: argparse.Namespace, settings: Settings) -> int:
    with redis_for(settings) as (_, client):
        keys = Keys(settings.namespace)
        feeds = FeedStore(client, keys).all()
        due = FeedStore(client, keys).due_times()
    for feed in feeds:
        state = feed.to_payload()
        state["next_poll_at"] = utc_iso(due.get(feed.id))
        print(json.dumps(state, ensure_ascii=False))
    return 0


def feeds_remove(args: argparse.Namespace, settings: Settings) -> int:
    feed = new_feed(args.url, None, (), added_at=now())
    with redis_for(settings) as (_, client):
        removed = FeedStore(client, Keys(settings.namespace)).remove(feed.id)
    if not removed:
        raise WirestreamError(f"feeds remove: no feed {feed.url}")
    print(f"removed {feed.url}")
    return 0


# --- processes -----------------------------------------------------------------------------


def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    queues = [queue.strip() for queue in args.queues.split(",") if queue.strip()]
    unknown = set(queues) - {FEEDS_QUEUE, ARTICLES_QUEUE}
    if unknown or not queues:
        raise ConfigError(f"worker: --queues: unknown queue {', '.join(sorted(unknown))!r}")
    with redis_for(settings) as (url, _):
        children = Children(child_environment(settings, url))
        for queue in queues:
            children.start(f"worker-{queue}", worker_command(queue, settings, args.concurrency))
        return supervise(children)


def run_beat(args: argparse.Namespace, settings: Settings) -> int:
    with redis_for(settings) as (url, _):
        children = Children(child_environment(settings, url))
        start_beat(children, settings)
        return supervise(children)


def run_pipeline(args: argparse.Namespace, settings: Settings) -> int:
    with redis_for(settings) as (url, client):
        children = Children(child_environment(settings, url))
        for queue in (FEEDS_QUEUE, ARTICLES_QUEUE):
            children.start(f"worker-{queue}", worker_command(queue, settings))
        if not args.until_idle:
            start_beat(children, settings)
            return supervise(children)
        try:
            print_summary(poll_all_until_idle(settings, client, children, args.timeout))
        finally:
            children.stop()
    return 0


def poll_all_until_idle(
    settings: Settings, client: RedisClient, children: Children, timeout: float
) -> dict[str, int]:
    """Send every feed a poll now, wait until all work is done, return what it counted."""
    from worker.tasks import poll_feed

    keys = Keys(settings.namespace)
    stats = Stats(client, keys)
    before = stats.snapshot()
    for feed in FeedStore(client, keys).all():
        poll_feed.apply_async((feed.id,), queue=FEEDS_QUEUE, argsrepr=repr(feed.url))
    wait_until_idle(client, keys, children, timeout=timeout)
    after = stats.snapshot()
    return {name: after.get(name, 0) - before.get(name, 0) for name in after}


def print_summary(counts: dict[str, int]) -> None:
    failed = sum(value for name, value in counts.items() if name.startswith("failed."))
    polled = counts.get("feeds.polled", 0) + counts.get("feeds.not_modified", 0)
    print(
        f"feeds polled: {polled} (not modified: {counts.get('feeds.not_modified', 0)},"
        f" failed: {counts.get('feeds.failed', 0)}); new entries: {counts.get('entries.new', 0)};"
        f" articles published: {counts.get('article.created', 0)},"
        f" updated: {counts.get('article.updated', 0)},"
        f" duplicates: {counts.get('article.duplicate', 0)}; failures: {failed}"
    )


def supervise(children: Children) -> int:
    """Run until Ctrl-C, SIGTERM or a child's exit; then stop every child gracefully."""
    stopping = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = signal.signal(signal.SIGTERM, request_stop)
    try:
        while not stopping and not children.exited():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        dead = children.exited()
        children.stop()
    if dead and not stopping:
        print(f"wirestream: exited: {', '.join(dead)}", file=sys.stderr)
        return 1
    return 0


# --- stream --------------------------------------------------------------------------------


def tail_stream(args: argparse.Namespace, settings: Settings) -> int:
    if bool(args.group) != bool(args.consumer):
        raise ConfigError("tail: --group and --consumer go together")
    printed = 0
    with redis_for(settings) as (_, client):
        reader = StreamReader(client, Keys(settings.namespace).articles_stream)
        for stream_id, fields in follow_stream(reader, args):
            print(json.dumps(decode_entry(stream_id, fields), ensure_ascii=False), flush=True)
            if args.group:
                reader.ack(args.group, stream_id)
            printed += 1
            if args.count and printed >= args.count:
                break
    return 0


def follow_stream(reader: StreamReader, args: argparse.Namespace) -> Iterator[StreamEntry]:
    block_ms = None if args.no_follow else 5000
    if args.group:
        reader.ensure_group(args.group, from_start=args.from_start)
    last = "0" if args.from_start else reader.newest_id()
    while True:
        if args.group:
            entries = reader.read_group(args.group, args.consumer, count=100, block_ms=block_ms)
        else:
            entries = reader.read_after(last, count=100, block_ms=block_ms)
        if not entries and args.no_follow:
            return
        for entry in entries:
            last = entry[0]
            yield entry


# --- dead letters --------------------------------------------------------------------------


def dead_list(args: argparse.Namespace, settings: Settings) -> int:
    with redis_for(settings) as (_, client):
        entries = DeadLetters(client, Keys(settings.namespace), maxlen=1).entries()
    for entry_id, fields in entries:
        print(json.dumps(describe(entry_id, fields), ensure_ascii=False))
    return 0


def dead_retry(args: argparse.Namespace, settings: Settings) -> int:
    if bool(args.ids) == bool(args.all):
        raise ConfigError("dead retry: give dead-letter ids or --all, not both or neither")
    from worker.tasks import poll_feed, process_entry

    failed = 0
    with redis_for(settings) as (_, client):
        dead = DeadLetters(client, Keys(settings.namespace), maxlen=1)
        entries = dead.entries(None if args.all else args.ids)
        missing = set(args.ids) - {entry_id for entry_id, _ in entries}
        for entry_id in sorted(missing):
            print(f"wirestream: dead retry: no dead letter {entry_id}", file=sys.stderr)
        for entry_id, fields in entries:
            try:
                retry = retry_for(entry_id, fields)
            except WirestreamError as error:
                print(f"wirestream: {error}", file=sys.stderr)
                failed += 1
                continue
            if retry.task == "process_entry":
                process_entry.apply_async((retry.argument,), queue=ARTICLES_QUEUE)
            else:
                poll_feed.apply_async((retry.argument,), queue=FEEDS_QUEUE)
            dead.remove(entry_id)
            print(json.dumps({"id": entry_id, "task": retry.task, "retried": True}))
    return 1 if failed or missing else 0


def decode_entry(stream_id: str, fields: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = {"stream_id": stream_id, **fields}
    if "data" in fields:
        decoded["data"] = json.loads(fields["data"])
    return decoded


# --- one page, one feed --------------------------------------------------------------------


def extract_one(args: argparse.Namespace, settings: Settings) -> int:
    fetched_at = now()
    if is_url(args.source):
        response = guarded_client(settings).fetch(
            args.source, kind="article", max_bytes=settings.max_page_bytes
        )
    else:
        body = read_source(args.source, settings, kind="article", max_bytes=settings.max_page_bytes)
        response = Response(args.source, args.url or "", 200, {}, body, fetched_at)
    page = extract_page(
        response.body, url=response.final_url or args.source, content_type=response.content_type
    )
    url = response.final_url or page.canonical_url
    if not url or not is_url(url):
        raise ConfigError(f"extract: {args.source}: the page names no canonical URL; give --url")
    response = Response(
        response.requested_url,
        url,
        response.status,
        response.headers,
        response.body,
        response.fetched_at,
        response.redirects,
    )
    entry = FeedEntry(
        feed=FeedRef(id="", url="", title=None), url=canonical_url(url), source_url=url,
        guid=None, title=page.title, published=None, discovered_at=fetched_at,
    )  # fmt: skip
    article = build_article(entry, response, page, tag_article(page, entry), processed_at=now())
    data = article_data(article)
    data["dedupe"] = {
        "content_hash": article.content_hash,
        "cluster_id": article.id,
        "duplicate_of": None,
        "similarity": None,
    }
    print(json.dumps(data, ensure_ascii=False))
    return 0


def parse_one_feed(args: argparse.Namespace, settings: Settings) -> int:
    if is_url(args.source):
        response = guarded_client(settings).fetch(
            args.source, kind="feed", max_bytes=settings.max_feed_bytes
        )
        parsed = parse_feed(
            response.body, url=response.final_url, content_type=response.content_type
        )
    else:
        body = read_source(args.source, settings, kind="feed", max_bytes=settings.max_feed_bytes)
        parsed = parse_feed(body, url=Path(args.source).resolve().as_uri())
    print(
        json.dumps(
            {
                "format": parsed.format,
                "title": parsed.title,
                "link": parsed.link,
                "encoding": parsed.encoding,
                "entries": len(parsed.entries),
                "problems": list(parsed.problems),
            },
            ensure_ascii=False,
        )
    )
    for entry in parsed.entries:
        print(json.dumps({
            "link": entry.link, "guid": entry.guid, "title": entry.title,
            "published": utc_iso(entry.published), "updated": utc_iso(entry.updated),
            "authors": list(entry.authors), "categories": list(entry.categories),
            "summary": entry.summary,
        }, ensure_ascii=False))  # fmt: skip
    return 0


def read_source(source: str, settings: Settings, *, kind: Kind, max_bytes: int) -> bytes:
    """Bytes of a URL (fetched through the guard), a file (.gz inflated) or standard input."""
    if is_url(source):
        return guarded_client(settings).fetch(source, kind=kind, max_bytes=max_bytes).body
    if source == "-":
        return sys.stdin.buffer.read(max_bytes + 1)[:max_bytes]
    path = Path(source)
    try:
        raw = path.read_bytes()
        return gzip.decompress(raw) if path.suffix == ".gz" else raw
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise ConfigError(f"{source}: cannot read: {error}") from None


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def guarded_client(settings: Settings) -> HttpClient:
    return HttpClient.from_settings(settings)


# --- simulated web and demo ----------------------------------------------------------------


def serve_simweb(args: argparse.Namespace, settings: Settings) -> int:
    from worker.simweb import serve_forever

    serve_forever("127.0.0.1", args.port, corpus_dir=corpus_dir())
    return 0


def corpus_dir() -> Path | None:
    path = Path(os.environ.get("WIRESTREAM_CORPUS") or "../shared/data")
    return path if path.is_dir() else None


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    from worker.demo import run_demo as demo

    return demo(settings, port=args.port, duration=args.duration)


def now() -> datetime:
    return datetime.now(UTC)


if __name__ == "__main__":
    sys.exit(main())
