"""SQL for prominence: the position of each item in the feeds that list it (0 = first).

`record_feed_positions` is called for every feed check (ingest.py); `top_story_positions` gives, for
articles, their best position in a top-stories or homepage feed, which ranking turns into the `prominence`
component (rank.py, docs/ranking.md). Functions over the `Database`, like the rest of `store/`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from .db import AnyDatabase, to_db_time, utcnow

# A feed URL that names a front page: "/une.xml", "alaune", "a-la-une", "top-stories", "headlines", "homepage"...
_TOP_STORIES = re.compile(
    r"(?:^|[/_.\-=])(?:une|alaune|a-la-une|a_la_une|top[-_]?stories|top[-_]?news|headlines|homepage|home"
    r"|frontpage|front-page|accueil|titulares|portada|schlagzeilen|startseite|primo-piano)(?:$|[/_.\-?&=])",
    re.IGNORECASE,
)


def is_top_stories(url: str, kind: str) -> bool:
    """A homepage source (its discovered feed is the homepage's) or a feed whose URL names a front page."""
    if kind == "page":
        return True
    parts = urlsplit(url)
    return bool(_TOP_STORIES.search(f"{parts.path}?{parts.query}"))


def record_feed_positions(
    db: AnyDatabase, source_id: int, urls: Sequence[str], seen_at: datetime | None = None
) -> int:
    """Store where each URL stands in this check of the feed (its first occurrence); the best position is kept."""
    when = to_db_time(seen_at or utcnow())
    first: dict[str, int] = {}
    for position, url in enumerate(urls):
        if url:
            first.setdefault(url, position)
    if not first:
        return 0
    with db.transaction() as conn:
        conn.executemany(
            "INSERT INTO feed_positions (source_id, url, best_position, last_position, first_seen_at,"
            " last_seen_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(source_id, url) DO UPDATE SET"
            f" best_position = {db.dialect.least('feed_positions.best_position', 'excluded.best_position')},"
            " last_position = excluded.last_position, last_seen_at = excluded.last_seen_at",
            [(source_id, url, pos, pos, when, when) for url, pos in first.items()],
        )
    return len(first)


def top_story_positions(db: AnyDatabase, article_ids: Sequence[str]) -> dict[str, int]:
    """Article id -> its best position in any top-stories or homepage feed (articles never listed: absent).

    An article is found by its URL (or canonical URL), or through the feed entry that led to it.
    """
    if not article_ids:
        return {}
    ids = list(dict.fromkeys(article_ids))
    rows = db.query_in(
        "SELECT a.id AS article, p.best_position AS position, s.url AS source_url, s.kind AS kind"
        " FROM articles a JOIN feed_positions p ON p.url IN (a.url, a.canonical_url)"
        " JOIN sources s ON s.id = p.source_id WHERE a.id IN ({marks})",
        ids,
    )
    rows += db.query_in(
        "SELECT e.article_id AS article, p.best_position AS position, s.url AS source_url, s.kind AS kind"
        " FROM feed_entries e JOIN feed_positions p ON p.source_id = e.source_id AND p.url = e.url"
        " JOIN sources s ON s.id = p.source_id WHERE e.article_id IN ({marks})",
        ids,
    )
    best: dict[str, int] = {}
    for row in rows:
        if is_top_stories(row["source_url"], row["kind"]):
            article, position = row["article"], int(row["position"])
            best[article] = min(position, best.get(article, position))
    return best
