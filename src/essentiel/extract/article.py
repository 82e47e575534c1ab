"""Turn one HTML page into a clean `Article`: trafilatura for the body and metadata, plus news cleanup rules.

Steps: decode the bytes, parse, strip social embeds from the tree, run trafilatura in precision mode
(falling back to recall mode, then to its baseline extractor when the text is implausibly short), then
apply the rules of `essentiel.extract.cleanup` (kicker, repeated title, lead, embeds, boilerplate).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import logging
import re
from collections.abc import Iterator
from copy import deepcopy
from datetime import UTC, date, datetime
from typing import Any

import py3langid
from lxml.html import HtmlElement
from trafilatura import bare_extraction, baseline, extract_metadata
from trafilatura.settings import Document, set_date_params
from trafilatura.utils import load_html

from essentiel.errors import ParseError
from essentiel.extract import cleanup
from essentiel.extract.sites import SiteRule, rule_for
from essentiel.models import Article, outlet_of, stable_id

logger = logging.getLogger(__name__)

MIN_PLAUSIBLE_CHARS = 200  # below this, try the next, more recall-oriented extraction
MIN_ARTICLE_CHARS = 80  # below this (after cleanup), there is no article
MIN_PARAGRAPH_WORDS = 8  # ... and at least one line must read like a sentence
MIN_LANGID_CHARS = 50  # shorter texts fall back to <html lang>
PRECISION: dict[str, Any] = {"favor_precision": True, "include_comments": False, "include_tables": False}
RECALL: dict[str, Any] = {"favor_recall": True, "include_comments": False, "include_tables": False}
STANDFIRST_CLASSES = (
    "chapo",
    "chapeau",
    "standfirst",
    "lede",
    "article__desc",
    "article-lead",
    "article__lead",
)
STANDFIRST_XPATH = "//*[self::p or self::div or self::h2 or self::span][{}]".format(
    " or ".join(f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')" for c in STANDFIRST_CLASSES)
)
STANDFIRST_MAX_CHARS = 800
ARTICLE_TYPES = frozenset(
    {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle"}
    | {"ReviewNewsArticle", "BlogPosting", "LiveBlogPosting", "Report"}
)

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w:.-]+)""", re.I)
_HTML_TAG = re.compile(r"<\s*(!doctype|html|head|body|p|div|article|main|meta|title|h1|section)\b", re.I)


def extract_article(
    html: str | bytes,
    url: str | None = None,
    *,
    source: str = "",
    article_id: str | None = None,
    encoding: str | None = None,
) -> Article:
    """Extract a clean news article from an HTML page.

    `encoding` is the charset from the HTTP Content-Type header, if known (the page's own <meta charset>
    is used otherwise). Raises ParseError when the page holds no usable article text.
    """
    where = source or url or "html"
    tree = _parse(html if isinstance(html, str) else decode_html(html, encoding))
    if tree is None:
        raise ParseError(where, "no article text found")
    rule = rule_for(outlet_of(url or _canonical(tree)))
    _preclean(tree, rule)

    meta, body = _run_trafilatura(tree, url)
    if meta is None:
        meta = extract_metadata(deepcopy(tree), url)
    ld = _jsonld_article(tree)

    full_title = " ".join((meta.title or _str(ld.get("headline"))).split())
    kicker, title = cleanup.split_kicker(full_title)
    lead, text, byline = cleanup.clean_body(
        body, titles=(full_title, title), description=meta.description or "", lead=_standfirst(tree)
    )
    if rule and rule.boilerplate:
        text = "\n".join(ln for ln in text.splitlines() if not any(p.search(ln) for p in rule.boilerplate))
    if not _usable(text):
        logger.info("%s: no article text after cleanup (%d chars)", where, len(text))
        raise ParseError(where, "no article text found")

    final_url = url or meta.url or _canonical(tree) or ""
    site_name = meta.sitename or None
    return Article(
        id=article_id or stable_id(url or _digest(html), prefix="a-"),
        url=final_url,
        title=title,
        text=text,
        kicker=kicker,
        lead=lead,
        authors=cleanup.clean_authors(meta.author.split(";") if meta.author else _ld_authors(ld)) or byline,
        published=_published(tree, ld, meta.date),
        language=_language(text, tree),
        site_name=site_name,
        image=meta.image or None,
        source=source,
        outlet=outlet_of(final_url) or (site_name or "").strip().lower(),
    )


def _digest(html: str | bytes) -> str:
    """SHA-1 of the page as received (str pages are hashed as UTF-8)."""
    raw = html.encode("utf-8", errors="replace") if isinstance(html, str) else html
    return hashlib.sha1(raw).hexdigest()


def _preclean(tree: HtmlElement, rule: SiteRule | None) -> None:
    """Work on the HTML before trafilatura: the site rule's XPath prunes, then social embeds and share bars."""
    if rule and rule.prune_xpath:
        for element in tree.xpath(" | ".join(rule.prune_xpath)):
            if element.getparent() is not None:
                element.drop_tree()
    cleanup.strip_embeds(tree)


