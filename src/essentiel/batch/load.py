"""Loading the batch's Parquet parts into the store, so stories and editions are built as usual.

Parts are read in order (file, then range: the archive's order) in batches of rows, so memory stays bounded.
An article whose URL is already stored, or came earlier in the load, is skipped: the first capture wins, as in
`essentiel import`. Each batch of new articles is then placed into the stories (stories/incremental.py) with
the embeddings computed by the batch, not computed again; `essentiel digest` / `run` then rank them as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from ..config import Config
from ..errors import EssentielError, InputError
from ..models import Article, Edition
from ..pipeline import STORY_WINDOW_HOURS, build_edition
from ..store import Store
from ..stories.embed import Embedder, default_embedder
from ..stories.incremental import update_stories
from ..stories.text import embedding_text
from .warc import expand_inputs

log = logging.getLogger(__name__)
LOAD_ROWS = 5000  # rows per insert and clustering call: each call reloads the stories of the window


class PrecomputedEmbedder:
    """The batch's vectors, looked up by the embedded text; a text it does not have is encoded as usual."""

    def __init__(self, vectors: dict[str, np.ndarray], fallback: Callable[[], Embedder] = default_embedder):
        self.vectors = vectors
        self.fallback = fallback
        self.computed = 0  # texts that had no precomputed vector

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.vectors]
        if missing:
            self.computed += len(missing)
            self.vectors.update(zip(missing, self.fallback().encode(missing), strict=True))
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.vstack([self.vectors[t] for t in texts]).astype(np.float32)


@dataclass
class LoadReport:
    files: list[str]
    rows: int = 0
    articles: int = 0
    duplicates: int = 0
    stories: int = 0  # stories the loaded articles belong to
    embedded_again: int = 0  # articles whose vector had to be computed at load (should be 0)
    days: list[str] = field(default_factory=list)  # publication (else capture) days of the rows, in UTC


def article_from_row(row: dict[str, Any]) -> Article:
    return Article(
        id=row["id"],
        url=row["url"] or "",
        title=row["title"] or "",
        text=row["text"] or "",
        kicker=row["kicker"] or "",
        lead=row["lead"] or "",
        authors=tuple(row["authors"] or ()),
        published=row["published"],
        language=row["language"],
        site_name=row["site_name"],
        image=row["image"],
        source=row["source"] or "",
        outlet=row["outlet"] or "",
    )


def parquet_batches(files: Sequence[str], rows: int = LOAD_ROWS) -> Iterator[list[dict[str, Any]]]:
    """Rows of the parts, `rows` at a time, in file order."""
    import fsspec
    import pyarrow.parquet as pq
    from pyarrow import ArrowException

    from .process import schema

    expected = set(schema().names)
    for name in files:
        try:
            with fsspec.open(name, "rb") as stream:
                parquet = pq.ParquetFile(stream)
                missing = expected - set(parquet.schema_arrow.names)
                if missing:
                    raise InputError(f"{name}: not a batch output (no column {', '.join(sorted(missing))})")
                for batch in parquet.iter_batches(batch_size=rows):
                    yield batch.to_pylist()
        except (ArrowException, OSError) as exc:
            raise InputError(
                f"{name}: not a readable Parquet file ({str(exc).splitlines()[0][:120]})"
            ) from None


def load_parquet(
    store: Store,
    inputs: Sequence[str],
    *,
    cluster: bool = True,
    rows: int = LOAD_ROWS,
    progress: Callable[[int], None] | None = None,
) -> LoadReport:
    """Insert the articles of Parquet parts (files, folders of parts, globs) and place them into stories."""
    files = expand_inputs(inputs, suffixes=(".parquet",))
    report = LoadReport(files)
    seen: set[str] = set()
    days: set[str] = set()
    stories: set[str] = set()
    for batch in parquet_batches(files, rows):
        report.rows += len(batch)
        fresh = [r for r in batch if (r["url"] or r["id"]) not in seen]
        seen.update(r["url"] or r["id"] for r in batch)
        known = store.known_urls([r["url"] for r in fresh if r["url"]])
        fresh = [r for r in fresh if r["url"] not in known]
        report.duplicates += len(batch) - len(fresh)
        new = [(article_from_row(r), r["fetched_at"]) for r in fresh]
        by_capture = sorted(new, key=lambda item: item[1])
        for when, group in groupby(by_capture, key=lambda item: item[1]):
            report.articles += store.save_articles([a for a, _ in group], fetched_at=when)
        days.update((r["published"] or r["fetched_at"]).date().isoformat() for r in batch)
        if cluster and new:
            embedder = PrecomputedEmbedder(
                {
                    embedding_text(a): np.asarray(r["embedding"], dtype=np.float32)
                    for (a, _), r in zip(new, fresh, strict=True)
                }
            )
            update_stories(
                store,
                [a for a, _ in new],
                now=max(when for _, when in new),
                window_hours=STORY_WINDOW_HOURS,
                embedder=embedder,
            )
            stories.update(s.id for s in store.stories_of([a.id for a, _ in new]))
            report.embedded_again += embedder.computed
        if progress:
            progress(len(batch))
    report.days, report.stories = sorted(days), len(stories)
    return report


def build_day_editions(store: Store, config: Config, days: Sequence[str]) -> list[Edition]:
    """One edition per day, oldest first, as `essentiel run` builds it at the end of that day (time zone of
    the configuration; today's at the current time). Stories are already built by the load."""
    zone = ZoneInfo(config["general.timezone"])
    now = datetime.now(UTC)
    editions = []
    for day in sorted(days):
        end = datetime.combine(date.fromisoformat(day), time(23, 59, 59), zone).astimezone(UTC)
        try:
            editions.append(build_edition(store, config, min(end, now)))
        except EssentielError as exc:  # a day with no article in its window (dates far in the future)
            log.info("no edition for %s: %s", day, exc)
    return editions
