"""The web app in a real headless Chromium (Debian's, through Playwright), served by uvicorn on loopback.

Skipped when /usr/bin/chromium or the playwright package is missing.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread: its base URL."""
    import uvicorn

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
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    env = {"ESSENTIEL_GENERAL_DATABASE": str(folder / "t.db"), "ESSENTIEL_WEB_ADMIN_TOKEN": TOKEN}
    app = create_app(hostile_store(folder / "t.db"), config=load_config(None, env=env))
    with serve(app) as url:
        yield url


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


@pytest.fixture(scope="module")
def coverage_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The store of test_web_coverage (copies, a dossier over two days, categories), served by uvicorn."""
    from test_web_coverage import build_store as coverage_store

    with serve(create_app(coverage_store(tmp_path_factory.mktemp("coverage") / "c.db"))) as url:
        yield url


def test_copies_dossier_and_search_pages_work_by_keyboard(browser: Any, coverage_url: str) -> None:
    watched = Watched(browser, locale="fr-FR")
    page = watched.page
    page.goto(f"{coverage_url}/story/s-front")
    copies = page.locator("details.copies")
    assert copies.count() == 1 and not copies.locator("ul").is_visible()  # folded
    page.focus("details.copies summary")
    page.keyboard.press("Enter")  # a disclosure opens from the keyboard
    assert copies.locator("ul").is_visible()
    assert copies.locator("li").count() == 2
    page.click("p.dossier a")
    page.wait_for_url("**/dossier/guerre-en-ukraine")
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.textContent") == "Kiev réclame des défenses antiaériennes"
    page.keyboard.press("Enter")
    page.wait_for_url("**/story/s-kiev")
    page.goto(f"{coverage_url}/search?q=kharkiv&category=monde")
    assert page.locator("#found-stories ~ ol > li, .story-results > li").count() == 1
    page.keyboard.press("j")  # the story first, then the articles
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/story/s-front"
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.getAttribute('href')").startswith("/article/")
    for path in ("/dossiers", "/archive", "/sources", "/?lang=en"):
        assert page.goto(f"{coverage_url}{path}").status == 200
    assert watched.problems == []


def _rgb(css: str) -> tuple[float, ...]:
    values = css[css.index("(") + 1 : css.index(")")].split(",")
    return tuple(float(v) for v in values[:3])


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """WCAG contrast ratio of two sRGB colours."""

    def luminance(rgb: tuple[float, ...]) -> float:
        c = [v / 255 for v in rgb]
        c = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_light_and_dark_themes_keep_contrast(browser: Any, coverage_url: str, scheme: str) -> None:
    watched = Watched(browser, color_scheme=scheme)
    page = watched.page
    page.goto(f"{coverage_url}/story/s-front")
    colors = page.evaluate(
        """() => {
        const css = (sel, prop) => getComputedStyle(document.querySelector(sel))[prop];
        return {bg: css('body', 'backgroundColor'), fg: css('body', 'color'), muted: css('.coverage-line', 'color'),
                link: css('.coverage a', 'color')};
    }"""
    )
    background = _rgb(colors["bg"])
    assert (sum(background) / 3 < 60) == (scheme == "dark")  # the theme follows the system
    assert _contrast(_rgb(colors["fg"]), background) >= 7  # WCAG AAA for the text
    assert _contrast(_rgb(colors["muted"]), background) >= 4.5  # AA for the small grey text
    assert _contrast(_rgb(colors["link"]), background) >= 4.5
    assert watched.problems == []


def test_phone_layout_has_no_sideways_scroll(browser: Any, coverage_url: str, base_url: str) -> None:
    watched = Watched(browser, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = watched.page
    for url in (
        f"{base_url}/",
        f"{base_url}/story/s-pensions",
        f"{coverage_url}/story/s-front",
        f"{coverage_url}/search?q=kharkiv",
        f"{coverage_url}/sources",
        f"{coverage_url}/archive",
        f"{coverage_url}/dossier/guerre-en-ukraine",
    ):
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{url} scrolls sideways by {overflow}px"
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 16, url  # readable without zooming
    assert watched.problems == []


def test_static_site_opened_from_disk(browser: Any, tmp_path: Path) -> None:
    """The static export works from file://: its pages, relative links and keyboard shortcuts."""
    from essentiel.publish.site import write_site
    from test_web_coverage import build_store as coverage_store

    with open_store(coverage_store(tmp_path / "c.db"), readonly=True) as store:
        write_site(store, tmp_path / "site", days=7)
    watched = Watched(browser)
    page = watched.page
    page.goto((tmp_path / "site" / "index.html").as_uri())
    assert page.locator(".stories > li").count() == 3
    page.click(".sections a >> text=Archives")
    page.click("td.has-edition a >> nth=0")
    page.wait_for_url("**/edition/2026-11-24.html")
    page.click(".sections a >> text=Dossiers")
    page.click(".results h2 a")
    page.wait_for_url("**/dossier/guerre-en-ukraine.html")  # loaded: its keyboard handler is bound
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url("**/story/s-front.html")
    page.click(".chips a")
    assert page.url.endswith("/entity/kharkiv.html")
    assert watched.problems == []
