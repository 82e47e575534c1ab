"""Read-only queries for the web app, the static site, the feeds and the API (no writes here).

They read the edition snapshots (`edition_stories`, JSON per story) and degrade gracefully when optional
columns added by later migrations (source health, story categories) are absent: `PRAGMA table_info` says
which columns exist.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ..models import Article, RankedStory
from ..topics import fold
from .articles import A_COLUMNS, _article
from .db import AnyDatabase, Row, from_db_time, to_db_time
from .stories import _ranked

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TimelinePoint:
    """A story's place in the latest edition of one day."""

    day: date
    rank: int
    score: float
    outlets: int
    articles: int
    title: str


@dataclass(frozen=True)
class SourceHealth:
    """A source and how its fetching goes: every column of the `sources` row, plus articles per day."""

    id: int
    url: str
    name: str
    category: str | None
    language: str | None
    last_checked_at: datetime | None
    error_count: int
    last_error: str | None
    articles_total: int
    articles_per_day: float
    extra: dict[str, Any] = field(default_factory=dict)  # health columns of later migrations, when present
    daily: tuple[tuple[date, int], ...] = ()  # articles fetched on each of the last days, oldest first


@dataclass(frozen=True)
class SearchFilters:
    """What a search keeps: a language, a source (outlet domain or site name), a category key, a date range."""

    language: str | None = None
    outlet: str | None = None
    since: date | None = None
    until: date | None = None
    category: str | None = None


@dataclass(frozen=True)
class StoryHit:
    """A story found by the search: its newest edition snapshot."""

    story_id: str
    day: date
    title: str
    summary: str
    languages: tuple[str, ...]
    outlets: tuple[str, ...]
    category: str | None
    dossier: str | None


@dataclass(frozen=True)
class Dossier:
    """A running subject followed across days: its label as the outlets write it and its URL key."""

    label: str
    slug: str
    stories: int
    first_day: date
    last_day: date


def slug(text: str) -> str:
    """The URL key of a dossier or an entity: lower case, no accents, words joined by '-'.

    'Guerre en Ukraine' and 'guerre en ukraine' share one key (the same dossier).
    """
    return "-".join(fold(text).split())


def _conditions(filters: Sequence[tuple[str | None, str]]) -> tuple[list[str], list[str]]:
    """The SQL conditions of the filters that are set, and their parameters: one value per '?' of its condition."""
    where: list[str] = []
    params: list[str] = []
    for value, condition in filters:
        if value:
            where.append(condition)
            params += [value] * condition.count("?")
    return where, params


def _newest_per_story(rows: Sequence[Row]) -> list[tuple[date, RankedStory]]:
    """(day, story) of the first row of each story; rows come newest first."""
    seen: set[str] = set()
    found = []
    for row in rows:
        if row["story_id"] not in seen:
            seen.add(row["story_id"])
            found.append((date.fromisoformat(row["e_day"]), _ranked(row)))
    return found


