"""Author and headline rules of the issue #4 follow-up, each on a fixture page (tests/fixtures/extract/).

Which source to trust for authors (JSON-LD names as written, a newsroom byline, a wire agency as the only
author, the HTML byline search only for names of two words or more), list splitting, names in scripts without
case, datelines after a byline, JSON-LD nested in a WebPage's mainEntity, and per-site headline sources.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml.html import fromstring

from essentiel.extract import cleanup, metadata
from essentiel.extract.article import extract_article
from essentiel.extract.sites import OG_TITLE_SITES, SITE_RULES, SiteRule, rule_for

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- Which author source wins ---------------------------------------------------------------------


def test_wire_agency_in_jsonld_is_the_author_as_written() -> None:
    """JSON-LD author {"@type": "Organization", "name": "dpa"}, meta author = the site, an HTML byline of one
    word ("amw": newsroom initials): nobody is a person, so the JSON-LD author as the publisher wrote it."""
    article = extract_article(fixture("de_wire_org_author.html"), "https://www.morgenkurier.example/a/1")
    assert article.authors == ("dpa",)


def test_single_word_html_byline_is_no_person() -> None:
    """Without the JSON-LD author, a one-word HTML byline ("Amw") is still not taken; two words are."""
    html = fixture("de_wire_org_author.html").replace(b'"name": "dpa"', b'"name": ""')
    initials = html.replace(b">amw<", b">Amw<")
    assert extract_article(initials, "https://www.morgenkurier.example/a/1").authors == ()
    person = html.replace(b">amw<", b">Anna Weber<")
    assert extract_article(person, "https://www.morgenkurier.example/a/1").authors == ("Anna Weber",)


def test_newsroom_byline_in_jsonld_beats_the_meta_tags() -> None:
    """JSON-LD (inside a WebPage's mainEntity) gives "Ledger staff reporter"; the meta tags add the wire."""
    article = extract_article(fixture("en_staff_byline.html"), "https://www.dailyledger.example/a")
    assert article.authors == ("Ledger staff reporter",)
    assert article.published is not None and article.published.isoformat() == "2024-02-24T14:05:00+00:00"


def test_dateline_after_a_byline_line_is_no_author() -> None:
    article = extract_article(fixture("de_byline_dateline.html"), "https://finanzblatt.example/a")
    assert article.authors == ("Anna Sleegers",)
    assert "Von Anna Sleegers" not in article.text


def test_names_in_a_script_without_case_and_nested_jsonld_lists() -> None:
    """Hangul names are names (no capital letter to look for); [A, [B]] in JSON-LD gives both."""
    article = extract_article(fixture("ko_authors.html"), "https://maeil.example/a")
    assert article.authors == ("배윤경", "이상현")


# --- Author lists ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "Trine Juncher Jørgensen og Tôrtia Reimer-Johansen",
            ("Trine Juncher Jørgensen", "Tôrtia Reimer-Johansen"),
        ),
        ("Anna Svensson och Erik Berg", ("Anna Svensson", "Erik Berg")),
        ("Mario Rossi e Luca Bianchi", ("Mario Rossi", "Luca Bianchi")),
        ("Robert E Lee", ("Robert E Lee",)),  # an upper-case letter is an initial, not "e" (and)
        ("Mathatisi Sebusi/Mohalenyane Phakela", ("Mathatisi Sebusi", "Mohalenyane Phakela")),
        ("Jean de La Fontaine et Marie Curie", ("Jean de La Fontaine", "Marie Curie")),  # particles stay
        ("新間", ("新間",)),
        ("배윤경; 이상현", ("배윤경", "이상현")),
        ("staff", ()),  # lower case: no name
    ],
)
def test_author_lists_are_split(raw: str, expected: tuple[str, ...]) -> None:
    assert cleanup.clean_authors(raw) == expected


def test_role_names_are_kept_only_when_asked() -> None:
    assert cleanup.clean_authors(["MND Staff"]) == ()
    assert cleanup.clean_authors(["MND Staff"], keep_roles=True) == ("MND Staff",)
    assert cleanup.clean_authors("By Jane Doe, Political Editor", keep_roles=False) == ("Jane Doe",)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Von Anna Sleegers, Frankfurt", ("Anna Sleegers",)),
        ("By Jane Doe, London", ("Jane Doe",)),
        ("By Jane Doe and John Roe", ("Jane Doe", "John Roe")),
        ("Par Claire Dupont, Marc Petit", ("Claire Dupont", "Marc Petit")),  # two names: no dateline
    ],
)
def test_byline_dateline(line: str, expected: tuple[str, ...]) -> None:
    assert cleanup.byline_authors(line) == expected


def test_jsonld_authors_nested_and_main_entity() -> None:
    page = """<html><head><script type="application/ld+json">{"@type": "WebPage", "mainEntity": {
      "@type": "NewsArticle", "headline": "H", "author": [{"name": "A B"}, [{"name": "C D"}], "E F"]}}</script>
      </head><body></body></html>"""
    ld = metadata.jsonld_article(fromstring(page))
    assert ld["headline"] == "H"
    assert metadata.ld_authors(ld) == ["A B", "C D", "E F"]


# --- Headline source per site ---------------------------------------------------------------------


