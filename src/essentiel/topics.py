"""Categories and dossiers of a story, from its articles: `story_topic(articles) -> Topic(category, dossier)`.

**Category** (one of `CATEGORIES`): a vote. Each article whose source category is known (`Article.category`
when the model has it, or the `source_categories` mapping of source name -> category) gives 2 votes to the
mapped category ("World", "International", "Monde" -> monde; "Business", "Économie" -> economie; ...). Each
article's title, lead and opening give 1 vote per keyword hit (at most 3 per category per article), from
small keyword lists per language (fr, en; stems, matched at word starts). The most voted category wins
(ties in `CATEGORIES` order); under 2 votes the category is "monde" when an article names a foreign country
(CLDR names in French and English, whole words), else None. Keyword lists are transparent and
need no download; a classifier would need labelled data we do not have.

**Dossier**: the recurring subject a reader follows, from kickers ("Guerre en Ukraine : ..."): the article's
`kicker`, or a short title prefix before " : " found in two articles of the story at least. Generic kickers
("Vidéo", "EN DIRECT", "Info") are not dossiers. The story's dossier is its most frequent kicker (normalised: case, accents, punctuation); stories
of an edition with the same dossier key are grouped by `group_dossiers`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from babel import Locale

from essentiel.models import Article

CATEGORIES: dict[str, dict[str, str]] = {
    "monde": {"fr": "Monde", "en": "World"},
    "france": {"fr": "France", "en": "France"},
    "economie": {"fr": "Économie", "en": "Business"},
    "sport": {"fr": "Sport", "en": "Sport"},
    "culture": {"fr": "Culture", "en": "Culture"},
    "sciences-tech": {"fr": "Sciences et tech", "en": "Science & tech"},
    "sante": {"fr": "Santé", "en": "Health"},
    "environnement": {"fr": "Environnement", "en": "Environment"},
}
SOURCE_CATEGORIES = {
    "monde": "world international monde europe royaume-uni uk usa us etats-unis afrique asie moyen-orient",
    "france": "france national",
    "economie": "business economy economie finance markets marches bourse entreprises money",
    "sport": "sport sports football rugby tennis",
    "culture": "culture arts entertainment cinema musique music books livres people",
    "sciences-tech": "science sciences technology tech technologie numerique gaming ai",
    "sante": "health sante medecine",
    "environnement": "climat climate environment environnement planete",
}
KEYWORDS: dict[str, dict[str, str]] = {
    "fr": {
        "monde": "guerre ukrain russ poutine otan onu israël gaza hamas chine pékin washington trump biden"
        " iran syri liban ambassad diplomat frontière",
        "france": "france français gouvernement assemblée nationale sénat élysée matignon macron député"
        " ministre préfet municipal mairie gendarm",
        "economie": "économ inflation croissance entreprise bourse banque salari emploi chômage euros"
        " milliard pib marché prix fiscal impôt",
        "sport": "match football ligue champion coupe tournoi joueur entraîneur équipe olympi rugby tennis"
        " médaille victoire but",
        "culture": "film cinéma festival musique concert album livre roman exposition musée théâtre artiste"
        " chanteu acteur actrice série",
        "sciences-tech": "scientifi chercheu étude espace nasa satellite fusée intelligence artificielle"
        " numérique logiciel smartphone technolog",
        "sante": "santé hôpital médec patient virus épidémi vaccin maladie cancer soins",
        "environnement": "climat réchauffement carbone pollution biodiversité écolog sécheresse inondation"
        " canicule incendie",
    },
    "en": {
        "monde": "war ukrain russia putin nato united nations israel gaza hamas china beijing iran syria"
        " lebanon embassy diplomat border",
        "france": "france french macron élysée paris",
        "economie": "econom inflation growth compan stock market bank shares jobs unemployment billion gdp"
        " prices tax",
        "sport": "match football soccer league champion cup tournament player coach team olympic rugby"
        " tennis medal",
        "culture": "film movie festival music concert album novel book exhibition museum theatre artist"
        " singer actor actress series",
        "sciences-tech": "scientist research study space nasa satellite rocket artificial intelligence"
        " software smartphone technolog",
        "sante": "health hospital medic patient virus epidemic vaccine disease cancer",
        "environnement": "climate warming carbon pollution biodiversity drought flood heatwave wildfire"
        " species wildlife endangered",
    },
}
GENERIC_KICKERS = frozenset(
    [
        "direct",
        "en direct",
        "live",
        "video",
        "photos",
        "info",
        "infos",
        "exclusif",
        "alerte",
        "breaking",
        "analyse",
        "opinion",
        "tribune",
        "edito",
        "editorial",
        "reportage",
        "interview",
        "entretien",
        "portrait",
        "decryptage",
        "temoignage",
        "chronique",
        "podcast",
        "recit",
        "enquete",
        "document",
        "update",
        "a la une",
        "urgent",
    ]
)
SOURCE_VOTES = 2
MIN_VOTES = 2  # one stray keyword is not a category
MAX_HITS = 3
_KICKER = re.compile(r"^([^:«»\"“”]{3,60}?)\s*:\s+(\S.*)$")


@dataclass(frozen=True)
class Topic:
    category: str | None  # a key of CATEGORIES
    dossier: str | None  # a kicker as written by the outlets, e.g. "Guerre en Ukraine"

    def category_label(self, language: str = "fr") -> str:
        return (
            CATEGORIES[self.category].get(language, CATEGORIES[self.category]["en"]) if self.category else ""
        )


def fold(text: str) -> str:
    """Lower case, no accents, words separated by single spaces."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[\w-]+", text))


