"""Tag stage: what a consumer can route on.

Places, people, organisations, topics and keywords, each tag with the extractor that produced
it (``by``). What the packages do not know comes from ``config/tags.toml``; see
:mod:`worker.stages.places`, :mod:`worker.stages.entities` and :mod:`worker.stages.topics`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from copy import copy
from typing import Any

from worker.errors import ConfigError
from worker.models import ExtractedPage, FeedEntry, KeywordTag, Tags
from worker.stages import keywords
from worker.stages.entities import EntityFinder, EntityRules, NamedEntityModel
from worker.stages.places import PlaceGazetteer, PlaceRules
from worker.stages.tagtext import TAG_LANGUAGES, ArticleText, stop_words
from worker.stages.topics import TopicClassifier

KEYWORDS = "keywords:yake"
KEYWORD_COUNT = 5


class Tagger:
    """Built once per process (the gazetteer takes about a second); then pure."""

    def __init__(self, config: Mapping[str, Any], *, model: NamedEntityModel | None = None) -> None:
        self.places = PlaceGazetteer.build(PlaceRules.from_config(config.get("places", {})))
        self._entity_rules = EntityRules.from_config(config.get("entities", {}))
        self.entities = EntityFinder(self._entity_rules, model)
        self.topics = TopicClassifier.from_config(config.get("topics", {}))
        for language in TAG_LANGUAGES:  # read now, before a worker forks, not per process
            stop_words(language)

    def with_model(self, model: NamedEntityModel | None) -> Tagger:
        """The same tagger with a statistical model for people and organisations."""
        tagger = copy(self)
        tagger.entities = EntityFinder(self._entity_rules, model)
        return tagger

    @classmethod
    def from_toml(cls, text: str, *, source: str, model: NamedEntityModel | None = None) -> Tagger:
        try:
            return cls(tomllib.loads(text), model=model)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"tags: {source}: {error}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ConfigError(f"tags: {source}: invalid entry: {error!r}") from None

    def tag(self, page: ExtractedPage, entry: FeedEntry) -> Tags:
        text = ArticleText.of(page.title, page.text, page.language)
        categories = _unique(page.categories)
        feed_tags = _unique(entry.feed_tags)
        found = self.entities.find(text)
        return Tags(
            language=page.language,
            feed=feed_tags,
            categories=categories,
            places=self.places.find(text),
            people=found.people,
            organisations=found.organisations,
            topics=self.topics.classify(text, (*categories, *feed_tags)),
            keywords=key_phrases(text),
        )


def key_phrases(text: ArticleText) -> tuple[KeywordTag, ...]:
    """Key phrases of up to two words from the title and the lead: a news story says what it
    is about there, and YAKE on the whole body cost six times as much (measured by
    benchmarks/tagging.py). YAKE's score is lower for better phrases, ours higher."""
    found = keywords.key_phrases(f"{text.title}\n\n{text.lead}", text.language, KEYWORD_COUNT)
    return tuple(
        KeywordTag(text=phrase, score=round(1.0 - score, 4), by=KEYWORDS) for phrase, score in found
    )


def _unique(values: tuple[str, ...]) -> tuple[str, ...]:
    """Order kept, case-insensitive duplicates and blanks dropped."""
    seen: set[str] = set()
    kept = []
    for value in (v.strip() for v in values):
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return tuple(kept)
