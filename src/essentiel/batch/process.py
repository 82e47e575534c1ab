"""One batch task: a byte range of a WARC file -> one Parquet part, one row per extracted article.

Each row has the article (as `essentiel import` extracts it: canonical URL, the project's extractor, its language
detection), the capture date, where it came from (file, offset), its MinHash signature (the shingles and seeded
permutations of stories/dedupe.py) and its USE embedding (the text stories/signals.py embeds), as list<float32>.

Memory stays bounded: records are streamed, and rows are written in batches of `batch_size` (one Parquet row
group each). The part is written under a temporary name and renamed when complete, so a failed and retried
task never leaves half a file.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from ..errors import ParseError
from ..extract import extract_article
from ..ingest import charset_of
from ..models import Article, Fetched
from ..sources.entries import page_canonical
from ..stories.dedupe import MAX_WORDS, MIN_WORDS, NUM_PERM, _minhash, _words, dedupe_text, shingles
from ..stories.embed import UseEmbedder
from ..stories.text import embedding_text
from .warc import open_input, records

log = logging.getLogger(__name__)
BATCH_SIZE = 64


def schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("id", pa.string()),
            ("url", pa.string()),
            ("title", pa.string()),
            ("kicker", pa.string()),
            ("lead", pa.string()),
            ("text", pa.string()),
            ("authors", pa.list_(pa.string())),
            ("published", pa.timestamp("us", tz="UTC")),
            ("language", pa.string()),
            ("site_name", pa.string()),
            ("image", pa.string()),
            ("source", pa.string()),
            ("outlet", pa.string()),
            ("fetched_at", pa.timestamp("us", tz="UTC")),
            ("warc_file", pa.string()),
            ("warc_offset", pa.int64()),
            (
                "minhash",
                pa.list_(pa.uint32()),
            ),  # null when the text is too short to compare (dedupe.MIN_WORDS)
            ("embedding", pa.list_(pa.float32())),
        ]
    )


@dataclass(frozen=True)
class Task:
    """Records of `url` starting in [start, end), written to `output`/part-FFFFF-PPPPP.parquet."""

    url: str
    file_index: int
    part: int
    start: int
    end: int | None
    output: str
    batch_size: int = BATCH_SIZE
    embed_threads: int = 1

    @property
    def name(self) -> str:
        return f"part-{self.file_index:05d}-{self.part:05d}.parquet"

    @property
    def path(self) -> str:
        """Where the part goes: `output` (a folder, or an fsspec URL) / name."""
        return f"{self.output.rstrip('/')}/{self.name}"

    def describe(self) -> str:
        return f"{self.url} bytes {self.start}-{'end' if self.end is None else self.end}"


@dataclass
class PartResult:
    task: Task
    path: str = ""
    records: int = 0  # HTML responses read
    articles: int = 0
    duplicates: int = 0  # pages whose canonical URL came earlier in the same task
    skipped: list[str] = field(default_factory=list)  # pages with no article, HTTP errors
    corrupt: list[str] = field(default_factory=list)  # one line per corrupt record: file and offset


_embedder: UseEmbedder | None = None
_embedder_lock = threading.Lock()


def _embed(texts: Sequence[str], threads: int) -> np.ndarray:
    """The worker's USE encoder, loaded once per worker process and shared by its tasks."""
    global _embedder
    with _embedder_lock:
        if _embedder is None:
            _embedder = UseEmbedder(threads=threads)
        return _embedder.encode(texts)


def minhash_signature(article: Article) -> list[int] | None:
    """The article's MinHash (stories/dedupe.py's words, shingles, seed and permutations), or None if too short."""
    words = _words(dedupe_text(article))[:MAX_WORDS]
    if len(words) < MIN_WORDS:
        return None
    return [int(v) for v in _minhash(shingles(words), NUM_PERM).hashvalues]


def _row(article: Article, fetched_at: datetime, task: Task, offset: int) -> dict[str, Any]:
    return {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "kicker": article.kicker,
        "lead": article.lead,
        "text": article.text,
        "authors": list(article.authors),
        "published": article.published,
        "language": article.language,
        "site_name": article.site_name,
        "image": article.image,
        "source": article.source,
        "outlet": article.outlet,
        "fetched_at": fetched_at,
        "warc_file": task.url,
        "warc_offset": offset,
        "minhash": minhash_signature(article),
    }


def _extract(page: Fetched, where: str, result: PartResult, seen: set[str]) -> Article | None:
    """As `essentiel import` does: canonical URL, HTTP errors skipped, the project's extractor."""
    if page.status >= 300:
        result.skipped.append(f"{page.url}: HTTP {page.status} in the archive, skipped")
        return None
    url = None
    if page.url.startswith(("http://", "https://")):
        url = page_canonical(page.content, page.url)
        if url in seen:
            result.duplicates += 1
            return None
        seen.add(url)
    try:
        return extract_article(page.content, url, source=page.url, encoding=charset_of(page.content_type))
    except ParseError as exc:
        result.skipped.append(str(exc))
    except Exception as exc:  # an extractor bug on one page of an archive must not stop the archive
        log.warning("%s: extraction failed (%s: %s)", where, type(exc).__name__, exc)
        result.skipped.append(f"{page.url}: extraction failed ({type(exc).__name__})")
    return None


def process_part(task: Task) -> PartResult:
    """Extract, detect the language, sign and embed the articles of one range; write them as one Parquet part."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from fsspec.core import url_to_fs

    result = PartResult(task)
    fs, final = url_to_fs(task.path)
    temporary = f"{final}.{uuid.uuid4().hex}.tmp"
    table_schema = schema()
    pending: list[tuple[Article, dict[str, Any]]] = []
    seen: set[str] = set()

    def flush(writer: Any) -> None:
        if not pending:
            return
        vectors = _embed([embedding_text(article) for article, _ in pending], task.embed_threads)
        rows = [{**row, "embedding": vector} for (_, row), vector in zip(pending, vectors, strict=True)]
        writer.write_table(pa.Table.from_pylist(rows, schema=table_schema))
        result.articles += len(rows)
        pending.clear()

    def corrupt(offset: int, reason: str) -> None:
        result.corrupt.append(f"{task.url}: corrupt WARC record at offset {offset} skipped ({reason})")

    try:
        with (
            open_input(task.url) as stream,
            fs.open(temporary, "wb") as sink,
            pq.ParquetWriter(sink, table_schema, compression="zstd") as writer,
        ):
            for offset, page in records(stream, task.url, task.start, task.end, corrupt):
                if page is None:
                    continue
                result.records += 1
                article = _extract(page, f"{task.url}@{offset}", result, seen)
                if article is not None:
                    pending.append((article, _row(article, page.fetched_at, task, offset)))
                if len(pending) >= task.batch_size:
                    flush(writer)
            flush(writer)
        fs.mv(temporary, final)
    finally:
        if fs.exists(temporary):
            fs.rm(temporary)
    result.path = task.path
    return result
