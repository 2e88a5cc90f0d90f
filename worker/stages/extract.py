"""Extract one article page: its body text and the metadata a consumer needs.

The body is trafilatura's (in its fast mode with its recall focus: the fallback extractors
it skips cost a third of the time and lose precision on news pages; its links kept until
teasers for other pages have been told from the story); then what is not story goes
(:mod:`worker.stages.boilerplate`), and with it the furniture that trafilatura's precision
focus drops (a short line that is no sentence). A body that shares almost nothing with the
page's headline and description is another story's, and trafilatura's precision focus is
tried instead. The metadata is what the page states itself (JSON-LD, ``<meta>``, ``<time>``,
bylines, ``<link rel=canonical>``), read here from the same lxml tree; htmldate guesses a date
only when the page states none. Wire agencies come from :mod:`worker.stages.agency`, the
quality flags from :mod:`worker.stages.quality`.

Every rule of the body and metadata paths has a name in :data:`RULES`; ``extract_page``
skips those it is told to, which is how ``benchmarks/crossval.py`` measures what each is
worth out of sample (``docs/extraction.md``).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from htmldate import find_date
from lxml import etree
from lxml.html import HtmlElement
from py3langid.langid import MODEL_FILE, LanguageIdentifier
from trafilatura import bare_extraction, load_html
from trafilatura.json_metadata import normalize_authors
from trafilatura.settings import Document
from trafilatura.xml import xmltotxt

from worker.errors import PermanentError
from worker.models import DatedValue, ExtractedPage
from worker.stages.agency import (
    credited_in_line,
    detect_agencies,
    is_agency,
    without_trailing_agency,
)
from worker.stages.boilerplate import (
    LINE_RULE_NAMES,
    clean_body,
    line_keys,
    remove_link_teasers,
    without_recurring,
    without_unconfirmed_furniture,
)
from worker.stages.charset import decode_document, is_binary
from worker.stages.quality import is_paywalled, is_truncated
from worker.stages.urls import absolute_http_url

STAGE = "extract"
HEURISTIC = "trafilatura"

MIN_WORDS_WITHOUT_TITLE = 20
# A body from trafilatura's precision focus shorter than this may have lost paragraphs to its
# layout judgement, and its recall focus is extracted too. Measured on the labelled sets
# (docs/extraction.md), 200 to 300 words give the same figures, and each set alone picks 200.
MIN_PRECISE_STORY_WORDS = 200
EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
# A page dated after the moment we read it has its clock or its time zone wrong. Up to the
# widest UTC offset is a time zone mislabelled; beyond that the date is rejected.
MAX_FUTURE = timedelta(hours=14)
# A byline or credit is a few words; a longer text in a byline element is something else.
MAX_BYLINE_WORDS = 12
# A body with less than this share of the content words of the page's headline and
# description is checked against the next candidate body, which replaces it when it has
# STORY_EVIDENCE_MARGIN more (headlines paraphrase: a small share alone proves little).
MIN_STORY_EVIDENCE = 0.2
STORY_EVIDENCE_MARGIN = 0.3
MIN_EVIDENCE_WORDS = 5
MAX_SITE_NAME_WORDS = 6
MAX_HEADLINE_WORDS = 40
# Below this probability the detector is guessing (short or mixed text): the page's own
# declaration is the better answer.
MIN_LANGUAGE_CONFIDENCE = 0.5
LANGUAGE_SAMPLE_CHARS = 600
# A file with markup shows some in its head; a long story saved as text need not be scanned.
MARKUP_SAMPLE_CHARS = 64 * 1024

# ISO 639-3 labels of the detector whose macrolanguage has an ISO 639-1 code.
_MACROLANGUAGES = {"ary": "ar", "arz": "ar", "uzs": "uz", "wuu": "zh", "yue": "zh"}
_ARTICLE_TYPES = re.compile(r"(Article|BlogPosting|Report|ClaimReview)$")
_LANGUAGE_TAG = re.compile(r"([A-Za-z]{2})(?:[-_][A-Za-z0-9]+)*")
_WORD = re.compile(r"\w+")
_CONTENT_WORD = re.compile(r"\w{4,}")
_MARKUP = re.compile(r"<[A-Za-z!?/]")
_BLANK_LINE = re.compile(r"\n[ \t\u00a0]*\n")
# What follows a name in a byline: a date, a role, links to the author's other pages, where
# or under what the story is filed ("in Kyiv", "in Energy": an "in" before a capital).
# A month counts only before a day ("Dec 16"): "Jan Marchart" and "Theresa May" are names.
_BYLINE_TAIL = re.compile(
    r"\s+(?:posted|updated|published|view|see|follow|get|read|more\s+by|is\s+(?:a|an|the)"
    r"|(?-i:in(?=,?\s+[A-Z]))"
    r"|\d+[-\s]minute|(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
    r"|aug(?:ust)?|sep(?:tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?[\s,]+\d+(?:st|nd|rd|th)?"
    r"|\d+)\b.*$",
    re.I,
)
# What bylines put in parentheses after a name: initials, a handle, a place ("(jd)", "(AP)").
_PARENTHESISED_AFTER_NAME = re.compile(r"(?<=\w)\s*\([^()]{1,24}\)\s*$")
# Korean, Japanese and Chinese bylines put the role after the name: "신현주 기자" (reporter).
_ROLE_AFTER_NAME = re.compile(r"\s*(?:기자|특파원|記者|特派員|记者)$")
# Some outlets put every author in one JSON-LD Person: "Birgit Baumann, Anna Giulia Fink".
_NAME_LIST = re.compile(r"\s*(?:[,;&]|\s(?:and|und|et|y)\s)\s*")
# "By Jane Doe", "Par Le Figaro", and "ByJane Doe" where the markup put "By" in its own element.
_BYLINE_PREFIX = re.compile(
    r"^(?:(?i:(?:written\s+)?by|von|par|por|di)(?:\s+|\s*[:,]\s*|$)|By(?=[A-Z]))+"
)
# "By Jane Doe" as a page shows it: a capital after "By" tells a byline from a sentence.
_BY_NAME = re.compile(r"^[Bb]y\s+[A-Z]")
# Bylines that name a role or a company, not a person: "Staff and agencies", "Redaktion",
# "Nikkei Inc.".
_NOT_A_PERSON = re.compile(
    r"\b(?:agencies|agences|agenturen|agencias|staff|redaktion|r[eé]daction|redacci[oó]n"
    r"|newsroom|editorial|inc|ltd|llc|gmbh|corp|plc)\b",
    re.I,
)
# What a byline block shows besides names: its own label and its buttons ("Autoren", "著者",
# "Share on Facebook", "Print").
_BYLINE_LABEL = re.compile(
    r"\b(?:authors?|autor(?:en|in)?|auteurs?|share|print|tweet|twitter|facebook|instagram"
    r"|linkedin|whatsapp|e-?mail)\b|著者",
    re.I,
)
# A byline that credits a source or a picture: "Quelle: sid/dpa", "(Image: Getty Images)".
_CREDIT = re.compile(r"^\(|^(?:quelle|source|fuente|fonte|image|photo|foto|bild)\s*:", re.I)
# Comment forms and comment threads mark their own authors.
_COMMENT_MARKER = re.compile(r"comment", re.I)
_QUOTATION_MARKER = re.compile(r"quote", re.I)
# An e-mail address after the name ("Mike Cason mcason@al.com"), which the normaliser below
# would turn into a name of its own.
_ADDRESS = re.compile(r"\S+@\S+\.\w+")
# htmldate's day for a year alone (a copyright notice's).
_NEW_YEAR = "-01-01"
# "/2016/10/13/", "/2016-10-13-", and "-20161013" standing alone between separators.
_URL_DATE = re.compile(
    r"(?:/((?:19|20)\d\d)[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])"
    r"|[/_-]((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01]))(?=[/._-]|$)"
)
_TEXT_TIMESTAMP = re.compile(
    r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)\b"
)
# Bylines mangled from a URL ("Www Example Com", "The Times https") are not people.
_BYLINE_TAGS = ("a", "span", "div", "p", "address", "li", "strong", "b")
_BYLINE_MARKER = re.compile(r"byline|author|autor|auteur", re.I)
_URL_WORD = re.compile(r"\b(?:https?|www)\b", re.I)
# Between a headline and the site's name: spaced separators, or a full-width one unspaced.
_TITLE_PARTS = re.compile(r"\s+(?:--|[-|:\u2013\u2014\u00b7\u2022\u00bb])\s+|\s*[\uff1a\uff5c]\s*")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_PUBLISHED_META = ("article:published_time", "datepublished", "og:published_time")
_MODIFIED_META = ("article:modified_time", "datemodified", "og:updated_time")


WRONG_STORY_GUARD = "wrong_story_guard"
PRECISION_START = "precision_start"
PRECISION_AGREEMENT = "precision_agreement"
TITLE_HEADING_PART = "title_heading_part"
TITLE_SITE_SUFFIX = "title_site_suffix"
DATE_GUESSED = "date_htmldate"
# Rules applied to trafilatura's body element, in order.
TREE_RULES: tuple[tuple[str, Callable[[HtmlElement], None]], ...] = (
    ("link_teasers", remove_link_teasers),
)
_DATE_SOURCES = ("jsonld", "meta", "time", "text", "time_elsewhere", "url")


def extract_page(
    body: bytes,
    *,
    url: str,
    now: datetime,
    content_type: str | None = None,
    recurring_lines: frozenset[str] = frozenset(),
    disabled: frozenset[str] = frozenset(),
) -> ExtractedPage:
    """Extract the article on the page at ``url`` (the base for its relative links).

    ``now`` is when the page was read: later dates are rejected. ``recurring_lines`` are the
    :func:`~worker.stages.boilerplate.line_key` keys of the lines that recur across the host's
    pages, removed from the body. ``disabled`` names rules of :data:`RULES` left out: what
    the extraction benchmark's ablation measures each of them by.
    """
    if is_binary(body):
        raise PermanentError(STAGE, url, "binary content, not a page")
    text = decode_document(body, content_type).text
    if _is_plain_text(text, content_type):
        text = _as_html(text)
    tree = load_html(text)
    if tree is None:
        raise PermanentError(STAGE, url, "no article text found")
    page = _PageMetadata(tree, url)
    site_name = page.site_name()
    site_words = _site_words(site_name, url)
    title = _title(page.title(site_words), site_words, page.headings, disabled)
    description = page.first_meta("description", "og:description", "twitter:description")
    # The headline is the title's job; left in, it would count as body text in near-duplicate
    # comparison across outlets that title the story differently.
    headlines = [title or "", *page.headings, *page.all_meta("og:title", "twitter:title")]
    evidence = _content_words([title or "", description or "", *page.all_meta("og:title")])
    chosen: _Body | None = None
    chosen_share = 0.0
    for blocks, story_blocks in _body_candidates(tree, disabled):
        cleaned = clean_body(story_blocks, headlines=headlines, disabled=disabled)
        candidate = _Body(blocks, cleaned, without_recurring(cleaned, recurring_lines))
        candidate_share = _share_of(evidence, candidate.story)
        if (
            chosen is None
            or (candidate.story and not chosen.story)
            or (candidate_share >= chosen_share + STORY_EVIDENCE_MARGIN)
        ):
            chosen, chosen_share = candidate, candidate_share
        # A body that shares almost nothing with the page's headline and description is
        # another story's (a teaser, a card): the next candidate may be the page's own.
        # Without a headline or description to judge by there is no wrong story to recover
        # from, and the second pass would copy the tree for nothing: on the hostile corpus it
        # doubled a worker's peak memory (tests/e2e/test_hostile_corpus.py).
        if (
            WRONG_STORY_GUARD in disabled
            or len(evidence) < MIN_EVIDENCE_WORDS
            or (chosen.story and chosen_share >= MIN_STORY_EVIDENCE)
        ):
            break
    assert chosen is not None  # the heuristic candidate always comes
    blocks, cleaned, story = chosen.blocks, chosen.cleaned, chosen.story
    body_text = "\n\n".join(story)
    if not body_text or (len(_WORD.findall(body_text)) < MIN_WORDS_WITHOUT_TITLE and not title):
        raise PermanentError(STAGE, url, "no article text found")

    bylines = page.bylines()
    # htmldate's guess (when the page states no date) and then byline elements (when it
    # declares no author) come last: both search the whole tree, and the second prunes it.
    published = page.date("datePublished", _PUBLISHED_META, now, disabled) or (
        None if DATE_GUESSED in disabled else _guessed_date(tree, url, now, page.zone())
    )
    authors = _authors(page, bylines, site_name, url, disabled)
    return ExtractedPage(
        title=title,
        authors=authors,
        published=published,
        modified=page.date("dateModified", _MODIFIED_META, now, disabled),
        language=detect_language(body_text, declared=page.declared_language),
        site_name=site_name,
        image=page.url_in_meta("og:image", "og:image:url", "twitter:image", "twitter:image:src")
        or page.absolute(page.json_ld_image()),
        description=description,
        canonical_url=page.canonical_url(),
        text=body_text,
        extractor=HEURISTIC,
        categories=_unique(page.sections()),
        section=next(iter(page.sections()), None),
        keywords=page.keywords(),
        agency=detect_agencies(
            bylines=[*bylines, *page.people(), *page.credited_organisations()],
            lines=[*blocks, *page.credit_lines],
            first_paragraph=story[0] if story else None,
        ),
        truncated=is_truncated(
            story, declared_words=page.declared_words(), description=description
        ),
        paywalled=is_paywalled(
            blocks,
            accessible_for_free=page.accessible_for_free(),
            content_tiers=page.all_meta("article:content_tier"),
        ),
        line_keys=line_keys(blocks),
        identity_text="\n\n".join(cleaned),
    )


@dataclass(frozen=True)
class _Body:
    blocks: list[str]  # as extracted
    cleaned: list[str]  # without what is not story anywhere
    story: list[str]  # and without the host's recurring lines


def _body_candidates(
    tree: HtmlElement, disabled: frozenset[str]
) -> Iterator[tuple[list[str], list[str]]]:
    """The bodies the page may have, best first, each as extracted and as judged, the second
    made only when the first fails.

    First trafilatura's precision focus with its links judged. Where that comes out shorter
    than a story, or holds a list, its recall focus, without the furniture the precision focus
    dropped: the precision focus misses whole paragraphs of some layouts, and of a list of
    cards for other stories it drops the linked headlines, which tell the cards from a list of
    the story's, and keeps the rest. Then its precision focus in full, with the comparison
    against other extractors that finds a story the first pass missed.
    """
    precise_body = _story_body(tree, disabled, precise=True)
    precise = _blocks(precise_body)
    if (
        PRECISION_START in disabled
        or _words(precise) < MIN_PRECISE_STORY_WORDS
        or (precise_body is not None and precise_body.find("list") is not None)
    ):
        blocks = _blocks(_story_body(tree, disabled, precise=False))
        if PRECISION_AGREEMENT in disabled:
            yield blocks, blocks
        else:
            yield blocks, without_unconfirmed_furniture(blocks, precise)
    else:
        yield precise, precise
    full = _precise_blocks(tree)
    yield full, full


def _precise_blocks(tree: HtmlElement) -> list[str]:
    document = bare_extraction(tree, with_metadata=False, favor_precision=True)
    text = document.text if isinstance(document, Document) else None
    return [line for line in (text or "").splitlines() if line.strip()]


def _content_words(texts: Iterable[str]) -> set[str]:
    """The words of ``texts`` that say what a story is about: four letters or more."""
    return {
        word
        for text in texts
        for word in _CONTENT_WORD.findall(text.casefold())
        if not word.isdigit()
    }


def _share_of(evidence: set[str], story: list[str]) -> float:
    """How much of the page's evidence about its story the body has (1 with too little)."""
    if len(evidence) < MIN_EVIDENCE_WORDS:
        return 1.0 if story else 0.0
    return len(evidence & _content_words(story)) / len(evidence)


