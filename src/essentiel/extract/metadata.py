"""Page metadata for news articles: JSON-LD, meta tags and headings, read from the parsed HTML tree.

`choose_title` votes between the page's headline sources; `extract_details` returns the fields that
`essentiel.models.Article` does not carry yet (modified date, section, tags, canonical URL, paywall flag,
language checked against `<html lang>`), as an `ArticleDetails`.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from itertools import islice
from typing import Any

from dateutil import parser as dateutil_parser
from lxml.html import HtmlElement
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from essentiel.extract import cleanup

ARTICLE_TYPES = frozenset(
    {"NewsArticle", "Article", "ReportageNewsArticle", "AnalysisNewsArticle", "OpinionNewsArticle"}
    | {"ReviewNewsArticle", "BlogPosting", "LiveBlogPosting", "Report"}
)
# Date sources in order of trust: JSON-LD first (see `published`), then these <meta> elements (attribute, value)
# and <time itemprop=...> elements, in document order.
PUBLISHED_METAS = frozenset(
    {("property", "article:published_time"), ("name", "article:published_time")}
    | {("property", "og:article:published_time"), ("itemprop", "datePublished"), ("name", "pubdate")}
    | {("name", "publishdate"), ("name", "parsely-pub-date"), ("name", "sailthru.date")}
    | {("name", "dcterms.created"), ("name", "DC.date.issued"), ("name", "date")}
)
MODIFIED_METAS = frozenset(
    {
        ("property", "article:modified_time"),
        ("name", "article:modified_time"),
        ("property", "og:updated_time"),
    }
    | {("itemprop", "dateModified"), ("name", "lastmod"), ("name", "dcterms.modified")}
)
_META_KEYS = ("property", "name", "itemprop", "http-equiv")
# time zone names found in dates that are not ISO 8601, with their offsets in seconds
TZ_NAMES = {"UTC": 0, "GMT": 0, "Z": 0, "CET": 3600, "MEZ": 3600, "CEST": 7200, "MESZ": 7200, "BST": 3600}
TZ_NAMES |= {"EET": 7200, "EEST": 10800, "EST": -18000, "EDT": -14400, "PST": -28800, "PDT": -25200}
_YEAR = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)")
_NO_DEFAULT = datetime(2000, 1, 1)
TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•»/]\s+|\s*[｜：]\s*")  # full-width ones need no spaces
MIN_LANGID_CHARS = 50
LANGID_CHARS = 600  # the start of the text is enough (dev: same agreement with the pages' languages as 1,500)
LANGID_CONFIDENCE = 0.9  # below this, the page's declared <html lang> wins


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


# invisible formatting characters: zero-width space, word joiner, byte-order mark, soft hyphen. In a headline they
# only split a word for search and comparison ("Helikopter\xadlandeplatz", a trailing "\u200b" in a taz og:title)
INVISIBLE = str.maketrans(dict.fromkeys("\u200b\u2060\ufeff\xad"))


def _text(value: Any) -> str:
    """Whitespace-normalised text with HTML entities resolved (JSON-LD often holds '&#8217;') and invisible
    formatting characters (`INVISIBLE`) removed."""
    return " ".join(html_lib.unescape(str(value)).translate(INVISIBLE).split()) if value else ""


# --- One pass over the page's <meta>, <link>, <time>, <title>, <h1> and JSON-LD elements -----------------


class PageIndex:
    """The page's metadata elements, found in one pass over the tree (each `//meta` XPath is a pass of its own).

    Every reader below takes the tree or its index (`PageIndex.of(tree)`), so the pass is done once per page.
    """

    def __init__(self, tree: HtmlElement) -> None:
        self.tree = tree
        # content of the <meta> elements by (attribute, value) of their `_META_KEYS`, and datetime of the <time>
        # elements by itemprop, each with its position in the page (`meta` merges them in document order)
        self.metas: dict[tuple[str, str], list[tuple[int, str]]] = {}
        self.times: dict[str, list[tuple[int, str]]] = {}
        self.links: list[dict[str, str]] = []
        self.h1s: list[HtmlElement] = []
        self.title = ""
        self.scripts: list[str] = []  # JSON-LD
        for position, element in enumerate(tree.iter("meta", "time", "link", "title", "h1", "script")):
            tag = element.tag
            if tag == "meta":
                attributes = dict(element.attrib)
                content = attributes.get("content")
                if content is not None:
                    for key in _META_KEYS:
                        if key in attributes:
                            self.metas.setdefault((key, attributes[key]), []).append((position, content))
            elif tag == "time":
                prop, value = element.get("itemprop"), element.get("datetime")
                if prop is not None and value is not None:
                    self.times.setdefault(prop, []).append((position, value))
            elif tag == "link":
                self.links.append(dict(element.attrib))
            elif tag == "h1":
                self.h1s.append(element)
            elif tag == "title":
                self.title = self.title or element.text or ""
            elif element.get("type") == "application/ld+json":
                self.scripts.append(element.text or "")

    @classmethod
    def of(cls, page: HtmlElement | PageIndex) -> PageIndex:
        return page if isinstance(page, PageIndex) else cls(page)

    def meta(self, keys: Iterable[tuple[str, str]], time_prop: str = "") -> list[str]:
        """content of the <meta> elements with one of the (attribute, value) `keys`, and datetime of the
        <time itemprop=`time_prop`> elements, in document order."""
        found = {position: value for key in set(keys) for position, value in self.metas.get(key, ())}
        if time_prop:
            found.update(self.times.get(time_prop, ()))
        return [found[position] for position in sorted(found)]

    def link(self, rel: str) -> list[str]:
        return [a["href"] for a in self.links if a.get("rel") == rel and "href" in a]


# --- JSON-LD ---------------------------------------------------------------------------------------


def jsonld_objects(page: HtmlElement | PageIndex) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts, including those in @graph, lists and a mainEntity."""
    for script in PageIndex.of(page).scripts:
        try:
            data = json.loads(script)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(reversed(item))
            elif isinstance(item, dict):
                yield item
                if isinstance(item.get("@graph"), list):
                    stack.extend(reversed(item["@graph"]))
                if isinstance(item.get("mainEntity"), dict):  # a WebPage whose mainEntity is the article
                    stack.append(item["mainEntity"])


