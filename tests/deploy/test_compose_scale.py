"""Check 7 of issue 14: the suite's deployment scaled to several workers of each kind, then a
new demo run (docs/deploy.md): no duplicate on the stream, and one politeness budget per
host across all of them."""

from __future__ import annotations

import json

from compose_project import LONG_RUNNING, RUN_TIMEOUT, SIMWEB_RATE, Project, Table
from deploy import http_get


def test_07_scaled_workers_publish_once_and_keep_one_budget_per_host(
    deployment: Project, table: Table
) -> None:
    project = deployment
    project.scale = {"worker-articles": 3, "worker-feeds": 2}
    project.up(*LONG_RUNNING)
    project.new_demo_run()
    count = project.wait_until_complete(RUN_TIMEOUT)
    assert count is not None, project.count()

    window = 5.0
    status, body = http_get(project.url("SIMWEB_PORT", f"/_stats/busiest?window={window:g}"))
    assert status == 200
    busiest = json.loads(body)["requests"]
    # Over the simulated web's whole life (every run of the suite), the budget, plus the first
    # request of the window and the web's own health checks (one every 4 s): one budget for
    # all five workers, not one each.
    allowed = SIMWEB_RATE * window + 1 + 2
    table.add(
        "7",
        f"--scale worker-articles=3 --scale worker-feeds=2, new run; busiest {window:g} s at web:"
        f" {busiest} requests (budget {SIMWEB_RATE:g}/s)",
        count,
    )
    assert count.duplicated == 0 and count.unique == count.expected, count
    assert busiest <= allowed, (busiest, allowed)
