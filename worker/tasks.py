"""Thin Celery glue: arguments in, one pipeline call, the retry policy, a summary log line."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache, partial
from typing import Any
from urllib.parse import urlsplit

from celery import Task, uuid
from celery.exceptions import Reject, SoftTimeLimitExceeded
from celery.signals import (
    heartbeat_sent,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_init,
    worker_process_shutdown,
    worker_shutdown,
)
from celery.worker import state as worker_state
from celery.worker.request import Request
from kombu.exceptions import BatchPublishError, OperationalError
from structlog.contextvars import bind_contextvars, clear_contextvars

from worker import pipeline
from worker.adapters.cpu import CpuPool, CpuStepFailed
from worker.adapters.embedded_redis import redis_url_for
from worker.adapters.heartbeats import BackgroundHeartbeats
from worker.adapters.metrics import DISCOVERY_TO_STREAM_SECONDS, STAGE_SECONDS
from worker.adapters.redis_client import redis_errors
from worker.adapters.task_schedule import ScheduledTask
from worker.app import app, settings
from worker.drainer import ScheduleDrainer
from worker.errors import Deferred, RedisUnavailable, RetryableError, StageError
from worker.keys import ARTICLES_QUEUE, FEEDS_QUEUE
from worker.logs import configure_logging, get_logger
from worker.models import FeedEntry
from worker.services import (
    Services,
    build_services,
    build_tagger,
    prepare_cpu_process,
    utc_now,
    warm_up_tagger,
)
from worker.stages.extract import warm_up
from worker.stages.schedule import deferral_delay, retry_delay

log = get_logger(__name__)

# The most feeds one beat tick hands out per batch, and batches per tick.
DUE_BATCH = 500
DUE_BATCHES_PER_TICK = 20
# Feeds per poll_feeds task. A task message costs the worker about as much CPU as a 304
# poll itself (benchmarks/polling.py); batches of 20 make that negligible while a batch of
# 20 slow feeds still ends long before its lease (POLL_LEASE) does.
POLL_BATCH = 20

# As long as a prefork child may take to come up (worker_proc_alive_timeout in app.py).
CPU_PROCESSES_START_TIMEOUT = 60.0

_services: tuple[int, Services] | None = None
_cpu_pool: CpuPool | None = None
"""The articles worker's CPU processes, when it waits on the network in threads."""


def current_services() -> Services:
    """This process's resources, built on first use after the fork (never shared across it)."""
    global _services
    if _services is None or _services[0] != os.getpid():
        services = build_services(
            settings, redis_url_for(settings.redis_url, settings.data_dir), enqueue_entries
        )
        if _cpu_pool is not None:
            services.cpu = _cpu_pool
        _services = (os.getpid(), services)
    return _services[1]


def enqueue_entries(entries: Sequence[FeedEntry]) -> None:
    if not entries:
        return
    # One round trip for the poll's entries (kombu's publish batch, a pipeline) instead of
    # one per entry. A batch that fails may have sent some of them: the poll fails before
    # its entries are remembered, and the next poll sends them again (the publish is
    # idempotent).
    with (
        _broker_errors(entries[0].source_url),
        app.producer_or_acquire() as producer,
        producer.batch(),
    ):
        for entry in entries:
            process_entry.apply_async(
                (entry.to_payload(),),
                queue=ARTICLES_QUEUE,
                producer=producer,
                argsrepr=repr(entry.source_url),
                # Celery sends to a queue on the anonymous exchange, straight to its Redis
                # list: nothing to declare. Declared anyway, every message went through
                # kombu's retrying wrapper to find the queue in its cache: 13 % of the
                # feeds worker's interpreter time (benchmarks/throughput.py, py-spy --gil).
                declare=[],
            )


@contextmanager
def _broker_errors(subject: str) -> Iterator[None]:
    """The broker unreachable (kombu gave up, or a batch's delivery is uncertain) or refusing
    writes is a retryable failure of the enqueue stage."""
    try:
        with redis_errors("enqueue", subject):
            yield
    except (OperationalError, BatchPublishError) as error:
        raise RedisUnavailable("enqueue", subject, f"broker unavailable: {error}") from error


