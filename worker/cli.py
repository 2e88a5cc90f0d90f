"""The ``wirestream`` command."""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from worker.adapters.http import HttpClient, Kind
from worker.adapters.redis_client import RedisClient
from worker.adapters.store import FeedStore, Stats
from worker.adapters.stream import Clusters, DeadLetters
from worker.command import OneLineParser, http_url, positive_float, run
from worker.consumer_commands import (
    add_group_options,
    add_start_options,
    consume,
    group_dead_list,
    group_dead_retry,
    groups_list,
    groups_reset,
    member_name,
    redis_url,
    tail_stream,
)
from worker.dead_letters import describe, retry_for
from worker.errors import ConfigError, PermanentError, WirestreamError
from worker.health import HELP as HEALTH_HELP
from worker.health import add_arguments as add_health_arguments
from worker.health import check_health
from worker.keys import ARTICLES_QUEUE, FEEDS_QUEUE, Keys
from worker.live import LiveView
from worker.logs import get_logger
from worker.models import Article, Feed, FeedEntry, FeedRef, Response, utc_iso
from worker.runtime import (
    Children,
    broker_for,
    child_environment,
    redis_for,
    start_beat,
    wait_until_idle,
    wait_until_workers_ready,
    worker_command,
)
from worker.services import build_tagger, load_rules
from worker.settings import NAMESPACE_PATTERN, Settings
from worker.sinks.commands import add_sink_parsers
from worker.stages.extract import extract_page
from worker.stages.feeds import parse_feed
from worker.stages.opml import render_opml
from worker.stages.publish import article_data, build_article
from worker.stages.schedule import is_stale
from worker.stages.urls import canonical_url
from worker.subscriptions import find_feeds, import_feed_list, new_feed

log = get_logger("wirestream")

# An articles worker waits up to a minute for its CPU processes (worker.tasks), on top of
# Celery's own start; past this, `run --until-idle` polls anyway.
WORKERS_START_TIMEOUT = 90.0


