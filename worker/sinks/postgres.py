"""The PostgreSQL sink: the article stream kept as tables (``wirestream sink postgres``).

Tables (created and migrated by the sink itself, see ``migrations/``): ``articles`` (one row
per article id, the newest event applied), ``cluster_members`` (how each article joined its
story), ``clusters`` (one row per story, recomputed from its members), ``sink_positions``
(the newest stream id each group applied) and ``schema_migrations``.

Exactly-once effect on an at-least-once stream: every write is an upsert keyed on the
article id and guarded by the event's revision and stream id (an older entry never
overwrites a newer one, the same entry applied again changes nothing), and every row is a
function of the stream alone. So an entry delivered once, five times, or replayed from the
start leaves the same rows, and a sink killed between its commit and its ack only applies
that batch again.

Errors: an entry the tables cannot take (a field missing, ``data`` not an article, a value
the database refuses) is an :class:`EntryError`: the consumer dead-letters it at once and the
rest of its batch is written. A database that cannot be reached, or goes away, is
:class:`ArchiveUnavailable`: the sink stops, its batch stays pending for its next start (a
restart policy restarts it), and nothing is dead-lettered for an outage.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any, Self

import psycopg
from psycopg import conninfo

from worker.consumer import (
    Consumer,
    EntryError,
    PartialFailure,
    StopConsuming,
    StreamEntry,
    describe_error,
)
from worker.errors import ConfigError, PermanentError, WirestreamError

STAGE = "sink postgres"

# Taken for the whole migration, so two sinks started at once never both create a table.
_MIGRATION_LOCK = 0x77697265  # "wire"

# Whether event {a} comes before event {b} of one article: by revision, then by stream id;
# by stream id alone when either revision is not known (0). See migration 0002.
_BEFORE = """(CASE WHEN {a}.revision = 0 OR {b}.revision = 0
    THEN ({a}.stream_ms, {a}.stream_seq) < ({b}.stream_ms, {b}.stream_seq)
    ELSE ({a}.revision, {a}.stream_ms, {a}.stream_seq)
        < ({b}.revision, {b}.stream_ms, {b}.stream_seq) END)"""

_UPSERT_ARTICLE = f"""
INSERT INTO articles (id, event, revision, stream_ms, stream_seq, url, feed, language,
                      cluster_id, duplicate_of, title, published_at, content_hash, data)
VALUES (%(id)s, %(event)s, %(revision)s, %(stream_ms)s, %(stream_seq)s, %(url)s, %(feed)s,
        %(language)s, %(cluster_id)s, %(duplicate_of)s, %(title)s, %(published_at)s,
        %(content_hash)s, %(data)s::jsonb)
ON CONFLICT (id) DO UPDATE SET
    event = EXCLUDED.event, revision = EXCLUDED.revision, stream_ms = EXCLUDED.stream_ms,
    stream_seq = EXCLUDED.stream_seq, url = EXCLUDED.url, feed = EXCLUDED.feed,
    language = EXCLUDED.language, cluster_id = EXCLUDED.cluster_id,
    duplicate_of = EXCLUDED.duplicate_of, title = EXCLUDED.title,
    published_at = EXCLUDED.published_at, content_hash = EXCLUDED.content_hash,
    data = EXCLUDED.data
WHERE {_BEFORE.format(a="articles", b="EXCLUDED")}
"""

# The earliest event is how the article joined its story: a later one never replaces it.
_UPSERT_MEMBER = f"""
INSERT INTO cluster_members (article_id, cluster_id, event, similarity, revision, stream_ms,
                             stream_seq)
VALUES (%(id)s, %(cluster_id)s, %(event)s, %(similarity)s, %(revision)s, %(stream_ms)s,
        %(stream_seq)s)
ON CONFLICT (article_id) DO UPDATE SET
    cluster_id = EXCLUDED.cluster_id, event = EXCLUDED.event,
    similarity = EXCLUDED.similarity, revision = EXCLUDED.revision,
    stream_ms = EXCLUDED.stream_ms, stream_seq = EXCLUDED.stream_seq
WHERE {_BEFORE.format(a="EXCLUDED", b="cluster_members")}
"""

_REFRESH_CLUSTERS = """
INSERT INTO clusters (id, size, first_seen_at, last_seen_at)
SELECT cluster_id, count(*), to_timestamp(min(stream_ms) / 1000.0),
       to_timestamp(max(stream_ms) / 1000.0)
FROM cluster_members WHERE cluster_id = ANY(%s) GROUP BY cluster_id
ON CONFLICT (id) DO UPDATE SET
    size = EXCLUDED.size, first_seen_at = EXCLUDED.first_seen_at,
    last_seen_at = EXCLUDED.last_seen_at
"""

_ADVANCE_POSITION = """
INSERT INTO sink_positions (group_name, stream_ms, stream_seq) VALUES (%s, %s, %s)
ON CONFLICT (group_name) DO UPDATE SET
    stream_ms = EXCLUDED.stream_ms, stream_seq = EXCLUDED.stream_seq
