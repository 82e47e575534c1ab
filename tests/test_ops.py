"""Operations: backup, status, retention, the single-instance lock, JSON logs, and crash safety under kill -9."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from essentiel import scheduler
from essentiel.cli import cli
from essentiel.config import Config
from essentiel.errors import EssentielError, StoreError
from essentiel.lock import instance_lock
from essentiel.logs import JsonFormatter
from essentiel.models import Article, Fetched, Source
from essentiel.scheduler import run_forever
from essentiel.store import Store, open_store
from essentiel.web.app import create_app
from loopback import LoopbackServer
from newsfixtures import corpus, page, rss
from test_pipeline import config_for

NOW = datetime.now(UTC)


def filled_store(path: Path) -> None:
    with open_store(path) as store:
        for i in range(3):
            old = NOW - timedelta(days=40 if i < 2 else 1)
            doc = store.save_document(
                Fetched(f"https://x.fr/{i}", f"https://x.fr/{i}", 200, b"<p>x</p>" * 50, old)
            )
            article = Article(
                id=f"a{i}", url=f"https://x.fr/{i}", title=f"Titre {i}", text="Texte de l'article."
            )
            store.save_articles([article], document_id=doc, fetched_at=old)


def test_backup_is_a_consistent_copy_and_never_overwrites(tmp_path: Path) -> None:
    filled_store(tmp_path / "e.db")
    with open_store(tmp_path / "e.db") as store:
        store.db.backup(tmp_path / "copy.db")
        with pytest.raises(StoreError, match="already exists"):
            store.db.backup(tmp_path / "copy.db")
    with open_store(tmp_path / "copy.db") as copy:
        assert copy.count("articles") == 3 and copy.db.integrity_errors() == []
        assert [a.id for a in copy.search_articles("titre")] != []


def test_prune_removes_old_raw_pages_and_keeps_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    filled_store(tmp_path / "e.db")
    monkeypatch.setenv("ESSENTIEL_GENERAL_DATABASE", str(tmp_path / "e.db"))
    refused = CliRunner().invoke(cli, ["prune"])
    assert refused.exit_code == 2 and "keep forever" in refused.stderr
    result = CliRunner().invoke(cli, ["prune", "--days", "30"])
    assert result.exit_code == 0 and "2 raw pages" in result.stdout
    with open_store(tmp_path / "e.db") as store:
        assert store.count("documents") == 1 and store.count("articles") == 3


def test_status_reports_counts_and_failing_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESSENTIEL_GENERAL_DATABASE", str(tmp_path / "e.db"))
    missing = CliRunner().invoke(cli, ["status"])
    assert missing.exit_code == 2 and "no database yet" in missing.stderr
    filled_store(tmp_path / "e.db")
    result = CliRunner().invoke(cli, ["status", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["counts"]["articles"] == 3 and report["last_edition"] is None
    assert CliRunner().invoke(cli, ["status"]).stdout.count("3 articles") == 1


def test_a_second_instance_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "e.db"
    with instance_lock(database):
        with (
            pytest.raises(EssentielError, match=f"already in use by `essentiel run` \\(pid {os.getpid()}\\)"),
            instance_lock(database),
        ):
            pass
        monkeypatch.setenv("ESSENTIEL_GENERAL_DATABASE", str(database))
        result = CliRunner().invoke(cli, ["run", "--once"])
        assert result.exit_code == 2 and "already in use" in result.stderr
    with instance_lock(database):  # released
        pass


def test_json_log_lines() -> None:
    record = logging.LogRecord(
        "essentiel.ingest", logging.WARNING, __file__, 1, "source failed source=%s", ("x",), None
    )
    line = json.loads(JsonFormatter().format(record))
    assert (
        line["level"] == "warning"
        and line["message"] == "source failed source=x"
        and line["logger"] == "essentiel.ingest"
        and line["source"] == "x"
    )
    record.msg, record.args = (
        "article skipped source=%s url=%s error=%s",
        ("https://a.fr/f", "https://a.fr/1", "x: HTTP 404 Not Found"),
    )
    fields = json.loads(JsonFormatter().format(record))
    assert fields["url"] == "https://a.fr/1" and fields["error"] == "x: HTTP 404 Not Found"
    assert fields["level"] == "warning"  # a key=value pair never overrides the record's own fields


def stored(database: Path) -> int:
    if not database.exists():
        return 0
    with sqlite3.connect(database, timeout=5) as conn:
        try:
            return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
        except sqlite3.OperationalError:  # tables not created yet
            return 0


def test_kill_9_during_ingestion_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """Kill a real `essentiel run` process (the service) at random moments mid-ingestion, restart it, check the store."""
    server = LoopbackServer().start()
    try:
        rows = corpus()
        items = []
        for index, row in enumerate(rows):
            path = f"/a/{index}.html"
            server.route(
                path, page(row, "outlet"), headers={"Content-Type": "text/html; charset=utf-8"}, delay=0.15
            )
            items.append((path, row["title"]))
        for feed in range(3):
            server.route(
                f"/feed{feed}.xml",
                rss(server, items[feed::3]),
                headers={"Content-Type": "application/rss+xml"},
            )
        config = tmp_path / "essentiel.toml"
        sources = "".join(
            f'[[sources]]\nurl = "{server.url(f"/feed{i}.xml")}"\nname = "feed {i}"\n' for i in range(3)
        )
        config.write_text(
            f"[fetch]\nallow_private = true\nhost_delay = 0.0\nper_host = 2\n{sources}", encoding="utf-8"
        )
        essentiel = [sys.executable, "-m", "essentiel", "--config", str(config)]
        rng = random.Random(7)
        kills = 0
        for _ in range(4):
            before = stored(tmp_path / "essentiel.db")
            process = subprocess.Popen(
                [*essentiel, "run"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            while process.poll() is None and stored(tmp_path / "essentiel.db") <= before:
                time.sleep(0.05)  # wait until this run has stored something: we kill mid-ingestion
            time.sleep(rng.uniform(0.0, 0.4))
            if process.poll() is None:
                mid_ingestion = stored(tmp_path / "essentiel.db") < len(rows)
                process.send_signal(signal.SIGKILL)
                kills += mid_ingestion
            process.wait()
            assert process.returncode == -signal.SIGKILL
            with sqlite3.connect(tmp_path / "essentiel.db") as conn:
                conn.execute("UPDATE sources SET next_check_at = NULL")
        final = subprocess.run([*essentiel, "fetch"], capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr
    finally:
        server.close()
    with open_store(tmp_path / "essentiel.db") as store:
        assert store.db.integrity_errors() == []
        urls = [r[0] for r in store.db.query("SELECT url FROM articles")]
        assert len(urls) == len(set(urls)) == len(rows)
        assert kills >= 3, "the runs were killed mid-ingestion"
        assert store.count("sources") == 3
        heartbeat = store.heartbeat()  # a killed scheduler never said it stopped: /healthz sees it go stale
        assert heartbeat is not None and heartbeat.state == "running"


# --- observability: /healthz, /metrics and `essentiel status` ------------------------------------------------


class AppClient:
    """GET requests to an ASGI app in memory (httpx; starlette's TestClient warns with httpx)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.get(path, headers=headers)

        return asyncio.run(go())


def ops_config(tmp_path: Path, **extra: str) -> Config:
    return config_for(tmp_path, ESSENTIEL_SCHEDULE_EDITION_AT='"00:00"', **extra)


def serve_feed(server: LoopbackServer, count: int, feed: str = "/feed.xml") -> None:
    items = []
    for index, row in enumerate(corpus()[:count]):
        path = f"{feed}/a/{index}.html"
        server.route(path, page(row, "outlet"), headers={"Content-Type": "text/html; charset=utf-8"})
        items.append((path, row["title"]))
    server.route(feed, rss(server, items), headers={"Content-Type": "application/rss+xml"})


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text exposition, by (name, labels); the parser rejects a malformed one."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_healthz_metrics_and_status_follow_the_scheduler(loopback: LoopbackServer, tmp_path: Path) -> None:
    serve_feed(loopback, 3)
    loopback.route("/a/missing.html", status=404)
    config = ops_config(tmp_path)
    with open_store(config.database) as store:
        store.add_source(Source(url=loopback.url("/feed.xml"), name="good feed"))
        store.add_source(Source(url=loopback.url("/gone.xml"), name='bad "feed"'))
    client = AppClient(create_app(config.database, config=config))
    assert client.get("/healthz").status_code == 200  # no scheduler ever ran: the store alone answers

    stop = threading.Event()
    worker = threading.Thread(target=run_forever, args=(config, stop))
    worker.start()
    try:
        with open_store(config.database, readonly=True) as reader:
            wait_for(lambda: reader.last_edition_time() is not None)
        wait_for(lambda: b'essentiel_stage_seconds_count{stage="publish"}' in client.get("/metrics").content)
        health = client.get("/healthz")
        assert health.status_code == 200, health.text
        report = health.json()
        assert report["status"] == "ok" and report["scheduler"]["alive"] and report["last_edition"]
        response = client.get("/metrics")
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        figures = samples(response.text)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not worker.is_alive()
    assert figures[("essentiel_fetches_total", (("status", "200"),))] == 4  # the feed and its 3 pages
    assert figures[("essentiel_fetches_total", (("status", "404"),))] == 1
    assert figures[("essentiel_source_errors_total", (("id", "2"), ("source", 'bad "feed"')))] == 1
    assert figures[("essentiel_source_errors_total", (("id", "1"), ("source", "good feed")))] == 0
    assert figures[("essentiel_source_consecutive_errors", (("id", "2"), ("source", 'bad "feed"')))] == 1
    assert figures[("essentiel_articles_last_hour", ())] == 3
    assert figures[("essentiel_sources_due", ())] == 0
    assert figures[("essentiel_scheduler_alive", ())] == 1
    for stage, runs in (("fetch", 1), ("extract", 3), ("stories", 1), ("rank", 1), ("publish", 1)):
        assert figures[("essentiel_stage_seconds_count", (("stage", stage),))] == runs, stage
        assert figures[("essentiel_stage_seconds_sum", (("stage", stage),))] > 0, stage

    stopped = client.get("/healthz")  # a clean stop: the scheduler is no longer alive
    assert stopped.status_code == 503 and stopped.json()["scheduler"]["state"] == "stopped"

    result = CliRunner().invoke(cli, ["status"], env={"ESSENTIEL_GENERAL_DATABASE": str(config.database)})
    assert result.exit_code == 0, result.output
    assert "fetches by status: 200 4, 404 1" in result.stdout
    assert "articles: 3 in the last hour" in result.stdout
    assert 'errors: bad "feed": 1 of 1 checks (1 in a row)' in result.stdout
    assert "stage extract: 3 runs" in result.stdout and "scheduler: NOT alive (stopped" in result.stdout
    report = json.loads(
        CliRunner()
        .invoke(cli, ["status", "--json"], env={"ESSENTIEL_GENERAL_DATABASE": str(config.database)})
        .stdout
    )
    assert report["fetches"] == {"200": 4, "404": 1} and report["stages"]["extract"]["count"] == 3


def test_healthz_is_503_when_the_heartbeat_is_stale_or_the_store_is_gone(tmp_path: Path) -> None:
    client = AppClient(create_app(tmp_path / "e.db"))
    missing = client.get("/healthz")
    assert missing.status_code == 503 and "no database yet" in missing.json()["store"]
    with open_store(tmp_path / "e.db") as store:
        store.beat(60, started=True)
    assert client.get("/healthz").status_code == 200
    with sqlite3.connect(tmp_path / "e.db") as conn:  # a scheduler killed 10 minutes ago (2 x 60 s + 5 min)
        old = (datetime.now(UTC) - timedelta(minutes=10)).isoformat(timespec="seconds")
        conn.execute("UPDATE scheduler_heartbeat SET beat_at = ?", (old,))
    stale = client.get("/healthz")
    assert stale.status_code == 503 and stale.json()["scheduler"] == {
        **stale.json()["scheduler"],
        "alive": False,
        "state": "running",
    }
    (tmp_path / "e.db").write_bytes(b"not a database at all" * 100)
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"e.db{suffix}").unlink(missing_ok=True)
    broken = client.get("/healthz")
    assert broken.status_code == 503 and "not a database" in broken.json()["store"]
    assert client.get("/metrics").status_code == 503


