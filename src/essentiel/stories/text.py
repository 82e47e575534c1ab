"""What articles are compared on: the text that is embedded, its words, and its names and figures.

Words and names are hashed into a fixed space (`FEATURES` buckets, CRC32) so that document frequencies and story
sums can be kept incrementally, across runs, without a vocabulary to refit.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter

from essentiel.models import Article

TEXT_CHARS = 600  # opening of the body that is compared word by word
# Opening of the body that is embedded. The encoder's cost grows faster than the text (46 ms of CPU per article
# at 600 characters, 16 ms at 200, on this 2-core machine); 300 was as good as 600 on the ECB+ dev topics.
EMBED_CHARS = 300
NAME_CHARS = 5000  # names and figures are taken from this much of the body
FEATURES = 1 << 20

_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_WORD = re.compile(r"\w\w+", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[a-zà-ÿ0-9)]{2}[.!?])\s+|(?<=[.!?][»\"”])\s+|\n+")  # not after "M." or "U.S."
_NAME = re.compile(r"^[«\"“(]*([A-ZÀ-ÖØ-Þ][\w'’-]*)")
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)*\b")
_CLOCK = re.compile(r"\d+(?:h\d*|am|pm|st|nd|rd|th)")  # 10h30, 8am, 21st
# Capitalised words that are not names (sentence-internal titles and function words, French and English).
_NOT_NAMES = frozenset(
    [
        "the",
        "a",
        "an",
        "in",
        "on",
        "at",
        "of",
        "and",
        "but",
        "for",
        "he",
        "she",
        "it",
        "they",
        "we",
        "i",
        "you",
        "this",
        "that",
        "these",
        "those",
        "his",
        "her",
        "its",
        "their",
        "as",
        "with",
        "by",
        "from",
        "to",
        "after",
        "before",
        "when",
        "while",
        "mr",
        "mrs",
        "ms",
        "dr",
        "m",
        "mme",
        "mlle",
        "le",
        "la",
        "les",
        "un",
        "une",
        "des",
        "du",
        "de",
        "et",
        "en",
        "au",
        "aux",
        "il",
        "elle",
        "ils",
        "elles",
        "on",
        "ce",
        "cette",
        "ces",
        "son",
        "sa",
        "ses",
        "leur",
        "selon",
        "pour",
        "dans",
        "sur",
        "par",
        "avec",
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)


# What a dateline is made of ("Updated Saturday, December 05, 2009 8:28 PM", "Publié le 12 mars 2024 à 10h"):
# month and weekday names, clock and time-zone words, and the words that introduce a date, English and French.
_DATE_WORDS = frozenset(
    word
    for line in (
        "january february march april may june july august september october november december",
        "jan feb mar apr jun jul aug sep sept oct nov dec",
        "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre janv fevr avr juil",
        "monday tuesday wednesday thursday friday saturday sunday",
        "lundi mardi mercredi jeudi vendredi samedi dimanche",
        "am pm h gmt utc bst ist est edt cet cest pst pdt",
        "updated posted published last modified at on of the mis jour publie modifie le la du et",
    )
    for word in line.split()
)


def is_dateline(text: str) -> bool:
    """Whether `text` has words and they only say when (a date, a time, "Updated ..."): no story in it.

    Some feeds and pages give a dateline where the headline belongs; two of them look alike to every signal
    ("Friday, June 7, 2013" and "Tuesday, May 24, 2005") whatever they report, so they are compared on nothing."""
    tokens = _WORD.findall(fold(text))
    return bool(tokens) and all(t.isdigit() or t in _DATE_WORDS or _CLOCK.fullmatch(t) for t in tokens)


def fold(text: str) -> str:
    """Lower case without accents: 'Élysée' and 'elysee' are one token."""
    if text.isascii():
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).lower()


def embedding_text(article: Article, text_chars: int = EMBED_CHARS) -> str:
    """What an article is embedded on: its title, then the first `text_chars` characters of lead and body.

    The lead counts in the budget: the encoder's cost grows faster than its input (about 17 ms of CPU at 300
    characters, 26 ms at 450), and a lead is the body's opening in other words."""
    opening = "\n".join(p for p in (article.lead.strip(), article.text.strip()) if p)[:text_chars]
    return "\n".join(p for p in (article.title.strip(), opening) if p)


def lexical_text(article: Article) -> str:
    """What an article is compared on word by word: title, lead and a longer opening."""
    return embedding_text(article, TEXT_CHARS)


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def names(text: str) -> list[str]:
    """Name-like tokens (capitalised words not opening a sentence, folded) and figures.

    'M. Blinken', 'Antony Blinken' and 'Blinken' all give the token 'blinken'; names are shared across
    languages, so this signal also links a French and an English report of one event.
    """
    found: list[str] = []
    for sentence in _SENTENCE.split(text):
        tokens = sentence.split()
        for token in tokens[1:]:
            match = _NAME.match(token)
            if match:
                name = fold(match.group(1)).strip("'’-")
                if len(name) > 1 and name not in _NOT_NAMES:
                    found.append(name)
    found += [n.replace(",", ".") for n in _NUMBER.findall(text)]
    return found


def name_text(article: Article) -> str:
    parts = [article.title.strip(), article.lead.strip(), article.text.strip()[:NAME_CHARS]]
    return "\n".join(p for p in parts if p)


def hashed_counts(tokens: list[str], prefix: str = "") -> dict[int, int]:
    """Token counts in the hashed feature space (stable on every machine)."""
    counts: Counter[int] = Counter()
    for token in tokens:
        counts[zlib.crc32((prefix + token).encode("utf-8")) & (FEATURES - 1)] += 1
    return dict(sorted(counts.items()))
