"""End-to-end throughput: ``wirestream run --until-idle`` beside the script a user would write.

A simulated newsroom on loopback: ``--articles`` (default 1,000) articles in the catalog's
feeds, served by as many SimWebs on different ports (*mirrors*, 67 articles and 12 feeds
each) as it takes, all in one process of their own. Article pages answer after ``--latency``
seconds (default: a run at 0.2 s, then one at 1 s), feeds after ``--feed-latency`` (0.05 s).

Per latency, in the same run:

1. **The script**: feedparser + httpx + trafilatura, one feed after another and one article
   at a time (``sequential_script``), in a process of its own, over the first
   ``--script-articles`` articles (its rate does not depend on how many: each article costs
   one wait and one extraction): half of them before wirestream runs, half after, added up.
   This machine's speed drifts by 15-20 % within minutes (the same code measured 15.6 and
   19.7 ms per article a few minutes apart); a script measured only before wirestream gave
   ratios from 1.26x to 1.54x for one commit.
2. **wirestream**: the mirrors' feeds subscribed in a fresh namespace, then ``wirestream run
   --until-idle`` with its defaults (the per-host budget lifted for 127.0.0.1, as the README
   says for the simulated web), on a redis-server of its own.

Printed: articles/s; CPU per article (the script: its process; wirestream: the run's whole
process tree, sampled from ``/proc``, over the window from the first discovery to the last
stream entry, by process role, and in total with start-up, from ``RUSAGE_CHILDREN`` or the
largest sample, whichever is larger); the ratio to the script; the CPU ceiling (cores / CPU per
article) and the share of it reached, also against the CPU other jobs left; discovery-to-
stream latency p50/p95 (stream entry time - ``discovered_at``); peak RSS and PSS of the
worker tree; the CPU the simulated web and redis-server spent per article (they share the
cores) and the load average.

``--profile N`` adds a CPU profile (cProfile, CPU clock) of ``pipeline.process_entry`` over N
articles in this process, beside the script's article path over the same pages.

Usage (``benchmarks/README.md``)::

    .venv/bin/python benchmarks/throughput.py                     # 0.2 s, then 1 s
    .venv/bin/python benchmarks/throughput.py --latency 0.2 --articles 300 --script-articles 60
    .venv/bin/python benchmarks/throughput.py --profile 300 --no-run
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import math
import multiprocessing
import os
import pstats
import resource
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))

from capacity import own_redis  # sibling scripts, not a package
from pools import (
    REPO_ROOT,
    Bench,
    article_payloads,
    code_version,
    cpu_seconds,
    machine_busy_seconds,
    memory_kb,
    process_tree,
    progress,
    worker_environment,
)

from worker.adapters.store import FeedStore
from worker.keys import Keys
from worker.simweb import SimWeb, catalog
from worker.subscriptions import new_feed

SAMPLE_SECONDS = 0.1
MEMORY_EVERY_SAMPLES = 10
RUN_TIMEOUT_SECONDS = 900
CORES = os.cpu_count() or 1


# --- the simulated newsroom, in a process of its own -------------------------------------


def serve_newsroom(
    page_latency: float, feed_latency: float, mirrors: int, ready: Connection, stop: Event
) -> None:
    webs = [SimWeb(latency=page_latency).start() for _ in range(mirrors)]
    try:
        for web in webs:
            for feed in catalog.FEEDS:
                web.set_behaviour(feed.key, latency=feed_latency)
        ready.send([web.base_url for web in webs])
        stop.wait()
    finally:
        for web in webs:
            web.stop()


@dataclass(frozen=True)
class Newsroom:
    pid: int
    base_urls: list[str]

    @property
    def feed_urls(self) -> list[str]:
        return [f"{base}/{feed.key}" for base in self.base_urls for feed in catalog.FEEDS]

    @property
    def articles(self) -> int:
        return len(self.base_urls) * len(catalog.ARTICLES)


@contextlib.contextmanager
def newsroom(page_latency: float, feed_latency: float, mirrors: int) -> Iterator[Newsroom]:
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    stop = context.Event()
    process = context.Process(
        target=serve_newsroom,
        args=(page_latency, feed_latency, mirrors, sender, stop),
        name="newsroom",
        daemon=True,
    )
    process.start()
    sender.close()
    try:
        if not receiver.poll(60):
            raise RuntimeError("newsroom: the web process did not start within 60 s")
        assert process.pid is not None
        yield Newsroom(process.pid, receiver.recv())
    finally:
        stop.set()
        process.join(20)
        if process.is_alive():
            process.kill()
            process.join()


# --- the script a user would write instead -----------------------------------------------


@dataclass(frozen=True)
class ScriptResult:
    articles: int
    extracted: int
    seconds: float
    cpu_seconds: float
    """Of the loop alone; the imports and the first extraction's set-up come before it."""
    total_cpu_seconds: float

    def added_to(self, other: ScriptResult) -> ScriptResult:
        return ScriptResult(
            self.articles + other.articles,
            self.extracted + other.extracted,
            self.seconds + other.seconds,
            self.cpu_seconds + other.cpu_seconds,
            self.total_cpu_seconds + other.total_cpu_seconds,
        )