def jsonld_article(tree: HtmlElement | PageIndex) -> dict[str, Any]:
    """The first JSON-LD object typed as a news article; else the first with a headline and a
    datePublished (a WebPage, or a type we do not list); {} when there is none."""
    found: dict[str, Any] = {}
    for item in jsonld_objects(tree):
        types = item.get("@type")
        types = set(types) if isinstance(types, list) else {types}
        if types & ARTICLE_TYPES:
            return item
        if not found and item.get("headline") and item.get("datePublished"):
            found = item
    return found


def ld_authors(ld: dict[str, Any]) -> list[str]:
    """The names of the JSON-LD article's `author` (objects or strings, in lists nested at any depth)."""
    stack, names = [ld.get("author")], []
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))  # [{"name": "A"}, [{"name": "B"}]]: both (mdr.de)
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            names.append(item["name"])
        elif isinstance(item, str):
            names.append(item)
    return names


def ld_organisations(ld: dict[str, Any]) -> list[str]:
    """Names of the JSON-LD publisher and of authors typed Organization."""
    items: list[Any] = []
    for key in ("publisher", "author"):
        value = ld.get(key)
        items.extend(value if isinstance(value, list) else [value])
    return [
        item["name"]
        for item in items
        if isinstance(item, dict)
        and isinstance(item.get("name"), str)
        and (item is ld.get("publisher") or item.get("@type") in ("Organization", "NewsMediaOrganization"))
    ]


ORGANISATION_WORDS = re.compile(
    r"\b(GmbH|AG|Inc|Ltd|LLC|S\.?A\.?S?|Media|Group|Verlag|Nachrichten|Redaktion|Rédaction|Newsroom|Nast)\b",
    re.I,
)


