"""User rules (``config/rules.toml``): conditions over an article's fields, and what to do
when they hold: add a tag, drop the article (counted, with its reason), or route a copy to
the stream ``<namespace>:route:<name>``.

::

    [[rule]]
    name = "korea-desk"
    match = { any = [ { field = "places", contains = "KP" },
                      { field = "title", regex = "(?i)pyongyang" } ] }
    tag = "korea"
    route = "korea"

A condition is ``{ field = F, <operator> = V }`` or ``{ all = [...] }``, ``{ any = [...] }``,
``{ not = {...} }``. A broken file is refused as a whole, with the line and the reason.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from worker.errors import ConfigError
from worker.models import Article, LabelTag

Condition = Callable[[Mapping[str, Any]], bool]

TEXT_FIELDS = ("title", "text", "language", "url", "feed", "feed_url", "feed_title", "outlet")
LIST_FIELDS = (
    "agency",
    "places",
    "people",
    "organisations",
    "topics",
    "keywords",
    "categories",
    "feed_tags",
    "labels",
)
# cluster_size: the articles of the story within the dedupe window, this one included, as
# they stood just before it was published (1 for a story seen first).
CLUSTER_SIZE = "cluster_size"
NUMBER_FIELDS = ("word_count", CLUSTER_SIZE)
# place.<ISO code>: how often the country is named; topic.<code>: the topic's score.
NUMBER_PREFIXES = ("place.", "topic.")
OPERATORS = ("equals", "in", "contains", "regex", "gte", "gt", "lte", "lt")
ACTIONS = ("tag", "route", "drop")
_ROUTE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "gte": lambda value, limit: value >= limit,
    "gt": lambda value, limit: value > limit,
    "lte": lambda value, limit: value <= limit,
    "lt": lambda value, limit: value < limit,
}


@dataclass(frozen=True)
class Rule:
    name: str
    condition: Condition
    tags: tuple[str, ...]
    route: str | None
    drop: str | None  # the reason, counted when the rule drops an article
    line: int
    fields: frozenset[str] = frozenset()  # the fields its condition reads


@dataclass(frozen=True)
class RuleOutcome:
    matched: tuple[str, ...]
    labels: tuple[LabelTag, ...]
    routes: tuple[str, ...]
    dropped_by: Rule | None

    def applied_to(self, article: Article) -> Article:
        tags = replace(
            article.tags, rules=self.matched, labels=(*article.tags.labels, *self.labels)
        )
        return replace(article, tags=tags)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    source: str

    @property
    def uses_cluster_size(self) -> bool:
        """Whether the story's cluster must be looked up (in Redis) before the rules run."""
        return any(CLUSTER_SIZE in rule.fields for rule in self.rules)

    def apply(self, article: Article, *, cluster_size: int = 1) -> RuleOutcome:
        fields = rule_fields(article, cluster_size=cluster_size)
        matched: list[str] = []
        labels: list[LabelTag] = []
        routes: list[str] = []
        dropped_by = None
        for rule in self.rules:
            if not rule.condition(fields):
                continue
            matched.append(rule.name)
            labels.extend(LabelTag(tag, f"rule:{rule.name}") for tag in rule.tags)
            if rule.route and rule.route not in routes:
                routes.append(rule.route)
            if rule.drop is not None and dropped_by is None:
                dropped_by = rule
        return RuleOutcome(tuple(matched), tuple(labels), tuple(routes), dropped_by)


def rule_fields(article: Article, *, cluster_size: int = 1) -> dict[str, Any]:
    """The article as rules see it: every field a condition may name."""
    tags = article.tags
    fields: dict[str, Any] = {
        "title": article.page.title or "",
        "text": article.page.text,
        "language": tags.language or "",
        "url": article.url,
        "feed": article.feed.id,
        "feed_url": article.feed.url,
        "feed_title": article.feed.title or "",
        "outlet": article.page.site_name or urlsplit(article.url).netloc,
        "agency": list(article.agency),
        "places": [place.code for place in tags.places],
        "people": [person.name for person in tags.people],
        "organisations": [organisation.name for organisation in tags.organisations],
        "topics": [topic.code for topic in tags.topics],
        "keywords": [keyword.text for keyword in tags.keywords],
        "categories": list(tags.categories),
        "feed_tags": list(tags.feed),
        "labels": [label.label for label in tags.labels],
        "word_count": article.word_count,
        CLUSTER_SIZE: cluster_size,
    }
    fields.update({f"place.{place.code}": place.count for place in tags.places})
    fields.update({f"topic.{topic.code}": topic.score for topic in tags.topics})
    return fields


def parse_rules(text: str, *, source: str) -> RuleSet:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"rules: {source}: {error}") from None
    lines = _rule_lines(text)
    unknown = sorted(set(document) - {"rule"})
    if unknown:
        raise ConfigError(
            f"rules: {source}: unknown table {unknown[0]!r} (rules are [[rule]] entries)"
        )
    entries = document.get("rule", [])
    if not isinstance(entries, list):
        raise ConfigError(f"rules: {source}: 'rule' must be an array of tables: [[rule]]")
    rules, names = [], set()
    for index, entry in enumerate(entries):
        line = lines[index] if index < len(lines) else 0
        try:
            rule = _rule(entry, line)
        except _Invalid as error:
            name = entry.get("name") if isinstance(entry, dict) else None
            which = f"rule {name!r}" if name else f"rule #{index + 1}"
            raise ConfigError(f"rules: {source}: line {line}: {which}: {error}") from None
        if rule.name in names:
            raise ConfigError(f"rules: {source}: line {line}: rule name {rule.name!r} repeated")
        names.add(rule.name)
        rules.append(rule)
    return RuleSet(tuple(rules), source)


