"""What kind of source a URL is (feed, sitemap, homepage or one article), from one quick fetch of it."""

from __future__ import annotations

import asyncio
import logging
import re
from urllib.parse import urljoin, urlsplit

from essentiel.errors import FetchError, InputError, ParseError
from essentiel.fetch.http import Fetcher, FetchSettings
from essentiel.models import Fetched
from essentiel.sources.feeds import detect_format, discover_feeds, parse_feed

log = logging.getLogger(__name__)
ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5"
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json", ".xml.gz")
FEED_NAMES = frozenset({"feed", "feeds", "rss", "atom", "rss2", "index.rss"})
# Where sites put their feed without announcing it (WordPress /feed, Hugo /index.xml, Jekyll /feed.xml...).
COMMON_FEED_PATHS = ("/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml")
_HTML = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
_ARTICLE = re.compile(
    rb"""<meta[^>]+property=["']og:type["'][^>]+content=["']article|"@type"\s*:\s*"(News)?Article""", re.I
)


def detect_kind(fetched: Fetched) -> str:
    """'feed', 'sitemap', 'page' (a homepage announcing a feed) or 'article'; ParseError when none fits."""
    content, url = fetched.content, fetched.url
    if _is_html(fetched):
        if discover_feeds(content, url):
            return "page"
        if _ARTICLE.search(content[:200_000]):
            return "article"
        raise ParseError(
            url,
            "a web page that announces no feed: add its feed or sitemap URL, or give --kind article",
        )
    if detect_format(content) in ("sitemap", "sitemapindex"):
        return "sitemap"
    parse_feed(content, url)  # raises ParseError(url, reason) when it is no feed at all
    return "feed"


def kind_from_url(url: str) -> str | None:
    """'sitemap' or 'feed' when the URL's path says so (…/sitemap.xml, …/rss/une.xml, …/feed), else None."""
    path = urlsplit(url).path.lower()
    if "sitemap" in path:
        return "sitemap"
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if last.endswith(FEED_SUFFIXES) or last in FEED_NAMES or any(p in FEED_NAMES for p in path.split("/")):
        return "feed"
    return None


async def find_common_feed(fetcher: Fetcher, page_url: str) -> Fetched | None:
    """The first feed found at a common path of the page's site (COMMON_FEED_PATHS, in order), or None.

    For a homepage that announces no feed: each try is a polite fetch (robots.txt, host delay); an answer
    that is an error, or not a feed (a soft-404 HTML page), is skipped.
    """
    for path in COMMON_FEED_PATHS:
        url = urljoin(page_url, path)
        try:
            fetched = await fetcher.fetch(url, accept=ACCEPT)
            if _is_html(fetched):
                continue
            await asyncio.to_thread(parse_feed, fetched.content, fetched.url)
        except (FetchError, ParseError) as exc:
            log.debug("no feed at a common path url=%s error=%s", url, exc)
            continue
        log.info("feed found at a common path page=%s feed=%s", page_url, fetched.url)
        return fetched
    return None


def _is_html(fetched: Fetched) -> bool:
    head = fetched.content[:4096].lstrip(b"\xef\xbb\xbf")
    return "html" in fetched.content_type.lower() or bool(_HTML.match(head))


def probe_kind(url: str, settings: FetchSettings) -> str:
    """The kind the URL names, else one polite fetch of it decides; InputError if it cannot be told.

    A web page that announces no feed and is no article is a `page` when its site has a feed at a common
    path (COMMON_FEED_PATHS)."""
    named = kind_from_url(url)
    if named is not None:
        return named

    async def probe() -> str:
        async with Fetcher(settings) as fetcher:
            fetched = await fetcher.fetch(url, accept=ACCEPT)
            try:
                return detect_kind(fetched)
            except ParseError:
                if _is_html(fetched) and await find_common_feed(fetcher, fetched.url) is not None:
                    return "page"
                raise

    try:
        return asyncio.run(probe())
    except (FetchError, ParseError) as exc:
        raise InputError(f"{exc} (cannot detect the source's kind: give --kind)") from None
