"""Retention and housekeeping: pruning old raw documents (articles and editions are always kept)."""

from __future__ import annotations

from datetime import datetime

from .db import Database, to_db_time


class MaintenanceStore:
    db: Database

    def prune_documents(self, before: datetime) -> int:
        """Delete raw documents fetched before `before`; their articles stay (no re-extraction for them)."""
        with self.db.transaction() as conn:
            return conn.execute("DELETE FROM documents WHERE fetched_at < ?", (to_db_time(before),)).rowcount

    def vacuum(self) -> None:
        """Give the space of deleted rows back to the file system (outside any transaction)."""
        self.db.conn.execute("VACUUM")