class ViewsStore:
    db: AnyDatabase

    def columns(self, table: str) -> set[str]:
        """The column names of a table (empty when the table does not exist)."""
        if not table.isidentifier():
            raise ValueError(table)
        return self.db.columns(table)

    def edition_story(self, story_id: str) -> tuple[date, datetime, RankedStory] | None:
        """The newest edition snapshot of a story: (day, edition time, ranked story), or None."""
        rows = self.db.query(
            "SELECT es.*, e.day AS e_day, e.created_at AS e_created FROM edition_stories es"
            " JOIN editions e ON e.id = es.edition_id WHERE es.story_id = ?"
            " ORDER BY e.day DESC, e.created_at DESC, e.id DESC LIMIT 1",
            (story_id,),
        )
        if not rows:
            return None
        row = rows[0]
        created = from_db_time(row["e_created"]) or datetime.min
        return date.fromisoformat(row["e_day"]), created, _ranked(row)

    def story_timeline(self, story_id: str) -> list[TimelinePoint]:
        """The story in the latest edition of every day that ranked it, oldest day first."""
        rows = self.db.query(
            "SELECT e.day, es.rank, es.score, es.outlets, es.article_ids, es.title FROM edition_stories es"
            " JOIN editions e ON e.id = es.edition_id WHERE es.story_id = ?"
            " AND e.id = (SELECT e2.id FROM editions e2 WHERE e2.day = e.day"
            " ORDER BY e2.created_at DESC, e2.id DESC LIMIT 1) ORDER BY e.day",
            (story_id,),
        )
        return [
            TimelinePoint(
                day=date.fromisoformat(r["day"]),
                rank=r["rank"],
                score=r["score"],
                outlets=len(json.loads(r["outlets"])),
                articles=len(json.loads(r["article_ids"])),
                title=r["title"],
            )
            for r in rows
        ]

    def story_first_seen(self, story_ids: Sequence[str]) -> dict[str, datetime]:
        """When each story was first seen (the `stories` table), for the ids that are known."""
        found: dict[str, datetime] = {}
        for row in self.db.query_in("SELECT id, first_seen FROM stories WHERE id IN ({marks})", story_ids):
            when = from_db_time(row["first_seen"])
            if when is not None:
                found[row["id"]] = when
        return found

    def article_categories(self, article_ids: Sequence[str]) -> dict[str, str]:
        """The category of each article's source, when it has one."""
        sql = (
            "SELECT a.id, s.category FROM articles a JOIN sources s ON s.id = a.source_id"
            " WHERE a.id IN ({marks}) AND s.category IS NOT NULL AND s.category != ''"
        )
        return {row["id"]: row["category"] for row in self.db.query_in(sql, article_ids)}

    def story_categories(self, items: Sequence[RankedStory]) -> dict[str, str]:
        """A category per story: its own when the snapshot has one, else its sources' most common one."""
        ids = [a for item in items for a in item.story.article_ids]
        by_article = self.article_categories(ids) if ids else {}
        result: dict[str, str] = {}
        for item in items:
            own = getattr(item, "category", None) or getattr(item.story, "category", None)
            if isinstance(own, str) and own:
                result[item.story.id] = own
                continue
            counts = Counter(by_article[a] for a in item.story.article_ids if a in by_article)
            if counts:
                result[item.story.id] = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        return result

    def edition_calendar(self) -> list[tuple[date, int]]:
        """Every day with an edition and the story count of its latest edition, newest first."""
        rows = self.db.query(
            "SELECT e.day, (SELECT COUNT(*) FROM edition_stories es WHERE es.edition_id = e.id) AS n"
            " FROM editions e WHERE e.id = (SELECT e2.id FROM editions e2 WHERE e2.day = e.day"
            " ORDER BY e2.created_at DESC, e2.id DESC LIMIT 1) ORDER BY e.day DESC"
        )
        return [(date.fromisoformat(r["day"]), int(r["n"])) for r in rows]

    def entity_stories(self, name: str, limit: int = 100) -> list[tuple[date, RankedStory]]:
        """The stories whose key entities include `name` (case-insensitive), newest snapshot each."""
        sql = self.db.dialect
        rows = self.db.query(
            "SELECT es.*, e.day AS e_day FROM edition_stories es JOIN editions e ON e.id = es.edition_id"
            f" WHERE EXISTS (SELECT 1 FROM {sql.json_items('es.entities')}"
            f" WHERE lower({sql.json_at('j.value', 0)}) = lower(?))"
            " ORDER BY e.day DESC, e.created_at DESC, e.id DESC",
            (name,),
        )
        return _newest_per_story(rows)[:limit]

    def entity_label(self, name: str) -> str | None:
        """The label recorded for an entity name (e.g. 'PER'), or None when no edition names it."""
        sql = self.db.dialect
        rows = self.db.query(
            f"SELECT {sql.json_at('j.value', 1)} FROM edition_stories es, {sql.json_items('es.entities')}"
            f" WHERE lower({sql.json_at('j.value', 0)}) = lower(?) LIMIT 1",
            (name,),
        )
        return str(rows[0][0]) if rows else None

    def source_health(self, now: datetime, days: int = 7) -> list[SourceHealth]:
        """Every source, its fetch state and how many articles it brought (total, per day over `days`)."""
        base = {"id", "url", "name", "category", "language", "last_checked_at", "error_count", "last_error"}
        skip = base | {"kind", "country", "weight", "independent", "full_page", "etag", "last_modified"}
        since = to_db_time(now - timedelta(days=days))
        first_day = (now - timedelta(days=days - 1)).date()
        week = [first_day + timedelta(days=k) for k in range(days)]
        per_day: dict[int, Counter[str]] = {}
        for r in self.db.query(
            "SELECT source_id, substr(fetched_at, 1, 10) AS d, COUNT(*) AS n FROM articles"
            " WHERE fetched_at >= ? AND source_id IS NOT NULL GROUP BY source_id, d",
            (first_day.isoformat(),),
        ):
            per_day.setdefault(r["source_id"], Counter())[r["d"]] = int(r["n"])
        counts = {
            r[0]: (int(r[1]), int(r[2]))
            for r in self.db.query(
                "SELECT source_id, COUNT(*), SUM(CASE WHEN fetched_at >= ? THEN 1 ELSE 0 END) FROM articles"
                " WHERE source_id IS NOT NULL GROUP BY source_id",
                (since,),
            )
        }
        result = []
        for row in self.db.query("SELECT * FROM sources ORDER BY category NULLS FIRST, name, url"):
            total, recent = counts.get(row["id"], (0, 0))
            names = row.keys()  # sqlite3.Row iterates over values, not names
            extra: dict[str, Any] = {
                k: from_db_time(row[k]) if k.endswith("_at") and isinstance(row[k], str) else row[k]
                for k in names
                if k not in skip and k not in {"created_at", "next_check_at"}
            }
            result.append(
                SourceHealth(
                    id=row["id"],
                    url=row["url"],
                    name=row["name"],
                    category=row["category"],
                    language=row["language"],
                    last_checked_at=from_db_time(row["last_checked_at"]),
                    error_count=row["error_count"],
                    last_error=row["last_error"],
                    articles_total=total,
                    articles_per_day=round(recent / days, 1),
                    extra=extra,
                    daily=tuple((d, per_day.get(row["id"], Counter())[d.isoformat()]) for d in week),
                )
            )
        return result

    def has_table(self, table: str) -> bool:
        return bool(self.columns(table))

    def search(self, text: str, filters: SearchFilters | None = None, limit: int = 50) -> list[Article]:
        """Full-text search over articles (FTS5), with optional language, source, category and date filters.

        The category is the article's story's (its newest edition snapshot), or its source's own category.
        """
        query = self.db.dialect.fts_query(text)
        if not query:
            return []
        fts = self.db.dialect.articles_fts()
        f = filters or SearchFilters()
        category = "a.source_id IN (SELECT id FROM sources WHERE lower(category) = lower(?))"
        if self.has_table("story_search"):  # the article's story's category, or its source's
            category = (
                "(EXISTS (SELECT 1 FROM story_articles sa JOIN story_search ss ON ss.story_id = sa.story_id"
                f" WHERE sa.article_id = a.id AND ss.category = ?) OR {category})"
            )
        where, params = _conditions(
            [
                (f.language, "a.language = ?"),
                (f.outlet, "(a.outlet = ? OR a.site_name = ?)"),
                (f.since.isoformat() if f.since else None, "COALESCE(a.published, a.fetched_at) >= ?"),
                (
                    (f.until + timedelta(days=1)).isoformat() if f.until else None,
                    "COALESCE(a.published, a.fetched_at) < ?",
                ),
                (f.category, category),
            ]
        )
        sql = (
            f"SELECT {A_COLUMNS} FROM {fts.source}"
            f" WHERE {' AND '.join([fts.match, *where])} ORDER BY {fts.order} LIMIT ?"
        )
        return [_article(r) for r in self._fts_rows(text, sql, (query, *params, limit))]

    def _fts_rows(self, text: str, sql: str, params: tuple[object, ...]) -> list[Row]:
        try:
            return self.db.query(sql, params)
        except sqlite3.OperationalError as exc:  # a query FTS5 cannot parse finds nothing
            log.info("search failed q=%r error=%s", text, exc)
            return []

    def search_stories(
        self, text: str, filters: SearchFilters | None = None, limit: int = 20
    ) -> list[StoryHit]:
        """Full-text search over the stories of the editions (title, essentiel, key entities, dossier).

        Filters: a language or a source among the story's, its category, the day of its newest edition.
        Empty on a store without the stories' index (migration 0008).
        """
        query = self.db.dialect.fts_query(text)
        if not query or not self.has_table("story_search"):
            return []
        fts = self.db.dialect.stories_fts()
        texts = self.db.dialect.json_texts
        f = filters or SearchFilters()
        where, params = _conditions(
            [
                (f.language, f"EXISTS (SELECT 1 FROM {texts('s.languages')} WHERE j.value = ?)"),
                (f.outlet, f"EXISTS (SELECT 1 FROM {texts('s.outlets')} WHERE j.value = ?)"),
                (f.category, "s.category = ?"),
                (f.since.isoformat() if f.since else None, "s.day >= ?"),
                (f.until.isoformat() if f.until else None, "s.day <= ?"),
            ]
        )
        sql = f"SELECT s.* FROM {fts.source} WHERE {' AND '.join([fts.match, *where])} ORDER BY {fts.order} LIMIT ?"
        return [
            StoryHit(
                story_id=r["story_id"],
                day=date.fromisoformat(r["day"]),
                title=r["title"],
                summary=r["summary"],
                languages=tuple(json.loads(r["languages"])),
                outlets=tuple(json.loads(r["outlets"])),
                category=r["category"],
                dossier=r["dossier"],
            )
            for r in self._fts_rows(text, sql, (query, *params, limit))
        ]

    def facets(self, editions: int = 60) -> dict[str, list[str]]:
        """The languages, outlets and categories of the stories of the latest editions, for the search filters.

        Read from the edition snapshots rather than from every article, so it stays cheap on a large store.
        """
        values: dict[str, set[str]] = {"languages": set(), "outlets": set(), "categories": set()}
        for row in self.db.query(
            "SELECT es.languages, es.outlets, es.category FROM edition_stories es"
            " WHERE es.edition_id IN (SELECT id FROM editions ORDER BY day DESC, created_at DESC LIMIT ?)",
            (editions,),
        ):
            values["languages"].update(json.loads(row["languages"]))
            values["outlets"].update(json.loads(row["outlets"]))
            values["categories"].add(row["category"] or "")
        return {key: sorted(v for v in found if v) for key, found in values.items()}

    def dossiers(self) -> list[Dossier]:
        """Every dossier of the editions (stories grouped by their dossier key), the most recent first."""
        rows = self.db.query(
            "SELECT es.dossier, es.story_id, e.day FROM edition_stories es JOIN editions e ON e.id = es.edition_id"
            " WHERE es.dossier IS NOT NULL AND es.dossier != '' ORDER BY e.day DESC, e.created_at DESC"
        )
        labels: dict[str, str] = {}
        stories: dict[str, set[str]] = {}
        days: dict[str, list[date]] = {}
        for row in rows:
            key = slug(row["dossier"])
            if not key:
                continue
            labels.setdefault(key, row["dossier"])  # the newest spelling
            stories.setdefault(key, set()).add(row["story_id"])
            days.setdefault(key, []).append(date.fromisoformat(row["day"]))
        found = [Dossier(labels[k], k, len(stories[k]), min(days[k]), max(days[k])) for k in labels]
        return sorted(found, key=lambda d: (-d.last_day.toordinal(), -d.stories, d.slug))

    def dossier_stories(
        self, key: str, limit: int = 200
    ) -> tuple[str, list[tuple[date, RankedStory]]] | None:
        """A dossier's label and its stories (newest snapshot each, newest day first), or None if unknown."""
        spellings = [
            r[0]
            for r in self.db.query(
                "SELECT DISTINCT dossier FROM edition_stories WHERE dossier IS NOT NULL AND dossier != ''"
            )
            if slug(r[0]) == key
        ]
        if not key or not spellings:
            return None
        rows = self.db.query_in(
            "SELECT es.*, e.day AS e_day FROM edition_stories es JOIN editions e ON e.id = es.edition_id"
            " WHERE es.dossier IN ({marks}) ORDER BY e.day DESC, e.created_at DESC, e.id DESC",
            spellings,
        )
        found = _newest_per_story(rows)[:limit]  # one chunk: a dossier has few spellings
        label = (found[0][1].dossier or spellings[0]) if found else spellings[0]
        return label, found
