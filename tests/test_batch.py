"""`essentiel batch`: WARC archives on a real Dask LocalCluster (2 worker processes) -> Parquet -> the store.

The archives are built here with warcio from real pages (the demo corpus as outlets' pages, and the extraction
fixtures). The batch must give the same articles as the single-process `essentiel import` of the same files.
"""

from __future__ import annotations

import io
import json
import logging
import re
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from essentiel.batch.process import PartResult, Task, process_part
from essentiel.batch.run import run_batch
from essentiel.batch.warc import records
from essentiel.cli import cli
from essentiel.errors import InputError
from essentiel.models import Article
from essentiel.store import open_store
from essentiel.stories.dedupe import NUM_PERM, _minhash, _words, shingles
from essentiel.stories.embed import UseEmbedder
from essentiel.stories.text import embedding_text
from newsfixtures import corpus, page

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
# Five extraction fixtures (named, so that new ones added for extraction rules do not change these counts):
# German, English, a Latin-1 Spanish page, a page without an article, and the seed page.
BATCH_FIXTURES = (
    "de_vertrauensfrage.html",
    "en_budget.html",
    "es_dana_latin1.html",
    "no_article.html",
    "seed_ukraine.html",
)
CAPTURED = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
ARTICLE_FIELDS = (
    "id, url, title, kicker, lead, text, authors, published, language, site_name, image, source, outlet,"
    " source_weight, independent, fetched_at"
)


def write_response(
    writer: WARCWriter, url: str, body: bytes, content_type: str, status: str = "200 OK"
) -> None:
    headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
    when = CAPTURED.isoformat().replace("+00:00", "Z")
    record = writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers,
        warc_headers_dict={"WARC-Date": when},
    )  # fmt: skip
    writer.write_record(record)


def pages() -> list[tuple[str, bytes, str]]:
    """(url, body, content type): demo-corpus articles in French and English, and the extraction fixtures."""
    rows = corpus()
    chosen = [r for r in rows if r["language"] == "fr"][:5] + [r for r in rows if r["language"] == "en"][:5]
    out = [
        (f"https://outlet{i % 3}.example/news/{i}", page(row, f"Outlet {i % 3}").encode(), "text/html")
        for i, row in enumerate(chosen)
    ]
    for name in BATCH_FIXTURES:
        path = FIXTURES / name
        charset = "ISO-8859-1" if "latin1" in path.name else "utf-8"
        out.append(
            (f"https://fixtures.example/{path.stem}", path.read_bytes(), f"text/html; charset={charset}")
        )
    return out


def build_warc(path: Path, items: list[tuple[str, bytes, str]], *, extras: bool = True) -> Path:
    """A CC-NEWS-like archive: the pages, and (extras) an AMP copy, a 404, an image and a request record."""
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=path.name.endswith(".gz"))
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for url, body, content_type in items:
            write_response(writer, url, body, content_type)
        if extras:
            amp = items[0][1].replace(
                b"<head>", f'<head><link rel="canonical" href="{items[0][0]}">'.encode(), 1
            )
            write_response(writer, items[0][0].replace("/news/", "/amp/news/"), amp, "text/html")
            write_response(
                writer,
                "https://outlet0.example/gone",
                b"<html>Not found</html>",
                "text/html",
                "404 Not Found",
            )
            write_response(
                writer, "https://outlet0.example/logo.png", b"\x89PNG\r\n" + bytes(100), "image/png"
            )
            get = b"GET / HTTP/1.1\r\nHost: outlet0.example\r\n\r\n"
            writer.write_record(
                writer.create_warc_record(
                    "https://outlet0.example/", "request", payload=io.BytesIO(get), length=len(get)
                )
            )
    return path


def record_offsets(path: Path) -> list[tuple[int, int]]:
    with path.open("rb") as stream:
        iterator = ArchiveIterator(stream)
        out = []
        for record in iterator:
            record.content_stream().read()
            out.append((iterator.get_record_offset(), iterator.get_record_length()))
    return out


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A real LocalCluster of 2 worker processes, shared by the tests (joined as `--scheduler tcp://...`)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ESSENTIEL_CONFIG", raising=False)
    monkeypatch.setenv("ESSENTIEL_GENERAL_DATABASE", str(tmp_path / "batch.db"))
    return CliRunner()