# wire agencies: credited beside a person ("Adam Vidler; AP"), but alone they name nobody (`names_a_person`)
AGENCIES = re.compile(
    r"(AFP|Agence France[- ]Presse|AP|Associated Press|Reuters|dpa|Deutsche Presse-Agentur|epd|KNA|sid|APA|"
    r"SDA|Keystone-SDA|ANSA|EFE|Agencia EFE|Europa Press|Belga|ANP|PA|PA Media|Press Association|Kyodo|"
    r"Xinhua|Anadolu|UPI|Bloomberg|AAP|CP|The Canadian Press)",
    re.I,
)


def names_a_person(authors: Iterable[str]) -> bool:
    """True when one of `authors` is not a wire agency ("AFP", "dpa", "Reuters"...)."""
    return any(not AGENCIES.fullmatch(name.strip()) for name in authors)


def drop_organisations(authors: Sequence[str], organisations: Iterable[str]) -> tuple[str, ...]:
    """Drop authors that are the publisher (its site name, domain, a JSON-LD Organization, a company name),
    but only when a person is left: "Le Monde" alone stays the author, "Heise Online; Dirk Knop" keeps Dirk Knop.
    """
    return people(authors, organisations) or tuple(authors)


def people(authors: Sequence[str], organisations: Iterable[str]) -> tuple[str, ...]:
    """The authors that are not the publisher or a company (see `drop_organisations`); may be empty."""
    known = {
        cleanup.normalize(o).replace(" ", "") for o in organisations if o and len(cleanup.normalize(o)) >= 2
    }

    def is_organisation(name: str) -> bool:
        key = cleanup.normalize(name).replace(" ", "")
        return (
            key in known
            or any(k in key or key in k for k in known if len(k) >= 4 and len(key) >= 4)
            or bool(ORGANISATION_WORDS.search(name))
        )

    return tuple(a for a in authors if not is_organisation(a))


# --- Title -----------------------------------------------------------------------------------------


def _variants(title: str) -> list[str]:
    """The title, then the title without its trailing parts: 'A - B | Site' -> ['A - B | Site', 'A - B', 'A']."""
    cuts = [m.start() for m in TITLE_SEPARATORS.finditer(title)]
    return [title] + [title[:cut].strip() for cut in reversed(cuts)]


# Headline sources in order of trust: the publisher's structured data names the article's headline; og:title is
# often a social-media rewording; the <h1> may be a logo; <title> carries the site name. On the fundus dev split,
# this order (each source with its site-name tail cut) matched 0.84 of titles, the vote between sources 0.79.
TITLE_SOURCES = ("jsonld", "og", "h1", "twitter", "title", "fallback")
_META_TITLES = {"og": ("property", "og:title"), "twitter": ("name", "twitter:title")}
# classes of the element holding a kicker inside the <h1> ("Dachzeile", "topline", "surtitre", "overline")
KICKER_CLASS = re.compile(
    r"kicker|topline|dachzeile|spitzmarke|overline|surtitre|roofline|eyebrow|supertitle", re.I
)
ODD_SEPARATOR = re.compile(r"\s+[^\w\s\"'«»“”‘’()\[\]?!.,;]+\s+\S")  # " * ", " ~ ", " +++ " then more text
SITE_TAIL_MAX_WORDS = 4  # each part cut after a site name ("| Sport | BILD.de", "| DW | 28.04.2023") is short
KICKER_SPLIT = re.compile(
    r"\s*(?:[:：]|\s[-–—|]|\.)\s+"
)  # "Kicker: Title", "Kicker - Title", "KICKER. Title"


@dataclass(frozen=True)
class Headline:
    """The page's headline split into kicker and title."""

    kicker: str
    title: str
    full: str  # the headline as the page gives it, kicker included when it was there
    others: tuple[str, ...] = ()  # the page's other headline sources (a body line repeating one is dropped)


