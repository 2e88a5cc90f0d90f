"""``faults.example``: one URL for each way a fetch can go wrong, and a feed listing them.

::

    /faults.example/feed.xml                 RSS 2.0 feed of every URL below
    /faults.example/status/<code>            that 4xx/5xx status; 429 and 503 add Retry-After: 2
    /faults.example/redirect/<n>/<key>       n redirects (301, 302, 303, 307, 308 in turn), then
                                             the demo article at /<key> (or a default article)
    /faults.example/redirect-loop            two URLs redirecting to each other for ever
    /faults.example/drip                     a page start, then one byte every 0.5 s for 60 s
    /faults.example/big                      a 20 MiB HTML page
    /faults.example/gzip-bomb                50 KiB of gzip that inflates to 50 MiB
    /faults.example/not-html                 a PDF document
    /faults.example/no-charset               ISO-8859-1 bytes, no charset anywhere
    /faults.example/wrong-charset            windows-1252 bytes, header says utf-8
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from worker.simweb import catalog
from worker.simweb.feeds import (
    CONTENT_TYPES,
    OPML_CONTENT_TYPE,
    Channel,
    Entry,
    Subscription,
    render_feed,
    render_opml,
)
from worker.simweb.replies import Reply, content, error, redirect

HOST = "faults.example"
DRIP_INTERVAL = 0.5
DRIP_BYTES = 120
BIG_SIZE = 20 * 1024 * 1024
BOMB_SIZE = 50 * 1024 * 1024
MAX_REDIRECTS = 50
REDIRECT_STATUSES = (301, 302, 303, 307, 308)

REDIRECT_TARGET = next(
    article
    for article in catalog.ARTICLES
    if article.outlet == "24newsdesk.example" and article.agency == "AFP"
)
"""Where redirect chains end unless they name another demo article."""

_PUBLISHED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

_FAULTS: tuple[tuple[str, str], ...] = (
    ("/status/404", "A page that is gone without a trace (404)"),
    ("/status/410", "A page removed for good (410)"),
    ("/status/500", "A server error (500)"),
    ("/status/429", "Too many requests, retry after 2 seconds (429)"),
    (f"/redirect/3/{REDIRECT_TARGET.key}", "Three redirects, then an article"),
    ("/redirect-loop", "Redirects that never end"),
    ("/drip", "A page that arrives one byte at a time"),
    ("/big", "A 20 MiB page"),
    ("/gzip-bomb", "A small gzip body that inflates to 50 MiB"),
    ("/not-html", "A PDF where a web page was expected"),
    ("/no-charset", "A Latin-1 page that declares no charset"),
    ("/wrong-charset", "A windows-1252 page labelled UTF-8"),
)

_NO_CHARSET_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head><title>Le café de la place Müller fête ses cent ans</title></head>
<body>
<article>
<h1>Le café de la place Müller fête ses cent ans</h1>
<p>Fondé en 1926 par un pâtissier venu de Fribourg, le café de la place Müller a célébré
samedi son centenaire en présence de plusieurs générations d'habitués.</p>
<p>Les crêpes, les éclairs et le fameux gâteau aux noix préparé selon la recette de
l'arrière-grand-mère de l'actuelle propriétaire étaient offerts à tous les visiteurs.</p>
<p>« Ici, on a vu passer la moitié de la ville », sourit Jürgen Béguin, serveur depuis
trente-deux ans, qui n'a jamais envisagé de travailler ailleurs.</p>
</article>
</body>
</html>
"""

# Curly quotes, the en dash and the euro sign are the point: windows-1252 has bytes for them
# (0x80-0x9f) that are invalid as UTF-8 and mean control characters in ISO-8859-1.
_WRONG_CHARSET_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><title>Café owner’s “naïve” plan pays off</title></head>
<body>
<article>
<h1>Café owner’s “naïve” plan pays off</h1>
<p>When Zoë Brontë opened her crêperie in 2019, friends called the idea “naïve” – a
€5 menu in the most expensive street in town.</p>
<p>Five years on, the queue stretches past the Schönberg bakery next door, and the café’s
über-loyal regulars say the galettes are worth every cent.</p>
</article>
</body>
</html>
"""  # noqa: RUF001

_DRIP_HEAD = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>A page that never finishes</title></head>
<body><article><h1>A page that never finishes</h1>
<p>"""
_DRIP_END = b"</p></article></body></html>\n"
_DRIP_TAIL = (b"This paragraph arrives one byte every half second. " * 3)[
    : DRIP_BYTES - len(_DRIP_END)
] + _DRIP_END

