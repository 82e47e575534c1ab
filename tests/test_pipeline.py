"""The pipeline's source kinds and error policy, and the scheduler loop, against real loopback servers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from essentiel.config import Config, load_config
from essentiel.ingest import fetch_due
from essentiel.models import Source
from essentiel.scheduler import edition_due, run_forever
from essentiel.store import Store, open_store
from loopback import LoopbackServer
from newsfixtures import corpus, page, rss

HTML = {"Content-Type": "text/html; charset=utf-8"}


def config_for(tmp_path: Path, **extra: str) -> Config:
    env = {
        "ESSENTIEL_GENERAL_DATABASE": str(tmp_path / "e.db"),
        "ESSENTIEL_FETCH_ALLOW_PRIVATE": "true",
        "ESSENTIEL_FETCH_HOST_DELAY": "0",
        "ESSENTIEL_OUTPUTS_SITE_DIR": str(tmp_path / "site"),
        **extra,
    }
    return load_config(None, env=env)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "e.db")


def serve_articles(server: LoopbackServer, count: int) -> list[tuple[str, str]]:
    items = []
    for index, row in enumerate([r for r in corpus() if r["language"] == "fr"][:count]):
        path = f"/article/{index}.html"
        server.route(path, page(row, "Orange"), headers=HTML)
        items.append((path, row["title"]))
    return items


def test_homepage_source_discovers_its_feed(loopback: LoopbackServer, store: Store, tmp_path: Path) -> None:
    items = serve_articles(loopback, 2)
    loopback.route("/feed.xml", rss(loopback, items), headers={"Content-Type": "application/rss+xml"})
    home = '<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>Hi</body></html>'
    loopback.route("/", home, headers=HTML)
    store.add_source(Source(url=loopback.url("/"), name="home", kind="page"))
    results = fetch_due(store, config_for(tmp_path))
    assert [r.new_articles for r in results] == [2]
    assert len(loopback.requests_for("/article/0.html")) == 1


def test_sitemap_index_source_reads_its_child_sitemaps(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    items = serve_articles(loopback, 3)
    urls = "".join(f"<url><loc>{loopback.url(path)}</loc></url>" for path, _ in items)
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    loopback.route(
        "/news.xml",
        f"<?xml version='1.0'?><urlset {ns}>{urls}</urlset>",
        headers={"Content-Type": "application/xml"},
    )
    index = f"<?xml version='1.0'?><sitemapindex {ns}><sitemap><loc>{loopback.url('/news.xml')}</loc></sitemap></sitemapindex>"
    loopback.route("/index.xml", index, headers={"Content-Type": "application/xml"})
    store.add_source(Source(url=loopback.url("/index.xml"), name="sitemap", kind="sitemap"))
    results = fetch_due(store, config_for(tmp_path))
    assert [r.new_articles for r in results] == [3], results
    assert all(
        a.url.startswith(loopback.url("/article/"))
        for a in store.recent_articles(datetime.now(UTC) - timedelta(days=9))
    )


def test_single_article_source(loopback: LoopbackServer, store: Store, tmp_path: Path) -> None:
    ((path, _),) = serve_articles(loopback, 1)
    store.add_source(Source(url=loopback.url(path), name="one", kind="article", weight=2.0))
    assert [r.new_articles for r in fetch_due(store, config_for(tmp_path))] == [1]
    (article,) = store.recent_articles(datetime.now(UTC) - timedelta(days=9))
    assert article.source_weight == 2.0 and article.language == "fr" and article.lead


def test_feed_content_is_trusted_when_asked(loopback: LoopbackServer, store: Store, tmp_path: Path) -> None:
    row = next(r for r in corpus() if r["language"] == "fr")
    body = "".join(f"<p>{p}</p>" for p in row["text"].split(". "))
    feed = (
        "<?xml version='1.0'?><rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel>"
        f"<title>t</title><item><title>{row['title']}</title><link>{loopback.url('/never-fetched.html')}</link>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded></item></channel></rss>"
    )
    loopback.route("/feed.xml", feed, headers={"Content-Type": "application/rss+xml"})
    store.add_source(Source(url=loopback.url("/feed.xml"), name="feed", full_page=False))
    assert [r.new_articles for r in fetch_due(store, config_for(tmp_path))] == [1]
    assert loopback.requests_for("/never-fetched.html") == []
    (article,) = store.recent_articles(datetime.now(UTC) - timedelta(days=9))
    assert article.title == row["title"] and row["text"][:40] in article.text


def test_bad_sources_back_off_and_never_stop_the_run(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    items = serve_articles(loopback, 1)
    loopback.route("/good.xml", rss(loopback, items), headers={"Content-Type": "application/rss+xml"})
    loopback.route("/busy.xml", "slow down", status=429, headers={"Retry-After": "7200"})
    loopback.route("/garbage.xml", b"\x00\xff\xfe garbage", headers={"Content-Type": "application/rss+xml"})
    for name in ("good", "busy", "garbage", "missing"):
        store.add_source(Source(url=loopback.url(f"/{name}.xml"), name=name))
    before = datetime.now(UTC).replace(microsecond=0)  # stored to the second
    results = {r.source: r for r in fetch_due(store, config_for(tmp_path))}
    assert results["good"].new_articles == 1 and not results["good"].errors
    assert "429" in results["busy"].errors[0] and "404" in results["missing"].errors[0]
    assert results["garbage"].errors and "garbage.xml" in results["garbage"].errors[0]
    states = {s.source.name: s for s in store.list_sources()}
    busy, missing = states["busy"].next_check_at, states["missing"].next_check_at
    assert busy is not None and busy >= before + timedelta(seconds=7200)
    assert missing is not None and before + timedelta(minutes=59) <= missing <= before + timedelta(minutes=61)
    assert states["good"].error_count == 0 and states["garbage"].error_count == 1
    # Nothing is due right after: the queue is the database.
    assert fetch_due(store, config_for(tmp_path)) == []


def test_edition_is_due_once_a_day_after_its_hour(tmp_path: Path) -> None:
    config = config_for(
        tmp_path, ESSENTIEL_SCHEDULE_EDITION_AT='"07:00"', ESSENTIEL_GENERAL_TIMEZONE="Europe/Paris"
    )
    morning = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # 06:00 in Paris
    later = datetime(2026, 11, 25, 6, 30, tzinfo=UTC)  # 07:30 in Paris
    assert not edition_due(config, morning, None)
    assert edition_due(config, later, None)
    assert not edition_due(config, later, later.date())


def test_scheduler_fetches_builds_the_edition_and_stops_cleanly(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    items = serve_articles(loopback, 3)
    loopback.route("/feed.xml", rss(loopback, items), headers={"Content-Type": "application/rss+xml"})
    config = config_for(tmp_path, ESSENTIEL_SCHEDULE_EDITION_AT='"00:00"')
    with open_store(config.database) as store:
        store.add_source(Source(url=loopback.url("/feed.xml"), name="feed"))
    stop = threading.Event()
    worker = threading.Thread(target=run_forever, args=(config, stop))
    worker.start()
    with open_store(config.database, readonly=True) as reader:
        deadline = datetime.now(UTC) + timedelta(seconds=60)
        while reader.latest_edition() is None and datetime.now(UTC) < deadline:
            stop.wait(0.2)
        edition = reader.latest_edition()
    stop.set()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert edition is not None and sum(len(s.story.article_ids) for s in edition.stories) == 3
    assert (tmp_path / "site/index.html").exists()


def test_articles_stored_by_a_pass_are_embedded_ahead_for_its_clustering(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    """`embed_ahead`: the stored articles' story texts are embedded while the pass goes on, and the clustering
    that follows (on the articles read back from the store) finds every one of them done."""
    from datetime import UTC, datetime, timedelta

    from essentiel.stories.embed import default_embedder
    from essentiel.stories.text import embedding_text

    items = serve_articles(loopback, 3)
    loopback.route("/feed.xml", rss(loopback, items), headers={"Content-Type": "application/rss+xml"})
    store.add_source(Source(url=loopback.url("/feed.xml"), name="feed"))
    embedder = default_embedder()
    embedder._queue.join()
    embedder.cache.items.clear()  # other tests of this process may have embedded the same corpus texts
    assert [r.new_articles for r in fetch_due(store, config_for(tmp_path), embed_ahead=True)] == [3]
    embedder._queue.join()
    now = datetime.now(UTC)
    stored = store.unclustered_articles(now - timedelta(days=3650), now + timedelta(days=1))
    texts = [embedding_text(a) for a in stored]
    assert len(texts) == 3 and all(t in embedder.cache.items for t in texts)
    calls: list[list[str]] = []
    inner = embedder.inner
    embedder.inner = type("Counting", (), {"encode": lambda _, t: calls.append(list(t)) or inner.encode(t)})()
    try:
        assert embedder.encode(texts).shape == (3, 512)
    finally:
        embedder.inner = inner
    assert calls == []  # nothing left to encode