def test_metrics_are_private_when_reading_is(tmp_path: Path) -> None:
    filled_store(tmp_path / "e.db")
    config = ops_config(tmp_path, ESSENTIEL_WEB_PUBLIC="false", ESSENTIEL_WEB_ADMIN_TOKEN="s3cret-token-123")
    client = AppClient(create_app(tmp_path / "e.db", config=config))
    assert client.get("/metrics").status_code == 401
    assert client.get("/healthz").status_code == 200
    allowed = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token-123"})
    assert allowed.status_code == 200 and samples(allowed.text)[("essentiel_articles_total", ())] == 3


# --- storage limits: disk full, read-only store -----------------------------------------------------------


def padded_pages(server: LoopbackServer, count: int, pad: int) -> None:
    """Pages with `pad` bytes of incompressible text each (raw pages are stored zlib-compressed)."""
    items = []
    rows = corpus()
    for index in range(count):
        noise = base64.b64encode(os.urandom(pad)).decode()
        body = page(rows[index % len(rows)], "outlet").replace("</footer>", f"<!-- {noise} --></footer>")
        server.route(f"/p/{index}.html", body, headers={"Content-Type": "text/html; charset=utf-8"})
        items.append((f"/p/{index}.html", f"{rows[index % len(rows)]['title']} {index}"))
    server.route("/feed.xml", rss(server, items), headers={"Content-Type": "application/rss+xml"})


