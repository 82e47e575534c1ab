"""News-specific cleanup rules applied around trafilatura.

Every rule is small and declarative: a tuple of regular expressions (grouped by language where the
wording is language-specific) and a short function that applies it. They run in two places:

* on the HTML tree *before* trafilatura (`strip_embeds`): social embeds and share bars are removed
  as elements, so their text can never be glued into an article sentence;
* on the extracted text lines *after* trafilatura (`clean_body`): repeated title, the lead/chapô,
  embed residue and boilerplate lines.

Each rule is documented in docs/extraction.md and tested in tests/test_extract.py.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

from lxml import etree
from lxml.html import HtmlElement

logger = logging.getLogger(__name__)

# --- Rule 4 (HTML side): social embeds and widgets removed before trafilatura sees the page ---------

EMBED_CLASSES: tuple[str, ...] = (
    "twitter-tweet",
    "twitter-timeline",
    "twitter-video",
    "instagram-media",
    "tiktok-embed",
    "fb-post",
    "fb-video",
    "fb-comments",
    "bluesky-embed",
    "mastodon-embed",
    "reddit-embed-bq",
    "sharedaddy",
    "share-buttons",
    "social-share",
)
_STATUS_LINK = (
    ".//a[(contains(@href, 'twitter.com/') or contains(@href, 'x.com/')) and contains(@href, '/status/')]"
)
_EMBED_CONDITIONS: tuple[str, ...] = (
    "self::iframe",
    "@data-instgrm-permalink",
    "@data-bluesky-uri",
    "self::blockquote and " + _STATUS_LINK,
)


def class_xpath(names: Iterable[str]) -> str:
    """An XPath test true when an element's class list holds one of `names` (as a whole token)."""
    return " or ".join(f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')" for name in names)


_ALL_CLASSES = etree.XPath("//@class", smart_strings=False)  # plain strings: no link back to the element


def page_classes(tree: HtmlElement) -> str:
    """Every class attribute of the page, joined: a cheap way to know which class rules can match at all."""
    return " ".join(_ALL_CLASSES(tree))


@lru_cache(maxsize=256)
def _class_finder(present: tuple[str, ...]) -> etree.XPath:
    # contains(@class, ...) is several times cheaper per element than class_xpath's concat(normalize-space(...));
    # it finds a superset, which `with_class` narrows to whole class tokens
    return etree.XPath("//*[" + " or ".join(f"contains(@class, '{name}')" for name in present) + "]")


def with_class(tree: HtmlElement, names: Sequence[str]) -> list[HtmlElement]:
    """The elements whose class list holds one of `names` as a whole token, in document order."""
    wanted = frozenset(names)
    return [
        e for e in _class_finder(tuple(names))(tree) if not wanted.isdisjoint((e.get("class") or "").split())
    ]


_DATA_EMBED_FINDER = etree.XPath("//*[@data-instgrm-permalink or @data-bluesky-uri]")
_DATA_EMBED_ATTRIBUTES = ("data-instgrm-permalink", "data-bluesky-uri")
# <noscript> is left to trafilatura: Blogger pages hold the whole post in one (dev: 3 snippets lost when dropped)
EMBED_TAGS = ("iframe", "blockquote")

EMBED_XPATH: str = (
    "//*[" + " or ".join(f"({c})" for c in (*_EMBED_CONDITIONS, class_xpath(EMBED_CLASSES))) + "]"
)
_EMBED_CLASS_SET = frozenset(EMBED_CLASSES)


def _is_embed(element: HtmlElement) -> bool:
    """Which rule matched (the blockquote test is also true for a blockquote that merely has a class)."""
    if element.tag == "iframe":
        return True
    if element.get("data-instgrm-permalink") is not None or element.get("data-bluesky-uri") is not None:
        return True
    if not _EMBED_CLASS_SET.isdisjoint((element.get("class") or "").split()):
        return True
    return element.tag == "blockquote" and bool(element.xpath(_STATUS_LINK))


def strip_embeds(tree: HtmlElement, classes: str | None = None, html: str | None = None) -> int:
    """Remove social embeds, iframes and share bars from `tree` in place (the elements of `EMBED_XPATH`); return
    how many were removed.

    `classes` (a text holding every class name of the page: `page_classes(tree)` or the page source) and `html`
    (the page source) are optional shortcuts: only the class tests whose name occurs in `classes` run, and the
    data-attribute test only when the source mentions one.
    """
    classes = page_classes(tree) if classes is None else classes
    present = tuple(name for name in EMBED_CLASSES if name in classes)
    candidates: list[HtmlElement] = list(tree.iter(*EMBED_TAGS))
    if html is None or any(attribute in html for attribute in _DATA_EMBED_ATTRIBUTES):
        candidates += _DATA_EMBED_FINDER(tree)
    if present:
        candidates += with_class(tree, present)
    # skip the root, near-miss classes, and embeds inside another embed (they go with it)
    found = {e for e in candidates if e.getparent() is not None and _is_embed(e)}
    dropped = [e for e in found if not any(a in found for a in e.iterancestors())]
    for element in dropped:
        element.drop_tree()  # drop_tree keeps the text that follows the element (its tail)
    if dropped:
        logger.debug("removed %d embed/share elements", len(dropped))
    return len(dropped)


# --- Rule 4 (text side): embed residue that reached the text anyway ---------------------------------

EMBED_LINE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # a tweet's text, recognisable by its picture link
    re.compile(r"pic\.twitter\.com/\w+", re.I),
    # a tweet's signature: "— Name (@handle) 13 novembre 2024" / "- Name (@handle) May 3, 2024"
    re.compile(r"^[\u2014\u2013-]\s*[^()]{1,80}\(@\w{1,30}\)(\s+\S+){0,5}\s*$"),
    # Instagram / Bluesky / Mastodon / YouTube / Facebook embed chrome
    re.compile(r"^(Voir cette publication sur Instagram|View this post on Instagram)\b", re.I),
    re.compile(r"^(Une publication partagée par|A post shared by) .{1,80}\(@[\w.]+\)", re.I),
    re.compile(r"^\S.{0,80}\(@[\w.-]+\.bsky\.social\)", re.I),
    re.compile(r"^\S.{0,80}\(@\w+@[\w.-]+\)\s*$"),  # Mastodon handle @user@instance
    re.compile(r"^(Watch on|Regarder sur|Ansehen auf|Ver en) YouTube$", re.I),
    re.compile(r"^Posted by .{1,80} on Facebook\b", re.I),
    re.compile(r"^Publiée? par .{1,80} sur Facebook\b", re.I),
)