def _is_plain_text(text: str, content_type: str | None) -> bool:
    """A story saved as text: served as ``text/plain``, or read from a file without markup."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type:
        return media_type == "text/plain"
    return not _MARKUP.search(text[:MARKUP_SAMPLE_CHARS])


def _as_html(text: str) -> str:
    """A story saved as text, as the page it was: its first paragraph the headline, each
    paragraph after it (between blank lines) one of the story's."""
    paragraphs = [
        html.escape(" ".join(paragraph.split()))
        for paragraph in _BLANK_LINE.split(text)
        if paragraph.strip()
    ]
    headline, *story = paragraphs or [""]
    return (
        f"<html><head><title>{headline}</title></head><body><article><h1>{headline}</h1>"
        + "".join(f"<p>{paragraph}</p>" for paragraph in story)
        + "</article></body></html>"
    )


def without_lines(page: ExtractedPage, line_keys: frozenset[str]) -> ExtractedPage:
    """The page with the body's short lines of ``line_keys`` removed (lines that other pages
    of the same feed poll had); its identity text stays, as for the host's recurring lines."""
    blocks = page.text.split("\n\n")
    story = without_recurring(blocks, line_keys)
    if len(story) == len(blocks) or not story:
        return page
    return replace(page, text="\n\n".join(story))


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


