"""The SQLite store, on a real file: migrations, WAL, sources state, documents, articles, FTS, stories, editions."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from essentiel.errors import StoreError
from essentiel.models import Article, Edition, Fetched, RankedStory, Source, Story, Summary, SummarySentence
from essentiel.store import open_store
from essentiel.store.db import migrations

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


def test_migrations_are_recorded_and_wal_is_on(tmp_path: Path) -> None:
    path = tmp_path / "e.db"
    with open_store(path) as store:
        applied = [r[0] for r in store.db.query("SELECT version FROM schema_migrations ORDER BY version")]
        assert applied == [v for v, _, _ in migrations()]
        assert store.db.query("PRAGMA journal_mode")[0][0] == "wal"
    with open_store(path) as again:  # reopening applies nothing twice
        assert again.db.migrate() == []


def test_sources_keep_fetch_state_and_count_errors(tmp_path: Path) -> None:
    with open_store(tmp_path / "e.db") as store:
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


def test_documents_keep_the_raw_bytes_compressed(tmp_path: Path) -> None:
    raw = "<html><body>été « déjà »</body></html>".encode() * 200
    with open_store(tmp_path / "e.db") as store:
        doc_id = store.save_document(
            Fetched("https://x.fr/a", "https://x.fr/a?b", 200, raw, NOW, "text/html")
        )
        stored = store.db.query("SELECT length(content), size FROM documents WHERE id = ?", (doc_id,))[0]
        assert stored[0] < stored[1] == len(raw)
        back = store.get_document(doc_id)
        assert back is not None and back.content == raw and back.url == "https://x.fr/a?b"


def test_articles_round_trip_update_and_full_text_search(tmp_path: Path) -> None:
    with open_store(tmp_path / "e.db") as store:
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


def test_recent_articles_respect_the_window(tmp_path: Path) -> None:
    with open_store(tmp_path / "e.db") as store:
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


def test_stories_and_editions(tmp_path: Path) -> None:
    with open_store(tmp_path / "e.db") as store:
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


def test_paused_sources_are_kept_but_not_due(tmp_path: Path) -> None:
    with open_store(tmp_path / "e.db") as store:
        saved = store.add_source(Source(url="https://lemonde.fr/rss.xml", name="Le Monde"))
        assert saved.id is not None
        assert store.set_source_paused(saved.id, True) and store.is_paused(saved.id)
        assert store.due_sources(NOW) == [] and len(store.list_sources()) == 1
        assert store.set_source_paused(saved.id, False) and not store.is_paused(saved.id)
        assert [s.source.id for s in store.due_sources(NOW)] == [saved.id]
        assert not store.set_source_paused(9999, True)
