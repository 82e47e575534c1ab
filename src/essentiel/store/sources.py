"""SQL for sources and their fetch state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..models import Source
from .db import AnyDatabase, Row, from_db_time, to_db_time, utcnow


@dataclass(frozen=True)
class SourceState:
    """A source and where its fetching stands."""

    source: Source
    etag: str | None
    last_modified: str | None
    last_checked_at: datetime | None
    next_check_at: datetime | None
    error_count: int  # consecutive failed checks (0 after a success)
    last_error: str | None  # one line
    last_success_at: datetime | None = None
    last_error_at: datetime | None = None
    articles_per_day: float = 0.0  # over the last HEALTH_DAYS days (or since the source was added)
    paused: bool = False  # kept, not fetched
    update_every: timedelta | None = None  # the feed's own hint (<ttl>, sy:updatePeriod), last read

    @property
    def backing_off(self) -> bool:
        """Failing: its next check is pushed back (exponentially, capped), it is never dropped."""
        return self.error_count > 0


HEALTH_DAYS = 7
CLAIM_LEASE = timedelta(minutes=30)  # a claimed source is not due for others for this long (or until checked)
DUE_SOURCES = (
    "SELECT * FROM sources WHERE paused = 0 AND (next_check_at IS NULL OR next_check_at <= ?)"
    " ORDER BY next_check_at NULLS FIRST, id"
)


def _source(row: Row) -> Source:
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


def _state(row: Row, per_day: float = 0.0) -> SourceState:
    return SourceState(
        source=_source(row),
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_checked_at=from_db_time(row["last_checked_at"]),
        next_check_at=from_db_time(row["next_check_at"]),
        error_count=row["error_count"],
        last_error=row["last_error"],
        last_success_at=from_db_time(row["last_success_at"]),
        last_error_at=from_db_time(row["last_error_at"]),
        articles_per_day=per_day,
        paused=bool(row["paused"]),
        update_every=_minutes(row["update_every_minutes"]),
    )


def _minutes(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(minutes=value)


class SourcesStore:
    db: AnyDatabase

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
        assert row is not None  # just written
        return _source(row)

    def remove_source(self, key: str) -> bool:
        """Remove a source by id or URL. Its articles are kept (their source_id becomes NULL)."""
        column = "id" if key.isdigit() else "url"
        with self.db.transaction() as conn:
            return conn.execute(f"DELETE FROM sources WHERE {column} = ?", (key,)).rowcount > 0

    def list_sources(self, now: datetime | None = None) -> list[SourceState]:
        """Every source with its fetch state and health (articles per day over the last days)."""
        now = now or utcnow()
        since = now - timedelta(days=HEALTH_DAYS)
        rows = self.db.query(
            "SELECT s.*, (SELECT COUNT(*) FROM articles a WHERE a.source_id = s.id AND a.fetched_at >= ?)"
            " AS recent FROM sources s ORDER BY s.category NULLS FIRST, s.name, s.url",
            (to_db_time(since),),
        )
        return [_state(r, _per_day(r["recent"], from_db_time(r["created_at"]), now)) for r in rows]

    def get_source(self, key: str | int) -> SourceState | None:
        column = "id" if isinstance(key, int) or str(key).isdigit() else "url"
        rows = self.db.query(f"SELECT * FROM sources WHERE {column} = ?", (key,))
        return _state(rows[0]) if rows else None

    def due_sources(self, now: datetime) -> list[SourceState]:
        """Sources whose next check has come (or that were never checked): the fetch queue."""
        return [_state(r) for r in self.db.query(DUE_SOURCES, (to_db_time(now),))]

    def claim_due_sources(
        self, now: datetime, lease: timedelta = CLAIM_LEASE, limit: int | None = None
    ) -> list[SourceState]:
        """The due sources, claimed for this process: what it fetches now.

        On a shared store (PostgreSQL, several `essentiel run` workers) the rows are locked with FOR UPDATE
        SKIP LOCKED, so two workers claiming at the same time get disjoint sets, and their next check is
        pushed `lease` ahead in the same transaction, so no other worker sees them as due until the check is
        recorded (record_fetch sets the real next check) or, if this worker dies, the lease runs out.
        `limit` caps one claim (the most overdue first), so that several workers share a backlog instead of
        the first one taking all of it. On SQLite (one writer process) it is `due_sources`, uncapped.
        """
        if not self.db.shared:
            return self.due_sources(now)
        with self.db.transaction() as conn:
            capped = " LIMIT ?" if limit else ""
            params = (to_db_time(now), limit) if limit else (to_db_time(now),)
            rows = conn.execute(DUE_SOURCES + capped + " FOR UPDATE SKIP LOCKED", params).fetchall()
            conn.executemany(
                "UPDATE sources SET next_check_at = ? WHERE id = ?",
                [(to_db_time(now + lease), row["id"]) for row in rows],
            )
        return [_state(r) for r in rows]

    def set_source_paused(self, source_id: int, paused: bool) -> bool:
        """Pause or resume a source (a paused source is kept but not fetched). False when there is no such source."""
        with self.db.transaction() as conn:
            cursor = conn.execute("UPDATE sources SET paused = ? WHERE id = ?", (int(paused), source_id))
        return cursor.rowcount > 0

    def is_paused(self, source_id: int) -> bool:
        rows = self.db.query("SELECT paused FROM sources WHERE id = ?", (source_id,))
        return bool(rows and rows[0][0])

    def record_fetch(
        self,
        source_id: int,
        *,
        checked_at: datetime,
        next_check_at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
        error: str | None = None,
        update_every: timedelta | None = None,
    ) -> None:
        """Store the outcome of one check: validators and the feed's update hint on success (a hint of
        None clears it), an error (counted) on failure."""
        with self.db.transaction() as conn:
            if error is None:
                conn.execute(
                    "UPDATE sources SET last_checked_at=?, next_check_at=?, etag=COALESCE(?, etag),"
                    " last_modified=COALESCE(?, last_modified), error_count=0, last_error=NULL,"
                    " last_success_at=?, update_every_minutes=? WHERE id=?",
                    (
                        to_db_time(checked_at),
                        to_db_time(next_check_at),
                        etag,
                        last_modified,
                        to_db_time(checked_at),
                        None if update_every is None else update_every.total_seconds() / 60,
                        source_id,
                    ),
                )
            else:
                line = " ".join(error.split())[:500]
                conn.execute(
                    "UPDATE sources SET last_checked_at=?, next_check_at=?, error_count=error_count+1,"
                    " last_error=?, last_error_at=? WHERE id=?",
                    (
                        to_db_time(checked_at),
                        to_db_time(next_check_at),
                        line,
                        to_db_time(checked_at),
                        source_id,
                    ),
                )

    def seen_entries(self, source_id: int, hashes: Sequence[str]) -> set[str]:
        """Which of these entry hashes (of a GUID or a canonical URL) this source already led to an article."""
        sql = "SELECT hash FROM feed_entries WHERE source_id = ? AND hash IN ({marks})"
        return {r[0] for r in self.db.query_in(sql, hashes, (source_id,))}

    def remember_entries(self, source_id: int, entries: Iterable[tuple[str, str, str | None]]) -> None:
        """Record (hash, canonical URL, article id) rows for a source; known hashes are left as they are."""
        when = to_db_time(utcnow())
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO feed_entries (source_id, hash, url, article_id, first_seen_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(source_id, h, url, article, when) for h, url, article in entries],
            )


def _per_day(count: int, created: datetime | None, now: datetime) -> float:
    """Articles per day over the last HEALTH_DAYS days, or over the days since the source was added."""
    days = HEALTH_DAYS if created is None else (now - created).total_seconds() / 86400
    return round(count / min(HEALTH_DAYS, max(1.0, days)), 1)
