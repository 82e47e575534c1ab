"""Feeds and sitemaps, parsed then adapted to FeedItem.

Formats: RSS 0.9x/1.0/2.0 and Atom (feedparser), JSON Feed 1.0/1.1 (json), XML sitemaps and Google News
sitemaps (lxml). A sitemap *index* gives one FeedItem per child sitemap (`is_sitemap_index` tells).
Gzipped documents (sitemap.xml.gz) are decompressed first. Anything unusable raises ParseError.
"""

from __future__ import annotations

import html
import io
import json
import logging
import re
import zlib
from calendar import timegm
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html
from lxml import etree

from essentiel.errors import ParseError
from essentiel.models import FeedItem

log = logging.getLogger(__name__)

FEED_LINK_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json"})
MAX_GUNZIPPED = 50_000_000  # the sitemap protocol's own limit
MAX_FEED_ITEMS = 1_000  # of an RSS/Atom/JSON feed, the first ones are read (news feeds carry a few dozen)
EARLIEST = datetime(1991, 1, 1, tzinfo=UTC)  # before the web: an epoch-0 or made-up date
FUTURE_SLACK = timedelta(days=1)  # a date further ahead than this is not believed (time zones, clock skew)
_ENTITY_DECLARATION = re.compile(rb"<!DOCTYPE[^\[>]*\[[^\]]*<!ENTITY", re.I)
_ITEM_START = re.compile(rb"<(?:[\w-]+:)?(?:item|entry)[\s>/]")
_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
    | {"table", "tr", "section", "article", "figure", "figcaption", "header", "footer", "dd", "dt"}
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template"})


@dataclass(frozen=True)
class ParsedFeed:
    """A feed's items and its own hint of how often it changes (RSS `<ttl>`, else `sy:updatePeriod`)."""

    items: list[FeedItem]
    update_every: timedelta | None = None


def parse_feed(content: bytes, url: str) -> list[FeedItem]:
    """The items of a feed or sitemap; URLs are made absolute against `url`. Raises ParseError only."""
    return read_feed(content, url).items


def read_feed(content: bytes, url: str) -> ParsedFeed:
    """`parse_feed` plus the feed's update hint (None for JSON Feeds, sitemaps and feeds without one)."""
    if not content.strip():
        raise ParseError(url, "empty document")
    try:
        content = _gunzip(content, url)
        if _ENTITY_DECLARATION.search(content[:65536]):
            raise ParseError(
                url,
                "refused: the document declares XML entities (<!ENTITY> in its DOCTYPE), which feeds never"
                " need and attacks use (billion laughs, external entities)",
            )
        kind = detect_format(content)
        every = None
        if kind == "json":
            items = _json_feed(content, url)
        elif kind in ("sitemap", "sitemapindex"):
            items = _sitemap(content, url)
        else:
            items, every = _xml_feed(content, url)
    except ParseError:
        raise
    except Exception as exc:  # a parser bug must still name the document, in one line
        raise ParseError(url, f"cannot parse ({type(exc).__name__}: {_one_line(exc)})") from exc
    return ParsedFeed(_unique([item for item in items if _web_link(item, url)]), every)


def _join(base: str, link: str) -> str:
    """`link` made absolute against `base`; '' for a link that is not a valid URL (e.g. 'http://[')."""
    try:
        joined = urljoin(base, link)
        urlsplit(joined).port  # noqa: B018  (raises ValueError for a bad port or IPv6 literal)
    except ValueError:
        return ""
    return joined


def _web_link(item: FeedItem, url: str) -> bool:
    """Only http(s) links become articles: a javascript: or data: link must never reach a page's href."""
    if item.url.lower().startswith(("http://", "https://")):
        return True
    log.warning("%s: entry skipped, its link is not http(s): %.80s", url, item.url)
    return False


def plausible_date(value: datetime | None, now: datetime | None = None) -> datetime | None:
    """A feed's date, unless it is before the web (1970 and other defaults) or more than a day ahead."""
    if value is None:
        return None
    if value < EARLIEST or value > (now or datetime.now(UTC)) + FUTURE_SLACK:
        log.debug("implausible date ignored: %s", value.isoformat())
        return None
    return value