def test_a_full_disk_stops_the_scheduler_with_one_line_and_a_whole_store(
    loopback: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLITE_FULL forced with PRAGMA max_page_count on the scheduler's own store (works unprivileged)."""
    padded_pages(loopback, 40, 20_000)
    config = ops_config(tmp_path)
    with open_store(config.database) as store:
        store.add_source(Source(url=loopback.url("/feed.xml"), name="feed"))
        pages = int(store.db.query("PRAGMA page_count")[0][0])

    def small_store(path: Path) -> Store:
        store = open_store(path)
        store.db.conn.execute(f"PRAGMA max_page_count = {pages + 40}")  # about 160 KB more
        return store

    monkeypatch.setattr(scheduler, "open_store", small_store)
    with pytest.raises(StoreError) as raised:
        run_forever(config, threading.Event())
    message = str(raised.value)
    assert "\n" not in message and message.startswith(f"{config.database}: disk full"), message
    with open_store(config.database) as store:
        assert store.db.integrity_errors() == []
        assert 0 < store.count("articles") < 40  # what was committed before the disk filled is kept
        assert store.heartbeat() is not None and store.heartbeat().state == "running"  # type: ignore[union-attr]


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A small tmpfs mounted at `path` (needs root; the test is skipped otherwise)."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def essentiel(config: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "essentiel", "--config", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def write_config(path: Path, database: Path, feed: str) -> Path:
    path.write_text(
        f'[general]\ndatabase = "{database}"\n[fetch]\nallow_private = true\nhost_delay = 0.0\n'
        f'[[sources]]\nurl = "{feed}"\nname = "feed"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_a_real_full_disk_ends_essentiel_run_with_one_line(loopback: LoopbackServer, tmp_path: Path) -> None:
    padded_pages(loopback, 60, 40_000)
    with tmpfs(tmp_path / "small", "1M") as disk:
        database = disk / "e.db"
        config = write_config(tmp_path / "essentiel.toml", database, loopback.url("/feed.xml"))
        result = essentiel(config, "run")
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2, result.stderr
        assert lines[-1].startswith(f"error: {database}: disk full"), result.stderr
        assert "Traceback" not in result.stderr
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert 0 < conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] < 60


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make `folder` read-only: a read-only remount of a tmpfs as root (chmod binds no root), chmod otherwise."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [folder, *folder.iterdir()]}
        for p in modes:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        return
    remount = subprocess.run(["mount", "-o", "remount,ro", str(folder)], capture_output=True)
    assert remount.returncode == 0, remount.stderr
    try:
        yield
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=False)


