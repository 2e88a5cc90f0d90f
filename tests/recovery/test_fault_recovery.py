"""Faults cost seconds: the articles worker killed with SIGKILL, Redis restarted (SIGTERM;
SIGKILL with AOF), and both at once, while a throttled host keeps many entries deferred.

Each test runs ``wirestream run`` (scheduler, workers, supervisor) against a Redis server
of its own on a free port, and checks, after the fault: every article on the stream
exactly once; the last one within ``RECOVERY_ALLOWANCE`` seconds of the fault's end beyond
what the same run takes without the fault (a baseline run, measured once for the module);
the worker survived a Redis restart (no restart, no "Unrecoverable error"); and, sampled
all along, never more unacknowledged article tasks in Redis than the articles worker's
processes and prefetch allow (twice that while a dead worker's or a lost connection's
deliveries wait for the visibility timeout). Each run prints its recovery time.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from redis_servers import RedisServer

from worker.keys import ARTICLES_QUEUE, Keys
from worker.simweb import SimWeb, catalog

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPECTED = len(catalog.ARTICLES)
HOST_RATE = 12.0  # requests per second to the simulated web's one host: most entries wait
ARTICLES_CONCURRENCY = 2
PREFETCH_MULTIPLIER = 1  # worker/app.py
TASK_TIME_LIMIT = 8
VISIBILITY_TIMEOUT = 13  # the time limit plus the margin (worker/settings.py)
FAULT_AT = 12  # articles on the stream when the fault strikes
OUTAGE_SECONDS = 2.0  # how long Redis stays down
OUT_OF_MEMORY_SECONDS = 4.0  # how long Redis refuses writes
RECOVERY_ALLOWANCE = 60.0
# How long to wait at most; what a fault may cost is asserted apart (RECOVERY_ALLOWANCE).
RUN_TIMEOUT = 240.0
# The first test also runs the module's baseline: room for both runs, so that a run that
# times out reports its missing articles instead of being cut short by pytest-timeout.
pytestmark = pytest.mark.timeout(2 * RUN_TIMEOUT + 120)
# One outlet's pages answer slowly, so that a worker holds a task in flight while it waits
# for the next (a BRPOP): the state in which losing Redis used to kill it.
SLOW_OUTLET = "www.northbridgepost.example"
SLOW_ARTICLES = [article for article in catalog.ARTICLES if article.outlet == SLOW_OUTLET]
SLOW_PAGE_SECONDS = 3.0


@dataclass
class UnackedSampler:
    """Samples, while a run lasts, the article tasks held by workers: kombu's unacked hash,
    plus those taken from the queue and not yet written to it (the in-flight list)."""

    url: str
    keys: Keys
    most: int = 0
    oldest_age: float = 0.0  # the longest a delivered message stayed unacknowledged
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> UnackedSampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()

    def _run(self) -> None:
        client = redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
        while not self._stop.wait(0.1):
            try:
                # One snapshot: a message is in both places between a worker's write to the
                # unacked hash and its removal from the in-flight list, and counts once.
                pipe = client.pipeline(transaction=True)
                pipe.hgetall(self.keys.broker_unacked)
                pipe.lrange(self.keys.broker_in_flight(ARTICLES_QUEUE), 0, -1)
                pipe.zrange(self.keys.broker_unacked_index, 0, 0, withscores=True)
                pipe.time()
                held, taken, oldest, clock = pipe.execute()
            except redis.RedisError:
                continue  # Redis is down: nothing to sample
            now = float(clock[0])
            articles = sum(1 for raw in held.values() if json.loads(raw)[2] == ARTICLES_QUEUE)
            recorded = {tag.decode() for tag in held}
            articles += sum(
                1 for raw in taken if json.loads(raw)["properties"]["delivery_tag"] not in recorded
            )
            self.most = max(self.most, articles)
            if oldest:
                self.oldest_age = max(self.oldest_age, now - oldest[0][1])
            self.samples += 1
        client.close()


@dataclass
class Outcome:
    duration: float  # from start to the last article on the stream
    fault_start: float | None
    fault_end: float | None
    unacked: UnackedSampler
    log: str

    @property
    def recovery(self) -> float:
        """From the end of the fault to the last article on the stream."""
        assert self.fault_end is not None
        return self.duration - self.fault_end


Fault = Callable[[subprocess.Popen[bytes], RedisServer, Keys], tuple[float, float]]


@pytest.fixture(scope="module")
def web() -> Iterator[SimWeb]:
    with SimWeb() as simweb:
        for article in SLOW_ARTICLES:
            simweb.set_behaviour(f"{article.outlet}{article.path}", latency=SLOW_PAGE_SECONDS)
        yield simweb


@pytest.fixture(scope="module")
def run_pipeline(web: SimWeb, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Outcome]:
    def run(name: str, fault: Fault | None) -> Outcome:
        tmp = tmp_path_factory.mktemp(name)
        server = RedisServer(tmp / "redis")
        server.start()
        keys = Keys(f"faults-{name}")
        env = pipeline_env(server.url, keys.namespace, tmp)
        try:
            imported = subprocess.run(
                [sys.executable, "-m", "worker.cli", "feeds", "import", web.opml_url],
                env=env, cwd=tmp, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert imported.returncode == 0, imported.stderr
            with (
                open(tmp / "run.log", "wb") as log,
                UnackedSampler(server.url, keys) as unacked,
            ):
                started = time.monotonic()
                pipeline = subprocess.Popen(
                    [sys.executable, "-m", "worker.cli", "run"],
                    env=env, cwd=tmp, stdout=log, stderr=log, start_new_session=True,
                )  # fmt: skip
                try:
                    fault_start = fault_end = None
                    if fault is not None:
                        wait_for_articles(server, keys, FAULT_AT, started)
                        fault_start, fault_end = fault(pipeline, server, keys)
                    finished = wait_for_articles(server, keys, EXPECTED, started)
                    if finished is None:
                        pytest.fail(missing_articles_report(web, server, keys, tmp / "run.log"))
                    time.sleep(2)  # room for a late duplicate to show
                finally:
                    stop_pipeline(pipeline)
            articles = published(server, keys)
            assert len(articles) == EXPECTED, "an article was published twice"
            assert len(set(articles)) == EXPECTED
            client = redis.Redis.from_url(server.url)
            assert client.xlen(keys.dead_stream) == 0
            assert client.zcard(keys.task_schedule) == 0
            client.close()
        finally:
            if server.running:
                server.stop()
        return Outcome(
            finished - started,
            None if fault_start is None else fault_start - started,
            None if fault_end is None else fault_end - started,
            unacked,
            (tmp / "run.log").read_text(errors="replace"),
        )

    return run


@pytest.fixture(scope="module")
def baseline(run_pipeline: Callable[..., Outcome]) -> Outcome:
    outcome = run_pipeline("baseline", None)
    print(f"\nbaseline: last article after {outcome.duration:.1f} s", file=sys.stderr)
    return outcome


def pipeline_env(redis_url: str, namespace: str, tmp: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WIRESTREAM_")}
    env.update(
        WIRESTREAM_REDIS_URL=redis_url,
        WIRESTREAM_NAMESPACE=namespace,
        WIRESTREAM_DATA_DIR=str(tmp / "data"),
        WIRESTREAM_ALLOWED_NETWORKS="127.0.0.0/8",
        WIRESTREAM_LOG_FORMAT="json",
        WIRESTREAM_ARTICLES_CONCURRENCY=str(ARTICLES_CONCURRENCY),
        WIRESTREAM_FEEDS_CONCURRENCY="8",
        WIRESTREAM_TAGS_FILE=str(REPO_ROOT / "config" / "tags.toml"),
        WIRESTREAM_RULES_FILE=str(REPO_ROOT / "config" / "rules.toml"),
        WIRESTREAM_HOST_RATE_OVERRIDES=json.dumps({"127.0.0.1": HOST_RATE}),
        WIRESTREAM_HOST_FAILURE_THRESHOLD="1000",
        WIRESTREAM_TASK_TIME_LIMIT=str(TASK_TIME_LIMIT),
        WIRESTREAM_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        WIRESTREAM_RETRY_BACKOFF_MAX="5",
        WIRESTREAM_BEAT_INTERVAL="1",
    )
    return env


def published(server: RedisServer, keys: Keys) -> list[str]:
    client = redis.Redis.from_url(server.url, decode_responses=True)
    try:
        return [fields["id"] for _, fields in client.xrange(keys.articles_stream)]
    finally:
        client.close()


def wait_for_articles(server: RedisServer, keys: Keys, count: int, started: float) -> float | None:
    """The moment ``count`` distinct articles are on the stream; None if they never came."""
    client = redis.Redis.from_url(server.url, decode_responses=True, socket_timeout=2)
    try:
        while time.monotonic() - started < RUN_TIMEOUT:
            try:
                ids = {fields["id"] for _, fields in client.xrange(keys.articles_stream)}
            except redis.RedisError:
                ids = set()  # Redis is being restarted by the fault
            if len(ids) >= count:
                return time.monotonic()
            time.sleep(0.2)
        return None
    finally:
        client.close()


def missing_articles_report(web: SimWeb, server: RedisServer, keys: Keys, log: Path) -> str:
    """Which articles never came, their last log events, and where their tasks are in Redis."""
    client = redis.Redis.from_url(server.url, decode_responses=True)
    try:
        published = {fields["url"] for _, fields in client.xrange(keys.articles_stream)}
        holders = {
            "articles queue": client.lrange(keys.broker_queue(ARTICLES_QUEUE), 0, -1),
            "in flight": client.lrange(keys.broker_in_flight(ARTICLES_QUEUE), 0, -1),
            "unacked": client.hvals(keys.broker_unacked),
            "schedule": client.hvals(keys.task_schedule_messages),
            "dead letters": [str(fields) for _, fields in client.xrange(keys.dead_stream)],
        }
        mutex_ttl = client.ttl(f"{keys.broker_prefix}unacked_mutex")
    finally:
        client.close()
    lines = log.read_text(errors="replace").splitlines()
    report = [f"{len(published)} of {EXPECTED} articles on the stream after {RUN_TIMEOUT:g} s"]
    for article in catalog.ARTICLES:
        url = web.url_for(article)
        if url in published or any(article.key in seen for seen in published):
            continue
        where = [name for name, raws in holders.items() if any(url in raw for raw in raws)]
        report.append(f"missing: {url} (in Redis: {', '.join(where) or 'nowhere'})")
        report.extend(f"  {line}" for line in [line for line in lines if url in line][-15:])
    report.append(f"kombu's unacked mutex: ttl {mutex_ttl}")
    report.extend(line for line in lines if '"child_restarted"' in line)
    return "\n".join(report)


def stop_pipeline(pipeline: subprocess.Popen[bytes]) -> None:
    pipeline.send_signal(signal.SIGTERM)
    try:
        pipeline.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(pipeline.pid, signal.SIGKILL)
        pipeline.wait()
        raise AssertionError("wirestream run had not stopped a minute after SIGTERM") from None


def descendants(pid: int) -> list[int]:
    children = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid:
            children.append(int(proc.name))
    return children + [grandchild for child in children for grandchild in descendants(child)]


def articles_worker(pipeline: subprocess.Popen[bytes]) -> int:
    for pid in descendants(pipeline.pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"worker" in command and b"articles" in command:
            return pid
    raise AssertionError("no articles worker running")


def kill_articles_worker(
    pipeline: subprocess.Popen[bytes], server: RedisServer, keys: Keys
) -> tuple[float, float]:
    """SIGKILL the articles worker and its pool at once (the OOM killer, ``docker kill``)."""
    worker = articles_worker(pipeline)
    pool = descendants(worker)
    os.kill(worker, signal.SIGKILL)
    for pid in pool:
        # A CPU process may have ended meanwhile (recycled): it is as gone as a killed one.
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    moment = time.monotonic()
    return moment, moment


def slow_page_in_flight(server: RedisServer, keys: Keys) -> None:
    """Wait (at most a few seconds) until a worker holds a slow page's task."""
    client = redis.Redis.from_url(server.url)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(SLOW_OUTLET.encode() in raw for raw in client.hvals(keys.broker_unacked)):
            break
        time.sleep(0.05)
    client.close()


