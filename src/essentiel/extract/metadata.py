"""Page metadata for news articles: JSON-LD, meta tags and headings, read from the parsed HTML tree.

`choose_title` votes between the page's headline sources; `extract_details` returns the fields that
`essentiel.models.Article` does not carry yet (modified date, section, tags, canonical URL, paywall flag,
language checked against `<html lang>`), as an `ArticleDetails`.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from dateutil import parser as dateutil_parser
from lxml.html import HtmlElement
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from essentiel.extract import cleanup

ARTICLE_TYPES = frozenset(
    {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle"}
    | {"ReviewNewsArticle", "BlogPosting", "LiveBlogPosting", "Report"}
)
# Date sources in order of trust: JSON-LD first (see `published`), then these meta/time elements.
PUBLISHED_XPATH = (
    "//meta[@property='article:published_time' or @name='article:published_time'"
    " or @property='og:article:published_time'"
    " or @itemprop='datePublished' or @name='pubdate' or @name='publishdate' or @name='parsely-pub-date'"
    " or @name='sailthru.date' or @name='dcterms.created' or @name='DC.date.issued' or @name='date']/@content"
    " | //time[@itemprop='datePublished']/@datetime"
)
MODIFIED_XPATH = (
    "//meta[@property='article:modified_time' or @name='article:modified_time' or @property='og:updated_time'"
    " or @itemprop='dateModified'"
    " or @name='lastmod' or @name='dcterms.modified']/@content | //time[@itemprop='dateModified']/@datetime"
)
# time zone names found in dates that are not ISO 8601, with their offsets in seconds
TZ_NAMES = {"UTC": 0, "GMT": 0, "Z": 0, "CET": 3600, "MEZ": 3600, "CEST": 7200, "MESZ": 7200, "BST": 3600}
TZ_NAMES |= {"EET": 7200, "EEST": 10800, "EST": -18000, "EDT": -14400, "PST": -28800, "PDT": -25200}
_YEAR = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)")
_NO_DEFAULT = datetime(2000, 1, 1)
TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•»/]\s+|\s*[｜：]\s*")  # full-width ones need no spaces
MIN_LANGID_CHARS = 50
LANGID_CHARS = 1500  # the start of the text is enough to tell its language
LANGID_CONFIDENCE = 0.9  # below this, the page's declared <html lang> wins


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _text(value: Any) -> str:
    """Whitespace-normalised text with HTML entities resolved (JSON-LD often holds '&#8217;')."""
    return " ".join(html_lib.unescape(str(value)).split()) if value else ""


# --- JSON-LD ---------------------------------------------------------------------------------------


def jsonld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts, including those in @graph and lists."""
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                if isinstance(item.get("@graph"), list):
                    stack.extend(reversed(item["@graph"]))


def jsonld_article(tree: HtmlElement) -> dict[str, Any]:
    """The first JSON-LD object typed as a news article; else the first with a headline and a
    datePublished (a WebPage, or a type we do not list); {} when there is none."""
    found: dict[str, Any] = {}
    for item in jsonld_objects(tree):
        types = item.get("@type")
        types = set(types) if isinstance(types, list) else {types}
        if types & ARTICLE_TYPES:
            return item
        if not found and item.get("headline") and item.get("datePublished"):
            found = item
    return found


def ld_authors(ld: dict[str, Any]) -> list[str]:
    authors = ld.get("author")
    authors = authors if isinstance(authors, list) else [authors]
    names = [a.get("name") if isinstance(a, dict) else a for a in authors]
    return [n for n in names if isinstance(n, str)]


def ld_organisations(ld: dict[str, Any]) -> list[str]:
    """Names of the JSON-LD publisher and of authors typed Organization."""
    items: list[Any] = []
    for key in ("publisher", "author"):
        value = ld.get(key)
        items.extend(value if isinstance(value, list) else [value])
    return [
        item["name"]
        for item in items
        if isinstance(item, dict)
        and isinstance(item.get("name"), str)
        and (item is ld.get("publisher") or item.get("@type") in ("Organization", "NewsMediaOrganization"))
    ]


