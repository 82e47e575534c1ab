"""Operations: backup, status, retention, the single-instance lock, JSON logs, and crash safety under kill -9."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from essentiel.cli import cli
from essentiel.errors import EssentielError, StoreError
from essentiel.lock import instance_lock
from essentiel.logs import JsonFormatter
from essentiel.models import Article, Fetched
from essentiel.store import open_store
from loopback import LoopbackServer
from newsfixtures import corpus, page, rss

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
    )


def stored(database: Path) -> int:
    if not database.exists():
        return 0
    with sqlite3.connect(database, timeout=5) as conn:
        try:
            return int(conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
        except sqlite3.OperationalError:  # tables not created yet
            return 0


def test_kill_9_during_ingestion_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """Kill a real `essentiel fetch` process at random moments, restart it, and check the store."""
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
        command = [sys.executable, "-m", "essentiel", "--config", str(config), "fetch"]
        rng = random.Random(7)
        kills = 0
        for _ in range(4):
            before = stored(tmp_path / "essentiel.db")
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while process.poll() is None and stored(tmp_path / "essentiel.db") <= before:
                time.sleep(0.05)  # wait until this run has stored something: we kill mid-ingestion
            time.sleep(rng.uniform(0.0, 0.4))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait()
            with sqlite3.connect(tmp_path / "essentiel.db") as conn:
                conn.execute("UPDATE sources SET next_check_at = NULL")
        final = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr
    finally:
        server.close()
    with open_store(tmp_path / "essentiel.db") as store:
        assert store.db.integrity_errors() == []
        urls = [r[0] for r in store.db.query("SELECT url FROM articles")]
        assert len(urls) == len(set(urls)) == len(rows)
        assert kills >= 3, "the runs were killed mid-ingestion"
        assert store.count("sources") == 3
