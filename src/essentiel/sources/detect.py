"""What kind of source a URL is (feed, sitemap, homepage or one article), from one quick fetch of it."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from essentiel.errors import FetchError, InputError, ParseError
from essentiel.fetch.http import FetchSettings, fetch_sync
from essentiel.models import Fetched
from essentiel.sources.feeds import detect_format, discover_feeds, parse_feed

log = logging.getLogger(__name__)
ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5"
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json", ".xml.gz")
FEED_NAMES = frozenset({"feed", "feeds", "rss", "atom", "rss2", "index.rss"})
_HTML = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
_ARTICLE = re.compile(
    rb"""<meta[^>]+property=["']og:type["'][^>]+content=["']article|"@type"\s*:\s*"(News)?Article""", re.I
)


def detect_kind(fetched: Fetched) -> str:
    """'feed', 'sitemap', 'page' (a homepage announcing a feed) or 'article'; ParseError when none fits."""
    content, url = fetched.content, fetched.url
    head = content[:4096].lstrip(b"\xef\xbb\xbf")
    if "html" in fetched.content_type.lower() or _HTML.match(head):
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


def probe_kind(url: str, settings: FetchSettings) -> str:
    """The kind the URL names, else one polite fetch of it decides; InputError if it cannot be told."""
    named = kind_from_url(url)
    if named is not None:
        return named
    try:
        return detect_kind(fetch_sync(url, settings, accept=ACCEPT))
    except (FetchError, ParseError) as exc:
        raise InputError(f"{exc} (cannot detect the source's kind: give --kind)") from None
