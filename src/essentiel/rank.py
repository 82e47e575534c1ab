"""Rank stories by an explainable score: a weighted sum of components, each reported in `why`.

score = outlets   * log2(weighted independent outlets)   wire copy and copies of one text count once
      + articles  * log2(distinct texts)                   copies of one text count once
      + languages * (distinct languages - 1)
      + countries * (distinct countries - 1)               Article.country when known, else the URL's ccTLD
      + velocity  * log2((1 + texts of the last velocity_hours) / (1 + the story's earlier rate))
      + recency   * 0.5 ** (age of the median publication / half-life)   (0.5 when no article is dated)
      + authority * mean source weight
      + entities  * salience of the story's top named entity (off by default)
      + prominence * log2(1 + sum over outlets of 1 / (1 + best position in its top-stories feeds))
                                                           only when feed positions are given
      + novelty   * (1 new since the previous edition | share of new articles | -1 nothing new)
                                                           only when the previous edition is given

Edition rules (`rank_stories`): order by score (then story id, so the same input gives the same edition);
at most one story per near-identical topic; optional per-category quotas; a story told by one independent
voice only is kept back behind every multi-source story unless its source weight is at least
`authoritative`. Full description: docs/ranking.md.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from essentiel.extract.metadata import AGENCIES
from essentiel.models import Article, Edition, RankedStory, Story, Summary
from essentiel.nlp import entities_by_text, merge_entities
from essentiel.sources.outlets import host_of, outlet_for_host
from essentiel.stories.dedupe import duplicate_groups
from essentiel.summarize.base import Summarizer
from essentiel.summarize.clean import content_words, lexical_overlap
from essentiel.summarize.extractive import DEFAULT_MAX_WORDS, ExtractiveSummarizer

logger = logging.getLogger(__name__)

KEY_LABELS = frozenset({"PERSON", "PER", "LOC", "GPE", "ORG"})
MAX_ENTITIES = 8
ENTITY_TEXT_CHARS = 1500
WIRE = "<wire>"
SAME_TOPIC = 0.7  # title content-word overlap above which two stories are one topic
GENERIC_TLDS = frozenset({"com", "org", "net", "info", "io", "eu", "int", "news", "tv", "co"})
TLD_COUNTRY = {"uk": "gb"}
Scored = tuple[float, Story, list[Article], dict[str, Any]]


@dataclass(frozen=True)
class RankWeights:
    outlets: float = 3.0  # per doubling of (weighted) independent outlets
    articles: float = 1.0  # per doubling of articles
    languages: float = 0.5  # per language beyond the first
    countries: float = 0.5  # per country beyond the first
    velocity: float = 1.0  # per doubling of the recent rate against the story's own past
    velocity_hours: float = 3.0  # what "recent" means for velocity
    recency: float = 1.5  # times the decay factor (1 = just published, 0.5 = one half-life ago)
    authority: float = 0.5  # times the mean source weight (1.0 for an ordinary source)
    entities: float = 0.0  # times the share of articles naming the top entity (needs spaCy for every story)
    novelty: float = 2.0  # new since the previous edition (+), nothing new (-)
    prominence: float = 1.5  # per doubling of (1 + outlets leading with it, by 1 / (1 + feed position))
    half_life_hours: float = 12.0
    authoritative: float = 1.5  # a single-source story competes with the others when its weight is this high


def _voice_groups(
    articles: Sequence[Article], copies: Sequence[Sequence[int]] | None = None
) -> dict[str, list[int]]:
    keys = [a.outlet_key if a.independent else WIRE for a in articles]
    voices: dict[str, list[int]] = {}
    for group in duplicate_groups(articles) if copies is None else copies:
        names = sorted({keys[i] for i in group})
        representative = WIRE if WIRE in names else names[0]
        voices.setdefault(representative, []).extend(group)
    return voices


def independent_outlets(articles: Sequence[Article]) -> list[str]:
    """Distinct voices: an outlet counts once, wire services count once together, copies of one text once."""
    return sorted(_voice_groups(articles))


def weighted_outlets(articles: Sequence[Article], copies: Sequence[Sequence[int]] | None = None) -> float:
    """Sum over the independent voices of their highest source weight (= the count for ordinary sources)."""
    groups = _voice_groups(articles, copies)
    return sum(max(articles[i].source_weight for i in members) for members in groups.values())


def distinct_texts(
    articles: Sequence[Article], copies: Sequence[Sequence[int]] | None = None
) -> list[Article]:
    """One article per text: copies of one text (wire copy run by several outlets) count once, by the
    earliest dated copy, so syndication adds neither articles nor velocity."""
    groups = duplicate_groups(articles) if copies is None else copies
    out = []
    for group in groups:
        members = [articles[i] for i in group]
        dated = [a for a in members if a.published is not None]
        out.append(min(dated, key=lambda a: (a.published, a.id)) if dated else members[0])
    return out


def country_of(article: Article) -> str | None:
    """`Article.country` when the model has it, else the outlet's country in the bundled media list, else the
    URL host's country-code top-level domain."""
    known = getattr(article, "country", None)
    if known:
        return str(known).lower()
    host = host_of(article.url)
    listed = outlet_for_host(host).country if host else None
    if listed:
        return listed
    tld = host.rsplit(".", 1)[-1]
    if len(tld) != 2 or tld in GENERIC_TLDS or not tld.isalpha():
        return None
    return TLD_COUNTRY.get(tld, tld)


