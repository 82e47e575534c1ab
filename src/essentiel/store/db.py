"""SQLite connections: one file, WAL mode, one writer (BEGIN IMMEDIATE), ordered migrations recorded in a table."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from ..errors import StoreError
from .dialect import APPLIED_MIGRATIONS, SCHEMA_MIGRATIONS, SQLITE, query_in_chunks
from .location import PostgresDsn, StoreLocation, parse_location
from .pg import PgDatabase, PgRow

log = logging.getLogger(__name__)
IN_CHUNK = 500  # values per IN (...) list
Row = sqlite3.Row | PgRow  # both answer row["column"] and row[0]


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_db_time(value: datetime | None) -> str | None:
    """Datetimes are stored as ISO 8601 strings in UTC (naive values are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def from_db_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# What a storage failure means for the user, by SQLite's primary result code.
_STORAGE_ERRORS = {
    "SQLITE_FULL": "disk full, nothing more can be written (free some space; the last transaction was rolled back)",
    "SQLITE_READONLY": "the database is read-only (check the permissions of the file and of its folder)",
    "SQLITE_CANTOPEN": "cannot open the database file (check that its folder exists and is writable)",
    "SQLITE_IOERR": "input/output error while reading or writing the database",
    "SQLITE_CORRUPT": "the database file is corrupt (restore a backup made with `essentiel backup`)",
    "SQLITE_NOTADB": "not an SQLite database",
    "SQLITE_PERM": "permission denied",
}


def storage_error(path: Path, exc: sqlite3.Error) -> StoreError | None:
    """A one-line StoreError for a storage failure (disk full, read-only, I/O...); None for other errors."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    primary = next((key for key in _STORAGE_ERRORS if name == key or name.startswith(key + "_")), None)
    if primary is None:
        text = str(exc).lower()
        if "disk is full" in text:
            primary = "SQLITE_FULL"
        elif "readonly database" in text:
            primary = "SQLITE_READONLY"
        else:
            return None
    return StoreError(f"{path}: {_STORAGE_ERRORS[primary]} ({name or type(exc).__name__}: {exc})")


def _writable(path: Path) -> bool:
    """Whether the database file and its folder can be written (WAL mode creates files beside it)."""
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def _read_only_file_system(path: Path) -> bool:
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _raise_storage_error(path: Path, exc: sqlite3.Error) -> None:
    """Raise the one-line StoreError of a storage failure; return for any other error (the caller re-raises)."""
    error = storage_error(path, exc)
    if error is not None:
        raise error from exc


def migrations(dialect: str = "sqlite") -> list[tuple[int, str, str]]:
    """(version, name, sql) for every file in store/migrations (SQLite) or store/migrations/postgresql, in order."""
    folder = resources.files("essentiel.store") / "migrations"
    if dialect == "postgresql":
        folder = folder / "postgresql"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """A SQLite file. Writes go through `transaction()` (BEGIN IMMEDIATE) on the one writer connection."""

    dialect = SQLITE
    shared = False  # one writer process (the instance lock of lock.py)

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.location: StoreLocation = self.path
        self.readonly = readonly
        self._lock = threading.RLock()
        try:
            if readonly:
                # On a read-only file system nobody can write, so the file is opened as immutable: WAL mode
                # cannot create its shared-memory file there.
                frozen = "&immutable=1" if _read_only_file_system(self.path) else ""
                uri = f"file:{self.path.resolve()}?mode=ro{frozen}"
                self.conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"{self.path}: cannot open database ({exc})") from exc
        self.conn.row_factory = sqlite3.Row
        try:
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA busy_timeout = 5000")
            if readonly:
                self.conn.execute("SELECT COUNT(*) FROM sqlite_master")  # opens the file: errors show here
            else:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")
                self.migrate()
        except sqlite3.Error as exc:
            self.conn.close()
            if not readonly and not _writable(self.path):
                raise StoreError(f"{self.path}: {_STORAGE_ERRORS['SQLITE_READONLY']} ({exc})") from exc
            raise storage_error(self.path, exc) or StoreError(
                f"{self.path}: cannot open database ({exc})"
            ) from exc
        except StoreError:
            self.conn.close()
            raise

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only")
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self.conn
                except BaseException:
                    if self.conn.in_transaction:  # SQLite may have rolled back already (disk full)
                        self.conn.execute("ROLLBACK")
                    raise
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self.conn.in_transaction:  # a failed COMMIT leaves the transaction open
                    with suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK")
                _raise_storage_error(self.path, exc)
                raise

    def query(self, sql: str, params: tuple[object, ...] | dict[str, object] = ()) -> list[Row]:
        with self._lock:
            try:
                return self.conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                _raise_storage_error(self.path, exc)
                raise

    def query_in(self, sql: str, values: Sequence[object], params: tuple[object, ...] = ()) -> list[Row]:
        """Rows of `sql` with its `{marks}` filled by `values`, in chunks (SQLite caps a statement's parameters).

        `params` come before the values, e.g. `"... WHERE source_id = ? AND hash IN ({marks})"`.
        """
        return query_in_chunks(self.query, sql, values, params, IN_CHUNK)

    def column_order(self, table: str) -> list[str]:
        """The column names of a table in their declared order ([] when the table does not exist)."""
        return [row[1] for row in self.query(f"PRAGMA table_info({table})")]

    def columns(self, table: str) -> set[str]:
        return set(self.column_order(table))

    def stream(self, sql: str, size: int) -> Iterator[list[Row]]:
        """The rows of a query, `size` at a time (not all in memory)."""
        with self._lock:
            cursor = self.conn.execute(sql)
            while rows := cursor.fetchmany(size):
                yield rows

    def tables(self) -> set[str]:
        """The ordinary tables (not the full-text index's own)."""
        rows = self.query(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        virtual = {r[0] for r in rows if (r[1] or "").upper().startswith("CREATE VIRTUAL TABLE")}
        return {
            r[0] for r in rows if r[0] not in virtual and not any(r[0].startswith(v + "_") for v in virtual)
        }

    def size_bytes(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def vacuum(self) -> None:
        """Give the space of deleted rows back to the file system (outside any transaction)."""
        with self._lock:
            self.conn.execute("VACUUM")

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """One process at a time: nothing to do here, one process writes an SQLite store (lock.py)."""
        yield

    def backup(self, target: str | Path) -> Path:
        """An online, consistent copy of the database (SQLite's backup API), safe while the writer works."""
        target = Path(target)
        if target.exists():
            raise StoreError(f"{target}: already exists (backups never overwrite)")
        target.parent.mkdir(parents=True, exist_ok=True)
        copy = sqlite3.connect(target)
        try:
            with self._lock:
                self.conn.backup(copy)
        except sqlite3.Error as exc:
            copy.close()
            target.unlink(missing_ok=True)
            raise StoreError(f"{target}: backup failed ({exc})") from exc
        copy.close()
        return target

    def integrity_errors(self) -> list[str]:
        """What SQLite's integrity check and the FTS5 index check find wrong ([] when all is well)."""
        problems = [r[0] for r in self.query("PRAGMA integrity_check") if r[0] != "ok"]
        try:
            self.query("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            problems.append(f"full-text index: {exc}")
        return problems

    def applied_migrations(self) -> list[int]:
        self.conn.execute(SCHEMA_MIGRATIONS)
        return [row[0] for row in self.conn.execute(APPLIED_MIGRATIONS)]

    def migrate(self) -> list[str]:
        """Apply pending migrations, each in its own transaction; returns the names applied."""
        done = set(self.applied_migrations())
        applied = []
        for version, name, sql in migrations():
            if version in done:
                continue
            try:
                with self.transaction() as conn:
                    for statement in _statements(sql):
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                        (version, name, to_db_time(utcnow())),
                    )
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: migration {name} failed ({exc})") from exc
            log.info("migration applied name=%s", name)
            applied.append(name)
        return applied


def _statements(sql: str) -> Iterator[str]:
    """Split a migration into statements (sqlite3.complete_statement keeps triggers whole)."""
    buffer = ""
    for line in sql.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


AnyDatabase = Database | PgDatabase


def open_database(location: str | Path | PostgresDsn, *, readonly: bool = False) -> AnyDatabase:
    """An SQLite file or a PostgreSQL database, by location (a path, `sqlite:///path` or `postgresql://...`)."""
    where = parse_location(location)
    if isinstance(where, PostgresDsn):
        return PgDatabase(where, readonly=readonly)
    return Database(where, readonly=readonly)
