"""Every UI string of the web app and the static site, in French and English, and locale-aware formatting.

No gettext, no locale module (its output depends on the machine): plain dictionaries, so the output is the
same everywhere. French is the reference; a key missing from another language falls back to French.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from .strings import MORE_STRINGS

log = logging.getLogger(__name__)

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "heading": "Les nouvelles les plus importantes de la journée",
        "skip": "Aller au contenu",
        "search": "Rechercher",
        "search_placeholder": "Rechercher dans les articles…",
        "search_title": "Recherche",
        "search_results": "Résultats pour «\u00a0{q}\u00a0»",
        "search_none": "Aucun article ne correspond à «\u00a0{q}\u00a0».",
        "search_hint": "Cherchez un mot, un nom, un lieu\u00a0: les accents sont facultatifs.",
        "switch_language": "English",
        "switch_language_label": "Read in English",
        "empty_title": "Pas encore d’édition",
        "empty_text": "Aucune édition n’a encore été construite. Récupérez des articles puis construisez "
        "l’édition du jour\u00a0:",
        "empty_or": "ou, pour tout faire d’un coup\u00a0:",
        "editions": "Éditions précédentes",
        "updated": "Mise à jour\u00a0: {when}",
        "stories_count_one": "{n} sujet",
        "stories_count_other": "{n} sujets",
        "outlets_one": "{n} média",
        "outlets_other": "{n} médias",
        "articles_one": "{n} article",
        "articles_other": "{n} articles",
        "languages_one": "{n} langue",
        "languages_other": "{n} langues",
        "rank": "n° {n}",
        "essentiel": "L’essentiel",
        "why": "Pourquoi ce classement",
        "why_outlets": "couvert par {outlets}",
        "why_languages": "en {languages}",
        "why_hours": "il y a environ {n}\u00a0h",
        "why_days": "il y a environ {n}\u00a0jours",
        "independent_outlets_one": "{n} média indépendant",
        "independent_outlets_other": "{n} médias indépendants",
        "factor": "Critère",
        "factor_value": "Valeur",
        "factor_points": "Points",
        "factors_caption": "Le score est la somme des points de chaque critère.",
        "factor_outlets": "médias indépendants",
        "factor_articles": "articles",
        "factor_languages": "langues",
        "factor_recency": "fraîcheur",
        "factor_authority": "poids des sources",
        "factor_entities": "acteurs communs",
        "score": "Score",
        "entities": "Personnes, lieux, organisations",
        "coverage": "Toute la couverture",
        "original": "Article original",
        "read_original": "Lire l’article original sur {site}",
        "read_here": "Lire ici",
        "by": "Par {authors}",
        "and": "et",
        "published": "Publié le {when}",
        "language": "Langue\u00a0: {language}",
        "full_story": "Voir toute la couverture de ce sujet",
        "back_edition": "Retour à l’édition du {day}",
        "story_rank": "{rank} dans l’édition du {day}",
        "not_in_edition": "Ce sujet ne figure dans aucune édition récente.",
        "not_found_title": "Page introuvable",
        "not_found_text": "Cette page n’existe pas, ou plus. L’édition du jour vous attend sur la page d’accueil.",
        "home": "Accueil",
        "feeds": "Flux\u00a0:",
        "original_of": "Article original\u00a0: {title}",
        "why_label": "Pourquoi ce classement\u00a0:",
        "footer": "Composé par essentiel, à partir des sources que vous avez choisies.",
        "at": "{day} à {time}",
        "entity_person": "personne",
        "entity_place": "lieu",
        "entity_org": "organisation",
        "entity_other": "autre",
    },
    "en": {
        "heading": "The day's most important news",
        "skip": "Skip to content",
        "search": "Search",
        "search_placeholder": "Search articles…",
        "search_title": "Search",
        "search_results": "Results for “{q}”",
        "search_none": "No article matches “{q}”.",
        "search_hint": "Search for a word, a name, a place: accents are optional.",
        "switch_language": "Français",
        "switch_language_label": "Lire en français",
        "empty_title": "No edition yet",
        "empty_text": "No edition has been built yet. Fetch some articles, then build today's edition:",
        "empty_or": "or, to do everything at once:",
        "editions": "Previous editions",
        "updated": "Updated: {when}",
        "stories_count_one": "{n} story",
        "stories_count_other": "{n} stories",
        "outlets_one": "{n} outlet",
        "outlets_other": "{n} outlets",
        "articles_one": "{n} article",
        "articles_other": "{n} articles",
        "languages_one": "{n} language",
        "languages_other": "{n} languages",
        "rank": "No. {n}",
        "essentiel": "The essentials",
        "why": "Why this rank",
        "why_outlets": "covered by {outlets}",
        "why_languages": "in {languages}",
        "why_hours": "about {n} h ago",
        "why_days": "about {n} days ago",
        "independent_outlets_one": "{n} independent outlet",
        "independent_outlets_other": "{n} independent outlets",
        "factor": "Factor",
        "factor_value": "Value",
        "factor_points": "Points",
        "factors_caption": "The score is the sum of the points of every factor.",
        "factor_outlets": "independent outlets",
        "factor_articles": "articles",
        "factor_languages": "languages",
        "factor_recency": "recency",
        "factor_authority": "source weight",
        "factor_entities": "shared entities",
        "score": "Score",
        "entities": "People, places, organisations",
        "coverage": "Full coverage",
        "original": "Original article",
        "read_original": "Read the original article on {site}",
        "read_here": "Read here",
        "by": "By {authors}",
        "and": "and",
        "published": "Published {when}",
        "language": "Language: {language}",
        "full_story": "See the full coverage of this story",
        "back_edition": "Back to the edition of {day}",
        "story_rank": "{rank} in the edition of {day}",
        "not_in_edition": "This story is not part of any recent edition.",
        "not_found_title": "Page not found",
        "not_found_text": "This page does not exist, or no longer does. Today's edition is on the home page.",
        "home": "Home",
        "feeds": "Feeds:",
        "original_of": "Original article: {title}",
        "why_label": "Why this rank:",
        "footer": "Composed by essentiel, from the sources you chose.",
        "at": "{day} at {time}",
        "entity_person": "person",
        "entity_place": "place",
        "entity_org": "organisation",
        "entity_other": "other",
    },
}

for _lang, _extra in MORE_STRINGS.items():
    STRINGS[_lang].update(_extra)

_WEEKDAYS = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
_LANGUAGE_NAMES = {
    "fr": {"fr": "français", "en": "anglais", "de": "allemand", "es": "espagnol", "it": "italien",
           "pt": "portugais", "nl": "néerlandais", "ar": "arabe", "ru": "russe", "uk": "ukrainien",
           "zh": "chinois", "ja": "japonais", "pl": "polonais"},
    "en": {"fr": "French", "en": "English", "de": "German", "es": "Spanish", "it": "Italian",
           "pt": "Portuguese", "nl": "Dutch", "ar": "Arabic", "ru": "Russian", "uk": "Ukrainian",
           "zh": "Chinese", "ja": "Japanese", "pl": "Polish"},
}  # fmt: skip
_ENTITY_KINDS = {
    "PER": "person",
    "PERSON": "person",
    "LOC": "place",
    "GPE": "place",
    "FAC": "place",
    "ORG": "org",
    "NORP": "org",
}


def supported(lang: str | None) -> str | None:
    """The UI language for a code such as 'fr', 'en-GB' or 'FR_ca', or None when it is not supported."""
    if not lang:
        return None
    code = lang.strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The best supported language of an Accept-Language header (q-values honoured), or None."""
    if not header:
        return None
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        fields = part.strip().split(";")
        quality = 1.0
        for param in fields[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        code = supported(fields[0])
        if code and quality > 0:
            choices.append((-quality, position, code))
    return min(choices)[2] if choices else None


def choose_language(
    query: str | None, cookie: str | None, accept_language: str | None, default: str = DEFAULT_LANGUAGE
) -> str:
    """The UI language: the `lang` query parameter, else the cookie, else Accept-Language, else the default."""
    return (
        supported(query)
        or supported(cookie)
        or from_accept_language(accept_language)
        or supported(default)
        or DEFAULT_LANGUAGE
    )


def entity_kind(label: str) -> str:
    """'person', 'place', 'org' or 'other' for a named-entity label (spaCy French or English labels)."""
    return _ENTITY_KINDS.get(label.upper(), "other")


class Translator:
    """The UI strings and formats of one language: `t("key", n=3)`, `t.plural("outlets", 3)`, `t.date(d)`."""

    def __init__(self, lang: str) -> None:
        self.lang = supported(lang) or DEFAULT_LANGUAGE
        self.strings = STRINGS[self.lang]

    def __call__(self, key: str, **values: Any) -> str:
        text = self.strings.get(key) or STRINGS[DEFAULT_LANGUAGE].get(key)
        if text is None:
            log.warning("missing UI string key=%s lang=%s", key, self.lang)
            return key
        return text.format(**values) if values else text

    def plural(self, key: str, n: int) -> str:
        # French uses the singular for 0 and 1, English only for 1.
        one = n in (0, 1) if self.lang == "fr" else n == 1
        return self(f"{key}_{'one' if one else 'other'}", n=n)

    def date(self, day: date | datetime | None) -> str:
        """'mercredi 25 novembre 2026' / 'Wednesday, November 25, 2026'."""
        if day is None:
            return ""
        weekday = _WEEKDAYS[self.lang][day.weekday()]
        month = _MONTHS[self.lang][day.month - 1]
        if self.lang == "fr":
            number = "1er" if day.day == 1 else str(day.day)
            return f"{weekday} {number} {month} {day.year}"
        return f"{weekday}, {month} {day.day}, {day.year}"

    def datetime(self, when: datetime | None) -> str:
        """A date and a time in UTC: 'mercredi 25 novembre 2026 à 14:05 UTC'."""
        if when is None:
            return ""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        when = when.astimezone(UTC)
        return self("at", day=self.date(when), time=f"{when:%H:%M} UTC")

    def month(self, year: int, month: int) -> str:
        """'novembre 2026' / 'November 2026'."""
        return f"{_MONTHS[self.lang][month - 1]} {year}"

    def weekdays_short(self) -> list[str]:
        """Monday first: 'lu', 'ma'... / 'Mo', 'Tu'..."""
        return [name[:2] for name in _WEEKDAYS[self.lang]]

    def number(self, value: float) -> str:
        """A decimal with two digits: '0,75' in French, '0.75' in English."""
        text = f"{value:.2f}"
        return text.replace(".", ",") if self.lang == "fr" else text

    def language_name(self, code: str | None) -> str:
        if not code:
            return ""
        return _LANGUAGE_NAMES[self.lang].get(code.lower(), code)

    def join(self, items: list[str]) -> str:
        """'a, b et c' / 'a, b and c'."""
        if len(items) <= 1:
            return "".join(items)
        return f"{', '.join(items[:-1])} {self('and')} {items[-1]}"

    def why_reason(self, why: Mapping[str, Any]) -> str:
        """Why a story ranks where it does, in one phrase in the UI language.

        Built from the ranker's recorded counts ('outlets', 'languages': numbers, lists or {"value": n}) and
        'age_hours'; a ready-made 'reason_<lang>' wins, and the ranker's own 'reason' (or 'text') is the
        fallback when there is nothing to build from.
        """
        own = why.get(f"reason_{self.lang}")
        if isinstance(own, str) and own.strip():
            return own.strip()
        parts = []
        outlets, languages = _count(why.get("outlets")), _count(why.get("languages"))
        if outlets:
            parts.append(self("why_outlets", outlets=self.plural("independent_outlets", outlets)))
        if languages > 1:
            parts.append(self("why_languages", languages=self.plural("languages", languages)))
        age = why.get("age_hours")
        if parts and isinstance(age, int | float) and not isinstance(age, bool):
            parts.append(self("why_hours", n=round(age)) if age < 48 else self("why_days", n=round(age / 24)))
        if parts:
            text = ", ".join(parts)
            return text[0].upper() + text[1:]
        for key in ("reason", "text", "summary"):
            value = why.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return ""

    def why_factors(self, why: Mapping[str, Any]) -> list[tuple[str, str, str]]:
        """The score's components as (label, value, points), most points first.

        A component is recorded as `{"value": v, "contribution": c}`; anything else in `why` is ignored.
        """
        rows = []
        for key, entry in why.items():
            if isinstance(entry, Mapping) and isinstance(entry.get("contribution"), int | float):
                value = entry.get("value")
                shown = (
                    self.number(value) if isinstance(value, float) else "" if value is None else str(value)
                )
                label = self(f"factor_{key}") if f"factor_{key}" in self.strings else key.replace("_", " ")
                rows.append((float(entry["contribution"]), label, shown))
        rows.sort(key=lambda row: (-row[0], row[1]))
        return [(label, shown, self.number(points)) for points, label, shown in rows]


def _count(value: object) -> int:
    """A count recorded as a number, as the list of what was counted, or as a component {"value": n}."""
    if isinstance(value, Mapping):
        value = value.get("value")
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, list | tuple | set):
        return len(value)
    return 0
