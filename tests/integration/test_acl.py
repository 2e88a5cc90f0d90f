"""`wirestream acl` against a redis-server of the test's own started with the file it wrote:
each user is allowed what its role needs and refused the rest (the matrix is printed; run
with ``-s``), workers and beat run as ``pipeline``, a consumer reads as ``consumer``."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis_servers import RedisProcesses

from worker.keys import Keys
from worker.simweb import SimWeb

Wirestream = Callable[..., subprocess.CompletedProcess[str]]

PASSWORDS = {"pipeline": "pipe-pw", "consumer": "cons-pw", "admin": "adm-pw"}
# A user of the test only, appended to the generated file, to read ACL LOG.
INSPECTOR = "user inspector on >inspect-pw ~* &* +@all\n"
GROUP = "newsroom"

Command = Callable[[Keys], tuple[str, ...]]
# (label, command): each run by each user against prepared data.
COMMANDS: list[tuple[str, Command]] = [
    ("PING", lambda k: ("PING",)),
    ("XREADGROUP articles", lambda k: ("XREADGROUP", "GROUP", GROUP, "c1", "COUNT", "1",
                                       "STREAMS", k.articles_stream, ">")),
    ("XACK articles", lambda k: ("XACK", k.articles_stream, GROUP, "0-1")),
    ("XPENDING articles", lambda k: ("XPENDING", k.articles_stream, GROUP)),
    ("XAUTOCLAIM articles", lambda k: ("XAUTOCLAIM", k.articles_stream, GROUP, "c2", "0",
                                       "0-0")),
    ("XCLAIM articles", lambda k: ("XCLAIM", k.articles_stream, GROUP, "c2", "0", "0-1")),
    ("XINFO GROUPS articles", lambda k: ("XINFO", "GROUPS", k.articles_stream)),
    ("XGROUP CREATE articles", lambda k: ("XGROUP", "CREATE", k.articles_stream, "other", "$")),
    ("XGROUP SETID articles", lambda k: ("XGROUP", "SETID", k.articles_stream, GROUP, "0")),
    ("XRANGE articles", lambda k: ("XRANGE", k.articles_stream, "-", "+", "COUNT", "1")),
    ("XADD group dead letters", lambda k: ("XADD", k.group_dead_stream(GROUP), "*", "e", "x")),
    ("HSET group sent back", lambda k: ("HSET", k.group_sent_back(GROUP), "e:0-1", "{}")),
    ("ZADD group sent back due", lambda k: ("ZADD", k.group_sent_back_due(GROUP), "0", "0-1")),
    ("TIME", lambda k: ("TIME",)),
    ("XADD articles", lambda k: ("XADD", k.articles_stream, "*", "forged", "1")),
    ("XTRIM articles", lambda k: ("XTRIM", k.articles_stream, "MAXLEN", "1000")),
    ("XGROUP DESTROY articles", lambda k: ("XGROUP", "DESTROY", k.articles_stream, "none")),
    ("DEL articles", lambda k: ("DEL", k.articles_stream)),
    ("XRANGE pipeline dead letters", lambda k: ("XRANGE", k.dead_stream, "-", "+")),
    ("LRANGE broker queue", lambda k: ("LRANGE", k.broker_queue("articles"), "0", "-1")),
    ("HGETALL feed state", lambda k: ("HGETALL", k.feeds)),
    ("HSET feed state", lambda k: ("HSET", k.feeds, "forged", "{}")),
    ("EVAL script", lambda k: ("EVAL", "return 1", "0")),
    # A script may run, but not on a key the user may not touch.
    ("EVAL script touching the feed state",
     lambda k: ("EVAL", "return redis.pcall('HGETALL', KEYS[1])", "1", k.feeds)),
    ("GET other namespace", lambda k: ("GET", "someone-else:secret")),
    ("INFO", lambda k: ("INFO", "server")),
    ("KEYS", lambda k: ("KEYS", "*")),
    ("CONFIG GET", lambda k: ("CONFIG", "GET", "maxmemory")),
    ("ACL LIST", lambda k: ("ACL", "LIST")),
    ("FLUSHALL", lambda k: ("FLUSHALL",)),
]  # fmt: skip

CONSUMER_ALLOWED = {
    "PING", "XREADGROUP articles", "XACK articles", "XPENDING articles", "XAUTOCLAIM articles",
    "XCLAIM articles", "XINFO GROUPS articles", "XGROUP CREATE articles",
    "XGROUP SETID articles", "XRANGE articles", "XADD group dead letters", "EVAL script",
    "HSET group sent back", "ZADD group sent back due", "TIME",
}  # fmt: skip
SERVER_ADMINISTRATION = {"KEYS", "CONFIG GET", "ACL LIST", "FLUSHALL", "GET other namespace"}
PIPELINE_ALLOWED = {label for label, _ in COMMANDS} - SERVER_ADMINISTRATION - {"INFO"}
ADMIN_ALLOWED = PIPELINE_ALLOWED | {"INFO"}


@dataclass
class AclServer:
    port: int
    keys: Keys

    def url(self, user: str) -> str:
        return f"redis://{user}:{PASSWORDS[user]}@127.0.0.1:{self.port}/0"

    def client(self, user: str | None) -> redis.Redis:
        # No retries: a refused connection (NOAUTH) is an answer, not an outage.
        options = {"port": self.port, "decode_responses": True, "retry": Retry(NoBackoff(), 0)}
        if user is None:
            return redis.Redis(**options)
        return redis.Redis(username=user, password=PASSWORDS.get(user, "inspect-pw"), **options)


@pytest.fixture
def acl_server(wirestream: Wirestream, keys: Keys, tmp_path: Path) -> Iterator[AclServer]:
    env = {f"WIRESTREAM_ACL_{user.upper()}_PASSWORD": pw for user, pw in PASSWORDS.items()}
    written = wirestream("acl", "--namespace", keys.namespace, **env)
    assert written.returncode == 0, written.stderr
    acl_file = tmp_path / "users.acl"
    acl_file.write_text(written.stdout + INSPECTOR)
    servers = RedisProcesses(tmp_path / "redis")
    try:
        yield AclServer(servers.server("acl", "--aclfile", str(acl_file)), keys)
    finally:
        servers.stop_all()


def outcome(client: redis.Redis, command: tuple[str, ...]) -> str:
    try:
        client.execute_command(*command)
    except redis.exceptions.NoPermissionError:
        return "refused"
    except redis.AuthenticationError:  # NOAUTH: the default user is off
        return "refused"
    except redis.ResponseError as error:
        return f"allowed ({error})"
    return "allowed"


def prepare(server: AclServer) -> None:
    admin = server.client("admin")
    keys = server.keys
    admin.xadd(keys.articles_stream, {"id": "a1", "event": "article.created"})
    admin.xgroup_create(keys.articles_stream, GROUP, id="0")
    admin.xadd(keys.dead_stream, {"stage": "fetch"})
    admin.rpush(keys.broker_queue("articles"), "{}")
    admin.hset(keys.feeds, "f1", "{}")
    admin.close()


def test_each_user_is_allowed_its_role_and_refused_the_rest(acl_server: AclServer) -> None:
    prepare(acl_server)
    users: list[str | None] = ["consumer", "pipeline", "admin", None]
    matrix: dict[str | None, dict[str, str]] = {}
    for user in users:
        client = acl_server.client(user)
        # FLUSHALL last: a user allowed it would empty the data the others are tried on.
        matrix[user] = {label: outcome(client, make(acl_server.keys)) for label, make in COMMANDS}
        client.close()

    header = "| command | " + " | ".join(user or "no user (default)" for user in users) + " |"
    rows = [
        f"| {label} | " + " | ".join(matrix[user][label].split(" (")[0] for user in users) + " |"
        for label, _ in COMMANDS
    ]
    print("\n" + "\n".join([header, "|---" * (len(users) + 1) + "|", *rows]))

    def allowed(user: str | None) -> set[str]:
        return {label for label, seen in matrix[user].items() if seen.startswith("allowed")}

    assert allowed("consumer") == CONSUMER_ALLOWED
    assert allowed("pipeline") == PIPELINE_ALLOWED
    assert allowed("admin") == ADMIN_ALLOWED
    assert allowed(None) == set()


def test_workers_run_as_pipeline_and_a_consumer_reads_as_consumer(
    acl_server: AclServer, wirestream: Wirestream, simweb: SimWeb
) -> None:
    as_admin = {"WIRESTREAM_REDIS_URL": acl_server.url("admin")}
    as_pipeline = {"WIRESTREAM_REDIS_URL": acl_server.url("pipeline")}
    as_consumer = {"WIRESTREAM_REDIS_URL": acl_server.url("consumer")}
    feed = simweb.feed_urls()[0]

    assert wirestream("feeds", "add", "--no-check", feed, **as_admin).returncode == 0
    run = wirestream("run", "--until-idle", "--timeout", "180", **as_pipeline)
    assert run.returncode == 0, run.stderr[-3000:]

    inspector = acl_server.client("inspector")
    published = inspector.xlen(acl_server.keys.articles_stream)
    denials = inspector.acl_log()
    inspector.close()
    assert published > 0
    assert denials == [], denials

    tail = wirestream(
        "tail", "--from-start", "--group", GROUP, "--consumer", "c1", "--no-follow",
        **as_consumer,
    )  # fmt: skip
    assert tail.returncode == 0, tail.stderr
    assert len([json.loads(line) for line in tail.stdout.splitlines()]) == published

    # A group's dead letters sent back and delivered again, as the consumer user.
    consume = ("consume", "--group", "hook", "--from-start", "--no-follow")
    failed = wirestream(
        *consume, "--count", "1", "--", "false", WIRESTREAM_CONSUMER_MAX_DELIVERIES="1",
        **as_consumer,
    )  # fmt: skip
    assert failed.returncode == 0, failed.stderr
    retried = wirestream("groups", "dead", "retry", "hook", "--all", **as_consumer)
    assert retried.returncode == 0, retried.stderr
    delivered = wirestream(*consume, "--", "true", **as_consumer)
    assert delivered.returncode == 0, delivered.stderr
    inspector = acl_server.client("inspector")
    assert inspector.xlen(acl_server.keys.group_dead_stream("hook")) == 0
    assert inspector.zcard(acl_server.keys.group_sent_back_due("hook")) == 0
    assert inspector.acl_log() == []
    inspector.close()

    refused = wirestream("feeds", "list", **as_consumer)
    assert refused.returncode == 1
    assert "no permissions to run the 'hgetall' command" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert "docs/security.md" in refused.stderr


def test_acl_without_the_passwords_is_refused_naming_the_variables(wirestream: Wirestream) -> None:
    result = wirestream("acl", WIRESTREAM_ACL_PIPELINE_PASSWORD="p")

    assert result.returncode == 2
    assert result.stdout == ""
    assert "WIRESTREAM_ACL_CONSUMER_PASSWORD, WIRESTREAM_ACL_ADMIN_PASSWORD" in result.stderr


def test_acl_file_holds_password_digests_not_passwords(wirestream: Wirestream, keys: Keys) -> None:
    env = {f"WIRESTREAM_ACL_{user.upper()}_PASSWORD": pw for user, pw in PASSWORDS.items()}
    result = wirestream("acl", **env)

    assert result.returncode == 0, result.stderr
    for password in PASSWORDS.values():
        assert password not in result.stdout
    assert "user default off" in result.stdout