@app.task(name="wirestream.schedule_due_feeds", ignore_result=True)
def schedule_due_feeds() -> int:
    services = current_services()
    handed_out = 0
    for _ in range(DUE_BATCHES_PER_TICK):
        feed_ids = services.feeds.claim_due(
            services.clock(), lease_seconds=settings.poll_lease, limit=DUE_BATCH
        )
        with app.producer_or_acquire() as producer:
            # Flower shows the feeds' URLs as the task's argument, not opaque ids.
            urls = services.feeds.urls(feed_ids)
            for start in range(0, len(feed_ids), POLL_BATCH):
                batch = feed_ids[start : start + POLL_BATCH]
                poll_feeds.apply_async(
                    (batch,),
                    queue=FEEDS_QUEUE,
                    producer=producer,
                    argsrepr=repr([urls.get(feed_id, feed_id) for feed_id in batch]),
                )
        handed_out += len(feed_ids)
        if len(feed_ids) < DUE_BATCH:
            break
    if handed_out:
        log.info("due_feeds_scheduled", count=handed_out)
    return handed_out


@app.task(name="wirestream.poll_feeds", ignore_result=True)
def poll_feeds(feed_ids: list[str]) -> None:
    """Due feeds, one after another: one task message per batch instead of one per feed."""
    services = current_services()
    started = time.monotonic()
    with _requeued_if_redis_is_away():
        urls = services.feeds.urls(feed_ids)
        for index, feed_id in enumerate(feed_ids):
            if time.monotonic() - started > settings.task_time_limit / 2:
                # The threads pool enforces no time limit: a slow batch hands its other feeds
                # to a new task, so that it is acknowledged within the visibility timeout
                # instead of being delivered a second time while it runs.
                rest = feed_ids[index:]
                poll_feeds.apply_async(
                    (rest,), queue=FEEDS_QUEUE, argsrepr=repr([urls.get(i, i) for i in rest])
                )
                break
            bind_contextvars(url=urls.get(feed_id))
            try:
                outcome = pipeline.poll_feed(feed_id, services)
            except RetryableError:
                raise  # Redis went away (the pipeline handles every fetch failure itself)
            except Exception as error:
                # A bug, or a library failing on a hostile feed: the other feeds of the batch
                # are still polled; this one is offered again when its lease ends.
                log.exception("feed_poll_crashed", feed_id=feed_id, error=repr(error))
                continue
            _after_poll(services, outcome, urls.get(feed_id))


@app.task(name="wirestream.poll_feed", ignore_result=True)
def poll_feed(feed_id: str) -> None:
    services = current_services()
    with _requeued_if_redis_is_away():
        feed_url = services.feeds.urls([feed_id]).get(feed_id)
        bind_contextvars(url=feed_url)
        _after_poll(services, pipeline.poll_feed(feed_id, services), feed_url)


@contextmanager
def _requeued_if_redis_is_away() -> Iterator[None]:
    """A task that Redis failed mid-way goes back to its queue instead of being acknowledged
    as failed: a poll would leave its feeds waiting for their lease (``poll_lease``), an
    entry would be lost. While Redis is still away the requeue fails too, and the message
    waits in kombu's unacked hash until a sweep puts it back. Doing either again is
    harmless: 304s and seen entries, an article already published is not published twice."""
    try:
        yield
    except RetryableError as error:
        raise Reject(str(error), requeue=True) from error


def _after_poll(services: Services, outcome: pipeline.PollOutcome, feed_url: str | None) -> None:
    services.histograms.observe(
        STAGE_SECONDS, {f"poll_feed:{stage}": ms / 1000 for stage, ms in outcome.timings.items()}
    )
    if isinstance(outcome.error, RetryableError):
        _count_throttling(services, outcome.error, feed_url)
    if outcome.poll_again_in is not None:
        # The feed's host could not take the request yet: the same poll, a little later.
        services.schedule.add(
            ScheduledTask(
                id=uuid(),
                name=poll_feed.name,
                args=[outcome.feed_id],
                queue=FEEDS_QUEUE,
                retries=0,
                argsrepr=repr(feed_url or outcome.feed_id),
            ),
            delay=outcome.poll_again_in,
        )
    log.info(
        "feed_polled",
        feed_id=outcome.feed_id,
        status=outcome.status,
        new_entries=outcome.new_entries,
        rejected_entries=outcome.rejected_entries,
        error=str(outcome.error) if outcome.error else None,
        timings_ms=outcome.timings,
    )


