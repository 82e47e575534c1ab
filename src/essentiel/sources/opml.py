"""OPML subscription lists: read them into Sources, write Sources back (grouped by category).

Reading: every <outline> with an `xmlUrl` is a feed (`type="sitemap"` makes it a sitemap); one with only an
`htmlUrl` (or a `url`) is a page. The name is `title`, else `text`. The category is the title of the
enclosing outlines, joined with " / " when nested, else the outline's own `category` attribute.
Optional attributes: `language`, `country`, `weight`, `independent`, `fullPage`, `kind` (written by
`to_opml`, so that a written file reads back to the same Sources).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from essentiel.errors import ParseError
from essentiel.models import Source

log = logging.getLogger(__name__)

CATEGORY_SEPARATOR = " / "
_KINDS = ("feed", "sitemap", "page", "article")


def parse_opml(content: bytes, origin: str) -> list[Source]:
    """The sources of an OPML document; `origin` (a file name or URL) names it in errors."""
    if not content.strip():
        raise ParseError(origin, "empty OPML file")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(origin, f"not valid OPML: broken XML ({' '.join(str(exc).split())})") from None
    if not isinstance(root.tag, str) or etree.QName(root).localname.lower() != "opml":
        raise ParseError(origin, f"not OPML: the root element is <{etree.QName(root).localname}>, not <opml>")
    body = next((el for el in root if isinstance(el.tag, str) and el.tag.lower() == "body"), None)
    if body is None:
        raise ParseError(origin, "not valid OPML: no <body> element")
    sources: list[Source] = []
    seen: set[str] = set()
    for outline, parents in _outlines(body, ()):
        source = _source(outline, parents, origin)
        if source is None:
            continue
        if source.url in seen:
            log.info("%s: duplicate source %s ignored", origin, source.url)
            continue
        seen.add(source.url)
        sources.append(source)
    return sources


def _outlines(element: Any, parents: tuple[str, ...]) -> Iterator[tuple[Any, tuple[str, ...]]]:
    """Every <outline> below `element`, with the titles of the outlines that contain it."""
    for child in element:
        if not isinstance(child.tag, str) or child.tag.lower() != "outline":
            continue
        yield child, parents
        title = (child.get("title") or child.get("text") or "").strip()
        is_folder = not any(child.get(key) for key in ("xmlUrl", "xmlurl", "htmlUrl", "url"))
        yield from _outlines(child, (*parents, title) if title and is_folder else parents)


def _source(outline: Any, parents: tuple[str, ...], origin: str) -> Source | None:
    feed_url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
    page_url = (outline.get("htmlUrl") or outline.get("url") or "").strip()
    url = feed_url or page_url
    if not url:
        return None  # a folder
    kind = (outline.get("kind") or "").strip().lower()
    if kind not in _KINDS:
        kind = (
            "sitemap"
            if (outline.get("type") or "").lower() == "sitemap"
            else ("feed" if feed_url else "page")
        )
    category = CATEGORY_SEPARATOR.join(parents) or _category_attribute(outline.get("category"))
    try:
        weight = float(outline.get("weight") or 1.0)
    except ValueError:
        raise ParseError(
            origin, f"outline {url}: weight must be a number, not {outline.get('weight')!r}"
        ) from None
    return Source(
        url=url,
        name=(outline.get("title") or outline.get("text") or "").strip(),
        kind=kind,
        language=(outline.get("language") or "").strip() or None,
        country=(outline.get("country") or "").strip() or None,
        category=category or None,
        weight=weight,
        independent=_flag(outline.get("independent"), True),
        full_page=_flag(outline.get("fullPage"), True),
    )


def _category_attribute(value: str | None) -> str:
    """OPML 2.0 `category`: comma-separated, slash-delimited paths ('/Monde/Europe'); the first one."""
    first = (value or "").split(",", 1)[0].strip().strip("/")
    return CATEGORY_SEPARATOR.join(part.strip() for part in first.split("/") if part.strip())


def _flag(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() not in ("false", "0", "no")


def to_opml(sources: Iterable[Source], title: str = "essentiel") -> str:
    """An OPML 2.0 document: one folder outline per category (in first-seen order), then the rest."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    etree.SubElement(head, "dateCreated").text = now
    body = etree.SubElement(root, "body")
    groups: dict[str, list[Source]] = {}
    for source in sources:
        groups.setdefault(source.category or "", []).append(source)
    for category, members in groups.items():
        parent = body
        if category:
            parent = etree.SubElement(body, "outline", text=category, title=category)
        for source in members:
            etree.SubElement(parent, "outline", _attributes(source))
    text = etree.tostring(root, encoding="unicode", pretty_print=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text


def _attributes(source: Source) -> dict[str, str]:
    name = source.name or source.url
    attributes = {"text": name, "title": name}
    if source.kind in ("feed", "sitemap"):
        attributes["type"] = "rss" if source.kind == "feed" else "sitemap"
        attributes["xmlUrl"] = source.url
    else:
        attributes["type"] = "link"
        attributes["htmlUrl"] = source.url
        attributes["kind"] = source.kind
    optional = {
        "language": source.language,
        "country": source.country,
        "weight": None if source.weight == 1.0 else repr(source.weight),
        "independent": None if source.independent else "false",
        "fullPage": None if source.full_page else "false",
    }
    attributes.update({key: value for key, value in optional.items() if value is not None})
    return attributes
