"""The latest editions as a static HTML site, rendered with the web app's templates.

Layout: index.html (the latest edition), edition/<day>.html, story/<id>.html, article/<id>.html,
archive.html (calendars), dossiers.html, dossier/<key>.html, entity/<key>.html, feed.xml, feed.atom,
feed.json, feeds/category/<category>.{xml,atom,json}, feeds/dossier/<key>.{xml,atom,json} and static/. Every
link is relative, so the folder can be opened from disk or served from any path. Pages only link to pages the
site holds. The same store gives byte-identical files.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from ..models import Edition
from ..store import Store
from ..store.views import slug
from ..web.context import (
    archive_context,
    article_context,
    dossier_context,
    dossiers_context,
    edition_context,
    entity_context,
    feed_context,
    sentence_article_ids,
    story_context,
    timeline_days,
)
from ..web.i18n import Translator
from ..web.render import STATIC, Links, file_name, render
from .feeds import FEED_TYPES, render_feed

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
    dossier_keys = _dossier_keys(store, story_ids)
    article_ids = _write_stories(writer, store, story_ids, set(day_list), dossier_keys)
    # An older edition's sentences may cite articles that the story's newest version no longer shows.
    cited = [i for edition in editions for i in sentence_article_ids(edition.stories)]
    _write_articles(writer, store, dict.fromkeys([*article_ids, *cited]), set(story_ids))
    writer.page("archive.html", "archive.html", ROOT, archive_context(store, only=set(day_list)))
    _write_dossiers(writer, store, dossier_keys, set(story_ids))
    _write_entities(writer, store, editions, set(story_ids))
    _write_feeds(writer, store, base_url, ui_language, dossier_keys, set(story_ids))
    writer.static()
    log.info("static site written out_dir=%s editions=%d stories=%d", out_dir, len(editions), len(story_ids))
    return sorted(writer.written)


def _write_stories(
    writer: _Writer, store: Store, story_ids: Iterable[str], days: set[date], dossier_keys: set[str]
) -> list[str]:
    """Write the story pages; returns the ids of the articles they link to."""
    article_ids: dict[str, None] = {}
    for story_id in story_ids:
        context = story_context(store, story_id)
        if context is None:
            continue
        if context["edition_day"] is not None and context["edition_day"] not in days:
            context["edition_day"] = None  # ranked in an older edition than the site holds
        context["timeline"] = [p for p in context["timeline"] if p.day in days]
        coverage = [context["articles"][i] for i in context["story"].article_ids if i in context["articles"]]
        context["timeline_days"] = timeline_days(context["timeline"], coverage)
        if context["dossier_key"] not in dossier_keys:
            context["dossier_key"] = None
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


def _dossier_keys(store: Store, story_ids: Iterable[str]) -> set[str]:
    """The dossiers with a story among `story_ids` (those the site has a page for)."""
    wanted = set(story_ids)
    keys: set[str] = set()
    for dossier in store.dossiers():
        found = store.dossier_stories(dossier.slug)
        if found and any(item.story.id in wanted for _, item in found[1]):
            keys.add(dossier.slug)
    return keys


def _write_dossiers(writer: _Writer, store: Store, keys: set[str], story_ids: set[str]) -> None:
    """The dossiers page and one page per dossier with a story in the site."""
    writer.page("dossiers.html", "dossiers.html", ROOT, dossiers_context(store, only=keys))
    for key in sorted(keys):
        context = dossier_context(store, key, only=story_ids)
        if context is not None:
            writer.page(f"dossier/{file_name(key)}.html", "dossier.html", NESTED, context)


def _write_entities(writer: _Writer, store: Store, editions: list[Edition], story_ids: set[str]) -> None:
    """One page per person, place or organisation of the site's stories (one per key: `slug` of the name)."""
    names: dict[str, str] = {}
    for edition in editions:
        for item in edition.stories:
            for text, _label in item.entities:
                names.setdefault(slug(text) or "_", text)
    for key, name in sorted(names.items()):
        context = entity_context(store, name, only=story_ids)
        if context is not None:
            writer.page(f"entity/{file_name(key)}.html", "entity.html", NESTED, context)


def _write_feeds(
    writer: _Writer,
    store: Store,
    base_url: str,
    ui_language: str,
    dossier_keys: Iterable[str],
    story_ids: set[str],
) -> None:
    """The latest edition's feeds, and those of each of its categories and of each dossier, in every format."""
    options: dict[str, Any] = {"title": writer.title, "ui_language": ui_language, "links": ROOT}
    edition = store.latest_edition()
    categories = store.story_categories(edition.stories) if edition else {}
    scopes: list[tuple[str, str, Callable[[str, str], str] | None]] = [("edition", "", None)]
    scopes += [
        ("category", key, ROOT.category_feed) for key in sorted({file_name(c) for c in categories.values()})
    ]
    scopes += [("dossier", key, ROOT.dossier_feed) for key in sorted(dossier_keys)]
    for scope, key, path in scopes:
        found = feed_context(store, scope, key, only=story_ids if scope == "dossier" else None)
        if found is None:
            continue
        self_path = (lambda kind, path=path, key=key: path(key, kind)) if path else ROOT.feed
        for kind in FEED_TYPES:
            body = render_feed(kind, base_url=base_url, self_path=self_path, **options, **found)
            writer.text(self_path(kind), body)