_SPACES = re.compile(r"\s+")
_INNER_SPACES = re.compile(r"(?<=\S)[ \t]{2,}")


def _story_body(
    tree: HtmlElement, disabled: frozenset[str], *, precise: bool
) -> HtmlElement | None:
    """trafilatura's body element in its fast mode, with its precision focus (``precise``) or
    its recall focus, its links marked and teasers for other pages removed.

    trafilatura copies a tree it is given, so ``tree`` stays whole for the metadata. It is not
    given the page's address: it would resolve every link against it, and only whether text
    is a link matters here. Either focus skips the balanced focus's re-rendering of the whole
    page to text whenever the body is short, a fifth of the time on such pages.
    """
    document = bare_extraction(
        tree,
        with_metadata=False,
        include_comments=False,
        include_links=True,
        fast=True,
        favor_precision=precise,
        favor_recall=not precise,
    )
    if not isinstance(document, Document) or document.body is None:
        return None
    body: HtmlElement = document.body
    for name, rule in TREE_RULES:
        if name not in disabled:
            rule(body)
    # The links have been judged; their text stays, their targets are not the story's text.
    etree.strip_tags(body, "ref")
    # trafilatura trims the text of the elements it keeps but not of links: the source's
    # indentation around a link would otherwise end up in the body. Code keeps its spacing.
    preformatted = {element for code in body.iter("code") for element in code.iter()}
    for element in body.iter():
        if element not in preformatted:
            element.text = element.text and _SPACES.sub(" ", element.text)
        if element.getparent() not in preformatted:
            element.tail = element.tail and _SPACES.sub(" ", element.tail)
    return body


