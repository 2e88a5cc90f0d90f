"""The Redis ACL file for a deployment: one user per role, each allowed what its role needs.

::

    default    off: a connection without a user name can do nothing
    pipeline   workers and beat: every key of the namespace (state, broker queues, streams),
               no server administration (@dangerous: CONFIG, FLUSHALL, KEYS, DEBUG, ...)
    admin      the CLI's write commands (feeds add/import/remove, dead retry): as pipeline,
               plus the read-only diagnostics an operator uses (INFO, SLOWLOG GET, ...)
    consumer   reads <ns>:articles through consumer groups and writes its groups'
               dead-letter streams (<ns>:dead:group:<group>) and the dead letters sent
               back to them (<ns>:sent-back:group:<group>...); nothing else: not the
               broker's queues, not the feed state, not another key of the namespace
    replica    (when its password is set) a replica's replication link to the primary
    sentinel   (when its password is set) what Sentinel needs on primaries and replicas

Passwords are written as SHA-256 digests (``#<hex>``), so the file holds no secret. Users
are key patterns within the namespace: several deployments on one Redis each get their own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from worker.errors import ConfigError
from worker.keys import Keys
from worker.settings import ENV_PREFIX, Settings

# The commands a consumer group reader uses on the articles stream. XREADGROUP, XACK and
# the XGROUP subcommands modify the group's state, so the key is granted read-write; no
# command that adds to, trims or deletes from the stream is granted.
CONSUMER_STREAM_COMMANDS = (
    "xreadgroup", "xack", "xautoclaim", "xclaim", "xpending",
    "xinfo|stream", "xinfo|groups", "xinfo|consumers",
    "xgroup|create", "xgroup|setid", "xgroup|createconsumer", "xgroup|delconsumer",
    "xread", "xrange", "xrevrange", "xlen",
)  # fmt: skip
# worker.consumer moves a group and counts gaps in Lua scripts, and dead-letters and acks in
# one MULTI: every command inside is still checked against the rules above. The scripts of
# dead letters sent back read Redis's clock (TIME).
CONSUMER_SCRIPT_COMMANDS = (
    "eval", "evalsha", "script|load", "script|exists", "multi", "exec", "discard", "time",
)  # fmt: skip
# A group's dead-letter stream: written (capped) and read back by its own consumers, and a
# letter removed when `groups dead retry` sends it back.
CONSUMER_DEAD_LETTER_COMMANDS = ("xadd", "xdel", "xrange", "xrevrange", "xlen", "xinfo|stream")
# A group's dead letters sent back (an entry hash and a due-time set per group), taken and
# put off by scripts whose keys are these.
CONSUMER_SENT_BACK_COMMANDS = (
    "hset", "hget", "hdel", "hexists", "hincrby", "zadd", "zrem", "zrangebyscore", "zcard",
    "eval", "evalsha",
)  # fmt: skip
# What every client library sends on connecting, and a health check.
# (Redis 7.0 has no CLIENT SETINFO, which redis-py tries and does without.)
CONNECTION_COMMANDS = ("ping", "hello", "client|setname", "client|id")
ADMIN_DIAGNOSTICS = ("info", "slowlog|get", "slowlog|len", "latency", "memory|usage")
# Replication and Sentinel, as the Redis documentation lists them for ACL deployments.
REPLICA_COMMANDS = ("psync", "replconf", "ping")
SENTINEL_COMMANDS = (
    "multi", "slaveof", "replicaof", "ping", "exec", "subscribe", "config|rewrite", "role",
    "publish", "info", "client|setname", "client|kill", "script|kill",
)  # fmt: skip


@dataclass(frozen=True)
class AclUser:
    name: str
    password: str | None
    """None: written disabled (``off``)."""
    rules: tuple[str, ...]

    def line(self) -> str:
        state = f"on #{digest(self.password)}" if self.password else "off"
        return " ".join(("user", self.name, state, "resetkeys", "resetchannels", *self.rules))


def digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def acl_users(keys: Keys, passwords: dict[str, str | None]) -> list[AclUser]:
    namespace_rules = (*(f"~{pattern}" for pattern in keys.patterns), "&*", "+@all", "-@dangerous")
    return [
        AclUser("default", None, ("-@all",)),
        AclUser("pipeline", passwords["pipeline"], namespace_rules),
        AclUser("admin", passwords["admin"], (*namespace_rules, *allow(ADMIN_DIAGNOSTICS))),
        AclUser(
            "consumer",
            passwords["consumer"],
            (
                "-@all",
                f"~{keys.articles_stream}",
                *allow(CONSUMER_STREAM_COMMANDS),
                *allow(CONSUMER_SCRIPT_COMMANDS),
                *allow(CONNECTION_COMMANDS),
                # A selector: these commands on these keys only, so XADD reaches the
                # dead-letter streams and never the articles stream itself.
                f"(~{keys.group_dead_streams} {' '.join(allow(CONSUMER_DEAD_LETTER_COMMANDS))})",
                f"(~{keys.group_sent_back_keys} {' '.join(allow(CONSUMER_SENT_BACK_COMMANDS))})",
            ),
        ),
        AclUser("replica", passwords.get("replica"), ("-@all", *allow(REPLICA_COMMANDS))),
        AclUser("sentinel", passwords.get("sentinel"), ("-@all", "&*", *allow(SENTINEL_COMMANDS))),
    ]


def allow(commands: Sequence[str]) -> list[str]:
    return [f"+{command}" for command in commands]


def render_acl_file(settings: Settings, namespace: str | None = None) -> str:
    """The ACL file's text; a missing password of a required user is a ConfigError."""
    required = {
        "pipeline": settings.acl_pipeline_password,
        "consumer": settings.acl_consumer_password,
        "admin": settings.acl_admin_password,
    }
    missing = [
        f"{ENV_PREFIX}ACL_{name.upper()}_PASSWORD" for name, pw in required.items() if not pw
    ]
    if missing:
        raise ConfigError(f"acl: set {', '.join(missing)} (or acl_*_password in the config file)")
    passwords = {
        **required,
        "replica": settings.acl_replica_password,
        "sentinel": settings.acl_sentinel_password,
    }
    keys = Keys(namespace or settings.namespace, cluster_safe=settings.redis_cluster)
    # An ACL file has no comments: Redis refuses any line that is not a user.
    return "".join(f"{user.line()}\n" for user in acl_users(keys, passwords))