def detect_format(content: bytes) -> str:
    """'json', 'sitemap', 'sitemapindex' or 'feed' (anything else: left to feedparser to judge)."""
    try:
        content = _gunzip(content, "")
    except ParseError:
        return "feed"
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return "json"
    root = _root_name(content)
    if root == "urlset":
        return "sitemap"
    return "sitemapindex" if root == "sitemapindex" else "feed"


def is_sitemap_index(content: bytes) -> bool:
    """True for a <sitemapindex>: parse_feed then returns the child sitemaps, not articles."""
    return detect_format(content) == "sitemapindex"


def discover_feeds(html_page: bytes, base_url: str) -> list[str]:
    """Feed URLs announced by a page: <link rel="alternate" type="application/rss+xml|atom+xml|feed+json">."""
    if not html_page.strip():
        return []
    try:
        doc = lxml.html.document_fromstring(html_page)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return []
    base = next((b.get("href") for b in doc.iter("base") if b.get("href")), None)
    base = (_join(base_url, base.strip()) or base_url) if base else base_url
    found: list[str] = []
    for link in doc.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";", 1)[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" in rels and kind in FEED_LINK_TYPES and href:
            absolute = _join(base, href)
            if absolute and absolute not in found:
                found.append(absolute)
    return found


def html_to_text(fragment: str) -> str:
    """Visible text of an HTML fragment: tags and scripts dropped, entities decoded, one line per block."""
    if "<" not in fragment and "&" not in fragment:
        return " ".join(fragment.split())
    extractor = _TextExtractor()
    try:
        extractor.feed(fragment)
        extractor.close()
        text = "".join(extractor.parts)
    except Exception:  # HTMLParser is lenient, but never let a summary break a feed
        text = html.unescape(re.sub(r"<[^>]*>", " ", fragment))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


# --- RSS and Atom -------------------------------------------------------------------------------


def _xml_feed(content: bytes, url: str) -> tuple[list[FeedItem], timedelta | None]:
    content = _first_items(content, url)
    headers = {"content-location": url, "content-type": "application/xml"}
    parsed = feedparser.parse(io.BytesIO(content), response_headers=headers)
    entries = parsed.get("entries") or []
    problem = ""
    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), _BENIGN):
        problem = _one_line(parsed.get("bozo_exception") or "not well-formed")
    if not entries and problem:
        raise ParseError(url, f"not a valid feed: {_not_a_feed(content) or problem}")
    if not entries and not parsed.get("version"):
        raise ParseError(url, _not_a_feed(content) or "no RSS, Atom or JSON Feed found")
    if problem:
        log.warning(
            "%s: feed is not well-formed (%s); keeping the %d entries read", url, problem, len(entries)
        )
    feed_language = _language(parsed.get("feed", {}).get("language"))
    items = [item for entry in entries if (item := _entry_item(entry, url, feed_language)) is not None]
    if problem and not items:  # broken, and nothing usable was recovered from it
        raise ParseError(url, f"not a valid feed: {problem}")
    return items, update_hint(parsed.get("feed", {}))


_SY_PERIODS = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
    "monthly": timedelta(days=30),
    "yearly": timedelta(days=365),
}
MAX_HINT = timedelta(days=365)


def update_hint(channel: Mapping[str, Any]) -> timedelta | None:
    """How often a feed says it changes: RSS 2.0 `<ttl>` (minutes), else the syndication module's
    `sy:updatePeriod` divided by `sy:updateFrequency` (default 1). None when absent or unreadable."""
    ttl = _text(channel.get("ttl")).strip()
    if ttl.isascii() and ttl.isdigit() and 0 < int(ttl) <= MAX_HINT.total_seconds() / 60:
        return timedelta(minutes=int(ttl))
    period = _SY_PERIODS.get(_text(channel.get("sy_updateperiod")).strip().lower())
    if period is None:
        return None
    frequency = _text(channel.get("sy_updatefrequency")).strip() or "1"
    if not (frequency.isascii() and frequency.isdigit()) or not 0 < int(frequency) <= 10_000:
        return period
    return period / int(frequency)


