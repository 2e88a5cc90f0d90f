"""Extract one article page: its body text and the metadata a consumer needs.

trafilatura finds the body and fills in what the page does not state outright. What the page
states itself (JSON-LD, ``<meta>``, ``<time>``, ``<link rel=canonical>``) is read here from
the same lxml tree and preferred: trafilatura keeps only the day of a date, drops its time
zone, and often leaves the site's name in the title and the byline.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import charset_normalizer
from lxml.html import HtmlElement
from py3langid.langid import MODEL_FILE, LanguageIdentifier
from trafilatura import bare_extraction, load_html
from trafilatura.settings import Document
from trafilatura.xml import xmltotxt
from w3lib.encoding import html_to_unicode

from worker.errors import PermanentError
from worker.models import DatedValue, ExtractedPage

STAGE = "extract"
EXTRACTOR = "trafilatura"

MIN_WORDS_WITHOUT_TITLE = 20
EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
# Below this probability the detector is guessing (short or mixed text): the page's own
# declaration is the better answer.
MIN_LANGUAGE_CONFIDENCE = 0.5
LANGUAGE_SAMPLE_CHARS = 1000
# charset-normalizer slows down with size while its answer stops changing.
DETECTION_SAMPLE_BYTES = 64 * 1024

# ISO 639-3 labels of the detector whose macrolanguage has an ISO 639-1 code.
_MACROLANGUAGES = {"ary": "ar", "arz": "ar", "uzs": "uz", "wuu": "zh", "yue": "zh"}
_ARTICLE_TYPES = re.compile(r"(Article|BlogPosting|Report|ClaimReview)$")
_LANGUAGE_TAG = re.compile(r"([A-Za-z]{2})(?:[-_][A-Za-z0-9]+)*")
_WORD = re.compile(r"\w+")
_AUTHOR_SEPARATOR = re.compile(r";|\s+\|\s+")
# Bylines mangled from a URL ("Www Example Com", "The Times https") are not people.
_URL_WORD = re.compile(r"\b(?:https?|www)\b", re.I)
# Hyphen, bar, colon, en and em dash, full-width colon and bar.
_TITLE_SEPARATOR = "[-|:\u2013\u2014\uff1a\uff5c]"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_PUBLISHED_META = ("article:published_time", "datepublished", "og:published_time")
_MODIFIED_META = ("article:modified_time", "datemodified", "og:updated_time")


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode as a browser does: BOM, HTTP charset, ``<meta>`` charset, then detection.

    One exception comes first: a body that is valid UTF-8 beyond ASCII is read as UTF-8,
    whatever it declares. Legacy encodings practically never produce such bytes by chance,
    while stale declarations (a server's default charset, a page re-encoded but not its
    ``<meta>``) are common, and honouring them would turn the text to mojibake.

    Returns the text and the name of the encoding used.
    """
    if not body.isascii():
        try:
            return body.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            pass
    encoding, text = html_to_unicode(
        content_type, body, default_encoding="utf-8", auto_detect_fun=_detect_encoding
    )
    return text, encoding


def _detect_encoding(body: bytes) -> str | None:
    if body.isascii():
        return None
    best = charset_normalizer.from_bytes(body[:DETECTION_SAMPLE_BYTES]).best()
    # windows-1252 is what browsers assume for an undeclared page they cannot place.
    return best.encoding if best else "cp1252"


def extract_page(body: bytes, *, url: str, content_type: str | None = None) -> ExtractedPage:
    """Extract the article on the page at ``url`` (the base for its relative links)."""
    text, _ = decode_html(body, content_type)
    tree = load_html(text)
    if tree is None:
        raise PermanentError(STAGE, url, "no article text found")
    page = _PageMetadata(tree, url)
    # trafilatura copies a tree it is given, so ``tree`` stays whole for the metadata above.
    document = bare_extraction(tree, url=url, with_metadata=True, include_comments=False)
    if not isinstance(document, Document):
        raise PermanentError(STAGE, url, "no article text found")
    site_name = page.first_meta("og:site_name") or _site_name_guess(document.sitename, url)
    title = _title(page.headline() or document.title, site_name)
    body_text = _body_text(document.body, title)
    if not body_text or (len(_WORD.findall(body_text)) < MIN_WORDS_WITHOUT_TITLE and not title):
        raise PermanentError(STAGE, url, "no article text found")

    categories = [*(document.categories or ()), *page.all_meta("article:section")]
    return ExtractedPage(
        title=title,
        authors=_authors(page, document.author, site_name, url),
        published=page.date("datePublished", _PUBLISHED_META, document.date),
        modified=page.date("dateModified", _MODIFIED_META, None),
        language=detect_language(body_text, declared=page.declared_language),
        site_name=site_name,
        image=page.url_in_meta("og:image", "og:image:url", "twitter:image")
        or page.absolute(document.image),
        description=_clean(document.description),
        canonical_url=page.canonical_url(),
        text=body_text,
        extractor=EXTRACTOR,
        categories=_unique(categories),
    )


