"""SQL for stories, story membership and editions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..models import Article, Edition, RankedStory, Story, Summary, SummarySentence
from .articles import ARTICLE_COLUMNS, _article
from .db import AnyDatabase, Row, from_db_time, to_db_time, utcnow

SignalRow = dict[str, Any]  # the columns of article_vectors, blobs as bytes


@dataclass(frozen=True)
class StoryRecord:
    """A story as the online clustering keeps it: members in order, its creation rank, its time span."""

    story: Story
    seq: int
    first_published: float | None
    last_published: float | None
    languages: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()


def _ranked(row: Row) -> RankedStory:
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
        category=row["category"],
        dossier=row["dossier"],
    )


class StoriesStore:
    db: AnyDatabase

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

    def stories_of(self, article_ids: Sequence[str]) -> list[Story]:
        """The stories these articles belong to (each once, with all its members), largest first, then by id."""
        sql = "SELECT story_id FROM story_articles WHERE article_id IN ({marks})"
        found = {r[0] for r in self.db.query_in(sql, article_ids)}
        stories = [story for story in map(self.get_story, sorted(found)) if story is not None]
        return sorted(stories, key=lambda s: (-len(s.article_ids), s.id))

    def has_story(self, story_id: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM stories WHERE id = ?", (story_id,)))

    def story_of(self, article_id: str) -> str | None:
        rows = self.db.query("SELECT story_id FROM story_articles WHERE article_id = ?", (article_id,))
        return rows[0][0] if rows else None

    def save_edition(self, edition: Edition) -> int:
        with self.db.transaction() as conn:
            row = conn.execute(
                "INSERT INTO editions (day, language, created_at) VALUES (?, ?, ?) RETURNING id",
                (edition.day.isoformat(), edition.language, to_db_time(edition.created_at)),
            ).fetchone()
            assert row is not None  # RETURNING gives the new row's id
            edition_id = int(row[0])
            for item in edition.stories:
                conn.execute(
                    "INSERT INTO edition_stories (edition_id, rank, story_id, title, article_ids, score, why,"
                    " summary, outlets, languages, entities, category, dossier)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                        item.category,
                        item.dossier,
                    ),
                )
        return edition_id

    def _edition(self, row: Row) -> Edition:
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

    # -- incremental clustering (stories/incremental.py) -------------------------------------------------------
    def save_signals(self, rows: Sequence[SignalRow]) -> None:
        cols = ("article_id", "vector", "words", "names", "language", "published", "url", "outlet", "title")
        with self.db.transaction() as conn:
            conn.executemany(
                f"INSERT INTO article_vectors ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
                " ON CONFLICT(article_id) DO UPDATE SET " + ", ".join(f"{c}=excluded.{c}" for c in cols[1:]),
                [tuple(r[c] for c in cols) for r in rows],
            )

    def load_signals(self, ids: Sequence[str]) -> list[SignalRow]:
        return [
            dict(r)
            for r in self.db.query_in("SELECT * FROM article_vectors WHERE article_id IN ({marks})", ids)
        ]

    def load_lexicon(self) -> tuple[int, bytes] | None:
        rows = self.db.query("SELECT docs, df FROM story_lexicon WHERE id = 1")
        return (int(rows[0]["docs"]), bytes(rows[0]["df"])) if rows else None

    def active_stories(self, since: float) -> list[StoryRecord]:
        """Stories whose latest article was published at or after `since` (POSIX seconds), or undated ones."""
        where = "last_published IS NULL OR last_published >= ?"
        return self._records(where, (since,))

    def _records(self, where: str, params: tuple[object, ...]) -> list[StoryRecord]:
        """The stories matching `where` (by seq, then id), their members read in one query."""
        rows = self.db.query(f"SELECT * FROM stories WHERE {where} ORDER BY seq, id", params)
        members: dict[str, list[str]] = {}
        for story_id, article_id in self.db.query(
            f"SELECT sa.story_id, sa.article_id FROM story_articles sa JOIN stories s ON s.id = sa.story_id"
            f" WHERE {where} ORDER BY sa.story_id, sa.position",
            params,
        ):
            members.setdefault(story_id, []).append(article_id)
        return [self._record(r, members.get(r["id"], [])) for r in rows]

    def _record(self, row: Row, ids: Sequence[str]) -> StoryRecord:
        return StoryRecord(
            story=Story(id=row["id"], title=row["title"], article_ids=tuple(ids)),
            seq=row["seq"],
            first_published=row["first_published"],
            last_published=row["last_published"],
            languages=tuple(json.loads(row["languages"])),
            outlets=tuple(json.loads(row["outlets"])),
        )

    def stories_between(self, since: datetime, until: datetime) -> list[StoryRecord]:
        """Stories with an article published in [since, until]: the stories of an edition window."""
        where = "last_published >= ? AND first_published <= ?"
        return self._records(where, (since.timestamp(), until.timestamp()))

    def save_story_changes(
        self, records: Sequence[StoryRecord], gone: Sequence[str], lexicon: tuple[int, bytes], now: datetime
    ) -> None:
        """One transaction: touched stories (membership replaced), stories merged away, the new lexicon."""
        when = to_db_time(now)
        with self.db.transaction() as conn:
            for story_id in gone:
                conn.execute("DELETE FROM stories WHERE id = ?", (story_id,))
            for rec in records:
                conn.execute(
                    "INSERT INTO stories (id, title, first_seen, last_seen, seq, first_published, last_published,"
                    " languages, outlets) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
                    " title=excluded.title, last_seen=excluded.last_seen, seq=excluded.seq,"
                    " first_published=excluded.first_published, last_published=excluded.last_published,"
                    " languages=excluded.languages, outlets=excluded.outlets",
                    (
                        rec.story.id,
                        rec.story.title,
                        when,
                        when,
                        rec.seq,
                        rec.first_published,
                        rec.last_published,
                        json.dumps(list(rec.languages)),
                        json.dumps(list(rec.outlets)),
                    ),
                )
                conn.execute("DELETE FROM story_articles WHERE story_id = ?", (rec.story.id,))
                if rec.story.article_ids:
                    marks = ", ".join("?" * len(rec.story.article_ids))
                    conn.execute(
                        f"DELETE FROM story_articles WHERE article_id IN ({marks})", rec.story.article_ids
                    )
                conn.executemany(
                    "INSERT INTO story_articles (story_id, article_id, position) VALUES (?, ?, ?)",
                    [(rec.story.id, a, k) for k, a in enumerate(rec.story.article_ids)],
                )
            conn.execute("DELETE FROM stories WHERE id NOT IN (SELECT story_id FROM story_articles)")
            conn.execute(
                "INSERT INTO story_lexicon (id, docs, df) VALUES (1, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET docs=excluded.docs, df=excluded.df",
                lexicon,
            )

    def next_story_seq(self) -> int:
        return int(self.db.query("SELECT COALESCE(MAX(seq), -1) + 1 FROM stories")[0][0])

    def unclustered_articles(self, since: datetime, until: datetime) -> list[Article]:
        """Articles of [since, until] with no stored signals yet (new, or whose text changed), oldest first."""
        params = (to_db_time(since), to_db_time(until))
        rows = self.db.query(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE (COALESCE(published, fetched_at) BETWEEN ? AND ?"
            " OR fetched_at BETWEEN ? AND ?) AND id NOT IN (SELECT article_id FROM article_vectors)"
            " ORDER BY fetched_at, id",
            params + params,
        )
        return [_article(r) for r in rows]