_BIG_HEAD = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>A very long page</title></head>
<body><article><h1>A very long page</h1>
"""
_BIG_END = b"</article></body></html>\n"
_BIG_PARAGRAPH = (
    b"<p>The council met again on Tuesday to discuss the harbour plan, and again it adjourned"
    b" without a vote, promising to return to the matter at its next session.</p>\n"
)


class Faults:
    def __init__(self, base_url: str, pause: Callable[[float], bool]) -> None:
        """``pause(seconds)`` sleeps and returns True when the server is stopping."""
        self.base_url = base_url
        self._pause = pause

    @property
    def feed_url(self) -> str:
        return f"{self.base_url}/{HOST}/feed.xml"

    def opml(self) -> Reply:
        """The subscription list with the faults feed alone."""
        feed = Subscription(
            title="Faults: every way a fetch can go wrong",
            xml_url=self.feed_url,
            html_url=f"{self.base_url}/{HOST}/",
            language="en",
        )
        body = render_opml("wirestream simulated web: faults", _PUBLISHED, [feed])
        return content(body, OPML_CONTENT_TYPE, _PUBLISHED)

    def reply(self, path: str) -> Reply | None:
        """The fault at ``path`` (after the host, query removed), None for an unknown path."""
        if path == "/feed.xml":
            return self._feed()
        if path.startswith("/status/"):
            return _status(path.removeprefix("/status/"))
        if path.startswith("/redirect/"):
            return self._redirect(path.removeprefix("/redirect/"))
        simple: dict[str, Callable[[], Reply]] = {
            "/redirect-loop": lambda: redirect(302, f"{self.base_url}/{HOST}/redirect-loop/again"),
            "/redirect-loop/again": lambda: redirect(302, f"{self.base_url}/{HOST}/redirect-loop"),
            "/drip": self._drip,
            "/big": _big,
            "/gzip-bomb": lambda: Reply(
                status=200, body=_gzip_bomb(), headers=(("Content-Encoding", "gzip"),)
            ),
            "/not-html": lambda: Reply(status=200, body=_pdf(), content_type="application/pdf"),
            "/no-charset": lambda: Reply(
                status=200, body=_NO_CHARSET_PAGE.encode("iso-8859-1"), content_type="text/html"
            ),
            "/wrong-charset": lambda: Reply(status=200, body=_WRONG_CHARSET_PAGE.encode("cp1252")),
        }
        handler = simple.get(path)
        return handler() if handler else None

    def _feed(self) -> Reply:
        entries = [
            Entry(
                id=f"{self.base_url}/{HOST}{path}",
                id_is_link=True,
                title=title,
                link=f"{self.base_url}/{HOST}{path}",
                published=_PUBLISHED - timedelta(minutes=index),
                updated=_PUBLISHED - timedelta(minutes=index),
                authors=("Faults Desk",),
                categories=("faults",),
                summary=title,
                content_html=None,
                language="en",
            )
            for index, (path, title) in enumerate(_FAULTS)
        ]
        channel = Channel(
            id=f"tag:{HOST},2026:feed",
            title="Faults",
            description="Every way a fetch can go wrong, one URL each",
            home=f"{self.base_url}/{HOST}/",
            self_url=self.feed_url,
            language="en",
            updated=_PUBLISHED,
        )
        return content(render_feed("rss2", channel, entries), CONTENT_TYPES["rss2"], _PUBLISHED)

    def _redirect(self, rest: str) -> Reply | None:
        hops, _, target = rest.partition("/")
        if not hops.isdigit() or not 1 <= int(hops) <= MAX_REDIRECTS:
            return None
        remaining = int(hops)
        status = REDIRECT_STATUSES[remaining % len(REDIRECT_STATUSES)]
        if remaining > 1:
            return redirect(status, f"{self.base_url}/{HOST}/redirect/{remaining - 1}/{target}")
        final = target if target in catalog.BY_KEY else REDIRECT_TARGET.key
        return redirect(status, f"{self.base_url}/{final}")

    def _drip(self) -> Reply:
        def chunks() -> Iterator[bytes]:
            yield _DRIP_HEAD
            for byte in _DRIP_TAIL:
                if self._pause(DRIP_INTERVAL):
                    return
                yield bytes((byte,))

        return Reply(status=200, stream=chunks, length=len(_DRIP_HEAD) + len(_DRIP_TAIL))


def _status(code: str) -> Reply | None:
    if not code.isdigit() or not 400 <= int(code) <= 599:
        return None
    status = int(code)
    headers = (("Retry-After", "2"),) if status in (429, 503) else ()
    return error(status, headers)


def _big() -> Reply:
    def chunks() -> Iterator[bytes]:
        yield _BIG_HEAD
        block = _BIG_PARAGRAPH * 400
        remaining = BIG_SIZE - len(_BIG_HEAD) - len(_BIG_END)
        while remaining >= len(block):
            yield block
            remaining -= len(block)
        yield b" " * remaining + _BIG_END

    return Reply(status=200, stream=chunks, length=BIG_SIZE)


@functools.cache
def _gzip_bomb() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    head, end = b"<!DOCTYPE html><html><body><p>", b"</p></body></html>\n"
    parts = [compressor.compress(head)]
    block = b" " * (1024 * 1024)
    padding = BOMB_SIZE - len(head) - len(end)
    while padding > 0:
        parts.append(compressor.compress(block[:padding]))
        padding -= len(block)
    parts += [compressor.compress(end), compressor.flush()]
    return b"".join(parts)


def _pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table, so that it is a real document and
    not merely bytes that start with %PDF."""
    objects = (
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    )
    document = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(document))
        document += b"%d 0 obj %s endobj\n" % (number, body)
    xref = len(document)
    document += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    document += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    document += b"trailer << /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    document += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(document)