def split_kicker(title: str) -> tuple[str, str]:
    """('Guerre en Ukraine', 'Kiev ...') for 'Guerre en Ukraine : Kiev ...'; ('', title) when there is none.

    A kicker is at most 5 words, holds no quote, and leaves at least 3 words; 'Macron : « ... »' is a quote.
    """
    title = " ".join(title.split())
    match = _KICKER.match(title)
    if not match:
        return "", title
    head, rest = match.group(1).strip(), match.group(2).strip()
    if len(head.split()) > 5 or len(rest.split()) < 3 or rest[:1] in '«"“':
        return "", title
    return head, rest


def article_kicker(article: Article) -> str:
    return article.kicker.strip().rstrip(":").strip() or split_kicker(article.title)[0]


def story_dossier(articles: Sequence[Article]) -> str | None:
    """The most frequent non-generic kicker of the story (as first written), or None.

    A kicker the extractor found (`Article.kicker`) counts at once; a title prefix ("X : ...") is a guess, so
    it needs a second article of the story with the same kicker.
    """
    forms: dict[str, str] = {}
    counts: Counter[str] = Counter()
    explicit: set[str] = set()
    for article in articles:
        kicker = article_kicker(article)
        key = fold(kicker)
        if not key or key in GENERIC_KICKERS:
            continue
        forms.setdefault(key, kicker)
        counts[key] += 1
        if article.kicker.strip():
            explicit.add(key)
    valid = [k for k in counts if k in explicit or counts[k] >= 2]
    if not valid:
        return None
    best = min(valid, key=lambda k: (-counts[k], k))
    return forms[best]


def _source_category(name: str) -> str | None:
    words = fold(name).split()
    for key, aliases in SOURCE_CATEGORIES.items():
        if any(w in aliases.split() for w in words):
            return key
    return None


def _keyword_votes(article: Article) -> Counter[str]:
    lang = (article.language or "").lower()[:2]
    if lang not in KEYWORDS:
        return Counter()
    return Counter(dict(_votes(lang, _opening(article))))


def _opening(article: Article) -> str:
    """What categories are read from: the title, the lead and the opening of the body."""
    return f"{article.title} {article.lead} {article.text[:600]}"


