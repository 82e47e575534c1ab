"""What each page shows, read from the store: shared by the web app, the static site and the JSON API."""

from __future__ import annotations

import calendar
import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from ..models import Article, Edition, RankedStory
from ..publish.feeds import category_filter
from ..store import Store
from ..store.views import SearchFilters, TimelinePoint, slug
from .render import file_name, outlet_name, paragraphs

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
    categories = store.story_categories(edition.stories)
    return {
        "edition": edition,
        "articles": articles,
        "days": days,
        "first_seen": store.story_first_seen(story_ids),
        "categories": categories,
        # the latest edition links to its categories' feeds (they follow the latest edition)
        "feed_categories": sorted(set(categories.values())) if edition.day in store.edition_days(1) else [],
    }


def edition_context_empty() -> dict[str, Any]:
    return {
        "edition": None,
        "articles": {},
        "days": [],
        "first_seen": {},
        "categories": {},
        "feed_categories": [],
    }


def group_by_outlet(articles: Iterable[Article]) -> list[tuple[str, list[Article]]]:
    """Articles grouped by outlet: the outlets with the most articles first, then by name."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(outlet_name(article), []).append(article)
    return sorted(groups.items(), key=lambda g: (-len(g[1]), g[0].lower()))


def fold_copies(articles: Sequence[Article]) -> tuple[list[Article], dict[str, list[Article]]]:
    """Syndicated copies folded under their original: (originals and unique articles, original id -> copies).

    Copies are near-duplicate texts (`essentiel.stories.dedupe.copy_groups`); the original is the earliest
    published of its group.
    """
    by_id = {a.id: a for a in articles}
    copies = {original: [by_id[i] for i in ids] for original, ids in _copy_groups(tuple(articles))}
    folded = {a.id for group in copies.values() for a in group}
    return [a for a in articles if a.id not in folded], copies


@lru_cache(maxsize=1024)
def _copy_groups(articles: tuple[Article, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(original id, copy ids) of a story's articles. Cached: the same coverage (same texts) gives the same
    groups, and a MinHash LSH index costs tens of milliseconds to set up, too much for every page view."""
    from ..stories.dedupe import copy_groups  # lazily: the stories package loads the clustering stack

    return tuple((group.original, group.copies) for group in copy_groups(articles))


@dataclass(frozen=True)
class TimelineDay:
    """One day of a story: its place in that day's edition (if it ranked) and the articles published that day."""

    day: date
    point: TimelinePoint | None
    articles: int
    outlets: int