def sequential_script(feed_urls: list[str], limit: int, results: Connection) -> None:
    """Every feed, then every entry: fetch, extract; one at a time."""
    import feedparser
    import httpx
    import trafilatura

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    with httpx.Client(timeout=30, follow_redirects=True) as client:
        # Warm-up, untimed: the first extraction of an article page loads trafilatura's and
        # its date and language tables. Warmed up on a feed's text instead, the first timed
        # page carried that cost, and the fewer the articles the more it weighed (30 articles:
        # 42 ms each; 200: 13 ms).
        first = feedparser.parse(client.get(feed_urls[0]).content).entries[0].link
        warm = client.get(first)
        trafilatura.extract(warm.text, url=str(warm.url), with_metadata=True)
        start, start_cpu = time.perf_counter(), cpu()
        articles = extracted = 0
        for url in feed_urls:
            # The feeds it needs and no more: it went on fetching and parsing all 180 after
            # its last article, which put 180 feeds' parsing on 60 articles at 1 s (its CPU
            # per article "doubled with the longer wait").
            if articles == limit:
                break
            parsed = feedparser.parse(client.get(url).content)
            for entry in parsed.entries:
                if articles == limit:
                    break
                page = client.get(entry.link)
                text = trafilatura.extract(page.text, url=str(page.url), with_metadata=True)
                articles += 1
                extracted += text is not None
        results.send(
            ScriptResult(articles, extracted, time.perf_counter() - start, cpu() - start_cpu, cpu())
        )


def run_script(room: Newsroom, limit: int) -> ScriptResult:
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=sequential_script, args=(room.feed_urls, limit, sender))
    child.start()
    sender.close()
    try:
        if not receiver.poll(RUN_TIMEOUT_SECONDS):
            raise RuntimeError("the script did not finish")
        result: ScriptResult = receiver.recv()
    finally:
        child.join(20)
        if child.is_alive():
            child.kill()
            child.join()
    return result


# --- wirestream run --until-idle ---------------------------------------------------------


class TreeSampler:
    """CPU of a process tree over (wall) time, and its peak memory, sampled in a thread."""

    def __init__(self, root: int, others: Sequence[int]) -> None:
        self._root = root
        self._others = list(others)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="tree-sampler", daemon=True)
        self.samples: list[tuple[float, float, list[float], float, dict[str, float]]] = []
        """(wall time, tree CPU, CPU of each other process, machine busy seconds, tree CPU
        by role)"""
        self._roles: dict[int, str] = {}
        self.peak_rss_mb = 0.0
        self.peak_pss_mb = 0.0
        self.peak_processes = 0

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        samples = 0
        while not self._stop.wait(SAMPLE_SECONDS):
            cpu = 0.0
            rss = pss = 0
            roles: dict[str, float] = {}
            tree = process_tree([self._root])
            # Reading smaps_rollup walks every mapping of a process under its mmap lock: for
            # seven processes of a gigabyte, ten times a second, that took a tenth of the
            # machine from the run it measures. Memory changes slowly; once a second will do.
            with_memory = samples % MEMORY_EVERY_SAMPLES == 0
            samples += 1
            for pid in tree:
                with contextlib.suppress(OSError):
                    # Each process's figure includes its children already reaped (pool
                    # processes recycled): the live ones are added by the walk.
                    one_cpu = cpu_seconds(pid)
                    role = self._role(pid)
                    roles[role] = roles.get(role, 0.0) + one_cpu
                    cpu += one_cpu
                    if with_memory:
                        one_rss, one_pss = memory_kb(pid)
                        rss, pss = rss + one_rss, pss + one_pss
            others = [cpu_seconds(pid) for pid in self._others]
            self.samples.append((time.time(), cpu, others, machine_busy_seconds(), roles))
            self.peak_rss_mb = max(self.peak_rss_mb, rss / 1024)
            self.peak_pss_mb = max(self.peak_pss_mb, pss / 1024)
            self.peak_processes = max(self.peak_processes, len(tree))

    def _role(self, pid: int) -> str:
        if pid not in self._roles:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            if "forkserver" in command:
                forked = self._roles.get(parent) in ("fork server", "CPU processes")
                role = "CPU processes" if forked else "fork server"
            elif "--queues feeds" in command:
                role = "feeds worker"
            elif "--queues articles" in command:
                role = "articles worker"
            elif "worker.cli" in command:
                role = "run"
            else:
                role = "other"
            if role == "run" and pid != self._root:
                # A child of `run` sampled between its fork and its exec still shows run's
                # command line: its CPU counts as run's this time, and it is asked again.
                return role
            self._roles[pid] = role
        return self._roles[pid]

    def at(self, moment: float) -> tuple[float, list[float], float, dict[str, float]]:
        """Tree CPU, the others' CPU, machine busy seconds and tree CPU by role at
        ``moment`` (the nearest sample at or after it)."""
        for at, cpu, others, busy, roles in self.samples:
            if at >= moment:
                return cpu, others, busy, roles
        return self.samples[-1][1:]


