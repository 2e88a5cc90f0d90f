"""The labelled evaluation set for story clustering, built from the demo catalog.

Every base story (each original story of the demo, and the first republication of each wire
story) is served again under ``/eval/...`` and republished by three other outlets, each copy
with a recipe of edits applied here by code, so that every edit is exact and recorded in
``Article.edits``. Beside them sit the hard negatives, which must stay separate stories:
different stories in one outlet's template, the same event told by two agencies
(``evalset_texts.SAME_EVENTS``) and later write-throughs of running wire stories
(``evalset_texts.RUNNING_UPDATES``). ``story_id`` is the truth: two articles are one story
exactly when their ``story_id`` is equal.

SimWeb serves it under ``/opml-evalset.xml``; ``benchmarks/dedupe.py`` measures on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta
from itertools import combinations
from typing import Literal

from worker.simweb import catalog
from worker.simweb.evalset_texts import RUNNING_UPDATES, SAME_EVENTS
from worker.simweb.model import Article, Edit, Feed, Outlet

PREFIX = "/eval"
COPIES_PER_STORY = 3
TRACKING_QUERY = "utm_source=twitter&utm_medium=social&utm_campaign=wire&fbclid=IwAR0eval"

RECIPES: tuple[tuple[Edit, ...], ...] = (
    ("headline_rewrite",),
    ("cut_ending",),
    ("reworded_lede",),
    ("local_paragraph",),
    ("dateline", "agency_credit"),
    ("agency_footer",),
    ("related_block",),
    ("tracking_parameters",),
    ("headline_rewrite", "cut_ending", "agency_footer"),
    ("reworded_lede", "local_paragraph", "related_block"),
    ("cut_ending", "reworded_lede", "tracking_parameters"),
    ("dateline", "related_block", "agency_footer", "headline_rewrite"),
)
"""Copy number j of base story i gets ``RECIPES[(COPIES_PER_STORY * i + j) % len(RECIPES)]``:
every recipe, and so every edit kind, occurs about equally often."""

NAMELESS_TEMPLATES = ("newsdesk24", "northbridgepost")
"""Templates whose pages name no canonical URL. Only their pages get an exact copy on the
syndication host as well: all simulated outlets share one host (127.0.0.1), so a byte copy
of a page naming its canonical would be the same article by the same-site rule."""

HardNegativeKind = Literal["same_template", "same_topic_other_agency", "running_story_update"]


@dataclass(frozen=True)
class HardNegative:
    kind: HardNegativeKind
    first: str  # Article.key
    second: str


_HEADLINES = {
    "en": "What we know: {title}",
    "de": "Was bekannt ist: {title}",
    "fr": "Ce que l'on sait : {title}",
    "es": "Lo que se sabe: {title}",
}
_LEDES = {
    "en": "{title}, {credit} reported.",
    "de": "{title}, wie {credit} berichtet.",
    "fr": "{title}, rapporte {credit}.",
    "es": "{title}, informó {credit}.",
}
_LOCAL = {
    "en": "Readers in {country} with family in the affected area can call the consular "
    "hotline, a spokesperson for the foreign ministry told {outlet} on Sunday evening.",
    "de": "Leserinnen und Leser aus {country}, die Angehörige in der Region haben, erreichen "
    "die Hotline des Aussenministeriums, sagte ein Sprecher am Sonntagabend zu {outlet}.",
    "fr": "Les lecteurs de {country} ayant des proches dans la région peuvent joindre la "
    "cellule de crise du ministère, a indiqué dimanche soir un porte-parole au {outlet}.",
    "es": "Los lectores de {country} con familiares en la zona pueden llamar a la línea "
    "consular, dijo el domingo por la noche un portavoz de la cancillería a {outlet}.",
}
_STAFF = {
    "en": ("Staff and agencies",),
    "de": ("Redaktion mit Agenturen",),
    "fr": ("La rédaction avec agences",),
    "es": ("Redacción con agencias",),
}
_FOOTERS = {
    "en": "© 2026 {credit}. All rights reserved. This material may not be published, "
    "broadcast, rewritten or redistributed without permission.",
    "de": "© 2026 {credit}. Alle Rechte vorbehalten. Weiterverbreitung nur mit Genehmigung.",
    "fr": "© 2026 {credit}. Tous droits de reproduction et de représentation réservés.",
    "es": "© 2026 {credit}. Todos los derechos reservados. Prohibida su reproducción.",
}
_RELATED = {"en": "Related:", "de": "Mehr zum Thema:", "fr": "À lire aussi :", "es": "Lea también:"}
_DATELINE_CITIES = ("LONDON", "NEW YORK", "PARIS", "BERLIN", "SYDNEY", "TORONTO")
_DASHES = "\u2014\u2013-"  # em dash, en dash, hyphen
_DATELINE = re.compile(rf"^[A-ZÀ-Þ][A-ZÀ-Þa-z .,'-]*\([^)]*\)\s*[{_DASHES}]\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?»\"])\s+(?=[A-ZÀ-ÖØ-Þ«\"¿¡])")
_TEMPLATE_LANGUAGES = {"seelandcourrier": ("de", "fr")}
"""Templates that only render some languages (their labels exist in those alone)."""
_COUNTRIES = {"GB": "Britain", "PK": "Pakistan", "US": "the United States", "CA": "Canada"}
_COUNTRIES |= {"AU": "Australia", "DE": "Germany", "AT": "Austria", "CH": "Switzerland"}
_COUNTRIES |= {"FR": "France", "AR": "Argentina"}


def _credit(base: Article) -> str:
    if base.agency:
        return base.agency
    return catalog.outlet(base.outlet).name


def _bases() -> tuple[Article, ...]:
    """The demo's original stories and the first republication of each wire story."""
    originals = [a for a in catalog.ARTICLES if a.agency is None and a.exact_copy_of is None]
    first_of_wire: dict[str, Article] = {}
    for article in catalog.ARTICLES:  # oldest first
        if article.agency is not None and article.exact_copy_of is None:
            first_of_wire.setdefault(article.story_id, article)
    bases = [*originals, *first_of_wire.values()]
    return tuple(
        replace(article, path=PREFIX + article.path, edits=(), exact_copy_of=None)
        for article in sorted(bases, key=lambda a: (a.published, a.key))
    )