def _median_published(articles: Sequence[Article]) -> datetime | None:
    dated = sorted(a.published for a in articles if a.published is not None)
    if not dated:
        return None
    base = dated[0]
    offsets = [(d - base).total_seconds() for d in dated]
    return base + timedelta(seconds=statistics.median(offsets))


def _age_hours(published: datetime | None, now: datetime) -> float | None:
    if published is None:
        return None
    if (published.tzinfo is None) != (now.tzinfo is None):
        published = published.replace(tzinfo=now.tzinfo)
    return max((now - published).total_seconds() / 3600.0, 0.0)


def velocity(articles: Sequence[Article], now: datetime, hours: float) -> tuple[int, float]:
    """(articles of the last `hours`, log2 of that count + 1 over the story's earlier rate per `hours` + 1)."""
    ages = [a for a in (_age_hours(x.published, now) for x in articles) if a is not None]
    recent = sum(age <= hours for age in ages)
    earlier = [age for age in ages if age > hours]
    span = max(max(earlier, default=hours) - hours, hours)
    rate = len(earlier) * hours / span
    return recent, max(math.log2((1 + recent) / (1 + rate)), 0.0)


def _story_language(members: Sequence[Article], language: str | None) -> str | None:
    langs = [(a.language or "").lower()[:2] for a in members if a.language]
    if language and language.lower()[:2] in langs:
        return language.lower()[:2]
    return max(sorted(set(langs)), key=langs.count) if langs else None


def key_entities(members: Sequence[Article], language: str | None) -> list[tuple[str, str, int]]:
    """Key people, places and organisations of a story, normalised ('M. Blinken' = 'Blinken'), as (name, label,
    mentions): those named by the most of its articles first, then the most mentioned. Wire agencies are left
    out (a credit, "(AFP)", not a subject)."""
    texts = [
        f"{a.title}. {a.lead}\n{a.text[:ENTITY_TEXT_CHARS]}"
        for a in members
        if (a.language or "")[:2] == language
    ]
    return merge_entities(
        [
            [e for e in found if e[1] in KEY_LABELS and not AGENCIES.fullmatch(e[0])]
            for found in entities_by_text(texts, language)
        ],
        language,
    )


def _entity_salience(members: Sequence[Article], language: str | None) -> float:
    found = key_entities(members, language)
    if not found:
        return 0.0
    top = found[0][0].lower()
    texts = [f"{a.title} {a.lead} {a.text[:ENTITY_TEXT_CHARS]}".lower() for a in members]
    return sum(top in t for t in texts) / len(members)


def prominence(members: Sequence[Article], positions: Mapping[str, int]) -> tuple[int, float]:
    """(outlets featuring the story in a top-stories feed, sum over them of 1 / (1 + best position)).

    `positions`: article id -> best position (0 = first) in a top-stories or homepage feed. An outlet counts
    once, with its best-placed article of the story.
    """
    best: dict[str, int] = {}
    for article in members:
        position = positions.get(article.id)
        if position is not None:
            key = article.outlet_key
            best[key] = min(position, best.get(key, position))
    return len(best), sum(1.0 / (1.0 + p) for p in best.values())


