"""The admin pages and the `web.public` setting: token login, signed session, CSRF on every form, actions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from essentiel.config import Config, load_config
from essentiel.store import open_store
from essentiel.web import create_app
from essentiel.web.auth import SESSION_COOKIE, Auth
from test_web import Client, build_store

TOKEN = "correct horse battery staple"


class AdminClient(Client):
    def __enter__(self) -> AdminClient:
        return self

    def post(self, path: str, **kwargs: object) -> httpx.Response:
        return self.runner.run(self.http.post(path, **kwargs))  # type: ignore[arg-type]

    def login(self, token: str = TOKEN) -> httpx.Response:
        page = self.get("/admin")
        csrf = _hidden(page.text, "csrf")
        return self.post("/admin/login", data={"token": token, "csrf": csrf})


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match is not None, f"no hidden {name} field"
    return match.group(1)


def config_for(tmp_path: Path, **extra: str) -> Config:
    env = {"ESSENTIEL_GENERAL_DATABASE": str(tmp_path / "t.db"), "ESSENTIEL_WEB_ADMIN_TOKEN": TOKEN, **extra}
    return load_config(None, env=env)


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[AdminClient]:
    db = build_store(tmp_path / "t.db")
    with AdminClient(create_app(db, config=config_for(tmp_path))) as client:
        yield client


def test_anonymous_requests_are_refused(admin: AdminClient) -> None:
    page = admin.get("/admin")
    assert page.status_code == 401 and 'type="password"' in page.text
    for path in ("/admin/sources/add", "/admin/sources/1/remove", "/admin/rebuild"):
        assert admin.post(path, data={"url": "https://x.example/feed"}).status_code == 401, path
    assert admin.get("/").status_code == 200  # reading is public by default


def test_login_needs_the_csrf_token_and_the_right_token(admin: AdminClient) -> None:
    admin.get("/admin")
    assert admin.post("/admin/login", data={"token": TOKEN}).status_code == 403  # no CSRF token
    assert admin.post("/admin/login", data={"token": TOKEN, "csrf": "forged"}).status_code == 403
    wrong = admin.login("guess")
    assert wrong.status_code == 401 and "Jeton incorrect." in wrong.text
    assert SESSION_COOKIE not in admin.cookies
    ok = admin.login()
    assert ok.status_code == 303 and ok.headers["location"] == "/admin"
    assert admin.get("/admin").status_code == 200


def test_actions_need_the_session_csrf_token(admin: AdminClient, tmp_path: Path) -> None:
    admin.login()
    dashboard = admin.get("/admin").text
    csrf = _hidden(dashboard, "csrf")
    feed = "https://www.example.org/feed.xml"
    assert admin.post("/admin/sources/add", data={"url": feed}).status_code == 403
    assert admin.post("/admin/sources/add", data={"url": feed, "csrf": csrf[:-1] + "0"}).status_code == 403
    with open_store(tmp_path / "t.db", readonly=True) as store:
        assert store.get_source(feed) is None
    done = admin.post(
        "/admin/sources/add", data={"url": feed, "name": "Example", "category": "Monde", "csrf": csrf}
    )
    assert done.status_code == 303
    with open_store(tmp_path / "t.db", readonly=True) as store:
        state = store.get_source(feed)
        assert state is not None and state.source.category == "Monde"
    assert "Example" in admin.get("/admin").text
    removed = admin.post(f"/admin/sources/{state.source.id}/remove", data={"csrf": csrf})
    assert removed.status_code == 303 and "removed" in removed.headers["location"]
    with open_store(tmp_path / "t.db", readonly=True) as store:
        assert store.get_source(feed) is None
    assert admin.post("/admin/logout", data={}).status_code == 403
    assert admin.post("/admin/logout", data={"csrf": csrf}).status_code == 303
    assert admin.get("/admin").status_code == 401


def test_bearer_token_needs_no_cookie(admin: AdminClient, tmp_path: Path) -> None:
    feed = "https://bearer.example/feed"
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert (
        admin.post(
            "/admin/sources/add", data={"url": feed}, headers={"Authorization": "Bearer nope"}
        ).status_code
        == 401
    )
    assert admin.post("/admin/sources/add", data={"url": feed}, headers=bearer).status_code == 303
    with open_store(tmp_path / "t.db", readonly=True) as store:
        assert store.get_source(feed) is not None


def test_private_reading(tmp_path: Path) -> None:
    db = build_store(tmp_path / "t.db")
    with AdminClient(create_app(db, config=config_for(tmp_path, ESSENTIEL_WEB_PUBLIC="false"))) as client:
        for path in ("/", "/story/s-pensions", "/search?q=x", "/feed.xml", "/archive"):
            response = client.get(path)
            assert response.status_code == 401 and "Les députés" not in response.text, path
        assert client.get("/api/editions").status_code == 401
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/editions", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        client.login()
        assert "Les députés ont voté" in client.get("/").text


def test_admin_disabled_without_a_token(tmp_path: Path) -> None:
    db = build_store(tmp_path / "t.db")
    with AdminClient(create_app(db)) as client:
        page = client.get("/admin")
        assert page.status_code == 401 and "désactivée" in page.text
        assert client.post("/admin/rebuild", headers={"Authorization": "Bearer "}).status_code == 401


def test_sessions_are_signed_and_expire() -> None:
    auth = Auth(TOKEN)
    session = auth.new_session(now=1_000_000)
    assert auth.session_ok(session, now=1_000_010)
    assert not auth.session_ok(session, now=1_000_000 + 8 * 86400)
    assert not auth.session_ok("1000000." + "0" * 64, now=1_000_010)
    assert not Auth("another token").session_ok(session, now=1_000_010)
    assert not Auth("").session_ok(session, now=1_000_010)


def test_rebuild_builds_todays_edition(admin: AdminClient, tmp_path: Path) -> None:
    with open_store(tmp_path / "t.db", readonly=True) as store:
        before = store.count("editions")
    admin.login()
    csrf = _hidden(admin.get("/admin").text, "csrf")
    assert admin.post("/admin/rebuild", data={}).status_code == 403
    done = admin.post("/admin/rebuild", data={"csrf": csrf})
    assert done.status_code == 303 and "rebuilt" in done.headers["location"]
    with open_store(tmp_path / "t.db", readonly=True) as store:
        assert store.count("editions") == before + 1
        edition = store.latest_edition()
        assert edition is not None and edition.stories


def test_pause_and_resume_a_source(admin: AdminClient, tmp_path: Path) -> None:
    admin.login()
    csrf = _hidden(admin.get("/admin").text, "csrf")
    feed = "https://pause.example/feed.xml"
    assert admin.post("/admin/sources/add", data={"url": feed, "name": "P", "csrf": csrf}).status_code == 303
    with open_store(tmp_path / "t.db", readonly=True) as store:
        state = store.get_source(feed)
        assert state is not None and not state.paused
    source_id = state.source.id
    assert admin.post(f"/admin/sources/{source_id}/pause", data={"paused": "1"}).status_code == 403  # no CSRF
    assert (
        admin.post(f"/admin/sources/{source_id}/pause", data={"paused": "1", "csrf": csrf}).status_code == 303
    )
    with open_store(tmp_path / "t.db", readonly=True) as store:
        paused = store.get_source(feed)
        assert paused is not None and paused.paused
    assert "Reprendre" in admin.get("/admin").text
    assert (
        admin.post(f"/admin/sources/{source_id}/pause", data={"paused": "0", "csrf": csrf}).status_code == 303
    )
    with open_store(tmp_path / "t.db", readonly=True) as store:
        resumed = store.get_source(feed)
        assert resumed is not None and not resumed.paused
