"""What each page shows, read from the store: shared by the web app, the static site and the JSON API."""

from __future__ import annotations

import calendar
import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from ..models import Article, Edition, RankedStory
from ..store import Store
from ..store.views import SearchFilters
from .render import outlet_name, paragraphs

log = logging.getLogger(__name__)


def sentence_article_ids(items: Iterable[RankedStory]) -> list[str]:
    ids: dict[str, None] = {}
    for item in items:
        for sentence in item.summary.sentences:
            ids[sentence.article] = None
    return list(ids)


def edition_context(store: Store, edition: Edition | None, days: list[date]) -> dict[str, Any]:
    """What the edition page shows: the ranked stories, the articles their sentences come from, when each
    story was first seen and its category (when its sources have one)."""
    if edition is None:
        return edition_context_empty()
    articles = {a.id: a for a in store.get_articles(sentence_article_ids(edition.stories))}
    story_ids = [item.story.id for item in edition.stories]
    return {
        "edition": edition,
        "articles": articles,
        "days": days,
        "first_seen": store.story_first_seen(story_ids),
        "categories": store.story_categories(edition.stories),
    }


def edition_context_empty() -> dict[str, Any]:
    return {"edition": None, "articles": {}, "days": [], "first_seen": {}, "categories": {}}


def group_by_outlet(articles: Iterable[Article]) -> list[tuple[str, list[Article]]]:
    """Articles grouped by outlet: the outlets with the most articles first, then by name."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(outlet_name(article), []).append(article)
    return sorted(groups.items(), key=lambda g: (-len(g[1]), g[0].lower()))


def story_context(store: Store, story_id: str) -> dict[str, Any] | None:
    """What the story page shows, or None when the story is unknown."""
    found = store.edition_story(story_id)
    day, item = (found[0], found[2]) if found else (None, None)
    story = item.story if item else store.get_story(story_id)
    if story is None:
        return None
    ids = list(dict.fromkeys([*story.article_ids, *sentence_article_ids([item] if item else [])]))
    articles = {a.id: a for a in store.get_articles(ids)}
    coverage = [articles[i] for i in story.article_ids if i in articles]
    languages = sorted({a.language for a in coverage if a.language})
    return {
        "edition_day": day,
        "item": item,
        "story": story,
        "title": (item.summary.title if item else "")
        or story.title
        or (coverage[0].title if coverage else ""),
        "articles": articles,
        "groups": group_by_outlet(coverage),
        "outlet_count": len(item.outlets) if item and item.outlets else len({a.outlet_key for a in coverage}),
        "languages": list(item.languages) if item and item.languages else languages,
        "article_count": len(coverage),
        "timeline": store.story_timeline(story_id),
        "first_seen": store.story_first_seen([story_id]).get(story_id),
        "category": store.story_categories([item]).get(story_id) if item else None,
        "dossier": getattr(item, "dossier", None) or getattr(story, "dossier", None),
    }


def article_context(store: Store, article_id: str) -> dict[str, Any] | None:
    article = store.get_article(article_id)
    if article is None:
        return None
    return {
        "article": article,
        "story_id": store.story_of(article_id),
        "paragraphs": paragraphs(article.text),
    }


def month_grid(year: int, month: int, days: dict[date, int]) -> list[list[tuple[date | None, int]]]:
    """A month as weeks (Monday first) of (day or None for padding, story count)."""
    weeks: list[list[tuple[date | None, int]]] = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append([(d, days.get(d, 0)) if d.month == month else (None, 0) for d in week])
    return weeks


def archive_context(store: Store) -> dict[str, Any]:
    """Every day with an edition, as month calendars, newest month first."""
    days = dict(store.edition_calendar())
    months = sorted({(d.year, d.month) for d in days}, reverse=True)
    return {
        "months": [(year, month, month_grid(year, month, days)) for year, month in months],
        "day_count": len(days),
    }


def entity_context(store: Store, name: str) -> dict[str, Any] | None:
    stories = store.entity_stories(name)
    if not stories:
        return None
    label = store.entity_label(name) or ""
    return {"name": name, "label": label, "stories": stories}


def search_context(store: Store, q: str, filters: SearchFilters) -> dict[str, Any]:
    results = store.search(q, filters, limit=50) if q else []
    return {"q": q, "results": results, "filters": filters, "facets": store.facets()}


def sources_context(store: Store, now: datetime | None = None) -> dict[str, Any]:
    return {"sources": store.source_health(now or datetime.now(UTC))}
