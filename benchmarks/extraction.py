"""Extraction quality and speed: ours beside trafilatura's, measured in the same run.

Body: the dev split of the article-extraction benchmark (``extraction-benchmark/`` in the
corpus), scored with its README's metric (shingles of 4 ``\\w+`` tokens; P and R are page
means, F1 their harmonic mean), with per-page median and p95 milliseconds for ``extract_page``,
``trafilatura.extract`` and ``trafilatura.extract(fast=True)``, each given the same bytes.
The three run page by page in turn, so a busy machine slows them alike.

Metadata: ``corpus/articles/postlight`` and ``corpus/articles/fundus`` expected values, ours
beside trafilatura's ``bare_extraction``: the title after white-space normalisation, the
author set (names split on commas, semicolons, "and" and "&", compared case- and
punctuation-blind; no expected author means none should be found), and the publication day
in UTC (pages without an expected date are left out). Authors are scored twice: as labelled,
and as people (the issue's metric: agencies and the site's own names among the expected
authors left out). Readability's and newspaper4k's pages follow as check sets, not targets.

    .venv/bin/python benchmarks/extraction.py [--corpus DIR] [--repeat N] [--misses]
        [--only body|metadata]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import trafilatura
from trafilatura.settings import Document

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worker.errors import PermanentError
from worker.stages.agency import is_agency
from worker.stages.extract import extract_page, warm_up

TOKEN = re.compile(r"\w+")
NAME_SEPARATOR = re.compile(r"\s*(?:[,;&]|\band\b|\bund\b|\bet\b|\by\b)\s*", re.I)
NOW = datetime.now(UTC)
ADDRESS = re.compile(r"\S+@\S+\.\w+|(?:https?://|www\.)\S+", re.I)
BYLINE_PREFIX = re.compile(r"^\s*by\s+", re.I)
# Readability's test harness serves every page from this address.
READABILITY_URL = "http://fakehost/test/page.html"


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = TOKEN.findall(text)
    if 0 < len(tokens) < 4:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3))


@dataclass
class BodyScore:
    precisions: list[float] = field(default_factory=list)
    recalls: list[float] = field(default_factory=list)
    millis: list[float] = field(default_factory=list)
    pages: dict[str, float] = field(default_factory=dict)

    def add(self, page_id: str, predicted: str, gold: str, millis: float) -> None:
        ours, theirs = shingles(predicted), shingles(gold)
        shared = sum((ours & theirs).values())
        if ours:
            self.precisions.append(shared / sum(ours.values()))
        recall = shared / sum(theirs.values()) if theirs else 0.0
        self.recalls.append(recall)
        self.millis.append(millis)
        precision = shared / sum(ours.values()) if ours else 0.0
        self.pages[page_id] = 2 * precision * recall / (precision + recall) if shared else 0.0

    def row(self, name: str) -> str:
        p = statistics.fmean(self.precisions)
        r = statistics.fmean(self.recalls)
        f1 = 2 * p * r / (p + r)
        ms = sorted(self.millis)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        return f"{name:<22} {p:6.3f} {r:6.3f} {f1:6.3f}   {statistics.median(ms):8.1f} {p95:8.1f}"


def timed(function: Callable[[], str]) -> tuple[str, float]:
    started = time.perf_counter()
    text = function()
    return text, (time.perf_counter() - started) * 1000


def ours_text(body: bytes, url: str) -> str:
    try:
        return extract_page(body, url=url, content_type="text/html", now=NOW).text
    except PermanentError:
        return ""


def run_body(corpus: Path, repeat: int, misses: bool) -> None:
    bench = corpus / "extraction-benchmark"
    truth = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    extractors: dict[str, Callable[[bytes, str], str]] = {
        "wirestream": ours_text,
        "trafilatura": lambda body, url: trafilatura.extract(body, url=url) or "",
        "trafilatura fast=True": lambda body, url: (
            trafilatura.extract(body, url=url, fast=True) or ""
        ),
    }
    scores = {name: BodyScore() for name in extractors}
    for page_id, gold in sorted(truth.items()):
        body = gzip.decompress((bench / "html" / f"{page_id}.html.gz").read_bytes())
        url = gold["url"]
        for name, extractor in extractors.items():
            runs = [timed(partial(extractor, body, url)) for _ in range(repeat)]
            text = runs[0][0]
            scores[name].add(page_id, text, gold["articleBody"], min(ms for _, ms in runs))
    print(f"Body: {len(truth)} dev pages of the extraction benchmark")
    print(f"{'extractor':<22} {'P':>6} {'R':>6} {'F1':>6}   {'median ms':>8} {'p95 ms':>8}")
    for name, score in scores.items():
        print(score.row(name))
    base = statistics.median(scores["trafilatura"].millis)
    print(
        f"median time ours / trafilatura default: "
        f"{statistics.median(scores['wirestream'].millis) / base:.2f}"
    )
    if misses:
        ours, theirs = scores["wirestream"].pages, scores["trafilatura"].pages
        worst = sorted(ours, key=lambda page: ours[page] - theirs[page])[:15]
        for page in worst:
            print(f"  {page[:16]} ours {ours[page]:.3f} trafilatura {theirs[page]:.3f}")


@dataclass(frozen=True)
class Expected:
    path: Path
    url: str
    title: str | None
    # As labelled, and the people among them: the metric, where agencies and the
    # site itself are not authors (fundus labels both).
    authors: frozenset[str]
    people: frozenset[str]
    day: date | None


def expected(
    path: Path, url: str, title: str | None, authors: Iterable[str | None], day: date | None
) -> Expected:
    names = [name for name in authors if name]
    not_people = site_keys(read_page(path), url)
    people = [
        part
        for name in names
        for part in NAME_SEPARATOR.split(name)
        if not is_agency(part) and name_key(part) not in not_people
    ]
    return Expected(path, url, title, author_set(names), author_set(people), day)


def read_page(path: Path) -> bytes:
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.suffix == ".gz" else raw


def site_keys(body: bytes, url: str) -> set[str]:
    """The site's own names: its host, the host's longer labels, its declared name."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    names = [host, *(label for label in host.split(".") if len(label) > 3)]
    tree = trafilatura.load_html(body)
    if tree is not None:
        names += tree.xpath("//meta[@property='og:site_name' or @name='application-name']/@content")
    return {key for name in names if (key := name_key(name))}