def _republishers(base: Article) -> list[Outlet]:
    """Outlets with a page template other than the base's own, its language first."""
    others = [
        o
        for o in catalog.OUTLETS
        if o.template
        and o.host != base.outlet
        and base.language in _TEMPLATE_LANGUAGES.get(o.template, (base.language,))
    ]
    return sorted(others, key=lambda o: (o.language != base.language, o.host))


def _edited(base: Article, outlet: Outlet, edits: tuple[Edit, ...], others: list[str]) -> Article:
    language = base.language if base.language in _LEDES else "en"
    credit = _credit(base)
    paragraphs = list(base.paragraphs)
    title, authors = base.title, base.authors
    for edit in edits:
        if edit == "headline_rewrite":
            title = _HEADLINES[language].format(title=base.title)
        elif edit == "cut_ending":
            cut = max(1, len(paragraphs) * (1 + len(title) % 3) // 6)
            del paragraphs[-cut:]
        elif edit == "reworded_lede":
            rest = _SENTENCE_END.split(paragraphs[0])[1:]
            lede = _LEDES[language].format(title=base.title.rstrip(".!?"), credit=credit)
            paragraphs[0] = " ".join([lede, *rest])
        elif edit == "local_paragraph":
            local = _LOCAL[language].format(
                country=_COUNTRIES.get(outlet.country, outlet.country), outlet=outlet.name
            )
            paragraphs.insert(min(2, len(paragraphs)), local)
        elif edit == "dateline":
            city = _DATELINE_CITIES[len(base.title) % len(_DATELINE_CITIES)]
            paragraphs[0] = f"{city} ({credit}) \u2013 " + _DATELINE.sub("", paragraphs[0])
        elif edit == "agency_credit":
            authors = _STAFF[language]
        elif edit == "agency_footer":
            paragraphs.append(_FOOTERS[language].format(credit=credit))
        elif edit == "related_block":
            block = " · ".join([_RELATED[language], *others])
            paragraphs.insert(len(paragraphs) // 2, block)
    return replace(
        base,
        outlet=outlet.host,
        title=title,
        authors=authors,
        paragraphs=tuple(paragraphs),
        edits=edits,
    )


def _copies(index: int, base: Article, titles: list[str]) -> list[Article]:
    outlets = _republishers(base)
    copies = []
    for number in range(COPIES_PER_STORY):
        recipe = RECIPES[(COPIES_PER_STORY * index + number) % len(RECIPES)]
        published = base.published + timedelta(minutes=37 * (number + 1))
        slug = _slug(base)
        outlet = outlets[(index + number) % len(outlets)]
        others = [title for title in titles[index + 1 : index + 4] if title != base.title]
        copy = _edited(base, outlet, recipe, others)
        copies.append(
            replace(
                copy,
                path=f"{PREFIX}/{base.section}/{slug}-{number + 1}.html",
                published=published,
            )
        )
    if catalog.outlet(base.outlet).template in NAMELESS_TEMPLATES:
        copies.append(
            replace(
                base,
                outlet="syndication.newsbridge.example",
                path=f"{PREFIX}/partners/{base.outlet}/{_slug(base)}.html",
                edits=("exact_copy",),
                exact_copy_of=base.key,
            )
        )
    return copies


def _slug(article: Article) -> str:
    return article.path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html")


def _same_events() -> list[tuple[Article, Article]]:
    english = [o for o in catalog.OUTLETS if o.template and o.language == "en"]
    pairs = []
    start = min(a.published for a in catalog.ARTICLES)
    for number, event in enumerate(SAME_EVENTS):
        articles = []
        for side, report in enumerate(event.reports):
            outlet = english[(2 * number + side) % len(english)]
            articles.append(
                Article(
                    outlet=outlet.host,
                    path=f"{PREFIX}/world/{event.slug}-{report.agency.lower()}.html",
                    language="en",
                    title=report.title,
                    authors=(),
                    published=start + timedelta(days=number, hours=side),
                    story_id=f"{event.slug}-{report.agency.lower()}",
                    agency=report.agency,
                    edits=(),
                    exact_copy_of=None,
                    paragraphs=catalog.paragraphs_of(report.text),
                    section="world",
                    topic=event.topic,
                )
            )
        pairs.append((articles[0], articles[1]))
    return pairs


def _running_updates(bases: tuple[Article, ...]) -> list[Article]:
    updates = []
    for update in RUNNING_UPDATES:
        base = next(b for b in bases if b.story_id == update.story_id)
        updates.append(
            replace(
                base,
                path=f"{PREFIX}/{base.section}/update-{update.story_id}.html",
                title=update.title,
                published=base.published + timedelta(days=1),
                story_id=f"{update.story_id}-update",
                paragraphs=(
                    *catalog.paragraphs_of(update.text),
                    *base.paragraphs[-update.background :],
                ),
            )
        )
    return updates


def _build() -> tuple[tuple[Article, ...], tuple[HardNegative, ...]]:
    bases = _bases()
    titles = [base.title for base in bases]
    copies = [copy for index, base in enumerate(bases) for copy in _copies(index, base, titles)]
    same_events = _same_events()
    updates = _running_updates(bases)
    articles = sorted(
        [*bases, *copies, *(a for pair in same_events for a in pair), *updates],
        key=lambda a: (a.published, a.key),
    )
    negatives = [
        HardNegative("same_template", first.key, second.key)
        for first, second in combinations(articles, 2)
        if first.outlet == second.outlet and first.story_id != second.story_id
    ]
    negatives += [HardNegative("same_topic_other_agency", a.key, b.key) for a, b in same_events]
    negatives += [
        HardNegative("running_story_update", update.key, other.key)
        for update in updates
        for other in articles
        if other.story_id == update.story_id.removesuffix("-update")
    ]
    return tuple(articles), tuple(negatives)


ARTICLES, HARD_NEGATIVES = _build()
"""Every article of the evaluation set, oldest first; the pairs that must stay apart."""

BY_KEY: dict[str, Article] = {article.key: article for article in ARTICLES}

LINK_QUERIES: dict[str, str] = {
    a.key: TRACKING_QUERY for a in ARTICLES if "tracking_parameters" in a.edits
}
"""The query an article's feed link carries, beyond the clean URL the page lives at."""

FEEDS: tuple[Feed, ...] = tuple(
    Feed(
        outlet=host,
        path=f"{PREFIX}/feed.xml",
        format="rss2",
        title=f"{catalog.outlet(host).name} (evaluation set)",
        description="Stories of the wirestream clustering evaluation set",
    )
    for host in sorted({a.outlet for a in ARTICLES})
)