def is_embed_residue(line: str) -> bool:
    """True when a text line is left over from a social embed (tweet text, signature, embed chrome)."""
    return any(pattern.search(line) for pattern in EMBED_LINE_PATTERNS)


# --- Rule 5: boilerplate lines ---------------------------------------------------------------------

_SHORT = r".{0,160}$"  # boilerplate lines are short: never drop a long paragraph on a prefix match
BOILERPLATE_PATTERNS: dict[str, tuple[str, ...]] = {
    "fr": (
        r"Quitter la version mobile$",
        r"(À|A) lire (aussi|également)\b" + _SHORT,
        r"Lire (aussi|également|la suite|plus)\b" + _SHORT,
        r"(Voir|Regarder) aussi\s*:" + _SHORT,
        r"Abonnez-vous\b" + _SHORT,
        r"Inscrivez-vous (à|a) (notre|la) newsletter" + _SHORT,
        r"(Nous utilisons des cookies|Ce site utilise des cookies|Accepter les cookies)" + _SHORT,
        r"Partager( cet article| sur \w+)?\s*:?$",
        r"Copier le lien$",
        r"(Photo|Crédit photo|Crédits?)\s*:" + _SHORT,
    ),
    "en": (
        r"Exit mobile version$",
        r"(Read more|Read also|More on this story)\b" + _SHORT,
        r"(Related|Recommended|See also)(\s*[:|].{0,160})?$",
        r"Sign up (for|to) (our|the) (free )?newsletter" + _SHORT,
        r"Subscribe (now|today|to continue reading|to our newsletter)" + _SHORT,
        r"(We use cookies|This (web)?site uses cookies|Accept (all )?cookies)" + _SHORT,
        r"Share (this article|this story|on \w+)\s*:?$",
        r"(Copy link|Tweet|Email)$",
        r"(Photo|Image|Credit|Photograph)\s*:" + _SHORT,
        r"\(?Photo by .{1,80}\)?$",
    ),
    "de": (
        r"(Weiterlesen|Mehr zum Thema|Lesen Sie auch|Auch interessant)\b\s*:?" + _SHORT,
        r"(Newsletter abonnieren|Jetzt abonnieren)" + _SHORT,
        r"(Wir verwenden Cookies|Diese Website verwendet Cookies)" + _SHORT,
        r"(Teilen|Artikel teilen|Auf \w+ teilen)\s*:?$",
        r"(Foto|Bild)\s*:" + _SHORT,
    ),
    "es": (
        r"(Leer más|Lea también|Lee también|Te puede interesar)\b" + _SHORT,
        r"(Más información|Noticias relacionadas)(\s*[:|].{0,160})?$",
        r"(Suscríbete|Suscríbase)\b" + _SHORT,
        r"(Utilizamos cookies|Este sitio (web )?utiliza cookies)" + _SHORT,
        r"(Compartir|Compartir en \w+)\s*:?$",
        r"(Foto|Fotografía)\s*:" + _SHORT,
    ),
    # "read also" links in other languages (Norwegian, Danish, Swedish, Dutch, Italian, Portuguese, Polish),
    # with their colon: "Les også: Tone Damli ofret musikkarrieren..." (Nettavisen)
    "other": (
        r"(Les også|Læs også|Läs också|Läs även|Lees ook|Leggi anche|Leia também|Czytaj (też|także))\s*:"
        + _SHORT,
    ),
    # a publication or update time stamp alone on its line: "Stand: 22.04.2024, 06:00 Uhr", "Publié le 30 août
    # 2023 à 14h52", "Updated: 3 May 2024" (short, with a digit: "Published in 2019, the report found..." is longer)
    "dateline": (
        r"(Publié|Mis à jour|Modifié|Actualisé|Updated|Published|Last updated|Veröffentlicht|Aktualisiert|Stand|"
        r"Publicado|Actualizado)\b(?=[^\n]*\d)(?:.{0,60})$",
    ),
    "any": (
        r"©\s?" + r".{0,80}$",  # "© AFP", "© Reuters / John Smith"
        r"(AFP|Reuters|AP|EPA|Getty Images|DPA)( ?/ ?.{1,60})?$",  # a bare photo-agency credit
        r"(Facebook|Twitter|X|LinkedIn|WhatsApp|E-?mail)$",  # share bar links
        r"(Accueil|Home|Startseite|Inicio|Start)\s*[>»›|/]" + _SHORT,  # a breadcrumb trail
        # advertising slots and the "skip the ad" links of screen-reader themes
        r"(Passer la publicité|Publicité|Advertisement|Advertising|Anzeige|Werbung|Publicidad|Sponsored)$",
    ),
}
# Paywall notices: boilerplate too, and the sign that the text we have is only a teaser (`Article.paywalled`).
PAYWALL_PATTERNS: tuple[str, ...] = (
    r"(Cet article est réservé aux abonnés|Article réservé aux abonnés)" + _SHORT,
    r"Il vous reste \d+(?:[.,]\d+)?\s?% de cet article" + _SHORT,
    r"(La suite est réservée aux abonnés|Pour lire la suite, abonnez-vous)" + _SHORT,
    r"(This article is (for|available to) subscribers only|Already a subscriber\?)" + _SHORT,
    r"(Subscribe to (read|continue reading)|To continue reading,? (subscribe|log in))" + _SHORT,
    r"(Dieser Artikel ist nur für Abonnenten|Diesen Artikel weiterlesen mit)" + _SHORT,
    r"(Contenido exclusivo para suscriptores|Este contenido es exclusivo para suscriptores)" + _SHORT,
)
BOILERPLATE_PATTERNS["paywall"] = PAYWALL_PATTERNS
_PAYWALL_ANY = re.compile(r"^\s*(?:" + "|".join(f"(?:{p})" for p in PAYWALL_PATTERNS) + ")", re.I)

