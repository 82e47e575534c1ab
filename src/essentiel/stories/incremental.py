"""Stories that last across days: new articles join the stored stories of the window, nothing is re-clustered.

    touched = update_stories(store, new_articles, now=now, window_hours=72)

Each new article's signals (embedding, hashed words and names) are computed once and stored in
`article_vectors`; the document frequencies live in `story_lexicon`. Only the stories whose latest article is
within `window_hours` of the new ones are loaded (from the stored signals, not re-embedded); the new articles are
placed in publication order with the same online algorithm as `cluster_articles`; the stories that changed are
written back (story ids never change; a story merged into an older one disappears). An article that comes again
(same id, or same URL with a new id) replaces its earlier version in its story.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from essentiel.models import Article, Story
from essentiel.store.stories import StoryRecord
from essentiel.stories.cluster import copies_map, run_online, to_story
from essentiel.stories.embed import Embedder, default_embedder
from essentiel.stories.online import OnlineClusterer, Params, StoryState
from essentiel.stories.signals import Lexicon, Signals, compute_signals
from essentiel.stories.text import FEATURES

if TYPE_CHECKING:
    from essentiel.store import Store

logger = logging.getLogger(__name__)


def _pack(counts: dict[int, int] | Sequence[tuple[int, int]]) -> bytes:
    items = list(counts.items()) if isinstance(counts, dict) else list(counts)
    return np.asarray(items, dtype=np.int32).reshape(-1, 2).tobytes()


def _unpack(blob: bytes) -> dict[int, int]:
    pairs = np.frombuffer(blob, dtype=np.int32).reshape(-1, 2)
    return dict(zip(pairs[:, 0].tolist(), pairs[:, 1].tolist(), strict=True))


def to_row(s: Signals) -> dict[str, object]:
    return {
        "article_id": s.article_id,
        "vector": np.asarray(s.vector, dtype=np.float32).tobytes(),
        "words": _pack(dict(s.words)),
        "names": _pack(dict(s.names)),
        "language": s.language,
        "published": s.timestamp,
        "url": s.url,
        "outlet": s.outlet,
        "title": s.title,
    }


def from_row(row: dict[str, Any]) -> Signals:
    published = row["published"]
    return Signals(
        article_id=str(row["article_id"]),
        vector=np.frombuffer(bytes(row["vector"]), dtype=np.float32),
        words=_unpack(bytes(row["words"])),
        names=_unpack(bytes(row["names"])),
        language=str(row["language"]),
        timestamp=float(published) if published is not None else None,
        url=str(row["url"]),
        outlet=str(row["outlet"]),
        title=str(row["title"]),
    )


def _lexicon(store: Store) -> Lexicon:
    stored = store.load_lexicon()
    if stored is None:
        return Lexicon()
    docs, blob = stored
    df = np.frombuffer(blob, dtype=np.int32).copy()
    return Lexicon(docs=docs, df=df) if df.size == FEATURES else Lexicon()


def _record(clusterer: OnlineClusterer, state: StoryState) -> StoryRecord:
    members = state.members.values()
    return StoryRecord(
        story=to_story(clusterer, state),
        seq=state.seq,
        first_published=state.first,
        last_published=state.last,
        languages=tuple(sorted({m.language for m in members if m.language})),
        outlets=tuple(sorted({m.outlet for m in members if m.outlet})),
    )


def update_stories(
    store: Store,
    new_articles: Sequence[Article],
    *,
    now: datetime,
    window_hours: float = 72.0,
    embedder: Embedder | None = None,
    params: Params | None = None,
) -> list[Story]:
    """Place `new_articles` (already saved in `store`) into the stored stories; returns the stories touched."""
    unique = {a.id: a for a in new_articles}
    items = [unique[k] for k in sorted(unique)]
    if not items:
        return []
    params = params or Params(window_hours=window_hours)
    signals = compute_signals(items, embedder or default_embedder())
    lexicon = _lexicon(store)
    for old in store.load_signals([s.article_id for s in signals]):
        lexicon.add(from_row(old), -1)  # an updated article replaces its earlier version
    for s in signals:
        lexicon.add(s)
    store.save_signals([to_row(s) for s in signals])
    stamps = [s.timestamp for s in signals if s.timestamp is not None] + [now.timestamp()]
    records = store.active_stories(min(stamps) - params.window_hours * 3600.0)
    member_ids = [a for r in records for a in r.story.article_ids]
    stored = {s.article_id: s for s in map(from_row, store.load_signals(member_ids))}
    clusterer = OnlineClusterer(lexicon, params, taken=store.has_story)
    clusterer.restore_seq(store.next_story_seq())
    before: dict[str, frozenset[str]] = {}
    for rec in records:
        members = [stored[a] for a in rec.story.article_ids if a in stored]
        if members:
            clusterer.restore(rec.story.id, rec.seq, members)
            before[rec.story.id] = frozenset(s.article_id for s in members)
    run_online(signals, copies_map(items), clusterer)
    after = {sid: frozenset(st.members) for sid, st in clusterer.stories.items()}
    touched = [clusterer.stories[sid] for sid in sorted(after) if before.get(sid) != after[sid]]
    gone = sorted(set(before) - set(after))
    out = [_record(clusterer, st) for st in touched]
    store.save_story_changes(out, gone, (lexicon.docs, lexicon.df.tobytes()), now)
    logger.info(
        "stories: %d new articles, %d stories touched, %d merged away", len(items), len(out), len(gone)
    )
    return sorted((r.story for r in out), key=lambda s: (-len(s.article_ids), s.id))


def edition_stories(store: Store, since: datetime, until: datetime) -> list[Story]:
    """The stored stories with an article published in [since, until], largest first (then by id)."""
    records = store.stories_between(since, until)
    return sorted((r.story for r in records), key=lambda s: (-len(s.article_ids), s.id))
