"""The key layout: unchanged names on one server; on a Redis Cluster, what one script or
MULTI touches in one hash slot, and the per-entry and per-host keys spread."""

from __future__ import annotations

from fnmatch import fnmatchcase

from redis.crc import key_slot

from worker.keys import Keys

HOSTS = ("news.example", "127.0.0.1", "[2001:db8::1]")


def slot(key: str) -> int:
    return key_slot(key.encode())


def every_key(keys: Keys) -> list[str]:
    return [
        keys.articles_stream, keys.route_stream("korea"), keys.dead_stream,
        keys.group_dead_stream("archive"), keys.feeds, keys.due, keys.task_schedule,
        keys.task_schedule_messages, keys.stats, keys.histograms, keys.worker_heartbeat("w@h"),
        keys.seen_entry("e1"), keys.article("a" * 32), keys.content("c" * 32),
        keys.host_lines("h"), keys.host_boilerplate("h"), keys.poll_lines("f", "t"),
        keys.host_canonicals("h"), keys.host_canonicals_distrusted("h"), keys.lsh_bucket(7),
        keys.cluster("a" * 32), keys.host_budget("h"), keys.host_failures("h"),
        keys.host_parked("h"), keys.host_turns("h"), keys.robots("https://h"),
        keys.broker_queue("feeds"), keys.poll_numbers, keys.poll_counter,
    ]  # fmt: skip


def test_on_one_server_the_names_carry_no_hash_tags() -> None:
    keys = Keys("ns")

    assert keys.articles_stream == "ns:articles"
    assert keys.article("a1") == "ns:article:a1"
    assert (keys.feeds, keys.due) == ("ns:feeds", "ns:due")
    assert (keys.task_schedule, keys.task_schedule_messages) == ("ns:schedule", "ns:schedule:tasks")
    assert keys.host_budget("news.example") == "ns:host:news.example:budget"
    assert keys.patterns == ("ns:*",)
    assert not any("{" in key for key in every_key(keys))


def test_on_a_cluster_what_the_publish_script_and_its_transactions_touch_shares_one_slot() -> None:
    keys = Keys("ns", cluster_safe=True)
    pinned = [
        # the publish script's KEYS and the story lists it names itself
        keys.article("a" * 32), keys.content("c" * 32), keys.articles_stream, keys.stats,
        *(keys.lsh_bucket(bucket) for bucket in range(100, 109)), keys.route_stream("korea"),
        keys.cluster("b" * 32),
        # MULTI: a dead letter and its counter; a group's dead letter and its ack
        keys.dead_stream, keys.group_dead_stream("archive"),
    ]  # fmt: skip

    assert {slot(key) for key in pinned} == {slot("{ns}")}
    assert keys.articles_stream == "{ns}:articles"


def test_on_a_cluster_the_feed_store_and_the_task_schedule_each_have_a_slot_of_their_own() -> None:
    keys = Keys("ns", cluster_safe=True)

    # Each group is what one script or MULTI of its store touches.
    assert (keys.feeds, keys.due) == ("ns:{feeds}", "ns:{feeds}:due")
    assert {slot(keys.due), slot(keys.poll_numbers), slot(keys.poll_counter)} == {slot(keys.feeds)}
    assert slot(keys.task_schedule) == slot(keys.task_schedule_messages)
    assert len({slot(keys.feeds), slot(keys.task_schedule), slot(keys.stats)}) == 3


def test_on_a_cluster_a_hosts_keys_share_its_slot_and_entries_and_hosts_spread() -> None:
    keys = Keys("ns", cluster_safe=True)

    for host in HOSTS:
        scripted = {
            keys.host_budget(host), keys.host_parked(host), keys.host_failures(host),
            keys.host_turns(host),
        }  # fmt: skip
        assert {slot(key) for key in scripted} == {slot(host)}
    assert len({slot(keys.host_budget(host)) for host in HOSTS}) == len(HOSTS)
    seen_slots = {slot(keys.seen_entry(f"entry-{n}")) for n in range(100)}
    assert len(seen_slots) > 90


def test_the_namespace_patterns_match_every_key_of_either_layout() -> None:
    for keys in (Keys("ns"), Keys("ns", cluster_safe=True)):
        for key in every_key(keys):
            assert any(fnmatchcase(key, pattern) for pattern in keys.patterns), key
        assert not any(fnmatchcase("other:articles", pattern) for pattern in keys.patterns)
