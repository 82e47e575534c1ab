from __future__ import annotations

import contextlib
import gzip
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from essentiel.errors import ParseError
from essentiel.models import FeedItem
from essentiel.sources.feeds import (
    detect_format,
    discover_feeds,
    html_to_text,
    is_sitemap_index,
    parse_feed,
    read_feed,
    update_hint,
)

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
FEED_URL = "https://www.lequotidien.example/rss/une.xml"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(name: str, url: str = FEED_URL) -> list[FeedItem]:
    return parse_feed(load(name), url)


@pytest.mark.parametrize(
    ("name", "kind", "count", "language"),
    [
        ("rss20_fr.xml", "feed", 2, "fr"),
        ("rss091_en.xml", "feed", 1, "en"),
        ("rss10_rdf.xml", "feed", 1, "fr"),
        ("atom_en.xml", "feed", 2, "en"),
        ("jsonfeed.json", "json", 2, "fr"),
        ("sitemap.xml", "sitemap", 3, None),
        ("news_sitemap.xml", "sitemap", 2, "fr"),
        ("sitemap_index.xml", "sitemapindex", 2, None),
    ],
    ids=["rss2.0", "rss0.91", "rss1.0", "atom", "jsonfeed", "sitemap", "news-sitemap", "sitemap-index"],
)
def test_every_format_becomes_feed_items(name: str, kind: str, count: int, language: str | None) -> None:
    items = parse(name)
    assert detect_format(load(name)) == kind
    assert len(items) == count
    assert all(item.url.startswith(("http://", "https://")) for item in items)
    assert all(item.published is None or item.published.tzinfo == UTC for item in items)
    assert items[0].language == language


def test_rss20_item_fields() -> None:
    first, second = parse("rss20_fr.xml")
    assert first.url.startswith("https://www.lequotidien.example/politique/article/2025/06/10/reforme")
    assert first.title == "Réforme des retraites : l’Assemblée adopte le texte en première lecture"
    assert first.summary == "Le texte a été adopté par 289 voix contre 250, à l’issue d’une nuit de débats."
    assert "<b>289 voix</b>" in first.content  # content:encoded keeps its HTML...
    assert 'href="https://www.lequotidien.example/politique/calendrier"' in first.content  # ...made absolute
    assert first.published == datetime(2025, 6, 10, 12, 30, tzinfo=UTC)
    assert first.authors == ("Jeanne Martin",)
    assert first.guid == "lq-123"
    # a relative <link> is resolved against the feed URL; "email (Name)" gives the name
    assert second.url == "https://www.lequotidien.example/societe/article/2025/06/10/canicule_124.html"
    assert second.authors == ("Paul Durand",)
    assert second.content == ""


def test_atom_entry_fields() -> None:
    first, second = parse("atom_en.xml", "https://ledger.example/world/atom.xml")
    assert first.url == "https://ledger.example/world/2025/06/10/ceasefire-talks"
    assert first.title == "Ceasefire talks resume in Geneva"
    assert first.summary == "Delegations met for six hours & agreed to meet again."
    assert "track()" not in first.content and "More talks on Friday." in first.content
    assert first.published == datetime(2025, 6, 10, 12, 15, tzinfo=UTC)
    assert first.authors == ("Amira Haddad", "Tom Becker")
    assert first.guid == "tag:ledger.example,2025:world/4411"
    assert (second.language, second.published) == ("fr", datetime(2025, 6, 10, 7, 0, tzinfo=UTC))


def test_json_feed_fields() -> None:
    first, second = parse("jsonfeed.json", "https://radio.example/feed.json")
    assert first.title == "Grève à la SNCF : le trafic perturbé jeudi"
    assert first.summary == "Un TGV sur deux circulera."
    assert first.content.startswith("<p>Un TGV")
    assert first.authors == ("Lucie Bernard", "Marc Petit")
    assert first.published == datetime(2025, 6, 10, 4, 30, tzinfo=UTC)
    assert second.url == "https://radio.example/infos/2025/06/10/meteo"
    assert second.content == "Le soleil revient dès mercredi &lt;enfin&gt;."  # content_text, escaped
    assert second.authors == ("Rédaction Bleu Ciel",)  # the feed's authors
    assert (second.language, second.guid) == ("en", "2")
    assert second.published == datetime(2025, 6, 10, 5, 0, tzinfo=UTC)  # date_modified