class _Invalid(Exception):
    pass


def _rule_lines(text: str) -> list[int]:
    """The line of each ``[[rule]]`` header, in order."""
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip().replace(" ", "").startswith("[[rule]]")
    ]


def _rule(entry: Any, line: int) -> Rule:
    if not isinstance(entry, dict):
        raise _Invalid("must be a table")
    unknown = sorted(set(entry) - {"name", "match", *ACTIONS})
    if unknown:
        raise _Invalid(f"unknown key {unknown[0]!r} (expected name, match, tag, route, drop)")
    name = entry.get("name")
    if not isinstance(name, str) or not _ROUTE_NAME.match(name):
        raise _Invalid("needs a name of letters, digits, '.', '_' or '-' (at most 64)")
    if "match" not in entry:
        raise _Invalid("needs a match condition")
    if not any(action in entry for action in ACTIONS):
        raise _Invalid("needs an action: tag, route or drop")
    tags = entry.get("tag", ())
    tags = (tags,) if isinstance(tags, str) else tags
    if not isinstance(tags, list | tuple) or not all(isinstance(t, str) and t for t in tags):
        raise _Invalid("tag must be a string or a list of strings")
    route = entry.get("route")
    if route is not None and (not isinstance(route, str) or not _ROUTE_NAME.match(route)):
        raise _Invalid(f"route {route!r} must be letters, digits, '.', '_' or '-' (at most 64)")
    drop = entry.get("drop")
    if drop is not None and not (isinstance(drop, str) and drop):
        raise _Invalid("drop must be the reason, a non-empty string")
    condition = _condition(entry["match"])
    return Rule(name, condition, tuple(tags), route, drop, line, _fields_named(entry["match"]))


def _fields_named(spec: Any) -> frozenset[str]:
    """The fields a (valid) condition reads."""
    if "field" in spec:
        return frozenset((spec["field"],))
    parts = spec.get("all") or spec.get("any") or [spec["not"]]
    return frozenset().union(*(_fields_named(part) for part in parts))


def _condition(spec: Any) -> Condition:
    if not isinstance(spec, dict):
        raise _Invalid(f"a condition must be a table, not {spec!r}")
    if "all" in spec or "any" in spec:
        key = "all" if "all" in spec else "any"
        parts = spec[key]
        if len(spec) != 1 or not isinstance(parts, list) or not parts:
            raise _Invalid(f"{key!r} takes a non-empty list of conditions and nothing beside")
        children = [_condition(part) for part in parts]
        if key == "all":
            return lambda fields: all(child(fields) for child in children)
        return lambda fields: any(child(fields) for child in children)
    if "not" in spec:
        if len(spec) != 1:
            raise _Invalid("'not' takes one condition and nothing beside")
        inner = _condition(spec["not"])
        return lambda fields: not inner(fields)
    field = spec.get("field")
    if not isinstance(field, str):
        raise _Invalid(f"a condition needs field, or all, any or not (got {spec!r})")
    _check_field(field)
    operators = [key for key in spec if key != "field"]
    if len(operators) != 1 or operators[0] not in OPERATORS:
        raise _Invalid(
            f"field {field!r} needs exactly one operator of {', '.join(OPERATORS)}"
            f" (got {', '.join(operators) or 'none'})"
        )
    return _test(field, operators[0], spec[operators[0]])


def _check_field(field: str) -> None:
    known = (*TEXT_FIELDS, *LIST_FIELDS, *NUMBER_FIELDS)
    if field in known or (field.startswith(NUMBER_PREFIXES) and field.count(".") == 1):
        return
    raise _Invalid(
        f"unknown field {field!r} (expected one of {', '.join(known)}, place.<code>, topic.<code>)"
    )


def _test(field: str, operator: str, expected: Any) -> Condition:
    numeric = field in NUMBER_FIELDS or field.startswith(NUMBER_PREFIXES)
    if operator in _COMPARISONS:
        if isinstance(expected, bool) or not isinstance(expected, int | float):
            raise _Invalid(f"{operator} on {field!r} needs a number (got {expected!r})")
        if not numeric:
            raise _Invalid(f"{operator} compares numbers: {field!r} is not a number field")
        compare, limit = _COMPARISONS[operator], float(expected)
        return lambda fields: compare(float(fields.get(field, 0)), limit)
    if numeric:
        raise _Invalid(f"{field!r} is a number: use gte, gt, lte or lt")
    if operator == "regex":
        if not isinstance(expected, str):
            raise _Invalid(f"regex needs a string (got {expected!r})")
        try:
            pattern = re.compile(expected)
        except re.error as error:
            raise _Invalid(f"regex {expected!r}: {error}") from None
        return lambda fields: any(pattern.search(value) for value in _values(fields, field))
    if operator == "in":
        if not isinstance(expected, list) or not all(isinstance(v, str) for v in expected):
            raise _Invalid(f"in needs a list of strings (got {expected!r})")
        wanted = {value.casefold() for value in expected}
        return lambda fields: any(v.casefold() in wanted for v in _values(fields, field))
    if not isinstance(expected, str):
        raise _Invalid(f"{operator} needs a string (got {expected!r})")
    folded = expected.casefold()
    if operator == "equals":
        return lambda fields: any(v.casefold() == folded for v in _values(fields, field))
    if field in LIST_FIELDS:  # contains: one of the values is it
        return lambda fields: any(v.casefold() == folded for v in _values(fields, field))
    return lambda fields: any(folded in v.casefold() for v in _values(fields, field))


def _values(fields: Mapping[str, Any], field: str) -> list[str]:
    value = fields.get(field)
    if isinstance(value, list):
        return [str(item) for item in value]
    return [] if value is None else [str(value)]