def restart_redis(how: signal.Signals) -> Fault:
    def fault(
        pipeline: subprocess.Popen[bytes], server: RedisServer, keys: Keys
    ) -> tuple[float, float]:
        slow_page_in_flight(server, keys)
        start = time.monotonic()
        server.stop(how)
        time.sleep(OUTAGE_SECONDS)
        return start, server.start()

    return fault


def kill_worker_and_redis(
    pipeline: subprocess.Popen[bytes], server: RedisServer, keys: Keys
) -> tuple[float, float]:
    start, _ = kill_articles_worker(pipeline, server, keys)
    server.stop(signal.SIGKILL)
    time.sleep(OUTAGE_SECONDS)
    return start, server.start()


def redis_out_of_memory(
    pipeline: subprocess.Popen[bytes], server: RedisServer, keys: Keys
) -> tuple[float, float]:
    """Redis reaches its ``maxmemory`` (``noeviction``, as compose runs it): every command
    that could add data is refused with OOM, while reads and deletes (an acknowledgement)
    still go through. Then memory is freed (here: the limit raised again)."""
    client = redis.Redis.from_url(server.url)
    slow_page_in_flight(server, keys)
    start = time.monotonic()
    client.config_set("maxmemory", int(client.info("memory")["used_memory"]))
    time.sleep(OUT_OF_MEMORY_SECONDS)
    client.config_set("maxmemory", 0)
    end = time.monotonic()
    client.close()
    return start, end