def test_a_read_only_store_gives_one_line_and_stays_whole(loopback: LoopbackServer, tmp_path: Path) -> None:
    serve_feed(loopback, 2)
    with contextlib.ExitStack() as stack:
        folder = tmp_path / "store"
        if os.geteuid() == 0:
            folder = stack.enter_context(tmpfs(folder, "8M"))
        else:
            folder.mkdir()
        database = folder / "e.db"
        config = write_config(tmp_path / "essentiel.toml", database, loopback.url("/feed.xml"))
        first = essentiel(config, "fetch")
        assert first.returncode == 0, first.stderr
        stack.enter_context(read_only(folder))
        loopback.route("/feed.xml", rss(loopback, []), headers={"Content-Type": "application/rss+xml"})
        for command in (["fetch"], ["run", "--once"]):
            result = essentiel(config, *command)
            assert result.returncode == 2, result.stderr
            line = result.stderr.strip().splitlines()[-1]
            assert line.startswith(f"error: {database}: ") and "read-only" in line, result.stderr
            assert "Traceback" not in result.stderr
        status = essentiel(config, "status")
        assert status.returncode == 0 and "2 articles" in status.stdout, status.stderr
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_essentiel_run_serves_the_web_app_and_stops_on_sigterm(
    loopback: LoopbackServer, tmp_path: Path
) -> None:
    """One process: the loop and the web app; /healthz and /metrics over real HTTP; SIGTERM stops both."""
    serve_feed(loopback, 2)
    port = free_port()
    config = write_config(tmp_path / "essentiel.toml", tmp_path / "e.db", loopback.url("/feed.xml"))
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "[fetch]", f'[outputs]\nport = {port}\nsite_dir = ""\n[fetch]'
        ),
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "essentiel", "--config", str(config), "run", "--serve"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:

        def healthy() -> bool:
            assert process.poll() is None, process.communicate()[1]
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            except httpx.TransportError:
                return False
            return response.status_code == 200 and response.json()["scheduler"] is not None

        wait_for(healthy, 120)
        wait_for(
            lambda: "essentiel_articles_last_hour 2.0" in httpx.get(f"http://127.0.0.1:{port}/metrics").text
        )
        report = httpx.get(f"http://127.0.0.1:{port}/healthz").json()
        assert report["scheduler"]["alive"] and report["scheduler"]["pid"] == process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    with pytest.raises(httpx.TransportError):  # the web app stopped with the loop
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    with open_store(tmp_path / "e.db") as store:
        assert store.heartbeat().state == "stopped"  # type: ignore[union-attr]
    refused = CliRunner().invoke(cli, ["--config", str(config), "run", "--once", "--serve"])
    assert refused.exit_code == 2 and "does not go with --once" in refused.stderr
