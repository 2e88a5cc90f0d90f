"""``wirestream sink postgres`` and ``wirestream sink webhook``: ``worker/cli.py`` wires them.

Everything a user can get wrong (the DSN, the URL, the secret, the start options) is checked
before Redis is reached, and reported in one line with exit status 2.
"""

from __future__ import annotations

import argparse
from typing import Any

from worker.adapters.http import HttpClient
from worker.consumer import Backoff, Start
from worker.consumer_commands import add_group_options, group_consumer, start_position
from worker.errors import ConfigError
from worker.runtime import redis_for
from worker.settings import Settings

POSTGRES_GROUP = "archive"
WEBHOOK_GROUP = "webhook"


def add_sink_parsers(commands: argparse._SubParsersAction[Any]) -> None:
    sinks = commands.add_parser(
        "sink", help="keep the stream somewhere: PostgreSQL tables, a webhook"
    ).add_subparsers(dest="sink_command", required=True, metavar="SINK")

    postgres = sinks.add_parser(
        "postgres", help="keep articles, clusters and their members as PostgreSQL tables"
    )
    postgres.add_argument("--dsn", help="libpq URI or key=value string (default: postgres_dsn)")
    _add_common_options(postgres, POSTGRES_GROUP)
    postgres.set_defaults(handler=sink_postgres)

    webhook = sinks.add_parser("webhook", help="POST each entry, signed, to a URL")
    webhook.add_argument("url", help="the receiver's http:// or https:// URL")
    _add_common_options(webhook, WEBHOOK_GROUP)
    webhook.set_defaults(handler=sink_webhook)


def _add_common_options(parser: argparse.ArgumentParser, group: str) -> None:
    add_group_options(parser, group_required=False)
    parser.add_argument(
        "--no-follow", action="store_true", help="stop when nothing is left to read"
    )
    parser.set_defaults(group=group)
    parser.epilog = f"The consumer group defaults to {group!r}."


def sink_postgres(args: argparse.Namespace, settings: Settings) -> int:
    from worker.sinks.postgres import Archive, check_dsn, run_postgres_sink

    command = "sink postgres"
    configured = settings.postgres_dsn.get_secret_value() if settings.postgres_dsn else None
    dsn = args.dsn or configured
    if not dsn:
        raise ConfigError(f"{command}: give --dsn or set postgres_dsn (WIRESTREAM_POSTGRES_DSN)")
    check_dsn(dsn)
    start_position(args, command, default=Start.newest())  # a bad option fails before I/O
    with Archive.connect(dsn, group=args.group) as archive, redis_for(settings) as (_, client):
        consumer = group_consumer(client, settings, args, command)
        settled = run_postgres_sink(consumer, archive, until_idle=args.no_follow)
    print(f"{command}: {settled} entries settled (group {args.group})")
    return 0


def sink_webhook(args: argparse.Namespace, settings: Settings) -> int:
    from worker.sinks.webhook import RetryPolicy, WebhookSink, run_webhook_sink

    command = "sink webhook"
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    start_position(args, command, default=Start.newest())
    client = HttpClient.from_settings(
        settings,
        connect_timeout=min(settings.connect_timeout, settings.webhook_timeout),
        read_timeout=settings.webhook_timeout,
        total_timeout=settings.webhook_timeout,
        max_redirects=0,
    )
    policy = RetryPolicy(
        settings.webhook_max_attempts,
        Backoff(settings.webhook_retry_base, settings.webhook_retry_max),
    )
    with client:
        sink = WebhookSink(client, args.url, secret=secret.encode(), policy=policy)
        sink.check()
        with redis_for(settings) as (_, redis_client):
            consumer = group_consumer(redis_client, settings, args, command)
            settled = run_webhook_sink(consumer, sink, until_idle=args.no_follow)
    print(f"{command}: {settled} entries settled (group {args.group})")
    return 0
