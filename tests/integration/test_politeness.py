"""Politeness against the simulated web and a real Redis: robots.txt, Crawl-delay, the per-host
budget, and a host that fails being parked and recovering."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis

from worker.adapters.http import HttpClient
from worker.adapters.politeness import Politeness
from worker.adapters.redis_client import connect
from worker.errors import Deferred, PermanentError, RetryableError
from worker.keys import Keys
from worker.settings import Settings
from worker.simweb import SimWeb, catalog
from worker.stages.robots import policy_from_answer

HOST = "127.0.0.1"
PAGE_KEY = catalog.ARTICLES[0].key
OTHER_KEY = catalog.ARTICLES[1].key


@pytest.fixture
def make_client(redis_url: str, namespace: str) -> Iterator[Any]:
    """A guarded client with politeness on the test namespace; settings as given."""
    opened: list[tuple[HttpClient, Politeness]] = []
    redis_client = connect(redis_url)

    def make(**options: Any) -> HttpClient:
        values: dict[str, Any] = {
            "namespace": namespace,
            "allowed_networks": "127.0.0.0/8",
            "host_rate_overrides": {HOST: 1000.0},
            "user_agent": "wirestream/0.1 (+https://example.org/contact)",
        }
        values.update(options)
        settings = Settings(**values)
        politeness = Politeness(redis_client, Keys(namespace), settings)
        client = HttpClient.from_settings(settings, gate=politeness)
        opened.append((client, politeness))
        return client

    yield make
    for client, politeness in opened:
        client.close()
        politeness.close()
    redis_client.close()


def fetch_page(client: HttpClient, web: SimWeb, key: str = PAGE_KEY) -> int:
    return client.fetch(f"{web.base_url}/{key}", kind="article", max_bytes=5_000_000).status


def until_admitted(client: HttpClient, web: SimWeb, key: str = PAGE_KEY) -> int:
    """Fetch, waiting out deferrals as a rescheduled task would (here: in the test)."""
    for _ in range(50):
        try:
            return fetch_page(client, web, key)
        except Deferred as wait:
            time.sleep(wait.delay)
    raise AssertionError("never admitted")


def set_robots(web: SimWeb, text: str) -> None:
    web.set_behaviour("robots.txt", body=text.encode(), content_type="text/plain")


OUTLET = PAGE_KEY.split("/", 1)[0]


def assert_only_the_outlet_is_disallowed(client: Any, web: SimWeb) -> None:
    with pytest.raises(PermanentError) as caught:
        until_admitted(client, web)
    assert "disallowed by robots.txt of http://127.0.0.1:" in caught.value.reason
    other = next(a.key for a in catalog.ARTICLES if not a.key.startswith(OUTLET + "/"))
    assert until_admitted(client, web, other) == 200


def test_path_disallowed_by_robots_is_refused_and_others_are_fetched(
    simweb: SimWeb, make_client: Any
) -> None:
    set_robots(simweb, f"User-agent: wirestream\nDisallow: /{OUTLET}/\n")

    assert_only_the_outlet_is_disallowed(make_client(), simweb)


def test_robots_txt_beyond_500_kib_is_read_up_to_there(simweb: SimWeb, make_client: Any) -> None:
    # The rule is read, what lies past the limit is not: a cut file, not a refused one.
    filler = "# " + "x" * 98 + "\n"
    set_robots(
        simweb,
        f"User-agent: *\nDisallow: /{OUTLET}/\n{filler * 6000}User-agent: *\nDisallow: /\n",
    )

    assert_only_the_outlet_is_disallowed(make_client(), simweb)


def test_robots_rules_for_other_agents_do_not_apply(simweb: SimWeb, make_client: Any) -> None:
    set_robots(simweb, "User-agent: otherbot\nDisallow: /\n")

    assert until_admitted(make_client(), simweb) == 200


def test_robots_txt_is_cached_in_redis_with_its_ttl(
    simweb: SimWeb, make_client: Any, redis_client: redis.Redis, keys: Keys
) -> None:
    until_admitted(make_client(robots_ttl=3600), simweb)
    first = simweb.busiest(window=3600)
    until_admitted(make_client(robots_ttl=3600), simweb, OTHER_KEY)

    cached = keys.robots(simweb.base_url)
    assert 3500 < int(redis_client.ttl(cached)) <= 3600
    assert simweb.busiest(window=3600) == first + 1, "a second client must reuse the cached file"


def test_a_worker_keeps_the_policy_it_read_but_never_past_its_expiry_in_redis(
    simweb: SimWeb, make_client: Any, redis_client: redis.Redis, keys: Keys
) -> None:
    cached = keys.robots(simweb.base_url)
    redis_client.set(cached, policy_from_answer(404, b"").to_json(), px=1500)  # allows all
    client = make_client()
    assert until_admitted(client, simweb) == 200
    expires = time.monotonic() + 1.5

    # Read once: a copy deleted by hand is still the worker's until it would have expired.
    redis_client.delete(cached)
    set_robots(simweb, f"User-agent: *\nDisallow: /{OUTLET}/\n")
    assert until_admitted(client, simweb) == 200
    assert simweb.busiest(window=3600) == 2, "the two pages, no robots.txt"

    time.sleep(max(expires - time.monotonic(), 0) + 0.1)
    assert_only_the_outlet_is_disallowed(client, simweb)
    assert simweb.busiest(window=3600) == 4, "robots.txt asked again, and the other page"


def test_threads_that_find_robots_txt_missing_fetch_it_once(
    simweb: SimWeb, make_client: Any
) -> None:
    # Slow enough that every thread asks before the first answer arrives.
    simweb.set_behaviour("robots.txt", body=b"User-agent: *\nAllow: /\n", latency=0.5)
    client = make_client(host_rate_overrides={HOST: 1e6})
    keys = [article.key for article in catalog.ARTICLES[:8]]

    with ThreadPoolExecutor(len(keys)) as threads:
        statuses = list(threads.map(lambda key: fetch_page(client, simweb, key), keys))

    assert statuses == [200] * len(keys)
    assert simweb.busiest(window=3600) == len(keys) + 1, "the pages and one robots.txt"


def test_crawl_delay_spaces_requests_beyond_the_budget(simweb: SimWeb, make_client: Any) -> None:
    set_robots(simweb, "User-agent: *\nCrawl-delay: 2\n")
    client = make_client()
    until_admitted(client, simweb)

    with pytest.raises(Deferred) as caught:
        fetch_page(client, simweb, OTHER_KEY)
    assert 1.5 < caught.value.delay <= 2.0
    assert "no request budget" in str(caught.value)


def test_robots_txt_answering_5xx_disallows_the_host_for_a_while(
    simweb: SimWeb, make_client: Any, redis_client: redis.Redis, keys: Keys
) -> None:
    simweb.set_behaviour("robots.txt", status=503)
    client = make_client(robots_error_ttl=120)

    with pytest.raises(RetryableError) as caught:
        until_admitted(client, simweb)
    assert "robots.txt of http://127.0.0.1:" in caught.value.reason
    assert "unreachable" in caught.value.reason
    assert caught.value.retry_after is not None and 100 < caught.value.retry_after <= 120
    assert 100 < int(redis_client.ttl(keys.robots(simweb.base_url))) <= 120


def test_robots_txt_answering_404_allows_everything(simweb: SimWeb, make_client: Any) -> None:
    simweb.set_behaviour("robots.txt", status=404)

    assert until_admitted(make_client(), simweb) == 200


def test_second_request_within_the_budget_interval_is_deferred(
    simweb: SimWeb, make_client: Any
) -> None:
    client = make_client(host_rate_overrides={HOST: 2.0})
    until_admitted(client, simweb)

    with pytest.raises(Deferred) as caught:
        fetch_page(client, simweb, OTHER_KEY)
    assert 0 < caught.value.delay <= 0.5
    assert caught.value.host == HOST


def test_requests_the_budget_refuses_get_turns_one_interval_apart_and_keep_them(
    simweb: SimWeb, make_client: Any
) -> None:
    """Each is told its own time to come back, not all the same one (then all but one would
    wait again); one back too early keeps its place; the first back at its turn gets in."""
    client = make_client(host_rate_overrides={HOST: 2.0})  # one request per 0.5 s
    until_admitted(client, simweb)
    pages = [article.key for article in catalog.ARTICLES[1:5]]
    waits = []
    for page in pages:
        with pytest.raises(Deferred) as caught:
            fetch_page(client, simweb, page)
        waits.append(caught.value.delay)

    assert 0 < waits[0] <= 0.5
    gaps = [later - earlier for earlier, later in itertools.pairwise(waits)]
    assert gaps == pytest.approx([0.5, 0.5, 0.5], abs=0.05)
    with pytest.raises(Deferred) as early:
        fetch_page(client, simweb, pages[1])  # back before its turn: not a new turn
    assert early.value.delay == pytest.approx(waits[1], abs=0.05)
    time.sleep(waits[0])
    assert fetch_page(client, simweb, pages[0]) == 200


def test_budget_is_shared_by_separate_clients(simweb: SimWeb, make_client: Any) -> None:
    slow = {HOST: 0.5}
    until_admitted(make_client(host_rate_overrides=slow), simweb)

    with pytest.raises(Deferred) as caught:
        fetch_page(make_client(host_rate_overrides=slow), simweb, OTHER_KEY)
    assert 1.0 < caught.value.delay <= 2.0


def test_failing_host_is_parked_then_recovers(simweb: SimWeb, make_client: Any) -> None:
    client = make_client(host_failure_threshold=3, host_park_seconds=1.5)
    until_admitted(client, simweb)  # robots.txt fetched while the host is well
    outlet = PAGE_KEY.split("/", 1)[0] + "/"
    simweb.set_behaviour(outlet, status=500)
    for _ in range(3):
        with pytest.raises(RetryableError):
            until_admitted(client, simweb)
    requests_so_far = simweb.busiest(window=3600)

    with pytest.raises(Deferred) as caught:
        fetch_page(client, simweb)
    assert "is parked" in str(caught.value)
    assert 1.0 < caught.value.delay <= 1.5
    assert simweb.busiest(window=3600) == requests_so_far, "a parked host gets no request"

    simweb.set_behaviour(outlet)
    time.sleep(caught.value.delay)
    assert until_admitted(client, simweb) == 200


def test_one_failure_after_a_park_parks_the_host_again(simweb: SimWeb, make_client: Any) -> None:
    client = make_client(host_failure_threshold=2, host_park_seconds=0.5)
    until_admitted(client, simweb)
    simweb.set_behaviour(PAGE_KEY, status=503)
    for _ in range(2):
        with pytest.raises(RetryableError):
            until_admitted(client, simweb)
    time.sleep(0.6)

    with pytest.raises(RetryableError):
        until_admitted(client, simweb)
    with pytest.raises(Deferred, match="is parked"):
        fetch_page(client, simweb)


def test_retry_after_parks_the_host_for_that_long(simweb: SimWeb, make_client: Any) -> None:
    client = make_client()
    until_admitted(client, simweb)
    simweb.set_behaviour(PAGE_KEY, status=429, retry_after=30)

    with pytest.raises(RetryableError) as caught:
        until_admitted(client, simweb)
    assert caught.value.retry_after == 30

    with pytest.raises(Deferred) as parked:
        fetch_page(client, simweb, OTHER_KEY)
    assert 25 < parked.value.delay <= 30


def test_redirect_hop_to_a_disallowed_path_is_refused(simweb: SimWeb, make_client: Any) -> None:
    set_robots(simweb, "User-agent: *\nDisallow: /private/\n")
    simweb.set_behaviour("moved", redirect_to="/private/page")

    with pytest.raises(PermanentError) as caught:
        until_admitted(make_client(), simweb, "moved")
    assert caught.value.reason.endswith("after redirect to " + simweb.base_url + "/private/page")
    assert caught.value.subject == f"{simweb.base_url}/moved"
