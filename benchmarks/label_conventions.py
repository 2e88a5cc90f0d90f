"""How the metadata sets of the extraction benchmark label a title and a day.

The target sets were labelled by different tools: postlight's by its parser and the
per-site rules it ships, fundus's by its per-publisher parsers. Where their conventions part,
a rule that follows one loses on the other; this prints where, so that a figure that misses
its target can be read for what it says.

Titles: for each source a page declares (JSON-LD ``headline``, ``og:title``,
``twitter:title``, its one ``<h1>``, ``<title>``), the share of pages whose label it is (a
site name before or after a separator allowed), and the share where any of them is: no rule
that chooses among them can score higher. Then, where a page's ``<h1>`` and ``og:title``
differ, which of the two the label is; and how each order of preference scores.

Days: the pages whose date ``extract_page`` reads as a day without a time (at midnight UTC,
from the page or a guess), and how the set's label states that day: at midnight UTC (the
day as written), at midnight at a whole-hour offset (the day as a local one: for a zone east
of UTC, the UTC day before; a real time on the hour counts here too), or at another time.

    .venv/bin/python benchmarks/label_conventions.py [--corpus DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from trafilatura import load_html

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extraction import Expected, add_corpus_option, fundus, normalised, postlight, read_page

from worker.errors import PermanentError
from worker.stages.charset import decode_document
from worker.stages.extract import extract_page

SOURCES = ("headline", "og:title", "twitter:title", "h1", "title")
ORDERS = {
    "declared first (ours)": ("headline", "og:title", "h1", "twitter:title", "title"),
    "og:title first": ("og:title", "headline", "h1", "twitter:title", "title"),
    "visible h1 first": ("h1", "headline", "og:title", "twitter:title", "title"),
    "title first": ("title", "headline", "og:title", "h1", "twitter:title"),
}
SEPARATOR = r"(?:\s+(?:--|[-|/\u2013\u2014\u00b7\u2022\u00bb])\s+|:\s+|\s*[:_\uff1a\uff5c]\s*)"
SUFFIX = re.compile(SEPARATOR + ".+")
PREFIX = re.compile(".+" + SEPARATOR)
NOW = datetime.now(UTC)


def title_sources(body: bytes) -> dict[str, str]:
    tree = load_html(decode_document(body, "text/html").text)
    if tree is None:
        return {}
    found: dict[str, str] = {}
    headlines = [node.get("headline") for node in json_ld_nodes(tree)]
    if headline := next((text for text in headlines if isinstance(text, str)), None):
        found["headline"] = headline
    for key in ("og:title", "twitter:title"):
        # postlight's pages were saved with the attribute renamed to "value".
        values = tree.xpath(
            f"//meta[@property='{key}' or @name='{key}']/@*[name()='content' or name()='value']"
        )
        if values:
            found[key] = values[0]
    headings = [h1.text_content() for h1 in tree.iter("h1") if h1.text_content().strip()]
    if len(headings) == 1:
        found["h1"] = headings[0]
    if (title := tree.find(".//title")) is not None and title.text_content().strip():
        found["title"] = title.text_content()
    return {source: clean for source, text in found.items() if (clean := normalised(text))}


def json_ld_nodes(tree: Any) -> Iterator[dict[str, Any]]:
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(node)
            elif isinstance(node, dict):
                yield node
                stack.extend(value for value in node.values() if isinstance(value, list | dict))


def is_label(candidate: str, label: str) -> bool:
    """The label, or the label with a text (a site's name, a kicker) before or after a
    separator: generous, so that the shares above are upper bounds."""
    if candidate == label:
        return True
    before, found, after = candidate.partition(label)
    return bool(found) and (
        (not before and SUFFIX.fullmatch(after) is not None)
        or (not after and PREFIX.fullmatch(before) is not None)
    )


def titles(name: str, pages: list[Expected]) -> None:
    labelled = [(page, title_sources(read_page(page.path))) for page in pages if page.title]
    total = len(labelled)
    print(f"\nTitles: {name}, {total} labelled pages")
    for source in SOURCES:
        hits = sum(
            is_label(found[source], page.title or "") for page, found in labelled if source in found
        )
        print(f"  {source:<24} is the label on {hits / total:6.3f}")
    anywhere = sum(
        any(is_label(text, page.title or "") for text in found.values()) for page, found in labelled
    )
    print(f"  {'any of them':<24} is the label on {anywhere / total:6.3f}")
    differing = [
        (is_label(found["h1"], page.title or ""), is_label(found["og:title"], page.title or ""))
        for page, found in labelled
        if {"h1", "og:title"} <= found.keys() and found["h1"] != found["og:title"]
    ]
    print(
        f"  where the h1 and og:title differ ({len(differing)} pages), the label is the h1 on "
        f"{sum(h1 and not og for h1, og in differing)}, the og:title on "
        f"{sum(og and not h1 for h1, og in differing)}"
    )
    for order_name, order in ORDERS.items():
        hits = sum(
            is_label(first, page.title or "")
            for page, found in labelled
            if (first := next((found[source] for source in order if source in found), None))
        )
        print(f"  order: {order_name:<22}       {hits / total:6.3f}")


def days(name: str, pages: list[Expected], labels: dict[Path, str]) -> None:
    kinds: Counter[str] = Counter()
    for page in pages:
        if page.path not in labels:
            continue
        try:
            ours = extract_page(read_page(page.path), url=page.url, now=NOW).published
        except PermanentError:
            continue
        if ours is None or ours.value.time() != time():
            continue
        label = datetime.fromisoformat(labels[page.path].replace("Z", "+00:00"))
        label = label.replace(tzinfo=label.tzinfo or UTC).astimezone(UTC)
        offset = ours.value - label
        if offset == timedelta(0):
            kinds["midnight UTC (the day as written)"] += 1
        elif offset % timedelta(hours=1) == timedelta(0) and abs(offset) <= timedelta(hours=14):
            kinds["midnight at an offset (the local day)"] += 1
        else:
            kinds["another time (one the page states elsewhere)"] += 1
    print(f"\nDays: {name}, {sum(kinds.values())} pages whose date is a day without a time")
    for kind, count in kinds.most_common():
        print(f"  labelled at {kind:<40} {count:4d}")


def raw_days(corpus: Path, name: str, key: str) -> dict[Path, str]:
    root = corpus / "corpus"
    index = json.loads((root / f"articles/{name}/expected.json").read_text(encoding="utf-8"))
    return {root / item["local_path"]: item[key] for item in index if item.get(key)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_corpus_option(parser)
    corpus = parser.parse_args().corpus
    sets = {
        "postlight": (postlight(corpus), raw_days(corpus, "postlight", "date_published")),
        "fundus": (fundus(corpus), raw_days(corpus, "fundus", "publishing_date")),
    }
    for name, (pages, _) in sets.items():
        titles(name, pages)
    for name, (pages, labels) in sets.items():
        days(name, pages, labels)


if __name__ == "__main__":
    main()
