"""User rules end to end: a routed stream gets exactly the matching articles, dropped ones are
counted and never published, a broken rules file stops the pipeline before it starts."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import redis

from worker.keys import Keys
from worker.simweb import SimWeb, catalog

Wirestream = Callable[..., subprocess.CompletedProcess[str]]

RULES = """
[[rule]]
name = "korea-desk"
match = { field = "places", contains = "KP" }
tag = "korea"
route = "korea"

[[rule]]
name = "no-spanish"
match = { field = "language", equals = "es" }
drop = "no Spanish desk"

[[rule]]
name = "syndicated"
match = { field = "cluster_size", gte = 2 }
route = "syndicated"
"""


def test_route_stream_gets_exactly_the_matching_articles_and_drops_are_counted(
    wirestream: Wirestream,
    simweb: SimWeb,
    redis_client: redis.Redis,
    keys: Keys,
    tmp_path: Path,
) -> None:
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(RULES, encoding="utf-8")
    assert wirestream("feeds", "import", simweb.opml_url).returncode == 0

    # One article at a time, so that each one's cluster size is what came before it: with
    # several, two copies of a story may each be counted without the other.
    run = wirestream(
        "run", "--until-idle", "--timeout", "240",
        WIRESTREAM_RULES_FILE=str(rules_file), WIRESTREAM_ARTICLES_CONCURRENCY="1",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]

    entries = [fields for _, fields in redis_client.xrange(keys.articles_stream)]
    published = [json.loads(fields["data"]) for fields in entries]
    routed = [json.loads(f["data"]) for _, f in redis_client.xrange(keys.route_stream("korea"))]
    matching = [a for a in published if "KP" in {p["code"] for p in a["tags"]["places"]}]
    assert matching, "the simulated web carries the North Korea wire story"
    assert [a["id"] for a in routed] == [a["id"] for a in matching]
    for article in routed:
        assert article["tags"]["rules"][0] == "korea-desk"
        assert {"label": "korea", "by": "rule:korea-desk"} in article["tags"]["labels"]

    # A story's second and later articles are its copies: exactly those see a cluster of two.
    copies = [fields["id"] for fields in entries if fields["event"] == "article.duplicate"]
    syndicated = [f["id"] for _, f in redis_client.xrange(keys.route_stream("syndicated"))]
    assert copies, "the simulated web republishes wire stories"
    assert syndicated == copies

    spanish = [a for a in catalog.ARTICLES if a.language == "es"]
    assert not [a for a in published if a["language"] == "es"]
    stats = redis_client.hgetall(keys.stats)
    assert int(stats["dropped.no-spanish"]) == len(spanish)
    assert int(stats["articles.dropped"]) == len(spanish)
    assert f"dropped by rules: {len(spanish)}" in run.stdout


def test_a_broken_rules_file_stops_run_with_the_line_and_the_reason(
    wirestream: Wirestream, tmp_path: Path
) -> None:
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(
        '# my rules\n\n[[rule]]\nname = "x"\nmatch = { field = "title", regex = "[" }\ntag = "t"\n',
        encoding="utf-8",
    )
    run = wirestream("run", "--until-idle", WIRESTREAM_RULES_FILE=str(rules_file), timeout=60)
    assert run.returncode == 2
    assert f"rules: {rules_file}: line 3: rule 'x': regex '[':" in run.stderr


def test_rules_test_shows_which_rules_a_page_fires(
    wirestream: Wirestream, simweb: SimWeb, tmp_path: Path
) -> None:
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(RULES, encoding="utf-8")
    story = next(a for a in catalog.ARTICLES if a.outlet == "24newsdesk.example" and a.agency)
    shown = wirestream("rules", "test", simweb.url_for(story), "--rules", str(rules_file))
    assert shown.returncode == 0, shown.stderr
    lines = [json.loads(line) for line in shown.stdout.splitlines()]
    assert lines[0] == {
        "rule": "korea-desk", "line": 2, "fires": True, "tag": ["korea"], "route": "korea"
    }  # fmt: skip
    assert lines[1] == {"rule": "no-spanish", "line": 8, "fires": False, "drop": "no Spanish desk"}
    assert lines[2] == {"rule": "syndicated", "line": 13, "fires": False, "route": "syndicated"}
    assert "KP" in {place["code"] for place in lines[3]["tags"]["places"]}
    again = wirestream(
        "rules", "test", simweb.url_for(story), "--rules", str(rules_file), "--cluster-size", "2"
    )
    assert json.loads(again.stdout.splitlines()[2])["fires"] is True