class EntryRequest(Request):  # type: ignore[misc]
    """A delivery of ``process_entry``, as the worker's main process sees it."""

    def on_timeout(self, soft: bool, timeout: float) -> None:
        """Past the hard time limit, a prefork pool kills the child that runs the task, and
        Celery (5.7, in this process) acknowledges the message: the entry would be gone, with
        no dead letter. It gets another attempt later, as a CPU step past its limit does in
        the threads worker, and a dead letter once its attempts are spent. A soft limit is
        handled in the task itself (``stopped_by_time_limit``)."""
        if not soft and not worker_state.should_terminate:
            payload = self.args[0] if self.args else None
            url = payload.get("source_url") if isinstance(payload, dict) else None
            attempt = int(self.request_dict.get("retries") or 0) + 1
            killed = RetryableError(
                "process", str(url), f"hard time limit ({timeout:g} s) exceeded: process killed"
            )
            try:
                _retry_or_dead_letter(current_services(), killed, payload, attempt)
            except (Reject, RetryableError) as error:
                # Redis is away: so is the acknowledgement below, and the delivery comes back
                # after the visibility timeout. Raising here would end the pool's thread that
                # enforces every time limit.
                log.warning("entry_timeout_not_rescheduled", error=str(error))
        super().on_timeout(soft, timeout)


@app.task(
    name="wirestream.process_entry",
    bind=True,
    ignore_result=True,
    max_retries=settings.max_attempts - 1,
    Request=EntryRequest,
)
def process_entry(self: Task, payload: dict[str, Any]) -> None:
    services = current_services()
    attempt = self.request.retries + 1
    url = payload.get("source_url") or payload.get("url") if isinstance(payload, dict) else None
    bind_contextvars(url=url)
    # A failure that Redis caused while the failure itself was being handled (it is down,
    # or refuses writes: its memory is full) sends the task back to its queue: it must
    # not be acknowledged as done.
    with _requeued_if_redis_is_away():
        _process_entry(self, services, payload, attempt)


def _process_entry(task: Task, services: Services, payload: Any, attempt: int) -> None:
    try:
        entry = FeedEntry.from_payload(payload)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        _dead_letter(
            services, "input", f"malformed task payload: {error!r}", payload, attempt, "ValueError"
        )
        return
    try:
        outcome = pipeline.process_entry(entry, services)
    except Deferred as wait:
        _reschedule(task, services, payload, wait)
        return
    except CpuStepFailed as failed:
        # A CPU step ran past the time limit, or its process died (as a prefork child can):
        # another try, and a page that does it every time ends after max_attempts.
        lost = RetryableError("process", entry.source_url, failed.reason)
        _retry_or_dead_letter(services, lost, payload, attempt)
        return
    except RetryableError as error:
        _retry_or_dead_letter(services, error, payload, attempt)
        return
    except Exception as error:
        if stopped_by_time_limit(error):
            # A slow host, a pathological page, or a cold process (spaCy's first import):
            # worth another try, later.
            timed_out = RetryableError("process", entry.source_url, "time limit exceeded")
            _retry_or_dead_letter(services, timed_out, payload, attempt)
        elif isinstance(error, StageError):
            _dead_letter(
                services, error.stage, error.reason, payload, attempt, type(error).__name__
            )
        else:
            # A bug, or a library failing on hostile input: the entry is kept, the worker
            # goes on.
            log.exception("entry_crashed", error=repr(error))
            _dead_letter(
                services,
                "process",
                f"unexpected {type(error).__name__}: {error}",
                payload,
                attempt,
                type(error).__name__,
            )
        return
    services.histograms.observe(
        STAGE_SECONDS,
        {f"process_entry:{stage}": ms / 1000 for stage, ms in outcome.timings.items()},
    )
    if outcome.result.event:
        delay = (services.clock() - entry.discovered_at).total_seconds()
        services.histograms.observe(DISCOVERY_TO_STREAM_SECONDS, {"": delay})
    log.info(
        "entry_processed",
        outcome=outcome.outcome,
        article_id=outcome.article_id,
        article_url=outcome.url,
        stream_event=outcome.result.event,
        cluster_id=outcome.result.cluster_id,
        duplicate_of=outcome.result.duplicate_of,
        similarity=outcome.result.similarity,
        stream_id=outcome.result.stream_id,
        attempt=attempt,
        timings_ms=outcome.timings,
    )


