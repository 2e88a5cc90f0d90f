"""The simulated web as the web host of the multi-host test runs it: scheduled release (half
of every feed first, the rest on ``POST /_control/advance``) and a latency on every answer.

    python web_host.py ADDRESS PORT LATENCY
"""

from __future__ import annotations

import signal
import sys
import threading

from worker.simweb import SimWeb


def main() -> None:
    address, port, latency = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    with SimWeb(address, port, release="scheduled", latency=latency) as web:
        print(f"serving {web.base_url}", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
