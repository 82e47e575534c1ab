"""The hostile-input suite: every test here is a hostile case, counted and reported at the end of the run.

`hostile_run` fetches a hostile source beside a good one from the real loopback server, through the real
pipeline (`fetch_due`), and checks what every case must hold: the good source is unaffected and the store
passes `PRAGMA integrity_check` and the FTS5 check. Each test then asserts its own outcome on the hostile source.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from essentiel.config import Config, load_config
from essentiel.ingest import RefreshResult, fetch_due
from essentiel.models import Source
from essentiel.store import SourceState, Store, open_store
from loopback import LoopbackServer
from newsfixtures import corpus, page, rss

HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml"}
_tally = {"tried": 0, "passed": 0, "failed": 0, "skipped": 0}
_HERE = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "hostile: a hostile-input case (counted in the run's summary)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.hostile)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "hostile" not in report.keywords:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if report.skipped:
            _tally["skipped"] += 1
            return
        _tally["tried"] += 1
        _tally["passed" if report.passed else "failed"] += 1
    elif report.when == "teardown" and report.failed:  # a failing check after the case counts against it
        _tally["passed"] -= 1
        _tally["failed"] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not any(_tally.values()):
        return
    line = f"hostile cases: {_tally['tried']} tried, {_tally['passed']} passed, {_tally['failed']} failed"
    if _tally["skipped"]:
        line += f", {_tally['skipped']} skipped"
    terminalreporter.write_sep("=", line, bold=True, green=not _tally["failed"], red=bool(_tally["failed"]))


# --- a loopback server that can also stream endless or dripping bodies ------------------------------------


Body = Callable[[BaseHTTPRequestHandler, threading.Event], None]


class HostileServer(LoopbackServer):
    """LoopbackServer plus `stream(path, body)`: `body(handler, stopping)` writes status, headers and body."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.streams: dict[str, Body] = {}

    def stream(self, path: str, body: Body) -> str:
        self.streams[path] = body
        return self.url(path)

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        body = self.streams.get(handler.path)
        if body is None:
            super()._answer(handler)
            return
        body(handler, self._stopping)


@pytest.fixture
def server() -> Iterator[HostileServer]:
    hostile = HostileServer().start()
    try:
        yield hostile
    finally:
        hostile.close()


# --- the harness: a hostile source beside a good one, through the real pipeline ---------------------------


@dataclass
class Outcome:
    store: Store
    results: dict[str, RefreshResult]  # by source URL
    states: dict[str, SourceState]

    def error(self, url: str) -> str:
        """The one error line stored on a source (its last_error), checked to be one line naming it."""
        state = self.states[url]
        assert state.error_count == 1 and state.last_error, f"no error stored on {url}"
        assert "\n" not in state.last_error
        return state.last_error

    def articles(self, url: str) -> list[dict[str, Any]]:
        rows = self.store.db.query(
            "SELECT a.* FROM articles a JOIN sources s ON s.id = a.source_id WHERE s.url = ?", (url,)
        )
        return [dict(r) for r in rows]


class HostileRun:
    def __init__(self, tmp_path: Path, server: HostileServer) -> None:
        self.tmp_path = tmp_path
        self.server = server
        rows = [r for r in corpus() if r["language"] == "fr"][:2]
        items = []
        for index, row in enumerate(rows):
            server.route(f"/good/{index}.html", page(row, "Le Bon Journal"), headers=HTML)
            items.append((f"/good/{index}.html", row["title"]))
        self.good = server.route("/good/feed.xml", rss(server, items), headers=RSS)
        self._stores: list[Store] = []

    def config(self, **settings: str) -> Config:
        env = {
            "ESSENTIEL_GENERAL_DATABASE": str(self.tmp_path / "hostile.db"),
            "ESSENTIEL_FETCH_ALLOW_PRIVATE": "true",
            "ESSENTIEL_FETCH_HOST_DELAY": "0",
            "ESSENTIEL_FETCH_RESPECT_ROBOTS": "false",
            **settings,
        }
        return load_config(None, env=env)

    def __call__(self, hostile: Iterable[Source], **settings: str) -> Outcome:
        """Fetch the hostile sources and the good one in one run; check the good one and the store."""
        config = self.config(**settings)
        store = open_store(config.database)
        self._stores.append(store)
        for source in [Source(url=self.good, name="good"), *hostile]:
            store.add_source(source)
        results = {r.source: r for r in fetch_due(store, config)}
        by_url = {s.source.url: s for s in store.list_sources()}
        outcome = Outcome(store, {url: results[s.source.name or url] for url, s in by_url.items()}, by_url)
        good = outcome.results[self.good]
        assert good.errors == [] and good.new_articles == 2, "the good source was affected"
        assert len(outcome.articles(self.good)) == 2
        assert store.db.integrity_errors() == []
        return outcome

    def close(self) -> None:
        for store in self._stores:
            store.close()


@pytest.fixture
def hostile_run(tmp_path: Path, server: HostileServer) -> Iterator[HostileRun]:
    run = HostileRun(tmp_path, server)
    try:
        yield run
    finally:
        run.close()
