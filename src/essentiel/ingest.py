"""Getting news in: sources -> fetch -> extract -> store, and importing files.

`refresh_source` is the one unit of fetch work, shared by `essentiel fetch` and the scheduler.
The error policy: a bad source or page is logged, counted on the source and skipped; the run goes on.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .config import Config
from .errors import FetchError, ParseError
from .extract.article import extract_article
from .fetch.http import Fetcher, FetchSettings, freshness
from .fetch.urls import canonical_url
from .inputs import html_files, read_articles, read_html_file, read_warc
from .models import Article, FeedItem, Fetched, Source, outlet_of, stable_id
from .sources.detect import COMMON_FEED_PATHS, find_common_feed
from .sources.entries import entry_hash, item_hashes, page_canonical, title_key
from .sources.feeds import ParsedFeed, detect_format, discover_feeds, read_feed
from .store import SourceState, Store
from .store.prominence import record_feed_positions

log = logging.getLogger(__name__)
Progress = Callable[[int], None]
FEED_TYPES = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5"
)
MAX_BACKOFF = timedelta(hours=24)
_CHARSET = re.compile(r"charset\s*=\s*([^;\s]+)", re.I)
# Of a sitemap index: the child sitemaps read at each check, the newest by lastmod (undated: the first).
MAX_CHILD_SITEMAPS = 3
CLAIM_ROUNDS = 8  # one claim on a shared store: at most this many rounds of `fetch.concurrency` sources


@dataclass
class RefreshResult:
    source: str
    new_articles: int = 0
    duplicates: int = 0  # entries or pages already stored (under their canonical URL, or the same GUID)
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
        article = Article(
            id=stable_id(item.url, prefix="a-"), url=item.url, title=item.title, text="", lead=item.summary
        )
    return replace(
        article, published=item.published or article.published, authors=item.authors or article.authors
    )


def check_interval(
    config: Config, update_every: timedelta | None = None, fresh_for: float | None = None
) -> timedelta:
    """How long until a source that answered is checked again.

    The feed's own hint (`<ttl>`, `sy:updatePeriod`/`sy:updateFrequency`) replaces the default
    `schedule.fetch_every_minutes`; without one, an HTTP freshness lifetime (Cache-Control max-age,
    Expires) longer than the default lengthens it (a short one is a cache setting, not a pace). Either
    way the result stays within `schedule.min_check_minutes` .. `schedule.max_check_minutes`.
    """
    every = timedelta(minutes=float(config["schedule.fetch_every_minutes"]))
    if update_every is not None:
        every = update_every
    elif fresh_for is not None:
        every = max(every, timedelta(seconds=fresh_for))
    low = timedelta(minutes=float(config["schedule.min_check_minutes"]))
    high = timedelta(minutes=float(config["schedule.max_check_minutes"]))
    return min(max(every, low), max(low, high))


def _next_check(config: Config, now: datetime, errors: int, retry_after: float | None = None) -> datetime:
    """After a failure: exponential backoff from the default interval, capped at MAX_BACKOFF; Retry-After wins
    when it asks for longer."""
    base = timedelta(minutes=float(config["schedule.fetch_every_minutes"]))
    delay = min(base * (2**errors), MAX_BACKOFF)
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    return now + delay


async def refresh_source(store: Store, fetcher: Fetcher, state: SourceState, config: Config) -> RefreshResult:
    """Check one source: conditional GET, find its new articles, fetch and extract them, store everything.

    A failure is stored on the source (consecutive errors, last error, when) and pushes its next check back
    (exponential backoff, capped at MAX_BACKOFF); it is never raised and the source is never dropped.
    """
    source = state.source
    assert source.id is not None
    result = RefreshResult(source=source.name or source.url)
    now = datetime.now(UTC)
    update_every = state.update_every  # a 304 has no body to read the feed's hint from: keep the last one
    try:
        fetched = await fetcher.fetch(
            source.url, etag=state.etag, last_modified=state.last_modified, accept=FEED_TYPES
        )
        if fetched.status == 304:
            result.not_modified = True
        else:
            document_id = store.save_document(fetched, source.id)
            if source.kind == "article":
                result.new_articles, result.duplicates = await asyncio.to_thread(
                    _ingest_page, store, source, fetched, document_id
                )
            else:
                parsed = await _feed_items(fetcher, source, fetched, int(config["fetch.sitemap_max_urls"]))
                items, update_every = parsed.items, parsed.update_every
                if source.kind in ("feed", "page"):  # a feed's order is prominence; a sitemap's is not
                    record_feed_positions(
                        store.db, source.id, [canonical_url(i.url) if i.url else "" for i in items]
                    )
                await _ingest_items(store, fetcher, source, items, result)
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
        next_check_at=now + check_interval(config, update_every, freshness(fetched.headers)),
        etag=None if result.not_modified else fetched.etag,
        last_modified=None if result.not_modified else fetched.last_modified,
        update_every=update_every,
    )
    return result


async def _feed_items(fetcher: Fetcher, source: Source, fetched: Fetched, sitemap_max: int) -> ParsedFeed:
    """The entries of a feed or sitemap; a sitemap index's newest child sitemaps; a homepage's feed.

    Of a sitemap (or the child sitemaps of an index together), only the `sitemap_max` newest URLs are
    taken: a 50,000-URL sitemap must not lead to 50,000 fetches at one check.
    """
    if source.kind == "page":
        feeds = discover_feeds(fetched.content, fetched.url)
        found = await fetcher.fetch(feeds[0], accept=FEED_TYPES) if feeds else None
        found = found or await find_common_feed(fetcher, fetched.url)
        if found is None:
            paths = ", ".join(COMMON_FEED_PATHS)
            raise ParseError(
                source.url, f"no feed found on this page (no <link rel=alternate> feed, none at {paths})"
            )
        fetched = found
    kind = detect_format(fetched.content)
    if kind == "sitemapindex":
        items: list[FeedItem] = []
        children = (await _parse(fetched.content, fetched.url)).items
        for child in newest(children, MAX_CHILD_SITEMAPS, source.url):
            child_page = await fetcher.fetch(child.url, accept=FEED_TYPES)
            items += (await _parse(child_page.content, child.url)).items
        return ParsedFeed(newest(items, sitemap_max, source.url))
    parsed = await _parse(fetched.content, fetched.url)
    return ParsedFeed(newest(parsed.items, sitemap_max, source.url)) if kind == "sitemap" else parsed


async def _parse(content: bytes, url: str) -> ParsedFeed:
    """read_feed in a worker thread: parsing and extraction never stall the fetches in flight."""
    return await asyncio.to_thread(read_feed, content, url)


def newest(items: Sequence[FeedItem], limit: int, origin: str = "") -> list[FeedItem]:
    """The `limit` newest items by date (lastmod, news:publication_date); undated ones after the dated ones,
    in document order."""
    if len(items) <= limit:
        return list(items)
    log.info("sitemap capped source=%s urls=%d taken=%d", origin, len(items), limit)
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(items, key=lambda i: i.published or oldest, reverse=True)[:limit]


def charset_of(content_type: str) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    match = _CHARSET.search(content_type or "")
    return match.group(1).strip("\"'").lower() if match else None


def _extract(store: Store, source: Source, page: Fetched, *, update: bool = False) -> Article | None:
    """The page's article under its canonical URL; None when that URL is already stored (a duplicate).

    `update`: extract it even when it is stored (a single-article source whose page changed).
    """
    url = page_canonical(page.content, page.url)
    if not update and store.known_urls([url]):
        log.info("duplicate skipped source=%s url=%s canonical=%s", source.url, page.url, url)
        return None
    with store.timed("extract"):
        article = extract_article(
            page.content, url, source=source.name, encoding=charset_of(page.content_type)
        )
    return with_source(article, source)


def _ingest_page(store: Store, source: Source, fetched: Fetched, document_id: int) -> tuple[int, int]:
    """A source that is one article page: (re-)extracted when it changed, stored once under its canonical URL.

    Returns (new articles, duplicates): an update of the article already stored counts as a duplicate.
    """
    article = _extract(store, source, fetched, update=True)
    assert article is not None
    known = bool(store.known_urls([article.url]))
    store.save_articles([article], source_id=source.id, document_id=document_id)
    return (0, 1) if known else (1, 0)


def _unseen(
    store: Store, source: Source, items: Sequence[FeedItem]
) -> list[tuple[FeedItem, tuple[str, ...]]]:
    """Entries not seen before, under their canonical URL, with their keys (see sources.entries)."""
    assert source.id is not None
    guids = Counter(i.guid for i in items if i.guid)
    titles = Counter(title_key(i) for i in items)
    entries = []
    for item in items:
        if not item.url:
            continue
        unique_guid = item.guid if item.guid and guids[item.guid] == 1 else None  # a reused GUID is no key
        by_title = titles[title_key(item)] == 1  # nor is a title and date that several entries share
        item = replace(item, url=canonical_url(item.url), guid=unique_guid)
        entries.append((item, item_hashes(item, by_title=by_title)))
    seen = store.seen_entries(source.id, [h for _, keys in entries for h in keys])
    known = store.known_urls([item.url for item, _ in entries])
    fresh, taken, remember = [], set(), []
    for item, keys in entries:
        if item.url in known or item.url in taken or seen.intersection(keys):
            remember += [(h, item.url, None) for h in keys if h not in seen]
            continue
        taken.add(item.url)
        fresh.append((item, keys))
    store.remember_entries(source.id, remember)  # a GUID seen under a known URL: its link may change later
    return fresh


async def _ingest_items(
    store: Store, fetcher: Fetcher, source: Source, items: Sequence[FeedItem], result: RefreshResult
) -> None:
    assert source.id is not None
    fresh = _unseen(store, source, items)
    result.duplicates += len(items) - len(fresh)
    if not source.full_page:
        for item, keys in fresh:
            result.new_articles += _save(
                store, source, with_source(_article_from_item(item, source), source), keys
            )
        return
    pages = await fetcher.fetch_many([item.url for item, _ in fresh])
    for (item, keys), page in zip(fresh, pages, strict=True):
        try:
            if isinstance(page, Exception):
                raise page
            article = await asyncio.to_thread(_extract, store, source, page)
            if article is None:
                result.duplicates += 1
                store.remember_entries(source.id, [(h, item.url, None) for h in keys])
                continue
            # The feed's date is structured data; the page's may be a guess.
            article = replace(article, published=item.published or article.published)
            document_id: int | None = store.save_document(page, source.id)
        except (FetchError, ParseError) as exc:
            result.errors.append(str(exc))
            log.warning("article skipped source=%s url=%s error=%s", source.url, item.url, exc)
            if not (item.content or item.summary):
                continue  # not stored: the page is tried again at the next check
            article, document_id = with_source(_article_from_item(item, source), source), None
        result.new_articles += _save(store, source, article, keys, document_id)


def _save(
    store: Store, source: Source, article: Article, keys: tuple[str, ...], document_id: int | None = None
) -> int:
    assert source.id is not None
    count = store.save_articles([article], source_id=source.id, document_id=document_id)
    if count and EMBED_AHEAD.get():
        from .stories.signals import embed_ahead  # the clustering's imports, only where it follows

        embed_ahead([article])
    keys += (entry_hash("url", article.url),)
    store.remember_entries(source.id, [(h, article.url, article.id) for h in keys])
    return count


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

        results = list(await asyncio.gather(*(one(s) for s in states)))
        counts = [
            (s.source.id or 0, 1, len(r.errors), r.new_articles) for s, r in zip(states, results, strict=True)
        ]
        store.record_fetches(fetcher.outcomes, counts)  # /metrics: fetches by status, errors per source
        return results


# Set by `fetch_due(embed_ahead=True)`: each stored article is queued for its story embedding (stories/embed.py)
# while the pass goes on, so that the clustering that follows in the same process finds it done.
EMBED_AHEAD: ContextVar[bool] = ContextVar("embed_ahead", default=False)


def fetch_due(
    store: Store, config: Config, progress: Progress | None = None, *, embed_ahead: bool = False
) -> list[RefreshResult]:
    """Fetch every due source. `embed_ahead`: the caller clusters next, in this process (the service's pass)."""
    for source in config.sources:
        if store.get_source(source.url) is None:
            store.add_source(source)
    # Several workers on PostgreSQL: each claims its own share, at most a few rounds of its fetch concurrency.
    due = store.claim_due_sources(datetime.now(UTC), limit=CLAIM_ROUNDS * int(config["fetch.concurrency"]))
    token = EMBED_AHEAD.set(embed_ahead)  # for this pass only: a later import in this process does not embed
    try:
        with store.timed("fetch"):
            return asyncio.run(refresh_sources(store, config, due, progress))
    finally:
        EMBED_AHEAD.reset(token)


# --- files --------------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    path: str
    articles: int = 0
    duplicates: int = 0  # pages whose canonical URL was already stored (CC-NEWS holds many)
    errors: list[str] = field(default_factory=list)


def import_path(store: Store, path: Path, progress: Progress | None = None) -> ImportResult:
    """Import a JSONL of articles, a folder of HTML files, one HTML file or a WARC (streamed, gzip or not)."""
    result = ImportResult(str(path))
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
        articles = read_articles(path)
        if progress:
            progress(len(articles))
        result.articles = store.save_articles(articles)
        return result
    documents: Iterator[Fetched]
    if path.is_dir():
        documents = (read_html_file(p) for p in html_files(path))
    elif name.endswith((".warc", ".warc.gz")):
        documents = read_warc(path)
    else:
        documents = iter([read_html_file(path)])
    for fetched in documents:
        _import_document(store, fetched, result)
        if progress:
            progress(1)
    return result


def _import_document(store: Store, fetched: Fetched, result: ImportResult) -> None:
    """One page of a folder or an archive: extracted and stored once under its canonical URL."""
    if fetched.status >= 300:
        result.errors.append(f"{fetched.url}: HTTP {fetched.status} in the archive, skipped")
        return
    url = None
    if fetched.url.startswith(("http://", "https://")):
        url = page_canonical(fetched.content, fetched.url)
        if store.known_urls([url]):
            result.duplicates += 1
            return
    try:
        article = extract_article(
            fetched.content, url, source=fetched.url, encoding=charset_of(fetched.content_type)
        )
    except ParseError as exc:
        log.warning("page skipped url=%s error=%s", fetched.url, exc)
        result.errors.append(str(exc))
        return
    document_id = store.save_document(fetched)
    result.articles += store.save_articles([article], fetched_at=fetched.fetched_at, document_id=document_id)


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