def check_recovery(name: str, outcome: Outcome, baseline: Outcome, *, workers_lost: int) -> None:
    assert outcome.fault_start is not None and outcome.fault_end is not None
    # What the run still had to do when the fault struck, had there been no fault.
    remaining = max(baseline.duration - outcome.fault_start, 0.0)
    delay = outcome.recovery - remaining
    bound = ARTICLES_CONCURRENCY * PREFETCH_MULTIPLIER * (1 + workers_lost)
    print(
        f"\n{name}: fault at {outcome.fault_start:.1f} s, over at {outcome.fault_end:.1f} s;"
        f" last article {outcome.recovery:.1f} s after the fault's end"
        f" ({delay:+.1f} s beyond the baseline's remaining {remaining:.1f} s);"
        f" unacked article tasks at most {outcome.unacked.most} (bound {bound},"
        f" {outcome.unacked.samples} samples); oldest unacked {outcome.unacked.oldest_age:.1f} s",
        file=sys.stderr,
    )
    assert delay <= RECOVERY_ALLOWANCE
    assert outcome.unacked.samples > 0
    assert outcome.unacked.most <= bound


def restarts(log: str) -> list[dict[str, object]]:
    events = []
    for line in log.splitlines():
        if line.startswith("{") and '"child_restarted"' in line:
            events.append(json.loads(line))
    return events


