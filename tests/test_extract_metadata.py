"""Metadata rules: title vote, dates, publisher names among authors, details beyond Article, language."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml.html import fromstring
from trafilatura.metadata import extract_author

from essentiel.extract import cleanup, metadata
from essentiel.extract.article import extract_article, extract_details, web_url
from essentiel.extract.pagemeta import JSON_MAX_CHARS, html_byline
from essentiel.store import open_store

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


DETAILS_HEAD = """
    <link rel="canonical" href="https://example.fr/politique/budget-123">
    <meta property="article:section" content="Politique">
    <meta property="article:tag" content="Budget"><meta property="article:tag" content="Commune, budget">
    <meta property="article:modified_time" content="2024-11-14T08:12:41+01:00">
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": "Le budget est voté",
      "datePublished": "2024-11-14T06:00:00+01:00"}</script>"""


def test_extract_details() -> None:
    head = DETAILS_HEAD.replace('"headline"', '"isAccessibleForFree": "False", "headline"')
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


# --- Headline: JSON-LD first, site names cut, kickers the page keeps apart -----------------------------


@pytest.mark.parametrize(
    ("head", "h1", "ld", "url", "expected"),
    [
        # the publisher's structured headline wins over a reworded og:title and <h1>
        (
            "<meta property='og:title' content='Un autre titre pour les réseaux sociaux'>",
            "Un autre titre pour les réseaux sociaux",
            {"headline": "Le conseil vote le budget de la commune"},
            "",
            ("", "Le conseil vote le budget de la commune"),
        ),
        # a tail that the other sources leave out: section and site name
        (
            "<meta property='og:title' content='Steuern steigen im Herbst'>",
            "Steuern steigen im Herbst",
            {"headline": "Steuern steigen im Herbst | Wirtschaft | Morgenkurier.de"},
            "https://www.morgenkurier.de/a/1",
            ("", "Steuern steigen im Herbst"),
        ),
        # only <title>, with the site name before and after: both cut (domain stem, no other source needed)
        (
            "<title>Morgenkurier.de | Steuern steigen im Herbst - Morgenkurier</title>",
            "",
            {},
            "https://morgenkurier.de/a/1",
            ("", "Steuern steigen im Herbst"),
        ),
        # a prefix that merely contains the site name is not the site name
        (
            "<title>L’Université PSL : quand les grandes écoles font université | PSL</title>",
            "",
            {},
            "https://psl.eu/a",
            ("L’Université PSL", "Quand les grandes écoles font université"),
        ),
        # the kicker marked up in the <h1> ("Dachzeile" / kicker span)
        (
            "",
            "<span class='article-title__kicker'>Bubi-Bomber wieder da</span><span>: </span>"
            "<span class='article-title__headline'>Thioune fordert Geduld mit Niemiec</span>",
            {"headline": "Bubi-Bomber wieder da: Thioune fordert Geduld mit Niemiec"},
            "",
            ("Bubi-Bomber wieder da", "Thioune fordert Geduld mit Niemiec"),
        ),
        # the og:title leaves the kicker out: "Kicker: Title" split even without a space before the colon
        (
            "<meta property='og:title' content='Judy Lybke, ganz und gar nicht eigenartig'>",
            "Neue Leipziger Schule: Judy Lybke, ganz und gar nicht eigenartig",
            {"headline": "Neue Leipziger Schule: Judy Lybke, ganz und gar nicht eigenartig"},
            "",
            ("Neue Leipziger Schule", "Judy Lybke, ganz und gar nicht eigenartig"),
        ),
        # an <h1> that is only the logo is skipped
        ("<title>Le budget est voté - Le Journal</title>", "Le Journal", {}, "", ("", "Le budget est voté")),
    ],
    ids=["jsonld-first", "section-tail", "site-prefix", "no-greedy-prefix", "h1-kicker", "og-kicker", "logo"],
)
def test_headline(head: str, h1: str, ld: dict[str, str], url: str, expected: tuple[str, str]) -> None:
    tree = fromstring(page(head, f"<h1>{h1}</h1>" + BODY if h1 else BODY))
    found = metadata.headline(tree, ld, site_name="Le Journal" if "Journal" in head else "", url=url)
    assert (found.kicker, found.title) == expected


def test_headline_kicker_reaches_the_article() -> None:
    head = """<meta property='og:title' content='Trump spricht nach Tanker-Stürmung über Bodeneinsätze'>
    <script type="application/ld+json">{"@type": "NewsArticle",
      "headline": "\\"Es wird bald beginnen\\": Trump spricht nach Tanker-Stürmung über Bodeneinsätze"}</script>"""
    article = extract_article(page(head, lang="de"), "https://www.ntv.example/a/1")
    assert article.kicker == '"Es wird bald beginnen"'
    assert article.title == "Trump spricht nach Tanker-Stürmung über Bodeneinsätze"


# --- Authors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Capital Von Jemima Kelly", ("Jemima Kelly",)),  # a byline word inside the name
        ("Ursula von der Leyen", ("Ursula von der Leyen",)),  # ... but a name particle stays
        (
            "Elena Oberholzer (obe); Corina Gall (cog.)",
            ("Elena Oberholzer", "Corina Gall"),
        ),  # newsroom initials
        ("Foto Mads Claus Rasmussen", ()),  # a picture credit is no author
        ("Quelle: dpa", ()),
        ("María R. Sahuquillo", ("María R. Sahuquillo",)),  # initials keep their dot
        ("A\r:", ()),  # control whitespace is no name (a fuzz case); "A" alone is too short to be one
    ],
)
def test_clean_authors_more(raw: str, expected: tuple[str, ...]) -> None:
    assert cleanup.clean_authors(raw.split(";")) == expected


def test_jsonld_author_names_are_taken_as_written() -> None:
    head = """<meta name="author" content="María R. Sahuquillo">
    <script type="application/ld+json">{"@type": "NewsArticle", "headline": "Bruselas sondea la apertura",
      "author": {"@type": "Person", "name": "María R. Sahuquillo"}}</script>"""
    article = extract_article(page(head, lang="es"), "https://elpais.example/a")
    assert article.authors == (
        "María R. Sahuquillo",
    )  # trafilatura's meta reading gives "María R Sahuquillo"


def test_publisher_as_author_sends_to_the_html_byline() -> None:
    head = (
        '<meta name="author" content="Lesotho Times"><meta property="og:site_name" content="Lesotho Times">'
    )
    body = "<article><p class='byline'><span class='author-name'>Mohloai Mpesi</span></p>" + BODY[9:]
    article = extract_article(page(head, body, lang="en"), "https://lestimes.example/a")
    assert article.authors == ("Mohloai Mpesi",)
    alone = extract_article(page(head, lang="en"), "https://lestimes.example/b")
    assert alone.authors == ("Lesotho Times",)  # nobody else: the publisher stays


BYLINE_PAGES = [
    "<div class='author'>Jane Doe</div><p>Text.</p>",
    "<div class='comments'><span class='author'>Troll</span></div><span class='byline'>John Roe</span>",
    "<p class='meta-author'>Par <b>Marie</b> Dupont</p>",
    "<figure><span class='author'>Photo Agency</span></figure><a rel='author' href='/p'>Ann Lee</a>",
    "<div id='Author-box'><time>hier</time> Lucía Martínez</div>",
    "<span itemprop='author name'>Hans Meier</span><div class='author'>Other</div>",
    "<p>No byline at all.</p>",
]


@pytest.mark.parametrize("body", BYLINE_PAGES)
def test_html_byline_matches_trafilatura(body: str) -> None:
    """One pass with Python tests gives what trafilatura's five XPath passes give (on the page itself)."""
    tree = fromstring(page("", body))
    assert html_byline(deepcopy(tree)) == extract_author(tree)