def title_sources(page: HtmlElement | PageIndex, ld: dict[str, Any], fallback: str = "") -> dict[str, str]:
    """The text of each headline source (whitespace normalised, entities resolved); '' when absent."""
    index = PageIndex.of(page)
    h1 = next((t for t in (_text(h.text_content()) for h in index.h1s) if t), "")
    found = {"jsonld": _text(_str(ld.get("headline"))), "h1": h1, "fallback": _text(fallback)}
    for key, meta_key in _META_TITLES.items():
        found[key] = _text(next(iter(index.meta([meta_key])), ""))
    found["title"] = _text(index.title)
    return {key: found[key] for key in TITLE_SOURCES}


def _site_like(part: str, names: Sequence[str], *, strict: bool = False) -> bool:
    """True when a title part names the site: 'Sport | BILD.de' for bild.de, 'The Standard' for 'The Standard'.

    `strict`: the part is only the name, perhaps with a domain ending ('Tageblatt.lu'), not 'L'Université PSL'.
    """
    key = cleanup.normalize(part).replace(" ", "")
    if strict:
        return any(key.startswith(n) and len(key) - len(n) <= 3 for n in names if len(n) >= 3)
    return len(key) >= 3 and any(n in key or key in n for n in names if len(n) >= 3)


def _reduce(source: str, others: Sequence[str], names: Sequence[str]) -> str:
    """`source` without the site name before or after it ('Site | A', 'A | Site') or a trailing part that another
    source leaves out."""
    lead = TITLE_SEPARATORS.search(source)
    if lead and _site_like(source[: lead.start()], names, strict=True):
        source = source[lead.end() :]
    variants = _variants(source)
    for cut in variants[1:]:
        if cut in others:
            return cut
    # a separator TITLE_SEPARATORS does not know: "A * Site * by Name" when another source is "A"
    for other in others:
        if len(other) < len(source) and source.startswith(other) and ODD_SEPARATOR.match(source, len(other)):
            return other
    for cut in reversed(variants[1:]):  # the most cut first: "A | Sport | BILD.de" -> "A"
        parts = [p for p in TITLE_SEPARATORS.split(_tail(source, cut)) if p.strip()]
        if any(_site_like(p, names) for p in parts) and all(
            len(p.split()) <= SITE_TAIL_MAX_WORDS for p in parts
        ):
            return cut
    return source


def choose_title(
    tree: HtmlElement | PageIndex, ld: dict[str, Any], fallback: str = "", site_name: str = "", url: str = ""
) -> str:
    """The page's headline: the first of JSON-LD headline, og:title, <h1>, twitter:title, <title>, `fallback`,
    without a trailing site name (or a tail that another source leaves out: 'Title | Sport | BILD.de').

    A source that is only a site name or logo (an <h1> holding "Le Journal") is skipped.
    """
    return headline(tree, ld, fallback, site_name, url).full


def headline(
    page: HtmlElement | PageIndex,
    ld: dict[str, Any],
    fallback: str = "",
    site_name: str = "",
    url: str = "",
    order: Sequence[str] = (),
) -> Headline:
    """The headline (as `choose_title`) split into kicker and title.

    `order`: the sources to try first (a site rule's `title_sources`, e.g. ("og",)), before the usual order.
    The kicker is the part marked up as one in the <h1> (class "kicker", "topline", "Dachzeile"...), or a prefix
    ("Neue Leipziger Schule: ") that another source of the page leaves out, else `cleanup.split_kicker`'s rule.
    """
    index = PageIndex.of(page)
    found = title_sources(index, ld, fallback)
    keys = [*(k for k in order if k in found), *(k for k in TITLE_SOURCES if k not in order)]
    sources = [found[k] for k in keys if found[k]]
    stem = url.split("//", 1)[-1].split("/", 1)[0].removeprefix("www.").rsplit(".", 1)[0]
    names = [cleanup.normalize(n).replace(" ", "") for n in (site_name, stem) if n]
    tails = {_tail(s, v) for s in sources for v in _variants(s)[1:]}
    title = ""
    for source in sources:
        if len(source.split()) < 2 and len(source) < 8:
            continue  # a logo or a section name
        short = len(source.split()) <= SITE_TAIL_MAX_WORDS
        if short and (source in tails or _site_like(source, names, strict=True)):
            continue  # only the site name that another source carries after its headline
        title = _reduce(source, [s for s in sources if s != source], names)
        break
    if not title:
        return Headline("", sources[0] if sources else "", sources[0] if sources else "")
    kicker, rest = (
        _marked_kicker(index, title) or _kicker_left_out(title, sources) or cleanup.split_kicker(title)
    )
    return Headline(kicker, rest, title, tuple(s for s in sources if s != title))