def _blocks(body: HtmlElement | None) -> list[str]:
    if body is None:
        return []
    # trafilatura ends paragraphs and <br> alike with one newline; rendering each top-level
    # block on its own keeps the two apart.
    return [text for text in map(_rendered, body) if text]


def _rendered(block: HtmlElement) -> str:
    text = xmltotxt(block, False).strip()
    if block.tag == "code":
        return text
    # Spaces doubled where a link's text was joined to its neighbours; indentation stays.
    return "\n".join(_INNER_SPACES.sub(" ", line).rstrip() for line in text.splitlines())


def _words(blocks: Iterable[str]) -> int:
    return sum(len(_WORD.findall(block)) for block in blocks)


def _guessed_date(tree: HtmlElement, url: str, now: datetime, zone: tzinfo) -> DatedValue | None:
    guess = find_date(tree, url=url, extensive_search=True, original_date=True, max_date=now)
    if guess and guess.endswith(_NEW_YEAR):
        # The extensive search falls back to a copyright notice's year, given as 1 January:
        # a year is no publication day. The plain search confirms a real 1 January.
        guess = find_date(tree, url=url, extensive_search=False, original_date=True, max_date=now)
    day = _parse_date(guess)
    if day is None or _in_zone(day, UTC) > now + MAX_FUTURE:
        return None
    return DatedValue(_in_zone(day, zone).astimezone(UTC), "htmldate")


def _site_words(site_name: str | None, url: str) -> set[str]:
    """The site's names, folded: its declared name and its host's longer labels."""
    site_words = {_fold(site_name or "")} | {
        _fold(label) for label in (urlsplit(url).hostname or "").split(".") if len(label) > 3
    }
    site_words.discard("")
    return site_words


def _title(
    title: str | None, site_words: set[str], headings: list[str], disabled: frozenset[str]
) -> str | None:
    # Soft hyphens and zero-width characters only guide a browser's line breaking.
    title = _clean(_INVISIBLE.sub("", html.unescape(title or "")))
    if not title:
        return None
    # "Headline | Section | Site" where the page's <h1> is the headline: keep the part it says
    # (unless that <h1> is the site's logo).
    folded_headings = {_fold(heading) for heading in headings}
    for part in [] if TITLE_HEADING_PART in disabled else _TITLE_PARTS.split(title):
        if part != title and _fold(part) in folded_headings and not _names_site(part, site_words):
            return part
    # "Headline - Site", "Headline | Fortune.com": the site is not part of the headline.
    while TITLE_SITE_SUFFIX not in disabled and (separators := list(_TITLE_PARTS.finditer(title))):
        last = separators[-1]
        if not _names_site(title[last.end() :], site_words):
            break
        title = title[: last.start()]
    return title


