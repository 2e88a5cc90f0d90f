"""People and organisations: a spaCy pipeline when one is installed, else titled names and
organisation patterns, both merged with a gazetteer of aliases (``[entities]`` of
config/tags.toml).

The deterministic path aims at precision: a person is two or more capitalised words after a
title ("President Vladimir Putin", "first Vice Minister Kim Hong-kyun"), an organisation a
capitalised phrase that ends (English, German) or starts (French, Spanish) with a word such
as Council, Ministry, Bank or Party. A later mention by surname alone counts for a person
already found.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any, NamedTuple, Protocol

from worker.models import EntityTag
from worker.stages.tagtext import ArticleText, any_of, any_word_of, stop_words

GAZETTEER = "entities:gazetteer"
TITLED_NAMES = "entities:titles"
ORGANISATION_PATTERNS = "entities:patterns"

_APOSTROPHES = "'\u2019"
_NAME_WORD = re.compile(rf"[^\W\d_]+(?:[-{_APOSTROPHES}][^\W\d_]+)*")
_POSSESSIVE = re.compile(rf"[{_APOSTROPHES}]s$")
_POSSESSIVE_ENDINGS = tuple(f"{apostrophe}s" for apostrophe in _APOSTROPHES)
_NAME_PARTICLES = frozenset({"de", "van", "von", "bin", "al", "da", "di", "del", "der", "la", "le"})
_ORG_HEADS_AFTER = frozenset(
    [
        "Ministry",
        "Council",
        "Commission",
        "Bank",
        "Party",
        "Agency",
        "Court",
        "Parliament",
        "Union",
        "Organisation",
        "Organization",
        "Association",
        "Federation",
        "Institute",
        "University",
        "Committee",
        "Department",
        "Assembly",
        "Senate",
        "Congress",
        "Authority",
        "Fund",
        "Corporation",
        "Company",
        "Group",
        "Airlines",
        "Army",
        "Navy",
        "Bureau",
        "Office",
        "Service",
        "Forces",
        "Alliance",
        "Foundation",
        "Reserve",
    ]
)
_ORG_HEADS_BEFORE = frozenset(
    [
        "Ministry",
        "Bank",
        "Court",
        "University",
        "Department",
        "Institute",
        "Banque",
        "Conseil",
        "Parti",
        "Ministère",
        "Commission",
        "Cour",
        "Assemblée",
        "Banco",
        "Consejo",
        "Partido",
        "Ministerio",
        "Comisión",
        "Corte",
        "Tribunal",
        "Congreso",
        "Senado",
    ]
)
_ORG_CONNECTORS = frozenset({"of", "for", "and", "de", "du", "des", "del", "la", "d"})
# A title word that starts a place's name: "Prince Edward Island", "Princess Auto Stadium".
_NOT_PERSON_ENDINGS = frozenset(
    [
        "Island",
        "Islands",
        "Stadium",
        "Street",
        "Avenue",
        "Park",
        "Bridge",
        "Square",
        "Hall",
        "Airport",
        "Tower",
        "Centre",
        "Center",
        "Cup",
        "Prize",
        "Award",
        "Hotel",
        "Palace",
        "Road",
    ]
)
# A word that may head an organisation's name, as written (possibly with a possessive 's).
_HEAD_FORMS = frozenset(
    head + ending
    for head in _ORG_HEADS_AFTER | _ORG_HEADS_BEFORE
    for ending in ("", *_POSSESSIVE_ENDINGS)
)
_LETTER = r"[^\W\d_]"
_JOINER = rf"[-{_APOSTROPHES}]"


def _whole_name_words(forms: Iterable[str]) -> str:
    """Any of ``forms`` as a whole word of :data:`_NAME_WORD`'s, found without reading every
    word: neither a letter nor a letter and a joiner right before it ("Anti-Bank" is one word),
    nor after it. Each check before comes after the first letter, which lets the engine jump
    from one first letter to the next (see tagtext.any_word_of)."""
    by_first: dict[str, list[str]] = {}
    for form in forms:
        by_first.setdefault(re.escape(form[0]), []).append(form[1:])
    branches = [
        rf"{first}(?<!{_LETTER}{first})(?<!{_LETTER}{_JOINER}{first}){any_of(rests)}"
        for first, rests in sorted(by_first.items())
    ]
    return rf"(?:{'|'.join(branches)})(?!{_LETTER}|{_JOINER}{_LETTER})"


_HEAD_WORD = re.compile(_whole_name_words(_HEAD_FORMS))
_GERMAN_ORG_SUFFIXES = ("ministerium", "gericht", "partei", "verband", "gewerkschaft", "bank")
# A suffix where a word of _NAME_WORD's ends, but for a possessive 's.
_GERMAN_ORG_SUFFIX = re.compile(
    rf"{any_of(_GERMAN_ORG_SUFFIXES)}(?:[{_APOSTROPHES}]s)?(?!{_LETTER}|{_JOINER}{_LETTER})"
)
_MAX_RUN_BEFORE = 4  # words of an organisation's name before its head word
_MAX_RUN_AFTER = 5


@dataclass(frozen=True)
class KnownEntity:
    name: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class EntityRules:
    """Titles before names, words that end a name, and the known people and organisations."""

    titles: tuple[str, ...] = ()
    name_breakers: frozenset[str] = frozenset()
    people: tuple[KnownEntity, ...] = ()
    organisations: tuple[KnownEntity, ...] = ()

    @classmethod
    def from_config(cls, table: Mapping[str, Any]) -> EntityRules:
        def known(items: Iterable[Mapping[str, Any]]) -> tuple[KnownEntity, ...]:
            return tuple(
                KnownEntity(str(item["name"]), tuple(str(a) for a in item.get("aliases", ())))
                for item in items
            )

        return cls(
            titles=tuple(str(title) for title in table.get("titles", ())),
            name_breakers=frozenset(str(word) for word in table.get("name_breakers", ())),
            people=known(table.get("people", ())),
            organisations=known(table.get("organisations", ())),
        )


class NamedEntityModel(Protocol):
    """What a statistical recogniser gives: (label, text) pairs; spaCy's pipeline fits."""

    name: str
    language: str

    def entities(self, text: str) -> list[tuple[str, str]]: ...