BOILERPLATE_LINE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(r"^\s*" + pattern, re.I) for patterns in BOILERPLATE_PATTERNS.values() for pattern in patterns
)


# all the patterns in one alternation: one regex call per line instead of one per pattern
_BOILERPLATE_ANY = re.compile(
    r"^\s*(?:" + "|".join(f"(?:{p})" for ps in BOILERPLATE_PATTERNS.values() for p in ps) + ")", re.I
)


def is_boilerplate(line: str) -> bool:
    """True when a whole text line is site chrome (read-also, newsletter, paywall, cookie, credit, share)."""
    return _BOILERPLATE_ANY.match(line) is not None


# --- Rule 2: kicker ("surtitre") before the title ---------------------------------------------------

KICKER_PREFIXES: tuple[re.Pattern[str], ...] = (
    # one of the well-known labels, ending in ".", " -", " :" or "|": "VIDÉO.", "EN DIRECT -", "Live:"
    re.compile(
        r"^(?P<kicker>(VID[ÉE]O|INFO [\w' ]{1,25}|EXCLUSIF|EXCLUSIVE|REPORTAGE|ENQU[ÊE]TE|ANALYSE|"
        r"ENTRETIEN|INTERVIEW|DIRECT|EN DIRECT|LIVE|BREAKING|PHOTOS?|INFOGRAPHIE|TRIBUNE|[ÉE]DITO|"
        r"EILMELDUNG|LIVE-?TICKER|[ÚU]LTIMA HORA|EN VIVO))\s*(\.|:|\s[-\u2013\u2014|])\s+(?P<rest>.+)$",
        re.I,
    ),
    # any short prefix ending in " : " or " - ": "Guerre en Ukraine : ...", "Budget 2025 - ..."
    re.compile(r"^(?P<kicker>[^:.!?]{2,60}?)\s(:|[-\u2013\u2014|])\s+(?P<rest>.+)$"),
)
KICKER_MAX_WORDS = 5
TITLE_MIN_WORDS = 4  # what remains after the kicker must still read as a headline


