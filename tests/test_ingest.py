"""Ingestion against a real store and loopback outlets: canonical URLs, Miniflux-like entry keys, health,
the kind of a new source, and `essentiel sources list`."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from essentiel.cli import cli
from essentiel.config import Config, load_config
from essentiel.ingest import MAX_BACKOFF, fetch_due, refresh_sources, with_source
from essentiel.models import Article, Source, outlet_of
from essentiel.rank import country_of
from essentiel.sources.entries import page_canonical
from essentiel.sources.outlets import Outlet, outlet_for_host
from essentiel.store import Store, open_store
from loopback import LoopbackServer
from newsfixtures import corpus, page

HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml"}
WHEN = format_datetime(datetime.now(UTC) - timedelta(hours=1))


def config_for(tmp_path: Path, **extra: str) -> Config:
    env = {
        "ESSENTIEL_GENERAL_DATABASE": str(tmp_path / "e.db"),
        "ESSENTIEL_FETCH_ALLOW_PRIVATE": "true",
        "ESSENTIEL_FETCH_HOST_DELAY": "0",
        **extra,
    }
    return load_config(None, env=env)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "e.db")


def feed(items: list[tuple[str, str, str]]) -> str:
    """RSS 2.0 of (link, guid, title)."""
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link><guid isPermaLink='false'>{guid}</guid>"
        f"<pubDate>{WHEN}</pubDate></item>"
        for link, guid, title in items
    )
    return f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>{entries}</channel></rss>"


def article_page(index: int, canonical: str | None = None) -> str:
    row = [r for r in corpus() if r["language"] == "fr"][index]
    html = page(row, "Orange")
    if canonical:
        html = html.replace("<head>", f'<head><link rel="canonical" href="{canonical}">', 1)
    return html


def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The CLI run in tmp_path, on its database, allowed to fetch the loopback server without delay."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESSENTIEL_CONFIG", raising=False)
    monkeypatch.setenv("ESSENTIEL_GENERAL_DATABASE", str(tmp_path / "e.db"))
    monkeypatch.setenv("ESSENTIEL_FETCH_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("ESSENTIEL_FETCH_HOST_DELAY", "0")


def recheck(store: Store, config: Config) -> list[int]:
    """Check every source now, due or not; the new articles of each."""
    results = asyncio.run(refresh_sources(store, config, store.list_sources()))
    return [r.new_articles for r in results]


def test_republished_items_with_new_guids_titles_and_tracking_links_are_not_duplicated(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    for index in range(3):
        loopback.route(f"/a/{index}.html", article_page(index), headers=HTML)
    first = [(loopback.url(f"/a/{i}.html"), f"guid-{i}", f"Titre {i}") for i in range(3)]
    loopback.route("/feed.xml", feed(first), headers=RSS)
    store.add_source(Source(url=loopback.url("/feed.xml"), name="feed"))
    config = config_for(tmp_path)
    assert [r.new_articles for r in fetch_due(store, config)] == [3]
    # The feed is re-published: new GUIDs, new titles, tracking parameters, and a link that moved under
    # its old GUID.
    again = [
        (loopback.url("/a/0.html?utm_source=rss&xtor=RSS-1"), "new-guid-0", "Titre changé 0"),
        (loopback.url("/a/1.html#comments"), "new-guid-1", "Titre 1"),
        (loopback.url("/a/2-moved.html"), "guid-2", "Titre 2"),
    ]
    loopback.route("/feed.xml", feed(again), headers=RSS)
    (result,) = asyncio.run(refresh_sources(store, config, store.list_sources()))
    assert result.new_articles == 0 and result.duplicates == 3 and not result.errors
    assert store.count("articles") == 3
    assert all(len(loopback.requests_for(f"/a/{i}.html")) == 1 for i in range(3))
    assert loopback.requests_for("/a/2-moved.html") == []
    # A genuinely new entry still lands.
    loopback.route("/a/3.html", article_page(3), headers=HTML)
    loopback.route("/feed.xml", feed([*again, (loopback.url("/a/3.html"), "guid-3", "Titre 3")]), headers=RSS)
    assert recheck(store, config) == [1]


def test_a_new_guid_and_a_new_link_with_the_same_title_and_date_is_not_a_new_article(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    loopback.route("/a/0.html", article_page(0), headers=HTML)
    loopback.route("/feed.xml", feed([(loopback.url("/a/0.html"), "guid-0", "Titre  zéro")]), headers=RSS)
    store.add_source(Source(url=loopback.url("/feed.xml"), name="feed"))
    config = config_for(tmp_path)
    assert recheck(store, config) == [1]
    # Re-published: another GUID, another link (the outlet moved it), the same title (spacing and case
    # aside) and the same date: nothing is fetched.
    moved = [(loopback.url("/2026/zero.html"), "guid-0-bis", "titre zéro")]
    loopback.route("/feed.xml", feed(moved), headers=RSS)
    (result,) = asyncio.run(refresh_sources(store, config, store.list_sources()))
    assert (result.new_articles, result.duplicates) == (0, 1) and loopback.requests_for(
        "/2026/zero.html"
    ) == []
    # Two entries of one feed sharing a title and a date (a live page's "Direct") are both articles.
    for index in (1, 2):
        loopback.route(f"/live/{index}.html", article_page(index), headers=HTML)
    lives = [(loopback.url(f"/live/{i}.html"), f"live-{i}", "Direct") for i in (1, 2)]
    loopback.route("/feed.xml", feed([*moved, *lives]), headers=RSS)
    assert recheck(store, config) == [2]
    assert store.count("articles") == 3


def test_a_guid_reused_by_every_entry_is_not_a_key(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    for index in range(2):
        loopback.route(f"/a/{index}.html", article_page(index), headers=HTML)
    items = [(loopback.url(f"/a/{i}.html"), "same-guid", f"T{i}") for i in range(2)]
    loopback.route("/feed.xml", feed(items), headers=RSS)
    store.add_source(Source(url=loopback.url("/feed.xml"), name="feed"))
    assert [r.new_articles for r in fetch_due(store, config_for(tmp_path))] == [2]


def test_articles_are_stored_under_the_pages_canonical_url_once(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    canonical = loopback.url("/story/42")
    loopback.route("/amp/42.html", article_page(0, canonical="/story/42"), headers=HTML)
    loopback.route("/print/42.html", article_page(0, canonical=canonical), headers=HTML)
    items = [(loopback.url("/amp/42.html"), "g1", "A"), (loopback.url("/print/42.html"), "g2", "B")]
    loopback.route("/feed.xml", feed(items), headers=RSS)
    store.add_source(Source(url=loopback.url("/feed.xml"), name="feed"))
    (result,) = fetch_due(store, config_for(tmp_path))
    assert (result.new_articles, result.duplicates) == (1, 1)
    (article,) = store.recent_articles(datetime.now(UTC) - timedelta(days=9))
    assert article.url == canonical
    # The canonical URL is known now: an entry linking to it (with tracking) is never fetched.
    loopback.route("/feed.xml", feed([*items, (canonical + "?utm_medium=x", "g3", "C")]), headers=RSS)
    assert recheck(store, config_for(tmp_path)) == [0]
    assert loopback.requests_for("/story/42") == [] and loopback.requests_for("/story/42?utm_medium=x") == []


def test_an_article_imported_earlier_is_not_fetched_again(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    loopback.route("/a/0.html", article_page(0), headers=HTML)
    other = Source(url=loopback.url("/a/0.html"), name="one", kind="article")
    store.add_source(other)
    assert [r.new_articles for r in fetch_due(store, config_for(tmp_path))] == [1]
    link = loopback.url("/a/0.html?utm_campaign=feed&fbclid=abc")
    loopback.route("/feed.xml", feed([(link, "g", "T")]), headers=RSS)
    store.add_source(Source(url=loopback.url("/feed.xml"), name="feed"))
    results = {r.source: r for r in fetch_due(store, config_for(tmp_path))}
    assert results["feed"].new_articles == 0 and results["feed"].duplicates == 1
    assert len(loopback.requests_for("/a/0.html")) == 1 and store.count("articles") == 1


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<link rel="canonical" href="/a/b">', "https://site.example/a/b"),
        ('<link rel="Canonical amphtml" href="/a/c?utm_source=x">', "https://site.example/a/c"),
        (
            '<meta property="og:url" content="https://WWW.site.example/a/d#top">',
            "https://www.site.example/a/d",
        ),
        ('<link rel="canonical" href="https://other.example/a/b">', "https://site.example/p/1?id=2"),
        ('<link rel="canonical" href="/">', "https://site.example/p/1?id=2"),
        ('<link rel="canonical" href="javascript:alert(1)">', "https://site.example/p/1?id=2"),
        ("", "https://site.example/p/1?id=2"),
    ],
)
def test_page_canonical(head: str, expected: str) -> None:
    html = f"<html><head><title>t</title>{head}</head><body><p>text</p></body></html>".encode()
    assert page_canonical(html, "https://site.example/p/1?id=2&utm_source=rss") == expected


def test_a_failing_source_backs_off_exponentially_capped_and_is_never_dropped(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    loopback.route("/feed.xml", "oops", status=500)
    saved = store.add_source(Source(url=loopback.url("/feed.xml"), name="feed"))
    config = config_for(tmp_path)
    delays = []
    for _ in range(8):
        start = datetime.now(UTC).replace(microsecond=0)
        recheck(store, config)
        state = store.get_source(saved.id or 0)
        assert state is not None and state.next_check_at is not None
        delays.append(state.next_check_at - start)
    assert state.error_count == 8 and state.backing_off and state.last_success_at is None
    assert state.last_error == f"{loopback.url('/feed.xml')}: HTTP 500 Internal Server Error"
    assert delays[1] >= 2 * delays[0] - timedelta(seconds=2) and delays[-1] <= MAX_BACKOFF + timedelta(
        seconds=2
    )
    assert delays[-1] >= MAX_BACKOFF - timedelta(seconds=2)  # capped, not growing forever
    assert [s.source.url for s in store.due_sources(datetime.now(UTC) + MAX_BACKOFF)] == [saved.url]
    # It recovers at its next check: the count is reset, the success is recorded.
    loopback.route("/a/0.html", article_page(0), headers=HTML)
    loopback.route("/feed.xml", feed([(loopback.url("/a/0.html"), "g", "T")]), headers=RSS)
    assert recheck(store, config) == [1]
    (state,) = store.list_sources()
    assert state.error_count == 0 and not state.backing_off and state.last_error is None
    assert state.last_success_at is not None and state.last_error_at is not None
    assert state.articles_per_day == 1.0


def test_sources_list_shows_health(
    loopback: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch, tmp_path)
    for index in range(2):
        loopback.route(f"/a/{index}.html", article_page(index), headers=HTML)
    items = [(loopback.url(f"/a/{i}.html"), f"g{i}", f"T{i}") for i in range(2)]
    loopback.route("/feed.xml", feed(items), headers=RSS)
    loopback.route("/broken.xml", "<html><body>not a feed</body></html>", headers=RSS)
    runner = CliRunner()
    for path in ("/feed.xml", "/broken.xml"):
        assert runner.invoke(cli, ["sources", "add", loopback.url(path), "--name", path[1:]]).exit_code == 0
    fetched = runner.invoke(cli, ["fetch"])
    assert "2 sources checked, 2 new articles, 0 already stored, 1 with errors" in fetched.stdout
    listed = {s["name"]: s for s in json.loads(runner.invoke(cli, ["sources", "list", "--json"]).stdout)}
    good, bad = listed["feed.xml"], listed["broken.xml"]
    assert good["articles_per_day"] == 2.0 and good["error_count"] == 0 and good["last_success_at"]
    assert bad["error_count"] == 1 and bad["backing_off"] and bad["last_success_at"] is None
    assert bad["last_error"].startswith(loopback.url("/broken.xml") + ": ") and "\n" not in bad["last_error"]
    monkeypatch.setenv("COLUMNS", "250")  # rich's table width
    table = runner.invoke(cli, ["sources", "list"]).stdout
    assert "backing off" in table and "never" in table


def test_sources_add_detects_the_kind(
    loopback: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch, tmp_path)
    home = '<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="/f"></head><body>Hi</body></html>'
    loopback.route("/", home, headers=HTML)
    loopback.route("/latest", feed([(loopback.url("/a/0.html"), "g", "T")]), headers=RSS)
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    loopback.route("/plan", f"<?xml version='1.0'?><urlset {ns}><url><loc>/x</loc></url></urlset>")
    loopback.route(
        "/story", article_page(0).replace("<head>", '<head><meta property="og:type" content="article">')
    )
    loopback.route("/about", "<html><body><p>Nothing here</p></body></html>", headers=HTML)
    runner = CliRunner()
    kinds = {}
    for path in ("/", "/latest", "/plan", "/story"):
        added = runner.invoke(cli, ["sources", "add", loopback.url(path), "--json"])
        assert added.exit_code == 0, added.output
        kinds[path] = json.loads(added.stdout)["kind"]
    assert kinds == {"/": "page", "/latest": "feed", "/plan": "sitemap", "/story": "article"}
    refused = runner.invoke(cli, ["sources", "add", loopback.url("/about")])
    assert refused.exit_code == 2
    assert refused.stderr.strip() == (
        f"error: {loopback.url('/about')}: a web page that announces no feed: add its feed or sitemap URL,"
        " or give --kind article (cannot detect the source's kind: give --kind)"
    )
    missing = runner.invoke(cli, ["sources", "add", loopback.url("/gone")])
    assert missing.exit_code == 2 and "HTTP 404" in missing.stderr
    # The URL says what it is: no fetch at all; --kind wins.
    before = len(loopback.requests)
    assert runner.invoke(cli, ["sources", "add", loopback.url("/news/sitemap.xml")]).exit_code == 0
    assert runner.invoke(cli, ["sources", "add", loopback.url("/about"), "--kind", "page"]).exit_code == 0
    assert len(loopback.requests) == before


def test_a_single_article_source_is_updated_in_place(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    loopback.route("/live.html", article_page(0), headers=HTML)
    store.add_source(Source(url=loopback.url("/live.html?utm_source=x"), name="live", kind="article"))
    config = config_for(tmp_path)
    assert recheck(store, config) == [1]
    loopback.route("/live.html", article_page(1), headers=HTML)  # the page changed
    (result,) = asyncio.run(refresh_sources(store, config, store.list_sources()))
    assert (result.new_articles, result.duplicates) == (0, 1)
    (article,) = store.recent_articles(datetime.now(UTC) - timedelta(days=9))
    assert article.url == loopback.url("/live.html") and article.title in corpus_title(1)  # kicker split off


def corpus_title(index: int) -> str:
    return [r for r in corpus() if r["language"] == "fr"][index]["title"]


@pytest.mark.parametrize(
    ("url", "outlet"),
    [
        ("https://www.lemonde.fr/international/article/2026/11/25/x.html", "lemonde.fr"),
        ("https://rss.lemonde.fr/c/205/f/3050/index.rss", "lemonde.fr"),
        ("https://lemonde.fr/international/", "lemonde.fr"),
        ("https://WWW.BBC.CO.UK/news", "bbc.co.uk"),
        ("https://www.bbc.com/news/world", "bbc.co.uk"),  # the bundled media list: one outlet
        ("https://feeds.bbci.co.uk/news/rss.xml", "bbc.co.uk"),
        ("https://www.telerama.fr/x", "telerama.fr"),  # Groupe Le Monde's other titles stay apart
        ("https://www.liberation.fr/politique/", "libe.com"),
        ("https://someone.blogspot.com/2026/11/post.html", "someone.blogspot.com"),  # a private suffix
        ("https://www.news.example.co.jp/a", "example.co.jp"),
        ("http://127.0.0.2:8080/feed.xml", "127.0.0.2"),
        ("http://localhost:8000/", "localhost"),
        ("http://[", ""),
        (None, ""),
    ],
)
def test_outlet_of(url: str | None, outlet: str) -> None:
    assert outlet_of(url) == outlet


def test_outlet_details_from_the_bundled_media_list() -> None:
    bbc = outlet_for_host("www.bbc.com")
    assert (bbc.key, bbc.name, bbc.country) == ("bbc.co.uk", "BBC News", "gb")
    lemonde = outlet_for_host("www.lemonde.fr")
    assert (lemonde.key, lemonde.name, lemonde.group, lemonde.country) == (
        "lemonde.fr",
        None,
        "Groupe Le Monde",
        "fr",
    )
    assert outlet_for_host("unknown-news.example") == Outlet("unknown-news.example")


def test_one_outlet_with_several_feeds_and_hosts_counts_once() -> None:
    """Two feeds of one outlet (www. and rss. hosts) and a wire: the articles carry two outlets, not three."""
    une = Source(url="https://www.lemonde.fr/rss/une.xml", name="Le Monde", full_page=False)
    monde = Source(url="https://rss.lemonde.fr/international.xml", name="Le Monde Monde", full_page=False)
    assert une.outlet == monde.outlet == "lemonde.fr"
    articles = [
        with_source(Article(id=f"a{i}", url=f"https://{host}/a/{i}", title="t", text="x"), source)
        for i, (host, source) in enumerate(
            [("www.lemonde.fr", une), ("rss.lemonde.fr", monde), ("www.afp.com", une)]
        )
    ]
    assert [a.outlet for a in articles] == ["lemonde.fr", "lemonde.fr", "afp.com"]
    assert len({a.outlet_key for a in articles}) == 2


def test_a_homepage_without_feed_link_is_read_through_a_common_feed_path(
    loopback: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli_env(monkeypatch, tmp_path)
    loopback.route("/", "<!DOCTYPE html><html><body><p>Les nouvelles</p></body></html>", headers=HTML)
    loopback.route("/feed", "<html><body>Not found, but a page</body></html>", headers=HTML)  # soft 404
    loopback.route("/a/0.html", article_page(0), headers=HTML)
    loopback.route("/feed.xml", feed([(loopback.url("/a/0.html"), "g", "T")]), headers=RSS)
    runner = CliRunner()
    added = runner.invoke(cli, ["sources", "add", loopback.url("/"), "--json"])
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["kind"] == "page"
    fetched = runner.invoke(cli, ["fetch", "--json"])
    assert fetched.exit_code == 0, fetched.output
    (result,) = json.loads(fetched.stdout)
    assert result["new_articles"] == 1 and not result["errors"]
    # Tried in order: /feed (an HTML page: skipped), /rss (404), then /feed.xml.
    tried = [r.path for r in loopback.requests if r.path in ("/feed", "/rss", "/feed.xml", "/rss.xml")]
    assert tried == ["/feed", "/rss", "/feed.xml"] * 2  # once at `sources add`, once at the check
    # When the site has none, the check fails with one line naming the paths tried.
    loopback.route("/feed.xml", "gone", status=404)
    store = open_store(tmp_path / "e.db")
    (result,) = asyncio.run(refresh_sources(store, load_config(None), store.list_sources()))
    assert result.errors == [
        f"{loopback.url('/')}: no feed found on this page (no <link rel=alternate> feed, none at"
        " /feed, /rss, /feed.xml, /rss.xml, /atom.xml, /index.xml)"
    ]


@pytest.mark.parametrize(
    ("url", "country"),
    [
        ("https://www.bbc.com/news/x", "gb"),  # the media list (a .com)
        ("https://www.liberation.fr/x", "fr"),  # listed; its outlet key (libe.com) has no country TLD
        ("https://www.france2.fr/x", "fr"),  # listed under france.tv: not Tuvalu
        ("https://www.unlisted-news.ch/x", "ch"),  # not listed: the host's country TLD
        ("https://www.unlisted-news.com/x", None),
        ("http://[", None),
    ],
)
def test_an_articles_country_comes_from_the_media_list_then_the_hosts_tld(
    url: str, country: str | None
) -> None:
    assert country_of(Article(id="a", url=url, title="t", text="x")) == country
