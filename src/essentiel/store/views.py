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
from .articles import ARTICLE_COLUMNS, _article, _fts_query
from .db import Database, from_db_time, to_db_time
from .stories import _ranked

log = logging.getLogger(__name__)

_A_COLUMNS = ", ".join("a." + c.strip() for c in ARTICLE_COLUMNS.split(","))


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


@dataclass(frozen=True)
class SearchFilters:
    language: str | None = None
    outlet: str | None = None
    since: date | None = None
    until: date | None = None


class ViewsStore:
    db: Database

    def columns(self, table: str) -> set[str]:
        """The column names of a table (empty when the table does not exist)."""
        if not table.isidentifier():
            raise ValueError(table)
        return {row[1] for row in self.db.query(f"PRAGMA table_info({table})")}

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
        rows = self.db.query(
            "SELECT es.*, e.day AS e_day FROM edition_stories es JOIN editions e ON e.id = es.edition_id"
            " WHERE EXISTS (SELECT 1 FROM json_each(es.entities) j"
            " WHERE lower(json_extract(j.value, '$[0]')) = lower(?))"
            " ORDER BY e.day DESC, e.created_at DESC, e.id DESC",
            (name,),
        )
        seen: set[str] = set()
        found = []
        for row in rows:
            if row["story_id"] in seen:
                continue
            seen.add(row["story_id"])
            found.append((date.fromisoformat(row["e_day"]), _ranked(row)))
        return found[:limit]

    def entity_label(self, name: str) -> str | None:
        """The label recorded for an entity name (e.g. 'PER'), or None when no edition names it."""
        rows = self.db.query(
            "SELECT json_extract(j.value, '$[1]') FROM edition_stories es, json_each(es.entities) j"
            " WHERE lower(json_extract(j.value, '$[0]')) = lower(?) LIMIT 1",
            (name,),
        )
        return str(rows[0][0]) if rows else None

    def source_health(self, now: datetime, days: int = 7) -> list[SourceHealth]:
        """Every source, its fetch state and how many articles it brought (total, per day over `days`)."""
        base = {"id", "url", "name", "category", "language", "last_checked_at", "error_count", "last_error"}
        skip = base | {"kind", "country", "weight", "independent", "full_page", "etag", "last_modified"}
        since = to_db_time(now - timedelta(days=days))
        counts = {
            r[0]: (int(r[1]), int(r[2]))
            for r in self.db.query(
                "SELECT source_id, COUNT(*), SUM(fetched_at >= ?) FROM articles"
                " WHERE source_id IS NOT NULL GROUP BY source_id",
                (since,),
            )
        }
        result = []
        for row in self.db.query("SELECT * FROM sources ORDER BY category, name, url"):
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
                )
            )
        return result

    def search(self, text: str, filters: SearchFilters | None = None, limit: int = 50) -> list[Article]:
        """Full-text search over articles (FTS5), with optional language, outlet and date filters."""
        query = _fts_query(text)
        if not query:
            return []
        filters = filters or SearchFilters()
        where, params = ["articles_fts MATCH ?"], [query]
        if filters.language:
            where.append("a.language = ?")
            params.append(filters.language)
        if filters.outlet:
            where.append("(a.outlet = ? OR a.site_name = ?)")
            params += [filters.outlet, filters.outlet]
        if filters.since:
            where.append("COALESCE(a.published, a.fetched_at) >= ?")
            params.append(filters.since.isoformat())
        if filters.until:
            where.append("COALESCE(a.published, a.fetched_at) < ?")
            params.append((filters.until + timedelta(days=1)).isoformat())
        sql = (
            f"SELECT {_A_COLUMNS} FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid"
            f" WHERE {' AND '.join(where)} ORDER BY rank LIMIT ?"
        )
        try:
            rows = self.db.query(sql, (*params, limit))
        except sqlite3.OperationalError as exc:  # a query FTS5 cannot parse finds nothing
            log.info("search failed q=%r error=%s", text, exc)
            return []
        return [_article(r) for r in rows]

    def facets(self, editions: int = 60) -> dict[str, list[str]]:
        """The languages and outlets of the stories of the latest editions, for the search filters.

        Read from the edition snapshots rather than from every article, so it stays cheap on a large store.
        """
        values: dict[str, set[str]] = {"languages": set(), "outlets": set()}
        for row in self.db.query(
            "SELECT es.languages, es.outlets FROM edition_stories es"
            " WHERE es.edition_id IN (SELECT id FROM editions ORDER BY day DESC, created_at DESC LIMIT ?)",
            (editions,),
        ):
            values["languages"].update(json.loads(row["languages"]))
            values["outlets"].update(json.loads(row["outlets"]))
        return {key: sorted(v for v in found if v) for key, found in values.items()}
