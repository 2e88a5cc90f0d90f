"""The Celery app: broker, queues, routes, beat schedule, and why each setting is so.

Delivery (measured here, see ``shared/notes/celery-redis-flower.md``):

- ``task_acks_late`` + ``task_reject_on_worker_lost``: a task whose process dies (OOM kill,
  SIGKILL) is requeued and run again; with early acks it would be lost. Every task is
  idempotent (the publish is one Lua script), so running twice is safe.
- ``task_retry_on_worker_lost`` with ``max_retries``: a page that kills its worker every
  time ends after ``max_attempts`` instead of looping forever.
- No countdowns: a task that must wait (a host's budget or Crawl-delay, a parked host, a
  retry's backoff) waits in the Redis task schedule (``worker/adapters/task_schedule.py``),
  sent when due by every worker's drainer (``worker/drainer.py``); future polls wait in the
  due-feed ZSET. A countdown task used to be held unacknowledged by a worker for its whole
  wait: a killed worker stranded dozens of them for the visibility timeout (issue 19).
- ``visibility_timeout`` (125 s) = hard time limit (120 s) + 5 s, by measurement: with no
  countdowns, and at most ``concurrency x prefetch`` tasks per worker (sampled during the
  fault tests: never more), a delivery stays unacknowledged only while it runs. A task
  killed by its hard limit left the unacked hash 0.12-0.14 s after the limit; one ending
  at its soft limit, 0.03-0.40 s after it (an 8 s limit, prefork, load average 20 on 2
  cores). Settings refuse a timeout shorter than the limit + 5 s: a task still running
  when the timeout passes is delivered a second time. A delivery that no live worker holds
  (its worker was killed, or a failover took back its acknowledgement) comes back sooner:
  every worker writes what it holds, and the sweep puts back what nobody holds after 10 s
  (``worker/adapters/broker.py``; before, a SIGKILL cost those tasks the whole timeout).
  If you raise ``worker_prefetch_multiplier``, a reserved task waits behind running ones:
  raise the timeout by as many time limits.
- ``unacked_restore_interval`` (2 s) with throttle 1: live workers sweep for expired
  deliveries every 2 s instead of kombu's 10 x 10 = 100 s, so a dead worker's tasks come
  back seconds after the visibility timeout, not up to 100 s later. A sweep is one
  ``ZRANGE`` per worker, under a lock that lapses after 10 s (``unacked_mutex_expire``;
  kombu's 300 s would stop all sweeps for 5 minutes if a worker died holding it).
- Losing Redis: ``broker_connection_max_retries = None`` (a worker waits for Redis however
  long it is away; kombu retries after 2, 6, 12, 20 s..., then every 30 s), and the broker
  transport of ``worker/adapters/broker.py``, which fixes the crash a Redis restart caused
  in kombu 5.7 (``Unrecoverable error: AttributeError("'NoneType' object has no attribute
  'hostname'")``). ``wirestream run`` and ``worker`` restart a worker that dies anyway.
- A message taken from its queue is never only in a worker's memory: the transport of
  ``worker/adapters/broker.py`` takes it with ``BLMOVE`` into an in-flight list until it is
  in the unacked hash (``priority_steps = [0]``: one list per queue, ``BLMOVE``'s one
  source). kombu's ``BRPOP`` removes it first, and a worker killed before it has written
  the message to the unacked hash loses it for good (found while chasing issue 19, shown
  in ``tests/integration/test_broker_in_flight.py``).
- ``worker_prefetch_multiplier = 1``: a process reserves one task at a time, so a slow
  article never holds others hostage behind it.
- ``global_keyprefix``: the broker's lists live under ``<namespace>:celery:`` like all our keys.

Pools, measured on this 2-core machine (``benchmarks/throughput.py`` end to end,
``benchmarks/pools.py`` for articles, ``benchmarks/polling.py`` for feeds; ratios against a
sequential loop or script in the same run, noisy +-30% on a shared machine):

- The ``articles`` worker waits on the network in threads (``articles_concurrency`` 128) and
  runs the CPU steps of an article (extract, then tag and fingerprint: pure functions of the
  fetched page) in processes of its own, one per core (``articles_processes``,
  ``worker/adapters/cpu.py``). It takes tasks once those processes are up. Each CPU step has
  the task's soft time limit: past it, its process is killed and replaced, and the task is
  retried (then dead-lettered) as a task its time limit ended. The prefork pool it replaces
  (8 processes, each fetching then extracting) could not do more than 8 / (latency + CPU)
  articles per second: about 31/s with pages answering in 200 ms, 7.5/s at 1 s, whatever the
  CPU, at 1,108 MB PSS. Measured with ``throughput.py`` on an idle machine (1,005 articles;
  five runs at 0.2 s, two at 1 s): 90.4-112.2 articles/s at 0.2 s and 73.4-82.9/s at 1 s
  (64 threads: 55.6/s at 1 s), 14.0-21.1 ms of CPU per article, 621-623 MB; 19.7-24.5x and
  75-85x the sequential script, whose CPU per article (9.7-10.8 ms) is 1.5-2.1x less;
  0.78-0.80 and 0.77 of the CPU ceiling of two cores. The worker takes the tasks waiting in
  its queue several at a time (``worker/adapters/broker.py``), and sends task events only
  when Flower asks (``task_events``). ``docs/scale.md`` (Throughput on one host) has the figures,
  where the CPU goes, the targets not met, and what a killed worker now holds (up to 128
  tasks instead of 8).
- Feed polls mostly wait on the network, so the ``feeds`` worker runs the threads pool. Beat
  hands due feeds out in ``poll_feeds`` batches of 20, which cut the worker's CPU per 304
  poll from 8.5 to 3.1-3.6 ms. 10,000 feeds, 50 ms responses, 96 % 304s: threads c=16 123
  polls/s, c=64 224-272/s, c=128 217/s; two processes of c=64 278-390/s (20.7x a sequential
  loop at load average 12). So ``feeds_concurrency`` defaults to 64, and past that, feed
  polling scales with worker processes (one per core), not threads.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from celery import Celery

from worker.adapters.broker import Amqp, celery_broker
from worker.adapters.embedded_redis import redis_url_for
from worker.adapters.redis_client import RedisOptions, celery_transport
from worker.keys import ARTICLES_QUEUE, FEEDS_QUEUE, Keys
from worker.settings import Settings, load_settings

UNACKED_MUTEX_EXPIRE = 10  # seconds


def celery_config(settings: Settings) -> dict[str, Any]:
    keys = Keys.for_settings(settings)
    # A broker of its own (always with a cluster: kombu has no Cluster transport) is one
    # server, reached with the same TLS files.
    broker_url = settings.broker_url or redis_url_for(settings.redis_url, settings.data_dir)
    transport = celery_transport(
        broker_url, replace(RedisOptions.from_settings(settings), cluster=False)
    )
    return {
        **transport,
        # Our transports, with the embedded Redis's socket URL spelled for its own.
        **celery_broker(transport["broker_url"]),
        "broker_connection_retry_on_startup": True,
        # A worker that loses Redis waits for it as long as it takes (attempts after 2, 6,
        # 12, 20 s..., then every 30 s: kombu's fixed intervals) instead of exiting after 100.
        "broker_connection_max_retries": None,
        "broker_transport_options": {
            **transport["broker_transport_options"],
            "visibility_timeout": settings.visibility_timeout,
            "global_keyprefix": keys.broker_prefix,
            "unacked_restore_interval": settings.unacked_restore_interval,
            "unacked_restore_throttle": 1,
            # A sweep holds kombu's restore lock for milliseconds; a worker killed holding it
            # would stop every worker's sweeps for kombu's default 300 s. Each restore is a
            # WATCH transaction, so two sweeps at once never requeue a message twice: the
            # lock only spares duplicate work, and may lapse soon.
            "unacked_mutex_expire": UNACKED_MUTEX_EXPIRE,
            # One list per queue (no priorities here), so that a worker takes each message
            # with BLMOVE into an in-flight list instead of BRPOP (worker/adapters/broker.py).
            "priority_steps": [0],
            # A host cut off from the network gets no reset, only silence: without a timeout
            # a publish waits on the dead connection until the task's hard time limit kills
            # its process, which took the whole worker down with it (tests/multihost).
            "socket_timeout": settings.broker_socket_timeout,
            "socket_connect_timeout": settings.broker_socket_timeout,
            # ... which does not reach the worker's wait for its next task (an event loop,
            # not a blocking read): kombu drops that connection once its reply is overdue by
            # this interval, checked at this interval. At kombu's 25 s, a worker whose Redis
            # host was lost sat 40 s on the dead connection while the sentinels had promoted
            # the replica within 5 (tests/failover, host lost); at half the socket timeout it
            # notices within about that timeout, like every other command.
            "health_check_interval": settings.broker_socket_timeout / 2,
        },
        "task_default_queue": FEEDS_QUEUE,
        "task_routes": {
            "wirestream.poll_feed": {"queue": FEEDS_QUEUE},
            "wirestream.schedule_due_feeds": {"queue": FEEDS_QUEUE},
            "wirestream.process_entry": {"queue": ARTICLES_QUEUE},
        },
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "task_store_errors_even_if_ignored": False,
        # A Redis that answers but refuses writes (maxmemory reached: OOM; a disk that is full:
        # MISCONF) fails the worker's own broker commands (an ack, a take) with a reply error,
        # not a lost connection: without this the worker dies ("Unrecoverable error") and its
        # supervisor restarts it, over and over; with it, the worker reconnects with backoff
        # as after a lost connection, and what it held comes back from Redis.
        "broker_channel_error_retry": True,
        # ... and pauses, 1 s then up to 5 s, before a reconnect that the same refusal would fail
        # at once: Celery's own consumer retries five times a second.
        "worker_consumer": "worker.adapters.worker_consumer:PatientConsumer",
        "task_acks_late": True,
        # A task running when the worker loses its broker goes on: it publishes through the
        # pipeline's own client (which reconnects, through the sentinels if any), its ack is
        # lost and its redelivery finds the article unchanged. Cancelled, it would be done
        # again from the start, later. Celery 6 turns cancelling on by default.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "task_reject_on_worker_lost": True,
        "task_retry_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "task_time_limit": settings.task_time_limit,
        "task_soft_time_limit": settings.task_soft_time_limit,
        "worker_prefetch_multiplier": 1,
        # A new pool process of an articles worker imports spaCy before it takes a task
        # (worker/tasks.py), seconds on a busy machine: the pool's 4 s default wait for it
        # to come up would kill it and start another, over and over.
        "worker_proc_alive_timeout": 60.0,
        # With REMAP_SIGTERM=SIGQUIT (docker-compose.yml), `docker stop` starts a cold shutdown
        # that first waits this long for running tasks, then requeues the unfinished ones:
        # they run again on another worker at once instead of after the visibility timeout.
        "worker_soft_shutdown_timeout": settings.soft_shutdown_timeout,
        "worker_hijack_root_logger": False,
        # Task events are for a monitor: each costs the worker a message per task (5.6 % of
        # the articles worker's event loop, in its intake of tasks). Flower asks every worker
        # for them every 5 s (its enable_events), so a deployment with Flower gets them anyway;
        # docker-compose.yml sends them from the start.
        "worker_send_task_events": settings.task_events,
        # Flower learns of a task, its name and its arguments' repr from the worker's
        # task-received event; a task-sent event from the feeds worker as well was one more
        # message per article, 9 % of that worker's CPU (benchmarks/throughput.py).
        "task_send_sent_event": False,
        "beat_schedule": {
            "schedule-due-feeds": {
                "task": "wirestream.schedule_due_feeds",
                "schedule": settings.beat_interval,
                # A tick nobody ran in time is useless: the next one sees the same feeds.
                "options": {"expires": settings.beat_interval},
            }
        },
        "beat_schedule_filename": str(settings.data_dir / "celerybeat-schedule"),
        "timezone": "UTC",
        "enable_utc": True,
    }


settings = load_settings()
app = Celery("wirestream", include=["worker.tasks"], amqp=Amqp)
app.config_from_object(celery_config(settings))
