"""`tail --group`, `consume`, `groups` and `redis-url` as a user runs them: real processes,
the test Redis."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from tests.conftest import Wirestream
from tests.integration.test_cli import json_lines, publish
from worker.keys import Keys


def pending(client: redis.Redis, keys: Keys, group: str) -> int:
    return int(client.xpending(keys.articles_stream, group)["pending"])


def test_tail_group_count_twice_gives_distinct_entries_and_leaves_nothing_pending(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys
) -> None:
    ids = publish(redis_client, keys, 12)
    runs = [
        wirestream("tail", "--group", "g2", "--from-start", "--count", "5", timeout=30)
        for _ in range(2)
    ]
    printed = [line["stream_id"] for run in runs for line in json_lines(run.stdout)]
    assert all(run.returncode == 0 for run in runs), runs[0].stderr
    assert printed == ids[:10]
    assert pending(redis_client, keys, "g2") == 0
    # Each run was a consumer of its own (host and pid); neither stayed in the group.
    assert redis_client.xinfo_consumers(keys.articles_stream, "g2") == []


def test_tail_group_prints_its_own_pending_entries_first(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys
) -> None:
    ids = publish(redis_client, keys, 4)
    redis_client.xgroup_create(keys.articles_stream, "g", "0")
    redis_client.xreadgroup("g", "c1", {keys.articles_stream: ">"}, count=2)  # then it died
    result = wirestream(
        "tail", "--group", "g", "--consumer", "c1", "--count", "3", timeout=30
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [line["stream_id"] for line in json_lines(result.stdout)] == ids[:3]
    assert pending(redis_client, keys, "g") == 0


def test_consume_runs_the_command_per_entry_and_dead_letters_what_it_keeps_failing(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys, tmp_path: Path
) -> None:
    ids = publish(redis_client, keys, 4)
    poison = ids[1]
    received = tmp_path / "received.jsonl"
    # The sink stores each entry, except one it always fails on (exit 3).
    script = f'line=$(cat); case "$line" in *{poison}*) exit 3;; esac; echo "$line" >> {received}'
    result = wirestream(
        "consume", "--group", "sink", "--from-start", "--no-follow", "--", "sh", "-c", script,
        WIRESTREAM_CONSUMER_MAX_DELIVERIES="2", timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    stored = json_lines(received.read_text())
    assert [entry["stream_id"] for entry in stored] == [i for i in ids if i != poison]
    assert all(isinstance(entry["data"], dict) for entry in stored)
    [(_, letter)] = redis_client.xrange(keys.group_dead_stream("sink"))
    assert letter["stream_id"] == poison
    assert letter["deliveries"] == "2"
    assert "exited with 3" in letter["error"]
    assert pending(redis_client, keys, "sink") == 0


def test_consume_kills_a_command_past_its_timeout_and_counts_the_entry_as_failed(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys
) -> None:
    [stream_id] = publish(redis_client, keys, 1)
    result = wirestream(
        "consume", "--group", "sink", "--from-start", "--no-follow", "--timeout", "0.5",
        "--", "sleep", "30", WIRESTREAM_CONSUMER_MAX_DELIVERIES="1", timeout=25,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [(_, letter)] = redis_client.xrange(keys.group_dead_stream("sink"))
    assert letter["stream_id"] == stream_id
    assert letter["error"] == "CommandFailed: consume: sleep 30 killed after 0.5 s"


def test_a_groups_dead_letters_are_listed_and_sent_back_to_its_consumers(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys, tmp_path: Path
) -> None:
    ids = publish(redis_client, keys, 3)
    received = tmp_path / "received.jsonl"
    down = tmp_path / "receiver-down"
    down.touch()
    # A receiver that is down for the second entry's deliveries, then back.
    script = (
        f'line=$(cat); case "$line" in *{ids[1]}*) [ -e {down} ] && exit 3;; esac;'
        f' echo "$line" >> {received}'
    )
    consume = ("consume", "--group", "sink", "--from-start", "--no-follow", "--", "sh", "-c")
    first = wirestream(*consume, script, WIRESTREAM_CONSUMER_MAX_DELIVERIES="1", timeout=60)
    assert first.returncode == 0, first.stderr
    [letter] = json_lines(wirestream("groups", "dead", "list", "sink", timeout=30).stdout)
    assert letter["stream_id"] == ids[1]
    assert letter["entry"]["stream_id"] == ids[1]
    assert "exited with 3" in letter["error"]

    down.unlink()
    retry = wirestream("groups", "dead", "retry", "sink", letter["id"], timeout=30)
    assert retry.returncode == 0, retry.stderr
    assert json_lines(retry.stdout) == [
        {"id": letter["id"], "stream_id": ids[1], "sent_back": True}
    ]
    assert wirestream("groups", "dead", "list", "sink", timeout=30).stdout == ""
    [group] = json_lines(wirestream("groups", timeout=30).stdout)
    assert (group["dead_letters"], group["sent_back"]) == (0, 1)

    again = wirestream(*consume, script, timeout=60)
    assert again.returncode == 0, again.stderr
    stored = json_lines(received.read_text())
    # Delivered again as it was published: its own stream id, its fields, its article.
    assert [entry["stream_id"] for entry in stored] == [ids[0], ids[2], ids[1]]
    original = {
        "stream_id": ids[1],
        **{
            k: v for k, v in redis_client.xrange(keys.articles_stream, ids[1], ids[1])[0][1].items()
        },
    }
    original["data"] = json.loads(original["data"])
    assert stored[2] == original
    [group] = json_lines(wirestream("groups", timeout=30).stdout)
    assert (group["dead_letters"], group["sent_back"], group["pending"]) == (0, 0, 0)


def test_groups_dead_retry_keeps_a_letter_without_an_entry_and_names_missing_ids(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys
) -> None:
    publish(redis_client, keys, 1)
    redis_client.xgroup_create(keys.articles_stream, "sink", "0")
    broken = redis_client.xadd(keys.group_dead_stream("sink"), {"error": "by hand"})
    result = wirestream("groups", "dead", "retry", "sink", broken, "1-1", timeout=30)
    assert result.returncode == 1
    assert f"letter {broken} holds no stream entry; kept" in result.stderr
    assert "no dead letter 1-1" in result.stderr
    assert redis_client.xlen(keys.group_dead_stream("sink")) == 1
    unknown = wirestream("groups", "dead", "retry", "nobody", "--all", timeout=30)
    assert unknown.returncode == 2
    assert "no group 'nobody'" in unknown.stderr


def test_groups_lists_consumers_pending_lag_and_ages(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys
) -> None:
    ids = publish(redis_client, keys, 5)
    redis_client.xgroup_create(keys.articles_stream, "audit", "0")
    redis_client.xreadgroup("audit", "worker-1", {keys.articles_stream: ">"}, count=2)
    result = wirestream("groups", timeout=30)
    assert result.returncode == 0, result.stderr
    [group] = json_lines(result.stdout)
    assert group["group"] == "audit"
    assert group["consumers"][0]["name"] == "worker-1"
    assert group["consumers"][0]["pending"] == 2
    assert group["pending"] == 2
    assert group["lag"] == 3
    assert group["last_delivered_id"] == ids[1]
    assert group["oldest_pending_age_seconds"] >= 0
    assert group["last_delivered_at"].endswith("Z")
    assert group["dead_letters"] == 0
    assert group["sent_back"] == 0


def test_groups_reset_to_an_id_redelivers_what_follows_it(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys
) -> None:
    ids = publish(redis_client, keys, 3)
    first = wirestream("tail", "--group", "g", "--from-start", "--no-follow", timeout=30)
    assert len(json_lines(first.stdout)) == 3
    reset = wirestream("groups", "reset", "g", "--id", ids[0], timeout=30)
    assert reset.returncode == 0, reset.stderr
    again = wirestream("tail", "--group", "g", "--no-follow", timeout=30)
    assert [line["stream_id"] for line in json_lines(again.stdout)] == ids[1:]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tail", "--since", "notatime"), "tail: --since 'notatime' is not a time"),
        (("tail", "--group", "g", "--id", "12-x"), "tail: --id '12-x' is not a stream id"),
        (("tail", "--group", "g", "--from-start", "--since", "2026-12-01"), "give one of"),
        (("groups", "reset", "nope", "--from-start"), "groups reset: no group 'nope'"),
        (("groups", "reset", "g"), "groups reset: give --since TIME, --id ID or --from-start"),
        (("consume", "--group", "g"), "consume: give the command to run after --"),
        (("consume", "--group", "g", "--", "no-such-command-x"), "no such command"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    wirestream: Wirestream, args: tuple[str, ...], message: str
) -> None:
    result = wirestream(*args, timeout=30)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_redis_url_prints_the_url_every_command_uses(
    wirestream: Wirestream, redis_url: str, tmp_path: Path
) -> None:
    configured = wirestream("redis-url", timeout=30)
    assert configured.stdout == f"{redis_url}\n"
    embedded = wirestream("redis-url", WIRESTREAM_REDIS_URL="", timeout=30)
    assert embedded.returncode == 0
    assert embedded.stdout == f"unix://{tmp_path / 'data' / 'redis.sock'}\n"
    assert "not running" in embedded.stderr


def test_tail_lines_are_the_json_a_consumer_gets(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys
) -> None:
    [entry_id] = publish(redis_client, keys, 1)
    plain = wirestream("tail", "--from-start", "--no-follow", timeout=30)
    grouped = wirestream("tail", "--group", "g", "--from-start", "--no-follow", timeout=30)
    assert plain.stdout == grouped.stdout
    assert json.loads(plain.stdout)["stream_id"] == entry_id


def test_tail_group_into_a_closed_pipe_hands_back_what_it_did_not_print(
    pipeline_env: dict[str, str], redis_client: redis.Redis, keys: Keys, tmp_path: Path
) -> None:
    # More than a pipe's buffer holds, so tail is still writing when `head` leaves.
    ids = publish(redis_client, keys, 400)
    tail = [sys.executable, "-m", "worker.cli", "tail", "--group", "g", "--from-start"]
    first = subprocess.run(
        f"{shlex.join([*tail, '--no-follow'])} | head -n 1",
        shell=True, env=pipeline_env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert first.returncode == 0
    assert "Traceback" not in first.stderr and "Exception ignored" not in first.stderr
    held = redis_client.xpending_range(keys.articles_stream, "g", "-", "+", 500)
    assert held, "tail should have been stopped by the closed pipe with entries in hand"
    # Handed back: claimable at once (idle for min-idle already), the delivery not counted.
    assert all(row["time_since_delivered"] >= 60_000 for row in held)
    assert all(row["times_delivered"] == 0 for row in held)

    second = subprocess.run(
        [*tail, "--no-follow"], env=pipeline_env, cwd=tmp_path, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert second.returncode == 0, second.stderr
    rest = [line["stream_id"] for line in json_lines(second.stdout)]
    assert rest == ids[len(ids) - len(rest) :]
    assert len(rest) >= len(held)
    assert pending(redis_client, keys, "g") == 0


def test_tail_since_without_a_group_prints_the_entries_at_or_after_the_time(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys
) -> None:
    base = 1_796_083_200_000  # 2026-12-01T00:00:00Z
    ids = [
        redis_client.xadd(keys.articles_stream, {"schema": "wirestream.article/1"}, id=f"{ms}-*")
        for ms in (base - 1, base, base + 1)
    ]
    result = wirestream("tail", "--since", "2026-12-01T00:00Z", "--no-follow", timeout=30)
    assert result.returncode == 0, result.stderr
    assert [line["stream_id"] for line in json_lines(result.stdout)] == ids[1:]
