"""The store on both backends (a real SQLite file, a real PostgreSQL database): migrations, sources state,
documents, articles, full-text search, stories, editions, signals, the views and the operations figures."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from essentiel.errors import StoreError
from essentiel.models import Article, Edition, Fetched, RankedStory, Source, Story, Summary, SummarySentence
from essentiel.store import StoreLocation, open_store
from essentiel.store.db import migrations
from essentiel.store.stories import StoryRecord
from essentiel.store.views import SearchFilters

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def article(i: int, **extra: object) -> Article:
    base: dict[str, object] = {
        "id": f"a{i}",
        "url": f"https://example.fr/{i}",
        "title": f"Titre {i}",
        "text": f"Le gouvernement présente son budget {i}.",
        "language": "fr",
        "outlet": "example.fr",
        "published": NOW - timedelta(hours=i),
    }
    base.update(extra)
    return Article(**base)  # type: ignore[arg-type]


def test_migrations_are_recorded_and_wal_is_on(store_location: StoreLocation) -> None:
    with open_store(store_location) as store:
        applied = [r[0] for r in store.db.query("SELECT version FROM schema_migrations ORDER BY version")]
        assert (
            applied == [v for v, _, _ in migrations(store.db.dialect.name)] == [v for v, _, _ in migrations()]
        )
        if store.db.dialect.name == "sqlite":
            assert store.db.query("PRAGMA journal_mode")[0][0] == "wal"
        assert store.db.integrity_errors() == []
    with open_store(store_location) as again:  # reopening applies nothing twice
        assert again.db.migrate() == []


def test_sources_keep_fetch_state_and_count_errors(store_location: StoreLocation) -> None:
    with open_store(store_location) as store:
        saved = store.add_source(Source(url="https://lemonde.fr/rss.xml", name="Le Monde", category="France"))
        assert saved.id is not None
        assert [s.source.url for s in store.due_sources(NOW)] == [saved.url]
        store.record_fetch(saved.id, checked_at=NOW, next_check_at=NOW + timedelta(minutes=30), etag='"v1"')
        assert store.due_sources(NOW) == []
        store.record_fetch(saved.id, checked_at=NOW, next_check_at=NOW + timedelta(hours=1), error="HTTP 500")
        store.record_fetch(saved.id, checked_at=NOW, next_check_at=NOW + timedelta(hours=2), error="HTTP 502")
        state = store.get_source(saved.url)
        assert state is not None
        assert (state.error_count, state.last_error, state.etag) == (2, "HTTP 502", '"v1"')
        store.add_source(Source(url="https://lemonde.fr/rss.xml", name="Le Monde (une)"))
        state = store.get_source(saved.id)
        assert state is not None and state.source.name == "Le Monde (une)" and state.error_count == 2
        assert store.remove_source(str(saved.id)) and not store.remove_source(str(saved.id))


def test_documents_keep_the_raw_bytes_compressed(store_location: StoreLocation) -> None:
    raw = "<html><body>été « déjà »</body></html>".encode() * 200
    with open_store(store_location) as store:
        doc_id = store.save_document(
            Fetched("https://x.fr/a", "https://x.fr/a?b", 200, raw, NOW, "text/html")
        )
        stored = store.db.query("SELECT length(content), size FROM documents WHERE id = ?", (doc_id,))[0]
        assert stored[0] < stored[1] == len(raw)
        back = store.get_document(doc_id)
        assert back is not None and back.content == raw and back.url == "https://x.fr/a?b"


def test_articles_round_trip_update_and_full_text_search(store_location: StoreLocation) -> None:
    with open_store(store_location) as store:
        store.save_articles(
            [article(1, authors=("Jeanne Dupont",)), article(2, text="Un séisme frappe la Grèce.")]
        )
        back = store.get_article("a1")
        assert back == article(1, authors=("Jeanne Dupont",))
        assert [a.id for a in store.search_articles("seisme")] == ["a2"]  # accents folded
        assert [a.id for a in store.search_articles("séisme Grèce")] == ["a2"]
        assert [a.id for a in store.search_articles('"budget (1')] == ["a1"]  # quotes cannot break FTS syntax
        store.save_articles([article(2, text="Le séisme a fait trois victimes.")])
        assert store.search_articles("Grèce") == []
        assert [a.id for a in store.search_articles("victimes")] == ["a2"]
        assert store.get_articles(["a2", "zz", "a1"]) == [store.get_article("a2"), store.get_article("a1")]
        assert store.known_urls(["https://example.fr/1", "https://other/"]) == {"https://example.fr/1"}


def test_recent_articles_respect_the_window(store_location: StoreLocation) -> None:
    with open_store(store_location) as store:
        store.save_articles([article(1)], fetched_at=NOW - timedelta(days=5))
        store.save_articles(
            [article(40, published=NOW - timedelta(days=4))], fetched_at=NOW - timedelta(days=4)
        )
        store.save_articles([article(3)], fetched_at=NOW)
        ids = [a.id for a in store.recent_articles(NOW - timedelta(hours=36), NOW)]
        assert ids == ["a1", "a3"]  # a1 was fetched long ago but published 1 h before NOW; a40 is old


def ranked(rank: int, story_id: str, ids: tuple[str, ...]) -> RankedStory:
    sentences = (SummarySentence(f"Phrase {rank}.", ids[0]),)
    return RankedStory(
        rank=rank,
        story=Story(id=story_id, article_ids=ids, title=f"Histoire {rank}"),
        score=10.0 / rank,
        why={"reason": f"{len(ids)} médias", "outlets": len(ids)},
        summary=Summary(story_id, f"Histoire {rank}", sentences),
        outlets=("a.fr", "b.com"),
        languages=("fr", "en"),
        entities=(("Paris", "LOC"),),
        category="Monde" if rank == 1 else None,
        dossier="Guerre en Ukraine" if rank == 1 else None,
    )


def test_stories_and_editions(store_location: StoreLocation) -> None:
    with open_store(store_location) as store:
        store.save_articles([article(i) for i in range(1, 5)])
        store.save_stories([Story("s1", ("a1", "a2"), "Un"), Story("s2", ("a3",), "Deux")], NOW)
        store.save_stories([Story("s3", ("a2", "a3", "a4"), "Trois")], NOW)  # a2, a3 move to s3
        assert store.get_story("s1") == Story("s1", ("a1",), "Un")
        assert store.get_story("s2") is None  # left empty, removed
        assert store.story_of("a3") == "s3"
        first = Edition(
            day=date(2026, 11, 24), created_at=NOW - timedelta(days=1), stories=(ranked(1, "s1", ("a1",)),)
        )
        second = Edition(
            day=date(2026, 11, 25),
            created_at=NOW,
            stories=(ranked(1, "s3", ("a2", "a3")), ranked(2, "s1", ("a1",))),
        )
        store.save_edition(first)
        second_id = store.save_edition(second)
        latest = store.latest_edition()
        assert latest is not None and latest.id == second_id
        assert latest.stories == second.stories
        older = store.latest_edition(date(2026, 11, 24))
        assert older is not None and older.stories == first.stories
        assert store.edition_days() == [date(2026, 11, 25), date(2026, 11, 24)]


def test_readonly_store_cannot_write_and_bad_path_is_clear(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    open_store(path).close()
    with open_store(path, readonly=True) as reader:
        with pytest.raises(StoreError, match="read-only"):
            reader.add_source(Source(url="https://x"))
        with pytest.raises(sqlite3.OperationalError):
            reader.db.conn.execute("INSERT INTO sources (url, created_at) VALUES ('u', 'now')")
    (tmp_path / "folder.db").mkdir()
    with pytest.raises(StoreError, match="folder.db: cannot open database"):
        open_store(tmp_path / "folder.db")


def test_paused_sources_are_kept_but_not_due(store_location: StoreLocation) -> None:
    with open_store(store_location) as store:
        saved = store.add_source(Source(url="https://lemonde.fr/rss.xml", name="Le Monde"))
        assert saved.id is not None
        assert store.set_source_paused(saved.id, True) and store.is_paused(saved.id)
        assert store.due_sources(NOW) == [] and len(store.list_sources()) == 1
        assert store.set_source_paused(saved.id, False) and not store.is_paused(saved.id)
        assert [s.source.id for s in store.due_sources(NOW)] == [saved.id]
        assert not store.set_source_paused(9999, True)


def test_readonly_store_refuses_writes_on_both_backends(store_location: StoreLocation) -> None:
    open_store(store_location).close()
    with open_store(store_location, readonly=True) as reader:
        with pytest.raises(StoreError, match="read-only"):
            reader.add_source(Source(url="https://x"))
        assert reader.list_sources() == []


def test_views_search_and_entities(store_location: StoreLocation) -> None:
    """What the web app reads: article and story search with filters, entities, dossiers, calendar, facets."""
    with open_store(store_location) as store:
        source = store.add_source(Source(url="https://lemonde.fr/rss.xml", name="Le Monde", category="Monde"))
        store.save_articles(
            [
                article(1, outlet="lemonde.fr", title="Élections en Grèce"),
                article(2, outlet="bbc.com", language="en", title="Greek elections", text="Voters went out."),
                article(3, text="Le séisme a fait trois victimes."),
            ],
            source_id=source.id,
            fetched_at=NOW,
        )
        store.save_stories([Story("s1", ("a1", "a2"), "Élections"), Story("s3", ("a3",), "Séisme")], NOW)
        store.save_edition(
            Edition(day=date(2026, 11, 24), created_at=NOW, stories=(ranked(1, "s1", ("a1",)),))
        )
        store.save_edition(
            Edition(
                day=date(2026, 11, 25),
                created_at=NOW,
                stories=(ranked(1, "s1", ("a1", "a2")), ranked(2, "s3", ("a3",))),
            )
        )
        assert {a.id for a in store.search("elections")} == {"a1", "a2"}  # accents folded, both languages
        assert [a.id for a in store.search("elections", SearchFilters(language="en"))] == ["a2"]
        assert [a.id for a in store.search("elections", SearchFilters(outlet="lemonde.fr"))] == ["a1"]
        assert [a.id for a in store.search("victimes", SearchFilters(category="Monde"))] == ["a3"]
        assert store.search("victimes", SearchFilters(since=date(2026, 11, 26))) == []
        assert store.search("   ") == [] and store.search('"(') == []
        hits = store.search_stories("histoire")
        assert {h.story_id for h in hits} == {"s1", "s3"}
        assert {h.day for h in hits} == {date(2026, 11, 25)}  # the newest snapshot of each story, once
        assert [h.story_id for h in store.search_stories("paris", SearchFilters(category="Monde"))] == ["s1"]
        assert [h.story_id for h in store.search_stories("ukraine")] == ["s1"]  # the dossier is indexed
        assert {h.story_id for h in store.search_stories("paris", SearchFilters(language="en"))} == {
            "s1",
            "s3",
        }
        assert store.search_stories("paris", SearchFilters(outlet="nowhere.org")) == []
        assert [s.story.id for _, s in store.entity_stories("PARIS")] == ["s1", "s3"]
        assert store.entity_label("paris") == "LOC" and store.entity_label("Lyon") is None
        assert store.edition_calendar() == [(date(2026, 11, 25), 2), (date(2026, 11, 24), 1)]
        assert [(p.day, p.rank) for p in store.story_timeline("s1")] == [
            (date(2026, 11, 24), 1),
            (date(2026, 11, 25), 1),
        ]
        assert store.facets() == {
            "languages": ["en", "fr"],
            "outlets": ["a.fr", "b.com"],
            "categories": ["Monde"],
        }
        [dossier] = store.dossiers()
        assert (dossier.slug, dossier.stories, dossier.first_day) == (
            "guerre-en-ukraine",
            1,
            date(2026, 11, 24),
        )
        found = store.dossier_stories("guerre-en-ukraine")
        assert found is not None and [s.story.id for _, s in found[1]] == ["s1"]
        assert store.article_categories(["a1", "a2", "zz"]) == {"a1": "Monde", "a2": "Monde"}
        assert set(store.story_first_seen(["s1", "zz"])) == {"s1"}
        assert "fts" not in store.columns("sources") and "paused" in store.columns("sources")
        assert store.columns("no_such_table") == set() and store.has_table("story_search")
        [health] = store.source_health(NOW)
        assert (health.articles_total, health.daily[-1]) == (3, (NOW.date(), 3))
        assert health.extra["paused"] == 0


def test_signals_lexicon_and_story_records(store_location: StoreLocation) -> None:
    """The online clustering's state: signals (bytes), the lexicon (one row, replaced), story records."""
    with open_store(store_location) as store:
        store.save_articles([article(i) for i in range(1, 4)], fetched_at=NOW)
        row = {
            "article_id": "a1",
            "vector": b"\x00\x01\xff",
            "words": b"w",
            "names": b"",
            "language": "fr",
            "published": NOW.timestamp() + 0.123456,
            "url": "https://example.fr/1",
            "outlet": "example.fr",
            "title": "Titre 1",
        }
        store.save_signals([row])
        store.save_signals([{**row, "vector": b"\x02"}])  # replaced, not duplicated
        assert store.load_signals(["a1", "a2"]) == [{**row, "vector": b"\x02"}]
        span = (NOW - timedelta(days=1), NOW + timedelta(hours=1))
        assert [a.id for a in store.unclustered_articles(*span)] == ["a2", "a3"]
        store.save_articles([article(1, text="Autre texte.")], fetched_at=NOW)  # its signals go stale
        assert store.load_signals(["a1"]) == []
        stamp = NOW.timestamp()
        record = StoryRecord(
            Story("s1", ("a1", "a2"), "Un"), 0, stamp - 3600.5, stamp + 0.25, ("fr",), ("x.fr",)
        )
        store.save_story_changes([record], [], (3, b"df-1"), NOW)
        store.save_story_changes([record], [], (4, b"df-2"), NOW)
        assert store.load_lexicon() == (4, b"df-2")
        assert store.active_stories(stamp) == [record] and store.active_stories(stamp + 1) == []
        assert store.stories_between(NOW - timedelta(days=1), NOW) == [record]
        assert store.next_story_seq() == 1
        store.save_story_changes([], ["s1"], (4, b"df-2"), NOW)
        assert store.get_story("s1") is None


