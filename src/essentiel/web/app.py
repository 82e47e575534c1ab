"""The web app: server-rendered pages over the store, opened read-only for each request.

The page rendering (`Links`, `render` and the `*_context` functions) is shared with the static site writer
(`essentiel.publish.site`), so a page looks the same served or written to files.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import StoreError
from ..models import Article, Edition, RankedStory
from ..publish.feeds import edition_json_feed, edition_rss
from ..store import Store, open_store
from .i18n import LANGUAGES, Translator, choose_language, entity_kind, supported

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
LANG_COOKIE = "essentiel_lang"
EDITION_DAYS = 14  # how many earlier editions the edition page links to
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
    " base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
T = TypeVar("T")


@dataclass(frozen=True)
class Links:
    """Where pages are: served (`/story/<id>`) or written as files relative to the current page (`../story/<id>.html`)."""

    root: str = "/"
    static_site: bool = False

    def _page(self, folder: str, name: str) -> str:
        if self.static_site:
            return f"{self.root}{folder}/{file_name(name)}.html"
        return f"{self.root}{folder}/{quote(name, safe='')}"

    def home(self) -> str:
        return f"{self.root}index.html" if self.static_site else self.root

    def edition(self, day: date) -> str:
        return self._page("edition", day.isoformat())

    def story(self, story_id: str) -> str:
        return self._page("story", story_id)

    def article(self, article_id: str) -> str:
        return self._page("article", article_id)

    def static(self, name: str) -> str:
        return f"{self.root}static/{name}"

    def feed(self, kind: str) -> str:
        return f"{self.root}feed.{kind}"

    @property
    def search(self) -> str | None:
        """The search page, or None in a static site (it has no server to search with)."""
        return None if self.static_site else f"{self.root}search"


def file_name(key: str) -> str:
    """A file-system and URL safe name for an id (ids are usually hex already, then unchanged)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", key).lstrip(".") or "_"


def paragraphs(text: str) -> list[str]:
    """Plain article text as paragraphs: one per non-empty line."""
    return [line.strip() for line in (text or "").split("\n") if line.strip()]


def outlet_name(article: Article) -> str:
    return article.site_name or article.outlet_key


@lru_cache(maxsize=1)
def template_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(entity_kind=entity_kind, outlet_name=outlet_name, paragraphs=paragraphs)
    return env


def render(template: str, *, t: Translator, links: Links, site_title: str, **context: Any) -> str:
    """One page as HTML. `switch_url` (the same page in the other UI language) is optional."""
    context.setdefault("switch_url", None)
    context.setdefault("q", "")
    page = template_env().get_template(template)
    return page.render(t=t, lang=t.lang, links=links, site_title=site_title, **context)


def sentence_article_ids(items: Iterable[RankedStory]) -> list[str]:
    ids: dict[str, None] = {}
    for item in items:
        for sentence in item.summary.sentences:
            ids[sentence.article] = None
    return list(ids)


def edition_context(store: Store, edition: Edition | None, days: list[date]) -> dict[str, Any]:
    """What the edition page shows: the ranked stories and the articles their sentences come from."""
    articles = {a.id: a for a in store.get_articles(sentence_article_ids(edition.stories))} if edition else {}
    return {"edition": edition, "articles": articles, "days": days}


def find_ranked(store: Store, story_id: str, days: int = 60) -> tuple[Edition, RankedStory] | None:
    """The newest edition that ranked this story, and its place there."""
    for day in store.edition_days(days):
        edition = store.latest_edition(day)
        if edition is None:
            continue
        for item in edition.stories:
            if item.story.id == story_id:
                return edition, item
    return None


