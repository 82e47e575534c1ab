"""The web app's newer pages, over a real SQLite store: Today's details, story timeline, entities, archive,
sources' health, search filters, the JSON API and its OpenAPI description, and the feeds."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from essentiel.models import Source
from essentiel.publish.text import edition_text
from essentiel.store import open_store
from essentiel.web import create_app
from test_web import ARTICLES, PENSIONS, STORM, Client, build_store

ATOM = "{http://www.w3.org/2005/Atom}"


def build_store_with_sources(path: Path) -> Path:
    """The test_web store, plus two sources: one healthy with a category, one failing."""
    build_store(path)
    with open_store(path) as store:
        politics = store.add_source(
            Source(url="https://www.lemonde.fr/rss", name="Le Monde", category="Politique")
        )
        store.add_source(Source(url="https://broken.example/feed", name="Broken"))
        assert politics.id is not None
        now = datetime.now(UTC)
        store.record_fetch(politics.id, checked_at=now, next_check_at=now)
        broken = store.get_source("https://broken.example/feed")
        assert broken is not None and broken.source.id is not None
        store.record_fetch(broken.source.id, checked_at=now, next_check_at=now, error="HTTP 503")
        with store.db.transaction() as conn:  # the articles of Le Monde's feed
            conn.execute("UPDATE articles SET source_id = ? WHERE id = 'a-fr1'", (politics.id,))
    return path


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    db = build_store_with_sources(tmp_path / "t.db")
    with Client(create_app(db)) as test_client:
        test_client.db_path = db  # type: ignore[attr-defined]
        yield test_client


def test_today_shows_kicker_category_first_seen_and_why_disclosure(client: Client) -> None:
    html = client.get("/").text
    pensions = html[html.index('id="s1"') : html.index('id="s2"')]
    assert '<p class="kicker">Politique</p>' in pensions  # the category of its source
    assert "vu pour la première fois" in pensions
    assert '<details class="why-details">' in pensions and '<table class="factors">' in pensions
    assert re.search(r'<sup class="marker"><a href="https://www.bbc.co.uk/news/france-pensions"', pensions)
    assert '<script src="/static/keys.js" defer></script>' in html
    storm = html[html.index('id="s2"') :]
    assert 'class="kicker"' not in storm.split("</article>")[0]  # no category, no kicker: nothing shown
    assert client.get("/static/keys.js").status_code == 200
    csp = client.get("/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_story_page_timeline_entities_and_times(client: Client) -> None:
    html = client.get("/story/s-storm").text
    timeline = html[html.index('class="timeline"') : html.index("</section>", html.index('class="timeline"'))]
    assert timeline.index("2026-11-24") < timeline.index("2026-11-25")  # both days, oldest first
    assert timeline.count("n° 2 de l’édition") == 2  # ranked on both days
    assert timeline.count("2 articles de 2 médias") == 1  # its articles were all published on the 25th
    assert '<a href="/entity/Bretagne">Bretagne</a>' in html
    assert "07:30 UTC" in html  # the articles' time
    assert client.get("/story/s-pensions").text.count('<p class="kicker">') == 1


def test_entity_page(client: Client) -> None:
    html = client.get("/entity/bretagne").text  # case-insensitive
    assert "Bretagne" in html and 'href="/story/s-storm"' in html and "s-pensions" not in html
    assert client.get("/entity/Atlantide").status_code == 404
    english = client.get("/entity/Paris?lang=en").text
    assert "place" in english and 'href="/story/s-pensions"' in english


def test_archive_calendar(client: Client) -> None:
    html = client.get("/archive").text
    assert "novembre 2026" in html and "2 éditions" in html
    assert 'href="/edition/2026-11-24"' in html and 'href="/edition/2026-11-25"' in html
    assert not re.search(r'href="/edition/2026-11-23"', html)
    assert '<th scope="col">lu</th>' in html


def test_sources_health(client: Client) -> None:
    html = client.get("/sources").text
    rows = {
        m.group(2): (m.group(1), m.group(3))
        for m in re.finditer(
            r'<tr class="(\w+)">\s*<th scope="row"><a href="[^"]+"[^>]*>([^<]+)</a>(.*?)</tr>', html, re.S
        )
    }
    assert rows["Broken"][0] == "failing" and "HTTP 503" in rows["Broken"][1]
    assert rows["Le Monde"][0] == "ok" and "Politique" in rows["Le Monde"][1]
    assert "<td>1</td>" in rows["Le Monde"][1]  # its one article in total
    spark = re.search(
        r'<span class="spark" role="img" aria-label="([^"]+)"[^>]*>([^<]+)</span>', rows["Le Monde"][1]
    )
    assert spark is not None and spark.group(2) == "▁▁▁▁▁▁█"  # today's article, none the six days before
    assert spark.group(1).endswith(" 1")
    sources = client.get("/api/sources").json()
    assert {s["name"]: s["articles_total"] for s in sources} == {"Le Monde": 1, "Broken": 0}
    with open_store(client.db_path, readonly=True) as store:  # type: ignore[attr-defined]
        has_health = "last_error_at" in store.columns("sources")
    if has_health:  # migration 0003: when the last error happened is shown with the error
        assert "dernière erreur" in rows["Broken"][1] and "dernier succès" in rows["Le Monde"][1]


def _found_articles(html: str) -> str:
    return html[html.index('id="found-articles"') :] if 'id="found-articles"' in html else ""


def test_search_filters(client: Client) -> None:
    both = _found_articles(client.get("/search", params={"q": "150"}).text)
    assert "Storm Aurore" in both and "Tempête" in both
    english = _found_articles(client.get("/search", params={"q": "150", "language": "en"}).text)
    assert "Storm Aurore" in english and "Tempête &lt;script&gt;" not in english
    outlet = _found_articles(client.get("/search", params={"q": "150", "source": "ouest-france.fr"}).text)
    assert "Storm Aurore" not in outlet and "Tempête &lt;script&gt;" in outlet
    later = client.get("/search", params={"q": "150", "since": "2026-11-26"}).text
    assert "Storm Aurore" not in later and 'id="found-stories"' not in later
    both = client.get("/search", params={"q": "150"}).text
    assert '<option value="en">anglais</option>' in both
    assert client.get("/search", params={"q": "150", "since": "not-a-date"}).status_code == 200


def test_api_every_route(client: Client) -> None:
    days = client.get("/api/editions").json()
    assert days == [{"day": "2026-11-25", "stories": 2}, {"day": "2026-11-24", "stories": 1}]
    latest = client.get("/api/editions/latest").json()
    assert [s["id"] for s in latest["stories"]] == ["s-pensions", "s-storm"]
    assert latest["stories"][0]["sentences"][0] == {
        "text": PENSIONS.summary.sentences[0].text,
        "article": "a-fr1",
    }
    assert client.get("/api/editions/2026-11-24").json()["stories"][0]["id"] == "s-storm"
    assert client.get("/api/editions/2026-01-01").status_code == 404
    assert client.get("/api/editions/yesterday").status_code == 400
    story = client.get("/api/stories/s-storm").json()
    assert [p["day"] for p in story["timeline"]] == ["2026-11-24", "2026-11-25"]
    assert {a["id"] for a in story["articles"]} == set(STORM.story.article_ids)
    article = client.get("/api/articles/a-fr1").json()
    assert article["text"] == ARTICLES[0].text and article["story"] == "s-pensions"
    assert client.get("/api/articles/nope").status_code == 404
    sources = {s["name"]: s for s in client.get("/api/sources").json()}
    assert sources["Broken"]["error_count"] == 1 and sources["Le Monde"]["articles_total"] == 1
    found = client.get("/api/search", params={"q": "reforme", "language": "fr"}).json()
    assert [a["id"] for a in found["results"]] == ["a-fr1"] and "text" not in found["results"][0]


def test_feeds_atom_stable_guids_and_categories(client: Client) -> None:
    atom = ET.fromstring(client.get("/feed.atom").content)
    ids = [e.findtext(f"{ATOM}id") for e in atom.findall(f"{ATOM}entry")]
    assert ids == ["essentiel:story:s-pensions", "essentiel:story:s-storm"]
    rss = ET.fromstring(client.get("/feed.xml").content)
    assert [g.text for g in rss.iter("guid")] == ids  # the same story keeps its id in every edition
    feed = client.get("/feed.json").json()
    assert [item["id"] for item in feed["items"]] == ids
    politics = ET.fromstring(client.get("/feeds/category/Politique.xml").content)
    assert [g.text for g in politics.iter("guid")] == ["essentiel:story:s-pensions"]
    assert client.get("/feeds/category/Sport.xml").status_code == 404
    assert client.get("/feed.exe").status_code == 404


def test_edition_text_and_markdown(tmp_path: Path) -> None:
    with open_store(build_store(tmp_path / "t.db"), readonly=True) as store:
        edition = store.latest_edition()
        assert edition is not None
        articles = {a.id: a for a in store.get_articles([a.id for a in ARTICLES])}
    text = edition_text(edition, articles, "en", base_url="https://news.example.org/")
    lines = text.splitlines()
    assert lines[0] == "The day's most important news" and lines[1] == "=" * len(lines[0])
    assert all(len(line) <= 78 for line in lines)
    assert "[1] https://www.lemonde.fr/politique/retraites.html" in text
    assert "→ https://news.example.org/story/s-storm" in text
    assert "<script>" in text  # plain text: nothing is markup
    markdown = edition_text(edition, articles, "fr", format="md")
    assert markdown.startswith("# Les nouvelles") and "\\<script\\>" in markdown
    with pytest.raises(ValueError):
        edition_text(edition, articles, format="pdf")
