"""Replay the bundled demo corpus as two consecutive editions, and show what the ranking does with them.

Day 1 sees the older half of the articles (by publication time); day 2 sees them all and is ranked with
day 1's edition as `previous`, so stories with nothing new sink and new ones are marked "nouveau". Prints
both editions (rank, score, title, reason in French, dossier and category) and the time of ranking (without
summaries), of summarising and of clustering, as ratios of the clustering time of the same run.

    .venv/bin/python bench/replay_day.py [--top 10] [--ui en]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from essentiel.demo import demo_articles
from essentiel.models import Article, Edition, RankedStory, Story, Summary
from essentiel.rank import rank_stories
from essentiel.stories.cluster import cluster_articles
from essentiel.topics import story_topic


class NoSummary:
    def summarize(
        self, story: Story, articles: Sequence[Article], *, language: str | None = None, max_words: int = 60
    ) -> Summary:
        return Summary(story.id, story.title, ())


def show(title: str, ranked: Sequence[RankedStory], articles: dict[str, Article], ui: str) -> None:
    print(f"\n== {title} ==")
    for item in ranked:
        members = [articles[i] for i in item.story.article_ids if i in articles]
        topic = story_topic(members)
        print(f"{item.rank:>2}. {item.score:6.2f}  {item.summary.title or item.story.title}")
        print(f"      {item.why['reason_' + ui]}  [{topic.category_label(ui)}; {topic.dossier or '-'}]")
        if item.summary.sentences:
            print(f"      {item.summary.sentences[0].text}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--ui", choices=["fr", "en"], default="fr")
    args = parser.parse_args()
    now = datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
    everything = demo_articles(now)
    dated = sorted(a.published for a in everything if a.published)
    cut = dated[len(dated) // 2]
    day1 = [a for a in everything if a.published is not None and a.published <= cut]
    by_id = {a.id: a for a in everything}

    stories1 = cluster_articles(day1)
    edition1 = rank_stories(stories1, by_id, now=cut + timedelta(hours=1), top=args.top, language="fr")
    previous = Edition(day=cut.date(), created_at=cut, stories=tuple(edition1))

    start = time.perf_counter()
    stories2 = cluster_articles(everything)
    clustering = time.perf_counter() - start
    start = time.perf_counter()
    rank_stories(
        stories2, by_id, now=now, top=args.top, language="fr", previous=previous, summarizer=NoSummary()
    )
    ranking = time.perf_counter() - start
    start = time.perf_counter()
    edition2 = rank_stories(
        stories2, by_id, now=now, top=args.top, language="fr", previous=previous, ui_language=args.ui
    )
    summarising = time.perf_counter() - start - ranking

    show(f"day 1: {len(day1)} articles, {len(stories1)} stories", edition1, by_id, args.ui)
    show(f"day 2: {len(everything)} articles, {len(stories2)} stories", edition2, by_id, args.ui)
    print(
        f"\nclustering 1.00 (baseline), ranking without summaries {ranking / clustering:.2f}, "
        f"summaries of the top {args.top} {max(summarising, 0.0) / clustering:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
