"""The web app: server-rendered pages over the store, opened read-only for each request.

The page rendering (`Links`, `render`, in render.py) and what each page shows (context.py) are shared with
the static site writer (`essentiel.publish.site`), so a page looks the same served or written to files.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..config import Config
from ..errors import StoreError
from ..publish.feeds import FEED_TYPES, render_feed
from ..store import PostgresDsn, Store, StoreLocation, open_store, parse_location
from .admin import Admin
from .api import Api, search_params
from .auth import Auth
from .context import (
    archive_context,
    article_context,
    dossier_context,
    dossiers_context,
    edition_context,
    edition_context_empty,
    entity_context,
    feed_context,
    search_context,
    search_context_empty,
    sentence_article_ids,
    sources_context,
    story_context,
)
from .i18n import LANGUAGES, Translator, choose_language, supported
from .ops import ops_routes
from .render import STATIC, Links, file_name, render

__all__ = [
    "STATIC",
    "Links",
    "article_context",
    "create_app",
    "edition_context",
    "file_name",
    "render",
    "sentence_article_ids",
    "story_context",
]

log = logging.getLogger(__name__)

LANG_COOKIE = "essentiel_lang"
EDITION_DAYS = 14  # how many earlier editions the edition page links to
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self';"
    " form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
T = TypeVar("T")


def _day_param(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


class Site:
    """The request handlers, sharing the app's configuration."""

    def __init__(self, db_path: StoreLocation, ui_language: str, title: str, config: Config | None) -> None:
        self.db_path = db_path
        self.ui_language = supported(ui_language) or "fr"
        self.title = title
        self.config = config
        self.public = bool(config["web.public"]) if config else True
        self.auth = Auth(str(config["web.admin_token"]) if config else "")

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

    def may_read(self, request: Request) -> bool:
        return self.public or self.auth.is_admin(request)

    def plain(self, text: str, status: int) -> Response:
        return PlainTextResponse(text, status_code=status, headers=SECURITY_HEADERS)

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
        context.setdefault("admin", self.auth.is_admin(request))
        html = render(
            template,
            t=Translator(lang),
            links=Links(root=f"{root_path}/"),
            site_title=self.title,
            switch_url=f"?{urlencode(params)}",
            switch_lang=other,
            **context,
        )
        headers = {**SECURITY_HEADERS, "Vary": "Accept-Language, Cookie"}
        response = HTMLResponse(html, status_code=status, headers=headers)
        if query_lang:
            response.set_cookie(LANG_COOKIE, query_lang, max_age=365 * 86400, samesite="lax", httponly=True)
        return response

    def reader(self, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        """A reading page: open to all when `web.public`, else only to the admin (the login form otherwise)."""

        def guarded(request: Request) -> Response:
            if not self.may_read(request):
                return self.admin.login_page(request)
            return handler(request)

        return guarded

    def index(self, request: Request) -> Response:
        def load(store: Store) -> dict[str, Any]:
            return edition_context(store, store.latest_edition(), store.edition_days(EDITION_DAYS))

        return self.page(request, "edition.html", **self.read(load, edition_context_empty()))

    def edition(self, request: Request) -> Response:
        day = _day_param(request.path_params["day"])
        if day is None:
            raise HTTPException(404)

        def load(store: Store) -> dict[str, Any] | None:
            edition = store.latest_edition(day)
            return edition_context(store, edition, store.edition_days(EDITION_DAYS)) if edition else None

        return self._found(request, "edition.html", self.read(load, None))

    def _found(self, request: Request, template: str, context: dict[str, Any] | None) -> Response:
        if context is None:
            raise HTTPException(404)
        return self.page(request, template, **context)

    def story(self, request: Request) -> Response:
        story_id = request.path_params["story_id"]
        return self._found(request, "story.html", self.read(lambda s: story_context(s, story_id), None))

    def article(self, request: Request) -> Response:
        article_id = request.path_params["article_id"]
        return self._found(request, "article.html", self.read(lambda s: article_context(s, article_id), None))

    def entity(self, request: Request) -> Response:
        name = request.path_params["name"][:200]
        return self._found(request, "entity.html", self.read(lambda s: entity_context(s, name), None))

    def archive(self, request: Request) -> Response:
        empty: dict[str, Any] = {"months": [], "day_count": 0}
        return self.page(request, "archive.html", **self.read(archive_context, empty))

    def sources(self, request: Request) -> Response:
        empty: dict[str, Any] = {"sources": []}
        return self.page(request, "sources.html", **self.read(sources_context, empty))

    def dossiers(self, request: Request) -> Response:
        empty: dict[str, Any] = {"dossiers": []}
        return self.page(request, "dossiers.html", **self.read(dossiers_context, empty))

    def dossier(self, request: Request) -> Response:
        key = request.path_params["key"][:200]
        return self._found(request, "dossier.html", self.read(lambda s: dossier_context(s, key), None))

    def search(self, request: Request) -> Response:
        q, filters = search_params(request, _day_param)
        context = self.read(lambda s: search_context(s, q, filters), search_context_empty(q, filters))
        return self.page(request, "search.html", **context)

    def feed(self, request: Request) -> Response:
        """The latest edition's feed, or a category's or a dossier's, as RSS, Atom or JSON Feed."""
        kind = request.path_params.get("kind", "xml")
        if kind not in FEED_TYPES:
            raise HTTPException(404)
        scope = "edition"
        key = request.path_params.get("category") or request.path_params.get("dossier") or ""
        links = Links(root=str(request.scope.get("root_path") or "").rstrip("/") + "/")
        self_path: Callable[[str], str] = links.feed
        if "category" in request.path_params:
            scope, self_path = "category", lambda k: links.category_feed(key, k)
        elif "dossier" in request.path_params:
            scope, self_path = "dossier", lambda k: links.dossier_feed(key, k)
        nothing: dict[str, Any] = {"edition": None, "articles": {}, "name": "", "updated": {}}
        found = self.read(lambda s: feed_context(s, scope, key), nothing if scope == "edition" else None)
        if found is None:
            raise HTTPException(404)
        base = f"{request.url.scheme}://{request.url.netloc}"
        body = render_feed(kind, base_url=base, title=self.title, links=links, self_path=self_path, **found)
        return Response(body, media_type=FEED_TYPES[kind], headers=SECURITY_HEADERS)

    async def not_found(self, request: Request, exc: Exception) -> Response:
        return self.page(request, "error.html", status=404)

    def routes(self) -> list[BaseRoute]:
        self.admin = Admin(self)
        pages = [
            ("/", self.index, "index"),
            ("/edition/{day}", self.edition, "edition"),
            ("/story/{story_id}", self.story, "story"),
            ("/article/{article_id}", self.article, "article"),
            ("/entity/{name}", self.entity, "entity"),
            ("/archive", self.archive, "archive"),
            ("/sources", self.sources, "sources"),
            ("/search", self.search, "search"),
            ("/dossiers", self.dossiers, "dossiers"),
            ("/dossier/{key}", self.dossier, "dossier"),
            ("/feed.{kind:str}", self.feed, "feed"),
            ("/feeds/category/{category}.{kind}", self.feed, "category_feed"),
            ("/feeds/dossier/{dossier}.{kind}", self.feed, "dossier_feed"),
        ]
        routes: list[BaseRoute] = [Route(path, self.reader(fn), name=name) for path, fn, name in pages]
        routes += [*ops_routes(self), *Api(self).routes(), *self.admin.routes()]  # ops: /healthz, /metrics
        routes.append(Mount("/static", app=StaticFiles(directory=STATIC), name="static"))
        return routes


def create_app(
    db_path: str | Path | PostgresDsn,
    *,
    ui_language: str | None = None,
    title: str = "essentiel",
    config: Config | None = None,
) -> Starlette:
    """The web app over the database at `db_path` (which may not exist yet: the empty state is shown).

    With `config`, the admin pages use `web.admin_token`, reading pages follow `web.public` and the default
    UI language is `general.ui_language` (an explicit `ui_language` wins).
    """
    default_language = ui_language or (str(config["general.ui_language"]) if config else "fr")
    site = Site(parse_location(db_path), default_language, title, config)
    return Starlette(routes=site.routes(), exception_handlers={404: site.not_found})
