"""The stages in order: sources -> fetch -> extract -> store -> stories -> rank -> summaries -> publish.

Getting news in (fetch, extract, store, import) is in `ingest.py`; this module builds and publishes editions.
The error policy: a bad source or page is logged, counted on the source and skipped; the run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .config import Config
from .errors import EssentielError
from .ingest import RefreshResult, fetch_due
from .models import Article, Edition, RankedStory
from .rank import RankWeights, rank_stories
from .store import Store
from .stories.cluster import cluster_articles

log = logging.getLogger(__name__)
Progress = Callable[[int], None]
# --- stories, ranking, summaries, edition -----------------------------------------------------------------


def rank_weights(config: Config) -> RankWeights:
    return RankWeights(**config.section("ranking"))


def digest(
    articles: Sequence[Article],
    *,
    now: datetime,
    top: int,
    weights: RankWeights | None = None,
    language: str | None = None,
    summary_words: int = 80,
) -> list[RankedStory]:
    """Cluster, rank and summarise a set of articles: the edition's content, with no store and no network."""
    stories = cluster_articles(articles)
    by_id = {a.id: a for a in articles}
    return rank_stories(
        stories,
        by_id,
        now=now,
        weights=weights or RankWeights(),
        top=top,
        language=language,
        max_words=summary_words,
    )


def edition_day(config: Config, now: datetime) -> date:
    return now.astimezone(ZoneInfo(config["general.timezone"])).date()


def build_edition(store: Store, config: Config, now: datetime | None = None) -> Edition:
    """Today's edition from the articles of the window, stored with its stories."""
    now = now or datetime.now(UTC)
    articles = store.recent_articles(now - timedelta(hours=float(config["edition.window_hours"])), now)
    if not articles:
        raise EssentielError(
            "no articles in the edition window: run `essentiel fetch` or `essentiel import` first"
        )
    stories = cluster_articles(articles)
    store.save_stories(stories, now)
    ranked = rank_stories(
        stories,
        {a.id: a for a in articles},
        now=now,
        weights=rank_weights(config),
        top=int(config["edition.size"]),
        language=config["general.languages"][0],
        max_words=int(config["edition.summary_words"]),
    )
    edition = Edition(
        day=edition_day(config, now),
        created_at=now,
        stories=tuple(ranked),
        language=config["general.languages"][0],
    )
    return replace(edition, id=store.save_edition(edition))


def publish(store: Store, config: Config) -> list[Path]:
    """Write the configured outputs of the latest edition: static site, Markdown."""
    from .publish.markdown import edition_markdown
    from .publish.site import write_site

    written: list[Path] = []
    ui = config["general.ui_language"]
    if config.site_dir is not None:
        written += write_site(store, config.site_dir, ui_language=ui)
    target = config["outputs.markdown"]
    edition = store.latest_edition()
    if target and edition is not None:
        ids = [i for item in edition.stories for i in item.story.article_ids]
        articles = {a.id: a for a in store.get_articles(ids)}
        path = (
            Path(target) if Path(target).is_absolute() or config.path is None else config.path.parent / target
        )
        path.write_text(edition_markdown(edition, articles, ui), encoding="utf-8")
        written.append(path)
    return written


def run_once(
    store: Store, config: Config, progress: Progress | None = None
) -> tuple[list[RefreshResult], Edition]:
    results = fetch_due(store, config, progress)
    edition = build_edition(store, config)
    publish(store, config)
    return results, edition