def _names_site(part: str, site_words: set[str]) -> bool:
    """Whether a short text (a title's part, an ``<h1>``) is the site: its name, its host, or
    a domain name."""
    folded = _fold(part)
    looks_like_domain = bool(re.fullmatch(r"[\w-]+(?:\.[\w-]+)+", part.strip()))
    if not folded or len(part.split()) > MAX_SITE_NAME_WORDS:
        return False
    return looks_like_domain or any(word in folded or folded in word for word in site_words)


def _authors(
    page: _PageMetadata,
    bylines: list[str],
    site_name: str | None,
    url: str,
    disabled: frozenset[str],
) -> tuple[str, ...]:
    """The people credited by the first of :data:`AUTHOR_SOURCES` that names any (JSON-LD
    ``Person`` authors, else microdata ones, else the author meta tags, else the byline
    elements), split into names.

    Outlets credit themselves and the wire too (as an author ``Organization``, in the byline
    meta, as the site): those names are dropped, and so are roles ("Staff and agencies").
    """
    host = urlsplit(url).hostname or ""
    not_people = {_fold(name) for name in (*page.organisations(), site_name, host) if name}
    not_people.add(_fold(host.removeprefix("www.")))
    # A byline that is one of the host's names is the site: "LTO" on lto.de.
    not_people.update(map(_fold, host.split(".")))

    def people(names: Iterable[str]) -> tuple[str, ...]:
        return _unique(
            name
            for name in map(_clean, names)
            if name
            and _fold(name) not in not_people
            and not _spells_host(name, host)
            and not _URL_WORD.search(name)
            and not is_agency(name)
            and not _NOT_A_PERSON.search(name)
        )

    for name, source in AUTHOR_SOURCES:
        if name not in disabled and (found := people(source(page, bylines))):
            return found
    return ()


def _json_ld_authors(page: _PageMetadata, bylines: list[str]) -> Iterable[str]:
    return (_person(name) for joined in page.people() for name in _NAME_LIST.split(joined))


def _microdata_authors(page: _PageMetadata, bylines: list[str]) -> Iterable[str]:
    return map(_person, page.microdata_people())


def _meta_authors(page: _PageMetadata, bylines: list[str]) -> Iterable[str]:
    return (name for byline in bylines for name in _byline_names(byline))


def _byline_element_authors(page: _PageMetadata, bylines: list[str]) -> Iterable[str]:
    return page.byline_elements(_byline_names)


def _unmarked_byline_authors(page: _PageMetadata, bylines: list[str]) -> Iterable[str]:
    return _byline_names(page.unmarked_byline() or "")


AuthorSource = Callable[["_PageMetadata", list[str]], Iterable[str]]
# Where authors are read, in order of trust; the first that names a person decides.
AUTHOR_SOURCES: tuple[tuple[str, AuthorSource], ...] = (
    ("authors_json_ld", _json_ld_authors),
    ("authors_microdata", _microdata_authors),
    ("authors_meta", _meta_authors),
    ("authors_byline_element", _byline_element_authors),
    ("authors_unmarked_byline", _unmarked_byline_authors),
)


def _spells_host(name: str, host: str) -> bool:
    """Whether ``name`` is how the host spells the site: each word whole or as its initial
    ("New York Daily News" on nydailynews.com, "Wall Street Journal" on wsj.com)."""
    words = [folded for word in name.split() if (folded := _fold(word))]
    if words[:1] == ["the"]:
        words = words[1:]
    if len(words) < 2:
        return False
    spelling = re.compile("".join(f"(?:{re.escape(word)}|{re.escape(word[0])})" for word in words))
    # A label of two letters is as likely a person's initials.
    labels = host.removeprefix("www.").split(".")[:-1]
    return any(len(label) > 2 and spelling.fullmatch(label) for label in labels)


def _byline_names(byline: str) -> list[str]:
    """The names in a byline: "By X, Y and Z" split, what surrounds them dropped."""
    if _CREDIT.search(byline):
        return []
    text = _BYLINE_PREFIX.sub("", _BYLINE_TAIL.sub("", _ADDRESS.sub(" ", byline)).strip())
    # A label in lower case ("red", "amw", "share") is initials or a button, not a name; it
    # goes before trafilatura's normaliser capitalises it, and so do the byline's other labels
    # and a wire credit ("with AFP"). That normaliser drops handles and splits "X, Y and Z".
    pieces = [
        piece
        for piece in _NAME_LIST.split(text)
        if not _is_lower_case(piece)
        and not _BYLINE_LABEL.search(piece)
        and not credited_in_line(piece)
    ]
    return [_person(name) for name in (normalize_authors(None, "; ".join(pieces)) or "").split(";")]


def _person(name: str) -> str:
    """A name less what bylines put around it: "By", a date, a role, the agency after it, the
    journalist's initials in parentheses ("Jane Doe (jd)")."""
    name = _BYLINE_PREFIX.sub("", _BYLINE_TAIL.sub("", name.strip()))
    return _PARENTHESISED_AFTER_NAME.sub(
        "", _ROLE_AFTER_NAME.sub("", without_trailing_agency(name))
    )


def _is_lower_case(text: str) -> bool:
    # Scripts without case (Chinese, Korean, Japanese) write names that are equal to both.
    return text == text.lower() and text != text.upper()


