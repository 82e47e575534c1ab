"""The UI strings of the web app, the static site, the feeds and the e-mail: gettext catalogues read with Babel.

The catalogues are `locale/<lang>/LC_MESSAGES/messages.po`, one per UI language; they are compiled in memory
when first used (Babel's `read_po` and `write_mo`), so no binary `.mo` file is kept in the tree. Message ids
are symbolic keys (`heading`, `outlets_one`/`outlets_other`...); plurals follow each catalogue's
`Plural-Forms`. French is the reference: a key missing from another catalogue falls back to French. Dates,
month and weekday names, decimals and language names come from Babel's CLDR data, never from the machine's
locale, so the output is the same everywhere.

Adding a language: copy `locale/en/LC_MESSAGES/messages.po` to `locale/<code>/LC_MESSAGES/messages.po`, set
its `Language` and `Plural-Forms` headers, translate every `msgstr` (each English entry carries the French
text as a `#.` comment). The language is then offered (`LANGUAGES` lists the catalogues found).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, get_day_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import get_decimal_symbol
from babel.support import Translations

from ..topics import CATEGORIES

log = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "fr"


def _catalogue_languages() -> tuple[str, ...]:
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))
    return tuple(sorted(found, key=lambda code: (code != DEFAULT_LANGUAGE, code)))


LANGUAGES = _catalogue_languages()  # ("fr", "en", ...): French first


@cache
def catalogue(lang: str) -> tuple[Translations, frozenset[str]]:
    """The compiled catalogue of a UI language (read once per process) and its singular keys.

    Every catalogue but French falls back to French for the keys it lacks.
    """
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        po = read_po(fh, locale=lang, domain="messages")
    buffer = io.BytesIO()
    write_mo(buffer, po, use_fuzzy=False)
    buffer.seek(0)
    translations = Translations(buffer, domain="messages")
    if lang != DEFAULT_LANGUAGE:
        translations.add_fallback(catalogue(DEFAULT_LANGUAGE)[0])
    keys = frozenset(m.id for m in po if isinstance(m.id, str) and m.id)
    return translations, keys | (catalogue(DEFAULT_LANGUAGE)[1] if lang != DEFAULT_LANGUAGE else frozenset())


@cache
def _decimal_symbol(lang: str) -> str:
    return str(get_decimal_symbol(lang))


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
        self.translations, self.strings = catalogue(self.lang)  # `strings`: the keys it knows

    def __call__(self, key: str, **values: Any) -> str:
        text = self.translations.gettext(key)
        if key not in self.strings:
            log.warning("missing UI string key=%s lang=%s", key, self.lang)
            return key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.strings

    def plural(self, key: str, n: int) -> str:
        """`key_one` or `key_other` as the catalogue's Plural-Forms choose for n ('0 média', '0 outlets')."""
        return self.translations.ngettext(f"{key}_one", f"{key}_other", n).format(n=n)

    def outlets(self, count: int, independent: int | None = None) -> str:
        """'8 médias', or '7 médias indépendants (+1 reprise)' when some outlets only ran another's copy."""
        if independent is None or not 0 < independent < count:
            return self.plural("outlets", count)
        return f"{self.plural('independent_outlets', independent)} {self.plural('plus_copies', count - independent)}"

    def date(self, day: date | datetime | None) -> str:
        """'mercredi 25 novembre 2026' / 'Wednesday, November 25, 2026' (CLDR's full date, no time zone)."""
        if day is None:
            return ""
        day = day.date() if isinstance(day, datetime) else day
        text = format_date(day, format="full", locale=self.lang)
        if self.lang == "fr" and day.day == 1:  # the French ordinal: « 1er novembre »
            text = text.replace(" 1 ", " 1er ", 1)
        return text

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
        return format_date(date(year, month, 1), format="LLLL y", locale=self.lang)

    def weekdays_short(self) -> list[str]:
        """Monday first: 'lu', 'ma'... / 'Mo', 'Tu'..."""
        names = get_day_names("short", context="stand-alone", locale=self.lang)
        return [str(names[i]) for i in range(7)]

    def number(self, value: float) -> str:
        """A decimal with two digits: '0,75' in French, '0.75' in English (the CLDR decimal sign)."""
        return f"{value:.2f}".replace(".", _decimal_symbol(self.lang))

    def language_name(self, code: str | None) -> str:
        """'anglais' / 'English' for 'en' (CLDR names); the code itself when CLDR has none."""
        if not code:
            return ""
        return str(Locale.parse(self.lang).languages.get(code.lower().split("-")[0], code))

    def category(self, key: str | None) -> str:
        """A category's name in the UI language ('monde' -> 'Monde' / 'World'); other names unchanged."""
        if not key:
            return ""
        names = CATEGORIES.get(key)
        return names.get(self.lang, names["en"]) if names else key

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
                label = self(f"factor_{key}") if self.has(f"factor_{key}") else key.replace("_", " ")
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
