"""Hostile pages: scripts, event handlers, javascript:/data: URLs, SVG with script, CSS expressions.

Hostile pages and feed entries go through the real pipeline (fetch, extract, store, edition, publish); then every
page of the web app and of the static site that shows them is parsed, and nothing active may be left: no script
but the app's own, no on* attribute, no javascript:/data: URL, no frame or object, no CSS expression. The web
app's reading view shows the article as escaped plain text (paragraphs): there is no HTML from extraction to
sanitize, and these tests prove the hostile markup inert. Headless Chromium then loads the pages and no
script may run.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from essentiel.config import Config
from essentiel.models import Source
from essentiel.pipeline import build_edition, publish
from essentiel.web.app import create_app
from newsfixtures import corpus
from test_ops import AppClient

from .conftest import HTML, RSS, HostileRun, HostileServer

PWN = "window.__pwned=1;alert(1)"
ATTACKS = {
    "script": f"<script>{PWN}</script>",
    "event handler": f'<img src="x" onerror="{PWN}"><b onmouseover="{PWN}">survol</b>',
    "javascript: URL": f'<a href="javascript:{PWN}">lien</a> <a href=" JaVaScRiPt:{PWN}">lien 2</a>',
    "data: URL": '<iframe src="data:text/html,&lt;script&gt;window.__pwned=1&lt;/script&gt;"></iframe>'
    '<object data="data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+"></object>',
    "SVG with script": f'<svg xmlns="http://www.w3.org/2000/svg"><script>{PWN}</script><a href="javascript:{PWN}"><text>svg</text></a></svg>',
    "CSS expression": f'<p style="width: expression({PWN}); background: url(javascript:{PWN})">style</p><style>p {{ width: expression({PWN}) }}</style>',
    "mutation XSS": f'<noscript><p title="</noscript><img src=x onerror={PWN}>"></noscript><math><mtext><table><mglyph><style><img src=x onerror={PWN}></style></mglyph></table></mtext></math>',
    "escaped text": "&lt;script&gt;window.__pwned=1&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;",
}
ACTIVE_TAGS = {"iframe", "frame", "object", "embed", "applet", "base", "form", "meta"}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "data",
    "poster",
    "xlink:href",
    "background",
    "srcset",
}


def hostile_html(row: dict[str, str], attack: str) -> str:
    paragraphs = "".join(f"<p>{line} {attack}</p>" for line in row["text"].split("\n") if line.strip())
    return (
        f'<!DOCTYPE html><html lang="{row["language"]}"><head><meta charset="utf-8">'
        f"<title>{row['title']} {attack}</title><script>{PWN}</script>"
        f'<meta property="og:image" content="javascript:{PWN}"></head>'
        f'<body onload="{PWN}"><article><h1>{row["title"]} {attack}</h1>{paragraphs}</article></body></html>'
    )


def hostile_item(server: HostileServer, path: str, row: dict[str, str], attack: str) -> str:
    content = "".join(f"<p>{line} {attack}</p>" for line in row["text"].split("\n") if line.strip())
    escaped = content.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    title = f"{row['title']} {attack}".replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f"<item><title>{title}</title><link>{server.url(path)}</link><description>{escaped}</description>"
        f"<author>x@y.fr (Jean {escaped[:80]})</author></item>"
    )


def active_parts(html: str, where: str) -> list[str]:
    """Everything in a page that could run: what a hostile page must never bring."""
    found = []
    doc = lxml.html.document_fromstring(html)
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower().split("}")[-1]
        src = element.get("src") or ""
        own = src.startswith("/static/") or src.lstrip("./").startswith("static/")  # the app's keys.js
        if tag == "script" and ((element.text or "").strip() or not own):
            found.append(f"{where}: <script> {lxml.html.tostring(element)[:120]!r}")
        if tag in ACTIVE_TAGS - {"meta", "form"} or (tag == "meta" and element.get("http-equiv")):
            found.append(f"{where}: <{tag}>")
        if tag == "style" and "expression(" in (element.text or ""):
            found.append(f"{where}: CSS expression in <style>")
        for name, value in element.attrib.items():
            name = name.lower().split("}")[-1]
            clean = "".join(value.split()).lower()
            if name.startswith("on"):
                found.append(f"{where}: {name}= on <{tag}>")
            if (name in URL_ATTRIBUTES or name.endswith("href")) and clean.startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                found.append(f"{where}: {name}={value[:60]!r} on <{tag}>")
            if name == "style" and ("expression(" in clean or "javascript:" in clean):
                found.append(f"{where}: style={value[:60]!r}")
    return found


@pytest.fixture(scope="module")
def hostile_edition(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Config, list[str]]]:
    """A store and a static site built from hostile pages (fetched) and hostile feed entries (full_page = false)."""
    tmp_path = tmp_path_factory.mktemp("hostile-pages")
    server = HostileServer().start()
    run = HostileRun(tmp_path, server)
    try:
        rows = [r for r in corpus() if r["language"] == "fr"][2:]
        pages, entries = [], []
        for index, (name, attack) in enumerate(ATTACKS.items()):
            row = rows[index]
            path = f"/evil/{index}.html"
            server.route(path, hostile_html(row, attack), headers=HTML)
            pages.append(f"<item><title>{name}</title><link>{server.url(path)}</link></item>")
            entries.append(
                hostile_item(server, f"/evil-feed/{index}.html", rows[index + len(ATTACKS)], attack)
            )
        feed = '<rss version="2.0"><channel><title>t</title>{}</channel></rss>'
        pages_url = server.route("/evil.xml", feed.format("".join(pages)), headers=RSS)
        entries_url = server.route("/evil-entries.xml", feed.format("".join(entries)), headers=RSS)
        sources = [
            Source(url=pages_url, name="evil pages"),
            Source(url=entries_url, name="evil <b>entries</b>", full_page=False),
        ]
        outcome = run(sources, ESSENTIEL_OUTPUTS_SITE_DIR=str(tmp_path / "site"))
        assert outcome.results[pages_url].new_articles == len(ATTACKS)
        assert outcome.results[entries_url].new_articles == len(ATTACKS)
        config = run.config(ESSENTIEL_OUTPUTS_SITE_DIR=str(tmp_path / "site"), ESSENTIEL_EDITION_SIZE="20")
        build_edition(outcome.store, config)
        publish(outcome.store, config)
        ids = [r[0] for r in outcome.store.db.query("SELECT id FROM articles")]
        assert outcome.store.db.integrity_errors() == []
        yield config, ids
    finally:
        run.close()
        server.close()


def web_paths(config: Config, ids: list[str]) -> list[str]:
    from essentiel.store import open_store

    with open_store(config.database, readonly=True) as store:
        stories = [r[0] for r in store.db.query("SELECT id FROM stories")]
    return [
        "/",
        "/archive",
        "/sources",
        "/search?q=alert",
        "/search?q=%3Cscript%3E",
        *(f"/article/{i}" for i in ids),
        *(f"/story/{s}" for s in stories),
    ]


def test_web_pages_carry_nothing_active(hostile_edition: tuple[Config, list[str]]) -> None:
    config, ids = hostile_edition
    client = AppClient(create_app(config.database))
    problems = []
    for path in web_paths(config, ids):
        response = client.get(path)
        assert response.status_code == 200, path
        problems += active_parts(response.text, path)
    assert problems == []
    reading = client.get(f"/article/{ids[0]}").text
    assert "&lt;" in reading or "alert" not in reading  # shown as text, if at all


def test_static_site_carries_nothing_active(hostile_edition: tuple[Config, list[str]]) -> None:
    config, _ = hostile_edition
    assert config.site_dir is not None
    files = sorted(config.site_dir.rglob("*.html"))
    assert len(files) > 5
    problems = [
        p
        for f in files
        for p in active_parts(f.read_text(encoding="utf-8"), str(f.relative_to(config.site_dir)))
    ]
    assert problems == []


def test_feeds_and_api_carry_no_markup_unescaped(hostile_edition: tuple[Config, list[str]]) -> None:
    config, ids = hostile_edition
    client = AppClient(create_app(config.database))
    for path in ("/feed.xml", "/feed.atom"):
        text = client.get(path).text
        assert "<script" not in text and "<img" not in text and "<svg" not in text, path
    api = client.get(f"/api/articles/{ids[0]}")
    assert api.status_code == 200 and api.headers["content-type"].startswith("application/json")


def test_stored_article_urls_are_web_urls_only(hostile_edition: tuple[Config, list[str]]) -> None:
    from essentiel.store import open_store

    config, _ = hostile_edition
    with open_store(config.database, readonly=True) as store:
        urls = [r[0] for r in store.db.query("SELECT url FROM articles")]
    assert urls and all(url.startswith("http://") for url in urls), urls


def test_stored_images_are_web_urls_only(hostile_edition: tuple[Config, list[str]]) -> None:
    from essentiel.store import open_store

    config, _ = hostile_edition
    with open_store(config.database, readonly=True) as store:
        images = [r[0] for r in store.db.query("SELECT image FROM articles WHERE image IS NOT NULL")]
    assert all(image.lower().startswith(("http://", "https://")) for image in images), images


CHROMIUM = "/usr/bin/chromium"


@pytest.mark.skipif(
    not Path(CHROMIUM).exists() or importlib.util.find_spec("playwright") is None,
    reason="needs /usr/bin/chromium and playwright",
)
def test_no_script_runs_in_a_real_browser(hostile_edition: tuple[Config, list[str]]) -> None:
    import uvicorn
    from playwright.sync_api import sync_playwright

    config, ids = hostile_edition
    server = uvicorn.Server(
        uvicorn.Config(create_app(config.database), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    assert config.site_dir is not None
    urls = [f"http://127.0.0.1:{port}{p}" for p in web_paths(config, ids)]
    urls += [f.as_uri() for f in sorted(config.site_dir.rglob("*.html"))[:40]]
    dialogs: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page: Any = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            for url in urls:
                page.goto(url)
                for element in page.query_selector_all("a, b, img, p")[:50]:
                    element.dispatch_event("mouseover")
                assert page.evaluate("window.__pwned === undefined"), url
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert dialogs == []
