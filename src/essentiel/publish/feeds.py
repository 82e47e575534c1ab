"""An edition as a feed: RSS 2.0, Atom 1.0 or JSON Feed 1.1, one item per story, its essentiel as the content.

Every sentence of an essentiel is followed by a link to the article it came from: the original article when
the articles are given, else its reading view on the site. The same functions write the per-category and
per-dossier feeds (an `Edition` holding those stories, a `name`, a `self_path`, and when each item changed).
"""

from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from typing import Any, Protocol
from urllib.parse import quote

from ..models import Article, Edition, RankedStory
from ..web.i18n import Translator

log = logging.getLogger(__name__)

ATOM = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


class PageLinks(Protocol):
    """Paths of the site's pages (see `essentiel.web.app.Links`)."""

    def home(self) -> str: ...
    def story(self, story_id: str) -> str: ...
    def article(self, article_id: str) -> str: ...
    def feed(self, kind: str) -> str: ...


FEED_TYPES = {
    "xml": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}


class ServedLinks:
    """The web app's paths: `/story/<id>`, `/article/<id>`."""

    def home(self) -> str:
        return "/"

    def story(self, story_id: str) -> str:
        return f"/story/{quote(story_id, safe='')}"

    def article(self, article_id: str) -> str:
        return f"/article/{quote(article_id, safe='')}"

    def feed(self, kind: str) -> str:
        return f"/feed.{kind}"


class _Urls:
    """Absolute URLs when a base URL is known, else the site's relative paths."""

    def __init__(self, base_url: str, links: PageLinks | None) -> None:
        self.base = base_url.rstrip("/")
        self.links = links or ServedLinks()

    def __call__(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}" if self.base else path


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _source(sentence_article: str, articles: Mapping[str, Article], urls: _Urls) -> tuple[str, str]:
    """(label, url) of the article a sentence came from."""
    article = articles.get(sentence_article)
    if article is None:
        return "source", urls(urls.links.article(sentence_article))
    return (article.site_name or article.outlet_key), article.url


def story_html(item: RankedStory, articles: Mapping[str, Article], urls: _Urls, t: Translator) -> str:
    """A story's essentiel as HTML: each sentence followed by a link to its source."""
    parts = []
    for sentence in item.summary.sentences:
        label, url = _source(sentence.article, articles, urls)
        parts.append(f'{escape(sentence.text)} <a href="{escape(url)}">[{escape(label)}]</a>')
    html = f"<p>{' '.join(parts)}</p>"
    meta = [t.outlets(len(item.outlets), item.independent_outlets)] if item.outlets else []
    if item.languages:
        meta.append(", ".join(item.languages))
    if meta:
        html += f"<p><small>{escape(' · '.join(meta))}</small></p>"
    return html


def story_text(item: RankedStory, articles: Mapping[str, Article], urls: _Urls) -> str:
    lines = []
    for sentence in item.summary.sentences:
        label, url = _source(sentence.article, articles, urls)
        lines.append(f"{sentence.text} [{label}: {url}]")
    return "\n".join(lines)


def story_guid(item: RankedStory) -> str:
    """A story's item id: the same in every edition, so an updated story updates its item in feed readers."""
    return f"essentiel:story:{item.story.id}"


def category_filter(
    edition: Edition | None, categories: Mapping[str, str], wanted: str, key: Callable[[str], str] = str
) -> Edition | None:
    """The edition restricted to the stories of one category (compared through `key`), or None if none."""
    if edition is None:
        return None
    kept = tuple(item for item in edition.stories if key(categories.get(item.story.id, "")) == wanted)
    return replace(edition, stories=kept) if kept else None


def _feed_title(title: str, t: Translator, name: str = "") -> str:
    """'essentiel — Les nouvelles…', or a partial feed's name: a category (by its key) or a dossier."""
    return f"{title} — {t.category(name) or t('heading')}"


def _item_time(edition: Edition, item: RankedStory, updated: Mapping[str, datetime] | None) -> datetime:
    """When an item last changed: its own time when known (a dossier's stories come from several editions)."""
    return _utc((updated or {}).get(item.story.id) or edition.created_at)


