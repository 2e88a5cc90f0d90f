"""Extraction out of sample: every labelled set split into folds by site, never by page.

Sets: the extraction benchmark's dev pages (body), the corpus's fundus pages (body, title,
authors, day) and postlight pages (title, authors, day). Each page's host decides its fold
(a digest of the host, so a site never has pages on both sides); every figure is computed
per held-out fold and reported as the mean over folds and the worst fold, for wirestream
beside trafilatura default and ``favor_precision`` run on the same bytes in the same run.
Scores are those of ``benchmarks/extraction.py``: body F1 over 4-word shingles (P and R as
page means, F1 their harmonic mean), the title exact after white-space normalisation, the
author set as people (agencies and the site's own names left out), the UTC day.

``--ablation`` runs wirestream again with each rule of :data:`worker.stages.extract.RULES`
switched off, one at a time, and prints what the rule gives on each set (figure with it
minus figure without it: mean over folds, worst fold). A rule pays when it helps out of
fold on sets it was not written for and costs nothing on the others.

``--wrong-story`` lists, per set, the pages whose body shares less than half its words
with trafilatura default's, with the reason, and counts the wrong stories among them (a
body that shares less than a fifth of its words with the page's labelled body).

    .venv/bin/python benchmarks/crossval.py [--corpus DIR] [--folds 5] [--ablation]
        [--only RULE,...] [--jobs N] [--wrong-story]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from trafilatura.settings import Document

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extraction import (
    NOW,
    TOKEN,
    Expected,
    add_corpus_option,
    author_set,
    fundus,
    normalised,
    postlight,
    read_page,
    shingles,
)

from worker.errors import PermanentError
from worker.stages import extract
from worker.stages.extract import BODY_RULES, METADATA_RULES, RULES, extract_page, warm_up

FIGURES = ("body F1", "title", "authors", "date")
OURS = "wirestream"
BASELINES = ("trafilatura default", "favor_precision")
# Below this share of its words found in the baseline's body, a body is looked at.
DIVERGENT_SHARE = 0.5
# Below this share of its shingles in the labelled body, a body is another story.
WRONG_STORY_PRECISION = 0.2


@dataclass(frozen=True)
class Page:
    set_name: str
    key: str
    path: Path
    url: str
    body: str | None  # the labelled body, where the set has one
    label: Expected | None  # the labelled metadata, where the set has it

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").removeprefix("www.")


@dataclass(frozen=True)
class Result:
    text: str
    title: str | None
    authors: frozenset[str]
    day: date | None
    millis: float


def benchmark_pages(corpus: Path) -> list[Page]:
    bench = corpus / "extraction-benchmark"
    truth = json.loads((bench / "ground-truth.json").read_text(encoding="utf-8"))
    html = bench / "html"
    return [
        Page("benchmark", key, html / f"{key}.html.gz", gold["url"], gold["articleBody"], None)
        for key, gold in sorted(truth.items())
    ]


def fundus_pages(corpus: Path) -> list[Page]:
    root = corpus / "corpus"
    index = json.loads((root / "articles/fundus/expected.json").read_text(encoding="utf-8"))
    labels = {label.path: label for label in fundus(corpus)}
    return [
        Page("fundus", item["local_path"], root / item["local_path"], item["url"],
             "\n\n".join(item.get("paragraphs") or []) or None, labels[root / item["local_path"]])
        for item in index
    ]  # fmt: skip


def postlight_pages(corpus: Path) -> list[Page]:
    return [
        Page("postlight", str(label.path), label.path, label.url, None, label)
        for label in postlight(corpus)
    ]


def ours(page: Page, data: bytes, disabled: frozenset[str]) -> Result:
    started = time.perf_counter()
    try:
        found = extract_page(
            data, url=page.url, content_type="text/html", now=NOW, disabled=disabled
        )
    except PermanentError:
        return Result("", None, frozenset(), None, (time.perf_counter() - started) * 1000)
    millis = (time.perf_counter() - started) * 1000
    day = found.published.value.astimezone(UTC).date() if found.published else None
    return Result(found.text, normalised(found.title), author_set(found.authors), day, millis)


def library(page: Page, data: bytes, **options: bool) -> Result:
    started = time.perf_counter()
    document = trafilatura.bare_extraction(data, url=page.url, with_metadata=True, **options)
    millis = (time.perf_counter() - started) * 1000
    if not isinstance(document, Document):
        return Result("", None, frozenset(), None, millis)
    day = date.fromisoformat(document.date) if document.date else None
    authors = author_set((document.author or "").split(";"))
    return Result(document.text or "", normalised(document.title), authors, day, millis)


_page_key = ""
_story_bodies: dict[tuple[str, str], Any] = {}
_bare_extraction = extract.bare_extraction


def _remembered_bare_extraction(tree: Any, **options: Any) -> Any:
    """trafilatura's result on the page being ablated, made once per page and options: the
    rules switched off after it do not change it (the copy is theirs to change)."""
    key = (_page_key, repr(sorted(options.items())))
    if key not in _story_bodies:
        _story_bodies[key] = _bare_extraction(tree, **options)
    return copy.deepcopy(_story_bodies[key])


def run_page(
    page: Page, disabled_sets: Sequence[frozenset[str]], baselines: bool
) -> dict[str, Result]:
    """Every extractor on one page, in turn, so that a busy machine slows them alike."""
    global _page_key
    data = read_page(page.path)
    results = {}
    # The ablation's runs share trafilatura's results on the page; the first run makes them.
    # Set on every page: in one process (--jobs 1) the sets after an ablation would otherwise
    # be extracted from the last ablated page's results.
    extract.bare_extraction = _bare_extraction if baselines else _remembered_bare_extraction
    if not baselines:
        _page_key = page.key
        _story_bodies.clear()
    if baselines:
        results[BASELINES[0]] = library(page, data)
        results[BASELINES[1]] = library(page, data, favor_precision=True)
    for disabled in disabled_sets:
        results[",".join(sorted(disabled)) or OURS] = ours(page, data, disabled)
    return results


def _worker_init() -> None:
    warm_up()


def run_all(
    pages: list[Page], disabled_sets: Sequence[frozenset[str]], baselines: bool, jobs: int
) -> list[dict[str, Result]]:
    if jobs <= 1:
        _worker_init()
        return [run_page(page, disabled_sets, baselines) for page in pages]
    with ProcessPoolExecutor(jobs, initializer=_worker_init) as pool:
        return list(
            pool.map(
                run_page, pages, [disabled_sets] * len(pages), [baselines] * len(pages), chunksize=4
            )
        )


def fold_of(host: str, folds: int) -> int:
    return int(hashlib.sha1(host.encode()).hexdigest(), 16) % folds


def figure(name: str, pages: Iterable[Page], results: Iterable[Result]) -> float | None:
    """One figure over a group of pages (None where the group labels none)."""
    pairs = list(zip(pages, results, strict=True))
    if name == "body F1":
        precisions, recalls = [], []
        for page, result in pairs:
            if page.body is None:
                continue
            ours_, gold = shingles(result.text), shingles(page.body)
            shared = sum((ours_ & gold).values())
            if ours_:
                precisions.append(shared / sum(ours_.values()))
            recalls.append(shared / sum(gold.values()) if gold else 0.0)
        if not recalls:
            return None
        p, r = statistics.fmean(precisions or [0.0]), statistics.fmean(recalls)
        return 2 * p * r / (p + r) if p + r else 0.0
    hits = []
    for page, result in pairs:
        label = page.label
        if label is None:
            continue
        if name == "title":
            hits.append(result.title == label.title)
        elif name == "authors":
            hits.append(result.authors == label.people)
        elif label.day is not None:
            hits.append(result.day == label.day)
    return statistics.fmean(hits) if hits else None


def by_fold(name: str, pages: list[Page], results: list[Result], folds: int) -> list[float]:
    values = []
    for fold in range(folds):
        held_out = [i for i, page in enumerate(pages) if fold_of(page.host, folds) == fold]
        value = figure(name, [pages[i] for i in held_out], [results[i] for i in held_out])
        if value is not None:
            values.append(value)
    return values


def print_table(
    sets: dict[str, list[Page]], runs: dict[str, list[dict[str, Result]]], folds: int
) -> None:
    print(f"\nOut of fold ({folds} folds by host): mean over held-out folds / worst fold")
    print(f"{'set':<11} {'figure':<8} " + " ".join(f"{name:>21}" for name in (OURS, *BASELINES)))
    for set_name, pages in sets.items():
        for name in FIGURES:
            cells = []
            for extractor in (OURS, *BASELINES):
                values = by_fold(name, pages, [r[extractor] for r in runs[set_name]], folds)
                if not values:
                    break
                cells.append(f"{statistics.fmean(values):.3f} / {min(values):.3f}")
            if cells:
                print(f"{set_name:<11} {name:<8} " + " ".join(f"{cell:>21}" for cell in cells))
    every = [r for results in runs.values() for r in results]
    medians = {
        name: statistics.median(r[name].millis for r in every) for name in (OURS, *BASELINES)
    }
    print("median ms per page: " + ", ".join(f"{name} {ms:.1f}" for name, ms in medians.items()))
    print(
        f"median time wirestream / trafilatura default: {medians[OURS] / medians[BASELINES[0]]:.2f}"
    )


def print_ablation(
    sets: dict[str, list[Page]],
    runs: dict[str, list[dict[str, Result]]],
    rules: Sequence[str],
    folds: int,
) -> None:
    print(
        "\nAblation: figure with the rule minus without it, in thousandths (mean over held-out"
        " folds / worst fold), and the pages it makes better and worse; blank: not measured"
        " there, 0: no page changes"
    )
    columns = [
        (s, f)
        for s in sets
        for f in FIGURES
        if figure(f, sets[s], [r[OURS] for r in runs[s]]) is not None
    ]
    print(f"{'rule':<24} " + " ".join(f"{s[:9] + ' ' + f[:5]:>20}" for s, f in columns))
    for rule in rules:
        cells = []
        for set_name, name in columns:
            pages, results = sets[set_name], runs[set_name]
            if rule not in results[0]:
                cells.append("")
                continue
            on = by_fold(name, pages, [r[OURS] for r in results], folds)
            off = by_fold(name, pages, [r[rule] for r in results], folds)
            gains = [1000 * (a - b) for a, b in zip(on, off, strict=True)]
            changes = [
                (figure(name, [page], [r[OURS]]) or 0.0) - (figure(name, [page], [r[rule]]) or 0.0)
                for page, r in zip(pages, results, strict=True)
            ]
            better, worse = sum(c > 0 for c in changes), sum(c < 0 for c in changes)
            cells.append(
                f"{statistics.fmean(gains):+.1f}/{min(gains):+.1f} +{better}-{worse}"
                if better or worse
                else "0"
            )
        print(f"{rule:<24} " + " ".join(f"{cell:>20}" for cell in cells))


def word_share(text: str, other: str) -> float:
    """The share of ``text``'s words that ``other`` has too (each counted up to its count)."""
    mine, theirs = Counter(TOKEN.findall(text.lower())), Counter(TOKEN.findall(other.lower()))
    total = sum(mine.values())
    return sum((mine & theirs).values()) / total if total else 0.0


