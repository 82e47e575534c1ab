"""Reading articles and pages from files: JSONL of articles, HTML files (.html, .html.gz), folders, WARC archives.

Every problem names the file (and line, where there is one) in one clear message (InputError).
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import InputError
from .models import Article, Fetched, outlet_of, stable_id

log = logging.getLogger(__name__)
HTML_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")
WARC_SUFFIXES = (".warc", ".warc.gz")
MAX_RECORD_BYTES = 10_000_000  # a larger WARC response (a video, a dump) is skipped, never read whole


def _parse_datetime(value: Any, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InputError(f"{where}: 'published' must be an ISO 8601 string or null")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{where}: 'published' {value!r} is not an ISO 8601 date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InputError(f"{where}: '{key}' must be a string or a list of strings")


def article_from_json(data: Any, where: str) -> Article:
    """An Article from one JSON object of the file contracts (`extract` output, `cluster` input)."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(data).__name__}")
    text_fields = (
        "id",
        "url",
        "title",
        "text",
        "lead",
        "kicker",
        "language",
        "source",
        "site_name",
        "image",
        "outlet",
    )
    for key in text_fields:
        if data.get(key) is not None and not isinstance(data[key], str):
            raise InputError(f"{where}: '{key}' must be a string")
    title, text = data.get("title") or "", data.get("text") or ""
    if not title and not text and not data.get("lead"):
        raise InputError(f"{where}: article has no title, lead or text")
    url = data.get("url") or ""
    article_id = data.get("id") or stable_id(url or title + text, prefix="a-")
    return Article(
        id=str(article_id),
        url=url,
        title=title,
        text=text,
        kicker=data.get("kicker") or "",
        lead=data.get("lead") or "",
        authors=_strings(data.get("authors"), where, "authors"),
        published=_parse_datetime(data.get("published"), where),
        language=data.get("language") or None,
        site_name=data.get("site_name") or None,
        image=data.get("image") or None,
        source=data.get("source") or "",
        outlet=data.get("outlet") or outlet_of(url) or data.get("source") or "",
        source_weight=float(data.get("weight", 1.0)),
        independent=bool(data.get("independent", True)),
    )


def read_json_lines(path: str | Path) -> Iterator[tuple[str, Any]]:
    """(where, object) for each non-empty line of a JSONL file ('-' reads stdin; .gz is decompressed)."""
    import sys

    name = str(path)
    try:
        if name == "-":
            lines = sys.stdin.read().splitlines()
        elif name.endswith(".gz"):
            lines = gzip.decompress(Path(name).read_bytes()).decode("utf-8").splitlines()
        else:
            lines = Path(name).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{name}: cannot read ({exc})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            yield where, json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: invalid JSON ({exc.msg})") from None


def read_articles(path: str | Path) -> list[Article]:
    """Articles of a JSONL file, in file order. Ids must be unique."""
    articles = []
    seen: set[str] = set()
    for where, data in read_json_lines(path):
        article = article_from_json(data, where)
        if article.id in seen:
            raise InputError(f"{where}: duplicate id {article.id!r}")
        seen.add(article.id)
        articles.append(article)
    return articles


def read_html_file(path: Path) -> Fetched:
    """A saved page as a Fetched document (file:// URL, modification time as fetch time)."""
    try:
        raw = path.read_bytes()
        content = gzip.decompress(raw) if path.name.endswith(".gz") else raw
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    when = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    url = path.resolve().as_uri()
    return Fetched(url, url, 200, content, when, content_type="text/html")


def html_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name.lower().endswith(HTML_SUFFIXES))


def read_warc(path: Path) -> Iterator[Fetched]:
    """HTML responses of a WARC file (warcio's WARCIterator, .warc or .warc.gz), with their original URL and capture date.

    The archive is streamed record by record (a CC-NEWS file is about 1 GB): only one response body is in
    memory at a time, and bodies over MAX_RECORD_BYTES are skipped.
    """
    from warcio.archiveiterator import WARCIterator
    from warcio.exceptions import ArchiveLoadFailed

    try:
        with path.open("rb") as stream:
            for record in WARCIterator(stream):  # WARC only: anything else fails loudly
                fetched = fetched_from_record(record, str(path))
                if fetched is not None:
                    yield fetched
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (ArchiveLoadFailed, ValueError, OSError) as exc:
        raise InputError(f"{path}: not a readable WARC file ({str(exc).splitlines()[0][:120]})") from None


def fetched_from_record(record: Any, where: str) -> Fetched | None:
    """A warcio record as a Fetched page: None unless it is an HTML response of at most MAX_RECORD_BYTES.

    Shared by `read_warc` (essentiel import) and the archive batch (essentiel batch).
    """
    if record.rec_type != "response" or record.http_headers is None:
        return None
    content_type = record.http_headers.get_header("Content-Type") or ""
    if "html" not in content_type.lower():
        return None
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    date = record.rec_headers.get_header("WARC-Date") or ""
    when = _parse_datetime(date, where) or datetime.now(UTC)
    status = int(record.http_headers.get_statuscode() or "200")
    body = record.content_stream().read(MAX_RECORD_BYTES + 1)
    if len(body) > MAX_RECORD_BYTES:
        log.warning("WARC record skipped, too large: %s (%s)", url, where)
        return None
    return Fetched(url, url, status, body, when, content_type=content_type)
