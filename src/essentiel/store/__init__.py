"""Storage. All SQL lives here, behind the narrow `Store` interface the stages use.

Two backends behind the same methods: SQLite (the default: one file, WAL, one writer) and PostgreSQL (psycopg 3;
several workers may share it). `open_store` picks one from the location: a path or `sqlite:///path`, or a
`postgresql://` URL. The SQL is written once; dialect.py holds what differs.
"""

from __future__ import annotations

from pathlib import Path

from .articles import ArticlesStore
from .db import AnyDatabase, open_database
from .location import PostgresDsn, StoreLocation, parse_location
from .maintenance import MaintenanceStore
from .sources import SourcesStore, SourceState
from .stories import StoriesStore
from .views import ViewsStore

__all__ = ["PostgresDsn", "Store", "SourceState", "StoreLocation", "open_store", "parse_location"]


class Store(SourcesStore, ArticlesStore, StoriesStore, ViewsStore, MaintenanceStore):
    """The store: sources, documents, articles, stories and editions, in SQLite or PostgreSQL."""

    def __init__(self, location: str | Path | PostgresDsn, *, readonly: bool = False) -> None:
        self.db: AnyDatabase = open_database(location, readonly=readonly)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(location: str | Path | PostgresDsn, *, readonly: bool = False) -> Store:
    """Open (and migrate, unless read-only) the store at a path, `sqlite:///path` or `postgresql://...` URL."""
    return Store(location, readonly=readonly)
