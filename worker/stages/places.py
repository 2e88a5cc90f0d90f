"""Places: countries named by name, demonym, capital or city, resolved to ISO 3166 codes.

Names come from maintained data: pycountry (ISO names), babel's CLDR (country names and the
cities of the time-zone database, localized in en/de/fr/es) and countryinfo (English
demonyms and capitals). ``config/tags.toml`` adds only what none of them has: short forms,
names of two countries (Georgia), first names (Jordan) and inflected adjectives in
German, French and Spanish. Matching is by whole words, longest name first, case-sensitive
except for those adjectives.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from worker.models import PlaceTag
from worker.stages.tagtext import (
    TAG_LANGUAGES,
    ArticleText,
    folded,
    is_capitalised,
    name_key,
    stop_words,
)

PROVENANCE = "places:gazetteer"
_MAX_STEM_SUFFIX = 6
_REMEMBERED_WORDS = 200_000  # per language: the words of news, a few tens of megabytes
_STEM_PREFIX = 4  # stems are this long at least; their prefixes are keys too
# Time zones of places that are no country of their own, or of no one.
_NO_COUNTRY = {"AQ", "UM", "001", "ZZ"}
_PROVINCE = "province"
_PROVINCES_FROM_POPULATION = 2_000_000
_GENERIC_WORDS = frozenset(
    [
        "North",
        "South",
        "East",
        "West",
        "Central",
        "Northern",
        "Southern",
        "Eastern",
        "Western",
        "Capital",
        "Centre",
        "Center",
        "Nord",
        "Sud",
        "Ouest",
        "Est",
        "Littoral",
        "Plateau",
        "Coast",
        "Lakes",
        "Islands",
        "Upper",
        "Lower",
        "Federal",
        "District",
        "Distrito",
    ]
)


@dataclass(frozen=True)
class PlaceRules:
    """The hand-kept part of the gazetteer (``[places]`` of config/tags.toml)."""

    aliases: Mapping[str, str] = field(default_factory=dict)
    ambiguous: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    person_risk: frozenset[str] = frozenset()
    ignore: frozenset[str] = frozenset()
    stems: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    @classmethod
    def from_config(cls, table: Mapping[str, Any]) -> PlaceRules:
        return cls(
            aliases={str(name): str(code) for name, code in table.get("aliases", {}).items()},
            ambiguous={
                str(name): tuple(str(code) for code in codes)
                for name, codes in table.get("ambiguous", {}).items()
            },
            person_risk=frozenset(str(name) for name in table.get("person_risk", ())),
            ignore=frozenset(str(name) for name in table.get("ignore", ())),
            stems={
                str(language): {
                    str(code): tuple(str(stem).casefold() for stem in stems)
                    for code, stems in by_code.items()
                }
                for language, by_code in table.get("stems", {}).items()
            },
        )


@dataclass(frozen=True)
class PlaceGazetteer:
    # language -> name key -> ISO codes (more than one: ambiguous). A language has its own
    # names and the English ones: German "Island" (Iceland) is no place in English text.
    names: Mapping[str, Mapping[str, frozenset[str]]]
    stems: Mapping[str, Mapping[str, str]]  # language -> lower-case stem -> ISO code
    display: Mapping[str, str]  # ISO code -> English short name
    person_risk: frozenset[str]
    weak: frozenset[str]  # province names: a country needs two of them, or another name
    # The first word of every name, and how many words the longest name it starts has: most
    # words start none, and most names have one or two.
    first_words: Mapping[str, int]
    # language -> word -> whether a name or an adjective may start at it: what _starts learnt.
    starters: dict[str, dict[str, bool]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, rules: PlaceRules) -> PlaceGazetteer:
        names: dict[str, dict[str, set[str]]] = {
            language: defaultdict(set) for language in TAG_LANGUAGES
        }
        provinces: dict[str, set[str]] = defaultdict(set)
        for name, code, language in _package_names():
            key = name_key(name)
            if not key or name in rules.ignore or key in rules.ignore:
                continue
            if language == _PROVINCE:
                provinces[key].add(code)
                continue
            for target in TAG_LANGUAGES if language == "en" else (language,):
                names[target][key].add(code)
        weak = {key for key in provinces if not any(key in by_key for by_key in names.values())}
        for by_key in names.values():
            # A province never shadows a country or a city: Luxembourg is also a Belgian one.
            for key, codes in provinces.items():
                by_key.setdefault(key, codes)
        for by_key in names.values():
            for name, code in rules.aliases.items():
                by_key[name_key(name)] = {code} if code else set()
            for name, candidates in rules.ambiguous.items():
                by_key[name_key(name)] = set(candidates)
        stems: dict[str, dict[str, str]] = {}
        for language, by_code in rules.stems.items():
            table = stems.setdefault(language, {})
            for code, forms in by_code.items():
                for stem in map(name_key, forms):
                    table[stem] = code
                    table.setdefault(stem[:_STEM_PREFIX], "")
                    # A short word starts an adjective only as the first of two
                    # ("sud-africain"): as a key, it tells those words from the others.
                    table.setdefault(stem.split()[0][:_STEM_PREFIX], "")
        return cls(
            names={
                language: {key: frozenset(codes) for key, codes in by_key.items()}
                for language, by_key in names.items()
            },
            stems=stems,
            display=_display_names(),
            person_risk=frozenset(name_key(name) for name in rules.person_risk),
            weak=frozenset(
                weak - set(map(name_key, rules.aliases)) - set(map(name_key, rules.ambiguous))
            ),
            first_words=_first_words(key for by_key in names.values() for key in by_key),
        )

    def find(self, text: ArticleText) -> tuple[PlaceTag, ...]:
        hits: list[_Hit] = []
        for section, part in text.sections():
            hits.extend(self._hits(part, text.pieces(section), section, text.language))
        return _resolve(hits, self.display)

    def _hits(self, text: str, pieces: list[str], section: str, language: str) -> Iterable[_Hit]:
        as_written = pieces[1::2]
        keys = as_written if text.isascii() else folded(as_written)
        stems = self.stems.get(language, {})
        starts = self._starts(keys, language)
        if not starts:
            return
        names = self.names[language]
        stops = stop_words(language)
        free = 0  # the first word that no earlier name or adjective covers
        for index in starts:
            if index < free:
                continue
            if keys[index] in self.first_words:
                size, codes = self._longest_name(keys, index, names)
                if codes is not None:
                    key = " ".join(keys[index : index + size])
                    if codes and (
                        key not in self.person_risk
                        or not _beside_a_name(pieces, index, size, stops)
                    ):
                        written = _written(pieces, index, size)
                        yield _Hit(codes, section, written, weak=key in self.weak)
                    free = index + size
                    continue
            if stems and _may_start_stem(keys[index], stems):
                size, code = _stemmed(keys, index, stems)
                if code:
                    yield _Hit(frozenset({code}), section, _written(pieces, index, size))
                free = index + size

    def _starts(self, keys: list[str], language: str) -> list[int]:
        """The words that may start a name or an adjective: most words start none, and one
        look-up each says so (the adjectives' rules are asked once per new word)."""
        stems = self.stems.get(language)
        if not stems:
            return [index for index, word in enumerate(keys) if word in self.first_words]
        starters = self.starters.get(language)
        if starters is None or len(starters) > _REMEMBERED_WORDS:
            # A new table, not a cleared one: another thread may be reading the old one.
            starters = self.starters[language] = {}
        for word in set(keys).difference(starters):
            starters[word] = word in self.first_words or _may_start_stem(word, stems)
        return [index for index, word in enumerate(keys) if starters[word]]

    def _longest_name(
        self, found: list[str], index: int, names: Mapping[str, frozenset[str]]
    ) -> tuple[int, frozenset[str] | None]:
        """The longest name starting at ``index``: its size and codes (empty: a name that is
        no country, such as "Irish Sea"), or None."""
        for size in range(min(self.first_words[found[index]], len(found) - index), 0, -1):
            key = " ".join(found[index : index + size])
            codes = names.get(key)
            if codes is not None:
                return size, codes
        return 1, None


def _first_words(keys: Iterable[str]) -> dict[str, int]:
    longest: dict[str, int] = {}
    for key in keys:
        words = key.split()
        longest[words[0]] = max(longest.get(words[0], 0), len(words))
    return longest


def _may_start_stem(word: str, stems: Mapping[str, str]) -> bool:
    """Whether an adjective may start at ``word``."""
    return word.casefold()[:_STEM_PREFIX] in stems


def _stemmed(found: list[str], index: int, stems: Mapping[str, str]) -> tuple[int, str | None]:
    """An adjective or demonym of one or two words ("nord-coréenne")."""
    if not stems:
        return 1, None
    if index + 1 < len(found):
        code = _stem_code(f"{found[index]} {found[index + 1]}", stems)
        if code:
            return 2, code
    return 1, _stem_code(found[index], stems)


class _Hit(NamedTuple):  # made for every name found: half the cost of a frozen dataclass
    codes: frozenset[str]
    section: str
    written: str
    weak: bool = False  # a province's name ("Hamburg" is also a town in New York)


def _stem_code(phrase: str, stems: Mapping[str, str]) -> str | None:
    """The country whose adjective stem starts ``phrase``, with at most a few letters more."""
    lowered = phrase.casefold()
    if lowered[:_STEM_PREFIX] not in stems:  # most words start no stem: one look-up
        return None
    for cut in range(min(_MAX_STEM_SUFFIX, len(lowered) - _STEM_PREFIX), -1, -1):
        code = stems.get(lowered[: len(lowered) - cut])
        if code and (cut == 0 or lowered[len(lowered) - cut :].isalpha()):
            return code
    return None


def _written(pieces: list[str], index: int, size: int) -> str:
    """Words ``index`` to ``index + size - 1`` of :func:`words_and_gaps` as the text has them."""
    return "".join(pieces[2 * index + 1 : 2 * (index + size)])


def _beside_a_name(pieces: list[str], index: int, size: int, stops: frozenset[str]) -> bool:
    """A capitalised word that is no stop word right before or after, with nothing but white
    space between: "Michael Jordan"."""
    before, after = 2 * index, 2 * (index + size)  # the gaps around the name
    if index > 0 and not pieces[before].strip() and _name_word(pieces[before - 1], stops):
        return True
    return (
        after + 1 < len(pieces)
        and not pieces[after].strip()
        and _name_word(pieces[after + 1], stops)
    )


def _name_word(word: str, stops: frozenset[str]) -> bool:
    return is_capitalised(word) and word.casefold() not in stops


def _resolve(hits: list[_Hit], display: Mapping[str, str]) -> tuple[PlaceTag, ...]:
    """Count each country's mentions; a name of several countries counts for the one the
    article also names unambiguously (the most often named), or for none. A country named
    only by provinces needs two different ones ("Mississippi and Alabama")."""
    strong = Counter(next(iter(h.codes)) for h in hits if len(h.codes) == 1 and not h.weak)
    provinces: dict[str, set[str]] = defaultdict(set)
    for hit in hits:
        if len(hit.codes) == 1 and hit.weak:
            provinces[next(iter(hit.codes))].add(hit.written)
    hits = [
        hit
        for hit in hits
        if not hit.weak or any(strong[code] or len(provinces[code]) >= 2 for code in hit.codes)
    ]
    certain = Counter(next(iter(hit.codes)) for hit in hits if len(hit.codes) == 1)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    written: dict[str, list[str]] = defaultdict(list)
    for hit in hits:
        if len(hit.codes) == 1:
            code = next(iter(hit.codes))
        else:
            named = [code for code in hit.codes if certain[code]]
            if not named:
                continue
            code = max(sorted(named), key=lambda candidate: certain[candidate])
        counts[code][hit.section] += 1
        if hit.written not in written[code]:
            written[code].append(hit.written)
    tags = [
        PlaceTag(
            code=code,
            name=display.get(code, code),
            count=sum(by_section.values()),
            title=by_section["title"],
            lead=by_section["lead"],
            body=by_section["body"],
            names=tuple(written[code]),
            by=PROVENANCE,
        )
        for code, by_section in counts.items()
    ]
    # Most prominent first: named in the title, then in the lead, then most often.
    tags.sort(key=lambda tag: (-tag.title, -tag.lead, -tag.count, tag.code))
    return tuple(tags)


def _package_names() -> Iterable[tuple[str, str, str]]:
    """(name, ISO code, language) from the packages; English names count in every language."""
    import pycountry
    from babel import Locale
    from babel.core import get_global
    from countryinfo import all_countries

    codes = {country.alpha_2 for country in pycountry.countries}
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            name = getattr(country, attribute, None)
            if name and "," not in name:
                yield name.removeprefix("the "), country.alpha_2, "en"
    for language in TAG_LANGUAGES:
        for code, name in Locale.parse(language).territories.items():
            if code in codes:
                yield name, code, language
    # The exemplar cities of the time-zone database, as CLDR names them in each language
    # (babel's get_timezone_location does the same, but loads every zone's rules first).
    zones = [
        (zone, code)
        for zone, code in get_global("zone_territories").items()
        if zone.count("/") == 1 and code in codes and code not in _NO_COUNTRY
    ]
    for language in TAG_LANGUAGES:
        localized = Locale.parse(language).time_zones
        for zone, code in zones:
            city = (localized.get(zone) or {}).get("city")
            yield city or zone.split("/")[1].replace("_", " "), code, language
    # A demonym two countries share is the larger one's: "Norwegian" is Norway's, not
    # Svalbard's.
    demonyms: dict[str, tuple[int, str]] = {}
    for info in all_countries():
        data = info.info()
        code = (data.get("ISO") or {}).get("alpha2")
        if code not in codes:
            continue
        population = data.get("population") or 0
        demonym, capital = data.get("demonym"), data.get("capital")
        if isinstance(demonym, str) and demonym:
            demonyms[demonym] = max(demonyms.get(demonym, (-1, "")), (population, code))
        if isinstance(capital, str) and capital:
            yield capital, code, "en"
        # States and provinces of countries large enough for their names to be news: a
        # parish of Bermuda is called Southampton.
        if population >= _PROVINCES_FROM_POPULATION:
            for province in data.get("provinces") or ():
                if isinstance(province, str) and not _GENERIC_WORDS.issuperset(province.split()):
                    yield province, code, _PROVINCE
    for demonym, (_, code) in demonyms.items():
        yield demonym, code, "en"
        yield f"{demonym}s", code, "en"


def _display_names() -> dict[str, str]:
    from babel import Locale

    return {code: name for code, name in Locale.parse("en").territories.items() if len(code) == 2}
