"""Getting news in: sources -> fetch -> extract -> store, and importing files.

`refresh_source` is the one unit of fetch work, shared by `essentiel fetch` and the scheduler.
The error policy: a bad source or page is logged, counted on the source and skipped; the run goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .config import Config
from .errors import FetchError, ParseError
from .extract.article import extract_article
from .fetch.http import Fetcher, FetchSettings
from .inputs import html_files, read_articles, read_html_file, read_warc
from .models import Article, FeedItem, Fetched, Source, outlet_of
from .sources.feeds import discover_feeds, is_sitemap_index, parse_feed
from .store import SourceState, Store

log = logging.getLogger(__name__)
Progress = Callable[[int], None]
FEED_TYPES = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5"
)
MAX_BACKOFF = timedelta(hours=24)
MAX_CHILD_SITEMAPS = 3  # of a sitemap index, the first ones (news sites list the newest first)


@dataclass
class RefreshResult:
    source: str
    new_articles: int = 0
    not_modified: bool = False
    errors: list[str] = field(default_factory=list)


def fetch_settings(config: Config) -> FetchSettings:
    f = config.section("fetch")
    return FetchSettings(
        user_agent=f["user_agent"],
        concurrency=int(f["concurrency"]),
        per_host=int(f["per_host"]),
        host_delay=float(f["host_delay"]),
        total_timeout=float(f["timeout"]),
        max_bytes=int(f["max_bytes"]),
        respect_robots=bool(f["respect_robots"]),
        allow_private=bool(f["allow_private"]),
    )


def with_source(article: Article, source: Source) -> Article:
    """An article as coverage by a source: its outlet, weight and independence."""
    return replace(
        article,
        source=source.name or source.outlet,
        outlet=outlet_of(article.url) or source.outlet,
        source_weight=source.weight,
        independent=source.independent,
        language=article.language or source.language,
    )


def _article_from_item(item: FeedItem, source: Source) -> Article:
    """When the feed carries the article (full_page = false), or a page cannot be fetched: the feed's text."""
    html = item.content or item.summary
    try:
        article = extract_article(
            f"<html><body><article>{html}</article></body></html>", item.url, source=source.name
        )
        article = replace(article, title=item.title or article.title)
    except ParseError:
        article = Article(id="", url=item.url, title=item.title, text="")
        from .models import stable_id

        article = replace(article, id=stable_id(item.url, prefix="a-"), lead=item.summary)
    return replace(
        article, published=item.published or article.published, authors=item.authors or article.authors
    )


def _next_check(config: Config, now: datetime, errors: int, retry_after: float | None = None) -> datetime:
    base = timedelta(minutes=float(config["schedule.fetch_every_minutes"]))
    delay = min(base * (2**errors), MAX_BACKOFF) if errors else base
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    return now + delay


async def refresh_source(store: Store, fetcher: Fetcher, state: SourceState, config: Config) -> RefreshResult:
    """Check one source: conditional GET, find its new articles, fetch and extract them, store everything.

    A failure is stored on the source (error count, last error) and sets a backoff; it is never raised.
    """
    source = state.source
    assert source.id is not None
    result = RefreshResult(source=source.name or source.url)
    now = datetime.now(UTC)
    try:
        fetched = await fetcher.fetch(
            source.url, etag=state.etag, last_modified=state.last_modified, accept=FEED_TYPES
        )
        if fetched.status == 304:
            result.not_modified = True
        else:
            document_id = store.save_document(fetched, source.id)
            if source.kind == "article":
                result.new_articles = _ingest_page(store, source, fetched, document_id)
            else:
                items = await _feed_items(fetcher, source, fetched)
                result.new_articles, result.errors = await _ingest_items(store, fetcher, source, items)
    except (FetchError, ParseError) as exc:
        retry = getattr(exc, "retry_after", None)
        next_check = _next_check(config, now, state.error_count + 1, retry)
        store.record_fetch(source.id, checked_at=now, next_check_at=next_check, error=str(exc))
        log.warning("source failed source=%s error=%s", source.url, exc)
        result.errors.append(str(exc))
        return result
    store.record_fetch(
        source.id,
        checked_at=now,
        next_check_at=_next_check(config, now, 0),
        etag=None if result.not_modified else fetched.etag,
        last_modified=None if result.not_modified else fetched.last_modified,
    )
    return result


async def _feed_items(fetcher: Fetcher, source: Source, fetched: Fetched) -> list[FeedItem]:
    """The entries of a feed or sitemap; a sitemap index's first child sitemaps; a homepage's first feed."""
    if source.kind == "page":
        feeds = discover_feeds(fetched.content, fetched.url)
        if not feeds:
            raise ParseError(source.url, "no feed found on this page (no <link rel=alternate> feed)")
        fetched = await fetcher.fetch(feeds[0], accept=FEED_TYPES)
    if not is_sitemap_index(fetched.content):
        return parse_feed(fetched.content, fetched.url)
    items: list[FeedItem] = []
    for child in parse_feed(fetched.content, fetched.url)[:MAX_CHILD_SITEMAPS]:
        items += parse_feed((await fetcher.fetch(child.url, accept=FEED_TYPES)).content, child.url)
    return items


