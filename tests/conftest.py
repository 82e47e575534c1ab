"""Shared fixtures: the loopback HTTP server (loopback.py) and the store backends.

`store_location` runs a test once per backend: an SQLite file, and a fresh PostgreSQL database on the
session's server (ESSENTIEL_TEST_PG_DSN, or a throwaway cluster started here). Where PostgreSQL cannot be
started the PostgreSQL runs are skipped with the reason, except under CI (env CI set), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import pgcluster
from essentiel.store import PostgresDsn, StoreLocation

pytest_plugins = ["loopback"]

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The superuser URL of the session's PostgreSQL server."""
    try:
        with pgcluster.server() as dsn:
            yield dsn
    except pgcluster.ClusterUnavailable as exc:
        message = f"PostgreSQL cannot be started here: {exc} (or set {pgcluster.ENV})"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must start it (.ci/run)")
        pytest.skip(message)


@pytest.fixture
def postgres_location(postgres_server: str) -> Iterator[PostgresDsn]:
    """A fresh, empty PostgreSQL database for one test."""
    with pgcluster.fresh_database(postgres_server) as dsn:
        yield PostgresDsn(dsn)


@pytest.fixture(params=BACKENDS)
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> StoreLocation:
    """Where the test's store lives, once per backend: an SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "e.db"
    location: PostgresDsn = request.getfixturevalue("postgres_location")
    return location