@dataclass
class RunResult:
    articles: int = 0
    summary: str = ""
    window_seconds: float = 0.0
    window_cpu: float = 0.0
    total_cpu: float = 0.0
    total_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0
    processes: int = 0
    web_cpu: float = 0.0
    redis_cpu: float = 0.0
    others_share: float = 0.0
    roles: dict[str, float] = field(default_factory=dict)
    redis_calls: dict[str, int] = field(default_factory=dict)  # command -> calls in the run


def redis_calls(client: redis.Redis) -> dict[str, int]:
    return {
        name.removeprefix("cmdstat_"): int(stats["calls"])
        for name, stats in client.info("commandstats").items()
    }


def run_wirestream(bench: Bench, room: Newsroom, redis_pid: int, scratch: Path) -> RunResult:
    settings = bench.new_namespace()
    keys = Keys(settings.namespace)
    store = FeedStore(bench.client, keys)
    now = datetime.now(UTC)
    for url in room.feed_urls:
        store.add(new_feed(url, None, (), added_at=now), poll_at=now)
    result = RunResult()
    log_path = scratch / f"{settings.namespace}-run.log"
    calls_before = redis_calls(bench.client)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "worker.cli", "run", "--until-idle"],
            cwd=REPO_ROOT,
            env=worker_environment(settings),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        with TreeSampler(process.pid, [room.pid, redis_pid]) as sampler:
            out, _ = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
    result.total_seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result.redis_calls = {
        command: calls - calls_before.get(command, 0)
        for command, calls in redis_calls(bench.client).items()
    }
    # RUSAGE_CHILDREN misses processes nobody waited for (a fork server and its children,
    # stopped with the worker), and so does the tree once they are gone: its largest sample,
    # taken before they went, has them.
    result.total_cpu = max(
        after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        max((sample[1] for sample in sampler.samples), default=0.0),
    )
    result.summary = out.decode().strip()
    if process.returncode != 0:
        raise RuntimeError(f"run exited {process.returncode}; its log: {log_path}")
    discovered: list[float] = []
    published: list[float] = []
    for stream_id, fields in bench.client.xrange(keys.articles_stream):
        data = json.loads(fields[b"data"])
        at = int(stream_id.split(b"-")[0]) / 1000
        found = datetime.fromisoformat(data["discovered_at"]).timestamp()
        discovered.append(found)
        published.append(at)
        result.latencies.append(at - found)
    result.articles = len(published)
    if not published:
        raise RuntimeError(f"no article reached the stream; the run's log: {log_path}")
    start, end = min(discovered), max(published)
    result.window_seconds = end - start
    cpu_start, others_start, busy_start, roles_start = sampler.at(start)
    cpu_end, others_end, busy_end, roles_end = sampler.at(end)
    result.window_cpu = cpu_end - cpu_start
    result.roles = {
        role: cpu - roles_start.get(role, 0.0) for role, cpu in sorted(roles_end.items())
    }
    result.web_cpu = others_end[0] - others_start[0]
    result.redis_cpu = others_end[1] - others_start[1]
    ours = result.window_cpu + result.web_cpu + result.redis_cpu
    result.others_share = max(busy_end - busy_start - ours, 0.0) / (result.window_seconds * CORES)
    result.peak_rss_mb, result.peak_pss_mb = sampler.peak_rss_mb, sampler.peak_pss_mb
    result.processes = sampler.peak_processes
    return result


