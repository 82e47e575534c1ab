"""Read-only queries for the web app, the static site and the feeds (no writes here)."""

from __future__ import annotations

from .db import Database


class ViewsStore:
    db: Database