def _marked_kicker(index: PageIndex, title: str) -> tuple[str, str] | None:
    """The kicker element inside the <h1>, when the title starts with it or is the <h1> without it."""
    marked = (e for h1 in index.h1s for e in h1.iterdescendants() if e.get("class") is not None)
    for element in islice(marked, 20):
        if not KICKER_CLASS.search(element.get("class") or ""):
            continue
        kicker = _text(element.text_content()).rstrip(" :")
        if not kicker or len(kicker.split()) > cleanup.KICKER_MAX_WORDS * 2:
            return None
        if cleanup.normalize(title).startswith(cleanup.normalize(kicker) + " "):
            rest = title[len(kicker) :].lstrip(" :.-–—|")
            return (kicker, rest) if len(rest.split()) >= 2 else None
        return kicker, title
    return None


def _kicker_left_out(title: str, sources: Sequence[str]) -> tuple[str, str] | None:
    """'Kicker: Title' when another source is exactly 'Title' (the site itself keeps the kicker apart)."""
    for match in KICKER_SPLIT.finditer(title):
        kicker, rest = title[: match.start()].strip(), title[match.end() :].strip()
        if rest in sources and 0 < len(kicker.split()) <= cleanup.KICKER_MAX_WORDS:
            return kicker, rest
    return None


def _tail(title: str, head: str) -> str:
    """What follows `head` in `title`, without the separator: ('A - Site', 'A') -> 'Site'."""
    return TITLE_SEPARATORS.sub("", title[len(head) :], count=1).strip()


# --- Dates -----------------------------------------------------------------------------------------


def parse_datetime(value: str | None) -> datetime | None:
    """A date or datetime as a timezone-aware datetime (naive values are taken as UTC).

    ISO 8601 first; then dateutil for other spellings ("Fri Apr 28 19:20:36 CEST 2023"), only when the value
    holds a four-digit year (so no part of the result ever comes from today's date).
    """
    if not value or not value.strip():
        return None
    value = value.strip()
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = _parse_loose(value)
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_loose(value: str) -> datetime | None:
    if not _YEAR.search(value) or len(value) > 64:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dateutil warns about time zone names it does not know
        try:
            return dateutil_parser.parse(value, default=_NO_DEFAULT, tzinfos=TZ_NAMES)
        except (ValueError, OverflowError):
            return None


def _first_date(values: Iterable[str | None]) -> datetime | None:
    for value in values:
        parsed = parse_datetime(value)
        if parsed:
            return parsed
    return None


def published(page: HtmlElement | PageIndex, ld: dict[str, Any], fallback: str | None) -> datetime | None:
    """JSON-LD datePublished, then the meta/time elements of PUBLISHED_METAS, then trafilatura's date."""
    metas = PageIndex.of(page).meta(PUBLISHED_METAS, "datePublished")
    return _first_date([_str(ld.get("datePublished")), *metas, _str(ld.get("dateCreated")), fallback])


def modified(page: HtmlElement | PageIndex, ld: dict[str, Any]) -> datetime | None:
    """JSON-LD dateModified, then article:modified_time / og:updated_time and similar."""
    metas = PageIndex.of(page).meta(MODIFIED_METAS, "dateModified")
    return _first_date([_str(ld.get("dateModified")), *metas])


