"""Replay a day of news through the ranking, and compare its top stories with a reference.

**Two-day replay** (always): the bundled demo corpus as two consecutive editions. Day 1 sees the older half
of the articles (by publication time); day 2 sees them all and is ranked with day 1's edition as `previous`,
so stories with nothing new sink and new ones are marked "nouveau". Prints both editions (rank, score, title,
reason, dossier and category) and the time of ranking (without summaries), of summarising and of clustering,
as ratios of the clustering time of the same run.

**Headline stream against a reference** (`--data DIR`): a day's stream built from the ECB+ documents of the
chosen topics (dev = topics 1-20, test = 21-35, held out: nothing in the ranking was tuned on either). Every
document is an article; its outlet is the registrable domain of its `source_url` when the corpus gives one, else the
document itself (an outlet of its own: the `ecb` half has no addresses). The stream goes through our
clustering and ranking (`cluster_articles`, `rank_stories`) as a day's articles would; ECB+ has no
publication dates, so recency and velocity are the same for every story and the order comes from outlets,
articles and countries.

The **reference** ("featured" stories): no aggregator's front page is available offline, so the reference is
what an aggregator such as Google News features first, stories covered by the most outlets: the gold ECB+
events ordered by distinct outlets (then documents, then id); the first `--top` are "featured". This is
close to our own outlets component, so the comparison checks that clustering (splits and merges), copy
folding and the edition rules keep the widely covered stories on top; it cannot judge editorial choices.
Each of our stories stands for the gold event of most of its articles; an event is credited once (a second
story of the same event scores nothing). Printed: our top stories (with the share of
the story's articles that belong to its event: under 100 % is a merge) beside the reference, precision@k (share
of our top k that are featured events) and nDCG@k (gain = the event's outlet count), for our ranking, for the
gold stories ranked by our score (ranking without clustering errors), for our clusters by size, and for a
random order of our clusters (mean of 200 shuffles, seed 0).

    .venv/bin/python bench/replay_day.py [--top 10] [--ui en]
    .venv/bin/python bench/replay_day.py --data ../shared/data --split test [--top 10] [--no-demo]
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from essentiel.demo import demo_articles
from essentiel.evaluation.clustering import ECB, SPLITS, load_ecb
from essentiel.models import Article, Edition, RankedStory, Story, Summary
from essentiel.rank import rank_stories
from essentiel.stories.cluster import cluster_articles
from essentiel.topics import story_topic

SHUFFLES = 200


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


def demo_replay(top: int, ui: str) -> None:
    now = datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
    everything = demo_articles(now)
    dated = sorted(a.published for a in everything if a.published)
    cut = dated[len(dated) // 2]
    day1 = [a for a in everything if a.published is not None and a.published <= cut]
    by_id = {a.id: a for a in everything}

    stories1 = cluster_articles(day1)
    edition1 = rank_stories(stories1, by_id, now=cut + timedelta(hours=1), top=top, language="fr")
    previous = Edition(day=cut.date(), created_at=cut, stories=tuple(edition1))

    start = time.perf_counter()
    stories2 = cluster_articles(everything)
    clustering = time.perf_counter() - start
    start = time.perf_counter()
    rank_stories(stories2, by_id, now=now, top=top, language="fr", previous=previous, summarizer=NoSummary())
    ranking = time.perf_counter() - start
    start = time.perf_counter()
    edition2 = rank_stories(
        stories2, by_id, now=now, top=top, language="fr", previous=previous, ui_language=ui
    )
    summarising = time.perf_counter() - start - ranking

    show(f"day 1: {len(day1)} articles, {len(stories1)} stories", edition1, by_id, ui)
    show(f"day 2: {len(everything)} articles, {len(stories2)} stories", edition2, by_id, ui)
    print(
        f"\nclustering 1.00 (baseline), ranking without summaries {ranking / clustering:.2f}, "
        f"summaries of the top {top} {max(summarising, 0.0) / clustering:.2f}"
    )


def headline_stream(data: Path, split: str) -> tuple[list[Article], dict[str, str]]:
    """The articles of a day built from the ECB+ topics of `split`, and each article's gold event."""
    path = data / ECB
    urls: dict[str, str] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            urls[doc["doc_id"]] = doc.get("source_url") or ""
    articles, gold = [], {}
    for article, event, topic in load_ecb(path):
        if topic in SPLITS[split]:
            url = urls.get(article.id, "")
            articles.append(replace(article, url=url))  # outlet: the URL's, else the document's own id
            gold[article.id] = event
    return articles, gold


def reference(articles: Sequence[Article], gold: Mapping[str, str]) -> dict[str, tuple[int, int]]:
    """Gold event -> (distinct outlets, documents)."""
    outlets: dict[str, set[str]] = {}
    docs: Counter[str] = Counter()
    for article in articles:
        outlets.setdefault(gold[article.id], set()).add(article.outlet_key)
        docs[gold[article.id]] += 1
    return {event: (len(outlets[event]), docs[event]) for event in outlets}


