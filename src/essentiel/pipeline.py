"""The stages in order: sources -> fetch -> extract -> store -> stories -> rank -> summaries -> publish.

Getting news in (fetch, extract, store, import) is in `ingest.py`; this module builds and publishes editions.
The error policy: a bad source or page is logged, counted on the source and skipped; the run goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .config import Config
from .errors import EssentielError
from .ingest import RefreshResult, fetch_due
from .models import Article, Edition, RankedStory, Story
from .rank import RankWeights, rank_stories
from .store import Store
from .store.prominence import top_story_positions
from .stories.cluster import cluster_articles
from .stories.incremental import update_stories
from .summarize.llm import summarizer_from_settings
from .topics import Topic, story_topic

log = logging.getLogger(__name__)
STORY_WINDOW_HOURS = 72.0  # a story takes new articles for three days after its last one
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
    summary_words: int = 60,
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
    """Today's edition from the articles of the window, stored with its stories.

    Yesterday's edition (the latest one of an earlier day) makes stories without new articles sink;
    each story gets its category and dossier (topics.py).
    """
    now = now or datetime.now(UTC)
    since = now - timedelta(hours=float(config["edition.window_hours"]))
    # Incremental: only articles not placed yet are embedded and joined to the stored stories.
    with store.timed("stories"):
        update_stories(
            store, store.unclustered_articles(since, now), now=now, window_hours=STORY_WINDOW_HOURS
        )
    window = store.recent_articles(since, now)  # published or fetched in the window
    stories = store.stories_of([a.id for a in window])
    if not stories:
        raise EssentielError(
            "no articles in the edition window: run `essentiel fetch` or `essentiel import` first"
        )
    day = edition_day(config, now)
    latest = store.latest_edition()
    by_id = {a.id: a for a in store.get_articles([i for s in stories for i in s.article_ids])}
    categories = {s.source.name: s.source.category for s in store.list_sources() if s.source.category}
    topics = story_topics(stories, by_id, categories)
    with store.timed("rank"):  # ranking with the summaries of the ranked stories
        ranked = rank_stories(
            stories,
            by_id,
            now=now,
            weights=rank_weights(config),
            top=int(config["edition.size"]),
            language=config["general.languages"][0],
            max_words=int(config["edition.summary_words"]),
            previous=latest if latest is not None and latest.day < day else None,
            positions=top_story_positions(store.db, list(by_id)),
            categories={sid: t.category for sid, t in topics.items() if t.category},
            ui_language=config["general.ui_language"],
            summarizer=summarizer_from_settings(
                config["summary.llm_url"], config["summary.llm_model"], float(config["summary.llm_timeout"])
            ),
        )
    ranked = [
        replace(r, category=topics[r.story.id].category, dossier=topics[r.story.id].dossier) for r in ranked
    ]
    edition = Edition(day=day, created_at=now, stories=tuple(ranked), language=config["general.languages"][0])
    return replace(edition, id=store.save_edition(edition))


def story_topics(
    stories: Sequence[Story], articles: Mapping[str, Article], source_categories: Mapping[str, str]
) -> dict[str, Topic]:
    """Each story's category (from its sources' categories and its text) and dossier (from its kickers)."""
    return {
        story.id: story_topic(
            [articles[i] for i in story.article_ids if i in articles], source_categories=source_categories
        )
        for story in stories
    }


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
    results = fetch_due(store, config, progress, embed_ahead=True)
    edition = build_edition(store, config)
    with store.timed("publish"):
        publish(store, config)
    return results, edition
