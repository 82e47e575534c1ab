"""`essentiel import` of WARC archives (a small CC-NEWS-like file built with warcio) and `essentiel reextract`."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from essentiel.cli import cli
from essentiel.inputs import read_warc
from essentiel.store import open_store
from newsfixtures import corpus, page

ROWS = [r for r in corpus() if r["language"] == "en"][:4]


def response(  # length given: warcio then needs no temporary file
    writer: WARCWriter, url: str, body: bytes, content_type: str, status: str = "200 OK"
) -> None:
    headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers,
        warc_headers_dict={"WARC-Date": "2026-11-24T08:00:00Z"},
    )  # fmt: skip
    writer.write_record(record)


def build_warc(path: Path, *, gzip: bool) -> Path:
    """A small CC-NEWS-like archive: news pages, a duplicate, a broken page, an image, a 404, other records."""
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=gzip)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for index, row in enumerate(ROWS[:3]):
            html = page(row, "Outlet").replace("<head>", f'<head><link rel="canonical" href="/n/{index}">')
            response(
                writer,
                f"https://news.example/n/{index}?utm_source=cc",
                html.encode(),
                "text/html; charset=utf-8",
            )
        # The same story seen again under another URL of the same site (AMP): its canonical is known.
        amp = page(ROWS[0], "Outlet").replace(
            "<head>", '<head><link rel="canonical" href="https://news.example/n/0">'
        )
        response(writer, "https://news.example/amp/n/0", amp.encode(), "text/html")
        response(
            writer, "https://news.example/broken", b"<html><body>\x00\xff\xfe\x00</body></html>", "text/html"
        )
        response(writer, "https://news.example/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png")
        response(
            writer,
            "https://news.example/gone",
            b"<html><body>Not found</body></html>",
            "text/html",
            "404 Not Found",
        )
        latin = page(ROWS[3], "Outlet").replace('<meta charset="utf-8">', "").encode("latin-1", "replace")
        response(writer, "https://news.example/n/3", latin, "text/html; charset=ISO-8859-1")
        get = b"GET /n/0 HTTP/1.1\r\nHost: news.example\r\n\r\n"
        request = writer.create_warc_record(
            "https://news.example/n/0", "request", payload=io.BytesIO(get), length=len(get)
        )
        writer.write_record(request)
    return path


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESSENTIEL_CONFIG", raising=False)
    monkeypatch.setenv("ESSENTIEL_GENERAL_DATABASE", str(tmp_path / "e.db"))
    return CliRunner()


@pytest.mark.parametrize("gzip", [True, False])
def test_import_warc(runner: CliRunner, tmp_path: Path, gzip: bool) -> None:
    archive = build_warc(tmp_path / ("cc-news.warc.gz" if gzip else "cc-news.warc"), gzip=gzip)
    result = runner.invoke(cli, ["import", str(archive), "--json"])
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    assert (report["articles"], report["duplicates"]) == (4, 1)
    assert report["errors"] == [
        "https://news.example/broken: no article text found",
        "https://news.example/gone: HTTP 404 in the archive, skipped",
    ]
    with open_store(tmp_path / "e.db") as store:
        urls = sorted(r[0] for r in store.db.query("SELECT url FROM articles"))
        assert urls == [f"https://news.example/n/{i}" for i in range(4)]
        latin = store.db.query("SELECT title, text FROM articles WHERE url LIKE '%/n/3'")[0]
        assert latin["title"] == ROWS[3]["title"] and "\ufffd" not in latin["text"]
        assert store.count("documents") == 4
    # Importing the same archive again stores nothing twice.
    again = json.loads(runner.invoke(cli, ["import", str(archive), "--json"]).stdout)[0]
    assert (again["articles"], again["duplicates"]) == (0, 5)
    text = runner.invoke(cli, ["import", str(archive)]).stdout
    assert f"{archive}: 0 articles, 5 already stored, 2 pages skipped" in text


def test_a_broken_archive_is_one_clear_line(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(b"this is not a WARC file at all\n" * 10)
    result = runner.invoke(cli, ["import", str(bad)])
    assert result.exit_code == 2
    assert (
        result.stderr.startswith(f"error: {bad}: not a readable WARC file (")
        and result.stderr.count("\n") == 1
    )


def test_warc_is_streamed_record_by_record(tmp_path: Path) -> None:
    """A 12 MB archive is read with a peak far below its size: one record at a time."""
    path = tmp_path / "big.warc.gz"
    filler = "".join(
        f"<p>Paragraph {i} of a long article, with enough words to look real.</p>" for i in range(1500)
    )
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for index in range(100):
            body = f"<html><body><article>{index}{filler}</article></body></html>".encode()
            response(writer, f"https://news.example/{index}", body, "text/html")
    total = sum(len(f.content) for f in read_warc(path))
    assert total > 10_000_000
    tracemalloc.start()
    count = sum(1 for _ in read_warc(path))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 100 and peak < total / 10


def test_reextract_uses_the_kept_raw_pages(runner: CliRunner, tmp_path: Path) -> None:
    archive = build_warc(tmp_path / "cc-news.warc.gz", gzip=True)
    assert runner.invoke(cli, ["import", str(archive)]).exit_code == 0
    with open_store(tmp_path / "e.db") as store:
        before = {
            r["id"]: (r["title"], r["text"]) for r in store.db.query("SELECT id, title, text FROM articles")
        }
        with store.db.transaction() as conn:  # as if an older extractor had done worse
            conn.execute("UPDATE articles SET text = 'stale', title = 'stale'")
    one = next(iter(before))
    result = runner.invoke(cli, ["reextract", one])
    assert result.exit_code == 0 and "1 articles extracted again" in result.stdout
    with open_store(tmp_path / "e.db") as store:
        assert store.db.query("SELECT COUNT(*) FROM articles WHERE text = 'stale'")[0][0] == 3
        assert store.search_articles(before[one][0].split()[0]) != []
    assert "4 articles extracted again" in runner.invoke(cli, ["reextract", "--all"]).stdout
    with open_store(tmp_path / "e.db") as store:
        after = {
            r["id"]: (r["title"], r["text"]) for r in store.db.query("SELECT id, title, text FROM articles")
        }
    assert after == before