def main(argv: Sequence[str] | None = None) -> int:
    """``wirestream`` with every command (the installed script starts at worker.command)."""
    parsed = build_parser().parse_args(argv)
    return run(parsed.handler, parsed)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="wirestream",
        description="News feeds in; clean, deduplicated, tagged articles out on a Redis stream.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    feeds = commands.add_parser("feeds", help="manage the feed list").add_subparsers(
        dest="feeds_command", required=True, metavar="ACTION"
    )
    add = feeds.add_parser("add", help="subscribe to a feed, or to the feeds a web page names")
    add.add_argument("url", help="the feed's URL, or a web page's (its feeds are found)")
    add.add_argument("--name", help="a title for the feed")
    add.add_argument("--tag", action="append", default=[], help="a tag for its articles")
    add.add_argument(
        "--no-check", action="store_true", help="save the URL as given, without fetching it"
    )
    add.set_defaults(handler=feeds_add)
    imp = feeds.add_parser("import", help="subscribe to every feed of an OPML or TOML list")
    imp.add_argument("source", help="OPML or .toml file, URL, or - for standard input (OPML)")
    imp.set_defaults(handler=feeds_import)
    feeds.add_parser("export", help="the feed list as OPML on standard output").set_defaults(
        handler=feeds_export
    )
    feeds.add_parser("list", help="one JSON line per feed, with its state").set_defaults(
        handler=feeds_list
    )
    status = feeds.add_parser("status", help="how each feed is doing, and when it is next polled")
    status.add_argument("url", nargs="?", help="only this feed")
    status.set_defaults(handler=feeds_status)
    remove = feeds.add_parser("remove", help="unsubscribe from a feed")
    remove.add_argument("url")
    remove.set_defaults(handler=feeds_remove)

    worker = commands.add_parser("worker", help="a Celery worker for one or both queues")
    worker.add_argument(
        "--queues", default=f"{FEEDS_QUEUE},{ARTICLES_QUEUE}",
        help="comma-separated: feeds, articles (default both, one worker each)",
    )  # fmt: skip
    worker.add_argument("--concurrency", type=positive_int, help="threads or processes")
    worker.add_argument(
        "--max-tasks-per-child", type=positive_int,
        help="articles (prefork) worker: replace a pool process after this many tasks",
    )  # fmt: skip
    worker.add_argument(
        "--max-memory-per-child", type=positive_int, metavar="KIB",
        help="articles (prefork) worker: replace a pool process above this resident memory",
    )  # fmt: skip
    worker.set_defaults(handler=run_worker)
    commands.add_parser("beat", help="the scheduler (run exactly one)").set_defaults(
        handler=run_beat
    )

    commands.add_parser(
        "flower", help="Flower, Celery's web monitor (options from FLOWER_* variables)"
    ).set_defaults(handler=run_flower)
    metrics = commands.add_parser("metrics", help="serve pipeline metrics for Prometheus")
    metrics.add_argument("--host", default="127.0.0.1", help="address to listen on")
    metrics.add_argument("--port", type=port_number, default=9808)
    metrics.set_defaults(handler=serve_pipeline_metrics)
    commands.add_parser("status", help="a one-screen summary of the pipeline").set_defaults(
        handler=show_status
    )
    health = commands.add_parser("health", help=HEALTH_HELP)
    add_health_arguments(health)
    health.set_defaults(handler=check_health)

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
    add_letter_choice(retry, listed_by="dead list")
    retry.set_defaults(handler=dead_retry)

    tail = commands.add_parser("tail", help="the article stream as JSON lines")
    add_group_options(tail, group_required=False)
    tail.add_argument("--count", type=positive_int, help="stop after this many entries")
    tail.add_argument("--no-follow", action="store_true", help="stop at the end of the stream")
    tail.set_defaults(handler=tail_stream)

    consume_parser = commands.add_parser(
        "consume", help="run a command per entry (JSON on its stdin); ack when it exits 0"
    )
    add_group_options(consume_parser, group_required=True)
    consume_parser.add_argument("--count", type=positive_int, help="stop after this many entries")
    consume_parser.add_argument(
        "--timeout",
        type=positive_float,
        help="seconds COMMAND may run for one entry; past it, it is killed and the entry"
        " counts as failed (default: no limit)",
    )
    consume_parser.add_argument(
        "--no-follow", action="store_true", help="stop when nothing is left to read"
    )
    consume_parser.add_argument(
        "command", nargs=argparse.REMAINDER, metavar="-- COMMAND ...", help="the command to run"
    )
    consume_parser.set_defaults(handler=consume)

    groups = commands.add_parser("groups", help="the consumer groups of the article stream")
    groups.set_defaults(handler=groups_list)
    groups_actions = groups.add_subparsers(dest="groups_command", metavar="ACTION")
    reset = groups_actions.add_parser("reset", help="move a group to a time or an entry id")
    reset.add_argument("name", metavar="GROUP", type=member_name)
    add_start_options(reset, what="the group restarts")
    reset.set_defaults(handler=groups_reset)
    group_dead = groups_actions.add_parser(
        "dead", help="a group's dead letters: entries its handler failed on"
    ).add_subparsers(dest="group_dead_command", required=True, metavar="ACTION")
    group_dead_list_parser = group_dead.add_parser(
        "list", help="one JSON line per dead letter of GROUP, oldest first"
    )
    group_dead_list_parser.add_argument("name", metavar="GROUP", type=member_name)
    group_dead_list_parser.set_defaults(handler=group_dead_list)
    group_retry = group_dead.add_parser(
        "retry", help="deliver dead letters to GROUP's consumers again; remove them"
    )
    group_retry.add_argument("name", metavar="GROUP", type=member_name)
    add_letter_choice(group_retry, listed_by="groups dead list")
    group_retry.set_defaults(handler=group_dead_retry)

    add_sink_parsers(commands)

    commands.add_parser(
        "redis-url", help="the Redis URL the commands use (the embedded server's socket too)"
    ).set_defaults(handler=redis_url)

    cluster = commands.add_parser(
        "cluster", help="the members of a story: outlet, time and similarity of each"
    )
    cluster.add_argument("id", type=article_id_argument, help="cluster id, or any member's id")
    cluster.set_defaults(handler=show_cluster)

    extract = commands.add_parser("extract", help="the article JSON for one page")
    extract.add_argument("source", help="HTML file (.gz too), URL, or - for standard input")
    extract.add_argument("--url", type=http_url, help="the page's URL, when reading a file")
    extract.set_defaults(handler=extract_one)

    rules = commands.add_parser("rules", help="user rules").add_subparsers(
        dest="rules_command", required=True, metavar="ACTION"
    )
    rules_test = rules.add_parser("test", help="which rules an article page would fire")
    rules_test.add_argument("source", help="HTML file (.gz too), URL, or - for standard input")
    rules_test.add_argument("--url", type=http_url, help="the page's URL, when reading a file")
    rules_test.add_argument("--rules", type=Path, help="rules file (default: rules_file)")
    rules_test.add_argument(
        "--cluster-size", type=positive_int, default=1,
        help="the story's size for rules on cluster_size (default 1: the page alone)",
    )  # fmt: skip
    rules_test.set_defaults(handler=test_rules)

    parse = commands.add_parser("parse-feed", help="a parsed feed as JSON lines")
    parse.add_argument("source", help="feed file (.gz too), URL, or - for standard input")
    parse.set_defaults(handler=parse_one_feed)

    simweb = commands.add_parser("simweb", help="serve the simulated news web")
    simweb.add_argument("--host", default="127.0.0.1", help="address to listen on")
    simweb.add_argument("--port", type=port_number, default=8765)
    simweb.add_argument(
        "--public-url", help="the base URL its links use, when clients reach it by another name"
    )
    simweb.set_defaults(handler=serve_simweb)

    demo = commands.add_parser("demo", help="the simulated web, the pipeline and a live view")
    demo.add_argument("--port", type=port_number, default=0, help="simulated web port")
    demo.add_argument("--duration", type=positive_float, help="stop after this many seconds")
    demo.set_defaults(handler=run_demo)

    acl = commands.add_parser(
        "acl", help="the Redis ACL file: pipeline, consumer and admin users (docs/security.md)"
    )
    acl.add_argument(
        "--namespace", help="the namespace the users may use (default: the namespace setting)"
    )
    acl.set_defaults(handler=write_acl_file)
    return parser


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def article_id_argument(text: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{32}", text):
        raise argparse.ArgumentTypeError(f"an article id is 32 hex digits (got {text!r})")
    return text


def add_letter_choice(parser: argparse.ArgumentParser, *, listed_by: str) -> None:
    """Which dead letters a retry takes: ids, or ``--all``."""
    parser.add_argument(
        "ids", nargs="*", type=stream_id, metavar="ID", help=f"dead-letter ids (from {listed_by})"
    )
    parser.add_argument("--all", action="store_true", help="every dead letter")


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
    found = [(args.url, args.name)]
    if not args.no_check:
        new_feed(args.url, None, (), added_at=now())  # a malformed URL exits 2 before a fetch
        with guarded_client(settings) as http:
            feeds = find_feeds(http, args.url, max_bytes=settings.max_feed_bytes)
        found = [(feed.url, args.name or feed.title) for feed in feeds]
    with redis_for(settings) as (_, client):
        store = FeedStore(client, Keys.for_settings(settings))
        for url, title in found:
            feed = new_feed(url, title, tuple(args.tag), added_at=now())
            created = store.add(feed, poll_at=now())
            print(f"{'added' if created else 'updated'} {feed.url} (id {feed.id})")
    return 0


def feeds_import(args: argparse.Namespace, settings: Settings) -> int:
    body = read_source(args.source, settings, kind="feed", max_bytes=settings.max_feed_bytes)
    with redis_for(settings) as (_, client):
        store = FeedStore(client, Keys.for_settings(settings))
        report = import_feed_list(store, body, source=args.source, now=now())
    for problem in report.skipped:
        print(f"wirestream: feeds import: {problem}", file=sys.stderr)
    imported = report.listed - len(report.skipped)
    skipped = f", {len(report.skipped)} skipped" if report.skipped else ""
    print(
        f"imported {imported} of {report.listed} feeds from {args.source}"
        f" ({report.created} new{skipped})"
    )
    return 0


def feeds_export(args: argparse.Namespace, settings: Settings) -> int:
    with redis_for(settings) as (_, client):
        feeds = FeedStore(client, Keys.for_settings(settings)).all()
    sys.stdout.write(render_opml(feeds, title="wirestream feeds", created=now()))
    return 0


def feeds_list(args: argparse.Namespace, settings: Settings) -> int:
    with redis_for(settings) as (_, client):
        keys = Keys.for_settings(settings)
        feeds = FeedStore(client, keys).all()
        due = FeedStore(client, keys).due_times()
    for feed in feeds:
        state = feed.to_payload()
        state["next_poll_at"] = utc_iso(due.get(feed.id))
        print(json.dumps(state, ensure_ascii=False))
    return 0


def feeds_status(args: argparse.Namespace, settings: Settings) -> int:
    with redis_for(settings) as (_, client):
        store = FeedStore(client, Keys.for_settings(settings))
        feeds = store.all()
        due = store.due_times()
    if args.url:
        wanted = new_feed(args.url, None, (), added_at=now())
        # A feed that moved is found by its current URL and by the ones it had before.
        feeds = [
            feed
            for feed in feeds
            if feed.id == wanted.id or args.url in (feed.url, *feed.previous_urls)
        ]
        if not feeds:
            raise WirestreamError(f"feeds status: no feed {args.url}")
    moment = now()
    for feed in feeds:
        stale = is_stale(feed.last_new_entry_at or feed.added_at, feed.entries_per_day, moment)
        print(f"{feed.url}{'  STALE' if stale else ''}")
        for label, value in status_rows(feed, due.get(feed.id)):
            print(f"  {label:<15}{value}")
    return 0


def status_rows(feed: Feed, next_poll: datetime | None) -> list[tuple[str, str]]:
    result = feed.last_result or "never polled"
    if feed.last_status:
        result += f" ({feed.last_status})"
    yield_text = (
        f"{feed.new_entries / feed.polls:.2f} new entries per poll over {feed.polls} polls"
        if feed.polls
        else "not polled yet"
    )
    rate = f"{feed.entries_per_day:.1f} entries/day" if feed.entries_per_day else "unknown"
    rows = [
        ("title", f"{feed.title or '-'} (id {feed.id})"),
        ("last poll", f"{utc_iso(feed.last_polled_at) or '-'}  {result}"),
        ("last new entry", utc_iso(feed.last_new_entry_at) or "-"),
        ("next poll", f"{utc_iso(next_poll) or '-'}  ({feed.next_poll_reason or 'new feed'})"),
        ("errors", f"{feed.consecutive_failures} in a row ({feed.error_grade or 'none'})"),
        ("last error", feed.last_error or "-"),
        ("yield", yield_text),
        ("publishing", rate),
    ]
    if feed.previous_urls:
        rows.append(("moved from", ", ".join(feed.previous_urls)))
    return rows


def feeds_remove(args: argparse.Namespace, settings: Settings) -> int:
    feed = new_feed(args.url, None, (), added_at=now())
    with redis_for(settings) as (_, client):
        removed = FeedStore(client, Keys.for_settings(settings)).remove(feed.id)
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
    load_rules(settings)  # a broken rules file stops here, before any worker starts
    with redis_for(settings) as (url, _):
        children = Children(
            child_environment(settings, url), restart_limit=settings.worker_restart_limit
        )
        for queue in queues:
            command = worker_command(
                queue,
                settings,
                args.concurrency,
                max_tasks_per_child=args.max_tasks_per_child,
                max_memory_per_child=args.max_memory_per_child,
            )
            children.start(f"worker-{queue}", command)
        return supervise(children)


def run_beat(args: argparse.Namespace, settings: Settings) -> int:
    with redis_for(settings) as (url, _):
        children = Children(
            child_environment(settings, url), restart_limit=settings.worker_restart_limit
        )
        start_beat(children, settings)
        return supervise(children)


def run_flower(args: argparse.Namespace, settings: Settings) -> int:
    from celery.bin.celery import celery

    from worker.adapters.broker import by_scheme
    from worker.app import app

    # Flower reads queue lengths with a client it picks by the broker URL's scheme; the
    # workers' transport class (worker/adapters/broker.py) would hide that scheme from it,
    # and their spelling of a unix socket (socket://) is not one Flower knows.
    app.conf.update(by_scheme(app.conf.broker_url))
    # Tornado's own log handler off: Flower's records go through our renderer like the rest.
    celery.main(
        args=["--app", "worker.app", "--quiet", "flower", "--logging=none"], prog_name="celery"
    )
    return 0


def serve_pipeline_metrics(args: argparse.Namespace, settings: Settings) -> int:
    from worker.monitor import serve_metrics

    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    try:
        with redis_for(settings) as (_, client), broker_for(settings, client) as broker:
            log.info("metrics_serving", url=f"http://{args.host}:{args.port}/metrics")
            serve_metrics(
                client,
                Keys.for_settings(settings),
                now,
                host=args.host,
                port=args.port,
                stop=stop,
                broker=broker,
            )
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def show_status(args: argparse.Namespace, settings: Settings) -> int:
    from worker.adapters.heartbeats import WorkerHeartbeats
    from worker.adapters.metrics import read_pipeline_state
    from worker.monitor import render_status

    keys = Keys.for_settings(settings)
    with redis_for(settings) as (_, client), broker_for(settings, client) as broker:
        state = read_pipeline_state(client, keys, now(), broker=broker)
        counts = Stats(client, keys).snapshot()
        workers = list(WorkerHeartbeats(client, keys).alive())
    print(render_status(state, counts, workers, keys=keys, now=now()))
    return 0


def run_pipeline(args: argparse.Namespace, settings: Settings) -> int:
    load_rules(settings)  # a broken rules file stops here, before any worker starts
    # On a terminal a person reads what happens (worker.live); the workers' own lines (JSON,
    # banners, one per task) go to files. Elsewhere (compose, systemd) they are the output.
    on_terminal = sys.stdout.isatty()
    log_dir = settings.data_dir / "logs" if on_terminal else None
    with redis_for(settings) as (url, client), broker_for(settings, client) as broker:
        keys = Keys.for_settings(settings)
        if args.until_idle and not FeedStore(client, keys).all():
            raise WirestreamError("run: no feed to poll; add one with `wirestream feeds add URL`")
        children = Children(
            child_environment(settings, url),
            log_dir=log_dir,
            restart_limit=settings.worker_restart_limit,
        )
        for queue in (FEEDS_QUEUE, ARTICLES_QUEUE):
            children.start(f"worker-{queue}", worker_command(queue, settings))
        if log_dir is not None:
            print(f"workers started; their logs in {log_dir}; Ctrl-C to stop", flush=True)
        if not args.until_idle:
            start_beat(children, settings)
            view = LiveView(client, keys, on_terminal=True, broker=broker) if on_terminal else None
            return supervise(children, view)
        try:
            counts = poll_all_until_idle(settings, client, broker, children, args.timeout)
        finally:
            children.stop()
    print_summary(counts)
    return check_achieved(counts)


def poll_all_until_idle(
    settings: Settings,
    client: RedisClient,
    broker: RedisClient,
    children: Children,
    timeout: float,
) -> dict[str, int]:
    """Send every feed a poll once the workers take tasks, wait until all work is done,
    return what it counted."""
    from worker.tasks import poll_feed

    keys = Keys.for_settings(settings)
    stats = Stats(client, keys)
    before = stats.snapshot()
    # Entries found while the articles worker still loads its models would only wait, and
    # the polls' CPU would slow its start-up down: polls go out once both workers are up.
    late = wait_until_workers_ready(
        client, keys, children, (FEEDS_QUEUE, ARTICLES_QUEUE), timeout=WORKERS_START_TIMEOUT
    )
    if late:
        log.warning("workers_slow_to_start", queues=late, waited_s=WORKERS_START_TIMEOUT)
    for feed in FeedStore(client, keys).all():
        poll_feed.apply_async((feed.id,), queue=FEEDS_QUEUE, argsrepr=repr(feed.url))
    wait_until_idle(client, keys, children, timeout=timeout, broker=broker)
    after = stats.snapshot()
    return {name: after.get(name, 0) - before.get(name, 0) for name in after}


def print_summary(counts: dict[str, int]) -> None:
    failed = sum(value for name, value in counts.items() if name.startswith("failed."))
    polled = counts.get("feeds.polled", 0) + counts.get("feeds.not_modified", 0)
    print(
        f"feeds polled: {polled} (not modified: {counts.get('feeds.not_modified', 0)}),"
        f" failed: {counts.get('feeds.failed', 0)}; new entries: {counts.get('entries.new', 0)};"
        f" articles published: {counts.get('article.created', 0)},"
        f" updated: {counts.get('article.updated', 0)},"
        f" duplicates: {counts.get('article.duplicate', 0)},"
        f" dropped by rules: {counts.get('articles.dropped', 0)}, failed: {failed}"
    )


def check_achieved(counts: dict[str, int]) -> int:
    """0 when some feed answered; 1, with the reason, when every poll failed."""
    answered = counts.get("feeds.polled", 0) + counts.get("feeds.not_modified", 0)
    failed = counts.get("feeds.failed", 0)
    if answered:
        return 0
    print(
        f"wirestream: run: every feed poll failed ({failed}); see `wirestream feeds status`",
        file=sys.stderr,
    )
    return 1


def supervise(children: Children, view: LiveView | None = None) -> int:
    """Run until Ctrl-C or SIGTERM, restarting a child that exits, until one exits in a
    loop; then stop every child gracefully."""
    stopping = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = signal.signal(signal.SIGTERM, request_stop)
    try:
        while not stopping:
            children.restart_exited()
            if view is None:
                time.sleep(0.5)
            else:
                view.refresh(wait_ms=500)
    except KeyboardInterrupt:
        pass
    except WirestreamError as error:
        print(f"wirestream: {error}", file=sys.stderr)
        return 1
    finally:
        if view is not None:
            view.close()
        signal.signal(signal.SIGTERM, previous)
        children.stop()
    return 0


# --- dead letters --------------------------------------------------------------------------


def dead_list(args: argparse.Namespace, settings: Settings) -> int:
    with redis_for(settings) as (_, client):
        entries = DeadLetters(client, Keys.for_settings(settings), maxlen=1).entries()
    for entry_id, fields in entries:
        print(json.dumps(describe(entry_id, fields), ensure_ascii=False))
    return 0


def dead_retry(args: argparse.Namespace, settings: Settings) -> int:
    if bool(args.ids) == bool(args.all):
        raise ConfigError("dead retry: give dead-letter ids or --all, not both or neither")
    from worker.tasks import poll_feed, process_entry

    failed = 0
    with redis_for(settings) as (_, client):
        dead = DeadLetters(client, Keys.for_settings(settings), maxlen=1)
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


def show_cluster(args: argparse.Namespace, settings: Settings) -> int:
    """One JSON line per member of the story, the original first."""
    keys = Keys.for_settings(settings)
    with redis_for(settings) as (_, client):
        clusters = Clusters(client, keys)
        members = clusters.members(args.id)
        if not members:
            cluster_id = clusters.cluster_of(args.id)
            members = clusters.members(cluster_id) if cluster_id else []
        if not members:
            raise WirestreamError(
                f"cluster: no story {args.id} (unknown, or older than dedupe_window_days)"
            )
        feeds = FeedStore(client, keys)
        outlets = {member["feed"]: feeds.get(member["feed"]) for member in members}
    for member in members:
        feed = outlets[member["feed"]]
        outlet = (feed.title or feed.url) if feed else member["feed"]
        print(json.dumps({**member, "outlet": outlet}, ensure_ascii=False))
    return 0


# --- one page, one feed --------------------------------------------------------------------


def extract_one(args: argparse.Namespace, settings: Settings) -> int:
    article = article_from_source(args, settings, command="extract")
    data = article_data(article)
    data["dedupe"] = {
        "content_hash": article.content_hash,
        "cluster_id": article.id,
        "duplicate_of": None,
        "similarity": None,
    }
    print(json.dumps(data, ensure_ascii=False))
    return 0


def test_rules(args: argparse.Namespace, settings: Settings) -> int:
    """One line per rule: whether it fires on the page and what it would do; then the tags."""
    rules = load_rules(
        settings.model_copy(update={"rules_file": args.rules or settings.rules_file})
    )
    article = article_from_source(args, settings, command="rules test")
    fired = set(rules.apply(article, cluster_size=args.cluster_size).matched)
    for rule in rules.rules:
        actions = {"tag": list(rule.tags), "route": rule.route, "drop": rule.drop}
        print(json.dumps({
            "rule": rule.name, "line": rule.line, "fires": rule.name in fired,
            **{name: value for name, value in actions.items() if value},
        }, ensure_ascii=False))  # fmt: skip
    print(json.dumps({"title": article.page.title, "tags": article_data(article)["tags"]},
                     ensure_ascii=False))  # fmt: skip
    return 0


def article_from_source(args: argparse.Namespace, settings: Settings, *, command: str) -> Article:
    """The article, tagged, that the pipeline would make of one page (file or URL)."""
    fetched_at = now()
    if is_url(args.source):
        response = guarded_client(settings).fetch(
            args.source, kind="article", max_bytes=settings.max_page_bytes
        )
    else:
        body = read_source(args.source, settings, kind="article", max_bytes=settings.max_page_bytes)
        response = Response(args.source, args.url or "", 200, {}, body, fetched_at)
    page = extract_page(
        response.body,
        url=response.final_url or args.source,
        content_type=response.content_type,
        now=fetched_at,
    )
    url = response.final_url or page.canonical_url
    if not url or not is_url(url):
        raise ConfigError(f"{command}: {args.source}: the page names no canonical URL; give --url")
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
    tags = build_tagger(settings).tag(page, entry)
    return build_article(entry, response, page, tags, processed_at=now())


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
    """Bytes of a URL (fetched through the guard), a file (.gz inflated) or standard input,
    held to the fetcher's size cap whatever they come from."""
    if is_url(source):
        return guarded_client(settings).fetch(source, kind=kind, max_bytes=max_bytes).body
    path = Path(source)
    try:
        if source == "-":
            body = sys.stdin.buffer.read(max_bytes + 1)
        elif path.suffix == ".gz":
            with gzip.open(path) as inflated:
                body = inflated.read(max_bytes + 1)
        else:
            with path.open("rb") as file:
                body = file.read(max_bytes + 1)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise ConfigError(f"{source}: cannot read: {error}") from None
    if len(body) > max_bytes:
        raise PermanentError("read", source, f"body larger than {max_bytes} bytes")
    if not body:
        raise ConfigError(f"{source}: empty")
    return body


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def guarded_client(settings: Settings) -> HttpClient:
    return HttpClient.from_settings(settings)


# --- simulated web and demo ----------------------------------------------------------------


def serve_simweb(args: argparse.Namespace, settings: Settings) -> int:
    from worker.simweb import serve_forever

    serve_forever(args.host, args.port, corpus_dir=corpus_dir(), public_url=args.public_url)
    return 0


def corpus_dir() -> Path | None:
    path = Path(os.environ.get("WIRESTREAM_CORPUS") or "../shared/data")
    return path if path.is_dir() else None


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    from worker.demo import run_demo as demo

    return demo(settings, port=args.port, duration=args.duration)


def write_acl_file(args: argparse.Namespace, settings: Settings) -> int:
    from worker.acl import render_acl_file

    if args.namespace is not None and not re.fullmatch(NAMESPACE_PATTERN, args.namespace):
        raise ConfigError(
            f"acl: --namespace {args.namespace!r} is not a namespace"
            " (1-64 letters, digits, '_', '.', '-')"
        )
    sys.stdout.write(render_acl_file(settings, args.namespace))
    return 0


def now() -> datetime:
    return datetime.now(UTC)


if __name__ == "__main__":
    sys.exit(main())
