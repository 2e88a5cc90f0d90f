"""What a host's pages teach about each other, through process_entry against the simulated
web and a real Redis: one rel=canonical claimed by different stories, a line the pages of
one feed poll share."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import structlog

from worker import pipeline
from worker.models import FeedEntry, FeedRef
from worker.services import Services, build_services
from worker.settings import load_settings
from worker.simweb import SimWeb
from worker.stages.publish import CREATED

HOST = "brokencms.example"
SIMWEB_HOST_RATE = 2000.0
TOPICS = (
    "harbour bridge", "school budget", "river flooding", "tram line", "library hours",
    "market fire", "stadium vote", "hospital wing", "airport noise", "park cleanup",
    "ferry strike",
)  # fmt: skip
# Each story its own words, so that no two are near-duplicates of each other.
VOCABULARY = (
    "council",
    "residents",
    "mayor",
    "budget",
    "vote",
    "river",
    "bridge",
    "school",
    "teachers",
    "parents",
    "tram",
    "station",
    "library",
    "market",
    "fire",
    "stadium",
    "hospital",
    "airport",
    "noise",
    "park",
    "ferry",
    "strike",
    "union",
    "workers",
    "engineers",
    "contract",
    "delay",
    "cost",
    "million",
    "report",
    "inquiry",
    "police",
    "road",
    "closure",
    "weather",
    "storm",
    "flood",
    "insurance",
    "repair",
    "summer",
    "winter",
    "plan",
    "public",
    "meeting",
    "petition",
    "court",
    "appeal",
    "minister",
)


def story_page(topic: str, furniture: str = "", canonical: str = f"/{HOST}/news/") -> bytes:
    """A story of its own, whose template names the section as every page's canonical unless
    told otherwise."""
    words = random.Random(topic).choices(VOCABULARY, k=150)
    paragraphs = "".join(
        f"<p>The {topic}: {' '.join(words[n : n + 30])}.</p>" for n in range(0, 150, 30)
    )
    return f"""<!DOCTYPE html><html lang="en"><head><title>News on the {topic}</title>
<link rel="canonical" href="{canonical}"></head><body><article>
<h1>News on the {topic}</h1>{furniture}{paragraphs}</article></body></html>""".encode()


@pytest.fixture
def services(redis_url: str, namespace: str) -> Iterator[Services]:
    settings = load_settings(
        redis_url=redis_url,
        namespace=namespace,
        allowed_networks="127.0.0.0/8",
        host_rate_overrides={"127.0.0.1": SIMWEB_HOST_RATE},
        ner_model="",
    )
    built = build_services(settings, redis_url, lambda entries: None)
    yield built
    built.close()


def process(
    services: Services,
    web: SimWeb,
    topic: str,
    section: str = "news",
    furniture: str = "",
    polled_at: datetime | None = None,
) -> pipeline.ProcessOutcome:
    path = f"{HOST}/{section}/{topic.replace(' ', '-')}.html"
    page = story_page(topic, furniture, f"/{path}") if polled_at else story_page(topic)
    web.set_behaviour(path, body=page, content_type="text/html; charset=utf-8")
    url = f"{web.base_url}/{path}"
    entry = FeedEntry(
        feed=FeedRef(id="broken", url=f"{web.base_url}/{HOST}/feed.xml", title=None),
        url=url, source_url=url, guid=None, title=None, published=None,
        discovered_at=polled_at or datetime.now(UTC),
    )  # fmt: skip
    return pipeline.process_entry(entry, services)


def test_ten_stories_sharing_one_canonical_are_ten_articles_and_the_host_is_distrusted(
    services: Services,
) -> None:
    with SimWeb() as web, structlog.testing.capture_logs() as logs:
        outcomes = [process(services, web, topic) for topic in TOPICS[:10]]
        distrusted = [log for log in logs if log["event"] == "canonical_distrusted"]
        later = process(services, web, TOPICS[10])
        section = f"{web.base_url}/{HOST}/news/"

    assert [outcome.result.event for outcome in outcomes] == [CREATED] * 10
    assert len({outcome.article_id for outcome in outcomes}) == 10
    # The first story claimed the canonical before anything was known; the second showed it
    # to be the template's. The host is distrusted once, and its later pages too.
    assert outcomes[0].url == section
    assert [log["host"] for log in distrusted] == [HOST]
    assert later.result.event == CREATED
    assert later.url.endswith("/news/ferry-strike.html")
    assert services.canonicals.distrusted(HOST)


def test_a_copy_of_one_story_under_another_address_keeps_the_canonical(
    services: Services,
) -> None:
    with SimWeb() as web, structlog.testing.capture_logs() as logs:
        first = process(services, web, "harbour bridge")
        copy = process(services, web, "harbour bridge", section="amp")

    assert copy.article_id == first.article_id
    assert not [log for log in logs if log["event"] == "canonical_distrusted"]
    assert not services.canonicals.distrusted(HOST)


def published_texts(services: Services) -> list[str]:
    entries = services.redis.xrange(services.keys.articles_stream)
    return [json.loads(fields["data"])["text"] for _, fields in entries]


def test_a_line_another_page_of_the_same_poll_had_leaves_the_body(services: Services) -> None:
    furniture = "<p>Listen to this story on our podcast</p>"
    poll = datetime.now(UTC)
    with SimWeb() as web:
        process(services, web, "tram line", furniture=furniture, polled_at=poll)
        process(services, web, "market fire", furniture=furniture, polled_at=poll)
        # The first page processed again (a redelivery) is not its own other page.
        process(services, web, "tram line", furniture=furniture, polled_at=poll)
        # A page of another poll has not been compared with these.
        process(services, web, "park cleanup", furniture=furniture, polled_at=datetime.now(UTC))

    texts = published_texts(services)
    assert [("podcast" in text) for text in texts] == [True, False, True]
    assert "market fire" in texts[1]
