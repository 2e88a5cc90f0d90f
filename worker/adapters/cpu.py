"""The CPU-bound steps of an article, in processes of their own: one per core.

The articles worker waits on the network in many threads (``app.py``: the pool measured), and
hands each step that only computes (extract, tag, fingerprint: pure functions of the fetched
page) to :class:`CpuPool`. A step that runs past its time limit is killed with its process,
which is replaced; a process that dies (the OOM killer, a crash in C) is replaced too. Both
come back to the caller as :class:`CpuStepFailed`, which the task retries like a task its
time limit or a lost worker ended. Processes are recycled after ``max_tasks`` steps or past
``max_memory_kb`` of resident memory, as a prefork pool's children are.

The processes fork from a fork server that imported the pipeline and loaded the models
(``worker.adapters.cpu_preload``) while it had a single thread: they share those pages, and
no lock of the worker's threads is copied into them held. What cannot be loaded before a fork
(spaCy: its thread pools do not survive one) each process loads when it starts
(``initializer``), and it takes steps only once that is done: a cold import takes seconds on
a loaded machine, and under a step's time limit it got the process killed, and its
replacement too (issue 19 saw the same in prefork children).
"""

from __future__ import annotations

import multiprocessing
import pickle
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Protocol, TypeVar

from worker.logs import get_logger

T = TypeVar("T")

log = get_logger(__name__)


class CpuStepFailed(Exception):
    """The step ran past its time limit, or its process died; the process was replaced."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class CpuRunner(Protocol):
    def run(self, step: Callable[[], T], *, timeout: float) -> T: ...


class Inline:
    """The step in the calling process: a prefork child (Celery enforces the time limit) or
    a plain loop."""

    def run(self, step: Callable[[], T], *, timeout: float) -> T:
        return step()


@dataclass
class _Slot:
    process: BaseProcess
    connection: Connection
    steps: int = 0


class CpuPool:
    def __init__(
        self,
        processes: int,
        *,
        max_tasks: int | None = None,
        max_memory_kb: int | None = None,
        preload: tuple[str, ...] = ("worker.adapters.cpu_preload",),
        initializer: Callable[[], object] | None = None,
    ) -> None:
        self._context: ForkServerContext = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(list(preload))
        self._max_tasks = max_tasks
        self._max_memory_kb = max_memory_kb
        self._initializer = initializer
        self._idle: queue.SimpleQueue[_Slot] = queue.SimpleQueue()
        self._slots: list[_Slot] = []
        self._lock = threading.Lock()
        self._closed = False
        self._ready = threading.Condition(self._lock)
        self._ready_count = 0
        self._processes = processes
        for _ in range(processes):
            self._start()

    def wait_until_ready(self, timeout: float) -> bool:
        """Whether the first processes all finished their start-up within ``timeout``: a
        worker that takes tasks before then has fetched pages wait for a process."""
        with self._ready:
            return self._ready.wait_for(
                lambda: self._ready_count >= self._processes, timeout=timeout
            )

    def run(self, step: Callable[[], T], *, timeout: float) -> T:
        """``step()`` in a CPU process; ``timeout`` counts the wait for a ready process too."""
        deadline = time.monotonic() + timeout
        try:
            slot = self._idle.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            raise CpuStepFailed("time limit exceeded") from None
        try:
            slot.connection.send(step)
            if not slot.connection.poll(max(deadline - time.monotonic(), 0.0)):
                self._replace(slot, "time_limit")
                raise CpuStepFailed("time limit exceeded")
            failed, result = slot.connection.recv()
        except (EOFError, OSError, BrokenPipeError) as error:
            self._replace(slot, "process_died")
            raise CpuStepFailed("the extraction process died") from error
        self._release(slot)
        if failed:
            raise result
        return result  # type: ignore[no-any-return]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            slots, self._slots = self._slots, []
        for slot in slots:
            slot.connection.close()
            slot.process.kill()
            slot.process.join()

    def _start(self) -> None:
        """A new process, idle once it says it is ready (its initializer done)."""
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(theirs, self._initializer), daemon=True
        )
        process.start()
        theirs.close()
        slot = _Slot(process, ours)
        with self._lock:
            self._slots.append(slot)
        threading.Thread(target=self._idle_when_ready, args=(slot,), daemon=True).start()

    def _idle_when_ready(self, slot: _Slot) -> None:
        try:
            slot.connection.recv()
        except (EOFError, OSError):
            with self._lock:
                closed = self._closed
            if not closed:
                self._replace(slot, "died_starting")
            return
        self._idle.put(slot)
        with self._ready:
            self._ready_count += 1
            self._ready.notify_all()

    def _replace(self, slot: _Slot, why: str) -> None:
        log.warning("cpu_process_replaced", pid=slot.process.pid, reason=why, steps=slot.steps)
        with self._lock:
            if slot in self._slots:
                self._slots.remove(slot)
        slot.process.kill()
        slot.process.join()
        slot.connection.close()
        self._start()

    def _release(self, slot: _Slot) -> None:
        """Back to the idle processes, or replaced when it is due for recycling."""
        slot.steps += 1
        if self._max_tasks and slot.steps >= self._max_tasks:
            self._replace(slot, "max_tasks")
        elif self._max_memory_kb and _resident_kb(slot.process.pid) > self._max_memory_kb:
            self._replace(slot, "max_memory")
        else:
            self._idle.put(slot)


def _resident_kb(pid: int | None) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _serve(connection: Connection, initializer: Callable[[], object] | None) -> None:
    """A CPU process: ready once ``initializer`` ran, then steps in, results (or the
    exception they raised) out, until EOF."""
    if initializer is not None:
        try:
            initializer()
        except Exception as error:  # the steps that need it fail on it, with their subject
            log.warning("cpu_process_initializer_failed", error=repr(error))
    connection.send(None)
    while True:
        try:
            step: Callable[[], Any] = connection.recv()
        except EOFError:
            return
        try:
            reply: tuple[bool, Any] = (False, step())
        except Exception as error:  # the caller raises it where it belongs
            reply = (True, error)
        try:
            connection.send(reply)
        except (TypeError, AttributeError, pickle.PicklingError):  # an exception pickle refuses
            connection.send((True, RuntimeError(repr(reply[1]))))