def test_a_sigkilled_articles_worker_is_restarted_and_its_tasks_come_back_within_a_minute(
    run_pipeline: Callable[..., Outcome], baseline: Outcome
) -> None:
    outcome = run_pipeline("sigkill-worker", kill_articles_worker)
    check_recovery("SIGKILL articles worker", outcome, baseline, workers_lost=1)
    restarted = restarts(outcome.log)
    assert [event["child"] for event in restarted] == ["worker-articles"]
    assert restarted[0]["exit_code"] == "SIGKILL"
    assert restarted[0]["restarts"] == 1


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill-aof"])
def test_a_redis_restart_kills_no_worker_and_costs_less_than_a_minute(
    run_pipeline: Callable[..., Outcome], baseline: Outcome, how: signal.Signals
) -> None:
    outcome = run_pipeline(f"redis-{how.name.lower()}", restart_redis(how))
    # Deliveries of the lost connection wait for the visibility timeout beside new ones.
    check_recovery(f"Redis restart ({how.name})", outcome, baseline, workers_lost=1)
    assert "Unrecoverable error" not in outcome.log
    assert restarts(outcome.log) == [], "a worker died when Redis restarted"


def test_a_sigkilled_worker_during_a_redis_sigkill_costs_less_than_a_minute(
    run_pipeline: Callable[..., Outcome], baseline: Outcome
) -> None:
    outcome = run_pipeline("sigkill-both", kill_worker_and_redis)
    check_recovery("SIGKILL articles worker + Redis", outcome, baseline, workers_lost=2)
    assert "Unrecoverable error" not in outcome.log
    assert [event["child"] for event in restarts(outcome.log)] == ["worker-articles"]


def test_redis_out_of_memory_loses_nothing_and_the_pipeline_goes_on_once_memory_is_freed(
    run_pipeline: Callable[..., Outcome], baseline: Outcome
) -> None:
    outcome = run_pipeline("redis-oom", redis_out_of_memory)
    check_recovery("Redis out of memory", outcome, baseline, workers_lost=1)
    assert "Unrecoverable error" not in outcome.log
    assert restarts(outcome.log) == [], "a worker died when Redis refused writes"
