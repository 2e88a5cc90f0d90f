"""``synthetic.example``: any number of small feeds that publish on a schedule, and the
scheduling-signal and validator matrix, cheap enough to serve 10,000 of them.

::

    /synthetic.example/feed/<n>.xml[?options]   RSS 2.0 feed number n
    /synthetic.example/site/<n>/                its home page, announcing the feed with
                                                <link rel="alternate">
    /synthetic.example/sitemap/<n>.xml          feed n's items as a Google News sitemap
    /synthetic.example/sitemap-index.xml?feeds=a,b   a sitemap index of those sitemaps

Feed n publishes item k at simulated time ``phase + k * period`` (epoch seconds; the phase
differs per feed, so feeds do not all publish on the hour), so at any moment it lists its ten
latest items and its bytes (and validators) change only when an item appears.
Simulated time is the real time plus an offset that ``advance`` moves forward.

Options (query parameters, combinable; each is one cell of the matrix):

    period=S            seconds between two items (default: 3600 + 600 * (n % 12))
    ttl=M               RSS <ttl> of M minutes
    sy=PERIOD:FREQ      sy:updatePeriod / sy:updateFrequency (e.g. hourly:2)
    max_age=S           Cache-Control: max-age=S
    expires=S           Expires: S seconds after the real time of the request
    retry_after=S       Retry-After: S on the 200
    validators=V        normal (ETag and Last-Modified), none, rotating (a new ETag on every
                        response for the same bytes), ignored (never answers 304)
    tracking=1          links carry utm_* parameters that change with every item
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs

from worker.simweb.replies import HTML, Reply, content, error, etag_of

HOST = "synthetic.example"
ITEMS_LISTED = 10
CONTENT_TYPE = "application/rss+xml; charset=utf-8"
_VALIDATORS = frozenset({"normal", "none", "rotating", "ignored"})


class Synthetic:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._offset = 0.0
        self._lock = threading.Lock()
        self._rotation = itertools.count()

    def now(self) -> float:
        """Simulated time, epoch seconds."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def feed_url(self, number: int, **options: object) -> str:
        query = "&".join(f"{name}={value}" for name, value in options.items())
        return f"{self.base_url}/{HOST}/feed/{number}.xml" + (f"?{query}" if query else "")

    def reply(self, path: str, query: str) -> Reply | None:
        """The feed or home page at ``path`` (after the host); None when there is none."""
        site = path.removeprefix("/site/").removesuffix("/")
        if path.startswith("/site/") and site.isdigit():
            return content(_home(int(site), self.feed_url(int(site))).encode(), HTML, None)
        try:
            options = {name: values[-1] for name, values in parse_qs(query).items()}
            if path == "/sitemap-index.xml":
                numbers = [int(number) for number in options.get("feeds", "").split(",")]
                return self._sitemap_index(numbers)
            kind, _, name = path[1:].partition("/")
            number = name.removesuffix(".xml")
            if kind not in ("feed", "sitemap") or not name.endswith(".xml") or not number.isdigit():
                return None
            if kind == "sitemap":
                return self._news_sitemap(int(number))
            return self._feed(int(number), options, query)
        except ValueError:
            return error(400)

    def _items(self, number: int, period: float) -> tuple[float, int]:
        """The feed's phase and the index of its latest item, now."""
        phase = (number * 7919) % period
        return phase, int((self.now() - phase) // period)

    def _news_sitemap(self, number: int) -> Reply:
        period = 3600 + 600 * (number % 12)
        phase, latest = self._items(number, period)
        urls = "".join(
            f"<url><loc>{self.base_url}/{HOST}/site/{number}/item/{k}</loc><news:news>"
            f"<news:publication><news:name>Synthetic {number}</news:name>"
            "<news:language>en</news:language></news:publication><news:publication_date>"
            f"{datetime.fromtimestamp(phase + k * period, UTC).isoformat()}"
            f"</news:publication_date><news:title>Feed {number} item {k}</news:title>"
            "</news:news></url>"
            for k in range(latest, max(latest - ITEMS_LISTED, -1), -1)
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<urlset'
            ' xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
            f' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>\n'
        ).encode()
        return content(body, "application/xml", None, compressible=False)

    def _sitemap_index(self, numbers: list[int]) -> Reply:
        sitemaps = "".join(
            f"<sitemap><loc>{self.base_url}/{HOST}/sitemap/{number}.xml</loc></sitemap>"
            for number in numbers
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex'
            f' xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{sitemaps}</sitemapindex>\n'
        ).encode()
        return content(body, "application/xml", None, compressible=False)

    def _feed(self, number: int, options: dict[str, str], query: str) -> Reply:
        period = float(options.get("period") or 3600 + 600 * (number % 12))
        validators = options.get("validators", "normal")
        if period <= 0 or validators not in _VALIDATORS:
            raise ValueError("bad option")
        phase, latest = self._items(number, period)
        url = self.feed_url(number) + (f"?{query}" if query else "")
        body = _render(number, url, self.base_url, latest, phase, period, options).encode()
        headers: list[tuple[str, str]] = []
        if "max_age" in options:
            headers.append(("Cache-Control", f"max-age={int(options['max_age'])}"))
        if "expires" in options:
            expires = datetime.now(UTC) + timedelta(seconds=float(options["expires"]))
            headers.append(("Expires", format_datetime(expires, usegmt=True)))
        if "retry_after" in options:
            headers.append(("Retry-After", str(int(options["retry_after"]))))
        etag: str | None = etag_of(body)
        modified: datetime | None = datetime.fromtimestamp(phase + latest * period, UTC)
        if validators == "none":
            etag = modified = None
        elif validators == "rotating":
            etag = f'"{next(self._rotation)}-{etag_of(body)[1:]}'
        elif validators == "ignored":
            # Validators sent, never honoured: the server layer sees no validator to match.
            headers.append(("ETag", etag_of(body)))
            etag = modified = None
        return Reply(
            status=200,
            body=body,
            content_type=CONTENT_TYPE,
            headers=tuple(headers),
            etag=etag,
            last_modified=modified,
            compressible=False,
        )


def _render(
    number: int,
    url: str,
    base: str,
    latest: int,
    phase: float,
    period: float,
    options: dict[str, str],
) -> str:
    home = f"{base}/{HOST}/site/{number}/"
    items = []
    for k in range(latest, max(latest - ITEMS_LISTED, -1), -1):
        link = f"{home}item/{k}"
        if options.get("tracking"):
            link += f"?utm_source=rss&utm_campaign={k}"
        published = datetime.fromtimestamp(phase + k * period, UTC)
        items.append(
            f"<item><title>Feed {number} item {k}</title><link>{link}</link>"
            f'<guid isPermaLink="false">synthetic-{number}-{k}</guid>'
            f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate></item>"
        )
    extra = ""
    if "ttl" in options:
        extra += f"<ttl>{int(options['ttl'])}</ttl>"
    if "sy" in options:
        update_period, _, frequency = options["sy"].partition(":")
        extra += f"<sy:updatePeriod>{update_period}</sy:updatePeriod>"
        extra += f"<sy:updateFrequency>{int(frequency or 1)}</sy:updateFrequency>"
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"'
        ' xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel>'
        f"<title>Synthetic feed {number}</title><link>{home}</link>"
        f"<description>{url.replace('&', '&amp;')}</description>{extra}"
        + "".join(items)
        + "</channel></rss>\n"
    )


def _home(number: int, feed_url: str) -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>Synthetic site {number}</title>"
        f'<link rel="alternate" type="application/rss+xml" title="Feed" href="{feed_url}">'
        f"</head><body><h1>Synthetic site {number}</h1></body></html>\n"
    )
