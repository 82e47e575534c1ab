"""The web app, in memory, over a real SQLite store built by hand (and in a real browser when one is available)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from essentiel.models import Article, Edition, RankedStory, Story, Summary, SummarySentence
from essentiel.publish.markdown import edition_markdown
from essentiel.store import open_store
from essentiel.web import create_app
from essentiel.web.i18n import Translator, choose_language, from_accept_language

DAY = date(2026, 11, 25)
WHEN = datetime(2026, 11, 25, 7, 30, tzinfo=UTC)
HEADING_FR = "Les nouvelles les plus importantes de la journée"
HEADING_EN = "The day's most important news"


def _article(key: str, url: str, title: str, language: str, site: str, text: str, **extra: object) -> Article:
    return Article(
        id=key,
        url=url,
        title=title,
        text=text,
        language=language,
        site_name=site,
        outlet=url.split("/")[2].removeprefix("www."),
        published=WHEN,
        **extra,  # type: ignore[arg-type]
    )


ARTICLES = [
    _article(
        "a-fr1",
        "https://www.lemonde.fr/politique/retraites.html",
        "L’Assemblée adopte la réforme des retraites",
        "fr",
        "Le Monde",
        "Les députés ont voté le texte en première lecture.\n\nLe gouvernement salue un « pas décisif ».\n"
        "Un passage contenant <b>une balise</b> reste du texte.",
        kicker="Politique",
        lead="Après trois semaines de débats, le texte a été adopté de justesse.",
        authors=("Jeanne Dupont", "Paul Martin"),
    ),
    _article(
        "a-fr2",
        "https://www.liberation.fr/politique/reforme.html",
        "Retraites : un vote serré à l’Assemblée nationale",
        "fr",
        "Libération",
        "Le vote s’est joué à quelques voix.\nL’opposition annonce un recours.",
    ),
    _article(
        "a-en1",
        "https://www.bbc.co.uk/news/france-pensions",
        "French parliament passes pension reform",
        "en",
        "BBC News",
        "French MPs narrowly approved the pension bill.\nUnions have called for new strikes.",
    ),
    _article(
        "a-en2",
        "https://www.theguardian.com/world/storm",
        "Storm Aurore batters the Atlantic coast",
        "en",
        "The Guardian",
        "Winds of up to 150 km/h hit Brittany overnight.\nThousands of homes lost power.",
    ),
    _article(
        "a-fr3",
        "https://www.ouest-france.fr/meteo/tempete.html",
        "Tempête <script>alert(1)</script> sur la Bretagne",
        "fr",
        "Ouest-France",
        "Des rafales à 150 km/h ont frappé la Bretagne.\nDes milliers de foyers sont privés d’électricité.",
    ),
]

PENSIONS = RankedStory(
    rank=1,
    story=Story(id="s-pensions", article_ids=("a-fr1", "a-fr2", "a-en1"), title="Réforme des retraites"),
    score=0.91,
    why={  # as essentiel.rank records it
        "outlets": {"value": 3, "contribution": 1.584963},
        "articles": {"value": 3, "contribution": 0.792481},
        "languages": {"value": 2, "contribution": 0.5},
        "recency": {"value": 0.8, "contribution": 0.4},
        "authority": {"value": 1.0, "contribution": 0.2},
        "age_hours": 5.2,
        "reason": "covered by 3 independent outlets, in 2 languages, last 5 h",
    },
    summary=Summary(
        story_id="s-pensions",
        title="L’Assemblée adopte la réforme des retraites",
        sentences=(
            SummarySentence("Les députés ont voté le texte en première lecture.", "a-fr1"),
            SummarySentence("French MPs narrowly approved the pension bill.", "a-en1"),
            SummarySentence("L’opposition annonce un recours.", "a-fr2"),
        ),
    ),
    outlets=("lemonde.fr", "liberation.fr", "bbc.co.uk"),
    languages=("fr", "en"),
    entities=(("Assemblée nationale", "ORG"), ("Paris", "LOC"), ("Élisabeth Borne", "PER")),
)
STORM = RankedStory(
    rank=2,
    story=Story(id="s-storm", article_ids=("a-en2", "a-fr3"), title="Tempête"),
    score=0.62,
    why={"outlets": ["theguardian.com", "ouest-france.fr"], "languages": ["en", "fr"]},
    summary=Summary(
        story_id="s-storm",
        title="Tempête <script>alert(1)</script> sur la Bretagne",
        sentences=(
            SummarySentence("Winds of up to 150 km/h hit Brittany overnight.", "a-en2"),
            SummarySentence("Des milliers de foyers sont privés d’électricité.", "a-fr3"),
        ),
    ),
    outlets=("theguardian.com", "ouest-france.fr"),
    languages=("en", "fr"),
    entities=(("Bretagne", "LOC"),),
)


def build_store(path: Path) -> Path:
    """A real SQLite store: five articles, two stories, an edition today and a smaller one the day before."""
    with open_store(path) as store:
        store.save_articles(ARTICLES)
        store.save_stories([PENSIONS.story, STORM.story])
        store.save_edition(Edition(day=date(2026, 11, 24), created_at=WHEN, stories=(STORM,)))
        store.save_edition(Edition(day=DAY, created_at=WHEN, stories=(STORM, PENSIONS)))  # ranks, not order
    return path


class Client:
    """A synchronous face on `httpx.AsyncClient` over the ASGI app, in memory (one event loop, cookies kept).

    (starlette.testclient warns when used with httpx, and pytest turns warnings into errors.)
    """

    def __init__(self, app: Starlette) -> None:
        self.runner = asyncio.Runner()
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        self.cookies = self.http.cookies

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self.runner.run(self.http.get(path, **kwargs))  # type: ignore[arg-type]

    def close(self) -> None:
        self.runner.run(self.http.aclose())
        self.runner.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with Client(create_app(build_store(tmp_path / "t.db"))) as test_client:
        yield test_client


def test_edition_heading_in_french_and_english(client: Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert HEADING_FR in page.text
    assert '<html lang="fr">' in page.text
    assert "mercredi 25 novembre 2026" in page.text
    english = client.get("/?lang=en")
    assert HEADING_EN.replace("'", "&#39;") in english.text
    assert '<html lang="en">' in english.text
    assert "Wednesday, November 25, 2026" in english.text
    assert client.cookies.get("essentiel_lang") == "en"  # the choice is remembered
    assert '<html lang="en">' in client.get("/").text
    client.cookies.clear()
    by_header = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert HEADING_EN.replace("'", "&#39;") in by_header.text


def test_stories_in_rank_order_with_linked_sentences(client: Client) -> None:
    html = client.get("/").text
    assert html.index("L’Assemblée adopte la réforme des retraites") < html.index("Tempête &lt;script&gt;")
    for item in (PENSIONS, STORM):
        assert f'href="/story/{item.story.id}"' in html
        for sentence in item.summary.sentences:
            link = re.search(rf'<a class="sentence" href="([^"]+)"[^>]*>{re.escape(sentence.text)}</a>', html)
            assert link is not None, sentence.text
            assert link.group(1) == f"/article/{sentence.article}"
    assert "3 médias" in html and "<abbr" in html
    assert "Assemblée nationale" in html
    assert "Couvert par 3 médias indépendants, en 2 langues, il y a environ 5\u00a0h" in html
    assert "Couvert par 2 médias indépendants, en 2 langues" in html
    assert re.search(
        r'<sup class="marker"><a href="https://www.lemonde.fr/politique/retraites.html"[^>]*>Le Monde', html
    )


def test_story_page(client: Client) -> None:
    html = client.get("/story/s-pensions").text
    assert "L’essentiel" in html
    assert "Les députés ont voté le texte en première lecture." in html
    assert (
        'href="/article/a-fr1"' in html and 'href="https://www.lemonde.fr/politique/retraites.html"' in html
    )
    for article in ARTICLES[:3]:
        assert article.title.replace("<", "&lt;") in html
    assert "Pourquoi ce classement" in html
    assert "Couvert par 3 médias indépendants, en 2 langues, il y a environ 5\u00a0h" in html
    factors = re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]*)</td><td>([^<]+)</td></tr>', html)
    assert factors[0] == ("médias indépendants", "3", "1,58")
    assert factors[-1] == ("Score", "", "0,91")
    english = client.get("/story/s-pensions?lang=en").text
    assert "Covered by 3 independent outlets, in 2 languages, about 5 h ago" in english
    assert html.index("<h3>BBC News") < html.index("<h3>Le Monde") < html.index("<h3>Libération")
    assert 'href="/edition/2026-11-25"' in html


def test_article_reading_view(client: Client) -> None:
    html = client.get("/article/a-fr1").text
    assert '<p class="kicker">Politique</p>' in html
    assert '<p class="lead">Après trois semaines de débats, le texte a été adopté de justesse.</p>' in html
    assert "<p>Les députés ont voté le texte en première lecture.</p>" in html
    assert "<p>Le gouvernement salue un « pas décisif ».</p>" in html
    assert "&lt;p&gt;" not in html
    assert "&lt;b&gt;une balise&lt;/b&gt;" in html and "<b>une balise" not in html
    assert "Par Jeanne Dupont et Paul Martin" in html
    assert "Le Monde" in html and "français" in html
    assert 'href="https://www.lemonde.fr/politique/retraites.html"' in html
    assert 'href="/story/s-pensions"' in html


def test_search_with_and_without_accents(client: Client) -> None:
    for query in ("réforme", "reforme", "Assemblée", "assemblee"):
        html = client.get("/search", params={"q": query}).text
        assert 'href="/article/a-fr1"' in html, query
    empty = client.get("/search", params={"q": "introuvablezzz"}).text
    assert "Aucun article ne correspond" in empty
    assert client.get("/search", params={"q": '"*-'}).status_code == 200
    assert client.get("/search").status_code == 200


def test_not_found(client: Client) -> None:
    for path in ("/story/nope", "/article/nope", "/edition/2020-01-01", "/edition/not-a-day", "/nothing"):
        page = client.get(path)
        assert page.status_code == 404, path
        assert "Page introuvable" in page.text
    assert "Page not found" in client.get("/story/nope?lang=en").text


def test_older_edition_and_health(client: Client) -> None:
    html = client.get("/edition/2026-11-24").text
    assert "mardi 24 novembre 2026" in html
    assert "s-pensions" not in html
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/static/style.css").status_code == 200


def test_escaping(client: Client) -> None:
    for path in ("/", "/story/s-storm", "/article/a-fr3", "/search?q=tempete"):
        html = client.get(path).text
        assert "<script>" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


def test_feeds_parse(client: Client) -> None:
    rss = client.get("/feed.xml")
    assert rss.headers["content-type"].startswith("application/rss+xml")
    channel = ET.fromstring(rss.content).find("channel")
    assert channel is not None
    items = channel.findall("item")
    assert [i.findtext("link") for i in items] == [
        "http://test/story/s-pensions",
        "http://test/story/s-storm",
    ]
    assert "https://www.lemonde.fr/politique/retraites.html" in (items[0].findtext("description") or "")
    feed = json.loads(client.get("/feed.json").text)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert [i["title"] for i in feed["items"]] == [PENSIONS.summary.title, STORM.summary.title]


def test_empty_store_shows_how_to_build_an_edition(tmp_path: Path) -> None:
    with open_store(tmp_path / "empty.db"):
        pass
    for db in (tmp_path / "empty.db", tmp_path / "missing.db"):
        with Client(create_app(db)) as client:
            html = client.get("/").text
            assert (
                "Pas encore d’édition" in html
                and "essentiel digest" in html
                and "essentiel run --once" in html
            )
            assert client.get("/feed.xml").status_code == 200
            assert client.get("/story/x").status_code == 404


def test_async_client_and_english_default(tmp_path: Path) -> None:
    app = create_app(build_store(tmp_path / "t.db"), ui_language="en", title="Morning <brief>")

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/")

    html = asyncio.run(fetch()).text
    assert HEADING_EN.replace("'", "&#39;") in html and "Morning &lt;brief&gt;" in html
    assert 'href="?lang=fr"' in html


def test_served_under_a_path_prefix(tmp_path: Path) -> None:
    app = create_app(build_store(tmp_path / "t.db"))

    async def fetch(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, root_path="/news")
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    html = asyncio.run(fetch("/news/")).text
    assert 'href="/news/story/s-pensions"' in html and 'href="/news/static/style.css"' in html
    assert "<link>http://test/news/story/s-pensions</link>" in asyncio.run(fetch("/news/feed.xml")).text


def test_language_choice() -> None:
    assert choose_language("en", "fr", "fr", "fr") == "en"
    assert choose_language(None, "en", "fr", "fr") == "en"
    assert choose_language("xx", None, "de-DE,en;q=0.8,fr;q=0.9", "en") == "fr"
    assert choose_language(None, None, None, "en") == "en"
    assert from_accept_language("fr;q=0, en") == "en"
    assert Translator("fr").date(date(2026, 11, 1)) == "dimanche 1er novembre 2026"
    assert Translator("fr").plural("outlets", 1) == "1 média"
    assert Translator("en").why_reason({"reason": "A ready-made reason"}) == "A ready-made reason"
    assert Translator("fr").why_reason({"reason": "x", "reason_fr": "Une raison"}) == "Une raison"
    assert Translator("fr").why_reason({}) == "" and Translator("fr").why_factors({"age_hours": 2}) == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_browser_opens_a_story(tmp_path: Path) -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("no /usr/bin/chromium")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the playwright package is not installed")
    import uvicorn
    from playwright.sync_api import sync_playwright

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(build_store(tmp_path / "t.db")), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        args = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync",
        ]  # fmt: skip
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
            english = browser.new_page(locale="en-GB")  # the browser's language picks the UI language
            english.goto(f"http://127.0.0.1:{port}/")
            assert "The day's most important news" in english.inner_text("h1")
            page = browser.new_page(locale="fr-FR")
            page.goto(f"http://127.0.0.1:{port}/")
            assert HEADING_FR in page.inner_text("h1")
            page.click(".stories h2 a >> nth=0")
            page.wait_for_url("**/story/s-pensions")
            assert "Les députés ont voté le texte en première lecture." in page.inner_text(".essentiel")
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_outlets_that_only_ran_a_copy_are_shown_apart(tmp_path: Path) -> None:
    """Three outlets of which one only reprinted another's dispatch: the edition, the story page, the Markdown and
    the English UI say two independent outlets plus one copy, as the ranking counted them."""
    item = replace(
        PENSIONS,
        why={**PENSIONS.why, "outlets": {"value": 2, "contribution": 1.0}},
    )
    path = tmp_path / "copies.db"
    with open_store(path) as store:
        store.save_articles(ARTICLES)
        store.save_stories([item.story])
        store.save_edition(Edition(day=DAY, created_at=WHEN, stories=(item,)))
    with Client(create_app(path)) as web:
        assert "2 médias indépendants (+1 reprise)" in web.get("/").text
        assert "2 médias indépendants (+1 reprise)" in web.get(f"/story/{item.story.id}").text
        assert "2 independent outlets (+1 syndicated copy)" in web.get("/?lang=en").text
    articles = {a.id: a for a in ARTICLES}
    edition = Edition(day=DAY, created_at=WHEN, stories=(item,))
    assert "*2 médias indépendants (+1 reprise) · fr, en*" in edition_markdown(edition, articles, "fr")
    assert item.independent_outlets == 2 and PENSIONS.independent_outlets == 3
    assert replace(item, why={"outlets": {"value": 7}}).independent_outlets == 3  # never more than it lists
    assert STORM.independent_outlets == 2  # an explanation without the ranker's count: every outlet