def test_big_jsonld_is_read_without_trafilatura() -> None:
    filler = ", ".join(f'{{"@type": "BlogPosting", "text": "{"x" * 200}"}}' for _ in range(600))
    head = f"""<script type="application/ld+json">{{"@type": "LiveBlogPosting", "headline": "Le direct",
      "author": {{"@type": "Person", "name": "Anne Martin"}}, "liveBlogUpdate": [{filler}]}}</script>"""
    assert len(head) > JSON_MAX_CHARS
    article = extract_article(page(head), "https://example.fr/direct")
    assert (article.title, article.authors) == ("Le direct", ("Anne Martin",))


# --- Metadata on the Article, and in the store ---------------------------------------------------------


def test_article_carries_the_page_metadata() -> None:
    article = extract_article(page(DETAILS_HEAD), "https://example.fr/x")
    assert article.modified == datetime.fromisoformat("2024-11-14T08:12:41+01:00")
    assert (article.section, article.tags) == ("Politique", ("Budget", "Commune"))
    assert article.canonical_url == "https://example.fr/politique/budget-123"
    assert article.paywalled is False
    # the `essentiel extract` contract (keys checked in tests/test_cli.py) is unchanged
    assert not {"modified", "section", "tags", "canonical_url", "paywalled"} & set(article.to_json())


