"""The admin pages: log in with the configured token, add/remove/pause sources, rebuild today's edition.

Every form carries a CSRF token; every action needs the admin session (or a Bearer token). The store is
opened writable only for the action, then closed.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..errors import EssentielError
from ..models import Source
from ..store import SourceState, Store, open_store
from .auth import SESSION_COOKIE, SESSION_SECONDS

if TYPE_CHECKING:
    from .app import Site

log = logging.getLogger(__name__)
PRE_COOKIE = "essentiel_pre"
Handler = Callable[[Request], Awaitable[Response]]


class Admin:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.auth = site.auth

    def _page(self, request: Request, status: int = 200, **context: Any) -> Response:
        context.setdefault("message", "")
        context.setdefault("sources", [])
        return self.site.page(
            request,
            "admin.html",
            status=status,
            admin=self.auth.is_admin(request),
            admin_enabled=self.auth.enabled,
            csrf=self.auth.csrf_token(request),
            can_rebuild=self.site.config is not None,
            can_pause=hasattr(Store, "set_source_paused"),
            **context,
        )

    def login_page(self, request: Request, status: int = 401, message: str = "") -> Response:
        """The login form, with a double-submit CSRF token tied to a fresh pre-session cookie."""
        pre = request.cookies.get(PRE_COOKIE) or secrets.token_hex(16)
        response = self._page(request, status, login_csrf=self.auth.login_csrf(pre), message=message)
        response.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="strict")
        return response

    async def dashboard(self, request: Request) -> Response:
        if not self.auth.is_admin(request):
            return self.login_page(request)
        none: list[SourceState] = []
        sources = self.site.read(lambda store: store.list_sources(), none)
        message = request.query_params.get("done", "")[:200]
        return self._page(request, sources=sources, login_csrf="", message=message)

    async def login(self, request: Request) -> Response:
        form = await request.form()
        csrf, token = str(form.get("csrf", "")), str(form.get("token", ""))
        expected = self.auth.login_csrf(request.cookies.get(PRE_COOKIE, ""))
        if not expected or not hmac.compare_digest(csrf, expected):
            log.warning("admin login refused: bad CSRF token")
            return self.site.plain("forbidden: missing or bad CSRF token", 403)
        if not self.auth.token_ok(token):
            log.warning("admin login refused: wrong token")
            return self.login_page(request, 401, message="wrong_token")
        response = RedirectResponse(self._url(request, "/admin"), status_code=303)
        response.set_cookie(
            SESSION_COOKIE, self.auth.new_session(), max_age=SESSION_SECONDS, httponly=True, samesite="strict"
        )
        return response

    def _url(self, request: Request, path: str) -> str:
        return str(request.scope.get("root_path") or "").rstrip("/") + path

    def action(self, work: Callable[[Store, Request, dict[str, str]], str]) -> Handler:
        """A POST handler: admin and CSRF checked, then `work` on the writable store; back to /admin."""

        async def handler(request: Request) -> Response:
            if not self.auth.is_admin(request):
                return self.site.plain("unauthorized: log in at /admin", 401)
            form = {k: str(v) for k, v in (await request.form()).items()}
            if not self.auth.csrf_ok(request, form.get("csrf", "")):
                log.warning("admin action refused: bad CSRF token path=%s", request.url.path)
                return self.site.plain("forbidden: missing or bad CSRF token", 403)

            def run() -> str:
                with open_store(self.site.db_path) as store:
                    return work(store, request, form)

            try:
                message = await run_in_threadpool(run)
            except EssentielError as exc:
                message = str(exc)
            log.info("admin action path=%s result=%s", request.url.path, message)
            return RedirectResponse(self._url(request, f"/admin?done={message[:80]}"), status_code=303)

        return handler

    async def logout(self, request: Request) -> Response:
        form = await request.form()
        if not self.auth.csrf_ok(request, str(form.get("csrf", ""))):
            return self.site.plain("forbidden: missing or bad CSRF token", 403)
        response = RedirectResponse(self._url(request, "/"), status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    def routes(self) -> list[Route]:
        return [
            Route("/admin", self.dashboard, name="admin"),
            Route("/admin/login", self.login, methods=["POST"], name="admin_login"),
            Route("/admin/logout", self.logout, methods=["POST"], name="admin_logout"),
            Route("/admin/sources/add", self.action(add_source), methods=["POST"], name="admin_add"),
            Route("/admin/sources/{source_id:int}/remove", self.action(remove_source), methods=["POST"]),
            Route("/admin/sources/{source_id:int}/pause", self.action(pause_source), methods=["POST"]),
            Route("/admin/rebuild", self.action(self.rebuild), methods=["POST"], name="admin_rebuild"),
        ]

    def rebuild(self, store: Store, request: Request, form: dict[str, str]) -> str:
        if self.site.config is None:
            return "rebuild needs the configuration"
        from ..pipeline import build_edition

        edition = build_edition(store, self.site.config)
        return f"edition {edition.day.isoformat()} rebuilt ({len(edition.stories)} stories)"


def add_source(store: Store, request: Request, form: dict[str, str]) -> str:
    url = form.get("url", "").strip()
    if not url.startswith(("http://", "https://")):
        return "a source needs an http(s) URL"
    source = store.add_source(
        Source(
            url=url,
            name=form.get("name", "").strip(),
            kind=form.get("kind", "feed")
            if form.get("kind") in {"feed", "sitemap", "page", "article"}
            else "feed",
            language=form.get("language", "").strip() or None,
            category=form.get("category", "").strip() or None,
        )
    )
    return f"source {source.id} added"


def remove_source(store: Store, request: Request, form: dict[str, str]) -> str:
    source_id = str(request.path_params["source_id"])
    return f"source {source_id} removed" if store.remove_source(source_id) else f"no source {source_id}"


def pause_source(store: Store, request: Request, form: dict[str, str]) -> str:
    source_id = int(request.path_params["source_id"])
    setter = getattr(store, "set_source_paused", None)
    if setter is None:
        return "pausing sources needs a newer store"
    paused = form.get("paused", "1") == "1"
    setter(source_id, paused)
    return f"source {source_id} {'paused' if paused else 'resumed'}"
