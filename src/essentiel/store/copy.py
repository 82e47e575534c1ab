"""`essentiel store copy SRC DST`: every table of one store into another (SQLite <-> PostgreSQL), ids kept.

The destination is opened (and migrated) like any store, then filled in one transaction, table by table in
the order of their foreign keys, in batches streamed from the source. The full-text indexes follow by
themselves (SQLite's triggers, PostgreSQL's generated columns). The stories' search rows are copied as they
are (ids kept) after the edition snapshots, whose insert trigger fills them on the way. PostgreSQL identity
sequences are moved past the copied ids. A destination that holds rows is refused unless `force` (its rows
are then deleted first, in the same transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreError
from .db import AnyDatabase, open_database
from .location import PostgresDsn

# Every table, parents before children. schema_migrations is each store's own (both list the same versions).
TABLES = (
    "sources",
    "documents",
    "articles",
    "stories",
    "story_articles",
    "editions",
    "edition_stories",
    "article_vectors",
    "story_lexicon",
    "feed_entries",
    "feed_positions",
    "story_search",
    "scheduler_heartbeat",
    "fetch_counts",
    "source_counts",
    "stage_timings",
)
NOT_COPIED = {"schema_migrations"}
GENERATED = {"fts"}  # PostgreSQL's generated full-text columns: computed by the destination
IDENTITY = ("sources", "documents", "editions", "story_search")  # tables whose `id` PostgreSQL generates
BATCH = 500


@contextmanager
def _opened(location: str | Path | PostgresDsn, readonly: bool) -> Iterator[AnyDatabase]:
    db = open_database(location, readonly=readonly)
    try:
        yield db
    finally:
        db.close()


def _check_tables(db: AnyDatabase) -> None:
    unknown = sorted(db.tables() - set(TABLES) - NOT_COPIED)
    if unknown:
        raise StoreError(f"{db.path}: tables this version does not know how to copy: {', '.join(unknown)}")


def copy_store(
    source: str | Path | PostgresDsn,
    target: str | Path | PostgresDsn,
    *,
    force: bool = False,
    batch: int = BATCH,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Copy every table from `source` to `target`; returns the rows copied per table."""
    counts: dict[str, int] = {}
    with _opened(source, True) as src, _opened(target, False) as dst:
        if str(src.path) == str(dst.path):
            raise StoreError(f"{dst.path}: the source and the destination are the same store")
        _check_tables(src)
        _check_tables(dst)
        filled = {t: n for t in TABLES if (n := int(dst.query(f"SELECT COUNT(*) FROM {t}")[0][0]))}
        if filled and not force:
            listing = ", ".join(f"{n} {t}" for t, n in filled.items())
            raise StoreError(f"{dst.path}: not empty ({listing}); use --force to replace its content")
        with dst.transaction() as conn:
            for table in reversed(TABLES):
                if table in filled:
                    conn.execute(f"DELETE FROM {table}")
            for table in TABLES:
                columns = [c for c in src.column_order(table) if c in dst.columns(table)]
                columns = [c for c in columns if c not in GENERATED]
                names = ", ".join(columns)
                insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
                if table == "story_search":  # filled by the edition_stories trigger: replaced by the source's
                    conn.execute("DELETE FROM story_search")
                copied = 0
                for rows in src.stream(f"SELECT {names} FROM {table}", batch):
                    conn.executemany(insert, rows)
                    copied += len(rows)
                    if progress:
                        progress(table, len(rows))
                counts[table] = copied
            if dst.dialect.postgres:
                for table in IDENTITY:
                    conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false)"
                        f" FROM {table}"
                    )
        found = {t: int(dst.query(f"SELECT COUNT(*) FROM {t}")[0][0]) for t in TABLES}
    if found != counts:
        wrong = ", ".join(
            f"{t}: {counts[t]} copied, {found[t]} found" for t in TABLES if found[t] != counts[t]
        )
        raise StoreError(f"{target}: the copy does not match its source ({wrong})")
    return counts
