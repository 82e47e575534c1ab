"""When a source is checked next, from its own hints, and how much of a big sitemap one check takes:
real SQLite store, real loopback server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from essentiel.config import Config
from essentiel.ingest import refresh_sources
from essentiel.models import Source
from essentiel.store import Store, open_store
from loopback import LoopbackServer
from newsfixtures import corpus, page
from test_ingest import config_for

RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
SY = "http://purl.org/rss/1.0/modules/syndication/"
SLACK = timedelta(seconds=5)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "e.db")


def rss(channel_extra: str = "", n: int = 2) -> str:
    items = "".join(
        f"<item><title>Titre {i}</title><link>https://news.example/a/{i}</link>"
        f"<description>Résumé {i}.</description></item>"
        for i in range(n)
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0' xmlns:sy='{SY}'><channel><title>t</title>"
        f"{channel_extra}{items}</channel></rss>"
    )


def check(store: Store, config: Config, loopback: LoopbackServer, path: str = "/feed.xml") -> timedelta:
    """Check the feed at `path` once (feed content trusted, no page fetches); the delay to its next check."""
    saved = store.add_source(Source(url=loopback.url(path), name=path, full_page=False))
    state = store.get_source(saved.id or 0)
    assert state is not None
    start = datetime.now(UTC)
    (result,) = asyncio.run(refresh_sources(store, config, [state]))
    assert not result.errors, result.errors
    after = store.get_source(saved.id or 0)
    assert after is not None and after.next_check_at is not None
    return after.next_check_at - start


def near(delay: timedelta, expected: timedelta) -> bool:
    return expected - SLACK <= delay <= expected + SLACK


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ("<ttl>120</ttl>", timedelta(hours=2)),
        ("<sy:updatePeriod>daily</sy:updatePeriod>", timedelta(days=1)),
        (
            "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>1</sy:updateFrequency>",
            timedelta(hours=1),
        ),
        (
            "<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>24</sy:updateFrequency>",
            timedelta(hours=1),
        ),
        ("<ttl>120</ttl><sy:updatePeriod>daily</sy:updatePeriod>", timedelta(hours=2)),  # ttl first
        ("", timedelta(minutes=30)),  # no hint: schedule.fetch_every_minutes
        ("<ttl>soon</ttl>", timedelta(minutes=30)),
    ],
)
def test_the_feeds_own_hint_sets_its_next_check(
    loopback: LoopbackServer, store: Store, tmp_path: Path, channel: str, expected: timedelta
) -> None:
    loopback.route("/feed.xml", rss(channel), headers=RSS)
    delay = check(store, config_for(tmp_path), loopback)
    assert near(delay, expected), delay
    assert store.count("articles") == 2


@pytest.mark.parametrize(
    ("channel", "settings", "expected"),
    [
        ("<ttl>1</ttl>", {}, timedelta(minutes=15)),  # schedule.min_check_minutes
        ("<sy:updatePeriod>weekly</sy:updatePeriod>", {}, timedelta(days=1)),  # schedule.max_check_minutes
        ("<ttl>120</ttl>", {"ESSENTIEL_SCHEDULE_MAX_CHECK_MINUTES": "60"}, timedelta(hours=1)),
        ("<ttl>1</ttl>", {"ESSENTIEL_SCHEDULE_MIN_CHECK_MINUTES": "5"}, timedelta(minutes=5)),
        ("", {"ESSENTIEL_SCHEDULE_FETCH_EVERY_MINUTES": "10"}, timedelta(minutes=15)),
    ],
)
def test_hints_are_clamped_by_the_settings(
    loopback: LoopbackServer,
    store: Store,
    tmp_path: Path,
    channel: str,
    settings: dict[str, str],
    expected: timedelta,
) -> None:
    loopback.route("/feed.xml", rss(channel), headers=RSS)
    delay = check(store, config_for(tmp_path, **settings), loopback)
    assert near(delay, expected), delay


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Cache-Control": "public, max-age=7200"}, timedelta(hours=2)),
        ({"Cache-Control": "max-age=60"}, timedelta(minutes=30)),  # a short cache life is no pace
        ({"Cache-Control": "no-cache, max-age=7200"}, timedelta(minutes=30)),
        ({"Expires": "in 3 hours"}, timedelta(hours=3)),  # made an HTTP date when the test runs
        ({"Cache-Control": "max-age=999999"}, timedelta(days=1)),
    ],
)
def test_http_freshness_lengthens_the_interval_of_a_feed_without_hint(
    loopback: LoopbackServer, store: Store, tmp_path: Path, headers: dict[str, str], expected: timedelta
) -> None:
    if headers.get("Expires") == "in 3 hours":
        headers = {"Expires": format_datetime(datetime.now(UTC) + timedelta(hours=3), usegmt=True)}
    loopback.route("/feed.xml", rss(), headers={**RSS, **headers})
    assert near(check(store, config_for(tmp_path), loopback), expected)


def test_the_hint_survives_a_304(loopback: LoopbackServer, store: Store, tmp_path: Path) -> None:
    loopback.route("/feed.xml", rss("<ttl>120</ttl>"), headers=RSS, etag='"v1"')
    config = config_for(tmp_path)
    assert near(check(store, config, loopback), timedelta(hours=2))
    (state,) = store.list_sources()
    assert state.update_every == timedelta(hours=2) and state.etag == '"v1"'
    assert near(check(store, config, loopback), timedelta(hours=2))  # 304: no body, same schedule
    assert [r.headers.get("if-none-match") for r in loopback.requests_for("/feed.xml")] == [None, '"v1"']
    # The feed drops its hint: back to the default.
    loopback.route("/feed.xml", rss(), headers=RSS, etag='"v2"')
    assert near(check(store, config, loopback), timedelta(minutes=30))
    (state,) = store.list_sources()
    assert state.update_every is None


def test_a_failure_after_a_hint_backs_off_then_the_hint_returns(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    config = config_for(tmp_path)
    loopback.route("/feed.xml", rss("<ttl>240</ttl>"), headers=RSS)
    assert near(check(store, config, loopback), timedelta(hours=4))
    loopback.route("/feed.xml", "later", status=429, headers={"Retry-After": "7200"})
    saved = store.get_source(loopback.url("/feed.xml"))
    assert saved is not None
    start = datetime.now(UTC)
    (result,) = asyncio.run(refresh_sources(store, config, [saved]))
    assert result.errors == [f"{loopback.url('/feed.xml')}: HTTP 429 Too Many Requests (retry after 7200s)"]
    failed = store.get_source(saved.source.id or 0)
    assert failed is not None and failed.next_check_at is not None
    assert near(failed.next_check_at - start, timedelta(hours=2)) and failed.error_count == 1
    loopback.route("/feed.xml", rss("<ttl>240</ttl>"), headers=RSS)
    assert near(check(store, config, loopback), timedelta(hours=4))


# --- sitemaps ---------------------------------------------------------------------------------------------

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
SITEMAP = {"Content-Type": "application/xml"}


def sitemap(loopback: LoopbackServer, numbers: range, start: datetime) -> str:
    """A <urlset> of /a/N.html, N minutes after `start` each, in a shuffled order."""
    order = sorted(numbers, key=lambda n: (n * 7919) % len(numbers))
    urls = "".join(
        f"<url><loc>{loopback.url(f'/a/{n}.html')}</loc>"
        f"<lastmod>{(start + timedelta(minutes=n)).isoformat()}</lastmod></url>"
        for n in order
    )
    return f"<?xml version='1.0' encoding='utf-8'?><urlset {NS}>{urls}</urlset>"


def article_paths(loopback: LoopbackServer) -> set[str]:
    return {r.path for r in loopback.requests if r.path.startswith("/a/")}


def test_a_big_sitemap_gives_only_its_newest_urls_per_check(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    start = datetime.now(UTC) - timedelta(days=5)
    loopback.route("/sitemap.xml", sitemap(loopback, range(5000), start), headers=SITEMAP)
    rows = [r for r in corpus() if r["language"] == "fr"]
    for n in range(4995, 5000):
        loopback.route(f"/a/{n}.html", page(rows[n - 4995], "Orange"), headers=HTML)
    store.add_source(Source(url=loopback.url("/sitemap.xml"), name="plan", kind="sitemap"))
    config = config_for(tmp_path, ESSENTIEL_FETCH_SITEMAP_MAX_URLS="5")
    (result,) = asyncio.run(refresh_sources(store, config, store.list_sources()))
    assert not result.errors and result.new_articles == 5
    assert article_paths(loopback) == {f"/a/{n}.html" for n in range(4995, 5000)}
    # New URLs appear: the next check takes the newest again, nothing already stored is fetched twice.
    loopback.route("/sitemap.xml", sitemap(loopback, range(5002), start), headers=SITEMAP)
    for n in (5000, 5001):
        loopback.route(f"/a/{n}.html", page(rows[n - 4995], "Orange"), headers=HTML)
    (result,) = asyncio.run(refresh_sources(store, config, store.list_sources()))
    assert result.new_articles == 2 and result.duplicates == 3, result
    assert len(loopback.requests) - len(loopback.requests_for("/sitemap.xml")) == 7 + len(
        loopback.requests_for("/robots.txt")
    )


def test_a_sitemap_index_is_capped_over_its_children(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    start = datetime.now(UTC) - timedelta(days=2)
    loopback.route("/s1.xml", sitemap(loopback, range(0, 300), start), headers=SITEMAP)
    loopback.route("/s2.xml", sitemap(loopback, range(300, 600), start), headers=SITEMAP)
    children = "".join(f"<sitemap><loc>{loopback.url(p)}</loc></sitemap>" for p in ("/s1.xml", "/s2.xml"))
    loopback.route("/index.xml", f"<?xml version='1.0'?><sitemapindex {NS}>{children}</sitemapindex>")
    store.add_source(Source(url=loopback.url("/index.xml"), name="index", kind="sitemap"))
    config = config_for(tmp_path, ESSENTIEL_FETCH_SITEMAP_MAX_URLS="3")
    (result,) = asyncio.run(refresh_sources(store, config, store.list_sources()))
    # The pages are not served (404): each is one error, and only the three newest were tried.
    assert article_paths(loopback) == {"/a/597.html", "/a/598.html", "/a/599.html"}
    assert len(result.errors) == 3 and all("HTTP 404" in e for e in result.errors)


def test_a_sitemap_index_reads_its_newest_children(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    """An index listing its yearly sitemaps oldest first: the three with the latest lastmod are read."""
    start = datetime.now(UTC) - timedelta(days=3)
    children = ""
    for year in range(2019, 2027):
        loopback.route(f"/s-{year}.xml", sitemap(loopback, range(year * 10, year * 10 + 2), start))
        lastmod = (start - timedelta(days=365 * (2026 - year))).isoformat()
        children += (
            f"<sitemap><loc>{loopback.url(f'/s-{year}.xml')}</loc><lastmod>{lastmod}</lastmod></sitemap>"
        )
    loopback.route("/index.xml", f"<?xml version='1.0'?><sitemapindex {NS}>{children}</sitemapindex>")
    store.add_source(Source(url=loopback.url("/index.xml"), name="index", kind="sitemap"))
    asyncio.run(refresh_sources(store, config_for(tmp_path), store.list_sources()))
    read = sorted(r.path for r in loopback.requests if r.path.startswith("/s-"))
    assert read == ["/s-2024.xml", "/s-2025.xml", "/s-2026.xml"]


def test_sources_list_shows_the_feeds_own_interval(
    loopback: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from click.testing import CliRunner

    from essentiel.cli import cli
    from test_ingest import cli_env

    cli_env(monkeypatch, tmp_path)
    loopback.route("/hinted.xml", rss("<ttl>120</ttl>"), headers=RSS)
    loopback.route("/plain.xml", rss(), headers=RSS)
    runner = CliRunner()
    for path in ("/hinted.xml", "/plain.xml"):
        added = runner.invoke(
            cli, ["sources", "add", loopback.url(path), "--name", path[1:], "--feed-content"]
        )
        assert added.exit_code == 0, added.output
    assert runner.invoke(cli, ["fetch"]).exit_code == 0
    listed = {s["name"]: s for s in json.loads(runner.invoke(cli, ["sources", "list", "--json"]).stdout)}
    assert listed["hinted.xml"]["update_every_minutes"] == 120.0
    assert listed["plain.xml"]["update_every_minutes"] is None
    monkeypatch.setenv("COLUMNS", "250")
    rows = [
        line for line in runner.invoke(cli, ["sources", "list"]).stdout.splitlines() if "hinted.xml" in line
    ]
    assert len(rows) == 1 and " 2h " in rows[0]
