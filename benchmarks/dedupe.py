"""How well, how fast and how small story clustering is, on the evaluation set we own.

Every article of ``worker.simweb.evalset`` (the demo's stories republished with recorded
edits, exact copies, hard negatives) is rendered by the simulated web, extracted as the
pipeline extracts it, and published oldest first through the real atomic publish script on
a real Redis, twice, in the same run:

- **baseline**: the exact-hash path alone (the body hash; no signature, no index);
- **clustering**: the MinHash fingerprint, then the publish with the near-duplicate index.

Reported: pairwise precision, recall and F1 of the clusters against the stories, recall by
edit kind, false merges among the hard negatives by kind, cost per article of both paths
(median and mean milliseconds, and the ratio), the fingerprint alone against datasketch's
MinHash of the same shingles, and Redis memory per indexed article (``MEMORY USAGE`` of the
index buckets and of the cluster lists). Then the same clustering at other thresholds.

    .venv/bin/python benchmarks/dedupe.py [--redis-url URL] [--threshold 0.75]

Everything it writes lives under ``bench-dedupe-<random>-*`` and is deleted at the end.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import combinations

import redis

from worker.adapters.redis_client import connect
from worker.adapters.stream import ArticleStream, DedupeSettings
from worker.keys import Keys
from worker.models import FeedEntry, FeedRef, PublishResult, Response, Tags
from worker.simweb import catalog, evalset
from worker.simweb.model import Article
from worker.simweb.site import Site
from worker.stages.dedupe import Fingerprint, fingerprint, words
from worker.stages.extract import extract_page
from worker.stages.publish import OutgoingMessage, build_article, build_message
from worker.stages.urls import canonical_url

BASE_URL = "http://127.0.0.1:8765"
UNINDEXED = Fingerprint(b"", 0)
WINDOW = 7 * 86_400


@dataclass(frozen=True)
class Prepared:
    article: Article
    message: OutgoingMessage
    text: str
    at: datetime


def prepare() -> list[Prepared]:
    """Each evaluation article as the pipeline would publish it: rendered, extracted, built."""
    site = Site(BASE_URL, scheduled=False)
    feed = FeedRef(id="evalset", url=f"{BASE_URL}/opml-evalset.xml", title="evaluation set")
    prepared = []
    start = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    for number, article in enumerate(evalset.ARTICLES):
        reply = site.reply(article.outlet, article.path)
        assert reply is not None, article.key
        url = site.url_for(article)
        query = evalset.LINK_QUERIES.get(article.key)
        link = f"{url}?{query}" if query else url
        at = start + timedelta(seconds=20 * number)
        response = Response(
            requested_url=link,
            final_url=link,
            status=200,
            headers={"content-type": "text/html; charset=utf-8"},
            body=reply.body,
            fetched_at=at,
        )
        page = extract_page(reply.body, url=link, content_type=response.content_type, now=at)
        entry_for = _entry(feed, link, at)
        built = build_article(
            entry_for, response, page, Tags(language=page.language), processed_at=at
        )
        prepared.append(Prepared(article, build_message(built), page.text, at))
    return prepared


def _entry(feed: FeedRef, link: str, at: datetime) -> FeedEntry:
    return FeedEntry(
        feed=feed,
        url=canonical_url(link),
        source_url=link,
        guid=None,
        title=None,
        published=None,
        discovered_at=at,
    )


def publish_all(
    client: redis.Redis, keys: Keys, items: list[Prepared], *, threshold: float, indexed: bool
) -> tuple[list[PublishResult], list[float]]:
    stream = ArticleStream(
        client,
        keys,
        maxlen=100_000,
        ttl_seconds=WINDOW,
        dedupe=DedupeSettings(threshold=threshold, window_seconds=WINDOW, mode="emit"),
    )
    results, costs = [], []
    for item in items:
        started = time.perf_counter()
        body = fingerprint(item.text) if indexed else UNINDEXED
        results.append(stream.publish(item.message, body, at=item.at))
        costs.append((time.perf_counter() - started) * 1000)
    return results, costs


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int


def pairwise(items: list[Prepared], results: list[PublishResult]) -> Scores:
    truth = [item.article.story_id for item in items]
    predicted = [result.cluster_id for result in results]
    tp = fp = fn = 0
    for i, j in combinations(range(len(items)), 2):
        same_story, same_cluster = truth[i] == truth[j], predicted[i] == predicted[j]
        tp += same_story and same_cluster
        fp += same_cluster and not same_story
        fn += same_story and not same_cluster
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, tp + fn, tp + fp)


def by_edit_kind(items: list[Prepared], results: list[PublishResult]) -> Iterator[str]:
    """Per edit kind: how many copies carry it, and how many of them share their base's
    cluster (a copy carries several kinds when its recipe combines them)."""
    cluster_of = {
        item.article.key: result.cluster_id for item, result in zip(items, results, strict=True)
    }
    base_of = {item.article.story_id: item.article.key for item in items if not item.article.edits}
    copies: Counter[str] = Counter()
    joined: Counter[str] = Counter()
    for item in items:
        base = base_of.get(item.article.story_id)
        if not item.article.edits or base is None:
            continue
        for edit in item.article.edits:
            copies[edit] += 1
            joined[edit] += cluster_of[item.article.key] == cluster_of[base]
    for edit in sorted(copies):
        share = joined[edit] / copies[edit]
        yield f"  {edit:22s} {joined[edit]:4d} / {copies[edit]:<4d} {share:.3f}"


def hard_negative_merges(items: list[Prepared], results: list[PublishResult]) -> Iterator[str]:
    cluster_of = {
        item.article.key: result.cluster_id for item, result in zip(items, results, strict=True)
    }
    total: Counter[str] = Counter()
    merged: defaultdict[str, list[str]] = defaultdict(list)
    for negative in evalset.HARD_NEGATIVES:
        total[negative.kind] += 1
        if cluster_of[negative.first] == cluster_of[negative.second]:
            merged[negative.kind].append(f"{negative.first} ~ {negative.second}")
    for kind in sorted(total):
        yield f"  {kind:26s} {len(merged[kind]):3d} merged of {total[kind]} pairs"
        yield from (f"    {pair}" for pair in merged[kind])


def memory(client: redis.Redis, keys: Keys) -> tuple[int, int, int]:
    """Bytes of the index buckets and of the cluster lists, and the indexed article count."""
    index = clusters = indexed = 0
    # Band fields are binary: read the field names undecoded.
    raw = redis.Redis(
        connection_pool=redis.ConnectionPool(
            **{**client.connection_pool.connection_kwargs, "decode_responses": False}
        )
    )
    for key in client.scan_iter(match=f"{keys.namespace}:lsh:*", count=1000):
        index += int(client.memory_usage(key, samples=0) or 0)
        indexed += sum(1 for field in raw.hkeys(key) if field.startswith(b"s"))
    raw.close()
    for key in client.scan_iter(match=f"{keys.cluster_prefix}*", count=1000):
        clusters += int(client.memory_usage(key, samples=0) or 0)
    return index, clusters, indexed


def datasketch_ms(texts: list[str]) -> float | None:
    try:
        from datasketch import MinHash
    except ImportError:
        return None
    started = time.perf_counter()
    for text in texts:
        tokens = words(text)
        shingles = {" ".join(tokens[i : i + 3]).encode() for i in range(len(tokens) - 2)}
        minhash = MinHash(num_perm=128)
        minhash.update_batch(list(shingles))
    return (time.perf_counter() - started) * 1000 / len(texts)


def cleanup(client: redis.Redis, namespace: str) -> None:
    for key in client.scan_iter(match=f"{namespace}:*", count=1000):
        client.delete(key)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--threshold", type=float, default=0.75)
    options = parser.parse_args()
    client = connect(options.redis_url)
    run = f"bench-dedupe-{secrets.token_hex(4)}"
    items = prepare()
    stories = len({item.article.story_id for item in items})
    print(
        f"evaluation set: {len(items)} articles, {stories} stories, "
        f"{len(evalset.HARD_NEGATIVES)} hard-negative pairs; demo catalog {len(catalog.ARTICLES)}"
    )
    namespaces = []
    try:
        baseline_keys, clustering_keys = Keys(f"{run}-exact"), Keys(f"{run}-near")
        namespaces += [baseline_keys.namespace, clustering_keys.namespace]
        # Warm both paths (script load, first connection) outside the measurement.
        publish_all(client, Keys(f"{run}-warm"), items[:5], threshold=0.8, indexed=True)
        namespaces.append(f"{run}-warm")
        _, exact_costs = publish_all(client, baseline_keys, items, threshold=0.8, indexed=False)
        results, near_costs = publish_all(
            client, clustering_keys, items, threshold=options.threshold, indexed=True
        )
        scores = pairwise(items, results)
        print(f"\nclustering at threshold {options.threshold}")
        print(
            f"  pairwise precision {scores.precision:.4f}  recall {scores.recall:.4f}  "
            f"F1 {scores.f1:.4f}  ({scores.true_pairs} true pairs, "
            f"{scores.predicted_pairs} predicted)"
        )
        events = Counter(result.event for result in results)
        print(f"  events: {dict(events)}")
        print("\nrecall by edit kind (copies in their base's cluster)")
        for line in by_edit_kind(items, results):
            print(line)
        print("\nfalse merges among hard negatives")
        for line in hard_negative_merges(items, results):
            print(line)

        fingerprint_costs = []
        for item in items:
            started = time.perf_counter()
            fingerprint(item.text)
            fingerprint_costs.append((time.perf_counter() - started) * 1000)
        words_mean = statistics.mean(len(words(item.text)) for item in items)
        print(f"\ncost per article (ms; {words_mean:.0f} words on average)")
        for name, costs in (
            ("exact hash + publish (baseline)", exact_costs),
            ("fingerprint + index + publish", near_costs),
            ("fingerprint alone (ours)", fingerprint_costs),
        ):
            print(
                f"  {name:34s} median {statistics.median(costs):6.3f}  "
                f"mean {statistics.mean(costs):6.3f}  p95 "
                f"{statistics.quantiles(costs, n=20)[-1]:6.3f}"
            )
        ratio = statistics.median(near_costs) / statistics.median(exact_costs)
        added = statistics.median(near_costs) - statistics.median(exact_costs)
        print(f"  clustering vs baseline: x{ratio:.2f} (median), +{added:.3f} ms per article")
        other = datasketch_ms([item.text for item in items])
        if other is not None:
            ours = statistics.mean(fingerprint_costs)
            print(
                f"  datasketch MinHash(128) on the same shingles: mean {other:.3f} ms "
                f"(ours x{ours / other:.2f})"
            )

        index, clusters, indexed = memory(client, clustering_keys)
        print(
            f"\nRedis memory (MEMORY USAGE), {indexed} articles indexed "
            f"(exact copies are not indexed)"
        )
        print(f"  index buckets   {index:8d} B  {index / indexed:7.0f} B per indexed article")
        print(f"  cluster lists   {clusters:8d} B  {clusters / len(items):7.0f} B per article")
        print(f"  together        {(index + clusters) / indexed:7.0f} B per indexed article")

        print("\nthreshold sweep")
        for threshold in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
            keys = Keys(f"{run}-t{threshold}")
            namespaces.append(keys.namespace)
            swept, _ = publish_all(client, keys, items, threshold=threshold, indexed=True)
            s = pairwise(items, swept)
            merges = sum(
                1 for line in hard_negative_merges(items, swept) if line.startswith("    ")
            )
            print(
                f"  {threshold:4.2f}  P {s.precision:.4f}  R {s.recall:.4f}  "
                f"F1 {s.f1:.4f}  hard-negative merges {merges}"
            )
    finally:
        for namespace in namespaces:
            cleanup(client, namespace)
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