def timeline_days(points: Sequence[TimelinePoint], articles: Iterable[Article]) -> list[TimelineDay]:
    """The story across days, oldest first: every day it ranked in an edition or got a new article."""
    published: dict[date, list[Article]] = {}
    for article in articles:
        if article.published is not None:
            when = article.published if article.published.tzinfo else article.published.replace(tzinfo=UTC)
            published.setdefault(when.astimezone(UTC).date(), []).append(article)
    ranked = {p.day: p for p in points}
    return [
        TimelineDay(
            day=day,
            point=ranked.get(day),
            articles=len(published.get(day, [])),
            outlets=len({a.outlet_key for a in published.get(day, [])}),
        )
        for day in sorted(set(ranked) | set(published))
    ]


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
    originals, copies = fold_copies(coverage)
    languages = sorted({a.language for a in coverage if a.language})
    timeline = store.story_timeline(story_id)
    dossier = (item.dossier if item else None) or getattr(story, "dossier", None)
    return {
        "edition_day": day,
        "item": item,
        "story": story,
        "title": (item.summary.title if item else "")
        or story.title
        or (coverage[0].title if coverage else ""),
        "articles": articles,
        "groups": group_by_outlet(originals),
        "copies": copies,
        "outlet_count": len(item.outlets) if item and item.outlets else len({a.outlet_key for a in coverage}),
        "independent_outlets": item.independent_outlets if item and item.outlets else None,
        "languages": list(item.languages) if item and item.languages else languages,
        "article_count": len(coverage),
        "timeline": timeline,
        "timeline_days": timeline_days(timeline, coverage),
        "first_seen": store.story_first_seen([story_id]).get(story_id),
        "category": store.story_categories([item]).get(story_id) if item else None,
        "dossier": dossier,
        "dossier_key": slug(dossier) if dossier else None,
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


def archive_context(store: Store, only: Collection[date] | None = None) -> dict[str, Any]:
    """Every day with an edition (or only those of `only`), as month calendars, newest month first."""
    days = {d: n for d, n in store.edition_calendar() if only is None or d in only}
    months = sorted({(d.year, d.month) for d in days}, reverse=True)
    return {
        "months": [(year, month, month_grid(year, month, days)) for year, month in months],
        "day_count": len(days),
    }


def entity_context(store: Store, name: str, only: Collection[str] | None = None) -> dict[str, Any] | None:
    """An entity's stories (only the story ids of `only`, when given), or None when none names it."""
    stories = [(d, item) for d, item in store.entity_stories(name) if only is None or item.story.id in only]
    if not stories:
        return None
    label = store.entity_label(name) or ""
    return {"name": name, "label": label, "stories": stories}


def dossiers_context(store: Store, only: Collection[str] | None = None) -> dict[str, Any]:
    """Every dossier (only the keys of `only`, when given), the most recent first."""
    return {"dossiers": [d for d in store.dossiers() if only is None or d.slug in only]}


def dossier_context(store: Store, key: str, only: Collection[str] | None = None) -> dict[str, Any] | None:
    """A dossier's stories grouped by the day of their newest edition, newest day first; None if unknown."""
    found = store.dossier_stories(key)
    if found is None:
        return None
    label, stories = found
    stories = [(d, item) for d, item in stories if only is None or item.story.id in only]
    if not stories:
        return None
    by_day: dict[date, list[RankedStory]] = {}
    for day, item in stories:
        by_day.setdefault(day, []).append(item)
    return {
        "label": label,
        "key": key,
        "days": sorted(by_day.items(), key=lambda kv: kv[0], reverse=True),
        "story_count": len(stories),
        "categories": store.story_categories([item for _, item in stories]),
    }


def search_context(store: Store, q: str, filters: SearchFilters) -> dict[str, Any]:
    return {
        "q": q,
        "results": store.search(q, filters, limit=50) if q else [],
        "stories": store.search_stories(q, filters, limit=10) if q else [],
        "filters": filters,
        "facets": store.facets(),
    }


def search_context_empty(q: str, filters: SearchFilters) -> dict[str, Any]:
    facets: dict[str, list[str]] = {"languages": [], "outlets": [], "categories": []}
    return {"q": q, "results": [], "stories": [], "filters": filters, "facets": facets}


def sources_context(store: Store, now: datetime | None = None) -> dict[str, Any]:
    return {"sources": store.source_health(now or datetime.now(UTC))}


FEED_STORIES = 50  # the most stories a dossier's feed carries


def feed_context(
    store: Store, scope: str = "edition", key: str = "", only: Collection[str] | None = None
) -> dict[str, Any] | None:
    """What a feed carries, as keyword arguments of `essentiel.publish.feeds.render_feed` (with the edition).

    `scope` 'edition': the latest edition; 'category': its stories of one category (`key` as a file name);
    'dossier': the newest snapshot of each story of a dossier (`key`), across days, each item dated by its
    edition. None when the category or dossier has no story (`only`: the story ids a static site holds).
    """
    updated: dict[str, datetime] = {}
    name = ""
    if scope == "dossier":
        found = store.dossier_stories(key, limit=FEED_STORIES)
        stories = [item for _, item in (found[1] if found else []) if only is None or item.story.id in only]
        if found is None or not stories:
            return None
        for item in stories:
            snapshot = store.edition_story(item.story.id)
            if snapshot is not None:
                updated[item.story.id] = snapshot[1]
        newest = max(updated.values(), default=datetime.now(UTC))
        edition: Edition | None = Edition(day=newest.date(), created_at=newest, stories=tuple(stories))
        name = found[0]
    else:
        edition = store.latest_edition()
        if scope == "category":
            categories = store.story_categories(edition.stories) if edition else {}
            edition = category_filter(edition, categories, key, key=file_name)
            if edition is None:
                return None
            name = next(c for c in categories.values() if file_name(c) == key)
    articles = {a.id: a for a in store.get_articles(sentence_article_ids(edition.stories if edition else []))}
    return {"edition": edition, "articles": articles, "name": name, "updated": updated}