def split_kicker(title: str) -> tuple[str, str]:
    """Split a leading kicker from a headline: 'VIDÉO. Le titre…' -> ('VIDÉO', 'Le titre…').

    The kicker must be at most KICKER_MAX_WORDS words and the remainder at least TITLE_MIN_WORDS words,
    otherwise the title is returned unchanged with an empty kicker.
    """
    title = " ".join(title.split())
    for pattern in KICKER_PREFIXES:
        match = pattern.match(title)
        if not match:
            continue
        kicker, rest = match.group("kicker").strip(), match.group("rest").strip()
        if len(kicker.split()) <= KICKER_MAX_WORDS and len(rest.split()) >= TITLE_MIN_WORDS:
            return kicker, rest[0].upper() + rest[1:]
    return "", title


# --- Rules 1 and 3: repeated title, lead/chapô -----------------------------------------------------

LEAD_HEADINGS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^(l['’]\s?essentiel|en bref|ce qu['’]il faut retenir|à retenir|résumé)\s*:?$", re.I),
    re.compile(r"^(key points|in short|the essentials|summary|at a glance|tl;?dr)\s*:?$", re.I),
    re.compile(r"^(das wichtigste( in kürze)?|in kürze|auf einen blick)\s*:?$", re.I),
    re.compile(r"^(lo esencial|en resumen|claves|en breve)\s*:?$", re.I),
)
LEAD_SEARCH_LINES = 4  # the lead heading must be near the start of the body
LEAD_MIN_CHARS = 40


