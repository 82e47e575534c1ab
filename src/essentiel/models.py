"""Frozen dataclasses passed between the pipeline stages: Source -> Fetched -> Article -> Story -> Edition.

Models do no I/O. Each carries where it came from, so any result can be traced back to its source.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


def stable_id(*parts: str, prefix: str = "", length: int = 16) -> str:
    """A short deterministic id from strings (same input, same id, on every machine)."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:length]
    return f"{prefix}{digest}"


def outlet_of(url: str | None) -> str:
    """The outlet a URL belongs to ('' when there is no URL): its registrable domain ('rss.lemonde.fr' ->
    'lemonde.fr'), mapped to the outlet's main domain when the bundled media list knows it ('bbc.com' ->
    'bbc.co.uk'). See essentiel.sources.outlets."""
    # Imported here: essentiel.sources imports this module.
    from essentiel.sources.outlets import host_of, outlet_for_host

    host = host_of(url)
    return outlet_for_host(host).key if host else ""


@dataclass(frozen=True)
class Source:
    """A place news comes from: a feed, a sitemap, a homepage or one article URL."""

    url: str
    name: str = ""
    kind: str = "feed"  # feed | sitemap | page | article
    language: str | None = None
    country: str | None = None
    category: str | None = None
    weight: float = 1.0
    independent: bool = True  # False for wire services, whose copy is not independent coverage
    full_page: bool = True  # fetch each article page, or trust the feed's content
    id: int | None = None

    @property
    def outlet(self) -> str:
        return outlet_of(self.url)


@dataclass(frozen=True)
class Fetched:
    """One HTTP response as received: the raw bytes are kept so any article can be re-extracted later."""

    requested_url: str
    url: str  # the final URL after redirects
    status: int
    content: bytes
    fetched_at: datetime
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedItem:
    """One entry of an RSS, Atom or JSON Feed, or of a sitemap: every format is adapted to this."""

    url: str
    title: str = ""
    summary: str = ""
    content: str = ""  # full HTML content when the feed carries it
    published: datetime | None = None
    authors: tuple[str, ...] = ()
    language: str | None = None
    guid: str | None = None


@dataclass(frozen=True)
class Article:
    """A clean news article. `text` is the body only: no title, no lead, no boilerplate."""

    id: str
    url: str
    title: str
    text: str
    kicker: str = ""
    lead: str = ""
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    language: str | None = None
    site_name: str | None = None
    image: str | None = None
    source: str = ""  # the source's name or the input file it was read from
    outlet: str = ""  # the independent outlet (domain); one outlet with several feeds counts once
    source_weight: float = 1.0
    independent: bool = True
    category: str | None = None  # the source's category (Monde, France, Économie...), when it has one
    country: str | None = None  # the source's country, when known
    modified: datetime | None = None  # last modification declared by the page (JSON-LD dateModified...)
    section: str | None = None  # where the outlet files it (JSON-LD articleSection, article:section)
    tags: tuple[str, ...] = ()  # the outlet's tags / keywords
    canonical_url: str | None = None  # <link rel=canonical>, else og:url
    paywalled: bool = False  # the page marks the text as restricted: what we have may be a teaser

    @property
    def outlet_key(self) -> str:
        return self.outlet or outlet_of(self.url) or self.source or self.id

    def to_json(self) -> dict[str, Any]:
        """The `essentiel extract` file contract."""
        return {
            "source": self.source,
            "url": self.url,
            "title": self.title,
            "kicker": self.kicker,
            "lead": self.lead,
            "text": self.text,
            "authors": list(self.authors),
            "published": self.published.isoformat() if self.published else None,
            "language": self.language,
            "site_name": self.site_name,
            "image": self.image,
        }


@dataclass(frozen=True)
class Story:
    """Articles that tell one story. `id` is stable: derived from the story's first article."""

    id: str
    article_ids: tuple[str, ...]
    title: str = ""


@dataclass(frozen=True)
class SummarySentence:
    """One sentence of an essentiel, and the article it was taken from."""

    text: str
    article: str


@dataclass(frozen=True)
class Summary:
    story_id: str
    title: str
    sentences: tuple[SummarySentence, ...]

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.story_id,
            "title": self.title,
            "summary": self.text,
            "sentences": [{"text": s.text, "article": s.article} for s in self.sentences],
        }


@dataclass(frozen=True)
class RankedStory:
    """A story in an edition: its rank, score, the reasons for it, and its essentiel."""

    rank: int
    story: Story
    score: float
    why: Mapping[str, Any]
    summary: Summary
    outlets: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    entities: tuple[tuple[str, str], ...] = ()  # (text, label) of key people, places, organisations
    category: str | None = None  # Monde, France, Économie, Sport... (topics.py)
    dossier: str | None = None  # the running dossier it belongs to, from its kickers ("Guerre en Ukraine")

    @property
    def independent_outlets(self) -> int:
        """Outlets that reported it themselves (the ranker's count: an outlet that only ran another's copy is
        not one); all its outlets when the explanation does not say."""
        value = self.why.get("outlets") if self.why else None
        if isinstance(value, Mapping):
            value = value.get("value")
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= len(self.outlets):
            return value
        return len(self.outlets)


@dataclass(frozen=True)
class Edition:
    """The day's ranked stories: 'Les nouvelles les plus importantes de la journée'."""

    day: date
    created_at: datetime
    stories: tuple[RankedStory, ...]
    language: str = "fr"
    id: int | None = None
