"""Sentence hygiene for the essentiel: datelines, dangling openers, half quotes, lexical overlap.

Provenance rule: a summary sentence is always a verbatim substring of its article's lead or text. The only
change ever made is removing a leading dateline ("PARIS (AFP) - ", "WASHINGTON, March 3 (Reuters) — "),
so `sentence in article.lead + "\\n" + article.text` holds for every sentence we output.
"""

from __future__ import annotations

import re

_WIRES = r"AFP|Reuters|AP|Associated Press|Belga|ATS|Keystone-ATS|dpa|DPA|Xinhua|ANSA|EFE|Bloomberg|Relaxnews"
_DATELINE = re.compile(
    r"^(?:[A-ZÀ-Ý][\w'’.\- ]{1,40}?(?:\s*,\s*[\w .'’-]{1,30}?)?\s*)?"  # "PARIS" / "Paris, 12 mars"
    rf"\((?:{_WIRES})\)\s*[-–—:]\s*"  # "(AFP) -"
    r"|^[A-ZÀ-Ý][A-ZÀ-Ý'’.\- ]{2,30}(?:\s*,\s*[\w .'’-]{1,30}?)?\s+[-–—]\s+",  # "NEW YORK —", "KIEV, 3 mars -"
)
_CONNECTIVE = re.compile(
    r"^(?:mais|cependant|toutefois|pourtant|en revanche|néanmoins|or|donc|ainsi|de son côté|de leur côté"
    r"|quant à|ce dernier|cette dernière|ces derniers|celui-ci|celle-ci|ceux-ci|là encore|lui aussi"
    r"|but|however|yet|still|meanwhile|also|nevertheless|the latter|the former|this|these|that|those"
    r"|he also|she also|it also)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(
    r"^(?:il|elle|ils|elles|he|she|they|it|on|his|her|their|its|son|sa|ses|leur|leurs)\b", re.IGNORECASE
)
_IMPERSONAL = re.compile(
    r"^(?:il (?:y a|faut|s['’]agit|est (?:temps|possible|probable|prévu))|it is)\b", re.I
)
# a speaker or subject only known from an earlier sentence: "..., a-t-il ajouté", "estime-t-elle", "selon lui"
_UNNAMED_SPEAKER = re.compile(
    r"\b\w+-t-(?:il|elle|ils|elles)\b|\b\w{3,}-(?:il|elle|ils|elles)\b"
    r"|\b(?:selon|d['’]après|pour) (?:lui|elle|eux|elles)\b"
    r"|\b(?:he|she|they) (?:said|added|says|adds|told|explained|continued)\b"
    r"|\b(?:said|added|says|adds) (?:he|she)\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"«[^»]*»|“[^”]*”|\"[^\"]*\"")
_CONTENT = re.compile(r"[^\W\d_]{3,}")
STOPWORDS = frozenset(
    [
        "les",
        "des",
        "une",
        "dans",
        "pour",
        "par",
        "sur",
        "avec",
        "sans",
        "est",
        "sont",
        "ont",
        "été",
        "qui",
        "que",
        "quoi",
        "dont",
        "aux",
        "ces",
        "cette",
        "ses",
        "leur",
        "leurs",
        "plus",
        "mais",
        "pas",
        "elle",
        "ils",
        "elles",
        "nous",
        "vous",
        "son",
        "sont",
        "the",
        "and",
        "for",
        "with",
        "that",
        "this",
        "from",
        "have",
        "has",
        "had",
        "were",
        "was",
        "are",
        "its",
        "their",
        "they",
        "been",
        "will",
        "would",
        "which",
        "who",
        "what",
        "when",
        "also",
        "into",
        "after",
        "than",
        "more",
    ]
)


def strip_dateline(sentence: str) -> str:
    """The sentence without a leading wire dateline; unchanged when there is none (or nothing would be left)."""
    match = _DATELINE.match(sentence)
    if not match:
        return sentence
    rest = sentence[match.end() :].lstrip()
    return rest if len(rest.split()) >= 4 and rest[:1].isupper() else sentence


def is_dangling(sentence: str) -> bool:
    """Needs the sentence before it: 'Il a ajouté…', 'He added…', 'Mais…', 'Ce dernier…', '…, a-t-il dit.'."""
    head = sentence.lstrip("«“\"' ")
    if _CONNECTIVE.match(head) or unnamed_speaker(sentence):
        return True
    return bool(_PRONOUN.match(head)) and not _IMPERSONAL.match(head)


def unnamed_speaker(sentence: str) -> bool:
    """Says who speaks only by a pronoun ('..., a-t-il ajouté.', 'selon elle', '..., he said.')."""
    return bool(_UNNAMED_SPEAKER.search(sentence))


def quoted_share(sentence: str) -> float:
    """Share of the sentence's characters inside quotation marks."""
    inside = sum(len(m.group(0)) for m in _QUOTED.finditer(sentence))
    return inside / max(len(sentence), 1)


def has_broken_quote(sentence: str) -> bool:
    """A quotation opened and not closed, or closed and never opened."""
    if sentence.count("«") != sentence.count("»") or sentence.count("“") != sentence.count("”"):
        return True
    return sentence.count('"') % 2 == 1


def content_words(sentence: str) -> frozenset[str]:
    return frozenset(w for w in (m.lower() for m in _CONTENT.findall(sentence)) if w not in STOPWORDS)


def lexical_overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of the shorter sentence's content words found in the other (catches paraphrases too)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
