"""The candidate index of the online clustering: exact below `ann_from` stories, faiss IVF above it."""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import faiss
import numpy as np
import pytest

from essentiel.models import Article
from essentiel.stories.cluster import copies_map, run_online
from essentiel.stories.index import NPROBE, StoryIndex
from essentiel.stories.online import OnlineClusterer, Params
from essentiel.stories.signals import Lexicon, compute_signals

HOUR = 3600.0
DAY = 24 * HOUR


def clustered(n: int, dim: int = 64, groups: int = 200, noise: float = 0.06, seed: int = 0) -> np.ndarray:
    """Unit vectors around `groups` centres (within-group cosine ~0.8), as story means of one topic are."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(groups, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    x = centres[rng.integers(0, groups, n)] + noise * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def brute_top(vectors: np.ndarray, ok: np.ndarray, query: np.ndarray, k: int) -> set[int]:
    scores = np.where(ok, vectors @ query, -np.inf)
    return set(np.argsort(-scores, kind="stable")[:k].tolist()) & set(np.flatnonzero(ok).tolist())


def fill(index: StoryIndex, vectors: np.ndarray, first: float = 0.0, last: float = 0.0) -> None:
    for i, v in enumerate(vectors):
        index.update(f"s{i}", v, first, last)


def test_exact_search_below_the_threshold_is_the_brute_force_top_k() -> None:
    vectors = clustered(500, groups=20)
    times = np.random.default_rng(1).uniform(0, 10 * DAY, 500)
    index = StoryIndex(64, ann_from=10_000, window_seconds=3 * DAY)
    for i, (v, t) in enumerate(zip(vectors, times, strict=True)):
        index.update(f"s{i}", v, t, t + HOUR)
    index.update("s7", None, None, None)  # gone (merged away)
    for q in range(0, 500, 37):
        t = float(times[q])
        gap = np.maximum(np.maximum(times - t, t - (times + HOUR)), 0.0)
        ok = gap <= 3 * DAY
        ok[7] = False
        ok[q] = False
        found = index.search(vectors[q], t, 20, exclude=f"s{q}")
        assert found == sorted(found, key=lambda key: int(key[1:]))  # in row order
        assert {int(key[1:]) for key in found} == brute_top(vectors, ok, vectors[q], 20)
    assert index.approximate_searches == 0


def built(n: int) -> tuple[np.ndarray, StoryIndex]:
    """`n` clustered story means, put one by one into an index whose approximate part starts at 1,000 (built
    then at the first search, then kept up to date and rebuilt as it grows)."""
    vectors = clustered(n)
    index = StoryIndex(64, ann_from=1000)
    fill(index, vectors[:1000])
    assert not index.approximate
    index.search(vectors[0], 0.0, 1)
    assert index.approximate
    fill(index, vectors)
    index.approximate_searches = 0
    return vectors, index


def test_approximate_recall_against_brute_force() -> None:
    vectors, index = built(4000)
    queries = clustered(300, seed=5)  # new articles near the same centres
    recall = []
    for q in queries:
        found = {int(key[1:]) for key in index.search(q, 0.0, 20)}
        recall.append(len(found & brute_top(vectors, np.ones(4000, dtype=bool), q, 20)) / 20)
    assert index.approximate_searches == len(queries)
    assert np.mean(recall) >= 0.95
    assert index.held == 4000
    assert index.lists >= 4 * NPROBE  # most lists are not probed: the approximation is real


def test_updates_and_removals_are_seen_by_the_approximate_index() -> None:
    vectors, index = built(3000)
    target = -vectors[0]  # far from every story
    assert "s42" not in index.search(target, 0.0, 5)
    index.update("s42", target, 0.0, 0.0)  # a join moved its mean
    assert "s42" in index.search(target, 0.0, 5)
    index.update("s42", None, None, None)  # merged away
    assert "s42" not in index.search(target, 0.0, 20)
    assert "s43" in index.search(vectors[43], 0.0, 20)
    assert "s43" not in index.search(vectors[43], 0.0, 20, exclude="s43")
    index.update("s9999", target, 0.0, 0.0)  # a new story after the build
    assert "s9999" in index.search(target, 0.0, 3)
    assert index.approximate_searches == 6


def test_time_window_applies_and_old_stories_leave_the_index() -> None:
    vectors = clustered(3000)
    index = StoryIndex(64, ann_from=1000, window_seconds=3 * DAY)
    for i, v in enumerate(vectors):  # 1,000 stories a day over three days
        t = (i // 1000) * DAY
        index.update(f"s{i}", v, t, t + HOUR)
    index.search(vectors[0], 0.0, 20)
    assert index.held == 3000
    # at day 5, only the stories of days 2 (last at 2 d + 1 h) are within 72 hours
    for q in range(0, 3000, 101):
        found = index.search(vectors[q], 5 * DAY, 20)
        assert found and all(int(key[1:]) >= 2000 for key in found)
    assert index.held == 1000  # the stories of days 0 and 1 left for good
    # an article placed in an old story (a copy) brings it back
    index.update("s5", vectors[5], 0.0, 5 * DAY)
    assert "s5" in index.search(vectors[5], 5 * DAY, 20)
    # an article older than one already searched is searched exactly: the old stories are still there
    before = index.approximate_searches
    assert "s17" in index.search(vectors[17], 0.5 * DAY, 20)
    assert index.approximate_searches == before
    # and an undated one too
    assert "s17" in index.search(vectors[17], None, 20)


def test_the_index_is_rebuilt_as_it_grows_and_keeps_its_results() -> None:
    vectors = clustered(5000)
    index = StoryIndex(64, ann_from=1000)
    fill(index, vectors[:999])
    index.search(vectors[0], 0.0, 20)
    assert index.builds == 0  # below the threshold
    fill(index, vectors[:1000])
    assert "s0" in index.search(vectors[0], 0.0, 20)
    assert index.builds == 1
    fill(index, vectors)  # updates of the first 1,000 rows, then 4,000 new ones
    assert index.builds >= 3
    assert index.held == 5000
    assert "s4321" in index.search(vectors[4321], 0.0, 20)


# -- the online clustering above the threshold ------------------------------------------------------------


class HashingEmbedder:
    """A deterministic embedding with real structure: hashed words projected on 64 fixed random directions."""

    def __init__(self) -> None:
        self.projection = np.random.default_rng(3).normal(size=(4096, 64))

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 64))
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i] += self.projection[zlib.crc32(word.encode()) % 4096]
        out += 1e-9
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


T0 = datetime(2025, 3, 1, tzinfo=UTC)


def stream(events: int = 900, per_event: int = 3, days: float = 9.0) -> list[Article]:
    """`events` distinct synthetic events (own words and names), each reported `per_event` times within a day."""
    rng = np.random.default_rng(11)
    out = []
    for e in range(events):
        start = days * DAY * e / events
        vocabulary = [f"w{e}x{j}" for j in range(20)] + [f"common{j}" for j in range(5)]
        for r in range(per_event):
            words = rng.choice(vocabulary, size=40).tolist()
            text = f"Officials in Town{e} met Minister{e} on {e + 1000}. " + " ".join(words) + "."
            out.append(
                Article(
                    id=f"e{e}-r{r}",
                    url=f"https://outlet{r}.example/{e}",
                    title=f"Town{e} news report {r}",
                    text=text,
                    language="en",
                    outlet=f"outlet{r}.example",
                    published=T0 + timedelta(seconds=start + rng.uniform(0, 6 * HOUR)),
                )
            )
    return out


def cluster(articles: list[Article], params: Params) -> tuple[OnlineClusterer, dict[str, frozenset[str]]]:
    signals = compute_signals(sorted(articles, key=lambda a: a.id), HashingEmbedder())
    lexicon = Lexicon()
    for s in signals:
        lexicon.add(s)
    clusterer = run_online(signals, copies_map(articles), OnlineClusterer(lexicon, params))
    return clusterer, {sid: frozenset(st.members) for sid, st in clusterer.stories.items()}


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    return stream()


def test_clustering_above_the_threshold_is_deterministic_and_finds_the_events(
    articles: list[Article],
) -> None:
    params = Params(ann_from=150)
    clusterer, first = cluster(articles, params)
    assert clusterer.index.approximate_searches > 1000  # the approximate path did the work
    assert clusterer.index.held < 400  # stories out of the 72 h window left the index
    faiss.omp_set_num_threads(2)  # whatever the caller set, the index runs on one thread
    try:
        _, again = cluster(list(reversed(articles)), params)
    finally:
        faiss.omp_set_num_threads(1)
    assert again == first
    # the same stories as the exact search gives (the events are well apart)
    exact_clusterer, exact = cluster(articles, replace(params, ann_from=10**9))
    assert exact_clusterer.index.approximate_searches == 0
    assert sorted(exact.values(), key=sorted) == sorted(first.values(), key=sorted)
    gold = {frozenset(f"e{e}-r{r}" for r in range(3)) for e in range(900)}
    assert sum(members in gold for members in first.values()) >= 0.95 * 900