def detect_language(text: str, declared: str | None = None) -> str | None:
    """ISO 639-1 code of ``text``; ``declared`` (e.g. ``en-GB``) wins when the text is unclear."""
    declared_code = _language_code(declared)
    label, confidence = _language_identifier().classify(text[:LANGUAGE_SAMPLE_CHARS])
    detected = _MACROLANGUAGES.get(label, label)
    if confidence < MIN_LANGUAGE_CONFIDENCE or len(detected) != 2:
        return declared_code
    return str(detected)


@cache
def _language_identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _language_code(tag: str | None) -> str | None:
    match = _LANGUAGE_TAG.fullmatch(tag.strip()) if tag else None
    return match.group(1).lower() if match else None


def _body_text(body: HtmlElement, title: str | None) -> str:
    # trafilatura ends paragraphs and <br> alike with one newline; rendering each top-level
    # block on its own keeps the two apart.
    blocks = [text for text in (xmltotxt(block, False).strip() for block in body) if text]
    # The headline is the title's job; left in, it would count as body text in word counts
    # and in near-duplicate comparison across outlets that title the story differently.
    if blocks and title and _fold(blocks[0]) == _fold(title):
        del blocks[0]
    return "\n\n".join(blocks)


def _site_name_guess(guess: str | None, url: str) -> str | None:
    """trafilatura's site name, unless it is only the URL's host and port, which names nothing."""
    cleaned = _clean(guess)
    if cleaned is None or cleaned.lower() == urlsplit(url).netloc.lower():
        return None
    return cleaned


def _title(title: str | None, site_name: str | None) -> str | None:
    title = _clean(html.unescape(title or ""))
    if title and site_name:
        # "Headline - Site" / "Headline | Site": the site is not part of the headline.
        suffix = re.compile(rf"\s*{_TITLE_SEPARATOR}\s*{re.escape(site_name)}$", re.I)
        title = suffix.sub("", title) or title
    return title


def _authors(
    page: _PageMetadata, joined: str | None, site_name: str | None, url: str
) -> tuple[str, ...]:
    """The people credited: JSON-LD ``Person`` authors, else trafilatura's byline.

    Outlets credit themselves too (as an author ``Organization``, in the byline meta, as the
    site): those names are dropped.
    """
    host = urlsplit(url).hostname or ""
    not_people = {_fold(name) for name in (*page.organisations(), site_name, host) if name}
    not_people.add(_fold(host.removeprefix("www.")))

    def people(names: Iterable[str | None]) -> tuple[str, ...]:
        return _unique(
            name
            for name in map(_clean, names)
            if name and _fold(name) not in not_people and not _URL_WORD.search(name)
        )

    return people(page.people()) or people(_AUTHOR_SEPARATOR.split(joined or ""))