def group_by_outlet(articles: Iterable[Article]) -> list[tuple[str, list[Article]]]:
    """Articles grouped by outlet: the outlets with the most articles first, then by name."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(outlet_name(article), []).append(article)
    return sorted(groups.items(), key=lambda g: (-len(g[1]), g[0].lower()))


def story_context(store: Store, story_id: str) -> dict[str, Any] | None:
    """What the story page shows, or None when the story is unknown."""
    found = find_ranked(store, story_id)
    edition, item = found if found else (None, None)
    story = item.story if item else store.get_story(story_id)
    if story is None:
        return None
    ids = list(dict.fromkeys([*story.article_ids, *sentence_article_ids([item] if item else [])]))
    articles = {a.id: a for a in store.get_articles(ids)}
    coverage = [articles[i] for i in story.article_ids if i in articles]
    languages = sorted({a.language for a in coverage if a.language})
    return {
        "edition": edition,
        "item": item,
        "story": story,
        "title": (item.summary.title if item else "")
        or story.title
        or (coverage[0].title if coverage else ""),
        "articles": articles,
        "groups": group_by_outlet(coverage),
        "outlet_count": len(item.outlets) if item and item.outlets else len({a.outlet_key for a in coverage}),
        "languages": list(item.languages) if item and item.languages else languages,
        "article_count": len(coverage),
    }


def article_context(store: Store, article_id: str) -> dict[str, Any] | None:
    article = store.get_article(article_id)
    if article is None:
        return None
    return {
        "article": article,
        "story_id": store.story_of(article_id),
        "paragraphs": paragraphs(article.text),
    }


class _Site:
    """The request handlers, sharing the app's configuration."""

    def __init__(self, db_path: Path, ui_language: str, title: str) -> None:
        self.db_path = db_path
        self.ui_language = supported(ui_language) or "fr"
        self.title = title

    def read(self, fn: Callable[[Store], T], default: T) -> T:
        """Run `fn` on the store opened read-only; `default` when there is no database (yet)."""
        if not self.db_path.exists():
            return default
        try:
            with open_store(self.db_path, readonly=True) as store:
                return fn(store)
        except StoreError as exc:
            log.warning("store unavailable path=%s error=%s", self.db_path, exc)
            return default
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise
            log.warning("store not initialised path=%s error=%s", self.db_path, exc)
            return default

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        query_lang = supported(request.query_params.get("lang"))
        lang = choose_language(
            query_lang,
            request.cookies.get(LANG_COOKIE),
            request.headers.get("accept-language"),
            self.ui_language,
        )
        other = next(code for code in LANGUAGES if code != lang)
        params = {**request.query_params, "lang": other}
        root_path = str(request.scope.get("root_path") or "").rstrip("/")  # served behind a path prefix
        html = render(
            template,
            t=Translator(lang),
            links=Links(root=f"{root_path}/"),
            site_title=self.title,
            switch_url=f"?{urlencode(params)}",
            switch_lang=other,
            **context,
        )
        response = HTMLResponse(
            html, status_code=status, headers={**SECURITY_HEADERS, "Vary": "Accept-Language, Cookie"}
        )
        if query_lang:
            response.set_cookie(LANG_COOKIE, query_lang, max_age=365 * 86400, samesite="lax", httponly=True)
        return response

    def index(self, request: Request) -> Response:
        def load(store: Store) -> dict[str, Any]:
            return edition_context(store, store.latest_edition(), store.edition_days(EDITION_DAYS))

        return self.page(request, "edition.html", **self.read(load, edition_context_empty()))

    def edition(self, request: Request) -> Response:
        try:
            day = date.fromisoformat(request.path_params["day"])
        except ValueError:
            raise HTTPException(404) from None

        def load(store: Store) -> dict[str, Any] | None:
            edition = store.latest_edition(day)
            return edition_context(store, edition, store.edition_days(EDITION_DAYS)) if edition else None

        context = self.read(load, None)
        if context is None:
            raise HTTPException(404)
        return self.page(request, "edition.html", **context)

    def story(self, request: Request) -> Response:
        story_id = request.path_params["story_id"]
        context = self.read(lambda store: story_context(store, story_id), None)
        if context is None:
            raise HTTPException(404)
        return self.page(request, "story.html", **context)

    def article(self, request: Request) -> Response:
        article_id = request.path_params["article_id"]
        context = self.read(lambda store: article_context(store, article_id), None)
        if context is None:
            raise HTTPException(404)
        return self.page(request, "article.html", **context)

    def search(self, request: Request) -> Response:
        q = request.query_params.get("q", "").strip()[:200]

        def load(store: Store) -> list[Article]:
            try:
                return store.search_articles(q, limit=50)
            except sqlite3.OperationalError as exc:  # a query FTS5 cannot parse finds nothing
                log.info("search failed q=%r error=%s", q, exc)
                return []

        no_results: list[Article] = []
        results = self.read(load, no_results) if q else no_results
        return self.page(request, "search.html", q=q, results=results)

    def _feed_data(self) -> tuple[Edition | None, dict[str, Article]]:
        def load(store: Store) -> tuple[Edition | None, dict[str, Article]]:
            edition = store.latest_edition()
            ids = sentence_article_ids(edition.stories) if edition else []
            return edition, {a.id: a for a in store.get_articles(ids)}

        nothing: tuple[Edition | None, dict[str, Article]] = (None, {})
        return self.read(load, nothing)

    def feed_xml(self, request: Request) -> Response:
        edition, articles = self._feed_data()
        base = str(request.base_url).rstrip("/")
        xml = edition_rss(edition, base, articles=articles, title=self.title)
        return Response(xml, media_type="application/rss+xml; charset=utf-8")

    def feed_json(self, request: Request) -> Response:
        edition, articles = self._feed_data()
        base = str(request.base_url).rstrip("/")
        feed = edition_json_feed(edition, base, articles=articles, title=self.title)
        return JSONResponse(feed, media_type="application/feed+json")

    def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def not_found(self, request: Request, exc: Exception) -> Response:
        return self.page(request, "error.html", status=404)


def edition_context_empty() -> dict[str, Any]:
    return {"edition": None, "articles": {}, "days": []}


def create_app(db_path: str | Path, *, ui_language: str = "fr", title: str = "essentiel") -> Starlette:
    """The web app over the database at `db_path` (which may not exist yet: the empty state is shown)."""
    site = _Site(Path(db_path), ui_language, title)
    routes = [
        Route("/", site.index, name="index"),
        Route("/edition/{day}", site.edition, name="edition"),
        Route("/story/{story_id}", site.story, name="story"),
        Route("/article/{article_id}", site.article, name="article"),
        Route("/search", site.search, name="search"),
        Route("/feed.xml", site.feed_xml, name="feed_xml"),
        Route("/feed.json", site.feed_json, name="feed_json"),
        Route("/healthz", site.healthz, name="healthz"),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={404: site.not_found})