def test_sitemaps() -> None:
    plain = parse("sitemap.xml", "https://www.journal.example/sitemap.xml")
    assert [i.url for i in plain] == [
        "https://www.journal.example/economie/inflation-juin.html",
        "https://www.journal.example/sport/tour-de-france.html",
        "https://www.journal.example/culture/festival.html",
    ]
    assert plain[0].published == datetime(2025, 6, 10, 9, 20, tzinfo=UTC)  # lastmod, not the image's loc
    assert plain[1].published == datetime(2025, 6, 9, tzinfo=UTC)
    news = parse("news_sitemap.xml")
    assert news[0].title == "Sommet du G7 : accord sur l’aide à l’Ukraine"
    assert news[0].published == datetime(2025, 6, 10, 11, 45, tzinfo=UTC)
    assert (news[1].language, news[1].title) == ("en", "G7 summit agrees on Ukraine aid")


def test_sitemap_index() -> None:
    assert is_sitemap_index(load("sitemap_index.xml"))
    assert not is_sitemap_index(load("sitemap.xml"))
    assert not is_sitemap_index(load("rss20_fr.xml"))
    children = [i.url for i in parse("sitemap_index.xml")]
    assert children[1] == "https://www.journal.example/sitemaps/2025-06.xml.gz"


def test_gzipped_sitemap_is_decompressed() -> None:
    items = parse_feed(gzip.compress(load("news_sitemap.xml")), "https://www.journal.example/news.xml.gz")
    assert len(items) == 2
    assert is_sitemap_index(gzip.compress(load("sitemap_index.xml")))


def test_feed_without_items_is_empty_not_an_error() -> None:
    content = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Vide</title></channel></rss>'
    assert parse_feed(content, FEED_URL) == []


def test_bozo_feed_with_entries_is_accepted_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="essentiel.sources.feeds"):
        items = parse("bozo_entries.xml")
    assert [i.title for i in items] == ["Fromages & vins : le salon ouvre"]
    assert "not well-formed" in caplog.text


def test_duplicate_urls_are_kept_once() -> None:
    item = "<item><title>{}</title><link>https://a.example/x</link></item>"
    content = f'<rss version="2.0"><channel>{item.format("un")}{item.format("deux")}</channel></rss>'
    assert [i.title for i in parse_feed(content.encode(), FEED_URL)] == ["un"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty document"),
        (b"  \n\t ", "empty document"),
        (load("truncated.xml"), "not a valid feed"),
        (load("html_page.html"), "an HTML page, not a feed"),
        (b"Bonjour, ceci n'est pas un flux.", "not a valid feed"),
        (b"<?xml version='1.0'?><catalogue><livre/></catalogue>", "root element <catalogue>"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "invalid JSON"),
        (b'{"title": "pas un flux"}', "not a JSON Feed"),
        (b"[1, 2, 3]", "not a JSON Feed"),
        (b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>x', "broken sitemap XML"),
        (b"\x1f\x8b\x08\x00garbage", "broken gzip data"),
    ],
    ids=[
        "empty",
        "blank",
        "truncated-xml",
        "html-page",
        "plain-text",
        "unknown-xml",
        "broken-json",
        "json-not-feed",
        "json-array",
        "broken-sitemap",
        "broken-gzip",
    ],
)
def test_broken_input_raises_one_clear_parse_error(content: bytes, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed(content, FEED_URL)
    text = str(caught.value)
    assert text.startswith(f"{FEED_URL}: ")
    assert message in text
    assert "\n" not in text
    assert caught.value.source == FEED_URL


def test_discover_feeds() -> None:
    found = discover_feeds(load("html_page.html"), "https://www.lequotidien.example/une/")
    assert found == [  # resolved against <base href>, deduplicated, non-feed alternates ignored
        "https://www.lequotidien.example/rss/une.xml",
        "https://www.lequotidien.example/atom/monde.xml",
        "https://www.lequotidien.example/feed.json",
    ]


@pytest.mark.parametrize(
    "page",
    [b"", b"<html><head><title>x</title></head><body>rien</body></html>", b"\x00\xff garbage"],
    ids=["empty", "no-links", "garbage"],
)
def test_discover_feeds_finds_nothing(page: bytes) -> None:
    assert discover_feeds(page, "https://example.org/") == []


def test_discover_feeds_relative_to_the_page() -> None:
    page = b'<html><head><link rel="alternate" type="application/atom+xml" href="atom.xml"></head></html>'
    assert discover_feeds(page, "https://example.org/blog/") == ["https://example.org/blog/atom.xml"]


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        ("plain   text\n here", "plain text here"),
        ("<p>Un <b>mot</b>&nbsp;fort &amp; clair</p>", "Un mot fort & clair"),  # nbsp normalised
        ("<p>Un</p><p>Deux</p>", "Un\nDeux"),
        ("<script>var x = 1;</script><style>p{}</style>Texte", "Texte"),
        ("AT&T < 5", "AT&T < 5"),
        ("", ""),
    ],
    ids=["plain", "inline-and-entities", "blocks", "script-style", "bare-ampersand", "empty"],
)
def test_html_to_text(fragment: str, text: str) -> None:
    assert html_to_text(fragment) == text