def _first_items(content: bytes, url: str) -> bytes:
    """The document cut before its (MAX_FEED_ITEMS + 1)-th item: parsing 100,000 items would take minutes.

    The cut document is not well-formed; feedparser keeps the entries read before the cut.
    """
    for count, match in enumerate(_ITEM_START.finditer(content), start=1):
        if count > MAX_FEED_ITEMS:
            log.warning(
                "%s: feed has more than %d items; the first %d are read", url, MAX_FEED_ITEMS, MAX_FEED_ITEMS
            )
            return content[: match.start()]
    return content


def _not_a_feed(content: bytes) -> str:
    head = content[:2048].lower()
    if b"<html" in head or b"<!doctype html" in head:
        return "an HTML page, not a feed (discover_feeds finds the feeds a page announces)"
    root = _root_name(content)
    return f"no RSS, Atom or JSON Feed found (root element <{root}>)" if root else ""


def _entry_item(entry: Mapping[str, Any], url: str, feed_language: str | None) -> FeedItem | None:
    link = entry.get("link") or next(
        (link.get("href") for link in entry.get("links", []) if link.get("href")), None
    )
    guid = _text(entry.get("id")) or None
    if not link and guid and guid.startswith(("http://", "https://")):
        link = guid
    if not link:
        log.debug("%s: entry without a link skipped (%s)", url, entry.get("title", ""))
        return None
    detail = entry.get("title_detail") or {}
    # Only keys present: FeedParserDict maps a missing updated_parsed to published_parsed with a DeprecationWarning.
    dates = (_from_struct(entry[k]) for k in _DATE_KEYS if k in entry)
    published = plausible_date(next((p for p in dates if p is not None), None))
    return FeedItem(
        url=_join(url, _text(link).strip()),
        title=html_to_text(_text(entry.get("title"))),
        summary=html_to_text(_text(entry.get("summary"))),
        content=_entry_content(entry.get("content") or []),
        published=published,
        authors=_entry_authors(entry),
        language=_language(detail.get("language")) or feed_language,
        guid=guid,
    )


_DATE_KEYS = ("published_parsed", "updated_parsed", "created_parsed")
_BENIGN = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_RSS_AUTHOR = re.compile(r"^\s*\S+@\S+\s*\((.+)\)\s*$")  # RSS 2.0 <author>: "email (Name)"


def _entry_authors(entry: Mapping[str, Any]) -> tuple[str, ...]:
    raw = entry.get("author")
    match = _RSS_AUTHOR.match(raw) if isinstance(raw, str) else None
    if match:
        return _names([match.group(1)])
    return _names(entry.get("authors") or [{"name": raw}])


def _entry_content(contents: Iterable[Mapping[str, Any]]) -> str:
    chosen = list(contents)
    html_parts = [c for c in chosen if "html" in _text(c.get("type"))]
    best = (html_parts or chosen or [{}])[0]
    return _text(best.get("value")).strip()