def _ingest_page(store: Store, source: Source, fetched: Fetched, document_id: int) -> int:
    """A source that is one article page: extract it (again, when it changed)."""
    article = with_source(extract_article(fetched.content, fetched.url, source=source.name), source)
    return store.save_articles([article], source_id=source.id, document_id=document_id)


async def _ingest_items(
    store: Store, fetcher: Fetcher, source: Source, items: Sequence[FeedItem]
) -> tuple[int, list[str]]:
    known = store.known_urls([i.url for i in items])
    fresh = [i for i in items if i.url and i.url not in known]
    errors: list[str] = []
    if not source.full_page:
        articles = [with_source(_article_from_item(i, source), source) for i in fresh]
        return store.save_articles(articles, source_id=source.id), errors
    pages = await fetcher.fetch_many([i.url for i in fresh])
    count = 0
    for item, page in zip(fresh, pages, strict=True):
        try:
            if isinstance(page, Exception):
                raise page
            article = extract_article(page.content, page.url, source=source.name)
            # The feed's date is structured data; the page's may be a guess.
            article = replace(article, published=item.published or article.published)
            document_id = store.save_document(page, source.id)
        except (FetchError, ParseError) as exc:
            errors.append(str(exc))
            log.warning("article skipped source=%s url=%s error=%s", source.url, item.url, exc)
            if not (item.content or item.summary):
                continue  # not stored: the page is tried again at the next check
            article, document_id = _article_from_item(item, source), None
        count += store.save_articles(
            [with_source(article, source)], source_id=source.id, document_id=document_id
        )
    return count, errors


async def refresh_sources(
    store: Store, config: Config, states: Sequence[SourceState], progress: Progress | None = None
) -> list[RefreshResult]:
    """Refresh many sources concurrently (the fetcher enforces the global and per-host caps)."""
    async with Fetcher(fetch_settings(config)) as fetcher:

        async def one(state: SourceState) -> RefreshResult:
            try:
                return await refresh_source(store, fetcher, state, config)
            finally:
                if progress:
                    progress(1)

        return list(await asyncio.gather(*(one(s) for s in states)))


def fetch_due(store: Store, config: Config, progress: Progress | None = None) -> list[RefreshResult]:
    for source in config.sources:
        if store.get_source(source.url) is None:
            store.add_source(source)
    due = store.due_sources(datetime.now(UTC))
    return asyncio.run(refresh_sources(store, config, due, progress))


# --- files --------------------------------------------------------------------------------------------------


def import_path(store: Store, path: Path, progress: Progress | None = None) -> tuple[int, list[str]]:
    """Import a JSONL of articles, a folder of HTML files, one HTML file or a WARC. Returns (count, errors)."""
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
        articles = read_articles(path)
        if progress:
            progress(len(articles))
        return store.save_articles(articles), []
    documents: Iterator[Fetched]
    if path.is_dir():
        documents = (read_html_file(p) for p in html_files(path))
    elif name.endswith((".warc", ".warc.gz")):
        documents = read_warc(path)
    else:
        documents = iter([read_html_file(path)])
    count, errors = 0, []
    for fetched in documents:
        count_one, error = _import_document(store, fetched)
        count += count_one
        if error:
            errors.append(error)
        if progress:
            progress(1)
    return count, errors


def _import_document(store: Store, fetched: Fetched) -> tuple[int, str | None]:
    try:
        url = None if fetched.url.startswith("file:") else fetched.url
        article = extract_article(fetched.content, url, source=fetched.url)
    except ParseError as exc:
        log.warning("page skipped url=%s error=%s", fetched.url, exc)
        return 0, str(exc)
    document_id = store.save_document(fetched)
    return store.save_articles([article], fetched_at=fetched.fetched_at, document_id=document_id), None


def reextract(store: Store, article_ids: Sequence[str]) -> int:
    """Extract articles again from their stored raw documents (after the extractor improved)."""
    count = 0
    for article in store.get_articles(article_ids):
        document_id = store.article_document(article.id)
        fetched = store.get_document(document_id) if document_id else None
        if fetched is None:
            continue
        fresh = extract_article(
            fetched.content, article.url or None, source=article.source, article_id=article.id
        )
        keep = replace(
            fresh,
            outlet=article.outlet,
            source_weight=article.source_weight,
            independent=article.independent,
            source=article.source,
        )
        count += store.save_articles([keep], document_id=document_id)
    return count