XMLISH = st.sampled_from(
    [
        b"",
        b"<?xml version='1.0'?>",
        b"<rss version='2.0'><channel>",
        b"<feed xmlns='http://www.w3.org/2005/Atom'>",
    ]
    + [b"<urlset>", b"<sitemapindex>", b'{"items": ', b"\x1f\x8b", b"<html>", b"\xef\xbb\xbf"]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=XMLISH, body=st.binary(max_size=400))
def test_parse_feed_raises_only_parse_error(prefix: bytes, body: bytes) -> None:
    try:
        items = parse_feed(prefix + body, FEED_URL)
    except ParseError as exc:
        assert "\n" not in str(exc)
    else:
        assert all(isinstance(item, FeedItem) for item in items)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_parse_feed_on_arbitrary_text(text: str) -> None:
    for content in (text.encode("utf-8"), f"<rss version='2.0'><channel><item>{text}".encode()):
        with contextlib.suppress(ParseError):
            parse_feed(content, FEED_URL)


@pytest.mark.parametrize(
    ("channel", "minutes"),
    [
        ({"ttl": "60"}, 60),
        ({"ttl": " 90 "}, 90),
        ({"ttl": "0", "sy_updateperiod": "daily"}, 1440),
        ({"sy_updateperiod": "Hourly", "sy_updatefrequency": "4"}, 15),
        ({"sy_updateperiod": "weekly", "sy_updatefrequency": "x"}, 7 * 1440),
        ({"sy_updateperiod": "monthly"}, 30 * 1440),
        ({"sy_updateperiod": "sometimes"}, None),
        ({"ttl": "-5"}, None),
        ({"ttl": "\u00b2"}, None),  # "²".isdigit() is true, int("²") fails
        ({"sy_updateperiod": "daily", "sy_updatefrequency": "\u00b2"}, 1440),
        ({"ttl": "99999999999"}, None),
        ({}, None),
    ],
)
def test_update_hint(channel: dict[str, str], minutes: int | None) -> None:
    hint = update_hint(channel)
    assert (None if hint is None else hint.total_seconds() / 60) == minutes


def test_read_feed_gives_the_channels_hint() -> None:
    sy = "http://purl.org/rss/1.0/modules/syndication/"
    rss = (
        f"<?xml version='1.0'?><rss version='2.0' xmlns:sy='{sy}'><channel><title>t</title>"
        "<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>"
        "<item><link>https://a.example/1</link></item></channel></rss>"
    ).encode()
    parsed = read_feed(rss, "https://a.example/feed")
    assert parsed.update_every == timedelta(hours=12) and [i.url for i in parsed.items] == [
        "https://a.example/1"
    ]
    assert (
        read_feed(b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "u").update_every is None
    )