@dataclass(frozen=True)
class Found:
    title: str | None
    authors: frozenset[str]
    day: date | None


def normalised(text: str | None) -> str | None:
    return " ".join(text.split()) if text and text.split() else None


def name_key(name: str) -> str:
    return "".join(char for char in name.casefold() if char.isalnum())


def author_set(names: Iterable[str | None]) -> frozenset[str]:
    # An address is no part of a person's name: "Mike Cason mcason@al.com" is Mike Cason.
    return frozenset(
        key
        for name in names
        if name
        for part in NAME_SEPARATOR.split(ADDRESS.sub(" ", name))
        if (key := name_key(part))
    )


def utc_day(text: str | None) -> date | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC).date()


def postlight(corpus: Path) -> list[Expected]:
    root = corpus / "corpus"
    index = json.loads((root / "articles/postlight/expected.json").read_text(encoding="utf-8"))
    return [
        expected(
            root / item["local_path"],
            item.get("url") or f"https://{item['domain']}/",
            normalised(item.get("title")),
            [item.get("author")],
            utc_day(item.get("date_published")),
        )
        for item in index
    ]


def fundus(corpus: Path) -> list[Expected]:
    root = corpus / "corpus"
    index = json.loads((root / "articles/fundus/expected.json").read_text(encoding="utf-8"))
    return [
        expected(
            root / item["local_path"],
            item["url"],
            normalised(item.get("title")),
            item.get("authors") or (),
            utc_day(item.get("publishing_date")),
        )
        for item in index
    ]


def readability(corpus: Path) -> list[Expected]:
    """Readability's test pages: its byline is the visible text, so a leading "By" goes."""
    root = corpus / "corpus/articles/readability"
    pages = []
    for expected_file in sorted(root.glob("*/expected-metadata.json")):
        item = json.loads(expected_file.read_text(encoding="utf-8"))
        byline = BYLINE_PREFIX.sub("", item.get("byline") or "")
        pages.append(
            expected(
                expected_file.parent / "source.html",
                READABILITY_URL,
                normalised(item.get("title")),
                [byline],
                utc_day(item.get("publishedTime")),
            )
        )
    return pages


