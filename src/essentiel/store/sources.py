"""SQL for sources and their fetch state."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ..models import Source
from .db import Database, from_db_time, to_db_time, utcnow


@dataclass(frozen=True)
class SourceState:
    """A source and where its fetching stands."""

    source: Source
    etag: str | None
    last_modified: str | None
    last_checked_at: datetime | None
    next_check_at: datetime | None
    error_count: int
    last_error: str | None


def _source(row: sqlite3.Row) -> Source:
    return Source(
        id=row["id"],
        url=row["url"],
        name=row["name"],
        kind=row["kind"],
        language=row["language"],
        country=row["country"],
        category=row["category"],
        weight=row["weight"],
        independent=bool(row["independent"]),
        full_page=bool(row["full_page"]),
    )


def _state(row: sqlite3.Row) -> SourceState:
    return SourceState(
        source=_source(row),
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_checked_at=from_db_time(row["last_checked_at"]),
        next_check_at=from_db_time(row["next_check_at"]),
        error_count=row["error_count"],
        last_error=row["last_error"],
    )


class SourcesStore:
    db: Database

    def add_source(self, source: Source) -> Source:
        """Insert a source, or update its metadata when its URL is already known (fetch state is kept)."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO sources (url, name, kind, language, country, category, weight, independent,"
                " full_page, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(url) DO UPDATE SET name=excluded.name, kind=excluded.kind,"
                " language=excluded.language, country=excluded.country, category=excluded.category,"
                " weight=excluded.weight, independent=excluded.independent, full_page=excluded.full_page",
                (
                    source.url,
                    source.name,
                    source.kind,
                    source.language,
                    source.country,
                    source.category,
                    source.weight,
                    int(source.independent),
                    int(source.full_page),
                    to_db_time(utcnow()),
                ),
            )
            row = conn.execute("SELECT * FROM sources WHERE url = ?", (source.url,)).fetchone()
        return _source(row)

    def remove_source(self, key: str) -> bool:
        """Remove a source by id or URL. Its articles are kept (their source_id becomes NULL)."""
        column = "id" if key.isdigit() else "url"
        with self.db.transaction() as conn:
            return conn.execute(f"DELETE FROM sources WHERE {column} = ?", (key,)).rowcount > 0

    def list_sources(self) -> list[SourceState]:
        return [_state(r) for r in self.db.query("SELECT * FROM sources ORDER BY category, name, url")]

    def get_source(self, key: str | int) -> SourceState | None:
        column = "id" if isinstance(key, int) or str(key).isdigit() else "url"
        rows = self.db.query(f"SELECT * FROM sources WHERE {column} = ?", (key,))
        return _state(rows[0]) if rows else None

    def due_sources(self, now: datetime) -> list[SourceState]:
        """Sources whose next check has come (or that were never checked): the fetch queue."""
        rows = self.db.query(
            "SELECT * FROM sources WHERE next_check_at IS NULL OR next_check_at <= ? ORDER BY next_check_at, id",
            (to_db_time(now),),
        )
        return [_state(r) for r in rows]

    def record_fetch(
        self,
        source_id: int,
        *,
        checked_at: datetime,
        next_check_at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
        error: str | None = None,
    ) -> None:
        """Store the outcome of one check: validators on success, an error (counted) on failure."""
        with self.db.transaction() as conn:
            if error is None:
                conn.execute(
                    "UPDATE sources SET last_checked_at=?, next_check_at=?, etag=COALESCE(?, etag),"
                    " last_modified=COALESCE(?, last_modified), error_count=0, last_error=NULL WHERE id=?",
                    (to_db_time(checked_at), to_db_time(next_check_at), etag, last_modified, source_id),
                )
            else:
                conn.execute(
                    "UPDATE sources SET last_checked_at=?, next_check_at=?, error_count=error_count+1,"
                    " last_error=? WHERE id=?",
                    (to_db_time(checked_at), to_db_time(next_check_at), error, source_id),
                )
