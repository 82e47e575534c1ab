"""Publishers: the static site (every relative link resolves), the feeds (they parse) and the Markdown briefing."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from essentiel.models import Article, Edition, RankedStory, Story, Summary, SummarySentence
from essentiel.publish.feeds import edition_json_feed, edition_rss
from essentiel.publish.markdown import edition_markdown
from essentiel.publish.site import write_site
from essentiel.store import Store, open_store

DAY = date(2026, 11, 25)
WHEN = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)

ARTICLES = [
    Article(
        id="fr-1",
        url="https://www.lemonde.fr/economie/budget.html",
        title="Le budget 2027 présenté en Conseil des ministres",
        kicker="Économie",
        lead="Le gouvernement vise un déficit de 4,5 %.",
        text="Le ministre a présenté le projet de loi de finances.\nLes économies atteignent 30 milliards d’euros.",
        language="fr",
        site_name="Le Monde",
        outlet="lemonde.fr",
        published=WHEN,
        authors=("Claire Durand",),
    ),
    Article(
        id="en-1",
        url="https://www.ft.com/content/france-budget",
        title="France unveils austerity budget",
        text="France's government presented its 2027 budget.\nIt plans €30bn of savings.",
        language="en",
        site_name="Financial Times",
        outlet="ft.com",
        published=WHEN,
    ),
    Article(
        id="fr-2",
        url="https://www.lefigaro.fr/sports/rugby.html",
        title="Le XV de France bat l’Irlande",
        text="Les Bleus l’ont emporté 27 à 20.\nUn essai en fin de match a fait la différence.",
        language="fr",
        site_name="Le Figaro",
        outlet="lefigaro.fr",
        published=WHEN - timedelta(days=1),
    ),
]

BUDGET = RankedStory(
    rank=1,
    story=Story(id="budget", article_ids=("fr-1", "en-1"), title="Budget 2027"),
    score=0.8,
    why={"reason": "Couvert en français et en anglais", "outlets": 2},
    summary=Summary(
        story_id="budget",
        title="Le budget 2027 présenté",
        sentences=(
            SummarySentence("Le ministre a présenté le projet de loi de finances.", "fr-1"),
            SummarySentence("It plans €30bn of savings.", "en-1"),
        ),
    ),
    outlets=("lemonde.fr", "ft.com"),
    languages=("fr", "en"),
    entities=(("Bercy", "LOC"),),
)
RUGBY = RankedStory(
    rank=1,
    story=Story(id="rugby", article_ids=("fr-2",), title="Rugby"),
    score=0.5,
    why={},
    summary=Summary(
        story_id="rugby",
        title="Le XV de France bat l’Irlande",
        sentences=(SummarySentence("Les Bleus l’ont emporté 27 à 20.", "fr-2"),),
    ),
    outlets=("lefigaro.fr",),
    languages=("fr",),
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "t.db") as db:
        db.save_articles(ARTICLES)
        db.save_stories([BUDGET.story, RUGBY.story])
        db.save_edition(
            Edition(day=DAY - timedelta(days=1), created_at=WHEN - timedelta(days=1), stories=(RUGBY,))
        )
        db.save_edition(Edition(day=DAY, created_at=WHEN, stories=(BUDGET, replace(RUGBY, rank=2))))
        yield db


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"href", "src", "action"} and value:
                self.links.append(value)


def _relative_links(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return [link for link in parser.links if not urlsplit(link).scheme and not link.startswith("#")]


def test_write_site_links_resolve(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "site"
    written = write_site(store, out, days=7)
    names = {p.relative_to(out).as_posix() for p in written}
    for expected in (
        "index.html",
        "edition/2026-11-25.html",
        "edition/2026-11-24.html",
        "story/budget.html",
        "story/rugby.html",
        "article/fr-1.html",
        "article/en-1.html",
        "article/fr-2.html",
        "feed.xml",
        "feed.json",
        "static/style.css",
    ):
        assert expected in names
        assert (out / expected).is_file()
    pages = sorted(out.rglob("*.html"))
    checked = 0
    for page in pages:
        for link in _relative_links(page.read_text(encoding="utf-8")):
            target = (page.parent / unquote(urlsplit(link).path)).resolve()
            assert target.is_file(), f"{page.relative_to(out)} links to missing {link}"
            checked += 1
    assert checked > 30
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Les nouvelles les plus importantes de la journée" in index
    assert 'href="story/budget.html"' in index and 'href="article/fr-1.html"' in index
    assert 'action="' not in index  # no search form without a server
    assert 'href="../article/fr-1.html"' in (out / "story/budget.html").read_text(encoding="utf-8")


def test_write_site_is_deterministic_and_english(store: Store, tmp_path: Path) -> None:
    first = write_site(store, tmp_path / "a", ui_language="en", base_url="https://news.example.org/")
    second = write_site(store, tmp_path / "b", ui_language="en", base_url="https://news.example.org/")
    assert [p.relative_to(tmp_path / "a") for p in first] == [p.relative_to(tmp_path / "b") for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a
    assert "The day&#39;s most important news" in (tmp_path / "a/index.html").read_text(encoding="utf-8")
    feed = json.loads((tmp_path / "a/feed.json").read_text(encoding="utf-8"))
    assert feed["items"][0]["url"] == "https://news.example.org/story/budget.html"


def test_write_site_without_editions(tmp_path: Path) -> None:
    with open_store(tmp_path / "empty.db") as empty:
        written = write_site(empty, tmp_path / "site")
    assert (tmp_path / "site/index.html") in written
    assert "essentiel digest" in (tmp_path / "site/index.html").read_text(encoding="utf-8")
    ET.fromstring((tmp_path / "site/feed.xml").read_text(encoding="utf-8"))


def test_feeds(store: Store) -> None:
    edition = store.latest_edition()
    assert edition is not None
    articles = {a.id: a for a in store.get_articles(["fr-1", "en-1", "fr-2"])}
    rss = ET.fromstring(edition_rss(edition, "https://news.example.org", articles=articles))
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    items = rss.findall("channel/item")
    assert [i.findtext("title") for i in items] == [
        "Le budget 2027 présenté",
        "Le XV de France bat l’Irlande",
    ]
    assert items[0].findtext("link") == "https://news.example.org/story/budget"
    description = items[0].findtext("description") or ""
    assert "Le ministre a présenté le projet de loi de finances." in description
    assert 'href="https://www.ft.com/content/france-budget"' in description
    assert items[0].findtext("pubDate") == "Wed, 25 Nov 2026 06:00:00 +0000"
    feed = json.loads(json.dumps(edition_json_feed(edition, "https://news.example.org/")))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == "https://news.example.org/feed.json"
    first = feed["items"][0]
    assert first["url"] == "https://news.example.org/story/budget"
    assert "https://news.example.org/article/fr-1" in first["content_html"]  # no articles given: reading view
    assert first["_essentiel"]["languages"] == ["fr", "en"] and first["tags"] == ["Bercy"]
    empty = ET.fromstring(edition_rss(None, "https://news.example.org"))
    assert empty.findall("channel/item") == []


def test_markdown(store: Store) -> None:
    edition = store.latest_edition()
    assert edition is not None
    articles = {a.id: a for a in store.get_articles(["fr-1", "en-1", "fr-2"])}
    text = edition_markdown(edition, articles, "fr")
    assert text.startswith("# Les nouvelles les plus importantes de la journée\n")
    assert "*mercredi 25 novembre 2026*" in text
    for item in edition.stories:
        assert f"## {item.rank}. {item.summary.title}" in text
        for sentence in item.summary.sentences:
            assert sentence.text in text
            assert articles[sentence.article].url in text
    assert "([Le Monde](https://www.lemonde.fr/economie/budget.html))" in text
    assert "*2 médias · fr, en*" in text
    english = edition_markdown(edition, articles, "en")
    assert english.startswith("# The day's most important news\n") and "2 outlets" in english
    assert re.search(r"\\\*", edition_markdown(_with_title(edition, "A *bold* claim"), articles, "fr"))


def _with_title(edition: Edition, title: str) -> Edition:
    item = edition.stories[0]
    return replace(edition, stories=(replace(item, summary=replace(item.summary, title=title)),))