def _novelty(story: Story, members: Sequence[Article], previous: Edition) -> tuple[str, float]:
    """('new', 1) | ('continued', share of new articles) | ('unchanged', -1) against the previous edition."""
    ids = {a.id for a in members}
    seen: set[str] = set()
    for item in previous.stories:
        if item.story.id == story.id or ids & set(item.story.article_ids):
            seen |= set(item.story.article_ids)
    if not seen:
        return "new", 1.0
    fresh = len(ids - seen) / max(len(ids), 1)
    return ("continued", round(fresh, 6)) if fresh else ("unchanged", -1.0)


REASONS = {
    "fr": (
        "{n} média{s}",
        "{n} langues",
        "{n} pays",
        "{n} dans les {h} dernières heures",
        "nouveau depuis hier : {v}",
        "à la une de {n} média{s}",
    ),
    "en": (
        "{n} outlet{s}",
        "{n} languages",
        "{n} countries",
        "{n} in the last {h} hours",
        "new since yesterday: {v}",
        "top story at {n} outlet{s}",
    ),
}
YES_NO = {
    "fr": {"new": "oui", "continued": "suite", "unchanged": "non"},
    "en": {"new": "yes", "continued": "update", "unchanged": "no"},
}


def reason(lang: str, why: Mapping[str, Any], hours: float) -> str:
    """One line a person can read: '18 médias, 3 langues, 7 dans les 3 dernières heures, nouveau depuis hier : oui'."""
    table = REASONS.get(lang, REASONS["en"])
    n_out = why["outlets"]["value"]
    parts = [table[0].format(n=n_out, s="s" if n_out > 1 else "")]
    for index, key in ((1, "languages"), (2, "countries")):
        if why.get(key, {}).get("value", 0) > 1:
            parts.append(table[index].format(n=why[key]["value"]))
    if why.get("velocity", {}).get("value", 0):
        parts.append(table[3].format(n=why["velocity"]["value"], h=f"{hours:g}"))
    featured = why.get("prominence", {}).get("featured", 0)
    if featured:
        parts.append(table[5].format(n=featured, s="s" if featured > 1 else ""))
    if "novelty" in why:
        parts.append(table[4].format(v=YES_NO.get(lang, YES_NO["en"])[why["novelty"]["status"]]))
    return ", ".join(parts)


def score_story(
    members: Sequence[Article],
    *,
    now: datetime,
    weights: RankWeights,
    language: str | None = None,
    story: Story | None = None,
    previous: Edition | None = None,
    positions: Mapping[str, int] | None = None,
) -> tuple[float, dict[str, Any]]:
    """The score of a story's articles and its explanation (the contributions sum to the score)."""
    copies = duplicate_groups(members)
    voices = sorted(_voice_groups(members, copies))
    texts = distinct_texts(members, copies)
    langs = sorted({(a.language or "").lower()[:2] for a in members if a.language})
    countries = sorted({c for c in (country_of(a) for a in members) if c})
    age = _age_hours(_median_published(members), now)
    decay = 0.5 if age is None else 0.5 ** (age / weights.half_life_hours)
    authority = statistics.fmean(a.source_weight for a in members) if members else 0.0
    recent, speed = velocity(texts, now, weights.velocity_hours)
    raw: dict[str, tuple[Any, float]] = {
        "outlets": (len(voices), weights.outlets * math.log2(max(weighted_outlets(members, copies), 1.0))),
        "articles": (len(texts), weights.articles * math.log2(max(len(texts), 1))),
        "languages": (len(langs), weights.languages * max(len(langs) - 1, 0)),
        "countries": (len(countries), weights.countries * max(len(countries) - 1, 0)),
        "velocity": (recent, weights.velocity * speed),
        "recency": (round(decay, 6), weights.recency * decay),
        "authority": (round(authority, 6), weights.authority * authority),
    }
    if weights.entities:
        salience = _entity_salience(members, _story_language(members, language))
        raw["entities"] = (round(salience, 6), weights.entities * salience)
    why: dict[str, Any] = {name: {"value": v, "contribution": round(c, 6)} for name, (v, c) in raw.items()}
    if positions is not None:
        featured, value = prominence(members, positions)
        why["prominence"] = {
            "value": round(value, 6),
            "contribution": round(weights.prominence * math.log2(1.0 + value), 6),
            "featured": featured,
        }
    if previous is not None and story is not None:
        status, value = _novelty(story, members, previous)
        why["novelty"] = {"value": value, "contribution": round(weights.novelty * value, 6), "status": status}
    score = round(sum(item["contribution"] for item in why.values()), 6)
    why["age_hours"] = None if age is None else round(age, 2)
    for lang in ("fr", "en"):
        why[f"reason_{lang}"] = reason(lang, why, weights.velocity_hours)
    return score, why


