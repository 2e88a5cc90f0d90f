"""Feeds without a declared charset: how many decode right, out of fold by site.

The corpus's legacy-encoded feeds (``corpus/feeds/chardet/<encoding>/``) each state their
``Source:`` URL and the ``Expect:``ed charset. Each is read with its XML declaration's
``encoding`` (and any ``<meta>`` charset) removed and no charset in the media type, by
:func:`worker.stages.charset.decode_document` and by the detectors alone; a feed is decoded
right when its text equals the stripped bytes decoded with the expected charset. Feeds are
split into folds by the host of their source, and each figure is the mean over held-out
folds with the worst fold (no decoder here learns from the feeds, so the folds only show how
much a figure depends on which sites it is measured on).

    .venv/bin/python benchmarks/charset.py [--corpus DIR] [--folds 5] [--misses]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import charset_normalizer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crossval import fold_of
from extraction import add_corpus_option

from worker.stages.charset import codec_for, decode_document

MEDIA_TYPE = "application/rss+xml"
_SOURCE = re.compile(rb"Source:\s*(\S+)")
_EXPECT = re.compile(rb"Expect:\s*(\S+)")
_DECLARED_ENCODING = re.compile(rb"(<\?xml[^>]*?)\s+encoding\s*=\s*[\"'][^\"']*[\"']")
_META_CHARSET = re.compile(rb"(<meta\b[^>]*?)\bcharset\s*=\s*[\"']?[A-Za-z0-9._:-]+[\"']?", re.I)


@dataclass(frozen=True)
class Feed:
    path: Path
    host: str
    expected: str  # Python codec
    body: bytes  # without its declaration


def feeds(corpus: Path) -> list[Feed]:
    found = []
    for path in sorted((corpus / "corpus/feeds/chardet").glob("*/*")):
        raw = path.read_bytes()
        source, expect = _SOURCE.search(raw), _EXPECT.search(raw)
        codec = codec_for(expect.group(1).decode()) if expect else None
        if source is None or codec is None:
            continue
        body = _META_CHARSET.sub(rb"\1", _DECLARED_ENCODING.sub(rb"\1", raw, count=1))
        host = (urlsplit(source.group(1).decode()).hostname or "").removeprefix("www.")
        found.append(Feed(path, host, codec, body))
    return found


def expected_text(feed: Feed) -> str:
    """The feed as its publisher's readers saw it: decoded with the expected charset, read
    as browsers read its label (Shift_JIS as windows-31j, EUC-KR as windows-949, ...)."""
    return decode_document(feed.body, f"{MEDIA_TYPE}; charset={feed.expected}").text


def ours(feed: Feed) -> str:
    return decode_document(feed.body, MEDIA_TYPE).text


def charset_normalizer_alone(feed: Feed) -> str:
    best = charset_normalizer.from_bytes(feed.body).best()
    return str(best) if best is not None else feed.body.decode("cp1252", errors="replace")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_corpus_option(parser)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--misses", action="store_true", help="list the feeds decoded wrong")
    args = parser.parse_args()
    decoders: dict[str, Callable[[Feed], str]] = {
        "wirestream decode_document": ours,
        "charset-normalizer alone": charset_normalizer_alone,
    }
    try:
        import chardet  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        pass
    else:
        decoders["chardet alone"] = lambda feed: feed.body.decode(
            codec_for(chardet.detect(feed.body)["encoding"]) or "cp1252", errors="replace"
        )
    corpus_feeds = feeds(args.corpus)
    truths = [expected_text(feed) for feed in corpus_feeds]
    print(
        f"{len(corpus_feeds)} legacy-encoded feeds from {len({f.host for f in corpus_feeds})} "
        f"sites, declaration removed; {args.folds} folds by site"
    )
    print(f"{'decoder':<28} {'right':>7} {'mean of folds':>14} {'worst fold':>11}")
    for name, decoder in decoders.items():
        right = [decoder(feed) == truth for feed, truth in zip(corpus_feeds, truths, strict=True)]
        folds = [
            statistics.fmean(hits)
            for fold in range(args.folds)
            if (
                hits := [
                    hit
                    for feed, hit in zip(corpus_feeds, right, strict=True)
                    if fold_of(feed.host, args.folds) == fold
                ]
            )
        ]
        print(
            f"{name:<28} {sum(right):>3}/{len(right):<3} {statistics.fmean(folds):>14.3f} "
            f"{min(folds):>11.3f}"
        )
        if args.misses:
            for feed, hit in zip(corpus_feeds, right, strict=True):
                if not hit:
                    guess = decode_document(feed.body, MEDIA_TYPE).encoding
                    print(f"    {feed.path.parent.name}/{feed.path.name}: {feed.expected}, {guess}")


if __name__ == "__main__":
    main()