ORGANISATION_WORDS = re.compile(
    r"\b(GmbH|AG|Inc|Ltd|LLC|S\.?A\.?S?|Media|Group|Verlag|Nachrichten|Redaktion|Rédaction|Newsroom|Nast)\b",
    re.I,
)


def drop_organisations(authors: Sequence[str], organisations: Iterable[str]) -> tuple[str, ...]:
    """Drop authors that are the publisher (its site name, domain, a JSON-LD Organization, a company name),
    but only when a person is left: "Le Monde" alone stays the author, "Heise Online; Dirk Knop" keeps Dirk Knop.
    """
    known = {
        cleanup.normalize(o).replace(" ", "") for o in organisations if o and len(cleanup.normalize(o)) >= 2
    }

    def is_organisation(name: str) -> bool:
        key = cleanup.normalize(name).replace(" ", "")
        return (
            key in known
            or any(k in key or key in k for k in known if len(k) >= 4 and len(key) >= 4)
            or bool(ORGANISATION_WORDS.search(name))
        )

    people = tuple(a for a in authors if not is_organisation(a))
    return people or tuple(authors)


# --- Title -----------------------------------------------------------------------------------------


def _variants(title: str) -> list[str]:
    """The title, then the title without its trailing parts: 'A - B | Site' -> ['A - B | Site', 'A - B', 'A']."""
    cuts = [m.start() for m in TITLE_SEPARATORS.finditer(title)]
    return [title] + [title[:cut].strip() for cut in reversed(cuts)]


def choose_title(tree: HtmlElement, ld: dict[str, Any], fallback: str = "", site_name: str = "") -> str:
    """The headline most sources agree on: JSON-LD headline, first <h1>, og:title, twitter:title, <title>.

    Each source (and each source with trailing parts cut: ' | Site', ' - Site') is a candidate; the one repeated
    by the most sources wins; then one whose cut part is `site_name`; then the shorter cut, then source order.
    A candidate that is only the part cut from another source (the site name in an <h1> logo) is never taken.
    """
    sources = [
        _text(_str(ld.get("headline"))),
        next((t for t in (_text(h.text_content()) for h in tree.xpath("//h1")) if t), ""),
        *(_text(next(iter(tree.xpath(x)), "")) for x in _META_TITLES),
        _text(fallback),
    ]
    sources = [s for s in sources if s]
    variants = [_variants(s) for s in sources]
    tails = {_tail(s, v) for s, options in zip(sources, variants, strict=True) for v in options[1:]}
    best: tuple[tuple[int, int, int, int], str] | None = None
    for rank, (source, options) in enumerate(zip(sources, variants, strict=True)):
        for cut, candidate in enumerate(options):
            if (len(candidate.split()) < 2 and len(candidate) < 8) or (
                candidate in tails and len(options) == 1
            ):
                continue
            support = sum(candidate in other for other in variants)
            named = int(
                cut > 0 and bool(site_name) and _tail(source, candidate).casefold() == site_name.casefold()
            )
            key = (support, named, -cut, -rank)
            if best is None or key > best[0]:
                best = (key, candidate)
    return best[1] if best else (sources[0] if sources else "")


def _tail(title: str, head: str) -> str:
    """What follows `head` in `title`, without the separator: ('A - Site', 'A') -> 'Site'."""
    return TITLE_SEPARATORS.sub("", title[len(head) :], count=1).strip()


_META_TITLES = (
    "//meta[@property='og:title']/@content",
    "//meta[@name='twitter:title']/@content",
    "//title/text()",
)


# --- Dates -----------------------------------------------------------------------------------------


def parse_datetime(value: str | None) -> datetime | None:
    """A date or datetime as a timezone-aware datetime (naive values are taken as UTC).

    ISO 8601 first; then dateutil for other spellings ("Fri Apr 28 19:20:36 CEST 2023"), only when the value
    holds a four-digit year (so no part of the result ever comes from today's date).
    """
    if not value or not value.strip():
        return None
    value = value.strip()
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = _parse_loose(value)
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_loose(value: str) -> datetime | None:
    if not _YEAR.search(value) or len(value) > 64:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dateutil warns about time zone names it does not know
        try:
            return dateutil_parser.parse(value, default=_NO_DEFAULT, tzinfos=TZ_NAMES)
        except (ValueError, OverflowError):
            return None


