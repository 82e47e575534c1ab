"""Rank stories by an explainable score: a weighted sum of components, each reported in `why`.

score = outlets   * log2(independent outlets)      wire copy and copies of one text count once
      + articles  * log2(articles)
      + languages * (distinct languages - 1)
      + recency   * 0.5 ** (age of the median publication / half-life)   (0.5 when no article is dated)
      + authority * mean source weight
      + entities  * salience of the story's top named entity (share of articles naming it; off by default)

A story of one article scores 0 on the first three components, so it ranks below any story covered by
several independent outlets unless those are days old.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from essentiel.models import Article, RankedStory, Story, Summary
from essentiel.nlp import entities as find_entities
from essentiel.stories.dedupe import duplicate_groups
from essentiel.summarize.base import Summarizer
from essentiel.summarize.extractive import ExtractiveSummarizer

logger = logging.getLogger(__name__)

KEY_LABELS = frozenset({"PERSON", "PER", "LOC", "GPE", "ORG"})
MAX_ENTITIES = 8
ENTITY_TEXT_CHARS = 1500
WIRE = "<wire>"


@dataclass(frozen=True)
class RankWeights:
    outlets: float = 3.0  # per doubling of independent outlets
    articles: float = 1.0  # per doubling of articles
    languages: float = 0.5  # per language beyond the first
    recency: float = 1.5  # times the decay factor (1 = just published, 0.5 = one half-life ago)
    authority: float = 0.5  # times the mean source weight (1.0 for an ordinary source)
    entities: float = 0.0  # times the share of articles naming the top entity (needs spaCy for every story)
    half_life_hours: float = 12.0


def independent_outlets(articles: Sequence[Article]) -> list[str]:
    """Distinct voices: an outlet counts once, wire services count once together, copies of one text once."""
    keys = [a.outlet_key if a.independent else WIRE for a in articles]
    voices: dict[int, str] = {}
    for group in duplicate_groups(articles):
        names = sorted({keys[i] for i in group})
        representative = WIRE if WIRE in names else names[0]
        for i in group:
            voices[i] = representative
    return sorted(set(voices.values()))


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


def _story_language(members: Sequence[Article], language: str | None) -> str | None:
    langs = [(a.language or "").lower()[:2] for a in members if a.language]
    if language and language.lower()[:2] in langs:
        return language.lower()[:2]
    return max(sorted(set(langs)), key=langs.count) if langs else None


def key_entities(members: Sequence[Article], language: str | None) -> list[tuple[str, str, int]]:
    """Key people, places and organisations of a story, most mentioned first."""
    texts = [
        f"{a.title}. {a.lead}\n{a.text[:ENTITY_TEXT_CHARS]}"
        for a in members
        if (a.language or "")[:2] == language
    ]
    return [e for e in find_entities(texts, language) if e[1] in KEY_LABELS]


def _entity_salience(members: Sequence[Article], language: str | None) -> float:
    found = key_entities(members, language)
    if not found:
        return 0.0
    top = found[0][0].lower()
    texts = [f"{a.title} {a.lead} {a.text[:ENTITY_TEXT_CHARS]}".lower() for a in members]
    return sum(top in t for t in texts) / len(members)


def _reason(n_outlets: int, langs: Sequence[str], age: float | None) -> str:
    parts = [f"covered by {n_outlets} independent outlet{'s' if n_outlets != 1 else ''}"]
    if len(langs) > 1:
        parts.append(f"in {len(langs)} languages")
    if age is not None:
        parts.append(f"last {age:.0f} h" if age < 48 else f"last {age / 24:.0f} days")
    return ", ".join(parts)


def score_story(
    members: Sequence[Article], *, now: datetime, weights: RankWeights, language: str | None = None
) -> tuple[float, dict[str, Any]]:
    """The score of a story's articles and its explanation (components sum to the score)."""
    voices = independent_outlets(members)
    langs = sorted({(a.language or "").lower()[:2] for a in members if a.language})
    age = _age_hours(_median_published(members), now)
    decay = 0.5 if age is None else 0.5 ** (age / weights.half_life_hours)
    authority = statistics.fmean(a.source_weight for a in members) if members else 0.0
    raw: dict[str, tuple[float, float]] = {
        "outlets": (len(voices), weights.outlets * math.log2(max(len(voices), 1))),
        "articles": (len(members), weights.articles * math.log2(max(len(members), 1))),
        "languages": (len(langs), weights.languages * max(len(langs) - 1, 0)),
        "recency": (round(decay, 6), weights.recency * decay),
        "authority": (round(authority, 6), weights.authority * authority),
    }
    if weights.entities:
        salience = _entity_salience(members, _story_language(members, language))
        raw["entities"] = (round(salience, 6), weights.entities * salience)
    why: dict[str, Any] = {name: {"value": v, "contribution": round(c, 6)} for name, (v, c) in raw.items()}
    score = round(sum(item["contribution"] for item in why.values()), 6)
    why["age_hours"] = None if age is None else round(age, 2)
    why["reason"] = _reason(len(voices), langs, age)
    return score, why


def rank_stories(
    stories: Sequence[Story],
    articles: Mapping[str, Article],
    *,
    now: datetime,
    weights: RankWeights = RankWeights(),  # noqa: B008 - frozen dataclass, safe as a default
    summarizer: Summarizer | None = None,
    top: int | None = None,
    language: str | None = None,
    max_words: int = 80,
) -> list[RankedStory]:
    """Stories by score (desc, then id), with rank 1..N, reasons, outlets, languages, entities and a summary."""
    scored = []
    for story in stories:
        members = [articles[i] for i in story.article_ids if i in articles]
        score, why = score_story(members, now=now, weights=weights, language=language)
        scored.append((score, story, members, why))
    scored.sort(key=lambda item: (-item[0], item[1].id))
    if top is not None:
        scored = scored[: max(top, 0)]
    summarizer = summarizer or ExtractiveSummarizer()
    out = []
    for rank, (score, story, members, why) in enumerate(scored, start=1):
        out.append(_ranked(rank, score, story, members, why, summarizer, language, max_words))
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