@lru_cache(maxsize=20_000)  # an edition re-reads the same articles at every build; folding is the cost
def _votes(lang: str, raw: str) -> tuple[tuple[str, int], ...]:
    text = " " + fold(raw)
    found = []
    for key, stems in _folded_stems(lang):
        hits = min(sum(text.count(stem) for stem in stems), MAX_HITS)
        if hits:
            found.append((key, hits))
    return tuple(found)


# Country names that are also common words or first names, or that name something else as often ("Chad",
# "Jordan"; in French "Maurice", "Dominique", "Grenade"), and CLDR codes that are not foreign countries to a
# French reader: France and its overseas parts ("Réunion" is also a meeting), the euro zone, "unknown region".
_AMBIGUOUS_COUNTRIES = frozenset(
    ["chad", "georgia", "jordan", "jersey", "man", "guernsey", "turkey", "niger"]
)
_NOT_FOREIGN = frozenset(
    [
        "FR",
        "RE",
        "GP",
        "MQ",
        "YT",
        "GF",
        "NC",
        "PF",
        "PM",
        "WF",
        "BL",
        "MF",
        "TF",
        "MU",
        "DM",
        "GD",
        "EZ",
        "ZZ",
        "QO",
    ]
)


@cache
def _foreign_countries() -> re.Pattern[str]:
    """Any country other than France, by its French or English name (CLDR territory names via babel), as a
    whole word ("Nouvelle-Zélande", "Belarus", "États-Unis")."""
    names: set[str] = set()
    for locale in ("fr", "en"):
        for code, name in Locale(locale).territories.items():
            folded = fold(name)
            foreign = code not in _NOT_FOREIGN and folded not in _AMBIGUOUS_COUNTRIES
            if len(code) == 2 and code.isalpha() and foreign:
                names.add(folded)
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


@cache
def _folded_stems(lang: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each category's keyword stems for `lang`, folded once (" stem": a stem starts a word)."""
    return tuple(
        (key, tuple(" " + fold(stem) for stem in stems.split())) for key, stems in KEYWORDS[lang].items()
    )


def story_category(
    articles: Sequence[Article], *, source_categories: Mapping[str, str] | None = None
) -> str | None:
    """The story's category key (see the module docstring), or None when nothing votes."""
    votes: Counter[str] = Counter()
    for article in articles:
        named = getattr(article, "category", None) or (source_categories or {}).get(article.source, "")
        mapped = _source_category(named) if named else None
        if mapped:
            votes[mapped] += SOURCE_VOTES
        votes.update(_keyword_votes(article))
    order = list(CATEGORIES)
    ranked = sorted((k for k in votes if votes[k] >= MIN_VOTES), key=lambda k: (-votes[k], order.index(k)))
    if ranked:
        return ranked[0]
    # Nothing else decides: a story told abroad is world news (a climber killed in New Zealand).
    return "monde" if any(_names_foreign_country(a) for a in articles) else None


def _names_foreign_country(article: Article) -> bool:
    return _country_hit(_opening(article))


@lru_cache(maxsize=20_000)
def _country_hit(raw: str) -> bool:
    return _foreign_countries().search(" " + fold(raw)) is not None


def story_topic(articles: Sequence[Article], *, source_categories: Mapping[str, str] | None = None) -> Topic:
    return Topic(story_category(articles, source_categories=source_categories), story_dossier(articles))


def group_dossiers(topics: Mapping[str, Topic]) -> dict[str, tuple[str, ...]]:
    """Dossier label -> ids of the stories in it (dossiers of two stories or more, ids sorted)."""
    groups: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for story_id in sorted(topics):
        dossier = topics[story_id].dossier
        if dossier:
            key = fold(dossier)
            labels.setdefault(key, dossier)
            groups.setdefault(key, []).append(story_id)
    return {labels[k]: tuple(v) for k, v in sorted(groups.items()) if len(v) > 1}
