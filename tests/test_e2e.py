"""End to end: loopback HTTP servers (three outlets) serve RSS feeds and article pages, broken ones included;
`essentiel run --once` fetches, extracts, stores, clusters, ranks, summarises and publishes an edition."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from essentiel.cli import cli
from essentiel.store import open_store
from loopback import LoopbackServer
from newsfixtures import corpus, page, rss


@pytest.fixture
def outlets() -> Iterator[list[LoopbackServer]]:
    servers = [LoopbackServer(host=f"127.0.0.{i}").start() for i in (2, 3, 4)]
    yield servers
    for server in servers:
        server.close()


def serve_outlets(servers: list[LoopbackServer]) -> dict[str, str]:
    """Two events covered by all three outlets, a French story on one, a broken page. Returns url -> event."""
    rows = corpus()
    events = {
        "9_ecbplus": [r for r in rows if r.get("gold_event") == "9_ecbplus"][:3],
        "12_ecbplus": [r for r in rows if r.get("gold_event") == "12_ecbplus"][:3],
    }
    french = [r for r in rows if r["language"] == "fr"][0]
    gold: dict[str, str] = {}
    for index, server in enumerate(servers):
        items = []
        for event, articles in events.items():
            path = f"/{event}/{index}.html"
            server.route(
                path,
                page(articles[index], server.base_url),
                headers={"Content-Type": "text/html; charset=utf-8"},
            )
            items.append((path, articles[index]["title"]))
            gold[server.url(path)] = event
        if index == 0:
            server.route(
                "/fr/1.html", page(french, "Orange"), headers={"Content-Type": "text/html; charset=utf-8"}
            )
            items.append(("/fr/1.html", french["title"]))
            gold[server.url("/fr/1.html")] = "french"
            server.route("/broken.html", "oops", status=500)
            items.append(("/broken.html", "A page that fails"))
        server.route(
            "/rss.xml", rss(server, items), headers={"Content-Type": "application/rss+xml"}, etag='"v1"'
        )
    return gold


def write_config(tmp_path: Path, servers: list[LoopbackServer]) -> Path:
    sources = "".join(
        f'[[sources]]\nurl = "{s.url("/rss.xml")}"\nname = "outlet {i}"\n' for i, s in enumerate(servers)
    )
    sources += f'[[sources]]\nurl = "{servers[0].url("/missing.xml")}"\nname = "gone"\n'
    sources += f'[[sources]]\nurl = "{servers[1].url("/notafeed.html")}"\nname = "not a feed"\n'
    servers[1].route(
        "/notafeed.html", "<html><body>Hello</body></html>", headers={"Content-Type": "text/html"}
    )
    path = tmp_path / "essentiel.toml"
    path.write_text(
        "[fetch]\nallow_private = true\nhost_delay = 0.0\ntimeout = 10.0\n"
        '[outputs]\nsite_dir = "site"\nmarkdown = "edition.md"\n' + sources,
        encoding="utf-8",
    )
    return path


def test_run_once_builds_an_edition_whose_stories_group_the_right_articles(
    tmp_path: Path, outlets: list[LoopbackServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    gold = serve_outlets(outlets)
    config = write_config(tmp_path, outlets)
    result = CliRunner().invoke(cli, ["--config", str(config), "run", "--once", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sources"] == 5 and report["new_articles"] == 7
    assert any("500" in e and "broken.html" in e for e in report["errors"])
    with open_store(tmp_path / "essentiel.db") as store:
        edition = store.latest_edition()
        assert edition is not None
        urls = {
            a.id: a.url for a in store.get_articles([i for s in edition.stories for i in s.story.article_ids])
        }
        groups = [{gold[urls[i]] for i in s.story.article_ids} for s in edition.stories]
        sizes = [len(s.story.article_ids) for s in edition.stories]
        assert sizes[:2] == [3, 3] and all(len(g) == 1 for g in groups)
        assert {next(iter(g)) for g in groups[:2]} == {"9_ecbplus", "12_ecbplus"}
        assert edition.stories[0].why and len(edition.stories[0].outlets) == 3
        states = {s.source.name: s for s in store.list_sources()}
        assert states["gone"].error_count == 1 and "404" in (states["gone"].last_error or "")
        assert states["not a feed"].error_count == 1
        assert states["outlet 0"].error_count == 0 and states["outlet 0"].etag == '"v1"'
    assert (tmp_path / "site/index.html").exists() and (tmp_path / "edition.md").exists()

    # A second pass: feeds answer 304 (conditional GET), nothing is fetched again, the edition is rebuilt.
    before = len(outlets[0].requests_for("/9_ecbplus/0.html"))
    with open_store(tmp_path / "essentiel.db") as store:
        store.db.conn.execute("UPDATE sources SET next_check_at = NULL")
    again = CliRunner().invoke(cli, ["--config", str(config), "run", "--once", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["new_articles"] == 0
    assert outlets[0].requests_for("/rss.xml")[-1].headers.get("if-none-match") == '"v1"'
    assert len(outlets[0].requests_for("/9_ecbplus/0.html")) == before