@dataclass(frozen=True)
class Found:
    people: tuple[EntityTag, ...]
    organisations: tuple[EntityTag, ...]


class EntityFinder:
    def __init__(self, rules: EntityRules, model: NamedEntityModel | None = None) -> None:
        self._model = model
        self._breakers = rules.name_breakers
        self._canonical_person = _alias_table(rules.people)
        self._canonical_organisation = _alias_table(rules.organisations)
        self._aliases = _alias_pattern((*self._canonical_person, *self._canonical_organisation))
        # A leading look-behind, not any_word_of's: lower-case titles start at nearly every
        # letter of the text, and the look-behind turns most of them away sooner.
        titles = rf"(?<!\w){any_of({title.lower() for title in rules.titles})}(?!\w)\s+"
        self._titles = re.compile(titles, re.IGNORECASE)
        # Case-insensitive matching costs the engine a case fold at every character: on the
        # lower-cased text, where it has the same positions, case-sensitive matching is faster.
        self._lower_case_titles = re.compile(titles)

    def find(self, text: ArticleText) -> Found:
        full = text.full
        people: dict[str, str] = {}
        organisations: dict[str, str] = {}
        masked_parts: list[str] = []  # the text with each known name blanked out
        end = 0
        for match in self._aliases.finditer(full):
            alias = match.group()
            if alias in self._canonical_person:
                people.setdefault(self._canonical_person[alias], GAZETTEER)
            else:
                organisations.setdefault(self._canonical_organisation[alias], GAZETTEER)
            masked_parts += (full[end : match.start()], " " * len(alias))
            end = match.end()
        masked = "".join(masked_parts) + full[end:]
        if self._model is not None and self._model.language == text.language:
            for label, name in self._model.entities(full):
                name = _POSSESSIVE.sub("", name.strip())
                if label in ("PERSON", "PER"):
                    target = self._canonical_person.get(name, name)
                    people.setdefault(target, f"spacy:{self._model.name}")
                elif label == "ORG":
                    target = self._canonical_organisation.get(name, name)
                    organisations.setdefault(target, f"spacy:{self._model.name}")
        else:
            stops = stop_words(text.language) | self._breakers
            for name in self._titled_names(masked, stops):
                people.setdefault(self._canonical_person.get(name, name), TITLED_NAMES)
            for name in _organisation_phrases(masked, text.language, stops):
                organisations.setdefault(name, ORGANISATION_PATTERNS)
        people = _merge_surnames(people)
        return Found(
            people=_counted(people, full, self._canonical_person, surnames=True),
            organisations=_counted(organisations, full, self._canonical_organisation),
        )

    def _titled_names(self, text: str, stops: frozenset[str]) -> Iterable[str]:
        lowered = text.lower()
        if len(lowered) == len(text):
            titles = self._lower_case_titles.finditer(lowered)
        else:
            titles = self._titles.finditer(text)
        for title in titles:
            parts = _capitalised_run(text, title.end(), stops)
            # A second title before the name: "Energy Minister Prince Abdulaziz bin Salman".
            while parts and self._titles.fullmatch(parts[0] + " "):
                parts.pop(0)
            if len(parts) >= 2 and parts[-1] not in _NOT_PERSON_ENDINGS:
                yield " ".join(parts)


