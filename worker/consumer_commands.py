"""The commands that read the stream: ``tail``, ``consume``, ``groups``, ``redis-url``.

``worker/cli.py`` wires them; every one that reads through a group goes through
:class:`worker.consumer.Consumer`, so they share its guarantees.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

from worker.adapters.embedded_redis import EmbeddedRedis
from worker.adapters.groups import GroupStream, SentBackEntries
from worker.adapters.redis_client import RedisClient
from worker.adapters.stream import StreamReader
from worker.consumer import Consumer, EntryError, Start, StopConsuming, StreamEntry
from worker.errors import ConfigError, WirestreamError
from worker.keys import Keys
from worker.logs import get_logger
from worker.models import utc_iso
from worker.runtime import redis_for
from worker.settings import Settings

log = get_logger(__name__)


def member_name(text: str) -> str:
    """A consumer group's or a consumer's name: part of key names, log lines and command
    lines, so not empty, without white space or control characters, not starting with '-'."""
    printable = all(not character.isspace() and character.isprintable() for character in text)
    if not text or not printable or text.startswith("-"):
        raise argparse.ArgumentTypeError(
            f"{text!r}: a name without spaces or control characters, not starting with '-',"
            " like archive-1"
        )
    return text


def add_group_options(parser: argparse.ArgumentParser, *, group_required: bool) -> None:
    """--group, --consumer and the start position of a group that does not exist yet."""
    parser.add_argument(
        "--group",
        type=member_name,
        required=group_required,
        help="read as this consumer group (acknowledging)",
    )
    parser.add_argument(
        "--consumer", type=member_name, help="consumer name in the group (default: host-pid)"
    )
    add_start_options(parser, what="a new group starts")


def add_start_options(parser: argparse.ArgumentParser, *, what: str) -> None:
    parser.add_argument("--from-start", action="store_true", help=f"{what} at the oldest entry")
    parser.add_argument(
        "--since", metavar="TIME", help=f"{what} at the first entry at or after TIME (ISO 8601)"
    )
    parser.add_argument("--id", dest="after_id", metavar="ID", help=f"{what} after entry ID")


def start_position(args: argparse.Namespace, command: str, *, default: Start) -> Start:
    """The start the options name: at most one of --from-start, --since, --id."""
    given = [
        name
        for name, value in (
            ("--from-start", args.from_start), ("--since", args.since), ("--id", args.after_id)
        )
        if value
    ]  # fmt: skip
    if len(given) > 1:
        raise ConfigError(f"{command}: give one of {', '.join(given)}, not several")
    if args.since:
        return Start.since(parse_time(args.since, command))
    if args.after_id:
        return Start.after(parse_stream_id(args.after_id, command))
    if args.from_start:
        return Start.beginning()
    return default


def parse_time(text: str, command: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"{command}: --since {text!r} is not a time (like 2026-12-01T00:00Z)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_stream_id(text: str, command: str) -> str:
    milliseconds, dash, sequence = text.partition("-")
    if not (milliseconds.isdigit() and (not dash or sequence.isdigit())):
        raise ConfigError(f"{command}: --id {text!r} is not a stream id (like 1764489600000-0)")
    return text


def group_consumer(
    client: RedisClient, settings: Settings, args: argparse.Namespace, command: str
) -> Consumer:
    return Consumer(
        client,
        args.group,
        keys=Keys.for_settings(settings),
        consumer=args.consumer,
        start=start_position(args, command, default=Start.newest()),
        max_deliveries=settings.consumer_max_deliveries,
        min_idle=settings.consumer_min_idle,
        dead_maxlen=settings.dead_maxlen,
    )


# --- tail ----------------------------------------------------------------------------------


def tail_stream(args: argparse.Namespace, settings: Settings) -> int:
    if args.consumer and not args.group:
        raise ConfigError("tail: --consumer needs --group")
    with redis_for(settings) as (_, client):
        if not args.group:
            for entry in follow_stream(client, settings, args):
                try:
                    line = entry.to_json()
                except EntryError as error:  # not an article: without a group, only said
                    log.warning(
                        "tail_entry_skipped", stream_id=entry.stream_id, reason=error.reason
                    )
                    continue
                print(line, flush=True)
            return 0
        # With --count, no read asks for more entries than are still to be printed.
        consumer = group_consumer(client, settings, args, "tail")
        consumer.run(print_entry, limit=args.count, until_idle=args.no_follow)
    return 0


def print_entry(entry: StreamEntry) -> None:
    """One JSON line, flushed before the entry is acked; a closed output hands it back."""
    try:
        print(entry.to_json(), flush=True)
    except BrokenPipeError:
        # The reader left (`| head`): nothing more can be written, not even at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise StopConsuming from None


def follow_stream(
    client: RedisClient, settings: Settings, args: argparse.Namespace
) -> Iterator[StreamEntry]:
    """Entries after the start (default: from now on), without a group: nothing is acked."""
    reader = StreamReader(client, Keys.for_settings(settings).articles_stream)
    start = start_position(args, "tail", default=Start.after(reader.newest_id()))
    block_ms = None if args.no_follow else 5000
    last, printed = start.id, 0
    while True:
        entries = reader.read_after(last, count=100, block_ms=block_ms)
        if not entries and args.no_follow:
            return
        for entry_id, fields in entries:
            last = entry_id
            yield StreamEntry(entry_id, fields)
            printed += 1
            if args.count and printed >= args.count:
                return


# --- consume -------------------------------------------------------------------------------


def consume(args: argparse.Namespace, settings: Settings) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise ConfigError(
            "consume: give the command to run after --, like: consume --group g -- cat"
        )
    if shutil.which(command[0]) is None:
        raise ConfigError(f"consume: {command[0]!r}: no such command")
    with redis_for(settings) as (_, client):
        consumer = group_consumer(client, settings, args, "consume")
        sink = CommandSink(command, timeout=args.timeout)
        consumer.run(sink, limit=args.count, until_idle=args.no_follow)
    return 0


class CommandFailed(WirestreamError):
    pass


class CommandSink:
    """Runs the command once per entry with its JSON line on standard input: exit 0 acks it,
    any other exit leaves it pending for a later delivery. A consumer keeps the entries in
    hand from the rest of its group while its handler runs, so a command that hangs holds
    them until ``timeout`` kills it."""

    def __init__(self, command: list[str], *, timeout: float | None = None) -> None:
        self.command = command
        self.timeout = timeout

    def __call__(self, entry: StreamEntry) -> None:
        try:
            exit_code = subprocess.run(
                self.command,
                input=entry.to_json() + "\n",
                text=True,
                check=False,
                timeout=self.timeout,
            ).returncode
        except subprocess.TimeoutExpired:
            raise CommandFailed(
                f"consume: {' '.join(self.command)} killed after {self.timeout:g} s"
            ) from None
        except OSError as error:
            raise CommandFailed(f"consume: {self.command[0]}: {error}") from None
        if exit_code != 0:
            raise CommandFailed(f"consume: {' '.join(self.command)} exited with {exit_code}")


# --- groups --------------------------------------------------------------------------------


def groups_list(args: argparse.Namespace, settings: Settings) -> int:
    """One JSON line per group of the article stream."""
    keys = Keys.for_settings(settings)
    moment = datetime.now(UTC)
    with redis_for(settings) as (_, client):
        groups = GroupStream(client, keys.articles_stream).groups()
        dead = {
            group.name: int(client.xlen(keys.group_dead_stream(group.name))) for group in groups
        }
        sent_back = {
            group.name: SentBackEntries(client, keys, group.name).count() for group in groups
        }
    for group in groups:
        age = group.oldest_pending_age(moment)
        print(
            json.dumps(
                {
                    "group": group.name,
                    "consumers": [
                        {"name": c.name, "pending": c.pending, "idle_seconds": c.idle_ms / 1000}
                        for c in group.consumers
                    ],
                    "pending": group.pending,
                    "lag": group.lag,
                    "oldest_pending_age_seconds": round(age, 3) if age is not None else None,
                    "last_delivered_id": group.last_delivered_id,
                    "last_delivered_at": utc_iso(group.last_delivered_at()),
                    "dead_letters": dead[group.name],
                    "sent_back": sent_back[group.name],
                },
                ensure_ascii=False,
            )
        )
    return 0


def groups_reset(args: argparse.Namespace, settings: Settings) -> int:
    start = start_position(args, "groups reset", default=Start(""))
    if not start.id:
        raise ConfigError("groups reset: give --since TIME, --id ID or --from-start")
    keys = Keys.for_settings(settings)
    with redis_for(settings) as (_, client):
        GroupStream(client, keys.articles_stream).reset_group(args.name, start.id)
    where = "the beginning" if start.id == "0" else f"after {start.id}"
    if args.since:
        where = f"{utc_iso(parse_time(args.since, 'groups reset'))}"
    print(f"group {args.name}: next delivers the entries from {where}")
    return 0


def group_dead_list(args: argparse.Namespace, settings: Settings) -> int:
    """One JSON line per dead letter of the group, oldest first, its entry decoded."""
    with redis_for(settings) as (_, client):
        letters = SentBackEntries(client, Keys.for_settings(settings), args.name).letters()
    for letter_id, fields in letters:
        print(json.dumps({"id": letter_id, **fields, **_entry_of(fields)}, ensure_ascii=False))
    return 0


def group_dead_retry(args: argparse.Namespace, settings: Settings) -> int:
    """Send dead letters back to their group: its consumers deliver each entry again, under
    its own stream id, and the letter is removed."""
    if bool(args.ids) == bool(args.all):
        raise ConfigError("groups dead retry: give dead-letter ids or --all, not both or neither")
    keys = Keys.for_settings(settings)
    refused = 0
    with redis_for(settings) as (_, client):
        if not GroupStream(client, keys.articles_stream).has_group(args.name):
            raise ConfigError(
                f"groups dead retry: no group {args.name!r} on {keys.articles_stream}"
            )
        sent_back = SentBackEntries(client, keys, args.name)
        letters = sent_back.letters(None if args.all else args.ids)
        missing = set(args.ids) - {letter_id for letter_id, _ in letters}
        for letter_id in sorted(missing):
            print(f"wirestream: groups dead retry: no dead letter {letter_id}", file=sys.stderr)
        retried = []
        for letter_id, fields in letters:
            if "entry" not in _entry_of(fields) or not fields.get("stream_id"):
                print(
                    f"wirestream: groups dead retry: letter {letter_id} holds no stream entry;"
                    " kept",
                    file=sys.stderr,
                )
                refused += 1
                continue
            retried.append((letter_id, fields["stream_id"], fields["entry"]))
        sent_back.send_back(retried)
    for letter_id, stream_id, _ in retried:
        print(json.dumps({"id": letter_id, "stream_id": stream_id, "sent_back": True}))
    return 1 if refused or missing else 0


def _entry_of(letter: dict[str, str]) -> dict[str, object]:
    """``{"entry": the letter's entry decoded}``, or nothing when it holds no JSON object."""
    try:
        entry = json.loads(letter.get("entry") or "")
    except ValueError:
        return {}
    return {"entry": entry} if isinstance(entry, dict) else {}


# --- redis-url -----------------------------------------------------------------------------


def redis_url(args: argparse.Namespace, settings: Settings) -> int:
    """The Redis URL every command uses, for applications outside the package."""
    if settings.redis_url:
        print(settings.redis_url)
        return 0
    embedded = EmbeddedRedis(settings.data_dir)
    print(embedded.url)
    if not embedded.answers():
        print(
            "wirestream: the embedded Redis is not running now; it runs while a command such"
            " as `wirestream run` does",
            file=sys.stderr,
        )
    return 0
