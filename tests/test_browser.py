"""The web app in a real headless Chromium (Debian's, through Playwright), served by uvicorn on loopback.

Skipped when /usr/bin/chromium or the playwright package is missing.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from essentiel.config import load_config
from essentiel.models import Edition, Summary
from essentiel.store import open_store
from essentiel.web import create_app
from test_web import PENSIONS, STORM, WHEN, _free_port, build_store

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
TOKEN = "browser-token"
EVIL = '"><img src=x onerror="window.__pwned=1">'

if not Path(CHROMIUM).exists():
    pytest.skip(f"no {CHROMIUM}", allow_module_level=True)
if importlib.util.find_spec("playwright") is None:
    pytest.skip("the playwright package is not installed", allow_module_level=True)


def hostile_store(path: Path) -> Path:
    """The test_web store, plus a newer edition whose first title tries to inject markup."""
    build_store(path)
    evil = replace(
        PENSIONS, summary=Summary(PENSIONS.story.id, f"Réforme {EVIL}", PENSIONS.summary.sentences)
    )
    with open_store(path) as store:
        later = WHEN.replace(hour=9)
        store.save_edition(Edition(day=date(2026, 11, 25), created_at=later, stories=(evil, STORM)))
    return path


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    folder = tmp_path_factory.mktemp("browser")
    env = {"ESSENTIEL_GENERAL_DATABASE": str(folder / "t.db"), "ESSENTIEL_WEB_ADMIN_TOKEN": TOKEN}
    app = create_app(hostile_store(folder / "t.db"), config=load_config(None, env=env))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page whose console errors, uncaught exceptions and dialogs are recorded."""

    def __init__(self, browser: Any, **options: Any) -> None:
        self.page = browser.new_page(**options)
        self.problems: list[str] = []
        self.page.on(
            "console", lambda m: self.problems.append(m.text) if m.type in {"error", "warning"} else None
        )
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()


def test_today_and_story_render_without_console_errors(browser: Any, base_url: str) -> None:
    watched = Watched(browser, locale="fr-FR")
    page = watched.page
    page.goto(f"{base_url}/")
    assert "Les nouvelles les plus importantes de la journée" in page.inner_text("h1")
    assert page.locator(".stories > li").count() == 2
    page.click(".stories h2 a >> nth=1")
    page.wait_for_url("**/story/s-storm")
    assert "Chronologie" in page.inner_text("main")
    page.click(".chips a >> nth=0")
    page.wait_for_url("**/entity/Bretagne")
    for path in ("/archive", "/sources", "/search?q=retraites", "/article/a-fr1"):
        page.goto(f"{base_url}{path}")
    assert watched.problems == []


def test_keyboard_navigation(browser: Any, base_url: str) -> None:
    watched = Watched(browser)
    page = watched.page
    page.goto(f"{base_url}/")
    current = ".stories > li.is-current"
    assert page.locator(current).count() == 0
    page.keyboard.press("j")
    assert page.get_attribute(current, "id") == "s1"
    page.keyboard.press("j")
    assert page.get_attribute(current, "id") == "s2"
    page.keyboard.press("j")  # stays on the last story
    assert page.get_attribute(current, "id") == "s2"
    page.keyboard.press("k")
    assert page.get_attribute(current, "id") == "s1"
    assert page.evaluate("document.activeElement.closest('li').id") == "s1"  # its title link has the focus
    page.keyboard.press("Enter")
    page.wait_for_url("**/story/s-pensions")
    page.goto(f"{base_url}/search")
    page.focus("#q")
    page.keyboard.press("j")  # typing in a field is not navigation
    assert page.input_value("#q") == "j"
    assert watched.problems == []


def test_hostile_titles_are_text(browser: Any, base_url: str) -> None:
    watched = Watched(browser)
    page = watched.page
    for path in ("/", "/story/s-pensions", "/story/s-storm"):
        page.goto(f"{base_url}{path}")
        assert page.locator("main img").count() == 0
        assert page.locator("main script").count() == 0
    page.goto(f"{base_url}/")
    assert EVIL in page.inner_text(".stories > li >> nth=0")
    assert "<script>alert(1)</script>" in page.inner_text(".stories > li >> nth=1")
    assert page.evaluate("window.__pwned") is None
    assert watched.problems == []


def test_admin_refuses_anonymous_requests_and_forms_without_csrf(browser: Any, base_url: str) -> None:
    page = browser.new_page()
    assert page.goto(f"{base_url}/admin").status == 401
    anonymous = page.request.post(f"{base_url}/admin/sources/add", form={"url": "https://x.example/feed"})
    assert anonymous.status == 401
    page.fill("#token", TOKEN)
    page.click("form.admin-form button[type=submit]")
    page.wait_for_url(f"{base_url}/admin")
    assert page.locator("input[name=csrf]").count() >= 2
    page.fill("input[name=url]", "https://y.example/feed")
    page.evaluate("document.querySelector('form[action$=\"sources/add\"] input[name=csrf]').remove()")
    with page.expect_response(lambda r: r.url.endswith("/admin/sources/add")) as response:
        page.click("form[action$='sources/add'] button")
    assert response.value.status == 403
    page.goto(f"{base_url}/admin")
    page.fill("input[name=url]", "https://y.example/feed")
    page.click("form[action$='sources/add'] button")
    page.wait_for_url("**/admin?done=*")
    assert "https://y.example/feed" in page.inner_text(".admin-sources")