def precision(text: str, gold: str) -> float:
    mine, theirs = shingles(text), shingles(gold)
    return sum((mine & theirs).values()) / sum(mine.values()) if mine else 0.0


def print_wrong_stories(
    sets: dict[str, list[Page]], runs: dict[str, list[dict[str, Result]]]
) -> None:
    print("\nBodies sharing less than half their words with trafilatura default's, and why")
    for set_name, pages in sets.items():
        reasons: Counter[str] = Counter()
        wrong = 0
        for page, results in zip(pages, runs[set_name], strict=True):
            text, base = results[OURS].text, results[BASELINES[0]].text
            if word_share(text, base) >= DIVERGENT_SHARE:
                continue
            if not text and not base:
                reason = "both empty"
            elif not text:
                reason = "ours empty"
            elif not base:
                reason = "baseline empty"
            elif word_share(base, text) >= DIVERGENT_SHARE:
                reason = "ours longer (the baseline's text inside it)"
            else:
                reason = "disjoint"
            if (
                page.body is not None
                and text
                and precision(text, page.body) < WRONG_STORY_PRECISION
            ):
                wrong += 1
                reason += ", wrong story"
            reasons[reason] += 1
            print(f"  {set_name} {page.key[:40]}: {reason}")
        summary = (
            ", ".join(f"{count} {reason}" for reason, count in reasons.most_common()) or "none"
        )
        print(
            f"{set_name:<11} {sum(reasons.values())} divergent ({summary}); wrong stories: {wrong}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_corpus_option(parser)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--ablation", action="store_true", help="switch each rule off in turn")
    parser.add_argument("--only", help="comma-separated rules to ablate (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="processes (timings: use 1)")
    parser.add_argument("--wrong-story", action="store_true", help="list divergent bodies")
    args = parser.parse_args()
    sets = {
        "benchmark": benchmark_pages(args.corpus),
        "fundus": fundus_pages(args.corpus),
        "postlight": postlight_pages(args.corpus),
    }
    rules = [rule for rule in (args.only.split(",") if args.only else RULES) if rule]
    unknown = set(rules) - set(RULES)
    if unknown:
        parser.error(f"--only: unknown rules {sorted(unknown)}; known: {', '.join(RULES)}")
    runs = {}
    for set_name, pages in sets.items():
        results = run_all(pages, [frozenset()], True, args.jobs)
        # A body rule is measured on the sets that label bodies, a metadata rule on the others.
        kinds = BODY_RULES if any(page.body is not None for page in pages) else ()
        kinds += METADATA_RULES if any(page.label is not None for page in pages) else ()
        ablated_sets = [frozenset({rule}) for rule in rules if args.ablation and rule in kinds]
        if ablated_sets:
            ablated = run_all(pages, ablated_sets, False, args.jobs)
            results = [{**a, **b} for a, b in zip(results, ablated, strict=True)]
        runs[set_name] = results
    print(
        "pages: "
        + ", ".join(
            f"{name} {len(pages)} ({len({p.host for p in pages})} hosts)"
            for name, pages in sets.items()
        )
    )
    print_table(sets, runs, args.folds)
    if args.ablation:
        print_ablation(sets, runs, [rule for rule in rules], args.folds)
    if args.wrong_story:
        print_wrong_stories(sets, runs)


if __name__ == "__main__":
    main()
