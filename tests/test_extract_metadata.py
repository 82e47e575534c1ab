"""Metadata rules: title vote, dates, publisher names among authors, details beyond Article, language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml.html import fromstring

from essentiel.extract import cleanup, metadata
from essentiel.extract.article import extract_details

BODY = "<article>" + "<p>La commune a voté le budget de l'année prochaine après un long débat public.</p>" * 4
BODY += "</article>"


def page(head: str, body: str = BODY, lang: str = "fr") -> str:
    return f"<html lang='{lang}'><head>{head}</head><body>{body}</body></html>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-04-26T20:44:00+0200", datetime(2024, 4, 26, 20, 44, tzinfo=timezone(timedelta(hours=2)))),
        ("2026-01-06 14:02:09 +01:00", datetime(2026, 1, 6, 14, 2, 9, tzinfo=timezone(timedelta(hours=1)))),
        (
            "Fri Apr 28 19:20:36 CEST 2023",
            datetime(2023, 4, 28, 19, 20, 36, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2024-05-03", datetime(2024, 5, 3, tzinfo=UTC)),
        ("2024-05-03T10:00:00Z", datetime(2024, 5, 3, 10, tzinfo=UTC)),
        ("5", None),  # no year: never completed from today's date
        ("", None),
        ("hier soir", None),
    ],
)
def test_parse_datetime(value: str, expected: datetime | None) -> None:
    assert metadata.parse_datetime(value) == expected


def test_published_prefers_markup_and_reads_name_attributes() -> None:
    tree = fromstring(page('<meta name="article:published_time" content="2026-01-06 14:02:09 +01:00">'))
    assert metadata.published(tree, {}, "2026-01-01") == datetime.fromisoformat("2026-01-06T14:02:09+01:00")
    assert metadata.published(fromstring(page("")), {}, "2026-01-01") == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("head", "h1", "expected"),
    [
        # the site name after the separator is cut when other sources agree on the headline
        (
            "<title>Le budget est voté | Le Journal</title><meta property='og:title' content='Le budget est voté'>",
            "Le budget est voté",
            "Le budget est voté",
        ),
        ("<title>Le budget est voté - Le Journal</title>", "Le Journal", "Le budget est voté"),
        (
            "<title>宮崎県で震度5弱の地震：朝日新聞デジタル</title>",
            "宮崎県で震度5弱の地震",
            "宮崎県で震度5弱の地震",
        ),
        ("<meta property='og:title' content='Un titre pour les réseaux'>", "", "Un titre pour les réseaux"),
    ],
    ids=["vote", "h1-is-logo", "full-width-colon", "only-og"],
)
def test_choose_title(head: str, h1: str, expected: str) -> None:
    tree = fromstring(page(head, f"<h1>{h1}</h1>" + BODY if h1 else BODY))
    assert metadata.choose_title(tree, {}, site_name="Le Journal") == expected


def test_jsonld_headline_entities_are_resolved() -> None:
    tree = fromstring(page(""))
    assert metadata.choose_title(tree, {"headline": "Kohberger&#8217;s lawyers"}) == "Kohberger’s lawyers"


@pytest.mark.parametrize(
    ("authors", "orgs", "expected"),
    [
        (("Heise Online", "Dirk Knop"), ("heise online",), ("Dirk Knop",)),
        (("Frankfurter Allgemeine Zeitung GmbH", "Ralf Euler"), (), ("Ralf Euler",)),
        (("Le Monde",), ("Le Monde",), ("Le Monde",)),  # nobody else: the outlet stays the author
        (("Nina Magoley", "WDR"), ("wdr.de", "wdr"), ("Nina Magoley",)),
    ],
)
def test_drop_organisations(
    authors: tuple[str, ...], orgs: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert metadata.drop_organisations(authors, orgs) == expected


def test_clean_authors_merges_slug_duplicates() -> None:
    assert cleanup.clean_authors(["Sophie Foster", "Sophie-Foster"]) == ("Sophie Foster",)


def test_extract_details() -> None:
    head = """
    <link rel="canonical" href="https://example.fr/politique/budget-123">
    <meta property="article:section" content="Politique">
    <meta property="article:tag" content="Budget"><meta property="article:tag" content="Commune, budget">
    <meta property="article:modified_time" content="2024-11-14T08:12:41+01:00">
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": "Le budget est voté",
      "isAccessibleForFree": "False", "datePublished": "2024-11-14T06:00:00+01:00"}</script>"""
    details = extract_details(page(head), "https://example.fr/x")
    assert details.canonical_url == "https://example.fr/politique/budget-123"
    assert details.section == "Politique"
    assert details.tags == ("Budget", "Commune")  # split on commas, case-insensitive duplicates dropped
    assert details.modified == datetime.fromisoformat("2024-11-14T08:12:41+01:00")
    assert details.paywalled is True
    assert details.language == "fr"


def test_extract_details_defaults_and_keywords() -> None:
    head = '<script type="application/ld+json">{"@type": "Article", "keywords": ["Mer", "Pêche"]}</script>'
    details = extract_details(page(head))
    assert (details.section, details.modified, details.paywalled, details.canonical_url) == (
        None,
        None,
        False,
        None,
    )
    assert details.tags == ("Mer", "Pêche")


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        ("Der Gemeinderat hat am Dienstagabend den Haushalt für das kommende Jahr beschlossen.", "fr", "de"),
        ("OK", "fr", "fr"),  # too short to detect: the declared language
        ("Brexit deal: UK and EU agree", "", "en"),
    ],
)
def test_language_from_text_checked_against_html_lang(text: str, declared: str, expected: str) -> None:
    tree = fromstring(page("", lang=declared) if declared else "<html><body><p>x</p></body></html>")
    assert metadata.language(text * (1 if len(text) < 50 else 2), tree) == expected


@pytest.mark.parametrize(
    "line",
    [
        "Il vous reste 57.09% de cet article à lire. La suite est réservée aux abonnés.",
        "Passer la publicité",
        "Advertisement",
        "Accueil > Actualités > Politique",
    ],
)
def test_more_boilerplate_lines(line: str) -> None:
    assert cleanup.is_boilerplate(line)


def test_strip_embeds_ignores_near_miss_classes() -> None:
    tree = fromstring("<div><div class='twitter-tweet-like-box'><p>Texte de l'article.</p></div></div>")
    assert cleanup.strip_embeds(tree) == 0
