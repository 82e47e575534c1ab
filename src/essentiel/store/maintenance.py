"""Retention, housekeeping and the operations figures: the scheduler's heartbeat, fetch outcomes, stage timings.

The figures live in the store (migration 0010), so `essentiel serve` (/healthz, /metrics) and `essentiel status`
read what `essentiel run` and `essentiel fetch` wrote, and counters survive restarts.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .db import AnyDatabase, Row, from_db_time, to_db_time, utcnow

STALE_GRACE = timedelta(minutes=5)  # a heartbeat is stale after two intervals plus this


@dataclass(frozen=True)
class Heartbeat:
    pid: int
    started_at: datetime
    beat_at: datetime
    interval_seconds: float
    state: str  # 'running' or 'stopped'

    def alive(self, now: datetime) -> bool:
        """Running, and heard from within two intervals (plus a grace for a long pass)."""
        deadline = self.beat_at + timedelta(seconds=2 * self.interval_seconds) + STALE_GRACE
        return self.state == "running" and now <= deadline


@dataclass(frozen=True)
class StageTiming:
    stage: str
    count: int
    total_seconds: float
    last_seconds: float
    max_seconds: float
    last_at: datetime | None


@dataclass(frozen=True)
class SourceCounts:
    source_id: int
    name: str
    checks: int
    errors: int
    articles: int
    consecutive_errors: int


class MaintenanceStore:
    db: AnyDatabase

    def prune_documents(self, before: datetime) -> int:
        """Delete raw documents fetched before `before`; their articles stay (no re-extraction for them)."""
        with self.db.transaction() as conn:
            return conn.execute("DELETE FROM documents WHERE fetched_at < ?", (to_db_time(before),)).rowcount

    def vacuum(self) -> None:
        """Give the space of deleted rows back to the file system (outside any transaction)."""
        self.db.vacuum()

    # --- the scheduler's heartbeat ----------------------------------------------------------------------

    def beat(self, interval_seconds: float, *, state: str = "running", started: bool = False) -> None:
        """Record that the scheduler is alive (`started`: a new process; 'stopped' on a clean stop)."""
        now = to_db_time(utcnow())
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO scheduler_heartbeat (id, pid, started_at, beat_at, interval_seconds, state)"
                " VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET pid=excluded.pid,"
                " started_at=CASE WHEN ? = 1 THEN excluded.started_at ELSE scheduler_heartbeat.started_at END,"
                " beat_at=excluded.beat_at, interval_seconds=excluded.interval_seconds, state=excluded.state",
                (os.getpid(), now, now, interval_seconds, state, int(started)),
            )

    def heartbeat(self) -> Heartbeat | None:
        """The scheduler's last heartbeat; None when no scheduler ever ran on this store."""
        rows = _optional(self.db, "SELECT * FROM scheduler_heartbeat WHERE id = 1")
        if not rows:
            return None
        row = rows[0]
        return Heartbeat(
            pid=row["pid"],
            started_at=_time(row["started_at"]),
            beat_at=_time(row["beat_at"]),
            interval_seconds=row["interval_seconds"],
            state=row["state"],
        )

    # --- stage latencies ---------------------------------------------------------------------------------

    def record_stage(self, stage: str, seconds: float) -> None:
        """Add one run of a stage to its timings (a read-only store records nothing)."""
        if self.db.readonly:
            return
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO stage_timings (stage, count, total_seconds, last_seconds, max_seconds, last_at)"
                " VALUES (?, 1, ?, ?, ?, ?) ON CONFLICT(stage) DO UPDATE SET count=stage_timings.count+1,"
                " total_seconds=stage_timings.total_seconds+excluded.total_seconds,"
                " last_seconds=excluded.last_seconds,"
                f" max_seconds={self.db.dialect.greatest('stage_timings.max_seconds', 'excluded.max_seconds')},"
                " last_at=excluded.last_at",
                (stage, seconds, seconds, seconds, to_db_time(utcnow())),
            )

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Time the block and record it as one run of `stage` (only when it finished without an error)."""
        start = time.perf_counter()
        yield
        self.record_stage(stage, time.perf_counter() - start)

    def stage_timings(self) -> list[StageTiming]:
        rows = _optional(self.db, "SELECT * FROM stage_timings ORDER BY stage")
        return [
            StageTiming(
                r["stage"],
                r["count"],
                r["total_seconds"],
                r["last_seconds"],
                r["max_seconds"],
                from_db_time(r["last_at"]),
            )
            for r in rows
        ]

    # --- fetch outcomes and per-source counts -------------------------------------------------------------

    def record_fetches(
        self, statuses: Mapping[str, int], sources: Iterable[tuple[int, int, int, int]] = ()
    ) -> None:
        """Add fetch outcomes ({'200': n, 'timeout': m}) and per-source (id, checks, errors, articles)."""
        rows = [s for s in sources if any(s[1:])]
        if not statuses and not rows:
            return
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO fetch_counts (status, count) VALUES (?, ?)"
                " ON CONFLICT(status) DO UPDATE SET count=fetch_counts.count+excluded.count",
                [(status, n) for status, n in statuses.items() if n],
            )
            conn.executemany(
                "INSERT INTO source_counts (source_id, checks, errors, articles)"
                " SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM sources WHERE id = ?)"
                " ON CONFLICT(source_id) DO UPDATE SET checks=source_counts.checks+excluded.checks,"
                " errors=source_counts.errors+excluded.errors, articles=source_counts.articles+excluded.articles",
                [(sid, checks, errors, articles, sid) for sid, checks, errors, articles in rows],
            )

    def fetch_counts(self) -> dict[str, int]:
        rows = _optional(self.db, "SELECT status, count FROM fetch_counts ORDER BY status")
        return {r["status"]: r["count"] for r in rows}

    def source_counts(self) -> list[SourceCounts]:
        """Every source with its cumulative counts (zeros for a source never checked since 0010)."""
        rows = _optional(
            self.db,
            "SELECT s.id, COALESCE(NULLIF(s.name, ''), s.url) AS name, s.error_count,"
            " COALESCE(c.checks, 0) AS checks, COALESCE(c.errors, 0) AS errors,"
            " COALESCE(c.articles, 0) AS articles"
            " FROM sources s LEFT JOIN source_counts c ON c.source_id = s.id ORDER BY s.id",
        )
        return [
            SourceCounts(r["id"], r["name"], r["checks"], r["errors"], r["articles"], r["error_count"])
            for r in rows
        ]

    # --- what /healthz, /metrics and `essentiel status` show ---------------------------------------------

    def articles_since(self, since: datetime) -> int:
        rows = self.db.query("SELECT COUNT(*) FROM articles WHERE fetched_at >= ?", (to_db_time(since),))
        return int(rows[0][0])

    def last_edition_time(self) -> datetime | None:
        rows = self.db.query("SELECT MAX(created_at) FROM editions")
        return from_db_time(rows[0][0]) if rows and rows[0][0] else None

    def ops_figures(self, now: datetime) -> dict[str, Any]:
        """The operations figures in one dict (the same for /metrics and `essentiel status --json`)."""
        heartbeat = self.heartbeat()
        return {
            "articles_last_hour": self.articles_since(now - timedelta(hours=1)),
            "articles_last_day": self.articles_since(now - timedelta(days=1)),
            "sources_due": int(
                self.db.query(
                    "SELECT COUNT(*) FROM sources WHERE paused = 0"
                    " AND (next_check_at IS NULL OR next_check_at <= ?)",
                    (to_db_time(now),),
                )[0][0]
            ),
            "fetches": self.fetch_counts(),
            "stages": {
                t.stage: {
                    "count": t.count,
                    "total_seconds": round(t.total_seconds, 3),
                    "last_seconds": round(t.last_seconds, 3),
                    "max_seconds": round(t.max_seconds, 3),
                }
                for t in self.stage_timings()
            },
            "sources": [
                {
                    "id": s.source_id,
                    "source": s.name,
                    "checks": s.checks,
                    "errors": s.errors,
                    "articles": s.articles,
                    "consecutive_errors": s.consecutive_errors,
                }
                for s in self.source_counts()
            ],
            "scheduler": None
            if heartbeat is None
            else {
                "pid": heartbeat.pid,
                "state": heartbeat.state,
                "alive": heartbeat.alive(now),
                "started_at": heartbeat.started_at.isoformat(),
                "beat_at": heartbeat.beat_at.isoformat(),
                "interval_seconds": heartbeat.interval_seconds,
            },
        }


def _optional(db: AnyDatabase, sql: str) -> list[Row]:
    """Rows of a table of migration 0010; [] on a store opened read-only before it was migrated."""
    try:
        return db.query(sql)
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise


def _time(value: str) -> datetime:
    parsed = from_db_time(value)
    assert parsed is not None
    return parsed
