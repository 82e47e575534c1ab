"""Full coverage over days, in the web app, the static site and the feeds, over a real SQLite store: syndicated
copies folded under their original, a story's timeline, dossiers followed across days, categories, full-text
search over stories and articles, the per-category and per-dossier feeds, and the API's OpenAPI description."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from essentiel.models import Article, Edition, RankedStory, Story, Summary, SummarySentence
from essentiel.publish.site import write_site
from essentiel.store import open_store
from essentiel.web import create_app
from test_web import Client

ATOM = "{http://www.w3.org/2005/Atom}"
DAY1, DAY2 = date(2026, 11, 24), date(2026, 11, 25)
MORNING1 = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
MORNING2 = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
WIRE = (
    "Les forces ukrainiennes ont repoussé dans la nuit une nouvelle offensive russe près de Kharkiv, selon "
    "l’état-major, qui fait état de combats intenses sur plusieurs points de la ligne de front et de lourdes "
    "pertes des deux côtés, tandis que les évacuations de civils se poursuivent dans les villages voisins."
)


def _article(
    key: str, outlet: str, site: str, when: datetime, title: str, text: str, **extra: object
) -> Article:
    return Article(
        id=key,
        url=f"https://www.{outlet}/{key}.html",
        title=title,
        text=text,
        language=str(extra.pop("language", "fr")),
        site_name=site,
        outlet=outlet,
        published=when,
        **extra,  # type: ignore[arg-type]
    )


ARTICLES = [
    _article("u1", "lemonde.fr", "Le Monde", MORNING1, "Kharkiv : l’offensive russe repoussée", WIRE,
             kicker="Guerre en Ukraine"),
    _article("u2", "lefigaro.fr", "Le Figaro", MORNING1.replace(hour=8), "Offensive russe repoussée", WIRE),
    _article("u3", "20minutes.fr", "20 Minutes", MORNING2.replace(hour=9), "Kharkiv tient bon", WIRE),
    _article("u4", "bbc.co.uk", "BBC News", MORNING2, "Ukraine repels Russian assault near Kharkiv",
             "Ukrainian forces pushed back a Russian offensive near Kharkiv overnight.", language="en"),
    _article("k1", "liberation.fr", "Libération", MORNING2, "Kiev réclame des défenses antiaériennes",
             "Le président ukrainien a demandé à ses alliés davantage de systèmes de défense antiaérienne."),
    _article("b1", "lesechos.fr", "Les Echos", MORNING2, "Le budget rectificatif adopté",
             "Le Parlement a adopté le budget rectificatif, qui prévoit dix milliards d’économies."),
]  # fmt: skip


def _ranked(rank: int, story_id: str, ids: tuple[str, ...], title: str, sentences: tuple[tuple[str, str], ...],
            **extra: object) -> RankedStory:  # fmt: skip
    return RankedStory(
        rank=rank,
        story=Story(id=story_id, article_ids=ids, title=title),
        score=1.0 / rank,
        why={"outlets": len(ids)},
        summary=Summary(story_id, title, tuple(SummarySentence(text, a) for text, a in sentences)),
        outlets=tuple(dict.fromkeys(a.outlet for a in ARTICLES if a.id in ids)),
        languages=tuple(dict.fromkeys(str(a.language) for a in ARTICLES if a.id in ids)),
        **extra,  # type: ignore[arg-type]
    )


FRONT_DAY1 = _ranked(1, "s-front", ("u1", "u2"), "L’offensive russe repoussée à Kharkiv",
                     ((WIRE[:60] + "…", "u1"),), category="monde", dossier="Guerre en Ukraine",
                     entities=(("Kharkiv", "LOC"),))  # fmt: skip
FRONT_DAY2 = _ranked(1, "s-front", ("u1", "u2", "u3", "u4"), "Kharkiv tient face à l’offensive russe",
                     ((WIRE[:60] + "…", "u1"), ("Ukrainian forces pushed back a Russian offensive.", "u4")),
                     category="monde", dossier="Guerre en Ukraine", entities=(("Kharkiv", "LOC"),))  # fmt: skip
KIEV = _ranked(2, "s-kiev", ("k1",), "Kiev réclame des défenses antiaériennes",
               (("Le président ukrainien a demandé à ses alliés davantage de systèmes.", "k1"),),
               category="monde", dossier="guerre en Ukraine")  # fmt: skip
BUDGET = _ranked(3, "s-budget", ("b1",), "Le budget rectificatif adopté",
                 (("Le Parlement a adopté le budget rectificatif.", "b1"),), category="economie")  # fmt: skip
CREATED1 = MORNING1.replace(hour=7)
CREATED2 = MORNING2.replace(hour=10)


def build_store(path: Path) -> Path:
    with open_store(path) as store:
        store.save_articles(ARTICLES)
        store.save_stories([FRONT_DAY2.story, KIEV.story, BUDGET.story])
        store.save_edition(Edition(day=DAY1, created_at=CREATED1, stories=(FRONT_DAY1,)))
        store.save_edition(Edition(day=DAY2, created_at=CREATED2, stories=(FRONT_DAY2, KIEV, BUDGET)))
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_store(tmp_path / "t.db")


@pytest.fixture
def client(db: Path) -> Iterator[Client]:
    with Client(create_app(db)) as test_client:
        yield test_client


def _section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</section>", start)]


def test_syndicated_copies_are_folded_under_their_original(client: Client) -> None:
    html = client.get("/story/s-front").text
    coverage = html[html.index('id="coverage-title"') : html.index("</article>")]
    outlets = re.findall(r"<h3>(.+?) <span", coverage)
    assert outlets == ["BBC News", "Le Monde"]  # Le Figaro and 20 Minutes copied Le Monde's text
    original = coverage[coverage.index('href="/article/u1"') :]
    assert "2 reprises" in original
    folded = original[original.index('<details class="copies"') : original.index("</details>")]
    assert folded.index('href="/article/u2"') < folded.index('href="/article/u3"')  # earliest copy first
    assert "Le Figaro" in folded and "20 Minutes" in folded
    assert "4 articles" in html  # every article still counts
    english = client.get("/story/s-front?lang=en").text
    assert "2 syndicated copies" in english
    api = client.get("/api/stories/s-front").json()
    assert api["copies"] == {"u1": ["u2", "u3"]}
    assert {a["id"] for a in api["articles"]} == {"u1", "u2", "u3", "u4"}


def test_story_timeline_across_days_and_dossier_link(client: Client) -> None:
    html = client.get("/story/s-front").text
    timeline = _section(html, "timeline-title")
    days = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)">', timeline)
    assert days == ["2026-11-24", "2026-11-25"]
    first, second = timeline.split("<li>")[1:3]
    assert "n° 1 de l’édition" in first and "2 articles de 2 médias" in first  # Le Monde and Le Figaro
    assert "n° 1 de l’édition" in second and "2 articles de 2 médias" in second  # 20 Minutes and the BBC
    assert '<a href="/dossier/guerre-en-ukraine">Guerre en Ukraine</a>' in html
    assert (
        '<p class="kicker"><a href="/edition/2026-11-25">n° 1 dans l’édition du mercredi 25 novembre 2026</a> · Monde</p>'
        in html
    )
    assert "· World</p>" in client.get("/story/s-front?lang=en").text
    days_json = client.get("/api/stories/s-front").json()["days"]
    assert [(d["day"], d["rank"], d["articles"]) for d in days_json] == [
        ("2026-11-24", 1, 2),
        ("2026-11-25", 1, 2),
    ]


def test_dossier_pages(client: Client) -> None:
    listing = client.get("/dossiers").text
    assert '<a href="/dossier/guerre-en-ukraine">' in listing  # two spellings, one dossier
    assert "2 sujets" in listing and "du mardi 24 novembre 2026 au mercredi 25 novembre 2026" in listing
    page = client.get("/dossier/guerre-en-ukraine").text
    assert page.count('href="/story/s-front"') == 1 and page.count('href="/story/s-kiev"') == 1
    assert "Kharkiv tient face à l’offensive russe" in page  # the story's newest snapshot
    assert "L’offensive russe repoussée à Kharkiv" not in page
    assert "s-budget" not in page
    assert 'href="/feeds/dossier/guerre-en-ukraine.atom"' in page
    assert client.get("/dossier/inconnu").status_code == 404
    assert "2 stories" in client.get("/dossiers?lang=en").text
    api = client.get("/api/dossiers").json()
    assert api == [
        {"key": "guerre-en-ukraine", "label": "Guerre en Ukraine", "stories": 2,
         "first_day": "2026-11-24", "last_day": "2026-11-25"},
    ]  # fmt: skip
    stories = client.get("/api/dossiers/guerre-en-ukraine").json()["stories"]
    assert [(s["id"], s["day"]) for s in stories] == [("s-front", "2026-11-25"), ("s-kiev", "2026-11-25")]
    assert client.get("/api/dossiers/inconnu").status_code == 404


def test_full_text_search_over_stories_and_articles_with_filters(client: Client) -> None:
    html = client.get("/search", params={"q": "kharkiv"}).text
    stories = _section(html, "found-stories")
    articles = _section(html, "found-articles")
    assert 'href="/story/s-front"' in stories and "Monde" in stories and "Guerre en Ukraine" in stories
    assert all(f'href="/article/{i}"' in articles for i in ("u1", "u2", "u3", "u4"))
    budget = client.get("/search", params={"q": "budget", "category": "economie"}).text
    assert 'href="/story/s-budget"' in budget and 'href="/article/b1"' in budget
    assert "found-stories" not in client.get("/search", params={"q": "budget", "category": "monde"}).text
    api = client.get("/api/search", params={"q": "kharkiv", "language": "en"}).json()
    assert [s["id"] for s in api["stories"]] == ["s-front"]  # the story has English coverage
    assert [a["id"] for a in api["results"]] == ["u4"]
    api = client.get("/api/search", params={"q": "kharkiv", "source": "lefigaro.fr"}).json()
    assert [s["id"] for s in api["stories"]] == ["s-front"] and [a["id"] for a in api["results"]] == ["u2"]
    api = client.get("/api/search", params={"q": "kharkiv", "until": "2026-11-24"}).json()
    assert api["stories"] == []  # its newest edition is the 25th
    assert {a["id"] for a in api["results"]} == {"u1", "u2"}
    api = client.get("/api/search", params={"q": "antiaériennes defenses"}).json()  # accents optional
    assert [s["id"] for s in api["stories"]] == ["s-kiev"]
    assert client.get("/api/search", params={"q": "x", "since": "hier"}).status_code == 400
    assert client.get("/api/search", params={"q": '"unbalanced'}).json()["stories"] == []
    facets = client.get("/search").text
    assert '<option value="economie">Économie</option>' in facets


def _rss_items(xml: str) -> list[tuple[str, str]]:
    channel = ET.fromstring(xml).find("channel")
    assert channel is not None
    return [(i.findtext("guid") or "", i.findtext("title") or "") for i in channel.findall("item")]


def test_category_and_dossier_feeds_in_every_format(client: Client) -> None:
    for kind, media in (("xml", "rss"), ("atom", "atom"), ("json", "feed+json")):
        response = client.get(f"/feeds/dossier/guerre-en-ukraine.{kind}")
        assert response.status_code == 200 and media in response.headers["content-type"]
        assert client.get(f"/feeds/category/monde.{kind}").status_code == 200
        assert client.get(f"/feeds/dossier/inconnu.{kind}").status_code == 404
    assert client.get("/feeds/dossier/guerre-en-ukraine.pdf").status_code == 404
    today = client.get("/").text
    assert (
        '<a href="/feeds/category/economie.xml"' in today and '<a href="/feeds/category/monde.xml"' in today
    )
    assert "/feeds/category/" not in client.get("/edition/2026-11-24").text  # only the latest edition's
    items = _rss_items(client.get("/feeds/dossier/guerre-en-ukraine.xml").text)
    assert items == [
        ("essentiel:story:s-front", "Kharkiv tient face à l’offensive russe"),
        ("essentiel:story:s-kiev", "Kiev réclame des défenses antiaériennes"),
    ]
    economy = _rss_items(client.get("/feeds/category/economie.xml").text)
    assert economy == [("essentiel:story:s-budget", "Le budget rectificatif adopté")]
    atom = ET.fromstring(client.get("/feeds/category/monde.atom").text)
    assert atom.findtext(f"{ATOM}title") == "essentiel — Monde"
    assert atom.findtext(f"{ATOM}id") == "http://test/feeds/category/monde.atom"
    self_link = [link.get("href") for link in atom.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_link == ["http://test/feeds/category/monde.atom"]
    feed = client.get("/feeds/dossier/guerre-en-ukraine.json").json()
    assert feed["title"] == "essentiel — Guerre en Ukraine"
    assert feed["feed_url"] == "http://test/feeds/dossier/guerre-en-ukraine.json"
    assert feed["items"][0]["date_modified"] == CREATED2.isoformat()


def test_an_updated_story_updates_its_item(db: Path, tmp_path: Path) -> None:
    """The same story in a later edition keeps its GUID: the reader replaces the item, with the new title."""
    with Client(create_app(db)) as client:
        before = _rss_items(client.get("/feed.xml").text)
        atom_before = ET.fromstring(client.get("/feed.atom").text)
    with open_store(db) as store:
        later = replace(
            FRONT_DAY2, summary=replace(FRONT_DAY2.summary, title="Kharkiv : l’offensive a échoué")
        )
        store.save_edition(
            Edition(day=DAY2, created_at=CREATED2.replace(hour=18), stories=(later, KIEV, BUDGET))
        )
    with Client(create_app(db)) as client:
        after = _rss_items(client.get("/feed.xml").text)
        atom_after = ET.fromstring(client.get("/feed.atom").text)
        dossier = _rss_items(client.get("/feeds/dossier/guerre-en-ukraine.xml").text)
    assert [g for g, _ in before] == [g for g, _ in after]  # same items, no duplicate
    assert after[0] == ("essentiel:story:s-front", "Kharkiv : l’offensive a échoué")
    assert dossier[0] == after[0]
    entry = f"{ATOM}entry"
    updated_before = [e.findtext(f"{ATOM}updated") for e in atom_before.iter(entry)][0]
    updated_after = [e.findtext(f"{ATOM}updated") for e in atom_after.iter(entry)][0]
    assert updated_before == CREATED2.isoformat() and updated_after == CREATED2.replace(hour=18).isoformat()


def test_openapi_describes_every_api_route(client: Client, db: Path) -> None:
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    app = create_app(db)
    api_paths = {r.path for r in app.routes if getattr(r, "path", "").startswith("/api/")}  # type: ignore[attr-defined]
    assert api_paths - {"/api/openapi.json"} == set(spec["paths"])  # every endpoint, nothing more
    samples = {
        "{day}": "latest",
        "{story_id}": "s-front",
        "{article_id}": "u1",
        "{key}": "guerre-en-ukraine",
        "{name}": "kharkiv",
    }
    for path, item in spec["paths"].items():
        url = path
        for name, value in samples.items():
            url = url.replace(name, value)
        response = client.get(url, params={"q": "kharkiv"} if path == "/api/search" else None)
        assert response.status_code == 200, path
        schema = item["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert schema.rsplit("/", 1)[1] in spec["components"]["schemas"]
        body = response.json()
        if isinstance(body, dict):  # the documented properties are the ones returned
            documented = spec["components"]["schemas"][schema.rsplit("/", 1)[1]].get("properties", {})
            assert set(body) <= set(documented) | {"name"}, path
    refs = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(spec))
    assert set(refs) <= set(spec["components"]["schemas"])
    entity = client.get("/api/entities/kharkiv").json()
    assert [s["id"] for s in entity["stories"]] == ["s-front"] and entity["label"] == "LOC"


def test_static_site_has_archive_dossiers_entities_and_feeds(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    with open_store(db, readonly=True) as store:
        names = {p.relative_to(out).as_posix() for p in write_site(store, out, days=7)}
    for expected in (
        "archive.html",
        "dossiers.html",
        "dossier/guerre-en-ukraine.html",
        "entity/kharkiv.html",
        "feeds/dossier/guerre-en-ukraine.xml",
        "feeds/dossier/guerre-en-ukraine.atom",
        "feeds/dossier/guerre-en-ukraine.json",
        "feeds/category/monde.xml",
        "feeds/category/economie.json",
        "feeds/category/economie.atom",
    ):
        assert expected in names, expected
    archive = (out / "archive.html").read_text(encoding="utf-8")
    assert 'href="edition/2026-11-24.html"' in archive and 'href="edition/2026-11-25.html"' in archive
    assert "novembre 2026" in archive
    story = (out / "story/s-front.html").read_text(encoding="utf-8")
    assert 'href="../dossier/guerre-en-ukraine.html"' in story and 'href="../entity/kharkiv.html"' in story
    assert "2 reprises" in story
    dossier = (out / "dossier/guerre-en-ukraine.html").read_text(encoding="utf-8")
    assert (
        'href="../story/s-kiev.html"' in dossier
        and 'href="../feeds/dossier/guerre-en-ukraine.xml"' in dossier
    )
    items = _rss_items((out / "feeds/dossier/guerre-en-ukraine.xml").read_text(encoding="utf-8"))
    assert [g for g, _ in items] == ["essentiel:story:s-front", "essentiel:story:s-kiev"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="archive.html"' in index and 'href="dossiers.html"' in index and "/search" not in index


def test_static_site_keeps_to_the_stories_it_holds(db: Path, tmp_path: Path) -> None:
    """With one day of editions, the dossier page and feed list only the stories the site has pages for."""
    with open_store(db) as store:  # a newer edition without the Kiev story
        store.save_edition(
            Edition(day=date(2026, 11, 26), created_at=CREATED2.replace(day=26), stories=(FRONT_DAY2,))
        )
    out = tmp_path / "site"
    with open_store(db, readonly=True) as store:
        write_site(store, out, days=1)
    dossier = (out / "dossier/guerre-en-ukraine.html").read_text(encoding="utf-8")
    assert "s-front" in dossier and "s-kiev" not in dossier
    items = _rss_items((out / "feeds/dossier/guerre-en-ukraine.xml").read_text(encoding="utf-8"))
    assert [g for g, _ in items] == ["essentiel:story:s-front"]
    archive = (out / "archive.html").read_text(encoding="utf-8")
    assert 'href="edition/2026-11-26.html"' in archive and "edition/2026-11-25.html" not in archive


def test_file_names_are_safe_and_never_collide() -> None:
    from essentiel.store.views import slug
    from essentiel.web.render import Links, file_name

    assert file_name("s-0f5de4a0") == "s-0f5de4a0" and file_name("2026-11-25") == "2026-11-25"
    assert file_name("Путин") != file_name("Пескова")  # same length, other script: a hash tells them apart
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", file_name("../Économie et société"))
    assert slug("Élisabeth  Borne") == "elisabeth-borne" == slug("élisabeth borne")
    assert Links(root="../", static_site=True).entity("Élisabeth Borne") == "../entity/elisabeth-borne.html"


def test_every_get_route_answers(client: Client, db: Path) -> None:
    """Every GET route of the app, with sample parameters, answers 200 in memory (httpx ASGI transport)."""
    samples = {
        "{day}": "2026-11-25",
        "{story_id}": "s-front",
        "{article_id}": "u3",
        "{name}": "Kharkiv",
        "{key}": "guerre-en-ukraine",
        "{kind:str}": "json",
        "{kind}": "atom",
        "{category}": "monde",
        "{dossier}": "guerre-en-ukraine",
    }
    checked = []
    for route in create_app(db).routes:
        path = getattr(route, "path", "")
        if "GET" not in (getattr(route, "methods", None) or set()) or path == "/api/search":
            continue
        url = path
        for name, value in samples.items():
            url = url.replace(name, value)
        assert "{" not in url, path
        response = client.get(url, params={"q": "kharkiv"} if path == "/search" else None)
        expected = 401 if path == "/admin" else 200  # the admin asks for its token (test_web_admin)
        assert response.status_code == expected, (path, response.status_code)
        checked.append(path)
    assert len(checked) >= 25 and "/dossier/{key}" in checked and "/feeds/dossier/{dossier}.{kind}" in checked
