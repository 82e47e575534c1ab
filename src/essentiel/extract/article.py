"""Turn one HTML page into a clean `Article`: trafilatura for the body and metadata, plus news cleanup rules.

Steps: decode the bytes, parse once, strip social embeds from the tree, run trafilatura in its balanced mode
(falling back to recall mode, then to its baseline extractor when the text is implausibly short), read the
metadata from one `metadata.PageIndex` pass, then apply the rules of `essentiel.extract.cleanup` (kicker,
repeated title, lead, embeds, boilerplate, paywall notices). The HTML byline search, which prunes the tree,
runs last and only when no other source names a person.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
from copy import deepcopy
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement
from trafilatura import bare_extraction, baseline
from trafilatura.settings import Document
from trafilatura.utils import load_html

from essentiel.errors import ParseError
from essentiel.extract import cleanup, metadata
from essentiel.extract.metadata import ArticleDetails
from essentiel.extract.pagemeta import html_byline, page_metadata
from essentiel.extract.sites import SiteRule, rule_for
from essentiel.models import Article, outlet_of, stable_id

logger = logging.getLogger(__name__)

FAST_ABOVE_CHARS = (
    2_500_000  # above this (the largest of 1,248 real dev pages is 2.2 MB), no backup extractors
)
MAX_HTML_CHARS = 5_000_000  # bigger pages are cut (the largest of 1,248 real dev pages is 2.2 MB)
MIN_PLAUSIBLE_CHARS = 200  # below this, try the next, more recall-oriented extraction
MIN_ARTICLE_CHARS = 80  # below this (after cleanup), there is no article
MIN_PARAGRAPH_WORDS = 8  # ... and at least one line must read like a sentence
MIN_UNSPACED_CHARS = 20  # ... or, in a script without spaces, hold this many of its characters
# The first pass is trafilatura's balanced mode: on the dev split it beat precision mode on F1 (0.917 vs 0.914)
# and body F1, while our cleanup rules keep precision above bare trafilatura (docs/extraction.md). Tables are
# kept: dev snippet recall 0.934 -> 0.942, precision 0.906 -> 0.905 (bare trafilatura: 0.889).
PRECISION: dict[str, Any] = {"include_comments": False, "include_tables": True}
RECALL: dict[str, Any] = {"favor_recall": True, "include_comments": False, "include_tables": True}
STANDFIRST_CLASSES = (
    "chapo",
    "chapeau",
    "standfirst",
    "lede",
    "article__desc",
    "article-lead",
    "article__lead",
)
STANDFIRST_MAX_CHARS = 800

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w:.-]+)""", re.I)
_SINGLE_BYTE_WESTERN = frozenset({"latin-1", "iso8859-1", "cp1252", "iso8859-15", "ascii"})
# scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar)
_UNSPACED = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
_NOISE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")
# the control characters of _NOISE, as bytes
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
# codecs (name prefixes) whose control bytes are these characters and nothing else (not UTF-16, nor ISO-2022's
# escapes): UTF-8 and the single-byte ASCII supersets
_ASCII_CONTROLS = ("utf-8", "ascii", "latin-1", "iso8859-", "cp125", "koi8-", "mac-")
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
    if len(html) > MAX_HTML_CHARS:
        logger.warning("%s: page of %d characters cut to %d", where, len(html), MAX_HTML_CHARS)
        html = html[:MAX_HTML_CHARS]
    source_html, codec = (html, "") if isinstance(html, str) else _decode(html, encoding)
    raw = html if isinstance(html, bytes) and codec.startswith(_ASCII_CONTROLS) else None
    tree = _parse(source_html, raw)
    if tree is None:
        raise ParseError(where, "no article text found")
    # the class rules below (embeds, standfirst, paywall box) run their XPath only when one of their class names
    # is in the page's class attributes (looking for the names in the page source instead was slower: they are
    # often in scripts and styles too, and each class XPath costs more than collecting the class attributes)
    classes = cleanup.page_classes(tree)
    rule = rule_for(outlet_of(url or _canonical(tree)))
    _preclean(tree, rule, classes, source_html)

    # On huge pages trafilatura's backup extractors (readability, justext) take minutes: skip them.
    body = _run_trafilatura(tree, url, fast=len(html) > FAST_ABOVE_CHARS)
    index = metadata.PageIndex(tree)  # one pass for all the metadata readers below
    ld = metadata.jsonld_article(index)
    published = metadata.published(index, ld, None)
    meta = page_metadata(tree, url, need_date=published is None)

    head = metadata.headline(
        index,
        ld,
        meta.title or "",
        meta.sitename or "",
        url or meta.url or "",
        rule.title_sources if rule else (),
    )
    kicker, title = head.kicker, head.title
    # a site rule that trusts another source than the page's visible headline: that one leaves the body too
    titles = (head.full, title, *(head.others if rule and rule.title_sources else ()))
    lead, text, byline, teaser = cleanup.clean_body(
        body,
        titles=titles,
        description=meta.description or "",
        lead=_standfirst(tree, classes),
    )
    if rule and rule.boilerplate:
        text = "\n".join(ln for ln in text.splitlines() if not any(p.search(ln) for p in rule.boilerplate))
    if not _usable(text):
        logger.info("%s: no article text after cleanup (%d chars)", where, len(text))
        raise ParseError(where, "no article text found")

    final_url = url or web_url(meta.url) or web_url(next(iter(index.link("canonical")), "")) or ""
    site_name = meta.sitename or None
    article = Article(
        id=article_id or stable_id(url or _digest(html), prefix="a-"),
        url=final_url,
        title=title,
        text=text,
        kicker=kicker,
        lead=lead,
        published=published or metadata.parse_datetime(meta.date),
        language=metadata.language(text, tree),
        site_name=site_name,
        image=web_url(meta.image, final_url),
        source=source,
        outlet=outlet_of(final_url) or (site_name or "").strip().lower(),
        modified=metadata.modified(index, ld),
        section=metadata.section(index, ld),
        tags=metadata.tags(index, ld),
        canonical_url=web_url(metadata.canonical(index), final_url),
        paywalled=teaser or metadata.paywalled(index, ld, classes),
    )
    # last: the byline search in the HTML prunes the tree in place
    return replace(article, authors=_authors(tree, meta, ld, byline, final_url))


