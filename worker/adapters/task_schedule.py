"""Tasks that must wait (a host's budget, Crawl-delay, a parked host, a retry's backoff) wait
in Redis, in a sorted set by due time, instead of as countdown tasks in a worker's memory.

A countdown task is delivered at once and held, unacknowledged, by the worker until it is
due: a worker killed meanwhile strands all of them until the visibility timeout, and one
waiting longer than that timeout runs twice (kombu#337). Here a worker holds only what it
runs; drainers (:mod:`worker.drainer`) send each task when it is due:

- :meth:`TaskSchedule.add` stores the task and its due time in one step.
- :meth:`TaskSchedule.claim_due` hands out due tasks and moves each one's due time to the
  end of a lease in the same step, so two drainers never send the same task twice.
- :meth:`TaskSchedule.send` removes claimed tasks and pushes their broker messages in one
  script, where the broker's lists live on the schedule's Redis (every deployment but a
  cluster's): a failover or a dead drainer keeps both or neither, and a task another drainer
  has sent already (its lease ran out) is not sent again.
- :meth:`TaskSchedule.done` removes a task once it was sent, where the broker is another
  Redis. A drainer that dies between claim and send leaves it in the set: it is handed out
  again when its lease ends (at least once; the tasks are idempotent).

Times are Redis's clock, so drainers on several hosts agree on what is due.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from worker.adapters.durability import NO_WAIT, Durability, run_script
from worker.adapters.redis_client import RedisClient, redis_errors
from worker.keys import Keys

# KEYS: schedule, messages. ARGV: task id, delay in seconds, message.
_ADD = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1
"""

# KEYS: schedule, messages. ARGV: lease in seconds, limit.
# Returns {seconds until the next task is due (-1: none), id, message, id, message, ...}.
_CLAIM = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ARGV[2])
local claimed = {}
for _, id in ipairs(ids) do
  local message = redis.call('HGET', KEYS[2], id)
  if message then
    redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), id)
    table.insert(claimed, id)
    table.insert(claimed, message)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
local next_due = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = -1
if next_due[2] then wait = math.max(tonumber(next_due[2]) - now, 0) end
table.insert(claimed, 1, tostring(wait))
return claimed
"""

# KEYS: schedule, messages, then each task's broker queue. ARGV: each task's id, then each
# task's broker message, in the same order. Returns how many were sent.
_SEND = """
local count = #KEYS - 2
local sent = 0
for i = 1, count do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
    redis.call('HDEL', KEYS[2], ARGV[i])
    redis.call('LPUSH', KEYS[i + 2], ARGV[count + i])
    sent = sent + 1
  end
end
return sent
"""


@dataclass(frozen=True)
class BrokerMessage:
    """A scheduled task's message as the broker's transport would push it."""

    task_id: str
    queue_key: str
    payload: str


@dataclass(frozen=True)
class ScheduledTask:
    id: str
    name: str
    args: list[Any]
    queue: str
    retries: int
    argsrepr: str | None

    def to_json(self) -> str:
        return json.dumps(
            {
                "name": self.name,
                "args": self.args,
                "queue": self.queue,
                "retries": self.retries,
                "argsrepr": self.argsrepr,
            }
        )

    @classmethod
    def from_json(cls, task_id: str, raw: str) -> ScheduledTask:
        data = json.loads(raw)
        return cls(
            id=task_id,
            name=str(data["name"]),
            args=list(data["args"]),
            queue=str(data["queue"]),
            retries=int(data["retries"]),
            argsrepr=data.get("argsrepr"),
        )


@dataclass(frozen=True)
class Claimed:
    tasks: list[ScheduledTask]
    malformed: list[tuple[str, str, str]]  # id, stored text, why it cannot be read
    next_due_in: float | None  # seconds until the next task left in the schedule is due


class TaskSchedule:
    def __init__(
        self, client: RedisClient, keys: Keys, *, durability: Durability = NO_WAIT
    ) -> None:
        self._redis = client
        self._keys = keys
        # The scheduled copy of a deferred task replaces the task, which is acknowledged
        # once it is stored: it must survive a failover as a publish must.
        self._durability = durability
        self._add = client.register_script(_ADD)
        self._claim = client.register_script(_CLAIM)
        self._send = client.register_script(_SEND)

    def add(self, task: ScheduledTask, *, delay: float) -> None:
        with redis_errors("schedule", task.name):
            run_script(
                self._redis,
                self._keys,
                self._durability,
                self._add,
                what="schedule",
                script_keys=[self._keys.task_schedule, self._keys.task_schedule_messages],
                args=[task.id, f"{max(delay, 0.0):.6f}", task.to_json()],
            )

    def claim_due(self, *, lease_seconds: float, limit: int) -> Claimed:
        with redis_errors("schedule", self._keys.task_schedule):
            reply = self._claim(
                keys=[self._keys.task_schedule, self._keys.task_schedule_messages],
                args=[f"{lease_seconds:.6f}", limit],
            )
        wait = float(reply[0])
        pairs = reply[1:]
        claimed = Claimed([], [], None if wait < 0 else wait)
        for index in range(0, len(pairs), 2):
            task_id, raw = str(pairs[index]), str(pairs[index + 1])
            try:
                claimed.tasks.append(ScheduledTask.from_json(task_id, raw))
            except (KeyError, TypeError, ValueError) as error:
                claimed.malformed.append((task_id, raw, repr(error)))
        return claimed

    def send(self, messages: Sequence[BrokerMessage]) -> int:
        """Push the messages of claimed tasks to their broker queues and remove the tasks from
        the schedule, atomically; a task no longer scheduled is skipped. Returns how many were
        sent."""
        if not messages:
            return 0
        with redis_errors("schedule", self._keys.task_schedule):
            return int(
                self._send(
                    keys=[
                        self._keys.task_schedule,
                        self._keys.task_schedule_messages,
                        *(message.queue_key for message in messages),
                    ],
                    args=[
                        *(message.task_id for message in messages),
                        *(message.payload for message in messages),
                    ],
                )
            )

    def done(self, task_ids: Sequence[str]) -> None:
        if not task_ids:
            return
        with redis_errors("schedule", self._keys.task_schedule):
            pipe = self._redis.pipeline(transaction=True)
            pipe.zrem(self._keys.task_schedule, *task_ids)
            pipe.hdel(self._keys.task_schedule_messages, *task_ids)
            pipe.execute()

    def count(self) -> int:
        with redis_errors("schedule", self._keys.task_schedule):
            return int(self._redis.zcard(self._keys.task_schedule))
