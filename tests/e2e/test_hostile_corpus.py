"""Every file of the hostile corpus, served as a feed and as an article page, ends in a clean
result or a clean, named refusal, and hurts nothing.

One worker set (a feeds worker with threads, an articles worker with prefork processes, each
started once) takes every file. The workers run under strace, which sees every connect() and
open() of their processes, Python or C (expat, libxml2, zlib), so "no network beyond
127.0.0.1, no file opened for a document" is checked at the system-call level. Memory comes
from /proc: each worker process's peak resident size (VmHWM) at the end against its resident
size after a warm-up batch.

The pages go to a queue of their own, so the entries the feed polls find, which link to hosts
all over the internet (example.com and the like) that this test must not contact, wait in the
articles queue that no worker here reads: they are counted, checked for expanded entities and
dropped instead of fetched. The simulated web's host gets a budget so large that no request
is deferred (a deferred task goes back to the articles queue, see tasks.py).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery

from worker.adapters.store import FeedStore, Stats
from worker.app import celery_config
from worker.keys import ARTICLES_QUEUE, FEEDS_QUEUE, Keys
from worker.models import FeedEntry, FeedRef
from worker.settings import Settings
from worker.simweb import SimWeb, catalog
from worker.stages.urls import canonical_url
from worker.subscriptions import new_feed

Wirestream = Callable[..., subprocess.CompletedProcess[str]]

MAX_RSS_GROWTH_KB = 50 * 1024
WARM_UP_PAGES = 30
# Generous: the machine may be busy; speed is for benchmarks, not for this test to judge.
PHASE_TIMEOUT = 240.0
PAGES_QUEUE = "hostile-pages"
QUICK = {
    "WIRESTREAM_HOST_RATE_OVERRIDES": json.dumps({"127.0.0.1": 1e6}),
    "WIRESTREAM_MAX_ATTEMPTS": "2",
    "WIRESTREAM_RETRY_BACKOFF_BASE": "0.2",
    "WIRESTREAM_RETRY_BACKOFF_MAX": "1",
    "WIRESTREAM_TOTAL_TIMEOUT": "5",
}
POOLS = {FEEDS_QUEUE: ("threads", "8"), PAGES_QUEUE: ("prefork", "2")}
POLL_OUTCOMES = ("polled", "not_modified", "failed")
REPO_ROOT = Path(__file__).resolve().parents[2]
# Files a running worker may open: shared libraries, /proc and /sys for process information.
RUNTIME_FILES = ("/usr/", "/lib", "/proc/", "/sys/", "/dev/")
CLEAN_ERRORS = {"PermanentError", "RetryableError"}
LOOPBACK = re.compile(r"^(127\.|::1$|::ffff:127\.)")
_CONNECT = re.compile(
    r'connect\(\d+, \{sa_family=AF_INET6?, .*?(?:inet_addr|inet_pton)\((?:AF_INET6?, )?"([^"]+)"'
)
_TRACE_LINE = re.compile(r"\d+\s+(\d+\.\d+)\s+(.*)")
_OPEN = re.compile(r'open(?:at)?\((?:AT_FDCWD, )?"([^"]*)"')
_ENTITY_VALUE = re.compile(rb'<!ENTITY\s+[^\s%]+\s+"([^"%&]{5,})"')


@dataclass
class Worker:
    queue: str
    tracer: subprocess.Popen[bytes]
    trace: Path
    baseline_kb: dict[int, int] = field(default_factory=dict)

    @property
    def main_pid(self) -> int:
        children = _children(self.tracer.pid)
        assert children, f"the {self.queue} worker is not running (see its log)"
        return children[0]

    def processes(self) -> set[int]:
        return {self.main_pid, *_descendants(self.main_pid)}

    def stop(self) -> None:
        if self.tracer.poll() is None:
            os.kill(self.main_pid, signal.SIGTERM)
        try:
            self.tracer.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.tracer.pid, signal.SIGKILL)
            self.tracer.wait()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for child in _children(pid):
        found += [child, *_descendants(child)]
    return found


def _memory_kb(pid: int, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {name} for process {pid}")


@pytest.fixture
def start_worker(pipeline_env: dict[str, str], tmp_path: Path) -> Iterator[Any]:
    if shutil.which("strace") is None:
        pytest.skip("strace is needed to watch the workers' system calls")
    started: list[Worker] = []

    def start(queue: str) -> Worker:
        pool, concurrency = POOLS[queue]
        trace = tmp_path / f"{queue}.strace"
        log = open(tmp_path / f"{queue}.log", "wb")  # noqa: SIM115 - lives as long as the worker
        command = [
            "strace", "-f", "-qq", "-ttt", "--seccomp-bpf", "-e", "trace=connect,open,openat",
            "-e", "signal=none", "-o", str(trace),
            sys.executable, "-m", "celery", "-A", "worker.app", "worker", "--queues", queue,
            "--pool", pool, "--concurrency", concurrency, "--hostname", f"{queue}-hostile@%h",
            "--without-mingle", "--without-gossip", "--loglevel", "INFO",
        ]  # fmt: skip
        tracer = subprocess.Popen(
            command,
            env={**pipeline_env, **QUICK},
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        worker = Worker(queue, tracer, trace)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_until(done: Callable[[], bool], what: str, workers: list[Worker]) -> None:
    deadline = time.monotonic() + PHASE_TIMEOUT
    while not done():
        for worker in workers:
            assert worker.tracer.poll() is None, f"the {worker.queue} worker exited"
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {PHASE_TIMEOUT:g} s waiting for {what}")
        time.sleep(0.3)


def take_baseline(worker: Worker) -> None:
    worker.baseline_kb = {pid: _memory_kb(pid, "VmRSS") for pid in worker.processes()}


def page_payload(url: str, now: datetime) -> dict[str, Any]:
    entry = FeedEntry(
        feed=FeedRef(id="hostile", url="http://hostile.example/"),
        url=canonical_url(url),
        source_url=url,
        guid=None,
        title=None,
        published=None,
        discovered_at=now,
    )
    return entry.to_payload()


def page_outcomes(client: redis.Redis, keys: Keys) -> dict[str, str]:
    """Source URL -> what became of the page."""
    outcomes = {}
    for _, fields in client.xrange(keys.articles_stream):
        data = json.loads(fields["data"])
        outcomes[data["source_url"]] = f"published: {data['word_count']} words"
    for _, fields in client.xrange(keys.dead_stream):
        source = json.loads(fields["input"]).get("source_url")
        if fields["task"] == "process_entry" and source:
            outcomes[source] = f"refused ({fields['error']}) {fields['stage']}: {fields['reason']}"
    return outcomes


def drained_entries(client: redis.Redis, keys: Keys) -> list[dict[str, Any]]:
    """The entries the feed polls enqueued, taken off the queue unfetched."""
    entries = []
    for raw in client.lrange(keys.broker_queue(ARTICLES_QUEUE), 0, -1):
        args, _, _ = json.loads(base64.b64decode(json.loads(raw)["body"]))
        entries.append(args[0])
    client.delete(keys.broker_queue(ARTICLES_QUEUE))
    return entries


def system_call_violations(trace: Path, *, since: float, until: float) -> list[str]:
    """Connections beyond loopback, and any file opened (or tried) outside the program's own
    code between ``since`` and ``until``: a document that makes a worker read /etc/passwd or
    the corpus, or resolve a name (/etc/nsswitch.conf, /etc/hosts), shows up here, even from
    a C library."""
    allowed = (sys.base_prefix, sys.prefix, str(REPO_ROOT), *RUNTIME_FILES)
    found = []
    for line in trace.read_text(errors="replace").splitlines():
        stamped = _TRACE_LINE.match(line)  # "<pid>  <epoch seconds> <call>"
        if stamped is None or not since <= float(stamped.group(1)) <= until:
            continue
        call = stamped.group(2)
        connect = _CONNECT.search(call)
        opened = _OPEN.search(call)
        if (connect and not LOOPBACK.match(connect.group(1))) or (
            opened and not opened.group(1).startswith(allowed)
        ):
            found.append(line)
    return found


@pytest.mark.corpus
def test_every_hostile_file_as_feed_and_page_ends_clean_and_hurts_nothing(
    corpus_dir: Path,
    pipeline_env: dict[str, str],
    wirestream: Wirestream,
    start_worker: Any,
    redis_client: redis.Redis,
    keys: Keys,
) -> None:
    settings = Settings(redis_url=pipeline_env["WIRESTREAM_REDIS_URL"], namespace=keys.namespace)
    app = Celery("hostile-test")
    app.config_from_object(celery_config(settings))
    feeds = FeedStore(redis_client, keys)
    with SimWeb(corpus_dir=corpus_dir) as web:
        files = web.hostile_files()
        assert len(files) > 1000, "the hostile corpus looks incomplete"
        imported = wirestream("feeds", "import", web.hostile_opml_url)
        assert imported.returncode == 0, imported.stderr
        feed_by_file = {f.url: f for f in feeds.all()}
        feed_urls = {path: web.hostile_url(path, "feed") for path in files}
        assert set(feed_urls.values()) <= set(feed_by_file)

        feed_worker, page_worker = start_worker(FEEDS_QUEUE), start_worker(PAGES_QUEUE)
        workers = [feed_worker, page_worker]
        now = datetime.now(UTC)
        page_urls = {path: web.hostile_url(path, "page") for path in files}
        # The warm-up takes the demo outlets' feeds and pages: the hostile files all come
        # after the baseline of memory and system calls.
        warm_up_feeds = [new_feed(url, None, (), added_at=now) for url in web.feed_urls()]
        for feed in warm_up_feeds:
            feeds.add(feed, poll_at=now)
        warm_up_pages = [web.url_for(article) for article in catalog.ARTICLES[:WARM_UP_PAGES]]
        stats = Stats(redis_client, keys)

        def send(poll_ids: list[str], urls: list[str]) -> None:
            for feed_id in poll_ids:
                app.send_task("wirestream.poll_feed", (feed_id,), queue=FEEDS_QUEUE)
            for url in urls:
                app.send_task(
                    "wirestream.process_entry", (page_payload(url, now),), queue=PAGES_QUEUE
                )

        def finished(polls_expected: int, pages_expected: int) -> Callable[[], bool]:
            def check() -> bool:
                counts = stats.snapshot()
                polls = sum(counts.get(f"feeds.{name}", 0) for name in POLL_OUTCOMES)
                failed_pages = sum(
                    fields["task"] == "process_entry"
                    for _, fields in redis_client.xrange(keys.dead_stream)
                )
                pages_done = redis_client.xlen(keys.articles_stream) + failed_pages
                return polls >= polls_expected and pages_done >= pages_expected

            return check

        send([feed.id for feed in warm_up_feeds], warm_up_pages)
        wait_until(finished(len(warm_up_feeds), len(warm_up_pages)), "the warm-up batch", workers)
        for worker in workers:
            take_baseline(worker)
        baseline_at = time.time()
        send([feed_by_file[feed_urls[path]].id for path in files], list(page_urls.values()))
        wait_until(
            finished(len(warm_up_feeds) + len(files), len(warm_up_pages) + len(files)),
            "every file as feed and page",
            workers,
        )
        finished_at = time.time()
        elapsed = finished_at - baseline_at
        entries = drained_entries(redis_client, keys)
        processes_at_end = {worker.queue: worker.processes() for worker in workers}
        growth_kb = {
            (worker.queue, pid): _memory_kb(pid, "VmHWM") - baseline
            for worker in workers
            for pid, baseline in worker.baseline_kb.items()
        }
        for worker in workers:
            worker.stop()

    feed_states = {feed.url: feed for feed in feeds.all()}
    pages = page_outcomes(redis_client, keys)
    rows = []
    for path in files:
        feed = feed_states[feed_urls[path]]
        if feed.last_error:
            feed_outcome = f"refused {feed.last_error}"
        else:
            feed_outcome = f"parsed (HTTP {feed.last_status}): {feed.title or '(no title)'}"[:70]
        rows.append((path, feed_outcome, pages.get(page_urls[path], "NO OUTCOME")[:90]))
    width = max(len(path) for path in files)
    print(f"\n{'file':{width}}  {'as a feed':70}  as a page")
    for path, feed_outcome, page_outcome in rows:
        print(f"{path:{width}}  {feed_outcome:70}  {page_outcome}")
    print(f"\n{len(files)} files as feeds and pages in {elapsed:.1f} s after the warm-up")
    print(f"feed entries found (counted, not fetched): {len(entries)}")
    print("peak resident growth per worker process (KiB):", dict(sorted(growth_kb.items())))

    unclean_feeds = [
        (path, feed_outcome)
        for path, feed_outcome, _ in rows
        if not (
            feed_outcome.startswith("parsed") or re.match(r"refused (fetch|parse): ", feed_outcome)
        )
    ]
    assert unclean_feeds == []
    dead = [fields for _, fields in redis_client.xrange(keys.dead_stream)]
    assert {fields["error"] for fields in dead} <= CLEAN_ERRORS, "a crash is no clean refusal"
    assert all(fields["reason"] for fields in dead)
    assert [path for path, _, page in rows if page == "NO OUTCOME"] == []

    assert {queue: pids for queue, pids in processes_at_end.items()} == {
        worker.queue: set(worker.baseline_kb) for worker in workers
    }, "a worker process died and was replaced"
    assert max(growth_kb.values()) <= MAX_RSS_GROWTH_KB

    violations = [
        line
        for worker in workers
        for line in system_call_violations(worker.trace, since=baseline_at, until=finished_at)
    ]
    assert violations == []

    outputs = (
        json.dumps(entries)
        + json.dumps([fields for _, fields in redis_client.xrange(keys.articles_stream)])
        + json.dumps([feed.title for feed in feed_states.values()])
    )
    for path in files:
        for value in _ENTITY_VALUE.findall((corpus_dir / "corpus" / "hostile" / path).read_bytes()):
            assert value.decode("utf-8", "replace") not in outputs, f"{path}: entity expanded"
