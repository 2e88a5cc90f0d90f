"""`wirestream feeds add` (checked, discovered), `feeds import` of a TOML list with per-feed
options, and `feeds status`, as a user runs them, against the simulated web."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Wirestream
from worker.simweb import SimWeb

REPO_ROOT = Path(__file__).resolve().parents[2]


def listed(wirestream: Wirestream) -> list[dict[str, object]]:
    return [json.loads(line) for line in wirestream("feeds", "list").stdout.splitlines()]


def test_feeds_add_on_a_web_page_subscribes_to_the_feed_it_announces(
    wirestream: Wirestream, simweb: SimWeb
) -> None:
    added = wirestream("feeds", "add", f"{simweb.base_url}/synthetic.example/site/4/")

    assert added.returncode == 0, added.stderr
    [feed] = listed(wirestream)
    assert feed["url"] == simweb.synthetic_feed_url(4)
    assert feed["title"] == "Synthetic feed 4"


def test_feeds_add_on_a_page_without_links_tries_the_usual_feed_paths(
    wirestream: Wirestream, simweb: SimWeb
) -> None:
    page = b"<!DOCTYPE html><html><head><title>Plain</title></head><body>news</body></html>"
    simweb.set_behaviour("plain.example/", body=page, content_type="text/html; charset=utf-8")
    simweb.set_behaviour("plain.example/rss.xml", redirect_to=simweb.synthetic_feed_url(5))

    added = wirestream("feeds", "add", f"{simweb.base_url}/plain.example/")

    assert added.returncode == 0, added.stderr
    assert [feed["url"] for feed in listed(wirestream)] == [simweb.synthetic_feed_url(5)]


def test_feeds_add_refuses_a_url_that_is_no_feed_unless_told_not_to_check(
    wirestream: Wirestream, simweb: SimWeb
) -> None:
    missing = f"{simweb.base_url}/synthetic.example/nothing.xml"

    refused = wirestream("feeds", "add", missing)
    kept = wirestream("feeds", "add", "--no-check", missing)

    assert refused.returncode == 1
    assert "404 Not Found" in refused.stderr and missing in refused.stderr
    assert kept.returncode == 0, kept.stderr
    assert [feed["url"] for feed in listed(wirestream)] == [missing]


def test_feeds_import_of_a_toml_list_keeps_per_feed_options(
    wirestream: Wirestream, tmp_path: Path
) -> None:
    imported = wirestream("feeds", "import", str(REPO_ROOT / "seeds" / "feeds.toml"))

    assert imported.returncode == 0, imported.stderr
    feeds = {feed["url"]: feed for feed in listed(wirestream)}
    guardian = feeds["https://www.theguardian.com/world/rss"]
    assert (guardian["min_interval"], guardian["tags"]) == (600, ["world", "en"])
    assert feeds["https://www.lemonde.fr/rss/une.xml"]["max_interval"] == 3600

    bad = tmp_path / "bad.toml"
    bad.write_text('[[feed]]\nurl = "https://a.example/rss"\nmin_interval = "often"\n')
    refused = wirestream("feeds", "import", str(bad))
    assert refused.returncode == 2
    assert "min_interval" in refused.stderr and "https://a.example/rss" in refused.stderr


def test_feeds_status_shows_last_poll_next_poll_and_why(
    wirestream: Wirestream, simweb: SimWeb
) -> None:
    url = simweb.synthetic_feed_url(6, ttl=240)
    assert wirestream("feeds", "add", url).returncode == 0
    run = wirestream("run", "--until-idle", "--timeout", "120", timeout=180)
    assert run.returncode == 0, run.stderr[-2000:]

    status = wirestream("feeds", "status", url)

    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0] == url
    rows = dict(line.strip().split(None, 1) for line in lines[1:] if not line.startswith("  last"))
    assert "(ttl)" in rows["next"]
    assert "polled (200)" in status.stdout
    assert "1.00 new entries per poll" not in status.stdout  # ten entries on the first poll
    assert "10.00 new entries per poll over 1 polls" in status.stdout
    assert wirestream("feeds", "status", "https://unknown.example/rss").returncode == 1