def decode_html(data: bytes, encoding: str | None = None) -> str:
    """Decode page bytes: BOM, then the HTTP charset, then <meta charset>, then UTF-8 (errors replaced)."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    match = _META_CHARSET.search(data[:4096])
    candidates = [encoding, match.group(1).decode("ascii", "replace") if match else None]
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return data.decode(candidate, errors="replace")
        except LookupError:
            logger.debug("unknown charset %r, ignored", candidate)
    return data.decode("utf-8", errors="replace")


def _parse(text_html: str) -> HtmlElement | None:
    """Parse an HTML string; None when it is empty, not HTML, or mostly undecodable bytes."""
    if not _HTML_TAG.search(text_html[:20000]):
        return None
    noise = sum(1 for ch in text_html if ch == "\ufffd" or (ch < " " and ch not in "\t\n\r"))
    if noise > 0.05 * len(text_html):
        return None
    try:
        tree = load_html(text_html)
    except (ValueError, TypeError):
        return None
    return tree if isinstance(tree, HtmlElement) else None


def _standfirst(tree: HtmlElement) -> str:
    """The chapô marked up as such (class "chapo", "standfirst", "lede", "article__desc"...), or ''."""
    for element in tree.xpath(STANDFIRST_XPATH)[:1]:
        text = " ".join(element.text_content().split())
        if cleanup.LEAD_MIN_CHARS <= len(text) <= STANDFIRST_MAX_CHARS:
            return text
    return ""


def _run_trafilatura(tree: HtmlElement, url: str | None) -> tuple[Document | None, str]:
    """Return (metadata document, body text): precision first, then recall, then the baseline extractor."""
    meta: Document | None = None
    best = ""
    for options in (PRECISION, RECALL):
        # No date guessed from the body text ("Passed in January 2009" is not the publication date):
        # only markup, metadata and the URL count.
        dates = set_date_params(extensive=False)
        doc = bare_extraction(tree, url=url, with_metadata=True, date_extraction_params=dates, **options)
        if not isinstance(doc, Document):
            continue
        meta = meta or doc
        text = doc.text or ""
        if len(text) >= MIN_PLAUSIBLE_CHARS:
            return meta, text
        best = max(best, text, key=len)
        logger.debug("short extraction (%d chars) with %s, trying next", len(text), options)
    _, text, _ = baseline(tree)
    return meta, max(best, text, key=len)


def _usable(text: str) -> bool:
    """An article has some length and at least one line that reads like a sentence."""
    return len(text) >= MIN_ARTICLE_CHARS and any(
        len(line.split()) >= MIN_PARAGRAPH_WORDS for line in text.splitlines()
    )


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _jsonld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
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


def _jsonld_article(tree: HtmlElement) -> dict[str, Any]:
    """The first JSON-LD object typed as a news article ({} when there is none)."""
    for item in _jsonld_objects(tree):
        types = item.get("@type")
        types = types if isinstance(types, list) else [types]
        if any(t in ARTICLE_TYPES for t in types):
            return item
    return {}


def _ld_authors(ld: dict[str, Any]) -> list[str]:
    authors = ld.get("author")
    authors = authors if isinstance(authors, list) else [authors]
    names = [a.get("name") if isinstance(a, dict) else a for a in authors]
    return [n for n in names if isinstance(n, str)]


def _parse_datetime(value: str | None) -> datetime | None:
    """An ISO date or datetime as a timezone-aware datetime (naive values are taken as UTC)."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return None
        parsed = datetime(day.year, day.month, day.day)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _published(tree: HtmlElement, ld: dict[str, Any], fallback: str | None) -> datetime | None:
    """JSON-LD datePublished, then article:published_time, then trafilatura's (htmldate) date."""
    metas = tree.xpath("//meta[@property='article:published_time' or @itemprop='datePublished']/@content")
    for value in (_str(ld.get("datePublished")), *(str(v) for v in metas), fallback):
        parsed = _parse_datetime(value)
        if parsed:
            return parsed
    return None


def _canonical(tree: HtmlElement) -> str | None:
    links = tree.xpath("//link[@rel='canonical']/@href")
    return str(links[0]).strip() if links else None


def _language(text: str, tree: HtmlElement) -> str | None:
    """py3langid on the body text; the page's <html lang> for short texts. Two-letter code."""
    if len(text) >= MIN_LANGID_CHARS:
        lang, _score = py3langid.classify(text[:5000])
        if lang:
            return str(lang)[:2]
    declared = tree.xpath("/html/@lang")
    if declared:
        code = str(declared[0]).strip().lower().replace("_", "-").split("-")[0]
        return code[:2] if len(code) >= 2 else None
    return None
