"""The latest editions as a static HTML site, rendered with the web app's templates.

Layout: index.html (the latest edition), edition/<day>.html, story/<id>.html, article/<id>.html, feed.xml,
feed.atom, feed.json,
feeds/category/<category>.xml and static/. Every link is relative, so the folder can be opened from disk or served from any
path. The same store gives byte-identical files.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from ..models import Article, Edition
from ..store import Store
from ..web.context import article_context, edition_context, sentence_article_ids, story_context
from ..web.i18n import Translator
from ..web.render import STATIC, Links, file_name, render
from .feeds import category_filter, edition_atom, edition_json_feed, edition_rss

log = logging.getLogger(__name__)

ROOT = Links(root="", static_site=True)
NESTED = Links(root="../", static_site=True)


class _Writer:
    def __init__(self, out_dir: Path, t: Translator, title: str) -> None:
        self.out_dir = out_dir
        self.t = t
        self.title = title
        self.written: list[Path] = []

    def text(self, relative: str, content: str) -> None:
        path = self.out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8", newline="\n")
        self.written.append(path)

    def page(self, relative: str, template: str, links: Links, context: dict[str, Any]) -> None:
        self.text(relative, render(template, t=self.t, links=links, site_title=self.title, **context))

    def static(self) -> None:
        for source in sorted(STATIC.iterdir()):
            if source.is_file():
                target = self.out_dir / "static" / source.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                self.written.append(target)


def _editions(store: Store, days: int) -> list[Edition]:
    """The latest edition of each of the last `days` days that have one, newest first."""
    found = (store.latest_edition(day) for day in store.edition_days(max(days, 1)))
    return [edition for edition in found if edition is not None]


def write_site(
    store: Store,
    out_dir: Path,
    *,
    ui_language: str = "fr",
    days: int = 7,
    base_url: str = "",
    title: str = "essentiel",
) -> list[Path]:
    """Write the site to `out_dir` and return the files written (sorted).

    `base_url` (where the site will be served, e.g. 'https://news.example.org/') makes the feeds' links
    absolute; without it they are relative to the site's root. Files from earlier runs are not removed.
    """
    out_dir = Path(out_dir)
    writer = _Writer(out_dir, Translator(ui_language), title)
    editions = _editions(store, days)
    day_list = [edition.day for edition in editions]
    writer.page(
        "index.html",
        "edition.html",
        ROOT,
        edition_context(store, editions[0] if editions else None, day_list),
    )
    for edition in editions:
        context = edition_context(store, edition, day_list)
        writer.page(f"edition/{edition.day.isoformat()}.html", "edition.html", NESTED, context)
    story_ids = list(dict.fromkeys(item.story.id for edition in editions for item in edition.stories))
    article_ids = _write_stories(writer, store, story_ids, set(day_list))
    # An older edition's sentences may cite articles that the story's newest version no longer shows.
    cited = [i for edition in editions for i in sentence_article_ids(edition.stories)]
    _write_articles(writer, store, dict.fromkeys([*article_ids, *cited]), set(story_ids))
    _write_feeds(writer, store, editions[0] if editions else None, base_url, ui_language)
    writer.static()
    log.info("static site written out_dir=%s editions=%d stories=%d", out_dir, len(editions), len(story_ids))
    return sorted(writer.written)


def _write_stories(writer: _Writer, store: Store, story_ids: Iterable[str], days: set[date]) -> list[str]:
    """Write the story pages; returns the ids of the articles they link to."""
    article_ids: dict[str, None] = {}
    for story_id in story_ids:
        context = story_context(store, story_id)
        if context is None:
            continue
        if context["edition_day"] is not None and context["edition_day"] not in days:
            context["edition_day"] = None  # ranked in an older edition than the site holds
        context["timeline"] = [p for p in context["timeline"] if p.day in days]
        article_ids.update(dict.fromkeys(context["articles"]))
        writer.page(f"story/{file_name(story_id)}.html", "story.html", NESTED, context)
    return list(article_ids)


def _write_articles(writer: _Writer, store: Store, article_ids: Iterable[str], story_ids: set[str]) -> None:
    for article_id in article_ids:
        context = article_context(store, article_id)
        if context is None:
            continue
        if context["story_id"] not in story_ids:
            context["story_id"] = None  # its story has no page in this site
        writer.page(f"article/{file_name(article_id)}.html", "article.html", NESTED, context)


def _write_feeds(
    writer: _Writer, store: Store, edition: Edition | None, base_url: str, ui_language: str
) -> None:
    articles: dict[str, Article] = {}
    if edition is not None:
        articles = {a.id: a for a in store.get_articles(sentence_article_ids(edition.stories))}
    options: dict[str, Any] = {
        "articles": articles,
        "title": writer.title,
        "ui_language": ui_language,
        "links": ROOT,
    }
    writer.text("feed.xml", edition_rss(edition, base_url, **options))
    writer.text("feed.atom", edition_atom(edition, base_url, **options))
    categories = store.story_categories(edition.stories) if edition else {}
    for category in sorted({file_name(c) for c in categories.values()}):
        part = category_filter(edition, categories, category, key=file_name)
        writer.text(f"feeds/category/{category}.xml", edition_rss(part, base_url, **options))
    feed = edition_json_feed(edition, base_url, **options)
    writer.text("feed.json", json.dumps(feed, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
