"""SQL for stories, story membership and editions."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime

from ..models import Edition, RankedStory, Story, Summary, SummarySentence
from .db import Database, from_db_time, to_db_time, utcnow


def _ranked(row: sqlite3.Row) -> RankedStory:
    summary = json.loads(row["summary"])
    return RankedStory(
        rank=row["rank"],
        story=Story(
            id=row["story_id"], article_ids=tuple(json.loads(row["article_ids"])), title=row["title"]
        ),
        score=row["score"],
        why=json.loads(row["why"]),
        summary=Summary(
            story_id=row["story_id"],
            title=summary["title"],
            sentences=tuple(SummarySentence(s["text"], s["article"]) for s in summary["sentences"]),
        ),
        outlets=tuple(json.loads(row["outlets"])),
        languages=tuple(json.loads(row["languages"])),
        entities=tuple((e[0], e[1]) for e in json.loads(row["entities"])),
    )


class StoriesStore:
    db: Database

    def save_stories(self, stories: Sequence[Story], now: datetime | None = None) -> None:
        """Record story membership: each article belongs to one story (its latest clustering wins)."""
        when = to_db_time(now or utcnow())
        with self.db.transaction() as conn:
            for story in stories:
                conn.execute(
                    "INSERT INTO stories (id, title, first_seen, last_seen) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT(id) DO UPDATE SET title=excluded.title, last_seen=excluded.last_seen",
                    (story.id, story.title, when, when),
                )
                conn.execute("DELETE FROM story_articles WHERE story_id = ?", (story.id,))
                for position, article_id in enumerate(story.article_ids):
                    conn.execute("DELETE FROM story_articles WHERE article_id = ?", (article_id,))
                    conn.execute(
                        "INSERT INTO story_articles (story_id, article_id, position) VALUES (?, ?, ?)",
                        (story.id, article_id, position),
                    )
            conn.execute("DELETE FROM stories WHERE id NOT IN (SELECT story_id FROM story_articles)")

    def get_story(self, story_id: str) -> Story | None:
        rows = self.db.query("SELECT id, title FROM stories WHERE id = ?", (story_id,))
        if not rows:
            return None
        ids = self.db.query(
            "SELECT article_id FROM story_articles WHERE story_id = ? ORDER BY position", (story_id,)
        )
        return Story(id=rows[0]["id"], title=rows[0]["title"], article_ids=tuple(r[0] for r in ids))

    def story_of(self, article_id: str) -> str | None:
        rows = self.db.query("SELECT story_id FROM story_articles WHERE article_id = ?", (article_id,))
        return rows[0][0] if rows else None

    def save_edition(self, edition: Edition) -> int:
        with self.db.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO editions (day, language, created_at) VALUES (?, ?, ?)",
                (edition.day.isoformat(), edition.language, to_db_time(edition.created_at)),
            )
            edition_id = int(cursor.lastrowid or 0)
            for item in edition.stories:
                conn.execute(
                    "INSERT INTO edition_stories (edition_id, rank, story_id, title, article_ids, score, why,"
                    " summary, outlets, languages, entities) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        edition_id,
                        item.rank,
                        item.story.id,
                        item.summary.title or item.story.title,
                        json.dumps(list(item.story.article_ids)),
                        item.score,
                        json.dumps(item.why, ensure_ascii=False, default=str),
                        json.dumps(item.summary.to_json(), ensure_ascii=False),
                        json.dumps(list(item.outlets)),
                        json.dumps(list(item.languages)),
                        json.dumps([list(e) for e in item.entities], ensure_ascii=False),
                    ),
                )
        return edition_id

    def _edition(self, row: sqlite3.Row) -> Edition:
        items = self.db.query(
            "SELECT * FROM edition_stories WHERE edition_id = ? ORDER BY rank", (row["id"],)
        )
        return Edition(
            id=row["id"],
            day=date.fromisoformat(row["day"]),
            language=row["language"],
            created_at=from_db_time(row["created_at"]) or utcnow(),
            stories=tuple(_ranked(r) for r in items),
        )

    def latest_edition(self, day: date | None = None) -> Edition | None:
        """The newest edition, or the newest one of a given day."""
        if day is None:
            rows = self.db.query("SELECT * FROM editions ORDER BY day DESC, created_at DESC, id DESC LIMIT 1")
        else:
            rows = self.db.query(
                "SELECT * FROM editions WHERE day = ? ORDER BY created_at DESC, id DESC LIMIT 1",
                (day.isoformat(),),
            )
        return self._edition(rows[0]) if rows else None

    def edition_days(self, limit: int = 60) -> list[date]:
        rows = self.db.query("SELECT DISTINCT day FROM editions ORDER BY day DESC LIMIT ?", (limit,))
        return [date.fromisoformat(r[0]) for r in rows]
