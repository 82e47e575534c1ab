"""Which feed entries and pages are already known: canonical URLs and entry hashes, the way Miniflux does it.

Miniflux keys an entry on the hash of its GUID (else its URL) per feed. We key it on all of: the hash of the
GUID, the hash of the canonical URL, and the hash of its title and date, so a feed that re-publishes an item
under a new GUID, a new title or a link with tracking parameters creates no duplicate, and neither does a
link that changes under the same GUID, nor a new GUID with a new link but the same title and date. A page's own `<link rel=canonical>` (or `og:url`) is honoured when it stays on the same site.
"""

from __future__ import annotations

import hashlib
import logging
import re

import lxml.html
from lxml import etree

from essentiel.fetch.urls import canonical_url
from essentiel.models import FeedItem, outlet_of

log = logging.getLogger(__name__)
HEAD_BYTES = 512 * 1024  # a canonical link is looked for in the page's <head>, within this many bytes
_HEAD_END = re.compile(rb"</head\s*>", re.I)


def entry_hash(kind: str, value: str) -> str:
    """SHA-1 of 'guid:...' or 'url:...' (a GUID and a URL that happen to be equal stay distinct keys)."""
    return hashlib.sha1(f"{kind}:{value}".encode()).hexdigest()


def item_hashes(item: FeedItem, *, by_title: bool = True) -> tuple[str, ...]:
    """The keys of one entry: its canonical URL's hash, its GUID's hash when it has one, and the hash of
    its title and date when it has both (`by_title`; off when that pair is not unique in the feed)."""
    keys = [entry_hash("url", canonical_url(item.url))]
    if item.guid and item.guid.strip():
        keys.append(entry_hash("guid", item.guid.strip()))
    title = title_key(item) if by_title else None
    if title:
        keys.append(title)
    return tuple(keys)


def title_key(item: FeedItem) -> str | None:
    """The hash of an entry's title (case and spacing ignored) and publication date, if it has both: a feed
    that re-publishes an item under a new GUID *and* a new link still gives the same one."""
    title = " ".join(item.title.split()).casefold()
    if not title or item.published is None:
        return None
    return entry_hash("title", f"{title}|{item.published.isoformat()}")


def page_canonical(html: bytes, url: str) -> str:
    """The canonical URL of a fetched page: its `<link rel=canonical>`, else `og:url`, else `url` itself.

    The announced URL is resolved against `url` and canonicalised. It is ignored (with a debug line) when it
    is not http(s), points to another site (syndicated copy: the outlet is the one we fetched) or to the
    site's home page while the page is not the home page (a frequent template mistake).
    """
    fallback = canonical_url(url)
    head = html[:HEAD_BYTES]
    end = _HEAD_END.search(head)
    if end:
        head = head[: end.end()] + b"</html>"
    if not head.strip():
        return fallback
    try:
        doc = lxml.html.document_fromstring(head)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return fallback
    found = [
        link.get("href") or ""
        for link in doc.iter("link")
        if "canonical" in (link.get("rel") or "").lower().split()
    ]
    found += [meta.get("content") or "" for meta in doc.iter("meta") if meta.get("property") == "og:url"]
    for candidate in found:
        announced = _usable(candidate.strip(), url, fallback)
        if announced:
            return announced
    return fallback


def _usable(candidate: str, url: str, fallback: str) -> str | None:
    from urllib.parse import urljoin, urlsplit

    if not candidate:
        return None
    try:
        resolved = canonical_url(urljoin(url, candidate))
        parts, here = urlsplit(resolved), urlsplit(fallback)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or outlet_of(resolved) != outlet_of(fallback):
        log.debug("canonical link ignored url=%s canonical=%s", url, candidate)
        return None
    if parts.path in ("", "/") and here.path not in ("", "/") and not parts.query:
        log.debug("canonical link to the home page ignored url=%s", url)
        return None
    return resolved