@lru_cache(maxsize=256)  # within one page, the same titles and lines are compared again by each rule
def normalize(text: str) -> str:
    """Comparison key: case-folded, accents and punctuation removed, quotes/apostrophes unified."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'")).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def same_text(line: str, reference: str) -> bool:
    """True if `line` repeats `reference` (exactly, or a reference truncated with '…' or '...')."""
    a, b = normalize(line), normalize(reference)
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    truncated = reference.rstrip().endswith(("…", "...")) or line.rstrip().endswith(("…", "..."))
    return truncated and len(shorter) >= 0.6 * len(longer) and longer.startswith(shorter)


def drop_repeated_title(lines: list[str], titles: Iterable[str]) -> list[str]:
    """Drop leading lines that repeat the title (with or without its kicker)."""
    titles = [t for t in titles if t]
    start = 0
    while start < len(lines) and any(same_text(lines[start], t) for t in titles):
        start += 1
    return lines[start:]


def find_lead(lines: list[str], description: str = "") -> tuple[str, list[str]]:
    """Take the lead/chapô out of the body lines: returns (lead, remaining lines).

    Either a lead heading ("L'essentiel", "En bref", "Key points"...) near the top followed by a paragraph,
    or a first paragraph that repeats the page's og:description / meta description.
    """
    for index, line in enumerate(lines[:LEAD_SEARCH_LINES]):
        if any(p.match(line.strip()) for p in LEAD_HEADINGS) and index + 1 < len(lines):
            lead = lines[index + 1].strip()
            if len(lead) >= LEAD_MIN_CHARS:
                return lead, lines[:index] + lines[index + 2 :]
    if lines and description and len(lines[0]) >= LEAD_MIN_CHARS and same_text(lines[0], description):
        return lines[0].strip(), lines[1:]
    return "", lines


class Cleaned(NamedTuple):
    """The result of `clean_body`: lead, body text (lines joined by '\\n'), authors from a byline line, and
    whether a paywall notice was dropped (the text is then a teaser)."""

    lead: str
    text: str
    authors: tuple[str, ...]
    paywall: bool = False


def clean_body(text: str, *, titles: Sequence[str] = (), description: str = "", lead: str = "") -> Cleaned:
    """Apply rules 1, 3, 4 and 5 (and take out a byline line) from extracted text.

    `titles` are the headline variants to strip from the top; `lead` is a lead already known (it is
    then removed from the body too).
    """
    lines = [" ".join(line.split()) for line in text.splitlines()]
    paywall = any(_PAYWALL_ANY.match(line) for line in lines)
    lines = [line for line in lines if line and not is_boilerplate(line) and not is_embed_residue(line)]
    lines = drop_repeated_title(lines, titles)
    authors: tuple[str, ...] = ()
    for index, line in enumerate(lines[:LEAD_SEARCH_LINES]):
        authors = byline_authors(line)
        if authors:
            del lines[index]
            break
    found, rest = find_lead(lines, description or lead)
    if not lead and rest:  # a body that is only its description paragraph stays the body
        lead, lines = found, rest
    elif found and same_text(found, lead):
        lines = rest  # the known lead, with its "L'essentiel" heading if any
    lines = drop_repeated_title(drop_repeated_title(lines, [lead]), titles)
    return Cleaned(lead, "\n".join(lines), authors, paywall)


# --- Authors -------------------------------------------------------------------------------------

# "Par", "By"..., and the word "author" itself: "Auteur Anna Kubišta" (a radio.cz meta author), "Autor: Hans Meier"
BYLINE_PREFIX = re.compile(
    r"^(par|by|von|por|written by|text:|texte\s*:|(?:auteure?|author|autor(?:in|a)?)\s*:?)\s+", re.I
)
# "and" in French, English, German, Danish/Norwegian, Swedish, Dutch; one-letter ones ("y", "e") only in lower
# case, as an upper-case letter is an initial ("Robert E Lee", trafilatura drops the dot)
AUTHOR_SEPARATORS = re.compile(r"\s*(?:;|\||&|,|/|\b(?i:et|and|und|og|och)\b|\b(?:y|e)\b)\s*")
AUTHOR_ROLE_WORDS = re.compile(
    r"\b(editor|correspondent|reporter|writer|journalist|staff|contributor|columnist|"
    r"rédact\w*|journaliste|envoyée?s? spéciale?s?|correspondante?|chroniqueu\w+|"
    r"redakteur\w*|korrespondent\w*|redacci[oó]n|corresponsal|periodista|agences?|agencies|"
    r"photo|foto|fotograf\w*|photograph\w*|quelle|source|fuente)\b",  # a picture or wire credit is no author
    re.I,
)
# "Capital von Jemima Kelly": a byline word inside the name, then a capitalised name ("von der Leyen" is kept)
INNER_BYLINE = re.compile(
    r"^.{1,40}?\s(?i:von|by|par|por)\s+(?P<name>[A-ZÀ-Þ][\w'’-]+(?:\s+[A-ZÀ-Þ][\w'’-]+)+)$"
)
NEWSROOM_INITIALS = re.compile(r"\s*\([\w.]{1,6}\)$")  # "Elena Oberholzer (obe)"
AUTHOR_DATE = re.compile(
    r"(\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|\b(updated|mis à jour|publié|published|le|on)\b.*\d)", re.I
)


def clean_authors(raw: str | Iterable[str] | None, *, keep_roles: bool = False) -> tuple[str, ...]:
    """Normalise bylines: 'By Jane Doe, Political Editor' -> ('Jane Doe',); roles and dates dropped.

    `keep_roles`: a name made of role words is kept ("Guardian staff reporter", "MND Staff": a newsroom byline
    that the publisher's structured data gives as the author)."""
    if not raw:
        return ()
    values = [raw] if isinstance(raw, str) else list(raw)
    authors: list[str] = []
    seen: set[str] = set()
    for value in values:
        for part in AUTHOR_SEPARATORS.split(BYLINE_PREFIX.sub("", value.strip())):
            name = " ".join(BYLINE_PREFIX.sub("", AUTHOR_DATE.sub("", part)).split()).strip(" .-–—:")
            name = NEWSROOM_INITIALS.sub("", name)
            inner = INNER_BYLINE.match(name)
            name = inner.group("name") if inner else name
            if not name or "@" in name or any(c.isdigit() for c in name):
                continue
            if not keep_roles and AUTHOR_ROLE_WORDS.search(name):
                continue
            if (
                len(name) >= 2
                and starts_like_name(name)
                and len(name.split()) <= 5
                and normalize(name) not in seen
            ):
                authors.append(name)
                seen.add(normalize(name))  # "Sophie-Foster" repeats "Sophie Foster"
    return tuple(authors)


def starts_like_name(word: str) -> bool:
    """A capital letter, or a letter of a script without case (Korean, Japanese, Chinese, Hindi, Arabic...)."""
    return bool(word) and word[0].isalpha() and not word[0].islower()


NAME_PARTICLES = frozenset(
    {"de", "du", "des", "la", "le", "von", "van", "der", "den", "del", "di", "da", "y", "bin"}
)


def byline_authors(line: str) -> tuple[str, ...]:
    """Authors of a byline line ('Par Lucía Martínez', 'By Jane Doe, Political Editor'); () if it is not one."""
    if not BYLINE_PREFIX.match(line) or len(line.split()) > 12:
        return ()
    authors = clean_authors(line)
    if len(authors) > 1 and "," in line and len(authors[-1].split()) == 1 and len(authors[0].split()) > 1:
        authors = authors[:-1]  # a dateline: "Von Anna Sleegers, Frankfurt", "By Jane Doe, London"
    for name in authors:
        if not all(w[0].isupper() or w in NAME_PARTICLES for w in name.replace("-", " ").split()):
            return ()
    return authors