class _PageMetadata:
    """What the page declares about itself, gathered in one pass over its lxml tree."""

    def __init__(self, tree: HtmlElement, url: str) -> None:
        self._base = url
        self._meta: dict[str, list[str]] = {}
        self._canonical: str | None = None
        self._linked_data: list[dict[str, Any]] = []
        # <time> marked with itemprop, then those inside an <article>: elsewhere on the page a
        # <time> is as likely a related story's date or today's.
        self._times: dict[str, list[str]] = {"datePublished": [], "dateModified": [], "": []}
        self.declared_language = _clean(tree.get("lang") or tree.get(_XML_LANG))
        base_href = None
        for element in tree.iter("base", "link", "meta", "script", "time"):
            if element.tag == "meta":
                self._add_meta(element)
            elif element.tag == "script":
                if "ld+json" in (element.get("type") or "").lower():
                    self._add_linked_data(element.text)
            elif element.tag == "time":
                self._add_time(element)
            elif element.tag == "link":
                if self._canonical is None and "canonical" in _tokens(element.get("rel")):
                    self._canonical = element.get("href")
            elif base_href is None:
                base_href = element.get("href")
        if base_href and base_href.strip():
            self._base = urljoin(url, base_href.strip())
        self.declared_language = self.declared_language or self.first_meta("og:locale")

    def _add_meta(self, meta: HtmlElement) -> None:
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        value = _clean(meta.get("content"))
        if key and value:
            self._meta.setdefault(key.strip().lower(), []).append(value)

    def _add_linked_data(self, text: str | None) -> None:
        self._linked_data.extend(
            node
            for node in _json_ld_nodes(_load_json(text))
            if any(_ARTICLE_TYPES.search(kind) for kind in _strings(node.get("@type")))
        )

    def _add_time(self, element: HtmlElement) -> None:
        stamp = element.get("datetime")
        if not stamp:
            return
        itemprop = element.get("itemprop")
        if itemprop in self._times:
            self._times[itemprop].append(stamp)
        elif element.get("pubdate") is not None or _in_article(element):
            self._times[""].append(stamp)

    def headline(self) -> str | None:
        return next((h for node in self._linked_data for h in _strings(node.get("headline"))), None)

    def people(self) -> list[str]:
        return [
            name
            for node in self._linked_data
            for author in _json_ld_nodes(node.get("author"))
            if "Person" in _strings(author.get("@type"))
            for name in _strings(author.get("name"))
        ]

    def organisations(self) -> list[str]:
        return [
            name
            for node in self._linked_data
            for role in ("publisher", "author", "creator")
            for party in _json_ld_nodes(node.get(role))
            if role == "publisher"
            or any(kind.endswith("Organization") for kind in _strings(party.get("@type")))
            for name in _strings(party.get("name"))
        ]

    def first_meta(self, *keys: str) -> str | None:
        return next(iter(self.all_meta(*keys)), None)

    def all_meta(self, *keys: str) -> list[str]:
        return [value for key in keys for value in self._meta.get(key, ())]

    def absolute(self, href: str | None) -> str | None:
        if not href or not href.strip():
            return None
        absolute = urljoin(self._base, href.strip())
        return absolute if urlsplit(absolute).scheme in ("http", "https") else None

    def url_in_meta(self, *keys: str) -> str | None:
        return next(filter(None, map(self.absolute, self.all_meta(*keys))), None)

    def canonical_url(self) -> str | None:
        return self.absolute(self._canonical) or self.url_in_meta("og:url")

    def date(
        self, json_ld_key: str, meta_keys: tuple[str, ...], fallback_day: str | None
    ) -> DatedValue | None:
        """The page's own timestamp, one with a time zone first; else trafilatura's day."""
        times = self._times[json_ld_key]
        if json_ld_key == "datePublished":
            times = times + self._times[""]
        candidates = [
            *(
                (value, "jsonld")
                for node in self._linked_data
                for value in _strings(node.get(json_ld_key))
            ),
            *((value, "meta") for value in self.all_meta(*meta_keys)),
            *((value, "time") for value in times),
        ]
        found = [(moment, source) for text, source in candidates if (moment := _parse_date(text))]
        found.sort(key=lambda item: item[0].tzinfo is None)
        if found:
            moment, source = found[0]
            return DatedValue(moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC), source)
        day = _parse_date(fallback_day)
        return DatedValue(day.replace(tzinfo=UTC), "trafilatura") if day else None


def _in_article(element: HtmlElement) -> bool:
    return next(element.iterancestors("article"), None) is not None


def _tokens(value: str | None) -> list[str]:
    return value.lower().split() if value else []


def _parse_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    if moment.replace(tzinfo=moment.tzinfo or UTC) < EARLIEST_DATE:
        return None
    return moment


def _load_json(text: str | None) -> Any:
    # Pages wrap JSON-LD in CDATA sections and comments, end it with ";", and leave raw
    # newlines in its strings.
    text = (text or "").replace("<![CDATA[", "").replace("]]>", "")
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    end = max(text.rfind("}"), text.rfind("]"))
    if start < 0 or end < start:
        return None
    try:
        return json.loads(text[start : end + 1], strict=False)
    except ValueError:
        return None


def _json_ld_nodes(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _json_ld_nodes(item)
    elif isinstance(data, dict):
        yield data
        yield from _json_ld_nodes(data.get("@graph"))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _clean(value: str | None) -> str | None:
    if not value:
        return None
    return " ".join(value.split()) or None


def _fold(name: str) -> str:
    return "".join(char for char in name.casefold() if char.isalnum())


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    """Cleaned values, first spelling kept: "Sophie Foster" and "sophie-foster" are one."""
    kept: dict[str, str] = {}
    for value in map(_clean, values):
        if value:
            kept.setdefault(_fold(value) or value, value)
    return tuple(kept.values())


_WARM_UP_PAGE = b"""<!DOCTYPE html><html lang="en"><head><title>Warm-up</title></head><body>
<article><h1>Warm-up</h1><p>Published on 3 March 2025, this paragraph loads the language
model and the date parser's tables once, so that the processes forked after it share them
instead of each paying a second or two on its first page.</p></article></body></html>"""


def warm_up() -> None:
    """Load extraction's lazily built models now (in a prefork parent, before the fork)."""
    extract_page(_WARM_UP_PAGE, url="https://warm-up.invalid/", content_type="text/html")