WHERE (sink_positions.stream_ms, sink_positions.stream_seq)
    < (EXCLUDED.stream_ms, EXCLUDED.stream_seq)
"""


# A database that drops off the network without a reset (its host gone, a cable cut) must fail
# the sink's transaction within a minute, not hang it until TCP gives up (15 minutes and more
# on Linux) while the sink holds its batch from the rest of its group: keepalives for an idle
# connection, and a limit on data the server has not acknowledged. A DSN that sets any of
# them keeps its own.
CONNECTION_DEFAULTS = {
    "keepalives": "1",
    "keepalives_idle": "10",
    "keepalives_interval": "5",
    "keepalives_count": "3",
    "tcp_user_timeout": "30000",
}
# Each statement of a batch's transaction, on the server (a lock that never comes).
BATCH_STATEMENT_TIMEOUT = "60s"


class ArchiveUnavailable(WirestreamError):
    """The database cannot be reached or failed mid-write: nothing of the batch is kept."""


@dataclass(frozen=True)
class ArticleRow:
    """What one stream entry writes: its article row and its story membership."""

    stream_ms: int
    stream_seq: int
    id: str
    event: str
    revision: int  # 0: the entry does not say
    url: str
    feed: str
    language: str | None
    cluster_id: str
    duplicate_of: str | None
    title: str | None
    published_at: datetime | None
    content_hash: str | None
    similarity: float | None
    data: str  # the article JSON as the entry carries it, stored as jsonb

    @property
    def stream_id(self) -> str:
        return f"{self.stream_ms}-{self.stream_seq}"

    def parameters(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event": self.event,
            "revision": self.revision,
            "stream_ms": self.stream_ms,
            "stream_seq": self.stream_seq,
            "url": self.url,
            "feed": self.feed,
            "language": self.language,
            "cluster_id": self.cluster_id,
            "duplicate_of": self.duplicate_of,
            "title": self.title,
            "published_at": self.published_at,
            "content_hash": self.content_hash,
            "similarity": self.similarity,
            "data": self.data,
        }


def article_row(entry: StreamEntry) -> ArticleRow:
    """The row of one entry; an :class:`EntryError` naming the entry when it lacks what a row
    needs. The article is stored as the entry carries it (no re-encoding)."""
    ms, seq = _stream_position(entry.stream_id)
    data = entry.data  # EntryError when it is not a JSON object
    found = data.get("dedupe")
    dedupe: dict[str, Any] = found if isinstance(found, dict) else {}
    fields = entry.fields
    try:
        return ArticleRow(
            stream_ms=ms,
            stream_seq=seq,
            id=_text(fields, "id"),
            event=_text(fields, "event"),
            revision=_revision(fields),
            url=_text(fields, "url"),
            feed=_text(fields, "feed"),
            language=fields.get("lang") or None,
            cluster_id=_text(fields, "cluster"),
            duplicate_of=fields.get("duplicate_of") or None,
            title=_optional_text(data, "title"),
            published_at=_timestamp(data.get("published_at")),
            content_hash=_optional_text(dedupe, "content_hash"),
            similarity=_optional_number(dedupe, "similarity"),
            data=fields["data"],
        )
    except (KeyError, ValueError, TypeError) as error:
        raise EntryError(entry.stream_id, f"{STAGE}: {str(error).strip(chr(34))}") from None


def _stream_position(stream_id: str) -> tuple[int, int]:
    ms, dash, seq = stream_id.partition("-")
    if not (ms.isdigit() and dash and seq.isdigit()):
        raise EntryError(stream_id, f"{STAGE}: not a stream entry id")
    return int(ms), int(seq)


def _revision(fields: Mapping[str, str]) -> int:
    value = fields.get("revision")
    if value is None:
        return 0
    if not (value.isdigit() and 0 < int(value) < 2**31):
        raise ValueError(f"revision {value!r} is not a positive whole number")
    return int(value)


def _text(fields: Mapping[str, str], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or not value:
        raise KeyError(f"no {name!r} field")
    return value


# A value of another type would make PostgreSQL refuse the whole statement, not this row.
def _optional_text(values: Mapping[str, Any], name: str) -> str | None:
    value = values.get(name)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{name} is {type(value).__name__}, not a string")


def _optional_number(values: Mapping[str, Any], name: str) -> float | None:
    value = values.get(name)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"{name} is {type(value).__name__}, not a number")


def _timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"published_at {value!r} has no time zone")
    return moment


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The package's SQL migrations, ``NNNN_name.sql``, in version order."""
    found = []
    for item in resources.files("worker.sinks").joinpath("migrations").iterdir():
        number, _, rest = item.name.partition("_")
        if item.name.endswith(".sql") and number.isdigit():
            found.append(Migration(int(number), rest.removesuffix(".sql"), item.read_text()))
    return sorted(found, key=lambda migration: migration.version)


def check_dsn(dsn: str) -> str:
    """``dsn`` if libpq can parse it; a :class:`ConfigError` naming the problem otherwise."""
    try:
        conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as error:
        raise ConfigError(f"{STAGE}: invalid DSN: {_first_line(error)}") from None
    return dsn


