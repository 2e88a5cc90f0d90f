"""Tag stage: what a consumer can route on. Language and the feed's own tags for now."""

from __future__ import annotations

from worker.models import ExtractedPage, FeedEntry, Tags


def tag_article(page: ExtractedPage, entry: FeedEntry) -> Tags:
    return Tags(
        language=page.language,
        feed=_unique(entry.feed_tags),
        categories=_unique(page.categories),
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