# --- the profile -------------------------------------------------------------------------


def profile_articles(bench: Bench, room: Newsroom, count: int, top: int) -> str:
    """cProfile (CPU clock) of ``pipeline.process_entry`` and of the script's article path,
    over the same ``count`` pages, in this process."""
    import feedparser  # noqa: F401  the script's imports, before the clock runs
    import httpx
    import trafilatura

    from worker import pipeline
    from worker.errors import StageError
    from worker.models import FeedEntry
    from worker.services import build_services
    from worker.stages.extract import warm_up

    settings = bench.new_namespace()
    now = datetime.now(UTC)
    payloads = [p for base in room.base_urls for p in article_payloads(base, now)][:count]
    services = build_services(settings, str(settings.redis_url), lambda entries: None)
    warm_up()
    reports = []
    try:
        # Warm-up, unprofiled: first connections, the tagger's and extractor's tables.
        for payload in payloads[:5]:
            with contextlib.suppress(StageError):
                pipeline.process_entry(FeedEntry.from_payload(payload), services)

        def wirestream_path() -> None:
            for payload in payloads:
                with contextlib.suppress(StageError):
                    pipeline.process_entry(FeedEntry.from_payload(payload), services)

        # The pages are published (or found duplicate) by the first pass: the profiled one
        # goes through the same stages, ending as "unchanged" instead.
        reports.append(_profiled("wirestream pipeline.process_entry", wirestream_path, count, top))
    finally:
        services.close()
    with httpx.Client(timeout=30) as client:
        trafilatura.extract(client.get(payloads[0]["source_url"]).text)

        def script_path() -> None:
            for payload in payloads:
                page = client.get(payload["source_url"])
                trafilatura.extract(page.text, url=str(page.url), with_metadata=True)

        reports.append(_profiled("the script's article path", script_path, count, top))
    return "\n\n".join(reports)


def _profiled(title: str, path: Callable[[], None], count: int, top: int) -> str:
    """CPU per article of ``path`` without the profiler, then its profile."""
    cpu_start = time.process_time()
    path()
    plain = time.process_time() - cpu_start
    profiler = cProfile.Profile(time.process_time)
    cpu_start = time.process_time()
    profiler.enable()
    path()
    profiler.disable()
    profiled = time.process_time() - cpu_start
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return (
        f"== {title}: {count} articles, {plain * 1000 / count:.1f} ms CPU per article"
        f" ({profiled * 1000 / count:.1f} ms under the profiler)\n{out.getvalue()}"
    )