def _authors(
    tree: HtmlElement, meta: Document, ld: dict[str, Any], byline: tuple[str, ...], url: str
) -> tuple[str, ...]:
    """The authors, from the most to the least trusted source that names a person:

    1. the JSON-LD article's authors, names as written ("María R. Sahuquillo"); a newsroom byline there
       ("Guardian staff reporter", "MND Staff") counts when it is all the JSON-LD gives;
    2. the meta-tag authors as trafilatura reads them ("María R Sahuquillo");
    3. a "Par …/By …" line at the top of the body;
    4. trafilatura's byline search in the HTML, names of two words or more only (a single word there is
       newsroom initials, "Amw", or a first name, "Eddie").
    The publisher's name is dropped when a person remains; a wire agency stays beside a person ("Adam Vidler",
    "AP") but alone names nobody. When no source names a person, the JSON-LD authors as the publisher wrote
    them ("dpa", "sportschau.de", "kicker", "Le Figaro et AFP"), else what the sources gave.

    Destroys `tree` when it reaches the HTML byline search: call it last."""
    outlet = outlet_of(url)
    orgs = [meta.sitename or "", outlet, outlet.rsplit(".", 1)[0], *metadata.ld_organisations(ld)]
    ld_names = metadata.ld_authors(ld)
    authors = (
        cleanup.clean_authors(ld_names)
        or cleanup.clean_authors(ld_names, keep_roles=True)
        or cleanup.clean_authors(meta.author.split(";") if meta.author else ())
        or byline
    )
    found = metadata.people(authors, orgs)
    if not metadata.names_a_person(found):
        html = html_byline(tree)
        names = cleanup.clean_authors(html.split(";")) if html else ()
        found = metadata.people([n for n in names if len(n.split()) > 1], orgs)
    written = tuple(dict.fromkeys(" ".join(n.split()) for n in ld_names if n.strip()))
    return (found if metadata.names_a_person(found) else ()) or written or tuple(authors)


def web_url(value: str | None, base: str = "") -> str | None:
    """An http(s) URL from a page's metadata, made absolute against `base` ('//cdn/x.jpg', '/x.jpg'); None for
    anything else ('javascript:…', 'data:…'), so no stored URL can run script where it is shown."""
    value = (value or "").strip()
    if not value:
        return None
    absolute = urljoin(base, value) if base else ("https:" + value if value.startswith("//") else value)
    return absolute if urlsplit(absolute).scheme.lower() in ("http", "https") else None


def _digest(html: str | bytes) -> str:
    """SHA-1 of the page as received (str pages are hashed as UTF-8)."""
    raw = html.encode("utf-8", errors="replace") if isinstance(html, str) else html
    return hashlib.sha1(raw).hexdigest()


def _preclean(tree: HtmlElement, rule: SiteRule | None, classes: str, source_html: str) -> None:
    """Work on the HTML before trafilatura: the site rule's XPath prunes, then social embeds and share bars."""
    if rule and rule.prune_xpath:
        for element in tree.xpath(" | ".join(rule.prune_xpath)):
            if element.getparent() is not None:
                element.drop_tree()
    cleanup.strip_embeds(tree, classes, source_html)