def _first_date(values: Iterable[str | None]) -> datetime | None:
    for value in values:
        parsed = parse_datetime(value)
        if parsed:
            return parsed
    return None


def published(tree: HtmlElement, ld: dict[str, Any], fallback: str | None) -> datetime | None:
    """JSON-LD datePublished, then the meta/time elements of PUBLISHED_XPATH, then trafilatura's date."""
    metas = [str(v) for v in tree.xpath(PUBLISHED_XPATH)]
    return _first_date([_str(ld.get("datePublished")), *metas, _str(ld.get("dateCreated")), fallback])


def modified(tree: HtmlElement, ld: dict[str, Any]) -> datetime | None:
    """JSON-LD dateModified, then article:modified_time / og:updated_time and similar."""
    return _first_date([_str(ld.get("dateModified")), *(str(v) for v in tree.xpath(MODIFIED_XPATH))])


# --- Details not (yet) on Article --------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleDetails:
    """Page metadata beyond `Article`: when it was last modified, where it is filed, and access."""

    modified: datetime | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    canonical_url: str | None = None
    paywalled: bool = False
    language: str | None = None


PAYWALL_XPATH = (
    "//meta[@property='article:content_tier'][@content='locked' or @content='metered']"
    " | //*[contains(concat(' ', normalize-space(@class), ' '), ' paywall ')]"
)


def canonical(tree: HtmlElement) -> str | None:
    for xpath in ("//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"):
        values = [str(v).strip() for v in tree.xpath(xpath) if str(v).strip()]
        if values:
            return values[0]
    return None


def section(tree: HtmlElement, ld: dict[str, Any]) -> str | None:
    value = ld.get("articleSection")
    value = value[0] if isinstance(value, list) and value else value
    metas = tree.xpath("//meta[@property='article:section']/@content")
    return _text(_str(value)) or (_text(metas[0]) if metas else "") or None


def tags(tree: HtmlElement, ld: dict[str, Any]) -> tuple[str, ...]:
    """article:tag metas, else JSON-LD keywords, else news_keywords / keywords metas; deduplicated, in order."""
    raw: list[str] = [str(v) for v in tree.xpath("//meta[@property='article:tag']/@content")]
    if not raw:
        keywords = ld.get("keywords")
        raw = [k for k in keywords if isinstance(k, str)] if isinstance(keywords, list) else [_str(keywords)]
    if not any(raw):
        raw = [str(v) for v in tree.xpath("//meta[@name='news_keywords' or @name='keywords']/@content")[:1]]
    out: list[str] = []
    for value in raw:
        for tag in (_text(t) for t in value.split(",")):
            if tag and tag.casefold() not in {t.casefold() for t in out}:
                out.append(tag)
    return tuple(out)


def paywalled(tree: HtmlElement, ld: dict[str, Any]) -> bool:
    """JSON-LD isAccessibleForFree false (on the article or a hasPart), a locked content tier, a paywall box."""
    parts = ld.get("hasPart")
    parts = parts if isinstance(parts, list) else [parts]
    for item in (ld, *(p for p in parts if isinstance(p, dict))):
        if str(item.get("isAccessibleForFree", "")).strip().lower() in ("false", "no", "0"):
            return True
    return bool(tree.xpath(PAYWALL_XPATH))


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def declared_language(tree: HtmlElement) -> str | None:
    for value in tree.xpath(
        "/html/@lang | /html/@xml:lang | //meta[@http-equiv='content-language']/@content"
    ):
        code = str(value).strip().lower().replace("_", "-").split("-")[0]
        if len(code) >= 2:
            return code[:2]
    return None


def language(text: str, tree: HtmlElement) -> str | None:
    """py3langid on the text, unless it is short or unsure (< 0.9) and the page declares `<html lang>`."""
    if not text.strip():
        return declared_language(tree)
    declared = declared_language(tree)
    if declared and len(text) < MIN_LANGID_CHARS:
        return declared
    detected, confidence = _identifier().classify(text[:LANGID_CHARS])
    if declared and detected != declared and confidence < LANGID_CONFIDENCE:
        return declared
    return str(detected)[:2] if detected else declared
