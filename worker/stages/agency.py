"""Which wire agencies a story credits: in its byline, its dateline, a credit line, its JSON-LD.

Outlets credit the wire in a handful of set forms: a byline that names the agency ("By
Agence France-Presse", "APA/dpa"), a dateline before the first sentence ("SEOUL (AFP) -",
"Hamburg (dpa) -"), a credit line of its own ("© AFP", "Source: Reuters", "with AFP",
"AP contributed to this report"), or the JSON-LD author, creator or source organisation.
Only those places are read: an agency named inside the story ("Reuters reported ...") is
news, not a credit. Short acronyms match in capitals only ("AP", "PA"), names in any case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

# Canonical name first, then the spellings outlets use for it.
AGENCIES: tuple[tuple[str, ...], ...] = (
    ("AFP", "AFP", "Agence France-Presse", "Agence France Presse"),
    ("AP", "AP", "Associated Press", "The Associated Press"),
    ("Reuters", "Reuters", "Thomson Reuters"),
    ("dpa", "dpa", "DPA", "Deutsche Presse-Agentur", "Deutsche Presse Agentur"),
    ("EFE", "EFE", "Agencia EFE"),
    ("ANSA", "ANSA", "Agenzia ANSA"),
    ("Xinhua", "Xinhua", "Xinhua News Agency"),
    ("Kyodo", "Kyodo", "Kyodo News"),
    ("Yonhap", "Yonhap", "Yonhap News Agency"),
    ("PA", "PA", "PA Media", "PA Wire", "Press Association"),
    ("UPI", "UPI", "United Press International"),
    ("ANP", "ANP", "Algemeen Nederlands Persbureau"),
    ("AAP", "AAP", "Australian Associated Press"),
    ("PTI", "PTI", "Press Trust of India"),
    ("IANS", "IANS", "Indo-Asian News Service"),
    ("TASS", "TASS", "ITAR-TASS"),
    ("APA", "APA", "Austria Presse Agentur"),
    ("Keystone-SDA", "Keystone-SDA", "SDA", "Keystone-ATS", "ATS"),
    ("KNA", "KNA", "Katholische Nachrichten-Agentur"),
    ("epd", "epd", "Evangelischer Pressedienst"),
    ("Belga", "Belga"),
    ("Lusa", "Lusa", "Agência Lusa"),
    ("Europa Press", "Europa Press"),
    ("ANI", "ANI", "Asian News International"),
    ("Anadolu", "Anadolu", "Anadolu Agency", "Anadolu Ajans\u0131"),
    ("Interfax", "Interfax"),
    ("RIA Novosti", "RIA Novosti"),
    ("CP", "The Canadian Press", "Canadian Press"),
    ("PAP", "PAP", "Polska Agencja Prasowa"),
    ("CTK", "ČTK", "CTK"),
    ("NTB", "NTB"),
    ("TT", "TT Nyhetsbyrån"),
    ("Ritzau", "Ritzau"),
    ("STT", "STT"),
    ("Bernama", "Bernama"),
    ("Antara", "Antara"),
    ("IRNA", "IRNA"),
    ("WAFA", "WAFA"),
    ("KCNA", "KCNA", "Korean Central News Agency"),
    ("Bloomberg", "Bloomberg News"),
)

# A credit line starts with one of these (in the languages the simulated web and the corpus
# use) or is nothing but agency names, separators and a timestamp.
_CREDIT_OPENERS = (
    r"\u00a9|\(c\)|[-\u2013\u2014/|]|(?:copyright|source|sources|quelle|quellen|fuente|fuentes"
    r"|fonte|with|mit|avec|con|by|von|par|por|di|via|agency|agencies|agences|agenturen)\b"
)
_CREDIT_CLOSERS = r"contributed to this report|contributed reporting|a contribué"
_MAX_CREDIT_WORDS = 12
MAX_ACRONYM_LENGTH = 5
_DATELINE_REACH = 160  # characters: a dateline stands before the first sentence


def _is_acronym(alias: str) -> bool:
    # Acronyms must be capitals ("AP", not "ap"); names match in any case.
    return alias.isupper() and len(alias) <= MAX_ACRONYM_LENGTH


def _spelling(alias: str) -> str:
    escaped = re.escape(alias)
    return escaped if _is_acronym(alias) else f"(?i:{escaped})"


@cache
def _matcher() -> tuple[re.Pattern[str], dict[str, str]]:
    canonical: dict[str, str] = {}
    for names in AGENCIES:
        for alias in names[1:]:
            canonical[alias if _is_acronym(alias) else alias.casefold()] = names[0]
    aliases = sorted((alias for names in AGENCIES for alias in names[1:]), key=len, reverse=True)
    pattern = re.compile(rf"(?<![\w-])(?:{'|'.join(map(_spelling, aliases))})(?![\w-])")
    return pattern, canonical


def _named(text: str) -> list[str]:
    pattern, canonical = _matcher()
    found = []
    for match in pattern.finditer(text):
        alias = match.group(0)
        found.append(canonical[alias] if _is_acronym(alias) else canonical[alias.casefold()])
    return found


_DATELINE = re.compile(r"\(([^()]{2,40})\)\s*[-\u2013\u2014:]")
_CREDIT_LINE = re.compile(rf"^[^\w\u00a9(]*(?:{_CREDIT_OPENERS})|(?:{_CREDIT_CLOSERS})\W*$", re.I)
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?")


def credited_in_byline(names: Iterable[str]) -> list[str]:
    """Agencies among bylines, authors or organisations: "APA/dpa", "Associated Press"."""
    return [agency for name in names for agency in _named(name)]


def credited_in_dateline(first_paragraph: str) -> list[str]:
    """Agencies in the dateline before the first sentence: "SEOUL (AFP) -"."""
    match = _DATELINE.search(first_paragraph[:_DATELINE_REACH])
    return _named(match.group(1)) if match else []


def credited_in_line(line: str) -> list[str]:
    """Agencies in a credit line standing alone: "© AFP", "Source: Reuters", "with AFP"."""
    stripped = _TIMESTAMP.sub("", line).strip()
    if not stripped or len(stripped.split()) > _MAX_CREDIT_WORDS:
        return []
    named = _named(stripped)
    if not named:
        return []
    rest = _matcher()[0].sub("", stripped)
    if _CREDIT_LINE.search(stripped) or not re.search(r"\w", rest):
        return named
    return []


def is_agency(name: str) -> bool:
    """Whether a byline name is an agency (or agencies) rather than a person."""
    rest = _matcher()[0].sub("", name)
    return bool(_named(name)) and not re.search(
        r"\w{3,}", re.sub(r"(?i)\b(?:and|und|et)\b", "", rest)
    )


def without_trailing_agency(name: str) -> str:
    """A byline name less the agency credited after it: "Jane Doe The Associated Press"."""
    last = next(reversed(list(_matcher()[0].finditer(name))), None)
    if last is None or name[last.end() :].strip() or not name[: last.start()].strip():
        return name
    return name[: last.start()].rstrip(" ,/-")


def detect_agencies(
    *, bylines: Iterable[str], lines: Iterable[str], first_paragraph: str | None
) -> tuple[str, ...]:
    """The agencies credited, each once, in the order found: bylines, dateline, credit lines."""
    found = [
        *credited_in_byline(bylines),
        *(credited_in_dateline(first_paragraph) if first_paragraph else ()),
        *(agency for line in lines for agency in credited_in_line(line)),
    ]
    return tuple(dict.fromkeys(found))