def newspaper4k(corpus: Path) -> list[Expected]:
    """newspaper4k's regression pages: its own output, flaws included (a check, not truth)."""
    root = corpus / "corpus/articles/newspaper4k"
    pages = []
    for expected_file in sorted((root / "metadata").glob("*.json")):
        page = root / "html" / f"{expected_file.stem}.html"
        item = json.loads(expected_file.read_text(encoding="utf-8"))
        authors = item.get("authors") or []
        if not page.exists() or not isinstance(authors, list):
            continue
        pages.append(
            expected(
                page,
                item.get("url") or f"https://{expected_file.stem}.invalid/",
                normalised(item.get("title")),
                authors,
                utc_day(item.get("publish_date")),
            )
        )
    return pages


def ours_metadata(body: bytes, url: str) -> Found:
    try:
        page = extract_page(body, url=url, content_type="text/html", now=NOW)
    except PermanentError:
        return Found(None, frozenset(), None)
    day = page.published.value.astimezone(UTC).date() if page.published else None
    return Found(normalised(page.title), author_set(page.authors), day)


def trafilatura_metadata(body: bytes, url: str) -> Found:
    document = trafilatura.bare_extraction(body, url=url, with_metadata=True)
    if not isinstance(document, Document):
        return Found(None, frozenset(), None)
    day = date.fromisoformat(document.date) if document.date else None
    return Found(normalised(document.title), author_set((document.author or "").split(";")), day)


def run_metadata(name: str, pages: list[Expected], misses: bool) -> None:
    extractors = {"wirestream": ours_metadata, "trafilatura": trafilatura_metadata}
    print(f"\nMetadata: {name}, {len(pages)} pages")
    print(f"{'extractor':<22} {'title':>7} {'people':>7} {'date':>7}   {'authors as labelled':>19}")
    wrong: list[str] = []
    for extractor_name, extractor in extractors.items():
        titles = people = labelled = days = dated = 0
        for page in pages:
            found = extractor(read_page(page.path), page.url)
            titles += found.title == page.title
            people += found.authors == page.people
            labelled += found.authors == page.authors
            if page.day is not None:
                dated += 1
                days += found.day == page.day
            if misses and extractor_name == "wirestream":
                for what, got, want in (
                    ("title", found.title, page.title),
                    ("people", sorted(found.authors), sorted(page.people)),
                    ("date", found.day, page.day if page.day else found.day),
                ):
                    if got != want:
                        label = f"{page.path.parent.name}/{page.path.name}"
                        wrong.append(f"  {label} {what}: {got!r} != {want!r}")
        print(
            f"{extractor_name:<22} {titles / len(pages):7.3f} {people / len(pages):7.3f} "
            f"{days / dated:7.3f}   {labelled / len(pages):19.3f}"
        )
    print("\n".join(wrong))


def add_corpus_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path(os.environ.get("WIRESTREAM_CORPUS", "../shared/data")),
        help="the shared data folder (default: $WIRESTREAM_CORPUS or ../shared/data)",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_corpus_option(parser)
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per page (fastest)")
    parser.add_argument("--misses", action="store_true", help="list where ours is wrong")
    parser.add_argument("--only", choices=("body", "metadata"), help="run one of the two parts")
    args = parser.parse_args()
    warm_up()
    trafilatura.extract("<html><body><p>warm-up</p></body></html>")
    if args.only != "metadata":
        run_body(args.corpus, args.repeat, args.misses)
    if args.only != "body":
        run_metadata("postlight", postlight(args.corpus), args.misses)
        run_metadata("fundus", fundus(args.corpus), args.misses)
        print("\nCheck sets, not targets (rules are not tuned on them):")
        run_metadata("readability", readability(args.corpus), args.misses)
        run_metadata("newspaper4k", newspaper4k(args.corpus), args.misses)


if __name__ == "__main__":
    main()
