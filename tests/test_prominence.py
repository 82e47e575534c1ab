"""Prominence: where each item stands in its feed is stored at every check (0 = first, the best kept), read
back for the articles of top-stories and homepage feeds, and a story that leads its feeds ranks higher."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from essentiel.ingest import refresh_sources
from essentiel.models import Source, Story
from essentiel.rank import RankWeights, prominence
from essentiel.store import Store, StoreLocation, open_store
from essentiel.store.prominence import is_top_stories, record_feed_positions, top_story_positions
from loopback import LoopbackServer
from test_ingest import HTML, RSS, article_page, config_for, feed
from test_rank import NOW, StubSummarizer, art, rank_stories


@pytest.fixture
def store(store_location: StoreLocation) -> Iterator[Store]:
    """The store, once per backend (SQLite file, PostgreSQL database: conftest.py)."""
    with open_store(store_location) as opened:
        yield opened


def _ids_by_path(store: Store) -> dict[str, str]:
    return {
        row["url"].rsplit("/", 1)[-1]: row["id"] for row in store.db.query("SELECT id, url FROM articles")
    }


def _positions(store: Store) -> dict[tuple[str, str], tuple[int, int]]:
    rows = store.db.query(
        "SELECT s.url AS source, p.url, p.best_position, p.last_position FROM feed_positions p"
        " JOIN sources s ON s.id = p.source_id"
    )
    return {
        (r["source"].rsplit("/", 1)[-1], r["url"].rsplit("/", 1)[-1]): (
            r["best_position"],
            r["last_position"],
        )
        for r in rows
    }


def test_feed_positions_are_recorded_at_every_check_and_the_best_is_kept(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    for index in range(4):
        loopback.route(f"/a/{index}.html", article_page(index), headers=HTML)
    link = [loopback.url(f"/a/{i}.html") for i in range(4)]
    loopback.route("/rss/une.xml", feed([(link[i], f"g{i}", f"Titre {i}") for i in (0, 1, 2)]), headers=RSS)
    loopback.route("/rss/all.xml", feed([(link[i], f"h{i}", f"Titre {i}") for i in (3, 2)]), headers=RSS)
    store.add_source(Source(url=loopback.url("/rss/une.xml"), name="une"))
    store.add_source(Source(url=loopback.url("/rss/all.xml"), name="all"))
    config = config_for(tmp_path)
    asyncio.run(refresh_sources(store, config, store.list_sources()))
    assert _positions(store) == {
        ("une.xml", "0.html"): (0, 0),
        ("une.xml", "1.html"): (1, 1),
        ("une.xml", "2.html"): (2, 2),
        ("all.xml", "3.html"): (0, 0),
        ("all.xml", "2.html"): (1, 1),
    }
    # The front page changes: article 2 climbs to the top, article 0 falls back; nothing new is fetched,
    # but the positions of items already stored are recorded too.
    loopback.route("/rss/une.xml", feed([(link[i], f"g{i}", f"Titre {i}") for i in (2, 1, 0)]), headers=RSS)
    asyncio.run(refresh_sources(store, config, store.list_sources()))
    seen = _positions(store)
    assert seen[("une.xml", "2.html")] == (0, 0)
    assert seen[("une.xml", "0.html")] == (0, 2)  # best kept, last updated
    ids = _ids_by_path(store)
    # Only the top-stories feed counts: article 3 leads a general feed, which is not prominence.
    assert top_story_positions(store.db, list(ids.values())) == {
        ids["0.html"]: 0,
        ids["1.html"]: 1,
        ids["2.html"]: 0,
    }


def test_a_sitemap_order_is_not_prominence(loopback: LoopbackServer, store: Store, tmp_path: Path) -> None:
    loopback.route("/a/0.html", article_page(0), headers=HTML)
    sitemap = (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{loopback.url('/a/0.html')}</loc></url></urlset>"
    )
    loopback.route("/une/sitemap.xml", sitemap, headers={"Content-Type": "application/xml"})
    store.add_source(Source(url=loopback.url("/une/sitemap.xml"), name="sitemap", kind="sitemap"))
    results = asyncio.run(refresh_sources(store, config_for(tmp_path), store.list_sources()))
    assert [r.new_articles for r in results] == [1]
    assert _positions(store) == {}


def test_positions_are_found_through_the_feed_entry_when_the_page_moved(store: Store) -> None:
    """An article stored under its page's canonical URL is still found from the feed's link."""
    source = store.add_source(Source(url="https://www.example.fr/rss/a-la-une.xml", name="ex"))
    assert source.id is not None
    article = art("moved", "example.fr")
    store.save_articles([article], source_id=source.id)
    link = "https://www.example.fr/feed-link-42"
    store.remember_entries(source.id, [("h-link", link, article.id)])
    record_feed_positions(store.db, source.id, ["https://www.example.fr/other", link])
    assert top_story_positions(store.db, [article.id, "unknown"]) == {article.id: 1}


@pytest.mark.parametrize(
    ("url", "kind", "expected"),
    [
        ("https://www.20minutes.fr/rss/une.xml", "feed", True),
        ("https://www.lexpress.fr/arc/outboundfeeds/rss/alaune.xml", "feed", True),
        ("https://www.francetvinfo.fr/titres.rss", "feed", False),
        ("https://feeds.bbci.co.uk/news/rss.xml?edition=uk#top-stories", "feed", False),
        ("https://rss.nytimes.com/services/xml/rss/nyt/HomePage.xml", "feed", True),
        ("https://www.reuters.com/tools/rss/topNews", "feed", True),
        ("https://www.lemonde.fr/", "page", True),
        ("https://www.lemonde.fr/international/rss_full.xml", "feed", False),
        ("https://www.example.fr/unesco/rss.xml", "feed", False),
    ],
)
def test_which_feeds_are_top_stories(url: str, kind: str, expected: bool) -> None:
    assert is_top_stories(url, kind) is expected


def _story(prefix: str) -> tuple[Story, list]:
    articles = [
        art(f"{prefix}{i}", outlet, title=f"{prefix} histoire {i}")
        for i, outlet in enumerate(("a.fr", "b.fr"))
    ]
    return Story(f"s-{prefix}", tuple(a.id for a in articles)), articles


def test_a_story_leading_its_feeds_ranks_above_an_otherwise_equal_one() -> None:
    (first, a), (second, b) = _story("aa"), _story("bb")
    by_id = {x.id: x for x in a + b}
    kw = {"now": NOW, "summarizer": StubSummarizer()}
    plain = rank_stories([first, second], by_id, **kw)  # type: ignore[arg-type]
    assert [r.story.id for r in plain] == ["s-aa", "s-bb"]  # equal scores: the story id decides
    assert plain[0].score == plain[1].score and "prominence" not in plain[0].why
    # The second story leads both outlets' top-stories feeds; the first is listed 9th in one of them.
    positions = {"bb0": 0, "bb1": 0, "aa0": 8}
    ranked = rank_stories([first, second], by_id, positions=positions, **kw)  # type: ignore[arg-type]
    assert [r.story.id for r in ranked] == ["s-bb", "s-aa"]
    top, other = ranked[0].why["prominence"], ranked[1].why["prominence"]
    assert (top["featured"], top["value"]) == (2, 2.0)
    assert top["contribution"] == pytest.approx(RankWeights().prominence * 1.584963, abs=1e-5)  # log2(3)
    assert other["value"] == pytest.approx(1 / 9, abs=1e-5)
    assert "à la une de 2 médias" in ranked[0].why["reason_fr"]
    assert "top story at 1 outlet" in ranked[1].why["reason_en"]
    # Off when its weight is 0: the component is shown with no points and the id decides again.
    off = rank_stories([first, second], by_id, positions=positions, weights=RankWeights(prominence=0), **kw)  # type: ignore[arg-type]
    assert [r.story.id for r in off] == ["s-aa", "s-bb"] and off[1].why["prominence"]["contribution"] == 0


def test_an_outlet_counts_once_with_its_best_placed_article() -> None:
    articles = [art("x1", "a.fr"), art("x2", "a.fr"), art("x3", "b.fr")]
    assert prominence(articles, {"x1": 4, "x2": 1}) == (1, 0.5)
    assert prominence(articles, {"x1": 4, "x2": 1, "x3": 0}) == (2, 1.5)
    assert prominence(articles, {}) == (0, 0.0)