def test_operations_figures_and_retention(store_location: StoreLocation) -> None:
    with open_store(store_location) as store:
        saved = store.add_source(Source(url="https://lemonde.fr/rss.xml", name="Le Monde"))
        assert saved.id is not None
        store.beat(300, started=True)
        store.beat(300, state="stopped")
        heartbeat = store.heartbeat()
        assert heartbeat is not None and heartbeat.state == "stopped" and heartbeat.interval_seconds == 300
        store.record_stage("fetch", 2.0)
        store.record_stage("fetch", 1.0)
        [timing] = store.stage_timings()
        assert (timing.count, timing.total_seconds, timing.last_seconds, timing.max_seconds) == (
            2,
            3.0,
            1.0,
            2.0,
        )
        store.record_fetches({"200": 2, "timeout": 1}, [(saved.id, 3, 1, 5), (9999, 1, 0, 0)])
        store.record_fetches({"200": 1}, [(saved.id, 1, 0, 2)])
        assert store.fetch_counts() == {"200": 3, "timeout": 1}
        [counts] = store.source_counts()
        assert (counts.checks, counts.errors, counts.articles) == (4, 1, 7)
        store.save_document(
            Fetched("https://x.fr/a", "https://x.fr/a", 200, b"old", NOW - timedelta(days=40))
        )
        store.save_document(Fetched("https://x.fr/b", "https://x.fr/b", 200, b"new", NOW))
        assert store.prune_documents(NOW - timedelta(days=30)) == 1 and store.count("documents") == 1
        store.vacuum()
        figures = store.ops_figures(NOW)
        assert figures["sources_due"] == 1 and figures["fetches"]["200"] == 3
        assert store.db.size_bytes() > 0
        store.remember_entries(saved.id, [("h1", "https://x.fr/a", "a1"), ("h1", "https://x.fr/z", None)])
        assert store.seen_entries(saved.id, ["h1", "h2"]) == {"h1"}