# --- Details not (yet) on Article --------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleDetails:
    """Page metadata beyond `Article`: when it was last modified, where it is filed, and access."""

    modified: datetime | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    canonical_url: str | None = None
    paywalled: bool = False
    language: str | None = None

    def to_json(self) -> dict[str, object]:
        """JSON-safe fields (the golden files' `details`)."""
        return {
            "modified": self.modified.isoformat() if self.modified else None,
            "section": self.section,
            "tags": list(self.tags),
            "canonical_url": self.canonical_url,
            "paywalled": self.paywalled,
            "language": self.language,
        }


def canonical(page: HtmlElement | PageIndex) -> str | None:
    """<link rel=canonical>, else og:url."""
    index = PageIndex.of(page)
    for found in (index.link("canonical"), index.meta([("property", "og:url")])):
        values = [v.strip() for v in found if v.strip()]
        if values:
            return values[0]
    return None


def section(page: HtmlElement | PageIndex, ld: dict[str, Any]) -> str | None:
    value = ld.get("articleSection")
    value = value[0] if isinstance(value, list) and value else value
    metas = PageIndex.of(page).meta([("property", "article:section")])
    return _text(_str(value)) or (_text(metas[0]) if metas else "") or None


def tags(page: HtmlElement | PageIndex, ld: dict[str, Any]) -> tuple[str, ...]:
    """article:tag metas, else JSON-LD keywords, else news_keywords / keywords metas; deduplicated, in order."""
    index = PageIndex.of(page)
    raw: list[str] = index.meta([("property", "article:tag")])
    if not raw:
        keywords = ld.get("keywords")
        raw = [k for k in keywords if isinstance(k, str)] if isinstance(keywords, list) else [_str(keywords)]
    if not any(raw):
        raw = index.meta([("name", "news_keywords"), ("name", "keywords")])[:1]
    out: list[str] = []
    for value in raw:
        for tag in (_text(t) for t in value.split(",")):
            if tag and tag.casefold() not in {t.casefold() for t in out}:
                out.append(tag)
    return tuple(out)


def paywalled(page: HtmlElement | PageIndex, ld: dict[str, Any], classes: str | None = None) -> bool:
    """JSON-LD isAccessibleForFree false (on the article or a hasPart), a locked content tier, a paywall box.

    `classes`, when the caller has it, is a text holding every class name of the page (`cleanup.page_classes(tree)`
    or the page source): the class test is skipped when "paywall" is not in it."""
    parts = ld.get("hasPart")
    parts = parts if isinstance(parts, list) else [parts]
    for item in (ld, *(p for p in parts if isinstance(p, dict))):
        if str(item.get("isAccessibleForFree", "")).strip().lower() in ("false", "no", "0"):
            return True
    index = PageIndex.of(page)
    if {"locked", "metered"} & set(index.meta([("property", "article:content_tier")])):
        return True
    classes = cleanup.page_classes(index.tree) if classes is None else classes
    return "paywall" in classes and bool(cleanup.with_class(index.tree, ("paywall",)))


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def declared_language(tree: HtmlElement) -> str | None:
    for value in tree.xpath(
        "/html/@lang | /html/@xml:lang | /html/head/meta[@http-equiv='content-language']/@content"
    ):
        code = str(value).strip().lower().replace("_", "-").split("-")[0]
        if len(code) >= 2:
            return code[:2]
    return None


def language(text: str, tree: HtmlElement) -> str | None:
    """py3langid on the text, unless it is short or unsure (< 0.9) and the page declares `<html lang>`."""
    if not text.strip():
        return declared_language(tree)
    declared = declared_language(tree)
    if declared and len(text) < MIN_LANGID_CHARS:
        return declared
    detected, confidence = _identifier().classify(text[:LANGID_CHARS])
    if declared and detected != declared and confidence < LANGID_CONFIDENCE:
        return declared
    return str(detected)[:2] if detected else declared