def stored(database: Path) -> dict[str, tuple[object, ...]]:
    with open_store(database) as store:
        return {r["id"]: tuple(r) for r in store.db.query(f"SELECT {ARTICLE_FIELDS} FROM articles")}


def story_partition(database: Path) -> set[frozenset[str]]:
    with open_store(database) as store:
        rows = store.db.query("SELECT story_id, article_id FROM story_articles")
    groups: dict[str, set[str]] = {}
    for row in rows:
        groups.setdefault(row["story_id"], set()).add(row["article_id"])
    return {frozenset(g) for g in groups.values()}


def test_batch_on_two_workers_gives_the_same_articles_as_import(
    scheduler: str, runner: CliRunner, tmp_path: Path
) -> None:
    items = pages()
    first = build_warc(tmp_path / "cc-news-1.warc.gz", items[:9])
    second = build_warc(tmp_path / "cc-news-2.warc", items[9:])
    out = tmp_path / "out"
    result = runner.invoke(
        cli,
        ["batch", "run", str(tmp_path / "cc-news-*"), "-o", str(out), "--scheduler", scheduler,
         "--records-per-task", "3", "--batch-size", "2", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["files"] == [str(first), str(second)]
    # 9 + 6 pages, each file with an AMP copy and a 404: 11 and 8 HTML responses, 3 per task.
    assert report["tasks"] == 4 + 3 and len(report["parts"]) == 7 and report["records"] == 19
    assert report["corrupt"] == [] and report["articles"] + report["skipped"] + report["duplicates"] == 19

    # The Parquet rows: one per article, with its MinHash signature and its USE embedding as list<float32>.
    table = pq.read_table(out)
    assert str(table.schema.field("embedding").type) == "list<element: float>"
    assert str(table.schema.field("minhash").type) == "list<element: uint32>"
    assert pq.ParquetFile(report["parts"][0]).num_row_groups >= 1
    rows = table.to_pylist()
    assert len(rows) == report["articles"]
    vectors = np.asarray([r["embedding"] for r in rows], dtype=np.float32)
    assert vectors.shape == (len(rows), 512) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    texts = [embedding_text(Article(r["id"], r["url"], r["title"], r["text"], lead=r["lead"])) for r in rows]
    assert np.allclose(vectors, UseEmbedder(threads=1).encode(texts), atol=1e-4)
    for row in rows:
        words = _words(row["text"])[:400]
        if row["minhash"] is None:
            assert len(words) < 15
        else:
            assert row["minhash"] == [int(v) for v in _minhash(shingles(words), NUM_PERM).hashvalues]
    languages = {r["language"] for r in rows}
    assert {"fr", "en", "de", "es"} <= languages

    # Loaded into a real SQLite store: the same articles as `essentiel import` of the same files.
    loaded = runner.invoke(cli, ["batch", "load", str(out), "--json"])
    assert loaded.exit_code == 0, loaded.output
    summary = json.loads(loaded.stdout)
    assert summary["embedded_again"] == 0 and summary["stories"] >= 2
    imported_db = tmp_path / "import.db"
    imported = runner.invoke(
        cli, ["import", str(first), str(second)], env={"ESSENTIEL_GENERAL_DATABASE": str(imported_db)}
    )
    assert imported.exit_code == 0, imported.output
    batch_articles = stored(tmp_path / "batch.db")
    assert batch_articles == stored(imported_db)
    assert summary["articles"] == len(batch_articles) == 14  # the AMP copies are stored once, as by import

    # The stored vectors are the batch's, and the stories are those the usual edition builds from the import.
    with open_store(tmp_path / "batch.db") as store:
        kept = {
            r["article_id"]: np.frombuffer(r["vector"], dtype=np.float32)
            for r in store.load_signals(list(batch_articles))
        }
    by_id: dict[str, np.ndarray] = {}
    for row in rows:  # in archive order: the first capture of a URL is the one stored
        by_id.setdefault(row["id"], np.asarray(row["embedding"], dtype=np.float32))
    assert set(kept) == set(batch_articles) and all(np.array_equal(kept[i], by_id[i]) for i in kept)
    digest = runner.invoke(
        cli, ["digest", "--format", "json"], env={"ESSENTIEL_GENERAL_DATABASE": str(imported_db)}
    )
    assert digest.exit_code == 0, digest.output
    assert story_partition(tmp_path / "batch.db") == story_partition(imported_db)


def corrupt_member(path: Path, record: int) -> int:
    """Zero 40 bytes inside the gzip member of one record; returns the record's offset."""
    offset, length = record_offsets(path)[record]
    data = bytearray(path.read_bytes())
    data[offset + length // 2 : offset + length // 2 + 40] = bytes(40)
    path.write_bytes(bytes(data))
    return offset


def test_a_corrupt_record_is_logged_and_skipped(
    scheduler: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    items = pages()[:6]
    gz = build_warc(tmp_path / "broken.warc.gz", items, extras=False)
    bad_gz = corrupt_member(gz, 2)  # the second page (record 0 is the warcinfo)
    plain = build_warc(tmp_path / "broken.warc", items[3:], extras=False)
    bad_plain = record_offsets(plain)[1][0]
    data = bytearray(plain.read_bytes())
    data[bad_plain : bad_plain + 4] = b"WXRC"  # a record header that is not WARC
    plain.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="essentiel.batch"):
        report = run_batch(
            [str(gz), str(plain)], str(tmp_path / "out"), scheduler=scheduler, records_per_task=2
        )
    lines = sorted(r.getMessage() for r in caplog.records if "corrupt WARC record" in r.getMessage())
    assert len(lines) == 2 and sorted(report.corrupt) == lines
    assert lines[0].startswith(f"{gz}: corrupt WARC record at offset {bad_gz} skipped (Invalid WARC record")
    assert (
        lines[1]
        == f"{plain}: corrupt WARC record at offset {bad_plain} skipped (Invalid WARC record, first line: WXRC/1.0)"
    )
    urls = {r["url"] for r in pq.read_table(tmp_path / "out").to_pylist()}
    assert urls == {url for url, _, _ in items} - {items[1][0]}  # page 3 is read from the gzip file


def flaky(task: Task) -> PartResult:
    """Fails the first attempt of every task (a lost worker, a read error), then processes it."""
    marker = Path(task.output) / f"{task.name}.attempts"
    attempts = int(marker.read_text()) if marker.exists() else 0
    marker.write_text(str(attempts + 1))
    if attempts == 0:
        raise OSError("simulated failure of the first attempt")
    return process_part(task)


def test_a_failed_task_is_retried(scheduler: str, tmp_path: Path) -> None:
    items = pages()[:4]
    warc = build_warc(tmp_path / "one.warc.gz", items, extras=False)
    out = tmp_path / "out"
    report = run_batch(
        [str(warc)], str(out), scheduler=scheduler, records_per_task=2, retries=1, process=flaky
    )
    assert report.tasks == 2 and report.articles == 4
    assert sorted(p.read_text() for p in out.glob("*.attempts")) == ["2", "2"]
    assert sorted(p.name for p in out.glob("*.parquet")) == [
        "part-00000-00000.parquet",
        "part-00000-00001.parquet",
    ]
    assert not list(out.glob("*.tmp"))


def test_failed_tasks_are_reported_and_resumed(scheduler: str, tmp_path: Path) -> None:
    warc = build_warc(tmp_path / "one.warc.gz", pages()[:4], extras=False)
    out = tmp_path / "out"
    options: dict[str, Any] = {"scheduler": scheduler, "records_per_task": 2, "process": flaky}
    # No retries: both tasks fail; the failures are reported, the run does not stop at the first one.
    failed = run_batch([str(warc)], str(out), retries=0, **options)
    assert failed.tasks == 0 and failed.parts == [] and len(failed.failed) == 2
    assert (
        failed.failed[0].startswith(f"{warc} bytes 0-") and "OSError: simulated failure" in failed.failed[0]
    )
    # Nothing was complete, so running again needs no --resume (second attempts: they succeed). Once the folder
    # holds parts, a new run is refused without --resume; with it, the complete parts are kept, not run again.
    first = run_batch([str(warc)], str(out), retries=0, **options)
    assert first.tasks == 2 and first.failed == [] and first.articles == 4
    with pytest.raises(InputError, match="holds 2 parts of an earlier run"):
        run_batch([str(warc)], str(out), retries=0, **options)
    kept = run_batch([str(warc)], str(out), retries=0, resume=True, **options)
    assert (kept.tasks, kept.reused, kept.failed) == (0, 2, []) and kept.parts == first.parts


def test_run_then_load_and_build_the_editions(scheduler: str, runner: CliRunner, tmp_path: Path) -> None:
    warc = build_warc(tmp_path / "day.warc.gz", pages()[:3])
    result = runner.invoke(cli, ["batch", "run", str(warc), "--scheduler", scheduler, "--load"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "1 files, 1 tasks: 3 articles from 5 pages (1 duplicates, 1 skipped, 0 corrupt records) in "
    )
    assert lines[0].endswith(" -> essentiel-batch")
    assert (tmp_path / "essentiel-batch/part-00000-00000.parquet").exists()  # relative to this folder
    day = CAPTURED.date().isoformat()
    assert re.fullmatch(
        rf"3 articles stored from 3 rows \(0 already stored\), in [123] stories, published {day} to {day}",
        lines[1],
    )
    assert len(stored(tmp_path / "batch.db")) == 3
    # Loading again stores nothing twice; the day's edition is built as `run` builds it at the end of the day.
    again = runner.invoke(cli, ["batch", "load", "essentiel-batch", "--editions", "--json"])
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    assert (summary["articles"], summary["duplicates"], summary["days"]) == (0, 3, [day])
    assert [e["day"] for e in summary["editions"]] == [day] and summary["editions"][0]["stories"] >= 1
    with open_store(tmp_path / "batch.db") as store:
        edition = store.latest_edition()
    assert edition is not None and {i for s in edition.stories for i in s.story.article_ids} == set(
        stored(tmp_path / "batch.db")
    )


def test_parts_are_written_in_batches(tmp_path: Path) -> None:
    """One Parquet row group per embedding batch: a task never holds more than `batch_size` rows."""
    warc = build_warc(tmp_path / "one.warc.gz", pages()[:7], extras=False)
    result = process_part(Task(str(warc), 0, 0, 0, None, str(tmp_path), batch_size=3))
    assert result.articles == 7 and pq.ParquetFile(result.path).metadata.num_row_groups == 3


def test_records_are_streamed(tmp_path: Path) -> None:
    """A 12 MB archive is read with a peak far below its size: one record at a time."""
    filler = "".join(
        f"<p>Paragraph {i} of a long article, with enough words to look real.</p>" for i in range(1500)
    )
    items = [
        (f"https://outlet.example/{i}", f"<html><body>{i}{filler}</body></html>".encode(), "text/html")
        for i in range(100)
    ]
    warc = build_warc(tmp_path / "big.warc.gz", items, extras=False)
    tracemalloc.start()
    with warc.open("rb") as stream:
        total = sum(len(page.content) for _, page in records(stream, str(warc)) if page is not None)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert total > 10_000_000 and peak < total / 10


def test_bad_inputs_are_one_clear_line(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "notes.warc").write_text("this is not a WARC file\n" * 10)
    (tmp_path / "empty").mkdir()
    cases = [
        (
            ["batch", "run", str(tmp_path / "missing.warc.gz")],
            f"{tmp_path / 'missing.warc.gz'}: no such file",
        ),
        (
            ["batch", "run", str(tmp_path / "none-*.warc.gz")],
            f"{tmp_path / 'none-*.warc.gz'}: no file matches this glob",
        ),
        (
            ["batch", "run", str(tmp_path / "empty")],
            f"{tmp_path / 'empty'}: no .warc or .warc.gz file in this folder",
        ),
        (
            ["batch", "run", str(tmp_path / "notes.warc")],
            f"{tmp_path / 'notes.warc'}: not a readable WARC file (",
        ),
        (
            ["batch", "load", str(tmp_path / "notes.warc")],
            f"{tmp_path / 'notes.warc'}: not a readable Parquet file (",
        ),
    ]
    for args, message in cases:
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"error: {message}") and result.stderr.count("\n") == 1, result.stderr