def decode_html(data: bytes, encoding: str | None = None) -> str:
    """Decode page bytes: BOM, then the HTTP charset, then <meta charset>, then UTF-8 (errors replaced)."""
    return _decode(data, encoding)[0]


def _decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    """`decode_html`, and the name of the codec used."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(codec, errors="replace"), codec
    match = _META_CHARSET.search(data[:4096])
    candidates = [encoding, match.group(1).decode("ascii", "replace") if match else None]
    for candidate in candidates:
        if not candidate:
            continue
        try:
            codec = codecs.lookup(candidate).name
        except LookupError:
            logger.debug("unknown charset %r, ignored", candidate)
            continue
        if codec in _SINGLE_BYTE_WESTERN and not data.isascii():
            # a page declared Latin-1 whose bytes are valid UTF-8 is UTF-8 (the reverse is almost never true)
            try:
                return data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                pass
        return data.decode(codec, errors="replace"), codec
    return data.decode("utf-8", errors="replace"), "utf-8"


def _noise(text_html: str, raw: bytes | None) -> int:
    """How many control and replacement characters `text_html` holds. `raw`, when given, is the bytes it was
    decoded from with a codec that maps each control byte to the same character and uses no control byte
    otherwise (`_ASCII_CONTROLS`): the control characters are then counted on the bytes (bytes.translate is
    some ten times faster than a regular expression over the text; a page is 230 kB on average)."""
    if raw is None:
        return len(_NOISE.findall(text_html))
    return len(raw) - len(raw.translate(None, _CONTROL_BYTES)) + text_html.count("\ufffd")


def _parse(text_html: str, raw: bytes | None = None) -> HtmlElement | None:
    """Parse an HTML string; None when it is empty, not HTML, or mostly undecodable bytes."""
    if not _HTML_TAG.search(text_html[:20000]):
        return None
    if _noise(text_html, raw) > 0.05 * len(text_html):
        return None
    try:
        tree = load_html(text_html)
    except (ValueError, TypeError):
        return None
    return tree if isinstance(tree, HtmlElement) else None


def _standfirst(tree: HtmlElement, classes: str) -> str:
    """The chapô marked up as such (class "chapo", "standfirst", "lede", "article__desc"...), or ''.

    `classes` is a text holding every class name of the page (`cleanup.page_classes(tree)`, or the page source):
    only the class names that occur in it are looked for."""
    present = [name for name in STANDFIRST_CLASSES if name in classes]
    if not present:
        return ""
    for element in [e for e in cleanup.with_class(tree, present) if e.tag in ("p", "div", "h2", "span")][:1]:
        text = " ".join(element.text_content().split())
        if cleanup.LEAD_MIN_CHARS <= len(text) <= STANDFIRST_MAX_CHARS:
            return text
    return ""


def _run_trafilatura(tree: HtmlElement, url: str | None, *, fast: bool = False) -> str:
    """The body text: balanced mode first, then recall mode, then the baseline extractor, while it is short.

    trafilatura works on copies of the tree (`bare_extraction` copies it; `baseline` is given a deep copy, as
    it deletes scripts, and with them the JSON-LD read afterwards).
    """
    best = ""
    for options in (PRECISION, RECALL):
        doc = bare_extraction(tree, url=url, fast=fast, **options)
        text = (doc.text or "") if isinstance(doc, Document) else ""
        if len(text) >= MIN_PLAUSIBLE_CHARS:
            return text
        best = max(best, text, key=len)
        logger.debug("short extraction (%d chars) with %s, trying next", len(text), options)
    _, text, _ = baseline(deepcopy(tree))
    return max(best, text, key=len)


def _usable(text: str) -> bool:
    """An article has some length and at least one line that reads like a sentence."""
    return len(text) >= MIN_ARTICLE_CHARS and any(
        len(line.split()) >= MIN_PARAGRAPH_WORDS or len(_UNSPACED.findall(line)) >= MIN_UNSPACED_CHARS
        for line in text.splitlines()
    )


def _canonical(tree: HtmlElement) -> str | None:
    links = tree.xpath("//link[@rel='canonical']/@href")
    return str(links[0]).strip() if links else None


def extract_details(
    html: str | bytes, url: str | None = None, *, encoding: str | None = None
) -> ArticleDetails:
    """The page metadata beyond the text (the same values as on the `Article`): modified date, section, tags,
    canonical URL, paywall flag, and the language (py3langid on the text, checked against `<html lang>`).

    Raises ParseError like `extract_article` when the page holds no usable article.
    """
    article = extract_article(html, url, encoding=encoding)
    return ArticleDetails(
        modified=article.modified,
        section=article.section,
        tags=article.tags,
        canonical_url=article.canonical_url,
        paywalled=article.paywalled,
        language=article.language,
    )