class _PageMetadata:
    """What the page declares about itself, gathered in one pass over its lxml tree."""

    def __init__(self, tree: HtmlElement, url: str) -> None:
        self._base = url
        self._meta: dict[str, list[str]] = {}
        self._canonical: str | None = None
        self._linked_data: list[dict[str, Any]] = []
        # Graphs name a party once and refer to it by "@id" elsewhere (Yoast's, for one).
        self._identified: dict[str, dict[str, Any]] = {}
        # <time> marked with itemprop, then those inside an <article>: elsewhere on the page a
        # <time> is as likely a related story's date or today's.
        self._times: dict[str, list[str]] = {
            "datePublished": [],
            "dateModified": [],
            "": [],
            "elsewhere": [],
        }
        self.declared_language = _clean(tree.get("lang") or tree.get(_XML_LANG))
        self.headings = [text for h1 in tree.iter("h1") if (text := _clean(h1.text_content()))]
        title_element = tree.find(".//title")
        self._title_element = title_element.text_content() if title_element is not None else None
        self._url = url
        self._tree = tree
        # Short lines in the story's container: where credit lines and visible stamps stand.
        self.credit_lines = _container_lines(tree)
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
        self._base = absolute_http_url(url, base_href) or url
        self.declared_language = self.declared_language or self.first_meta("og:locale")

    def _add_meta(self, meta: HtmlElement) -> None:
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        value = _clean(meta.get("content"))
        if key and value:
            self._meta.setdefault(key.strip().lower(), []).append(value)

    def _add_linked_data(self, text: str | None) -> None:
        for node in _json_ld_nodes(_load_json(text)):
            if isinstance(identifier := node.get("@id"), str):
                self._identified.setdefault(identifier, node)
            if any(_ARTICLE_TYPES.search(kind) for kind in _strings(node.get("@type"))):
                self._linked_data.append(node)

    def _resolved(self, party: dict[str, Any]) -> dict[str, Any]:
        identifier = party.get("@id")
        if "name" in party or not isinstance(identifier, str):
            return party
        return self._identified.get(identifier, party)

    def _add_time(self, element: HtmlElement) -> None:
        stamp = element.get("datetime")
        if not stamp:
            return
        itemprop = element.get("itemprop")
        if itemprop in self._times:
            self._times[itemprop].append(stamp)
        elif element.get("pubdate") is not None or _in_article(element):
            self._times[""].append(stamp)
        else:
            self._times["elsewhere"].append(stamp)

    def _json_ld(self, key: str) -> list[str]:
        return [value for node in self._linked_data for value in _strings(node.get(key))]

    def title(self, site_words: set[str]) -> str | None:
        """The headline the page declares (JSON-LD's, else OpenGraph's), else its one
        ``<h1>`` besides those naming the site (its logo), else Twitter's or ``<title>``. A
        declared headline is the article's; an ``<h1>`` can be the site's logo, a section's
        name or a kicker run into the headline."""
        headline = next(iter(self._json_ld("headline")), None) or self.first_meta("og:title")
        if headline:
            return headline
        headings = [heading for heading in self.headings if not _names_site(heading, site_words)]
        if len(headings) == 1 and len(headings[0].split()) <= MAX_HEADLINE_WORDS:
            return headings[0]
        return self.first_meta("twitter:title") or self._title_element

    def site_name(self) -> str | None:
        publishers = self._parties(("publisher",))
        return self.first_meta("og:site_name", "application-name") or next(iter(publishers), None)

    def declared_words(self) -> int | None:
        counts = [
            int(value)
            for node in self._linked_data
            for value in (node.get("wordCount"),)
            if isinstance(value, int | str) and str(value).strip().isdigit()
        ]
        return max(counts, default=None)

    def accessible_for_free(self) -> list[str]:
        return [
            str(value)
            for node in self._linked_data
            for part in (node, *_json_ld_nodes(node.get("hasPart")))
            if (value := part.get("isAccessibleForFree")) is not None
        ]

    def json_ld_image(self) -> str | None:
        for node in self._linked_data:
            image = node.get("image")
            for candidate in (
                *_strings(image),
                *(url for item in _json_ld_nodes(image) for url in _strings(item.get("url"))),
            ):
                return candidate
        return None

    def sections(self) -> list[str]:
        return [*self.all_meta("article:section"), *self._json_ld("articleSection")]

    def keywords(self) -> tuple[str, ...]:
        declared = [
            *self.all_meta("keywords", "news_keywords", "article:tag"),
            *self._json_ld("keywords"),
        ]
        return _unique(word for value in declared for word in value.split(","))

    def bylines(self) -> list[str]:
        """Who the page says wrote it, as written in its author meta tags."""
        declared = self.all_meta(
            "author", "article:author", "byl", "dc.creator", "parsely-author", "sailthru.author"
        )
        return [value for value in declared if not _URL_WORD.search(value)]

    def byline_elements(self, names_in: Callable[[str], list[str]]) -> list[str]:
        """Who the page shows wrote it: the ``names_in`` the first innermost short element
        marked as a byline or author (by class, itemprop, rel, id or link) that names anyone.
        A byline block also holds the date and the share links, its "By" stands in an element
        of its own, and comment forms mark their authors too. The first byline decides even
        when it names no person ("Our Foreign Staff"): later ones are other stories'. Looked
        for only when the page declares no author."""
        named: dict[HtmlElement, list[str]] = {}
        for element in self._tree.iter(*_BYLINE_TAGS):
            marks = " ".join(element.attrib.values()) if element.attrib else ""
            if (
                _BYLINE_MARKER.search(marks)
                and not _COMMENT_MARKER.search(marks)
                and not _in_quotation(element)
                and (text := _byline_text(element))
                and (
                    names := [name for name in names_in(text) if name.strip()]
                    or _handle(element, text)
                )
            ):
                named[element] = names
        innermost = set(named)
        for element in named:
            innermost.difference_update(element.iterancestors())
        return next((names for element, names in named.items() if element in innermost), [])

    def unmarked_byline(self) -> str | None:
        """The first short element reading "By Jane Doe", however it is marked up: the last
        resort, when nothing on the page is marked as its author."""
        for text in _BY_TEXTS(self._tree):
            element = text.getparent()
            if text.is_tail and element is not None:
                element = element.getparent()
            # "By" often stands in an element of its own, the name in the next one.
            while element is not None:
                line = _clean(element.text_content())
                if not line or len(line.split()) > MAX_BYLINE_WORDS:
                    break
                if _BY_NAME.match(line):
                    return line
                element = element.getparent()
        return None

    def _parties(
        self,
        roles: tuple[str, ...],
        kind: Callable[[list[str]], bool] | None = None,
        nodes: list[dict[str, Any]] | None = None,
    ) -> list[str]:
        """Names of the JSON-LD parties in ``roles`` (of a ``kind`` of ``@type``, if given) of
        the ``nodes`` given, else of every article node."""
        return [
            name
            for node in (self._linked_data if nodes is None else nodes)
            for role in roles
            for party in map(self._resolved, _json_ld_nodes(node.get(role)))
            if kind is None or kind(_strings(party.get("@type")))
            for name in _strings(party.get("name"))
        ]

    def credited_organisations(self) -> list[str]:
        """JSON-LD author, creator and source organisations: where a wire is credited."""
        return self._parties(("author", "creator", "sourceOrganization"))

    def people(self) -> list[str]:
        """The JSON-LD ``Person`` authors of the page's own article: where several articles
        name authors (cards for related stories), the one at the page's address, else the
        first."""
        is_person: Callable[[list[str]], bool] = lambda types: "Person" in types  # noqa: E731
        authored = [
            node for node in self._linked_data if self._parties(("author",), is_person, [node])
        ]
        if len(authored) > 1:
            own = [node for node in authored if self._is_own(node)]
            authored = own or authored[:1]
        return self._parties(("author",), is_person, authored)

    def _is_own(self, node: dict[str, Any]) -> bool:
        addresses = {self._url, self.canonical_url()}
        stated = [
            *_strings(node.get("url")),
            *_strings(node.get("@id")),
            *_strings(node.get("mainEntityOfPage")),
            *(
                identifier
                for entity in _json_ld_nodes(node.get("mainEntityOfPage"))
                for identifier in _strings(entity.get("@id"))
            ),
        ]
        return any(
            _same_address(url, address) for url in stated for address in addresses if address
        )

    def microdata_people(self) -> list[str]:
        """The names of the microdata ``Person`` items that are the page's ``author``: each
        ``name`` property of the person itself (not of an item inside it, its employer's),
        its ``content`` (a ``<meta>`` or ``<link>``), else its text."""
        return [
            name
            for person in _MICRODATA_AUTHORS(self._tree)
            for value in _MICRODATA_NAME(person)
            if _item_of(value) is person
            and (name := _clean(value.get("content") or value.text_content()))
        ]

    def organisations(self) -> list[str]:
        return [
            *self._parties(("publisher",)),
            *self._parties(
                ("author", "creator"),
                lambda types: any(kind.endswith("Organization") for kind in types),
            ),
        ]

    def first_meta(self, *keys: str) -> str | None:
        return next(iter(self.all_meta(*keys)), None)

    def all_meta(self, *keys: str) -> list[str]:
        return [value for key in keys for value in self._meta.get(key, ())]

    def absolute(self, href: str | None) -> str | None:
        return absolute_http_url(self._base, href)

    def url_in_meta(self, *keys: str) -> str | None:
        return next(filter(None, map(self.absolute, self.all_meta(*keys))), None)

    def canonical_url(self) -> str | None:
        return self.absolute(self._canonical) or self.url_in_meta("og:url")

    def date(
        self,
        json_ld_key: str,
        meta_keys: tuple[str, ...],
        now: datetime,
        disabled: frozenset[str] = frozenset(),
    ) -> DatedValue | None:
        """The page's own timestamp, one with a time zone first; future and absurd ones out."""
        times = self._times[json_ld_key]
        candidates = [
            *((value, "jsonld") for value in self._json_ld(json_ld_key)),
            *((value, "meta") for value in self.all_meta(*meta_keys)),
            *((value, "time") for value in times),
        ]
        if json_ld_key == "datePublished":
            candidates += [
                *((value, "time") for value in self._times[""]),
                *(
                    (match.group(0), "text")
                    for line in self.credit_lines
                    for match in _TEXT_TIMESTAMP.finditer(line)
                ),
                # A <time> outside the story and unmarked: the page's first is its own date
                # more often than a related story's.
                *((value, "time_elsewhere") for value in self._times["elsewhere"][:1]),
                *(
                    ("-".join(filter(None, match.groups())), "url")
                    for match in _URL_DATE.finditer(self._url)
                ),
            ]
        found = [
            (moment, source)
            for text, source in candidates
            if f"date_{source}" not in disabled
            and (moment := _parse_date(text))
            and _in_zone(moment, UTC) <= now + MAX_FUTURE
        ]
        found.sort(key=lambda item: item[0].tzinfo is None)
        if not found:
            return None
        moment, source = found[0]
        # An unmarked <time> elsewhere on the page is a <time> still, to whoever reads the value.
        source = source.removesuffix("_elsewhere")
        return DatedValue(_in_zone(moment, self.zone()).astimezone(UTC), source)

    def zone(self) -> tzinfo:
        """The page's own time zone: the offset of the first timestamp it declares with one.
        A day or a time stated without a zone is the publisher's local one, and the page's
        other stamps say which that is; with none, UTC is the best guess."""
        declared = [
            *self._json_ld("datePublished"),
            *self._json_ld("dateModified"),
            *self.all_meta(*_PUBLISHED_META, *_MODIFIED_META),
            *(stamp for stamps in self._times.values() for stamp in stamps),
        ]
        return next(
            (moment.tzinfo for moment in map(_parse_date, declared) if moment and moment.tzinfo),
            UTC,
        )


