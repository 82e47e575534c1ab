from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from essentiel.errors import ParseError
from essentiel.models import Source
from essentiel.sources.opml import parse_opml, to_opml

FIXTURE = Path(__file__).parent / "fixtures" / "feeds" / "subscriptions.opml"


def test_parse_opml_reads_feeds_categories_and_pages() -> None:
    sources = parse_opml(FIXTURE.read_bytes(), str(FIXTURE))
    by_url = {s.url: s for s in sources}
    assert len(sources) == 4  # the duplicate and the empty folder are dropped
    quotidien = by_url["https://www.lequotidien.example/rss/une.xml"]
    assert (quotidien.name, quotidien.kind, quotidien.category, quotidien.language) == (
        "Le Quotidien — À la une",  # title wins over text
        "feed",
        "Actualité",
        "fr",
    )
    assert by_url["https://ledger.example/world/atom.xml"].category == "Actualité / Monde"
    sitemap = by_url["https://www.journal.example/sitemaps/news.xml"]
    assert (sitemap.kind, sitemap.category) == ("sitemap", "Actualité / France")  # category attribute
    radio = by_url["https://radio.example/"]
    assert (radio.kind, radio.name, radio.category) == ("page", "Radio Bleu Ciel", None)


def test_round_trip() -> None:
    sources = [
        Source(url="https://a.example/rss", name="A", category="Monde", language="fr", country="FR"),
        Source(url="https://b.example/atom", name="B & Co", category="Monde", weight=1.5, independent=False),
        Source(url="https://c.example/sitemap.xml", name="C", kind="sitemap", category="Économie / Marchés"),
        Source(url="https://d.example/", name="D", kind="page", full_page=False),
        Source(url="https://e.example/une-affaire.html", name="E", kind="article", category="Monde"),
        Source(url="https://f.example/feed"),
    ]
    text = to_opml(sources, title="Mes sources")
    back = parse_opml(text.encode("utf-8"), "export.opml")
    expected = [s if s.name else Source(url=s.url, name=s.url) for s in sources]
    assert sorted(back, key=lambda s: s.url) == sorted(expected, key=lambda s: s.url)


def test_to_opml_groups_by_category() -> None:
    sources = [
        Source(url="https://a.example/rss", name="A", category="Monde"),
        Source(url="https://b.example/rss", name="B"),
        Source(url="https://c.example/rss", name="C", category="Monde"),
    ]
    root = etree.fromstring(to_opml(sources).encode("utf-8"))
    assert root.findtext("head/title") == "essentiel"
    folders = root.findall("body/outline")
    assert [f.get("text") for f in folders] == ["Monde", "B"]
    assert [o.get("xmlUrl") for o in folders[0]] == ["https://a.example/rss", "https://c.example/rss"]
    assert folders[0][0].get("type") == "rss"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty OPML file"),
        (b"<opml><body><outline text='x'>", "broken XML"),
        (b"<html><body><p>Bonjour</p></body></html>", "the root element is <html>, not <opml>"),
        (b"<opml version='2.0'><head/></opml>", "no <body> element"),
        (b"<opml><body><outline xmlUrl='https://a.example/' weight='lourd'/></body></opml>", "weight"),
    ],
    ids=["empty", "broken-xml", "html", "no-body", "bad-weight"],
)
def test_broken_opml_names_the_file(content: bytes, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_opml(content, "abonnements.opml")
    assert str(caught.value).startswith("abonnements.opml: ")
    assert message in str(caught.value)


def test_opml_without_feeds_is_empty() -> None:
    assert parse_opml(b"<opml version='1.0'><body><outline text='vide'/></body></opml>", "x.opml") == []
