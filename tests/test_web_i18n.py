"""The UI catalogues: gettext .po files read with Babel, French and English complete and consistent."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from essentiel.web import i18n
from essentiel.web.i18n import LANGUAGES, LOCALE_DIR, Translator

FIELD = re.compile(r"\{(\w+)\}")


def _catalog(lang: str):  # type: ignore[no-untyped-def]
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def test_french_and_english_catalogues_are_complete_and_consistent() -> None:
    assert LANGUAGES[:2] == ("fr", "en")
    french, english = _catalog("fr"), _catalog("en")
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in french if m.id}
    assert ids == {m.id if isinstance(m.id, str) else m.id[0] for m in english if m.id}
    assert len(ids) > 100
    for fr_message in french:
        if not fr_message.id:
            continue
        en_message = english[fr_message.id]
        assert en_message is not None and not en_message.fuzzy
        fr_texts = fr_message.string if isinstance(fr_message.string, tuple) else (fr_message.string,)
        en_texts = en_message.string if isinstance(en_message.string, tuple) else (en_message.string,)
        assert all(fr_texts) and all(en_texts), fr_message.id  # every entry translated
        # the same {fields} in both languages, so formatting never fails
        assert {f for t in fr_texts for f in FIELD.findall(t)} == {
            f for t in en_texts for f in FIELD.findall(t)
        }
    assert french.plural_expr == "(n > 1)" and english.plural_expr == "(n != 1)"


def test_plurals_dates_and_numbers_follow_the_language() -> None:
    fr, en = Translator("fr"), Translator("en")
    assert [fr.plural("outlets", n) for n in (0, 1, 2)] == ["0 média", "1 média", "2 médias"]
    assert [en.plural("outlets", n) for n in (0, 1, 2)] == ["0 outlets", "1 outlet", "2 outlets"]
    assert fr.date(date(2026, 11, 25)) == "mercredi 25 novembre 2026"
    assert en.date(date(2026, 11, 25)) == "Wednesday, November 25, 2026"
    assert fr.month(2026, 2) == "février 2026" and en.weekdays_short()[0] == "Mo"
    assert fr.number(0.755) == "0,76" and en.number(0.755) == "0.76"
    assert fr.language_name("en") == "anglais" and en.language_name("fr") == "French"
    assert fr.category("economie") == "Économie" and en.category("economie") == "Business"
    assert fr.category("Politique") == "Politique"  # a source's own category is shown as it is


def test_a_missing_key_is_named_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    assert Translator("en")("no_such_key") == "no_such_key"
    assert "missing UI string key=no_such_key" in caplog.text


def test_adding_a_language_is_adding_a_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Copy the English catalogue under a new code, translate a string: the language is offered and used."""
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, locale)
    po = locale / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    text = (LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    text = text.replace("Language: en", "Language: de").replace(
        'msgstr "The day\'s most important news"', 'msgstr "Die wichtigsten Nachrichten des Tages"'
    )
    po.write_text(text, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    monkeypatch.setattr(i18n, "LANGUAGES", i18n._catalogue_languages())
    i18n.catalogue.cache_clear()
    try:
        assert i18n.LANGUAGES == ("fr", "de", "en")
        assert i18n.choose_language(None, None, "de-DE,de;q=0.9", "fr") == "de"
        german = Translator("de")
        assert german("heading") == "Die wichtigsten Nachrichten des Tages"
        assert (
            german.date(date(2026, 11, 25)) == "Mittwoch, 25. November 2026"
        )  # CLDR, not the machine locale
    finally:
        i18n.catalogue.cache_clear()
