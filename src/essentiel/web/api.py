"""The JSON API under /api/: editions, stories, articles, sources and search, described at /api/openapi.json."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..models import Article, Edition, RankedStory
from ..store import Store
from ..store.views import SearchFilters, StoryHit
from .context import story_context

if TYPE_CHECKING:
    from .app import Site

log = logging.getLogger(__name__)


def story_json(item: RankedStory) -> dict[str, Any]:
    return {
        "id": item.story.id,
        "rank": item.rank,
        "title": item.summary.title or item.story.title,
        "score": item.score,
        "why": dict(item.why),
        "sentences": [{"text": s.text, "article": s.article} for s in item.summary.sentences],
        "outlets": list(item.outlets),
        "languages": list(item.languages),
        "entities": [{"text": text, "label": label} for text, label in item.entities],
        "article_ids": list(item.story.article_ids),
        "category": item.category,
        "dossier": item.dossier,
    }


def hit_json(hit: StoryHit) -> dict[str, Any]:
    return {
        "id": hit.story_id,
        "day": hit.day.isoformat(),
        "title": hit.title,
        "summary": hit.summary,
        "languages": list(hit.languages),
        "outlets": list(hit.outlets),
        "category": hit.category,
        "dossier": hit.dossier,
    }


def edition_json(edition: Edition) -> dict[str, Any]:
    return {
        "day": edition.day.isoformat(),
        "created_at": edition.created_at.isoformat(),
        "language": edition.language,
        "stories": [story_json(item) for item in edition.stories],
    }


def article_json(article: Article, full: bool = False) -> dict[str, Any]:
    data = {"id": article.id, **article.to_json(), "outlet": article.outlet_key}
    if not full:
        data.pop("text")
    return data


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise HTTPException(400, f"not a date (YYYY-MM-DD): {text}") from None


def search_params(request: Request, day: Callable[[str | None], date | None]) -> tuple[str, SearchFilters]:
    """The words and filters of a search (`source` is another name for `outlet`); `day` reads the dates."""
    params = request.query_params
    return params.get("q", "").strip()[:200], SearchFilters(
        language=params.get("language") or None,
        outlet=params.get("outlet") or params.get("source") or None,
        category=params.get("category") or None,
        since=day(params.get("since")),
        until=day(params.get("until")),
    )


class Api:
    def __init__(self, site: Site) -> None:
        self.site = site

    def _get(self, request: Request, load: Any) -> Response:
        """Run `load(store)`; None means 404. Reading is guarded like the pages (`web.public`)."""
        if not self.site.may_read(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        data = self.site.read(load, None)
        if data is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse(data)

    async def editions(self, request: Request) -> Response:
        def load(store: Store) -> list[dict[str, Any]]:
            return [{"day": d.isoformat(), "stories": n} for d, n in store.edition_calendar()]

        return self._get(request, load)

    async def edition(self, request: Request) -> Response:
        key = request.path_params["day"]
        day = None if key == "latest" else _day(key)

        def load(store: Store) -> dict[str, Any] | None:
            edition = store.latest_edition(day)
            return edition_json(edition) if edition else None

        return self._get(request, load)

    async def story(self, request: Request) -> Response:
        story_id = request.path_params["story_id"]

        def load(store: Store) -> dict[str, Any] | None:
            context = story_context(store, story_id)
            if context is None:
                return None
            item = context["item"]
            return {
                "id": story_id,
                "title": context["title"],
                "ranked": story_json(item) if item else None,
                "edition_day": context["edition_day"].isoformat() if context["edition_day"] else None,
                "articles": [article_json(a) for a in context["articles"].values()],
                "copies": {
                    original: [a.id for a in copies] for original, copies in context["copies"].items()
                },
                "timeline": [
                    {"day": p.day.isoformat(), "rank": p.rank, "score": p.score, "outlets": p.outlets}
                    for p in context["timeline"]
                ],
                "days": [
                    {
                        "day": d.day.isoformat(),
                        "rank": d.point.rank if d.point else None,
                        "articles": d.articles,
                        "outlets": d.outlets,
                    }
                    for d in context["timeline_days"]
                ],
                "dossier": {"key": context["dossier_key"], "label": context["dossier"]}
                if context["dossier"]
                else None,
            }

        return self._get(request, load)

    async def article(self, request: Request) -> Response:
        article_id = request.path_params["article_id"]

        def load(store: Store) -> dict[str, Any] | None:
            article = store.get_article(article_id)
            return (
                {**article_json(article, full=True), "story": store.story_of(article_id)} if article else None
            )

        return self._get(request, load)

    async def sources(self, request: Request) -> Response:
        def load(store: Store) -> list[dict[str, Any]]:
            return [
                {
                    "id": s.id,
                    "url": s.url,
                    "name": s.name,
                    "category": s.category,
                    "language": s.language,
                    "last_checked_at": s.last_checked_at.isoformat() if s.last_checked_at else None,
                    "error_count": s.error_count,
                    "last_error": s.last_error,
                    "articles_total": s.articles_total,
                    "articles_per_day": s.articles_per_day,
                    "daily": [{"day": d.isoformat(), "articles": n} for d, n in s.daily],
                    **{k: v.isoformat() if isinstance(v, datetime) else v for k, v in s.extra.items()},
                }
                for s in store.source_health(datetime.now(UTC))
            ]

        return self._get(request, load)

    async def search(self, request: Request) -> Response:
        q, filters = search_params(request, _day)
        try:
            limit = max(1, min(int(request.query_params.get("limit", "20")), 100))
        except ValueError:
            raise HTTPException(400, "limit must be a number") from None

        def load(store: Store) -> dict[str, Any]:
            return {
                "q": q,
                "stories": [hit_json(hit) for hit in store.search_stories(q, filters, limit)],
                "results": [article_json(a) for a in store.search(q, filters, limit)],
            }

        return self._get(request, load)

    async def dossiers(self, request: Request) -> Response:
        def load(store: Store) -> list[dict[str, Any]]:
            return [
                {
                    "key": d.slug,
                    "label": d.label,
                    "stories": d.stories,
                    "first_day": d.first_day.isoformat(),
                    "last_day": d.last_day.isoformat(),
                }
                for d in store.dossiers()
            ]

        return self._get(request, load)

    async def dossier(self, request: Request) -> Response:
        key = request.path_params["key"]

        def load(store: Store) -> dict[str, Any] | None:
            found = store.dossier_stories(key)
            if found is None:
                return None
            return {
                "key": key,
                "label": found[0],
                "stories": [{"day": day.isoformat(), **story_json(item)} for day, item in found[1]],
            }

        return self._get(request, load)

    async def entity(self, request: Request) -> Response:
        name = request.path_params["name"][:200]

        def load(store: Store) -> dict[str, Any] | None:
            stories = store.entity_stories(name)
            if not stories:
                return None
            return {
                "name": name,
                "label": store.entity_label(name),
                "stories": [{"day": day.isoformat(), **story_json(item)} for day, item in stories],
            }

        return self._get(request, load)

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_spec(self.site.title))

    def routes(self) -> list[Route]:
        return [
            Route("/api/openapi.json", self.openapi),
            Route("/api/editions", self.editions),
            Route("/api/editions/{day}", self.edition),
            Route("/api/stories/{story_id}", self.story),
            Route("/api/articles/{article_id}", self.article),
            Route("/api/sources", self.sources),
            Route("/api/search", self.search),
            Route("/api/dossiers", self.dossiers),
            Route("/api/dossiers/{key}", self.dossier),
            Route("/api/entities/{name}", self.entity),
        ]


def _op(summary: str, schema: str, params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    ok = {
        "description": "OK",
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }
    responses: dict[str, Any] = {
        "200": ok,
        "401": {"description": "reading needs the admin token (web.public = false)"},
    }
    if params and any(p["in"] == "path" for p in params):
        responses["404"] = {"description": "not found"}
    if params and any(p["name"] in {"day", "since", "until", "limit"} for p in params):
        responses["400"] = {"description": "a bad date (YYYY-MM-DD) or limit"}
    return {"get": {"summary": summary, "parameters": params or [], "responses": responses}}


def _param(name: str, where: str = "query", description: str = "", fmt: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if fmt:
        schema["format"] = fmt
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": schema,
    }


_OBJ: dict[str, Any] = {"type": "object"}
SCHEMAS: dict[str, Any] = {
    "EditionDays": {"type": "array", "items": {"type": "object", "properties": {"day": {"type": "string", "format": "date"}, "stories": {"type": "integer"}}}},
    "Edition": {"type": "object", "properties": {"day": {"type": "string", "format": "date"}, "created_at": {"type": "string", "format": "date-time"}, "language": {"type": "string"}, "stories": {"type": "array", "items": {"$ref": "#/components/schemas/RankedStory"}}}},
    "RankedStory": {"type": "object", "properties": {"id": {"type": "string"}, "rank": {"type": "integer"}, "title": {"type": "string"}, "score": {"type": "number"}, "why": _OBJ, "sentences": {"type": "array", "items": {"type": "object", "properties": {"text": {"type": "string"}, "article": {"type": "string"}}}}, "outlets": {"type": "array", "items": {"type": "string"}}, "languages": {"type": "array", "items": {"type": "string"}}, "entities": {"type": "array", "items": _OBJ}, "article_ids": {"type": "array", "items": {"type": "string"}}, "category": {"type": "string", "nullable": True}, "dossier": {"type": "string", "nullable": True}}},
    "Story": {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "ranked": {"$ref": "#/components/schemas/RankedStory"}, "edition_day": {"type": "string", "nullable": True}, "articles": {"type": "array", "items": {"$ref": "#/components/schemas/Article"}}, "copies": {"type": "object", "description": "original article id -> ids of its syndicated copies", "additionalProperties": {"type": "array", "items": {"type": "string"}}}, "timeline": {"type": "array", "items": _OBJ}, "days": {"type": "array", "items": _OBJ}, "dossier": {"type": "object", "nullable": True}}},
    "Article": {"type": "object", "properties": {"id": {"type": "string"}, "url": {"type": "string"}, "title": {"type": "string"}, "kicker": {"type": "string"}, "lead": {"type": "string"}, "text": {"type": "string"}, "authors": {"type": "array", "items": {"type": "string"}}, "published": {"type": "string", "nullable": True}, "language": {"type": "string", "nullable": True}, "outlet": {"type": "string"}, "site_name": {"type": "string", "nullable": True}, "image": {"type": "string", "nullable": True}, "source": {"type": "string"}, "story": {"type": "string", "nullable": True}}},
    "Sources": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "url": {"type": "string"}, "name": {"type": "string"}, "error_count": {"type": "integer"}, "last_error": {"type": "string", "nullable": True}, "last_checked_at": {"type": "string", "nullable": True}, "articles_per_day": {"type": "number"}, "daily": {"type": "array", "items": {"type": "object", "properties": {"day": {"type": "string", "format": "date"}, "articles": {"type": "integer"}}}}}}},
    "SearchResults": {"type": "object", "properties": {"q": {"type": "string"}, "stories": {"type": "array", "items": {"$ref": "#/components/schemas/StoryHit"}}, "results": {"type": "array", "items": {"$ref": "#/components/schemas/Article"}}}},
    "StoryHit": {"type": "object", "properties": {"id": {"type": "string"}, "day": {"type": "string", "format": "date"}, "title": {"type": "string"}, "summary": {"type": "string"}, "languages": {"type": "array", "items": {"type": "string"}}, "outlets": {"type": "array", "items": {"type": "string"}}, "category": {"type": "string", "nullable": True}, "dossier": {"type": "string", "nullable": True}}},
    "Dossiers": {"type": "array", "items": {"type": "object", "properties": {"key": {"type": "string"}, "label": {"type": "string"}, "stories": {"type": "integer"}, "first_day": {"type": "string", "format": "date"}, "last_day": {"type": "string", "format": "date"}}}},
    "StoryList": {"type": "object", "properties": {"key": {"type": "string"}, "name": {"type": "string"}, "label": {"type": "string", "nullable": True}, "stories": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/RankedStory"}, {"type": "object", "properties": {"day": {"type": "string", "format": "date"}}}]}}}},
}  # fmt: skip


def openapi_spec(title: str) -> dict[str, Any]:
    """The OpenAPI 3.0 description of the API."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"{title} API",
            "version": "1",
            "description": "The editions of essentiel, read-only.",
        },
        "paths": {
            "/api/editions": _op("Days that have an edition, newest first", "EditionDays"),
            "/api/editions/{day}": _op(
                "The latest edition of a day ('latest' for the newest)",
                "Edition",
                [_param("day", "path", "YYYY-MM-DD or 'latest'")],
            ),
            "/api/stories/{story_id}": _op(
                "A story: its essentiel, coverage and timeline", "Story", [_param("story_id", "path")]
            ),
            "/api/articles/{article_id}": _op(
                "An article, with its clean text", "Article", [_param("article_id", "path")]
            ),
            "/api/sources": _op("Every source and its health", "Sources"),
            "/api/search": _op(
                "Full-text search over stories and articles",
                "SearchResults",
                [
                    _param("q", description="words, all required; accents optional"),
                    _param("language", description="e.g. fr"),
                    _param("outlet", description="a source: its domain (lemonde.fr) or its name"),
                    _param("source", description="another name for outlet"),
                    _param("category", description="a category key, e.g. monde, economie"),
                    _param("since", fmt="date"),
                    _param("until", fmt="date"),
                    _param("limit", description="1 to 100, default 20 (of each kind)"),
                ],
            ),
            "/api/dossiers": _op("Every dossier, the most recent first", "Dossiers"),
            "/api/dossiers/{key}": _op(
                "A dossier's stories, newest day first",
                "StoryList",
                [_param("key", "path", "from /api/dossiers")],
            ),
            "/api/entities/{name}": _op(
                "The stories naming a person, place or organisation",
                "StoryList",
                [_param("name", "path", "case-insensitive")],
            ),
        },
        "components": {"schemas": SCHEMAS},
    }
