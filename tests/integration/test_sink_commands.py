"""`wirestream sink postgres` and `wirestream sink webhook` as a user runs them: real Redis,
real PostgreSQL (a database per test), a real HTTP receiver on 127.0.0.1, real processes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from archive_tables import actual, expected_from_stream, table_rows
from articles import decoded_entries, idempotency_keys, publish_stories
from deploy import resolved_services, write_env_file
from webhook_receiver import SECRET, TIMEOUT, Receiver, running_receiver

from tests.conftest import Wirestream
from worker.keys import Keys

WEBHOOK_ENV = {
    "WIRESTREAM_WEBHOOK_SECRET": SECRET.decode(),
    "WIRESTREAM_WEBHOOK_TIMEOUT": str(TIMEOUT),
    "WIRESTREAM_WEBHOOK_RETRY_BASE": "0.05",
    "WIRESTREAM_WEBHOOK_MAX_ATTEMPTS": "5",
}


def one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def group_state(client: redis.Redis, keys: Keys, group: str) -> dict[str, Any]:
    (info,) = [g for g in client.xinfo_groups(keys.articles_stream) if g["name"] == group]
    return {"pending": info["pending"], "lag": info.get("lag")}


def add_broken_entry(client: redis.Redis, keys: Keys) -> str:
    """A stream message whose data is not JSON, as a foreign writer might append."""
    fields = {
        "schema": "wirestream.article/1", "event": "article.created", "id": "f" * 32,
        "url": "https://news.example/broken", "feed": "f1", "lang": "en", "cluster": "f" * 32,
        "data": "{not json",
    }  # fmt: skip
    return str(client.xadd(keys.articles_stream, fields))  # type: ignore[arg-type]


# --- sink postgres -------------------------------------------------------------------------


def test_every_entry_delivered_twice_leaves_exactly_what_one_delivery_gives(
    wirestream: Wirestream, postgres_dsn: str, redis_client: redis.Redis, keys: Keys
) -> None:
    count = publish_stories(redis_client, keys, 80)
    command = ("sink", "postgres", "--dsn", postgres_dsn, "--group", "g", "--from-start",
               "--no-follow")  # fmt: skip

    first = wirestream(*command)
    once = table_rows(postgres_dsn)
    redis_client.xgroup_setid(keys.articles_stream, "g", "0")  # replay the group from the start
    second = wirestream(*command)

    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert first.stdout.strip() == second.stdout.strip() == (
        f"sink postgres: {count} entries settled (group g)"
    )  # fmt: skip
    assert table_rows(postgres_dsn) == once
    assert actual(postgres_dsn) == expected_from_stream(decoded_entries(redis_client, keys))
    assert group_state(redis_client, keys, "g")["pending"] == 0


def test_sink_killed_mid_run_and_restarted_leaves_tables_matching_the_stream(
    pipeline_env: dict[str, str],
    tmp_path: Path,
    postgres_dsn: str,
    redis_client: redis.Redis,
    keys: Keys,
) -> None:
    publish_stories(redis_client, keys, 4000)
    entries = decoded_entries(redis_client, keys)
    command = [sys.executable, "-m", "worker.cli", "sink", "postgres", "--dsn", postgres_dsn,
               "--group", "g", "--consumer", "c1", "--from-start"]  # fmt: skip
    process = subprocess.Popen(
        command, env=pipeline_env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        written = wait_for_rows(postgres_dsn, process, at_least=1)
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    assert written < len({entry["id"] for entry in entries}), "the kill came after the run"

    restarted = subprocess.run(
        [*command, "--no-follow"], env=pipeline_env, cwd=tmp_path,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert restarted.returncode == 0, restarted.stderr
    assert actual(postgres_dsn) == expected_from_stream(entries)
    assert group_state(redis_client, keys, "g") == {"pending": 0, "lag": 0}


def test_sigterm_stops_the_sink_after_its_batch_with_nothing_left_pending(
    pipeline_env: dict[str, str],
    tmp_path: Path,
    postgres_dsn: str,
    redis_client: redis.Redis,
    keys: Keys,
) -> None:
    publish_stories(redis_client, keys, 2000)
    command = [sys.executable, "-m", "worker.cli", "sink", "postgres", "--dsn", postgres_dsn,
               "--group", "g", "--from-start"]  # fmt: skip
    process = subprocess.Popen(
        command, env=pipeline_env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        wait_for_rows(postgres_dsn, process, at_least=1)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, stderr
    settled = int(stdout.split(": ")[1].split()[0])
    assert stdout.strip() == f"sink postgres: {settled} entries settled (group g)"
    assert group_state(redis_client, keys, "g")["pending"] == 0
    with psycopg.connect(postgres_dsn) as connection:
        (position,) = connection.execute("SELECT stream_id FROM sink_positions").fetchone() or ("",)
    entries = decoded_entries(redis_client, keys)
    assert position == entries[settled - 1]["stream_id"]
    assert actual(postgres_dsn) == expected_from_stream(entries[:settled])


def wait_for_rows(dsn: str, process: subprocess.Popen[Any], *, at_least: int) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            with psycopg.connect(dsn) as connection:
                (count,) = connection.execute("SELECT count(*) FROM articles").fetchone() or (0,)
        except psycopg.errors.UndefinedTable:
            count = 0
        if count >= at_least:
            return int(count)
        time.sleep(0.01)
    raise AssertionError("the sink wrote no row within a minute")


def test_an_entry_that_is_not_json_is_dead_lettered_and_the_others_are_written(
    wirestream: Wirestream, postgres_dsn: str, redis_client: redis.Redis, keys: Keys
) -> None:
    publish_stories(redis_client, keys, 10)
    entries = decoded_entries(redis_client, keys)
    broken = add_broken_entry(redis_client, keys)

    result = wirestream("sink", "postgres", "--dsn", postgres_dsn, "--from-start", "--no-follow")

    assert result.returncode == 0, result.stderr
    assert actual(postgres_dsn) == expected_from_stream(entries)
    ((_, letter),) = redis_client.xrange(keys.group_dead_stream("archive"))
    assert letter["stream_id"] == broken
    assert "data is not JSON" in letter["error"]


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["--dsn", "host=127.0.0.1 port"], 2, "wirestream: sink postgres: invalid DSN: "),
        ([], 2, "wirestream: sink postgres: give --dsn or set postgres_dsn"),
        (["--dsn", "postgresql://postgres@127.0.0.1:1/none"], 1,
         "wirestream: sink postgres: connecting to postgres@127.0.0.1:1/none: "),
        (["--dsn", "postgresql://postgres@127.0.0.1/test", "--since", "last week"], 2,
         "wirestream: sink postgres: --since 'last week' is not a time"),
    ],
)  # fmt: skip
def test_bad_postgres_sink_input_is_one_line_without_traceback(
    wirestream: Wirestream, arguments: list[str], code: int, message: str
) -> None:
    line = one_line_error(wirestream("sink", "postgres", *arguments, "--no-follow"), code)

    assert line.startswith(message), line


# --- sink webhook --------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    with running_receiver() as running:
        yield running


def test_webhook_sink_delivers_every_entry_signed_through_failures_and_throttling(
    wirestream: Wirestream,
    receiver: tuple[Receiver, str],
    redis_client: redis.Redis,
    keys: Keys,
) -> None:
    state, url = receiver
    publish_stories(redis_client, keys, 8)
    entry_keys = idempotency_keys(redis_client, keys)
    broken = add_broken_entry(redis_client, keys)
    behaviours = [["500", "502"], ["429:1"], ["timeout"], []]
    plans = {key: behaviours[n % 4] for n, key in enumerate(entry_keys)}
    state.plans = lambda key: plans.get(key, [])

    result = wirestream("sink", "webhook", url, "--from-start", "--no-follow", **WEBHOOK_ENV)

    assert result.returncode == 0, result.stderr
    accepted = {delivery.key for delivery in state.deliveries if delivery.answered == "ok"}
    assert accepted == set(plans)
    assert all(delivery.valid for delivery in state.deliveries)
    assert broken not in {delivery.key.rsplit(":", 1)[-1] for delivery in state.deliveries}
    ((_, letter),) = redis_client.xrange(keys.group_dead_stream("webhook"))
    assert letter["stream_id"] == broken
    assert group_state(redis_client, keys, "webhook")["pending"] == 0


def test_webhook_sink_dead_letters_an_entry_after_its_last_attempt(
    wirestream: Wirestream,
    receiver: tuple[Receiver, str],
    redis_client: redis.Redis,
    keys: Keys,
) -> None:
    state, url = receiver
    publish_stories(redis_client, keys, 3)
    entries = decoded_entries(redis_client, keys)
    refused = idempotency_keys(redis_client, keys)[1]
    state.plans = lambda key: ["503"] * 99 if key == refused else []

    result = wirestream("sink", "webhook", url, "--from-start", "--no-follow", **WEBHOOK_ENV)

    assert result.returncode == 0, result.stderr
    assert sum(1 for d in state.deliveries if d.key == refused) == 5
    ((_, letter),) = redis_client.xrange(keys.group_dead_stream("webhook"))
    assert letter["stream_id"] == entries[1]["stream_id"]
    assert "503 Service Unavailable, after 5 attempts" in letter["error"]
    assert group_state(redis_client, keys, "webhook")["pending"] == 0


def test_webhook_sink_sends_nothing_to_an_address_the_guard_refuses(
    wirestream: Wirestream,
    receiver: tuple[Receiver, str],
    redis_client: redis.Redis,
    keys: Keys,
) -> None:
    state, url = receiver
    publish_stories(redis_client, keys, 3)
    by_name = url.replace("127.0.0.1", "localhost")

    result = wirestream(
        "sink", "webhook", by_name, "--from-start", "--no-follow",
        **WEBHOOK_ENV, WIRESTREAM_ALLOWED_NETWORKS="",
    )  # fmt: skip

    line = one_line_error(result, 2)
    assert line.startswith("wirestream: sink webhook: refused address "), line
    assert "(loopback) for http://localhost:" in line
    assert state.deliveries == []
    assert redis_client.xinfo_groups(keys.articles_stream) == []


@pytest.mark.parametrize(
    ("arguments", "env", "message"),
    [
        (["http://hooks.example/in"], {"WIRESTREAM_WEBHOOK_SECRET": ""},
         "wirestream: sink webhook: no secret: set webhook_secret (WIRESTREAM_WEBHOOK_SECRET)"),
        (["hooks.example/in"], {}, "wirestream: sink webhook: unsupported scheme ''"),
        (["http://[::1/in"], {}, "wirestream: sink webhook: invalid URL"),
        (["http://10.0.0.1/in"], {},
         "wirestream: sink webhook: refused address 10.0.0.1 (private)"),
        (["http://hooks.example/in", "--id", "yesterday"], {},
         "wirestream: sink webhook: --id 'yesterday' is not a stream id"),
    ],
)  # fmt: skip
def test_bad_webhook_sink_input_is_one_line_without_traceback(
    wirestream: Wirestream, arguments: list[str], env: dict[str, str], message: str
) -> None:
    result = wirestream("sink", "webhook", *arguments, "--no-follow", **{**WEBHOOK_ENV, **env})

    line = one_line_error(result, 2)
    assert line.startswith(message), line


def test_sigterm_while_the_webhook_sink_waits_to_retry_hands_its_entries_back_at_once(
    pipeline_env: dict[str, str],
    tmp_path: Path,
    receiver: tuple[Receiver, str],
    redis_client: redis.Redis,
    keys: Keys,
) -> None:
    state, url = receiver
    state.plans = lambda key: ["503:30"] * 99
    publish_stories(redis_client, keys, 3)
    process = subprocess.Popen(
        [sys.executable, "-m", "worker.cli", "sink", "webhook", url, "--from-start"],
        env={**pipeline_env, **WEBHOOK_ENV}, cwd=tmp_path, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not state.deliveries and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        _, stderr = process.communicate(timeout=30)
        took = time.monotonic() - stopped_at
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, stderr
    assert took < 5, f"the stop waited {took:.1f}s for a retry"
    assert len(state.deliveries) == 1
    pending = redis_client.xpending_range(keys.articles_stream, "webhook", "-", "+", 10)
    assert len(pending) == 3
    assert all(entry["times_delivered"] == 0 for entry in pending)
    assert redis_client.xlen(keys.group_dead_stream("webhook")) == 0


def test_the_compose_archive_service_command_fills_the_tables(
    wirestream: Wirestream,
    postgres_dsn: str,
    redis_client: redis.Redis,
    keys: Keys,
    tmp_path: Path,
) -> None:
    env_file = write_env_file(
        tmp_path / ".env", REDIS_PASSWORD="r", FLOWER_PASSWORD="f", POSTGRES_PASSWORD="p"
    )
    command = resolved_services(env_file, "archive")["sink-postgres"]["command"]
    publish_stories(redis_client, keys, 20)

    result = wirestream(*command, "--no-follow", WIRESTREAM_POSTGRES_DSN=postgres_dsn)

    assert result.returncode == 0, result.stderr
    assert actual(postgres_dsn) == expected_from_stream(decoded_entries(redis_client, keys))
    assert group_state(redis_client, keys, "archive")["pending"] == 0
