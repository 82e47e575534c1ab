"""Storage. All SQL lives here, behind the narrow `Store` interface the stages use.

SQLite is the default backend (one file, WAL, one writer). A PostgreSQL backend implements the same methods.
"""

from __future__ import annotations

from pathlib import Path

from .articles import ArticlesStore
from .db import Database
from .maintenance import MaintenanceStore
from .sources import SourcesStore, SourceState
from .stories import StoriesStore
from .views import ViewsStore

__all__ = ["Store", "SourceState", "open_store"]


class Store(SourcesStore, ArticlesStore, StoriesStore, ViewsStore, MaintenanceStore):
    """The SQLite store: sources, documents, articles, stories and editions."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.db = Database(path, readonly=readonly)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(path: str | Path, *, readonly: bool = False) -> Store:
    return Store(path, readonly=readonly)