@pytest.mark.parametrize(
    ("notice", "lang"),
    [
        ("Il vous reste 78 % de cet article à lire.", "fr"),
        ("This article is for subscribers only.", "en"),
        ("Dieser Artikel ist nur für Abonnenten verfügbar.", "de"),
    ],
)
def test_paywall_notice_marks_a_teaser(notice: str, lang: str) -> None:
    paragraphs = [
        "The council voted the budget for next year after a long public debate in the town hall.",
        "The opposition asked for more money for schools and for the repair of the old bridge.",
        "A final vote on the new swimming pool is expected before the end of the month.",
    ]
    body = "<article>" + "".join(f"<p>{p}</p>" for p in paragraphs) + f"<p>{notice}</p></article>"
    article = extract_article(page("", body, lang=lang), "https://example.fr/t")
    assert article.paywalled is True
    assert notice not in article.text


def test_article_metadata_survives_the_store(tmp_path: Path) -> None:
    article = extract_article(page(DETAILS_HEAD), "https://example.fr/x")
    article = replace(article, paywalled=True)
    with open_store(tmp_path / "e.db") as store:
        store.save_articles([article])
        loaded = store.get_article(article.id)
        assert loaded is not None
        assert (loaded.modified, loaded.section, loaded.tags) == (
            article.modified,
            "Politique",
            ("Budget", "Commune"),
        )
        assert (loaded.canonical_url, loaded.paywalled) == ("https://example.fr/politique/budget-123", True)
        assert loaded == replace(article, category=None, country=None)


def test_published_date_in_document_order_from_meta_and_time() -> None:
    body = "<article><time itemprop='datePublished' datetime='2024-05-01T10:00:00+02:00'>1 mai</time>"
    body += BODY[9:]
    tree = fromstring(page("<meta name='date' content='2024-05-02T09:00:00Z'>", body))
    assert metadata.published(tree, {}, None) == datetime(2024, 5, 2, 9, tzinfo=UTC)  # <head> comes first
    tree = fromstring(page("", body))
    assert metadata.published(tree, {}, None) == datetime.fromisoformat("2024-05-01T10:00:00+02:00")


@pytest.mark.parametrize(
    ("value", "base", "expected"),
    [
        ("https://cdn.example.fr/a.jpg", "https://example.fr/x", "https://cdn.example.fr/a.jpg"),
        ("//cdn.example.fr/a.jpg", "", "https://cdn.example.fr/a.jpg"),
        ("/img/a.jpg", "https://example.fr/politique/x", "https://example.fr/img/a.jpg"),
        ("javascript:alert(1)", "https://example.fr/x", None),
        (" JaVaScRiPt:alert(1)", "", None),
        ("data:image/png;base64,AAAA", "https://example.fr/x", None),
        ("", "https://example.fr/x", None),
    ],
)
def test_web_url(value: str, base: str, expected: str | None) -> None:
    assert web_url(value, base) == expected


def test_script_urls_are_not_kept_as_image_or_canonical() -> None:
    head = """<meta property="og:image" content="javascript:alert(1)">
    <link rel="canonical" href="javascript:alert(2)">"""
    article = extract_article(page(DETAILS_HEAD.replace('<link rel="canonical"', '<link rel="x"') + head))
    assert (article.image, article.canonical_url, article.url) == (None, None, "")
    article = extract_article(
        page('<meta property="og:image" content="/img/a.jpg">'), "https://example.fr/p/1"
    )
    assert article.image == "https://example.fr/img/a.jpg"