def _topic_terms(members: Sequence[Article]) -> frozenset[str]:
    return content_words(" ".join(a.title for a in members[:5]))


def select_edition(
    scored: Sequence[Scored],
    *,
    weights: RankWeights,
    top: int | None,
    categories: Mapping[str, str] | None = None,
    quotas: Mapping[str, int] | None = None,
) -> list[Scored]:
    """The edition rules, applied in score order: near-identical topics once, quotas, single sources last."""
    ordered = sorted(scored, key=lambda item: (-item[0], item[1].id))
    kept: list[Scored] = []
    deferred: list[Scored] = []
    topics: list[frozenset[str]] = []
    per_category: dict[str, int] = {}
    for item in ordered:
        terms = _topic_terms(item[2])
        if any(lexical_overlap(terms, t) >= SAME_TOPIC and len(terms) >= 3 for t in topics):
            continue
        category = (categories or {}).get(item[1].id, "")
        if quotas and category in quotas and per_category.get(category, 0) >= quotas[category]:
            continue
        topics.append(terms)
        per_category[category] = per_category.get(category, 0) + 1
        single = item[3]["outlets"]["value"] <= 1
        authoritative = max((a.source_weight for a in item[2]), default=0.0) >= weights.authoritative
        (deferred if single and not authoritative else kept).append(item)
    chosen = kept + deferred
    return chosen if top is None else chosen[: max(top, 0)]


def rank_stories(
    stories: Sequence[Story],
    articles: Mapping[str, Article],
    *,
    now: datetime,
    weights: RankWeights = RankWeights(),  # noqa: B008 - frozen dataclass, safe as a default
    summarizer: Summarizer | None = None,
    top: int | None = None,
    language: str | None = None,
    max_words: int = DEFAULT_MAX_WORDS,
    previous: Edition | None = None,
    categories: Mapping[str, str] | None = None,
    quotas: Mapping[str, int] | None = None,
    ui_language: str | None = None,
    positions: Mapping[str, int] | None = None,
) -> list[RankedStory]:
    """The edition: stories by score with rank 1..N, reasons, outlets, languages, entities and a summary.

    `positions` (article id -> best position in a top-stories feed) enables prominence;
    `previous` (yesterday's edition) enables novelty; `categories` (story id -> category) and `quotas`
    (category -> most stories) limit a category; `why["reason"]` is in `ui_language` (default: `language`).
    """
    scored = []
    for story in stories:
        members = [articles[i] for i in story.article_ids if i in articles]
        score, why = score_story(
            members,
            now=now,
            weights=weights,
            language=language,
            story=story,
            previous=previous,
            positions=positions,
        )
        lang = (ui_language or language or "en").lower()[:2]
        why["reason"] = why.get(f"reason_{lang}", why["reason_en"])
        scored.append((score, story, members, why))
    chosen = select_edition(scored, weights=weights, top=top, categories=categories, quotas=quotas)
    summarizer = summarizer or ExtractiveSummarizer()
    out = [
        _ranked(rank, score, story, members, why, summarizer, language, max_words)
        for rank, (score, story, members, why) in enumerate(chosen, start=1)
    ]
    logger.info("ranked %d stories (kept %d)", len(stories), len(out))
    return out


def _ranked(
    rank: int,
    score: float,
    story: Story,
    members: Sequence[Article],
    why: dict[str, Any],
    summarizer: Summarizer,
    language: str | None,
    max_words: int,
) -> RankedStory:
    story_lang = _story_language(members, language)
    found = key_entities(members, story_lang) if members else []
    summary = (
        summarizer.summarize(story, members, language=language, max_words=max_words)
        if members
        else Summary(story.id, story.title, ())
    )
    return RankedStory(
        rank=rank,
        story=story,
        score=score,
        why=why,
        summary=summary,
        outlets=tuple(sorted({a.outlet_key for a in members})),
        languages=tuple(sorted({(a.language or "").lower()[:2] for a in members if a.language})),
        entities=tuple((text, label) for text, label, _ in found[:MAX_ENTITIES]),
    )