def stopped_by_time_limit(error: BaseException) -> bool:
    """Whether the soft time limit raised ``error`` or an error on its way out. billiard
    raises it from a signal handler wherever the task is, and a library that turns every
    exception into its own hides it: spaCy's first import in a process reads a YAML file
    through srsly, which raised ``ValueError: Invalid YAML: SoftTimeLimitExceeded()``, and
    that entry was dead-lettered at its first attempt (issue 19)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, SoftTimeLimitExceeded):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _count_throttling(services: Services, error: RetryableError, url: str | None) -> None:
    """A host that answered 429 or 503 with Retry-After asked us to slow down."""
    if error.retry_after is not None and url:
        services.stats.add(f"throttled.{urlsplit(url).hostname or url}")


def _reschedule(task: Task, services: Services, payload: dict[str, Any], wait: Deferred) -> None:
    """Send the entry again for when its host can take it, as the same attempt: waiting for
    a host is no failure, and a worker slot never sleeps on it."""
    delay = deferral_delay(wait.delay, cap=settings.retry_backoff_max)
    next_task_id = _schedule_entry(services, payload, retries=task.request.retries, delay=delay)
    services.stats.add("entries.deferred")
    log.info("entry_deferred", reason=str(wait), delay_s=round(delay, 3), next_task_id=next_task_id)


def _retry_or_dead_letter(
    services: Services, error: RetryableError, payload: Any, attempt: int
) -> None:
    if isinstance(payload, dict):
        _count_throttling(services, error, payload.get("source_url"))
    if attempt >= settings.max_attempts:
        _dead_letter(services, error.stage, error.reason, payload, attempt, type(error).__name__)
        return
    delay = retry_delay(
        attempt,
        base=settings.retry_backoff_base,
        cap=settings.retry_backoff_max,
        random_fraction=services.random_fraction(),
        retry_after=error.retry_after,
    )
    next_task_id = _schedule_entry(services, payload, retries=attempt, delay=delay)
    log.info(
        "entry_retry_scheduled",
        error=str(error),
        attempt=attempt,
        delay_s=round(delay, 2),
        next_task_id=next_task_id,
    )


def _schedule_entry(services: Services, payload: Any, *, retries: int, delay: float) -> str:
    """The entry again in ``delay`` seconds, from the Redis schedule: no worker holds it
    meanwhile. If Redis cannot take it, the error goes up (``process_entry`` requeues the
    task rather than acknowledge it). Returns the id the task will have (logged, so that an
    entry can be followed)."""
    task_id = str(uuid())
    services.schedule.add(
        ScheduledTask(
            id=task_id,
            name=process_entry.name,
            args=[payload],
            queue=ARTICLES_QUEUE,
            retries=retries,
            argsrepr=repr(payload.get("source_url") if isinstance(payload, dict) else None),
        ),
        delay=delay,
    )
    return task_id


def _dead_letter(
    services: Services, stage: str, reason: str, payload: Any, attempt: int, error: str
) -> None:
    dead_id = pipeline.record_failure(
        services,
        stage=stage,
        reason=reason,
        payload=payload if isinstance(payload, dict) else {"payload": repr(payload)},
        attempts=attempt,
        task="process_entry",
        error=error,
    )
    log.warning(
        "entry_failed",
        outcome="failed",
        stage=stage,
        reason=reason,
        attempt=attempt,
        dead_letter_id=dead_id,
    )


# Every worker sends the scheduled tasks that fall due (worker/drainer.py).
app.steps["worker"].add(ScheduleDrainer)


@worker_init.connect
def _prepare_article_processes(sender: Any = None, **_: Any) -> None:
    # A feeds worker extracts no page: it starts 1-2 s sooner without the models.
    global _cpu_pool, _processes_tag
    consumed = sender.app.amqp.queues.consume_from if sender is not None else None
    if consumed and ARTICLES_QUEUE not in consumed:
        return
    if sender is not None and "thread" in str(sender.pool_cls):
        # Threads wait on the network; extraction, tagging and fingerprints run in processes
        # of their own, one per core, recycled as a prefork pool's children are. Each sets up
        # its logging and builds its tagger (spaCy's import) before its first step, as a
        # prefork child does below.
        _cpu_pool = CpuPool(
            settings.articles_processes or os.cpu_count() or 1,
            max_tasks=sender.max_tasks_per_child,
            max_memory_kb=sender.max_memory_per_child,
            initializer=partial(prepare_cpu_process, settings),
        )
        # The worker takes tasks, and sends the first heartbeat that health checks and
        # `run --until-idle` wait for, once its CPU processes can take steps: before that a
        # fetched page only waits, and its poll's CPU competes with their start-up.
        if not _cpu_pool.wait_until_ready(CPU_PROCESSES_START_TIMEOUT):
            log.warning("cpu_processes_slow_to_start", waited_s=CPU_PROCESSES_START_TIMEOUT)
        return
    # Pool processes forked after this share the language model and date tables (copy on
    # write) instead of each paying 1-3 s on its first page.
    warm_up()
    warm_up_tagger(settings)
    _processes_tag = True


_processes_tag = False  # set before the fork in a prefork articles worker: its children tag


@worker_process_init.connect
def _build_tagger_after_fork(**_: Any) -> None:
    # spaCy cannot be imported before the fork (warm_up_tagger). Its first import takes
    # seconds (3.9-9.4 s at load average 13-16 on 2 cores), and under the first article's
    # time limit the soft limit struck inside it (issue 19): once srsly turned it into a
    # ValueError, the article was dead-lettered; once it left a compiled module half made,
    # every later article of the process failed at "import spacy" (KeyError
    # '__reduce_cython__'). A new pool process builds its tagger here, before it takes its
    # first task, with no time limit running (worker_proc_alive_timeout in app.py).
    if _processes_tag:
        build_tagger(settings)


@cache
def _heartbeats() -> BackgroundHeartbeats:
    """The heartbeat writer of the worker's main process, whose event loop must never wait on
    Redis (see BackgroundHeartbeats)."""
    return BackgroundHeartbeats.for_worker(
        settings, redis_url_for(settings.redis_url, settings.data_dir)
    )


@heartbeat_sent.connect
def _record_heartbeat(sender: Any, **_: Any) -> None:
    # Sent by the worker's main process every 2 s while its event loop runs.
    _heartbeats().beat(sender.eventer.hostname, utc_now())


@setup_logging.connect
def _configure_logging(**_: Any) -> None:
    configure_logging(settings.log_level, settings.log_format)


@task_prerun.connect
def _bind_task_context(task_id: str | None = None, task: Task | None = None, **_: Any) -> None:
    clear_contextvars()
    bind_contextvars(task_id=task_id, task_name=task.name if task else None)


@task_postrun.connect
def _clear_task_context(**_: Any) -> None:
    clear_contextvars()


@worker_process_shutdown.connect
@worker_shutdown.connect
def _close_services(**_: Any) -> None:
    global _services, _cpu_pool
    if _services is not None and _services[0] == os.getpid():
        _services[1].close()
        _services = None
    if _cpu_pool is not None:
        _cpu_pool.close()
        _cpu_pool = None