def _capitalised_run(text: str, position: int, stops: frozenset[str]) -> list[str]:
    parts: list[str] = []
    while len(parts) < 4:
        word = _NAME_WORD.match(text, position)
        if word is None:
            break
        value = word.group()
        possessive = bool(_POSSESSIVE.search(value))
        value = _POSSESSIVE.sub("", value)
        particle = bool(parts) and value.casefold() in _NAME_PARTICLES
        if not particle and (not value[:1].isupper() or value.casefold() in stops):
            break
        parts.append(value)
        position = word.end()
        if possessive or not text.startswith(" ", position):
            break
        position += 1
    while parts and parts[-1].casefold() in _NAME_PARTICLES:
        parts.pop()
    return parts


class _Word(NamedTuple):
    text: str  # without a possessive 's
    start: int
    end: int
    possessive: bool


def _word(match: re.Match[str]) -> _Word:
    value = match.group()
    possessive = value.endswith(_POSSESSIVE_ENDINGS)
    return _Word(value[:-2] if possessive else value, match.start(), match.end(), possessive)


def _organisation_phrases(text: str, language: str, stops: frozenset[str]) -> Iterable[str]:
    if language == "de":
        # Only the words that end with a suffix, found by one pattern, not every word.
        for suffix in _GERMAN_ORG_SUFFIX.finditer(text):
            start = text.rfind(" ", 0, suffix.start()) + 1
            ending = next(w for w in _NAME_WORD.finditer(text, start) if w.end() >= suffix.end())
            value = _word(ending).text
            if value[:1].isupper() and value.endswith(_GERMAN_ORG_SUFFIXES) and len(value) > 12:
                yield value
        return
    # The words around each head word, not every word of the text: what the runs before
    # and after a head can reach.
    for head in _HEAD_WORD.finditer(text):
        matches = _words_before(text, head.start(), _MAX_RUN_BEFORE)
        index = len(matches)
        matches += islice(_NAME_WORD.finditer(text, head.start()), _MAX_RUN_AFTER + 1)
        word = _word(matches[index])
        if word.text in _ORG_HEADS_AFTER and language == "en":
            before = _run_before(matches, index, stops)
            if before:
                # "Reserve Bank" goes on: "Reserve Bank of Australia".
                after = [] if word.possessive else _run_after(matches, index, text)
                if after and after[0] not in ("of", "for"):
                    after = []
                yield " ".join([*before, word.text, *after])
                continue
        if word.text in _ORG_HEADS_BEFORE and not word.possessive:
            after = _run_after(matches, index, text)
            if after:
                yield " ".join([word.text, *after])


def _words_before(text: str, end: int, count: int) -> list[re.Match[str]]:
    """The last ``count`` words (:data:`_NAME_WORD`) before ``end``, a word's start, as a
    reading of the whole text finds them: no word holds a space, so one read from just after a
    space finds the same words from there on."""
    start = end
    while start > 0:
        start = text.rfind(" ", 0, start - 1) + 1
        found = list(_NAME_WORD.finditer(text, start, end))
        if len(found) >= count:
            return found[-count:]
    return list(_NAME_WORD.finditer(text, 0, end))


