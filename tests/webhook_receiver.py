"""A real HTTP receiver on 127.0.0.1 for the webhook sink's tests: it checks every request's
signature and answers each idempotency key by a plan (fail, throttle, time out, accept)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from worker.sinks.webhook import verify_signature

SECRET = b"webhook-test-secret"
TIMEOUT = 0.5
"""The client timeout the tests set: a "timeout" answer waits three times as long."""


@dataclass
class Delivery:
    key: str
    body: bytes
    valid: bool
    at: float
    answered: str


@dataclass
class Receiver:
    """Answers each idempotency key's n-th request with its plan's n-th answer ("ok" once
    the plan is used up): a status like "500", "429:<seconds>" or "timeout"."""

    plans: Callable[[str], list[str]]
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer_for(self, key: str) -> str:
        with self.lock:
            seen = sum(1 for delivery in self.deliveries if delivery.key == key)
        plan = self.plans(key)
        return plan[seen] if seen < len(plan) else "ok"


@contextmanager
def running_receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver(plans=lambda key: [])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            key = self.headers["Idempotency-Key"]
            answer = state.answer_for(key)
            valid = verify_signature(
                SECRET, body, timestamp=self.headers["X-Wirestream-Timestamp"],
                signature=self.headers["X-Wirestream-Signature"], now=time.time(),
            )  # fmt: skip
            with state.lock:
                state.deliveries.append(Delivery(key, body, valid, time.monotonic(), answer))
            if answer == "timeout":
                time.sleep(TIMEOUT * 3)
                answer = "200"
            status, _, retry_after = answer.replace("ok", "200").partition(":")
            self.send_response(int(status))
            if retry_after:
                self.send_header("Retry-After", retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()
