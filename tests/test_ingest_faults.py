"""Faults in one run, through `fetch_due` with a real store: each source gets its clear one-line error,
the good sources still land, and nothing already stored is lost."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from essentiel.config import Config, load_config
from essentiel.ingest import fetch_due, refresh_sources
from essentiel.models import Source
from essentiel.store import Store, open_store
from loopback import LoopbackServer
from newsfixtures import corpus, page

HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml"}
FR = [r for r in corpus() if r["language"] == "fr"]


def config_for(tmp_path: Path) -> Config:
    env = {
        "ESSENTIEL_GENERAL_DATABASE": str(tmp_path / "e.db"),
        "ESSENTIEL_FETCH_ALLOW_PRIVATE": "true",
        "ESSENTIEL_FETCH_HOST_DELAY": "0",
        "ESSENTIEL_FETCH_TIMEOUT": "2",  # total seconds per request
        "ESSENTIEL_FETCH_MAX_BYTES": "2000000",
    }
    return load_config(None, env=env)


def rss(items: list[tuple[str, str]], encoding: str = "utf-8") -> bytes:
    entries = "".join(f"<item><title>{t}</title><link>{u}</link><guid>{u}</guid></item>" for u, t in items)
    text = f"<?xml version='1.0' encoding='{encoding}'?><rss version='2.0'><channel><title>t</title>{entries}</channel></rss>"
    return text.encode(encoding)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "e.db")


def serve_faults(server: LoopbackServer) -> dict[str, str]:
    """Every fault of the issue on one server; returns {source name: the error it must give}."""
    url = server.url
    server.route("/slow.xml", rss([]) * 20, headers=RSS, chunk_delay=0.5)  # slowloris: a byte drip
    server.route("/error.xml", "boom", status=500)
    server.route("/busy.xml", "later", status=429, headers={"Retry-After": "3600"})
    server.redirect("/loop-a.xml", "/loop-b.xml")
    server.redirect("/loop-b.xml", "/loop-a.xml")
    server.route("/huge.xml", b"<rss>" + b" " * 3_000_000, headers=RSS)
    bomb = gzip.compress(b"\0" * 30_000_000)
    server.route("/bomb.xml", bomb, headers={**RSS, "Content-Encoding": "gzip"})
    server.route("/invalid.xml", "<?xml version='1.0'?><rss><channel><item><title>a</b></rss>", headers=RSS)
    return {
        "slow": f"{url('/slow.xml')}: timed out after 2s (total)",
        "error": f"{url('/error.xml')}: HTTP 500 Internal Server Error",
        "busy": f"{url('/busy.xml')}: HTTP 429 Too Many Requests (retry after 3600s)",
        "loop-a": f"{url('/loop-a.xml')}: redirect loop: {url('/loop-a.xml')} -> {url('/loop-b.xml')} -> {url('/loop-a.xml')}",
        "huge": f"{url('/huge.xml')}: body too large: 3000005 bytes (max_bytes is 2000000)",
        "bomb": f"{url('/bomb.xml')}: decompression bomb: gzip body expands more than 100 times",
        "invalid": f"{url('/invalid.xml')}: ",
    }


def serve_good(server: LoopbackServer) -> None:
    """Feeds and pages that must land despite bad charsets."""
    for index in range(3):
        server.route(f"/a/{index}.html", page(FR[index], "Orange"), headers=HTML)
    items = [(server.url(f"/a/{i}.html"), FR[i]["title"]) for i in range(3)]
    server.route("/good.xml", rss(items[:2]), headers=RSS, etag='"v1"')
    # An ISO-8859-1 feed with no charset in the header (only in its XML declaration).
    latin = [(server.url("/a/2.html"), FR[2]["title"])]
    server.route("/latin.xml", rss(latin, "iso-8859-1"), headers={"Content-Type": "application/xml"})
    # A page in ISO-8859-1 whose <meta charset> wrongly says UTF-8, and whose header says nothing.
    wrong = page(FR[3], "Orange").encode("latin-1", "replace")
    server.route("/a/3.html", wrong, headers={"Content-Type": "text/html"})
    server.route("/wrong.xml", rss([(server.url("/a/3.html"), "wrong charset")]), headers=RSS)


@pytest.fixture
def outlet() -> Iterator[LoopbackServer]:
    """A second outlet (another loopback address), whose feeds and pages are fine."""
    server = LoopbackServer(host="127.0.0.2").start()
    try:
        yield server
    finally:
        server.close()


def test_every_fault_is_one_clear_line_and_the_good_sources_land(
    loopback: LoopbackServer, outlet: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    expected = serve_faults(loopback)
    serve_good(outlet)
    for name in expected:
        store.add_source(Source(url=loopback.url(f"/{name}.xml"), name=name))
    for name in ("good", "latin", "wrong"):
        store.add_source(Source(url=outlet.url(f"/{name}.xml"), name=name))
    before = datetime.now(UTC).replace(microsecond=0)
    results = {r.source: r for r in fetch_due(store, config_for(tmp_path))}
    for name, error in expected.items():
        assert len(results[name].errors) == 1 and results[name].errors[0].startswith(error), name
        assert "\n" not in results[name].errors[0]
    assert results["invalid"].errors[0].startswith(expected["invalid"] + "not a valid feed: ")
    assert {n: results[n].new_articles for n in ("good", "latin", "wrong")} == {
        "good": 2,
        "latin": 1,
        "wrong": 1,
    }
    assert not any(results[n].errors for n in ("good", "latin", "wrong"))
    titles = {a.url: a.title for a in store.recent_articles(before - timedelta(days=9))}
    assert titles[outlet.url("/a/2.html")] == FR[2]["title"]  # accents survived the Latin-1 feed
    assert len(titles) == 4
    states = {s.source.name: s for s in store.list_sources()}
    for name, error in expected.items():
        assert states[name].error_count == 1 and (states[name].last_error or "").startswith(error)
    busy = states["busy"].next_check_at
    assert busy is not None and busy >= before + timedelta(seconds=3600)


def test_a_source_that_starts_failing_loses_nothing_and_304_costs_nothing(
    loopback: LoopbackServer, store: Store, tmp_path: Path
) -> None:
    serve_good(loopback)
    good = store.add_source(Source(url=loopback.url("/good.xml"), name="good"))
    config = config_for(tmp_path)
    assert [r.new_articles for r in fetch_due(store, config)] == [2]
    stored = {a.id: a for a in store.recent_articles(datetime.now(UTC) - timedelta(days=9))}

    def check_now() -> None:
        (result,) = asyncio.run(refresh_sources(store, config, store.list_sources()))
        assert result.not_modified or result.errors

    check_now()  # conditional GET: a 304, nothing parsed, nothing fetched again
    assert loopback.requests_for("/good.xml")[-1].headers.get("if-none-match") == '"v1"'
    assert all(len(loopback.requests_for(f"/a/{i}.html")) == 1 for i in range(2))
    for fault in ("boom", "<rss><channel><item><title>broken</b>", b"\xff\xfe\x00garbage"):
        status = 500 if fault == "boom" else 200
        loopback.route("/good.xml", fault, status=status, headers=RSS)
        check_now()
    state = store.get_source(good.id or 0)
    assert state is not None and state.error_count >= 2 and state.last_success_at is not None
    after = {a.id: a for a in store.recent_articles(datetime.now(UTC) - timedelta(days=9))}
    assert after == stored and store.count("documents") >= 3
