"""User rules: every operator, combinator and action, and broken files refused with the line."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from worker.errors import ConfigError
from worker.models import (
    Article,
    EntityTag,
    ExtractedPage,
    FeedRef,
    KeywordTag,
    PlaceTag,
    Tags,
    TopicTag,
)
from worker.stages.rules import parse_rules

NOW = datetime(2026, 11, 30, tzinfo=UTC)


def article(**changes: object) -> Article:
    page = ExtractedPage(
        title="South Korea summons Russian ambassador", authors=(), published=None,
        modified=None, language="en", site_name="24 News Desk", image=None, description=None,
        canonical_url=None, text="Seoul urged Russia to stop military cooperation.",
        extractor="test",
    )  # fmt: skip
    tags = Tags(
        language="en",
        feed=("world",),
        places=(
            PlaceTag("KR", "South Korea", 3, 1, 1, 1, ("Seoul",), "places:gazetteer"),
            PlaceTag("KP", "North Korea", 1, 0, 0, 1, ("North Korea",), "places:gazetteer"),
        ),
        people=(EntityTag("Vladimir Putin", 2, "entities:gazetteer"),),
        organisations=(EntityTag("UN Security Council", 1, "entities:gazetteer"),),
        topics=(TopicTag("politics", "medtop:11000000", 9.0, "topics:keywords"),),
        keywords=(KeywordTag("Russian ambassador", 0.9, "keywords:yake"),),
    )
    base = Article(
        id="a" * 32, url="http://24newsdesk.example/news/1", source_url="x", final_url="x",
        feed=FeedRef("feed1", "http://24newsdesk.example/feed/", "24 News Desk"), page=page,
        tags=tags, content_hash="b" * 32, word_count=8, discovered_at=NOW, fetched_at=NOW,
        processed_at=NOW, agency=("AFP",),
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def fires(match: str, subject: Article | None = None) -> bool:
    rules = parse_rules(f'[[rule]]\nname = "r"\nmatch = {match}\ntag = "t"\n', source="test")
    return rules.apply(subject or article()).matched == ("r",)


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ('{ field = "language", equals = "EN" }', True),
        ('{ field = "language", equals = "de" }', False),
        ('{ field = "outlet", in = ["24 News Desk", "Other"] }', True),
        ('{ field = "places", in = ["FR", "DE"] }', False),
        ('{ field = "places", contains = "KP" }', True),
        ('{ field = "places", contains = "K" }', False),  # a list holds whole values
        ('{ field = "title", contains = "russian" }', True),
        ('{ field = "agency", contains = "AFP" }', True),
        ('{ field = "people", contains = "Vladimir Putin" }', True),
        ('{ field = "organisations", contains = "UN Security Council" }', True),
        ('{ field = "topics", contains = "politics" }', True),
        ('{ field = "keywords", contains = "russian ambassador" }', True),
        ('{ field = "feed_tags", contains = "world" }', True),
        ('{ field = "feed", equals = "feed1" }', True),
        ('{ field = "text", regex = "military\\\\s+cooperation" }', True),
        ('{ field = "title", regex = "^North" }', False),
        ('{ field = "place.KR", gte = 3 }', True),
        ('{ field = "place.KR", gt = 3 }', False),
        ('{ field = "place.FR", lt = 1 }', True),  # a country not named counts 0
        ('{ field = "topic.politics", lte = 9.0 }', True),
        ('{ field = "word_count", gt = 100 }', False),
        ('{ field = "cluster_size", lte = 1 }', True),
        ('{ all = [ { field = "language", equals = "en" },'
         ' { field = "agency", contains = "AP" } ] }', False),
        ('{ any = [ { field = "language", equals = "de" },'
         ' { field = "agency", contains = "AFP" } ] }', True),
        ('{ not = { field = "topics", contains = "sport" } }', True),
        ('{ not = { field = "topics", contains = "politics" } }', False),
    ],
)  # fmt: skip
def test_operators_and_combinators(match: str, expected: bool) -> None:
    assert fires(match) is expected


def test_actions_add_a_labelled_tag_route_a_copy_and_drop_with_the_first_reason() -> None:
    rules = parse_rules(
        """
[[rule]]
name = "korea"
match = { field = "places", contains = "KP" }
tag = ["korea", "asia"]
route = "korea"

[[rule]]
name = "no-wire"
match = { field = "agency", contains = "AFP" }
drop = "wire copy is read elsewhere"
route = "wire"