def _from_struct(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(timegm(value), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


# --- JSON Feed ----------------------------------------------------------------------------------


def _json_feed(content: bytes, url: str) -> list[FeedItem]:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ParseError(url, "JSON Feed is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ParseError(url, f"invalid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ParseError(url, "JSON but not a JSON Feed (no 'items' list)")
    if "jsonfeed.org/version/" not in _text(data.get("version")):
        log.warning("%s: JSON Feed without a jsonfeed.org version; reading its items anyway", url)
    language = _language(data.get("language"))
    authors = _json_authors(data)
    entries = [item for item in data["items"] if isinstance(item, dict)]
    if len(entries) > MAX_FEED_ITEMS:
        log.warning(
            "%s: feed has more than %d items; the first %d are read", url, MAX_FEED_ITEMS, MAX_FEED_ITEMS
        )
    items = [_json_item(item, url, language, authors) for item in entries[:MAX_FEED_ITEMS]]
    return [item for item in items if item is not None]


def _json_item(
    item: Mapping[str, Any], url: str, language: str | None, feed_authors: tuple[str, ...]
) -> FeedItem | None:
    guid = _text(item.get("id")) or None
    link = _text(item.get("url")) or _text(item.get("external_url"))
    if not link and guid and guid.startswith(("http://", "https://")):
        link = guid
    if not link:
        return None
    content = _text(item.get("content_html")) or html.escape(_text(item.get("content_text")))
    return FeedItem(
        url=_join(url, link.strip()),
        title=html_to_text(_text(item.get("title"))),
        summary=html_to_text(_text(item.get("summary"))),
        content=content.strip(),
        published=plausible_date(
            _iso_date(item.get("date_published")) or _iso_date(item.get("date_modified"))
        ),
        authors=_json_authors(item) or feed_authors,
        language=_language(item.get("language")) or language,
        guid=guid,
    )


def _json_authors(obj: Mapping[str, Any]) -> tuple[str, ...]:
    authors = obj.get("authors")
    if not isinstance(authors, list):
        authors = [obj.get("author")]
    return _names(a for a in authors if isinstance(a, dict))


# --- Sitemaps -----------------------------------------------------------------------------------


def _sitemap(content: bytes, url: str) -> list[FeedItem]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(url, f"broken sitemap XML ({_one_line(exc)})") from None
    items: list[FeedItem] = []
    for entry in _children(root, "url", "sitemap"):
        fields = {name: _text(el.text).strip() for name, el in _descendants(entry, direct=True)}
        loc = fields.get("loc")
        if not loc:
            continue
        news = next(_children(entry, "news"), None)  # Google News: <news:news>
        if news is not None:
            fields.update((name, _text(el.text).strip()) for name, el in _descendants(news))
        items.append(
            FeedItem(
                url=_join(url, loc),
                title=fields.get("title", ""),
                published=plausible_date(
                    _iso_date(fields.get("publication_date")) or _iso_date(fields.get("lastmod"))
                ),
                language=_language(fields.get("language")),
            )
        )
    return items


def _children(root: Any, *names: str) -> Iterator[Any]:
    for child in root:
        if isinstance(child.tag, str) and etree.QName(child).localname in names:
            yield child


def _descendants(element: Any, direct: bool = False) -> Iterator[tuple[str, Any]]:
    """(local name, element) for every element below (or only its children), the first of each name winning."""
    seen: set[str] = set()
    for el in element if direct else element.iter():
        if el is element or not isinstance(el.tag, str):
            continue
        name = etree.QName(el).localname
        if name not in seen:
            seen.add(name)
            yield name, el


# --- helpers ------------------------------------------------------------------------------------


def _gunzip(content: bytes, url: str) -> bytes:
    if content[:2] != b"\x1f\x8b":
        return content
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = decompressor.decompress(content, MAX_GUNZIPPED + 1)
    except zlib.error as exc:
        raise ParseError(url, f"broken gzip data ({exc})") from None
    if not decompressor.eof and len(data) <= MAX_GUNZIPPED:
        raise ParseError(url, "broken gzip data (truncated)")
    if len(data) > MAX_GUNZIPPED:
        raise ParseError(url, f"gzipped document larger than {MAX_GUNZIPPED} bytes once decompressed")
    return data


def _root_name(content: bytes) -> str:
    """Local name of the root element ('' when the document does not even start as XML)."""
    events = etree.iterparse(
        io.BytesIO(content), events=("start",), resolve_entities=False, no_network=True, recover=False
    )
    try:
        for _, element in events:
            return str(etree.QName(element).localname)
    except (etree.XMLSyntaxError, ValueError):
        pass
    return ""


def _iso_date(value: Any) -> datetime | None:
    """A W3C/ISO 8601 date or datetime as tz-aware UTC (dates without a zone are taken as UTC)."""
    text = _text(value).strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _names(people: Iterable[Any]) -> tuple[str, ...]:
    names: list[str] = []
    for person in people:
        name = " ".join(_text(person.get("name") if isinstance(person, Mapping) else person).split())
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _language(value: Any) -> str | None:
    """The primary language subtag, lowercase: 'fr-FR' -> 'fr'."""
    text = _text(value).strip().replace("_", "-").split("-", 1)[0].lower()
    return text if text.isalpha() and 2 <= len(text) <= 3 else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _one_line(exc: object) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _unique(items: list[FeedItem]) -> list[FeedItem]:
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.url not in seen:
            seen.add(item.url)
            unique.append(item)
    return unique