# XPath, evaluated in C: walking a container's every element in Python costs far more.
# Microdata Persons that are an item's author, that item not a comment (whose authors are
# readers).
_MICRODATA_AUTHORS = etree.XPath(
    "//*[@itemscope][contains(concat(' ', normalize-space(@itemprop), ' '), ' author ')]"
    "[substring(translate(@itemtype, 'PERSON', 'person'), string-length(@itemtype) - 5)"
    " = 'person'][not(ancestor::*[@itemscope][1][contains(@itemtype, 'Comment')])]"
)
_MICRODATA_NAME = etree.XPath(
    ".//*[contains(concat(' ', normalize-space(@itemprop), ' '), ' name ')]"
)
_BY_TEXTS = etree.XPath(
    "//body//text()[starts-with(normalize-space(.), 'By') or starts-with(normalize-space(.), 'by')]"
)
_SHORT_TEXTS = etree.XPath(
    ".//*[self::p or self::span or self::small or self::address or self::cite]"
    "[not(ancestor::figure) and not(ancestor::figcaption)]"
)


def _container_lines(tree: HtmlElement) -> list[str]:
    """Short texts in the story's container (each ``<article>``, else the ``<h1>``'s parent),
    outside figures and captions, whose credits are the photographer's."""
    containers = list(tree.iter("article"))
    if not containers:
        heading = next(tree.iter("h1"), None)
        parent = heading.getparent() if heading is not None else None
        containers = [parent] if parent is not None else []
    return [
        text
        for container in containers
        for element in _SHORT_TEXTS(container)
        if (text := _short_text(element))
    ]


