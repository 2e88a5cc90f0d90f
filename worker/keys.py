"""Every Redis key, stream name and queue name the project writes, in one place.

All of them start with the namespace (``WIRESTREAM_NAMESPACE``), so several deployments
can share one Redis and ``redis-cli --scan --pattern 'ns:*'`` shows everything of one.

On a Redis Cluster (``redis_cluster``) a Lua script or a MULTI may only touch keys of one
hash slot, and Redis hashes only the part of a key between the first ``{`` and ``}`` when
there is one. So the layout there has two families (:attr:`Keys.patterns`):

- ``{ns}:...``, one slot: everything the publish script touches in its one atomic step (the
  article, content, near-duplicate index and story keys, the streams, the counters) and what
  a script or MULTI ties to those (dead letters and the counters; a group's dead-letter
  stream and the articles stream).
- ``ns:...``, spread over the slots by the rest of the name: the seen entries (a poll's MGET
  reads them node by node), robots.txt, learnt boilerplate, canonical claims, worker
  heartbeats, histograms. Keys a script or MULTI pairs share a tag: a host's budget,
  failures and parked flag (``ns:host:{example.com}:budget``), the feed list, its due
  times and poll numbers (``ns:{feeds}``, ``ns:{feeds}:due``, ``ns:{feeds}:poll-numbers``,
  ``ns:{feeds}:poll-counter``), the task schedule and its messages
  (``ns:{schedule}``, ``ns:{schedule}:tasks``). Those two tags name no namespace: several
  namespaces on one cluster keep their feed lists in one slot, as they do their schedules.

Without a cluster the names carry no braces and are the same as they always were: a
single server or a Sentinel deployment keeps its data and its consumers' stream name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from worker.settings import Settings

FEEDS_QUEUE = "feeds"
ARTICLES_QUEUE = "articles"


@dataclass(frozen=True)
class Keys:
    namespace: str
    cluster_safe: bool = False
    """The Redis Cluster layout (hash tags, see the module's docstring)."""

    @classmethod
    def for_settings(cls, settings: Settings) -> Keys:
        return cls(settings.namespace, cluster_safe=settings.redis_cluster)

    @property
    def _pinned(self) -> str:
        """The prefix of the keys that must share one slot on a cluster."""
        return f"{{{self.namespace}}}" if self.cluster_safe else self.namespace

    def _slot_of(self, name: str) -> str:
        """``name`` as the hash tag of its keys on a cluster."""
        return f"{{{name}}}" if self.cluster_safe else name

    @property
    def patterns(self) -> tuple[str, ...]:
        """Glob patterns that match every key of the namespace (SCAN, ACL key patterns)."""
        if self.cluster_safe:
            return (f"{self.namespace}:*", f"{self._pinned}:*")
        return (f"{self.namespace}:*",)

    @property
    def articles_stream(self) -> str:
        """The product: one entry per article event."""
        return f"{self._pinned}:articles"

    def route_stream(self, route: str) -> str:
        """A copy of the entries a user rule routes there, in the same contract."""
        return f"{self._pinned}:route:{route}"

    @property
    def dead_stream(self) -> str:
        """Everything that could not be processed, with stage, reason, input and attempts."""
        return f"{self._pinned}:dead"

    def group_dead_stream(self, group: str) -> str:
        """Entries a consumer group's handler failed on ``max_deliveries`` times, each with
        its stream id, the error and the entry (``worker.consumer``)."""
        return f"{self._pinned}:dead:group:{group}"

    @property
    def group_dead_streams(self) -> str:
        """Pattern matching every group_dead_stream (the consumer user's ACL)."""
        return f"{self._pinned}:dead:group:*"

    def group_sent_back(self, group: str) -> str:
        """HASH of a group's dead letters an operator sent back to it (``groups dead retry``):
        ``e:<stream id>`` -> the entry JSON, ``n:<stream id>`` -> its deliveries since."""
        return f"{self._pinned}:sent-back:group:{group}"

    def group_sent_back_due(self, group: str) -> str:
        """ZSET stream id -> when it may be delivered again (ms, Redis's clock): 0 when sent
        back, a lease while a consumer holds it, a backoff after it failed again."""
        return f"{self.group_sent_back(group)}:due"

    @property
    def group_sent_back_keys(self) -> str:
        """Pattern matching both of every group (the consumer user's ACL)."""
        return f"{self._pinned}:sent-back:group:*"

    @property
    def feeds(self) -> str:
        """HASH feed id -> feed definition and state (JSON)."""
        return f"{self.namespace}:{self._slot_of('feeds')}"

    @property
    def poll_numbers(self) -> str:
        """HASH feed id -> the number of its latest poll (from poll_counter); in the feeds'
        slot. (Versions before it kept ``poll-starts``, start times from each host's clock:
        nothing reads that hash any more.)"""
        return f"{self.feeds}:poll-numbers"

    @property
    def poll_counter(self) -> str:
        """The number of the latest poll of any feed (INCR); in the feeds' slot."""
        return f"{self.feeds}:poll-counter"

    @property
    def due(self) -> str:
        """ZSET feed id -> time of its next poll (epoch seconds); in the feeds' slot."""
        if self.cluster_safe:
            return f"{self.feeds}:due"
        return f"{self.namespace}:due"

    @property
    def task_schedule(self) -> str:
        """ZSET task id -> when the task is due (epoch seconds, Redis's clock): deferred and
        retried tasks wait here, not in a worker's memory."""
        return f"{self.namespace}:{self._slot_of('schedule')}"

    @property
    def task_schedule_messages(self) -> str:
        """HASH task id -> the scheduled task (name, arguments, queue, retries) as JSON."""
        return f"{self.task_schedule}:tasks"

    @property
    def stats(self) -> str:
        """HASH counter name -> count, for run summaries and status."""
        return f"{self._pinned}:stats"

    @property
    def histograms(self) -> str:
        """HASH "<histogram>|<label>|<bucket bound>" -> observations in that bucket alone, and
        "<histogram>|<label>|sum" -> their total, for the metrics endpoint."""
        return f"{self.namespace}:histograms"

    def worker_heartbeat(self, worker: str) -> str:
        """Present while the Celery worker of that name sends heartbeats (value: epoch seconds)."""
        return f"{self.namespace}:worker:{worker}"

    @property
    def worker_heartbeats(self) -> str:
        """SCAN pattern matching every worker_heartbeat key."""
        return f"{self.namespace}:worker:*"

    def seen_entry(self, entry_key: str) -> str:
        """Present while a feed entry (by GUID or canonical URL digest) counts as seen."""
        return f"{self.namespace}:seen:{entry_key}"

    def article(self, article_id: str) -> str:
        """HASH: the published article's content hash, cluster and stream entry id."""
        return f"{self._pinned}:article:{article_id}"

    def content(self, content_hash: str) -> str:
        """The id of the first article published with this exact body."""
        return f"{self._pinned}:content:{content_hash}"

    def host_lines(self, host: str) -> str:
        """HASH line key -> number of the host's pages it was seen on (boilerplate learning)."""
        return f"{self.namespace}:lines:{host}"

    def host_boilerplate(self, host: str) -> str:
        """SET of the line keys seen on enough of the host's pages to count as boilerplate."""
        return f"{self.namespace}:boilerplate:{host}"

    def poll_lines(self, feed_id: str, polled_at: str) -> str:
        """HASH line key -> the first page of one poll of the feed that had the line: a line
        another page of the same poll had is boilerplate (learnt from the batch)."""
        return f"{self.namespace}:poll-lines:{feed_id}:{polled_at}"

    def host_canonicals(self, host: str) -> str:
        """HASH canonical URL -> the first claim of it on the host's pages (see
        :func:`worker.stages.publish.canonical_claim`)."""
        return f"{self.namespace}:canonicals:{host}"

    def host_canonicals_distrusted(self, host: str) -> str:
        """Present while the host's ``rel=canonical`` links are not trusted: its pages are
        identified by where they were fetched."""
        return f"{self.namespace}:canonicals-distrusted:{host}"

    def lsh_bucket(self, bucket: int) -> str:
        """HASH for the articles indexed in one time bucket of the near-duplicate window: LSH
        band fields -> the refs of the articles with that band, ``s<ref>`` -> signature
        record. It expires a window after its bucket ends."""
        return f"{self._pinned}:lsh:{bucket}"

    @property
    def cluster_prefix(self) -> str:
        """The publishing script decides the cluster, so it appends the id to this prefix."""
        return f"{self._pinned}:cluster:"

    def cluster(self, cluster_id: str) -> str:
        """LIST of the members of one story (JSON each), kept for the dedupe window."""
        return f"{self.cluster_prefix}{cluster_id}"

    def host_budget(self, host: str) -> str:
        """The host's next free request time (GCRA), shared by every worker."""
        return f"{self.namespace}:host:{self._slot_of(host)}:budget"

    def host_turns(self, host: str) -> str:
        """ZSET URL -> when that request, refused by the host's budget, may ask again."""
        return f"{self.namespace}:host:{self._slot_of(host)}:turns"

    def host_failures(self, host: str) -> str:
        """Failures in a row of requests to the host (connection errors, 5xx)."""
        return f"{self.namespace}:host:{self._slot_of(host)}:failures"

    def host_parked(self, host: str) -> str:
        """Present while the host is parked: no request goes to it."""
        return f"{self.namespace}:host:{self._slot_of(host)}:parked"

    def robots(self, origin: str) -> str:
        """The robots.txt policy of one origin (scheme, host, port), as JSON, with a TTL."""
        return f"{self.namespace}:robots:{origin}"

    @property
    def broker_prefix(self) -> str:
        """Prefix kombu puts before its queue lists and unacked hash (on ``broker_url``'s
        Redis when it is set: never on a cluster)."""
        return f"{self.namespace}:celery:"

    def broker_queue(self, queue: str) -> str:
        return f"{self.broker_prefix}{queue}"

    def broker_in_flight(self, queue: str) -> str:
        """LIST of the messages a worker took from ``queue`` and has not yet written to the
        unacked hash (``worker/adapters/broker.py``; kombu's separator before the suffix)."""
        return f"{self.broker_queue(queue)}\x06\x16inflight"

    @property
    def broker_unacked(self) -> str:
        """HASH delivery tag -> a message delivered to a worker and not yet acknowledged."""
        return f"{self.broker_prefix}unacked"

    @property
    def broker_unacked_index(self) -> str:
        """ZSET delivery tag -> when it was delivered: kombu restores those older than the
        visibility timeout."""
        return f"{self.broker_prefix}unacked_index"