[[rule]]
name = "never"
match = { field = "language", equals = "xx" }
drop = "not reached"
""",
        source="test",
    )
    outcome = rules.apply(article())
    assert outcome.matched == ("korea", "no-wire")
    assert [(label.label, label.by) for label in outcome.labels] == [
        ("korea", "rule:korea"),
        ("asia", "rule:korea"),
    ]
    assert outcome.routes == ("korea", "wire")
    assert (
        outcome.dropped_by is not None and outcome.dropped_by.drop == "wire copy is read elsewhere"
    )
    tagged = outcome.applied_to(article())
    assert tagged.tags.rules == ("korea", "no-wire")
    assert [label.label for label in tagged.tags.labels] == ["korea", "asia"]


def test_cluster_size_is_read_only_by_rule_files_that_name_it() -> None:
    syndicated = parse_rules(
        '[[rule]]\nname = "wide"\nmatch = { any = [ { field = "language", equals = "xx" },'
        ' { not = { field = "cluster_size", lt = 3 } } ] }\ntag = "syndicated"\n',
        source="test",
    )
    plain = parse_rules(
        '[[rule]]\nname = "en"\nmatch = { field = "language", equals = "en" }\ntag = "t"\n',
        source="test",
    )

    assert syndicated.uses_cluster_size and not plain.uses_cluster_size
    assert syndicated.rules[0].fields == frozenset({"language", "cluster_size"})
    assert syndicated.apply(article(), cluster_size=3).matched == ("wide",)
    assert syndicated.apply(article(), cluster_size=2).matched == ()
    assert syndicated.apply(article()).matched == ()  # alone, a story has one article


def test_a_label_added_by_an_earlier_rule_is_not_seen_by_a_later_one() -> None:
    # Rules see the article as tagging left it: the order of rules never changes a verdict.
    rules = parse_rules(
        '[[rule]]\nname = "a"\nmatch = { field = "language", equals = "en" }\ntag = "x"\n'
        '[[rule]]\nname = "b"\nmatch = { field = "labels", contains = "x" }\ntag = "y"\n',
        source="test",
    )
    assert rules.apply(article()).matched == ("a",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[rule]]\nname = "x"\nmatch = { field = "title", regex = "(" }\ntag = "t"\n',
         'line 1: rule \'x\': regex \'(\': missing ), unterminated subpattern'),
        ('[[rule]]\nname = "ok"\nmatch = { field = "title", equals = "a" }\ntag = "t"\n\n'
         '[[rule]]\nname = "bad"\nmatch = { field = "colour", equals = "red" }\ntag = "t"\n',
         "line 6: rule 'bad': unknown field 'colour'"),
        ('[[rule]]\nname = "x"\nmatch = { field = "title", matches = "a" }\ntag = "t"\n',
         "line 1: rule 'x': field 'title' needs exactly one operator"),
        ('[[rule]]\nname = "x"\nmatch = { field = "place.KR", gte = "two" }\ntag = "t"\n',
         "needs a number (got 'two')"),
        ('[[rule]]\nname = "x"\nmatch = { field = "title", gte = 2 }\ntag = "t"\n',
         "'title' is not a number field"),
        ('[[rule]]\nname = "x"\nmatch = { field = "cluster_size", equals = "2" }\ntag = "t"\n',
         "'cluster_size' is a number: use gte, gt, lte or lt"),
        ('[[rule]]\nname = "x"\nmatch = { field = "title", equals = "a" }\n',
         "needs an action: tag, route or drop"),
        ('[[rule]]\nname = "x"\nmatch = { field = "title", equals = "a" }\nroute = "a b"\n',
         "route 'a b' must be letters"),
        ('[[rule]]\nname = "x"\nmatch = { all = [] }\ntag = "t"\n', "non-empty list"),
        ('[[rule]]\nname = "x"\nmatch = { field = "title", equals = "a" }\ntag = "t"\n'
         '[[rule]]\nname = "x"\nmatch = { field = "title", equals = "b" }\ntag = "t"\n',
         "line 5: rule name 'x' repeated"),
        ('[[rule]]\nname = "x"\nmatch = { field = "title" equals = "a" }\n', "(at line 3"),
        ('[[rule]]\nname = "x"\nwhen = { field = "title", equals = "a" }\ntag = "t"\n',
         "unknown key 'when'"),
    ],
)  # fmt: skip
def test_a_broken_rules_file_is_refused_with_the_line_and_the_reason(
    text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_rules(text, source="config/rules.toml")
    assert str(raised.value).startswith("rules: config/rules.toml: ")
    assert message in str(raised.value)