class Archive:
    """One connection to the archive database; :meth:`apply` writes a batch of entries."""

    def __init__(self, connection: psycopg.Connection[Any], *, group: str) -> None:
        self._connection = connection
        self._group = group

    @classmethod
    def connect(cls, dsn: str, *, group: str, connect_timeout: float = 10.0) -> Self:
        parameters = {**CONNECTION_DEFAULTS, **conninfo.conninfo_to_dict(check_dsn(dsn))}
        with _translated_errors(f"connecting to {_masked(dsn)}"):
            connection = psycopg.connect(
                conninfo.make_conninfo("", **parameters),
                connect_timeout=max(1, round(connect_timeout)),
            )
        return cls(connection, group=group)

    def close(self) -> None:
        self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def migrate(self) -> list[int]:
        """Apply the migrations this database has not had, in one transaction; their versions."""
        applied_now = []
        with _translated_errors("migrating"), self._connection.transaction():
            self._connection.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            self._connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
                " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            cursor = self._connection.execute("SELECT version FROM schema_migrations")
            applied = {row[0] for row in cursor.fetchall()}
            for migration in migrations():
                if migration.version in applied:
                    continue
                self._connection.execute(migration.sql.encode())
                self._connection.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
                applied_now.append(migration.version)
        return applied_now

    def apply(self, rows: Sequence[ArticleRow]) -> None:
        """Write ``rows`` (in stream order or not) in one transaction, with the group's
        position; all of them or, on an error, none."""
        if not rows:
            return
        parameters = [row.parameters() for row in rows]
        newest = max(rows, key=lambda row: (row.stream_ms, row.stream_seq))
        # One pipeline for the whole transaction: its statements go in one round trip.
        with (
            _translated_errors("writing"),
            self._connection.pipeline(),
            self._connection.transaction(),
            self._connection.cursor() as cursor,
        ):
            cursor.execute(f"SET LOCAL statement_timeout = '{BATCH_STATEMENT_TIMEOUT}'")
            cursor.executemany(_UPSERT_ARTICLE, parameters)
            cursor.executemany(_UPSERT_MEMBER, parameters)
            cursor.execute(_REFRESH_CLUSTERS, (sorted({row.cluster_id for row in rows}),))
            cursor.execute(_ADVANCE_POSITION, (self._group, newest.stream_ms, newest.stream_seq))


@contextmanager
def _translated_errors(doing: str) -> Iterator[None]:
    try:
        yield
    except psycopg.OperationalError as error:
        raise ArchiveUnavailable(f"{STAGE}: {doing}: {_first_line(error)}") from None
    except (psycopg.DataError, psycopg.IntegrityError) as error:
        # A value the database refuses: the batch is not written; the caller isolates the
        # entry by applying the batch's entries one by one.
        raise PermanentError(STAGE, doing, _first_line(error)) from None
    except psycopg.Error as error:
        raise ArchiveUnavailable(f"{STAGE}: {doing}: {_first_line(error)}") from None


def _masked(dsn: str) -> str:
    """The DSN without its password, for messages."""
    try:
        parts = conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "the database"
    host = parts.get("host", "localhost")
    port = parts.get("port", "5432")
    return f"{parts.get('user', '')}@{host}:{port}/{parts.get('dbname', '')}".lstrip("@")


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


class PostgresSink:
    """The consumer's batch handler: each batch written in one transaction."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive

    def handle(self, entries: Sequence[StreamEntry]) -> None:
        """Write the batch; an entry the tables cannot take is reported in a
        :class:`PartialFailure` (dead-lettered at once) and the others are written."""
        rows: list[ArticleRow] = []
        failed: dict[str, str] = {}
        for entry in entries:
            try:
                rows.append(article_row(entry))
            except EntryError as error:
                failed[entry.stream_id] = describe_error(error)
        try:
            self._archive.apply(rows)
        except PermanentError:
            # A value the database refuses: write the rows one by one to find it.
            for row in rows:
                try:
                    self._archive.apply([row])
                except PermanentError as error:
                    refused = EntryError(row.stream_id, f"{STAGE}: {error.reason}")
                    failed[row.stream_id] = describe_error(refused)
        if failed:
            raise PartialFailure(failed)


def run_postgres_sink(consumer: Consumer, archive: Archive, *, until_idle: bool = False) -> int:
    """Migrate, then write what the consumer delivers until it stops; the entries settled.
    Raises :class:`ArchiveUnavailable`, its batch handed back, if the database fails."""
    archive.migrate()
    sink = PostgresSink(archive)
    unavailable: list[ArchiveUnavailable] = []

    def handle(entries: Sequence[StreamEntry]) -> None:
        try:
            sink.handle(entries)
        except ArchiveUnavailable as error:
            # Not the entries' fault: hand the batch back uncounted, so that an outage never
            # brings an entry closer to the dead letters, and stop.
            unavailable.append(error)
            raise StopConsuming(str(error)) from error

    settled = consumer.run(batch_handler=handle, until_idle=until_idle)
    if unavailable:
        raise unavailable[0]
    return settled
