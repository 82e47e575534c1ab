"""PostgreSQL beside SQLite: the same migrations, the DSN setting, the pipeline on both backends, several
workers claiming fetch jobs (FOR UPDATE SKIP LOCKED) and building an edition once, and `store copy` from SQLite
to PostgreSQL and back without loss."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from essentiel.cli import cli
from essentiel.config import load_config
from essentiel.errors import ConfigError, InputError, StoreError
from essentiel.ingest import fetch_due
from essentiel.models import Source
from essentiel.pipeline import build_edition
from essentiel.scheduler import run_pass
from essentiel.store import PostgresDsn, Store, StoreLocation, open_store, parse_location
from essentiel.store.copy import NOT_COPIED, TABLES, copy_store
from essentiel.store.db import migrations
from loopback import LoopbackServer
from newsfixtures import corpus, page, rss

HTML = {"Content-Type": "text/html; charset=utf-8"}
NOW = datetime.now(UTC)


def test_both_dialects_have_the_same_migrations() -> None:
    sqlite = [(v, name) for v, name, _ in migrations("sqlite")]
    postgresql = [(v, name) for v, name, _ in migrations("postgresql")]
    assert sqlite == postgresql and [v for v, _ in sqlite] == [1, 2, 3, 4, 5, 6, 7, 8, 10, 11]


def test_database_locations(tmp_path: Path) -> None:
    assert parse_location("e.db", tmp_path) == tmp_path / "e.db"
    assert parse_location("sqlite:///e.db", tmp_path) == tmp_path / "e.db"
    assert parse_location("sqlite:////var/lib/e.db", tmp_path) == Path("/var/lib/e.db")
    dsn = parse_location("postgresql://news:s3cret@db.example:5433/essentiel", tmp_path)
    assert isinstance(dsn, PostgresDsn) and dsn.name == "essentiel" and dsn.exists()
    assert str(dsn) == "postgresql://news:***@db.example:5433/essentiel"  # never printed with its password
    with pytest.raises(InputError, match="mysql://x/y: unknown database URL scheme 'mysql'"):
        parse_location("mysql://x/y")
    with pytest.raises(InputError, match="needs a host"):
        parse_location("postgresql:///essentiel")
    env = {"ESSENTIEL_GENERAL_DATABASE": "postgresql://news@127.0.0.1:5432/essentiel"}
    assert load_config(None, env=env).database == PostgresDsn("postgresql://news@127.0.0.1:5432/essentiel")
    with pytest.raises(ConfigError, match="general.database = 'redis://x' is not allowed"):
        load_config(None, env={"ESSENTIEL_GENERAL_DATABASE": "redis://x"})


def test_an_unreachable_server_is_one_clear_line() -> None:
    with pytest.raises(
        StoreError, match=r"postgresql://u:\*\*\*@127.0.0.1:1/x: cannot connect to PostgreSQL"
    ):
        open_store("postgresql://u:pw@127.0.0.1:1/x")


def test_copy_knows_every_table(postgres_location: PostgresDsn, tmp_path: Path) -> None:
    for location in (tmp_path / "e.db", postgres_location):
        with open_store(location) as store:
            assert store.db.tables() == set(TABLES) | NOT_COPIED


def serve_news(server: LoopbackServer) -> None:
    """Two events (three articles each, English) and two French articles, in one feed."""
    rows = corpus()
    chosen = [r for r in rows if r.get("gold_event") == "9_ecbplus"][:3]
    chosen += [r for r in rows if r.get("gold_event") == "12_ecbplus"][:3]
    chosen += [r for r in rows if r["language"] == "fr"][:2]
    items = []
    for index, row in enumerate(chosen):
        path = f"/article/{index}.html"
        server.route(path, page(row, f"Outlet {index % 3}"), headers=HTML)
        items.append((path, row["title"]))
    server.route("/feed.xml", rss(server, items), headers={"Content-Type": "application/rss+xml"})


def config_for(location: StoreLocation, tmp_path: Path, **extra: str):  # type: ignore[no-untyped-def]
    env = {
        "ESSENTIEL_GENERAL_DATABASE": location.url if isinstance(location, PostgresDsn) else str(location),
        "ESSENTIEL_FETCH_ALLOW_PRIVATE": "true",
        "ESSENTIEL_FETCH_HOST_DELAY": "0",
        "ESSENTIEL_OUTPUTS_SITE_DIR": str(tmp_path / "site"),
        **extra,
    }
    return load_config(None, env=env)


def build(loopback: LoopbackServer, location: StoreLocation, tmp_path: Path) -> None:
    """ingest (feed and pages over HTTP, extraction) -> stories -> ranked edition, on the store at `location`."""
    serve_news(loopback)
    config = config_for(location, tmp_path)
    assert config.database == location
    with open_store(config.database) as store:
        store.add_source(Source(url=loopback.url("/feed.xml"), name="feed", category="Monde"))
        [result] = fetch_due(store, config)
        assert result.new_articles == 8 and not result.errors
        build_edition(store, config, NOW)


def snapshot(store: Store) -> dict[str, object]:
    """What a reader sees: articles, stories, the latest edition, searches, counts."""
    articles = store.recent_articles(NOW - timedelta(days=30), NOW + timedelta(days=1))
    edition = store.latest_edition()
    assert edition is not None
    return {
        "articles": sorted(articles, key=lambda a: a.id),
        "stories": sorted((s.id, s.article_ids) for s in store.stories_of([a.id for a in articles])),
        "edition": (edition.day, edition.language, edition.stories),
        "search": sorted(a.id for a in store.search("president")),
        "story_search": sorted(h.story_id for h in store.search_stories("president")),
        "signals": store.load_signals(sorted(a.id for a in articles)),
        "lexicon": store.load_lexicon(),
        "sources": [(s.source, s.next_check_at, s.etag) for s in store.list_sources()],
        "counts": {t: store.count(t) for t in ("sources", "documents", "articles", "stories", "editions")},
    }


def test_the_pipeline_runs_on_both_backends(
    loopback: LoopbackServer, store_location: StoreLocation, tmp_path: Path
) -> None:
    build(loopback, store_location, tmp_path)
    with open_store(store_location, readonly=True) as store:
        seen = snapshot(store)
        counts = seen["counts"]
        assert isinstance(counts, dict) and counts.pop("stories") >= 3
        assert counts == {"sources": 1, "documents": 9, "articles": 8, "editions": 1}
        edition = store.latest_edition()
        assert edition is not None and max(len(s.story.article_ids) for s in edition.stories) == 3
        assert seen["search"] and seen["story_search"]


def test_store_copy_sqlite_to_postgresql_and_back(
    loopback: LoopbackServer, postgres_location: PostgresDsn, tmp_path: Path
) -> None:
    original = tmp_path / "original.db"
    build(loopback, original, tmp_path)
    runner = CliRunner()
    done = runner.invoke(cli, ["store", "copy", str(original), postgres_location.url])
    assert done.exit_code == 0, done.output
    assert "articles" in done.output and "8" in done.output
    again = runner.invoke(cli, ["store", "copy", str(original), postgres_location.url])
    assert again.exit_code == 2 and "not empty (1 sources, 9 documents, 8 articles" in again.output
    back = tmp_path / "back.db"
    counts = copy_store(postgres_location, back)
    assert counts["articles"] == 8 and counts["story_search"] >= 1 and counts["edition_stories"] >= 1
    with (
        open_store(original, readonly=True) as a,
        open_store(postgres_location, readonly=True) as b,
        open_store(back, readonly=True) as c,
    ):
        first, second, third = snapshot(a), snapshot(b), snapshot(c)
        assert first == second == third
        for table in TABLES:  # every row, ids included (the full-text columns aside)
            rows = [sorted(map(tuple, s.db.query(f"SELECT * FROM {table}"))) for s in (a, c)]
            assert rows[0] == rows[1], table
    # Ids go on after the copied ones: a new source added on PostgreSQL gets the next id.
    with open_store(postgres_location) as store:
        assert store.add_source(Source(url="https://new.example/rss")).id == 2
    assert copy_store(original, postgres_location, force=True)["articles"] == 8  # --force replaces


def test_workers_claim_disjoint_sources(postgres_location: PostgresDsn) -> None:
    """Two workers claiming due sources at the same moment never get the same source in one round."""
    with open_store(postgres_location) as store:
        for index in range(40):
            store.add_source(Source(url=f"https://example.org/{index}/rss"))
    barrier = threading.Barrier(4)
    claimed: list[list[int]] = [[] for _ in range(4)]

    def worker(slot: int) -> None:
        with open_store(postgres_location) as mine:
            barrier.wait()
            for _ in range(3):  # each worker claims three times in the round
                claimed[slot] += [s.source.id or 0 for s in mine.claim_due_sources(NOW)]

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every = [i for ids in claimed for i in ids]
    assert sorted(every) == list(range(1, 41))  # each source once, none lost
    with open_store(postgres_location) as store:
        assert store.claim_due_sources(NOW) == []  # leased
        assert len(store.claim_due_sources(NOW + timedelta(hours=1))) == 40  # the lease ran out


def test_a_capped_claim_leaves_the_rest_to_other_workers(postgres_location: PostgresDsn) -> None:
    with open_store(postgres_location) as store:
        for index in range(25):
            store.add_source(Source(url=f"https://example.org/{index}/rss"))
        first = [s.source.id for s in store.claim_due_sources(NOW, limit=10)]
        second = [s.source.id for s in store.claim_due_sources(NOW, limit=10)]
        rest = [s.source.id for s in store.claim_due_sources(NOW, limit=10)]
    assert (len(first), len(second), len(rest)) == (10, 10, 5)
    assert sorted(first + second + rest) == list(range(1, 26))


def test_sqlite_claims_are_the_due_sources(tmp_path: Path) -> None:
    with open_store(tmp_path / "e.db") as store:
        store.add_source(Source(url="https://example.org/rss"))
        assert store.claim_due_sources(NOW) == store.due_sources(NOW) != []


def test_an_edition_is_built_once_by_several_workers(
    loopback: LoopbackServer, postgres_location: PostgresDsn, tmp_path: Path
) -> None:
    """Two `essentiel run` passes at the edition hour on one PostgreSQL store: one edition, not two."""
    build(loopback, postgres_location, tmp_path)
    with open_store(postgres_location) as store:
        store.db.query("DELETE FROM editions")
    config = config_for(postgres_location, tmp_path, ESSENTIEL_SCHEDULE_EDITION_AT='"00:00"')
    days: list[object] = []

    def worker() -> None:
        with open_store(postgres_location) as store:
            days.append(run_pass(store, config, None))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    with open_store(postgres_location) as store:
        assert store.count("editions") == 1
    assert len(days) == 2 and days[0] == days[1] is not None


def test_backup_of_a_postgresql_store_is_an_sqlite_file(
    postgres_location: PostgresDsn, tmp_path: Path
) -> None:
    with open_store(postgres_location) as store:
        store.add_source(Source(url="https://example.org/rss", name="Exemple"))
        assert store.db.backup(tmp_path / "copy.db") == tmp_path / "copy.db"
        with pytest.raises(StoreError, match="already exists"):
            store.db.backup(tmp_path / "copy.db")
    with open_store(tmp_path / "copy.db", readonly=True) as copy:
        assert [s.source.name for s in copy.list_sources()] == ["Exemple"]