def story_event(story: Story, gold: Mapping[str, str]) -> str:
    """The gold event of most of the story's articles (ties: the smallest event id)."""
    votes = Counter(gold[i] for i in story.article_ids if i in gold)
    return min(votes, key=lambda e: (-votes[e], e))


def judge(events: Sequence[str], ref: Mapping[str, tuple[int, int]], k: int) -> tuple[float, float]:
    """(precision@k, nDCG@k) of a ranked list of gold events against the reference; each event counts once."""
    ordered = sorted(ref, key=lambda e: (-ref[e][0], -ref[e][1], e))
    featured = set(ordered[:k])
    seen: set[str] = set()
    hits = 0
    dcg = 0.0
    for rank, event in enumerate(events[:k], start=1):
        if event in seen:
            continue
        seen.add(event)
        hits += event in featured
        dcg += ref[event][0] / math.log2(rank + 1)
    ideal = sum(ref[e][0] / math.log2(r + 1) for r, e in enumerate(ordered[:k], start=1))
    return hits / k, dcg / ideal if ideal else 0.0


def stream_comparison(data: Path, split: str, top: int) -> None:
    articles, gold = headline_stream(data, split)
    by_id = {a.id: a for a in articles}
    ref = reference(articles, gold)
    featured = sorted(ref, key=lambda e: (-ref[e][0], -ref[e][1], e))
    now = datetime(2026, 1, 15, 7, 0, tzinfo=UTC)
    stories = cluster_articles(articles)
    ranked = rank_stories(stories, by_id, now=now, top=top, language="en", summarizer=NoSummary())
    gold_stories = [
        Story(f"gold-{e}", tuple(sorted(i for i, g in gold.items() if g == e)), e) for e in sorted(ref)
    ]
    on_gold = rank_stories(gold_stories, by_id, now=now, top=top, language="en", summarizer=NoSummary())

    print(
        f"\n== headline stream: ECB+ {split} topics, {len(articles)} articles, {len(ref)} gold events, "
        f"{len(stories)} stories found =="
    )
    print(f"{'our top ' + str(top):<58} {'outlets':>7}  {'gold event (share)':<19} featured")
    place = {e: r for r, e in enumerate(featured, start=1)}
    for item in ranked:
        event = story_event(item.story, gold)
        mark = f"#{place[event]}" if place[event] <= top else f"no (#{place[event]})"
        title = by_id[item.story.article_ids[0]].title
        share = sum(gold[i] == event for i in item.story.article_ids) / len(item.story.article_ids)
        print(
            f"{item.rank:>2}. {title[:54]:<54} {item.why['outlets']['value']:>7}  "
            f"{event + f' ({share:.0%})':<19} {mark}"
        )
    print(f"\nreference, the {top} featured events (gold events by distinct outlets, then documents):")
    for rank, event in enumerate(featured[:top], start=1):
        title = next(a.title for a in articles if gold[a.id] == event)
        print(f"{rank:>2}. {event:<12} {ref[event][0]:>3} outlets {ref[event][1]:>3} docs  {title[:60]}")

    rows = {
        "essentiel (our stories, our ranking)": [story_event(r.story, gold) for r in ranked],
        "gold stories, our ranking": [r.story.title for r in on_gold],
        "our stories, largest first": [story_event(s, gold) for s in stories],
    }
    rng = random.Random(0)
    shuffled = []
    for _ in range(SHUFFLES):
        order = list(stories)
        rng.shuffle(order)
        shuffled.append(judge([story_event(s, gold) for s in order], ref, top))
    print(f"\n{'ranking':<40} {'P@' + str(top):>6} {'nDCG@' + str(top):>8}")
    for name, events in rows.items():
        precision, ndcg = judge(events, ref, top)
        print(f"{name:<40} {precision:>6.2f} {ndcg:>8.3f}")
    mean_p = sum(p for p, _ in shuffled) / SHUFFLES
    mean_n = sum(n for _, n in shuffled) / SHUFFLES
    print(f"{'our stories, random order (mean)':<40} {mean_p:>6.2f} {mean_n:>8.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--ui", choices=["fr", "en"], default="fr")
    parser.add_argument("--data", type=Path, help="the development data folder (ECB+ headline stream)")
    parser.add_argument("--split", choices=["dev", "test"], default="test")
    parser.add_argument("--no-demo", action="store_true", help="skip the two-day replay of the demo corpus")
    args = parser.parse_args()
    if args.data is not None and not (args.data / ECB).is_file():
        print(f"replay_day: {args.data / ECB}: no such file (the ECB+ documents)", file=sys.stderr)
        return 2
    if not args.no_demo:
        demo_replay(args.top, args.ui)
    if args.data is not None:
        stream_comparison(args.data, args.split, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