def test_site_rule_trusts_og_title_first() -> None:
    """stern.de's og:title is its headline (fundus gold); elsewhere the JSON-LD headline comes first. The
    visible <h1> (the JSON-LD wording) does not stay in the body as its first line."""
    page = fixture("de_og_title_site.html")
    assert "stern.de" in OG_TITLE_SITES
    stern = extract_article(page, "https://www.stern.de/politik/ausland/trump-123.html")
    assert stern.title == "Warum Kritik an Trumps Charakter so ineffektiv ist und verpufft"
    assert not stern.text.startswith("Donald Trump")
    other = extract_article(page, "https://www.wochenblick.example/trump.html")
    assert other.title == "Donald Trump: Warum Kritik an seinem Charakter so ineffektiv ist"


def test_title_sources_rule_for_any_outlet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SITE_RULES, "wochenblick.example", SiteRule(title_sources=("og",)))
    assert rule_for("wochenblick.example") == SiteRule(title_sources=("og",))
    article = extract_article(fixture("de_og_title_site.html"), "https://www.wochenblick.example/trump.html")
    assert article.title == "Warum Kritik an Trumps Charakter so ineffektiv ist und verpufft"


def test_publisher_and_agency_credit_is_kept_as_written() -> None:
    """ "Le Quotidien et AFP": the publisher and a wire agency, nobody by name; the credit stays whole."""
    article = extract_article(fixture("fr_agency_credit.html"), "https://www.lequotidien.example/a/1")
    assert article.authors == ("Le Quotidien et AFP",)


def test_agency_beside_a_person_stays() -> None:
    html = fixture("fr_agency_credit.html").replace(
        b'[{"@type": "Person", "name": "Le Quotidien et AFP"}]',
        b'[{"@type": "Person", "name": "Claire Dupont"}, {"name": "AFP"}]',
    )
    article = extract_article(html, "https://www.lequotidien.example/a/1")
    assert article.authors == ("Claire Dupont", "AFP")
    assert metadata.names_a_person(["AFP", "Claire Dupont"]) and not metadata.names_a_person(["AFP", "dpa"])


def test_og_title_tail_after_an_unknown_separator_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    """og:title "Headline * Site * by Name" (a separator the usual list does not know) is cut where another
    source ends: the JSON-LD headline is the same headline without the tail."""
    monkeypatch.setitem(SITE_RULES, "wochenblick.example", SiteRule(title_sources=("og",)))
    headline = "Donald Trump: Warum Kritik an seinem Charakter so ineffektiv ist"
    html = fixture("de_og_title_site.html").replace(
        b"Warum Kritik an Trumps Charakter so ineffektiv ist und verpufft",
        f"{headline} * Wochenblick * by Jemima Kelly".encode(),
    )
    article = extract_article(html, "https://www.wochenblick.example/trump.html")
    assert (article.kicker, article.title) == ("", headline)


def test_a_body_that_is_only_its_description_stays_the_body() -> None:
    """The lead rule takes a first paragraph that repeats the description, but not the only one: the page
    would otherwise have no text at all (ParseError)."""
    article = extract_article(fixture("fr_description_only.html"), "https://www.lequotidien.example/terres")
    assert article.lead == ""
    assert article.text.startswith("24 milliards de tonnes de terres fertiles")


# --- Rules of the third follow-up: "Auteur" before a name, invisible characters in headlines ----------------


def test_the_word_author_before_a_name_is_no_part_of_it() -> None:
    """A meta author "Auteur Anna Kubišta" (radio.cz writes it so; trafilatura keeps it) names Anna Kubišta."""
    article = extract_article(fixture("fr_auteur_meta.html"), "https://francais.radio.example/a")
    assert article.authors == ("Anna Kubišta",)
    assert cleanup.clean_authors(["Autor: Hans Meier", "Autorin Eva Roth", "Author Jane Doe"]) == (
        "Hans Meier",
        "Eva Roth",
        "Jane Doe",
    )
    assert cleanup.clean_authors(["David Autor"]) == ("David Autor",)  # a surname, not a prefix


def test_invisible_characters_leave_the_headline() -> None:
    """A soft hyphen inside a word and a trailing zero-width space (JSON-LD, og:title, <h1> all carry them) would
    split the word for search and make the title differ from the same title typed without them."""
    article = extract_article(fixture("de_invisible_title.html"), "https://tagesblatt.example/a")
    assert article.title == "Trump plant Helikopterlandeplatz beim Weissen Haus"
    assert "Trump plant Helikopter" not in article.text  # the repeated <h1> still leaves the body


def test_time_stamp_and_read_also_lines_leave_the_body() -> None:
    """A time stamp alone on its line ("Stand: …") and a Norwegian "Les også:" link are no article text."""
    article = extract_article(fixture("no_timestamp_read_also.html"), "https://dagsavisa.example/a")
    assert article.text.splitlines() == [
        "Om lag én av ti kvinner i Norge opplever depressive symptomer i forbindelse med graviditet og fødsel, "
        "viser nye tall fra helsemyndighetene.",
        "Det kan være vanskelig å tyde hvor grensen går mellom en normal tilstand og en depresjon, sier psykologen "
        "som har fulgt mødrene i flere år.",
    ]
