"""PostgreSQL connections (psycopg 3) with the interface of the SQLite `Database`.

The store's SQL is written once with `?` placeholders (dialect.py translates them). Rows answer `row["col"]`
and `row[0]` like sqlite3.Row. One connection per store, autocommit outside `transaction()`; several processes
may share the database (`shared`): due sources are claimed with FOR UPDATE SKIP LOCKED, and `exclusive(name)`
is a session advisory lock (one edition build at a time). Migrations come from store/migrations/postgresql,
the same versions and names as SQLite's, applied under an advisory lock so workers starting together do not
race.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import StoreError
from .dialect import APPLIED_MIGRATIONS, POSTGRES, SCHEMA_MIGRATIONS, query_in_chunks, to_postgres
from .location import PostgresDsn

if TYPE_CHECKING:
    import psycopg

    from .db import Row

log = logging.getLogger(__name__)
IN_CHUNK = 5000  # values per IN (...) list


class PgRow(tuple[Any, ...]):
    """A result row: by position like a tuple, by column name like sqlite3.Row (`keys()` lists the names)."""

    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


@lru_cache(maxsize=512)
def _row_class(names: tuple[str, ...]) -> type[PgRow]:
    return type("PgRow", (PgRow,), {"_index": {name: k for k, name in enumerate(names)}})


def _row_factory(cursor: Any) -> Any:
    """psycopg row factory: a PgRow class per column list."""
    if cursor.description is None:
        return tuple
    cls = _row_class(tuple(c.name for c in cursor.description))
    return cls


def lock_key(name: str) -> int:
    """A stable 32-bit advisory lock key for a name."""
    return zlib.crc32(f"essentiel:{name}".encode())


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class PgConnection:
    """What `transaction()` yields: `execute` and `executemany` over `?` SQL, returning the psycopg cursor."""

    def __init__(self, conn: psycopg.Connection[PgRow]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[object] | dict[str, object] = ()) -> psycopg.Cursor[PgRow]:
        cursor = self._conn.cursor()
        cursor.execute(to_postgres(sql), tuple(params) if not isinstance(params, dict) else params)
        return cursor

    def executemany(self, sql: str, rows: Iterable[Sequence[object]]) -> psycopg.Cursor[PgRow]:
        cursor = self._conn.cursor()
        batch = [tuple(r) for r in rows]
        if batch:
            cursor.executemany(to_postgres(sql), batch)
        return cursor


def pg_migrations() -> list[tuple[int, str, str]]:
    from .db import migrations

    return migrations("postgresql")


class PgDatabase:
    """A PostgreSQL database. Writes go through `transaction()`; `query` runs in autocommit."""

    dialect = POSTGRES
    shared = True  # several processes may work on it at once

    def __init__(self, dsn: PostgresDsn, *, readonly: bool = False) -> None:
        import psycopg

        self.path = dsn  # what messages print (password masked)
        self.location = dsn
        self.readonly = readonly
        self._lock = threading.RLock()
        try:
            self.conn: psycopg.Connection[PgRow] = psycopg.connect(
                dsn.url, autocommit=True, row_factory=_row_factory, connect_timeout=10
            )
        except psycopg.Error as exc:
            raise StoreError(f"{dsn}: cannot connect to PostgreSQL ({_one_line(exc)})") from None
        try:
            if readonly:
                self.conn.execute("SET default_transaction_read_only = on")
                self.conn.execute("SELECT 1 FROM schema_migrations LIMIT 1")
            else:
                self.migrate()
        except psycopg.errors.UndefinedTable:
            self.conn.close()
            raise StoreError(
                f"{dsn}: no essentiel store in this database yet (open it once read-write)"
            ) from None
        except psycopg.Error as exc:
            self.conn.close()
            raise StoreError(f"{dsn}: cannot open the store ({_one_line(exc)})") from None
        except BaseException:
            self.conn.close()
            raise

    def close(self) -> None:
        self.conn.close()

    def _failure(self, exc: Exception) -> StoreError | None:
        """A one-line StoreError for a connection or server failure; None for an error in the SQL itself."""
        import psycopg

        if isinstance(exc, psycopg.OperationalError | psycopg.errors.UndefinedTable):
            return StoreError(f"{self.path}: {_one_line(exc)}")
        if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
            return StoreError(f"{self.path}: opened read-only")
        return None

    @contextmanager
    def _failures(self) -> Iterator[None]:
        """Under this connection's lock; a connection or server failure raised as a one-line StoreError."""
        import psycopg

        with self._lock:
            try:
                yield
            except psycopg.Error as exc:
                failure = self._failure(exc)
                if failure is not None:
                    raise failure from exc
                raise

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only")
        with self._failures(), self.conn.transaction():
            yield PgConnection(self.conn)

    def query(self, sql: str, params: Sequence[object] | dict[str, object] = ()) -> list[Row]:
        with self._failures():
            cursor = PgConnection(self.conn).execute(sql, params)
            return list(cursor.fetchall()) if cursor.description else []

    def query_in(self, sql: str, values: Sequence[object], params: tuple[object, ...] = ()) -> list[Row]:
        """Rows of `sql` with its `{marks}` filled by `values`, in chunks (as the SQLite store does)."""
        return query_in_chunks(self.query, sql, values, params, IN_CHUNK)

    def column_order(self, table: str) -> list[str]:
        """The column names of a table in their declared order ([] when the table does not exist)."""
        rows = self.query(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return [r[0] for r in rows]

    def columns(self, table: str) -> set[str]:
        return set(self.column_order(table))

    def stream(self, sql: str, size: int) -> Iterator[list[Row]]:
        """The rows of a query, `size` at a time, through a server-side cursor (not all in memory)."""
        with self._lock, self.conn.transaction(), self.conn.cursor(name="essentiel_stream") as cursor:
            cursor.execute(to_postgres(sql), ())
            while rows := cursor.fetchmany(size):
                yield list(rows)

    def tables(self) -> set[str]:
        rows = self.query(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
        return {r[0] for r in rows}

    def size_bytes(self) -> int:
        return int(self.query("SELECT pg_database_size(current_database())")[0][0])

    def vacuum(self) -> None:
        with self._lock:
            self.conn.execute("VACUUM")

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Hold a session advisory lock named `name` (another process asking for it waits)."""
        key = lock_key(name)
        with self._lock:
            self.conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                yield
            finally:
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def backup(self, target: str | Path) -> Path:
        """A copy of this store in a new SQLite file (`essentiel store copy` to SQLite)."""
        from .copy import copy_store

        target = Path(target)
        if target.exists():
            raise StoreError(f"{target}: already exists (backups never overwrite)")
        copy_store(self.location, target)
        return target

    def integrity_errors(self) -> list[str]:
        """What is wrong with the schema: migrations missing, full-text columns absent ([] when all is well).

        PostgreSQL checks its own pages (checksums, WAL); there is no separate full-text index to verify.
        """
        problems = []
        applied = set(self.applied_migrations())
        missing = [name for version, name, _ in pg_migrations() if version not in applied]
        if missing:
            problems.append(f"migrations not applied: {', '.join(missing)}")
        for table in ("articles", "story_search"):
            if "fts" not in self.columns(table):
                problems.append(f"full-text index: {table}.fts is missing")
        return problems

    def applied_migrations(self) -> list[int]:
        self.conn.execute(SCHEMA_MIGRATIONS)
        return [row[0] for row in self.conn.execute(APPLIED_MIGRATIONS)]

    def migrate(self) -> list[str]:
        """Apply pending migrations, each in its own transaction, under an advisory lock; names applied."""
        import psycopg

        from .db import to_db_time, utcnow

        applied: list[str] = []
        with self.exclusive("migrate"):
            done = set(self.applied_migrations())
            for version, name, sql in pg_migrations():
                if version in done:
                    continue
                try:
                    with self.conn.transaction():
                        self.conn.execute(sql.encode())  # several statements: no parameters
                        self.conn.execute(
                            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                            (version, name, to_db_time(utcnow())),
                        )
                except psycopg.Error as exc:
                    raise StoreError(f"{self.path}: migration {name} failed ({_one_line(exc)})") from None
                log.info("migration applied name=%s backend=postgresql", name)
                applied.append(name)
        return applied