def _run_before(matches: list[re.Match[str]], index: int, stops: frozenset[str]) -> list[str]:
    """Capitalised words right before ``index``; an owner ("UNESCO's") is not part of it."""
    run: list[str] = []
    position = index - 1
    while position >= 0 and len(run) < _MAX_RUN_BEFORE:
        word = _word(matches[position])
        if (
            matches[position + 1].start() - word.end != 1
            or word.possessive
            or not word.text[:1].isupper()
            or word.text.casefold() in stops
        ):
            break
        run.insert(0, word.text)
        position -= 1
    return run


def _run_after(matches: list[re.Match[str]], index: int, text: str) -> list[str]:
    """Capitalised words and connectors right after ``index`` ("de la República Argentina")."""
    run: list[str] = []
    position = index + 1
    while position < len(matches) and len(run) < _MAX_RUN_AFTER:
        word = _word(matches[position])
        if word.start - matches[position - 1].end() != 1 or text[word.start - 1] != " ":
            break
        if word.text not in _ORG_CONNECTORS and not word.text[:1].isupper():
            break
        run.append(word.text)
        position += 1
        if word.possessive:
            break
    while run and run[-1] in _ORG_CONNECTORS:
        run.pop()
    return run


def _alias_table(known: tuple[KnownEntity, ...]) -> dict[str, str]:
    table = {}
    for entity in known:
        table[entity.name] = entity.name
        for alias in entity.aliases:
            table[alias] = entity.name
    return table


def _alias_pattern(aliases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(any_word_of(aliases))


def _occurrences(text: str, forms: Iterable[str]) -> int:
    """How often any of ``forms`` occurs as whole words, as ``findall`` of
    :func:`any_word_of` counts them (the longest at each place, none inside another), without
    compiling a pattern for each new name: that cost more than the rest of the tagging."""
    found = []  # (start, -end): the longest first where several start at one place
    for form in forms:
        start = text.find(form)
        while start != -1:
            end = start + len(form)
            if not (_is_word_character(text, start - 1) or _is_word_character(text, end)):
                found.append((start, -end))
            start = text.find(form, start + 1)
    count, free = 0, 0
    for start, negative_end in sorted(found):
        if start >= free:
            count, free = count + 1, -negative_end
    return count


def _is_word_character(text: str, index: int) -> bool:
    """What ``\\w`` matches, at ``index`` of ``text`` (nothing outside it)."""
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")


def _merge_surnames(people: dict[str, str]) -> dict[str, str]:
    """ "Putin" alone is the Vladimir Putin found elsewhere, when only one person has it."""
    full = [name for name in people if " " in name]
    merged = {}
    for name, by in people.items():
        if " " not in name and sum(other.split()[-1] == name for other in full) == 1:
            continue
        merged[name] = by
    return merged


def _counted(
    found: dict[str, str], text: str, canonical: Mapping[str, str], *, surnames: bool = False
) -> tuple[EntityTag, ...]:
    counts: Counter[str] = Counter()
    spellings = {name: {name} for name in found}
    for alias, name in canonical.items():
        if name in spellings:
            spellings[name].add(alias)
    if surnames:
        last_words = Counter(name.split()[-1] for name in found if " " in name)
        for name in found:
            last = name.split()[-1]
            if " " in name and len(last) >= 3 and last_words[last] == 1:
                spellings[name].add(last)
    for name, forms in spellings.items():
        counts[name] = max(1, _occurrences(text, forms))
    tags = [EntityTag(name=name, count=counts[name], by=by) for name, by in found.items()]
    tags.sort(key=lambda tag: (-tag.count, tag.name))
    return tuple(tags)


class SpacyModel:
    """A spaCy pipeline as a :class:`NamedEntityModel` (any pipeline with an ``ner`` or an
    ``entity_ruler``)."""

    def __init__(self, nlp: Any, name: str) -> None:
        self._nlp = nlp
        self.name = name
        self.language = str(nlp.lang)

    def entities(self, text: str) -> list[tuple[str, str]]:
        return [(entity.label_, entity.text) for entity in self._nlp(text).ents]


def load_spacy_model(name: str) -> SpacyModel | None:
    """The installed spaCy pipeline ``name``; None when spaCy or the pipeline is missing,
    and the deterministic extractor does the work."""
    if not name:
        return None
    try:
        import spacy
    except ImportError:
        return None
    try:
        nlp = spacy.load(name, disable=["parser", "lemmatizer", "tagger", "attribute_ruler"])
    except OSError:  # spaCy's error for a pipeline that is not installed
        return None
    return SpacyModel(nlp, name)