# --- report ------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def format_result(
    latency: float, halves: tuple[ScriptResult, ScriptResult], run: RunResult, load: str
) -> str:
    script = halves[0].added_to(halves[1])
    script_rate = script.articles / script.seconds
    script_cpu = script.cpu_seconds / script.articles
    rate = run.articles / run.window_seconds
    cpu = run.window_cpu / run.articles
    total_cpu = run.total_cpu / run.articles
    ceiling = CORES / cpu
    left = CORES * (1 - run.others_share)
    roles = run.roles.items()
    lines = [
        f"pages after {latency:g} s; load average {load}; others' share of the machine's CPU"
        f" during the run: {run.others_share:.0%}",
        f"{'':<34}{'articles':>9}{'art/s':>8}{'vs script':>10}{'CPU ms/art':>11}"
        f"{'CPU vs script':>14}{'ceiling/s':>10}{'of ceiling':>11}",
        f"{'sequential script':<34}{script.articles:>9}{script_rate:>8.2f}{1:>9.2f}x"
        f"{script_cpu * 1000:>11.1f}{1:>13.2f}x{CORES / script_cpu:>10.1f}"
        f"{script_rate / (CORES / script_cpu):>11.2f}",
        f"{'wirestream run --until-idle':<34}{run.articles:>9}{rate:>8.2f}"
        f"{rate / script_rate:>9.2f}x{cpu * 1000:>11.1f}{cpu / script_cpu:>13.2f}x"
        f"{ceiling:>10.1f}{rate / ceiling:>11.2f}",
        f"  wirestream: {run.window_seconds:.1f} s from the first discovery to the last stream"
        f" entry ({run.total_seconds:.1f} s with start-up and the idle wait);"
        f" CPU with start-up {total_cpu * 1000:.1f} ms/article",
        f"  the CPU others left: {left:.2f} cores, a ceiling of {left / cpu:.1f}/s, of which"
        f" {rate / (left / cpu):.2f} reached",
        "  CPU ms/article by process: "
        + ", ".join(f"{role} {spent * 1000 / run.articles:.1f}" for role, spent in roles),
        f"  discovery-to-stream latency p50 {percentile(run.latencies, 0.5):.2f} s,"
        f" p95 {percentile(run.latencies, 0.95):.2f} s",
        f"  worker tree: peak RSS {run.peak_rss_mb:.0f} MB, peak PSS {run.peak_pss_mb:.0f} MB,"
        f" {run.processes} processes; simulated web {run.web_cpu * 1000 / run.articles:.1f}"
        f" ms/article, redis-server {run.redis_cpu * 1000 / run.articles:.1f} ms/article",
        f"  Redis commands per article: {sum(run.redis_calls.values()) / run.articles:.1f}; "
        + ", ".join(
            f"{command} {calls / run.articles:.2f}"
            for command, calls in sorted(run.redis_calls.items(), key=lambda item: -item[1])[:12]
        ),
        "  script CPU ms/article before / after wirestream: "
        + " / ".join(f"{half.cpu_seconds * 1000 / half.articles:.1f}" for half in halves),
        f"  script: {script.extracted} of {script.articles} pages gave text; run: {run.summary}",
    ]
    return "\n".join(lines)


def load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--latency",
        type=float,
        action="append",
        help="seconds before each article page answers (repeatable; default 0.2 and 1)",
    )
    parser.add_argument("--feed-latency", type=float, default=0.05)
    parser.add_argument("--articles", type=int, default=1000, help="at least (default 1000)")
    parser.add_argument(
        "--script-articles",
        type=int,
        help="articles the sequential script processes (default 200 at <= 0.2 s, else 60)",
    )
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile N articles")
    parser.add_argument("--top", type=int, default=30, help="profile lines per table")
    parser.add_argument("--no-run", action="store_true", help="only the profile")
    args = parser.parse_args(argv)
    args.latency = args.latency or [0.2, 1.0]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.chdir(REPO_ROOT)
    mirrors = math.ceil(args.articles / len(catalog.ARTICLES))
    commit, digest = code_version()
    reports = []
    with tempfile.TemporaryDirectory(prefix="wirestream-throughput-") as scratch_name:
        scratch = Path(scratch_name)
        with own_redis(scratch) as (redis_url, redis_pid):
            client = redis.Redis.from_url(redis_url)
            bench = Bench(redis_url, f"tput-{secrets.token_hex(4)}", scratch, client)
            if args.profile:
                with newsroom(0.0, 0.0, math.ceil(args.profile / len(catalog.ARTICLES))) as room:
                    progress(f"profiling {args.profile} articles ...")
                    reports.append(profile_articles(bench, room, args.profile, args.top))
                    progress(reports[-1])
            for latency in [] if args.no_run else args.latency:
                limit = args.script_articles or (200 if latency <= 0.2 else 60)
                with newsroom(latency, args.feed_latency, mirrors) as room:
                    progress(f"pages after {latency:g} s: the script, {limit} articles ...")
                    load_before = load_average()
                    before = run_script(room, limit - limit // 2)
                    progress(
                        f"  {before.articles / before.seconds:.2f} articles/s; wirestream,"
                        f" {room.articles} articles in {len(room.feed_urls)} feeds ..."
                    )
                    run = run_wirestream(bench, room, redis_pid, scratch)
                    progress(f"  the script again, {limit // 2} articles ...")
                    after = run_script(room, limit // 2)
                    load = f"{load_before} before, {load_average()} after"
                    reports.append(format_result(latency, (before, after), run, load))
                    progress(reports[-1])
            client.close()
    print(
        f"wirestream throughput: {CORES} cores, Python {sys.version.split()[0]}, commit {commit},"
        f" worker/ digest {digest}; {mirrors} mirrors of the catalog\n"
    )
    print("\n\n".join(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