def render_feed(kind: str, edition: Edition | None, base_url: str, **options: Any) -> str:
    """The feed as text in one of `FEED_TYPES` ('xml' for RSS, 'atom', 'json'); options as `edition_rss`."""
    if kind == "json":
        feed = edition_json_feed(edition, base_url, **options)
        return json.dumps(feed, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if kind == "atom":
        return edition_atom(edition, base_url, **options)
    if kind == "xml":
        return edition_rss(edition, base_url, **options)
    raise ValueError(f"unknown feed kind {kind!r} (one of {', '.join(FEED_TYPES)})")


def edition_rss(
    edition: Edition | None,
    base_url: str,
    *,
    articles: Mapping[str, Article] | None = None,
    title: str = "essentiel",
    ui_language: str | None = None,
    links: PageLinks | None = None,
    name: str = "",
    self_path: Callable[[str], str] | None = None,
    updated: Mapping[str, datetime] | None = None,
) -> str:
    """The edition as an RSS 2.0 document (a valid empty channel when there is no edition).

    `name` titles a partial feed (a category, a dossier); `self_path(kind)` is its own path (default: the
    edition's feed); `updated` (story id -> time) dates each item, else the edition's time is used.
    """
    urls = _Urls(base_url, links)
    t = Translator(ui_language or (edition.language if edition else "fr"))
    ET.register_namespace("atom", ATOM)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = _feed_title(title, t, name)
    ET.SubElement(channel, "link").text = urls(urls.links.home())
    ET.SubElement(channel, "description").text = t("heading")
    ET.SubElement(channel, "language").text = t.lang
    ET.SubElement(channel, "generator").text = "essentiel"
    if urls.base:
        href = urls((self_path or urls.links.feed)("xml"))
        ET.SubElement(
            channel, f"{{{ATOM}}}link", {"href": href, "rel": "self", "type": "application/rss+xml"}
        )
    if edition is not None:
        ET.SubElement(channel, "lastBuildDate").text = format_datetime(_utc(edition.created_at))
        for item in edition.stories:
            _rss_item(channel, item, _item_time(edition, item, updated), articles or {}, urls, t)
    ET.indent(rss)
    return ET.tostring(rss, encoding="unicode", xml_declaration=True) + "\n"


def _rss_item(
    channel: ET.Element,
    item: RankedStory,
    when: datetime,
    articles: Mapping[str, Article],
    urls: _Urls,
    t: Translator,
) -> None:
    node = ET.SubElement(channel, "item")
    ET.SubElement(node, "title").text = item.summary.title or item.story.title
    ET.SubElement(node, "link").text = urls(urls.links.story(item.story.id))
    ET.SubElement(node, "description").text = story_html(item, articles, urls, t)
    guid = ET.SubElement(node, "guid", {"isPermaLink": "false"})
    guid.text = story_guid(item)
    ET.SubElement(node, "pubDate").text = format_datetime(when)
    for text, _label in item.entities:
        ET.SubElement(node, "category").text = text


def edition_json_feed(
    edition: Edition | None,
    base_url: str,
    *,
    articles: Mapping[str, Article] | None = None,
    title: str = "essentiel",
    ui_language: str | None = None,
    links: PageLinks | None = None,
    name: str = "",
    self_path: Callable[[str], str] | None = None,
    updated: Mapping[str, datetime] | None = None,
) -> dict[str, Any]:
    """The edition as a JSON Feed 1.1 object (no items when there is no edition)."""
    urls = _Urls(base_url, links)
    t = Translator(ui_language or (edition.language if edition else "fr"))
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": _feed_title(title, t, name),
        "home_page_url": urls(urls.links.home()),
        "feed_url": urls((self_path or urls.links.feed)("json")),
        "description": t("heading"),
        "language": t.lang,
        "items": [],
    }
    if edition is None:
        return feed
    for item in edition.stories:
        when = _item_time(edition, item, updated).isoformat()
        feed["items"].append(_json_item(item, articles or {}, urls, t, when))
    return feed


def _json_item(
    item: RankedStory,
    articles: Mapping[str, Article],
    urls: _Urls,
    t: Translator,
    published: str,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": story_guid(item),
        "url": urls(urls.links.story(item.story.id)),
        "title": item.summary.title or item.story.title,
        "content_html": story_html(item, articles, urls, t),
        "content_text": story_text(item, articles, urls),
        "summary": item.summary.text,
        "date_published": published,
        "date_modified": published,
        "_essentiel": {
            "rank": item.rank,
            "outlets": list(item.outlets),
            "languages": list(item.languages),
            "sentences": [
                {"text": s.text, "article": s.article, "url": _source(s.article, articles, urls)[1]}
                for s in item.summary.sentences
            ],
        },
    }
    if item.entities:
        entry["tags"] = [text for text, _label in item.entities]
    return entry


def edition_atom(
    edition: Edition | None,
    base_url: str,
    *,
    articles: Mapping[str, Article] | None = None,
    title: str = "essentiel",
    ui_language: str | None = None,
    links: PageLinks | None = None,
    name: str = "",
    self_path: Callable[[str], str] | None = None,
    updated: Mapping[str, datetime] | None = None,
) -> str:
    """The edition as an Atom 1.0 document: one entry per story, its id stable across editions."""
    urls = _Urls(base_url, links)
    t = Translator(ui_language or (edition.language if edition else "fr"))
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": t.lang})
    feed_updated = _utc(edition.created_at).isoformat() if edition else "1970-01-01T00:00:00+00:00"
    ET.SubElement(feed, "title").text = _feed_title(title, t, name)
    ET.SubElement(feed, "subtitle").text = t("heading")
    feed_id = urls(self_path("atom")) if self_path else urls(urls.links.home())  # a partial feed: its own URL
    ET.SubElement(feed, "id").text = feed_id or "essentiel:feed"
    ET.SubElement(feed, "updated").text = feed_updated
    ET.SubElement(feed, "generator").text = "essentiel"
    ET.SubElement(feed, "link", {"href": urls(urls.links.home()), "rel": "alternate"})
    if urls.base:
        ET.SubElement(feed, "link", {"href": urls((self_path or urls.links.feed)("atom")), "rel": "self"})
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = title
    for item in edition.stories if edition else ():
        when = _item_time(edition, item, updated) if edition else _utc(datetime.now(UTC))
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "title").text = item.summary.title or item.story.title
        ET.SubElement(entry, "id").text = story_guid(item)
        ET.SubElement(entry, "link", {"href": urls(urls.links.story(item.story.id))})
        ET.SubElement(entry, "updated").text = when.isoformat()
        ET.SubElement(entry, "summary").text = item.summary.text
        content = ET.SubElement(entry, "content", {"type": "html"})
        content.text = story_html(item, articles or {}, urls, t)
        for text, _label in item.entities:
            ET.SubElement(entry, "category", {"term": text})
    ET.indent(feed)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"