def _byline_text(element: HtmlElement) -> str | None:
    # Names in elements of their own are separate names: "<span>A B</span><span>C D</span>".
    # The date after the names makes no byline too long to be one.
    text = _BYLINE_TAIL.sub("", ", ".join(filter(None, map(_clean, element.itertext()))))
    return text if text and len(text.split()) <= MAX_BYLINE_WORDS else None


def _handle(element: HtmlElement, text: str) -> list[str]:
    """A link marked ``rel=author`` names the author in its text, as the author writes it:
    a handle in lower case ("doumae") too, which a byline's text would not be taken for."""
    is_author_link = element.tag == "a" and "author" in _tokens(element.get("rel"))
    return [text] if is_author_link and len(text.split()) == 1 else []


def _in_quotation(element: HtmlElement) -> bool:
    """Whether the element attributes a quotation (a pull quote's "author" is the speaker)."""
    return any(
        ancestor.tag in ("blockquote", "q") or _QUOTATION_MARKER.search(ancestor.get("class") or "")
        for ancestor in element.iterancestors()
    )


def _item_of(element: HtmlElement) -> HtmlElement | None:
    """The microdata item a property belongs to: its nearest ``itemscope`` ancestor."""
    return next((item for item in element.iterancestors() if "itemscope" in item.attrib), None)


def _short_text(element: HtmlElement) -> str | None:
    text = _clean(element.text_content())
    return text if text and len(text.split()) <= MAX_BYLINE_WORDS else None


def _same_address(url: str, other: str) -> bool:
    """Whether two URLs name one page, scheme, ``www.``, fragment and a final slash aside."""

    def key(address: str) -> str:
        parts = urlsplit(address.strip())
        return (parts.netloc.removeprefix("www.") + parts.path.rstrip("/")).lower()

    return key(url) == key(other)


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


def _in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """``moment``, in ``zone`` when it states none of its own."""
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


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
    extract_page(
        _WARM_UP_PAGE,
        url="https://warm-up.invalid/",
        content_type="text/html",
        now=datetime(2025, 3, 3, tzinfo=UTC),
    )


# Every rule of the body and metadata paths that can be switched off, by name.
BODY_RULES: tuple[str, ...] = (
    *(name for name, _ in TREE_RULES),
    PRECISION_START,
    PRECISION_AGREEMENT,
    WRONG_STORY_GUARD,
    *LINE_RULE_NAMES,
)
METADATA_RULES: tuple[str, ...] = (
    TITLE_HEADING_PART,
    TITLE_SITE_SUFFIX,
    *(name for name, _ in AUTHOR_SOURCES),
    *(f"date_{source}" for source in _DATE_SOURCES),
    DATE_GUESSED,
)
RULES = BODY_RULES + METADATA_RULES
