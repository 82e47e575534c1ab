"""Group a batch of articles into stories with the online algorithm of `online.py` (the `essentiel cluster` contract).

1. Near-duplicates (wire copy republished by several outlets) always share a story (dedupe.py).
2. Each article gets its signals (signals.py): multilingual USE embedding of title + lead + opening, hashed words,
   hashed names and figures; document frequencies are counted over the batch.
3. Articles are taken in publication order (undated last, ties by id) and each joins the closest story on
   group-average similarity, or opens one (online.py). So the result does not depend on the input order, and
   the incremental store path (incremental.py) runs the very same algorithm.

Also here: the TF-IDF cosine and average-link helpers used by the evaluation's baseline.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer
from threadpoolctl import threadpool_limits

from essentiel.models import Article, Story
from essentiel.stories.dedupe import copy_groups
from essentiel.stories.embed import Embedder, default_embedder
from essentiel.stories.online import OnlineClusterer, Params, StoryState
from essentiel.stories.signals import Lexicon, Signals, compute_signals
from essentiel.stories.text import embedding_text

logger = logging.getLogger(__name__)

DEFAULT_PARAMS = Params()
DEFAULT_THRESHOLD = DEFAULT_PARAMS.threshold
_TOKEN = r"(?u)\b\w\w+\b"

__all__ = ["DEFAULT_THRESHOLD", "cluster_articles", "embedding_text", "lexical_similarity", "signal_order"]


def lexical_similarity(texts: Sequence[str]) -> np.ndarray:
    """TF-IDF cosine over the batch (sublinear tf): the baseline's similarity."""
    n = len(texts)
    if not any(re.search(r"\w\w", t) for t in texts):
        return np.zeros((n, n), dtype=np.float64)
    vectoriser = TfidfVectorizer(sublinear_tf=True, token_pattern=_TOKEN, lowercase=True, dtype=np.float64)
    matrix = vectoriser.fit_transform(texts)
    return np.asarray((matrix @ matrix.T).toarray(), dtype=np.float64)


def average_link_labels(similarity: np.ndarray, threshold: float) -> np.ndarray:
    """Batch average-linkage clusters joining while mean similarity >= threshold (the baseline's method)."""
    n = similarity.shape[0]
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=1.0 - threshold
    )
    return np.asarray(model.fit_predict(np.clip(1.0 - similarity, 0.0, None)), dtype=np.int64)


def signal_order(s: Signals) -> tuple[int, float, str]:
    """Processing order: by publication time, undated last, ties by id."""
    return (0, s.timestamp, s.article_id) if s.timestamp is not None else (1, 0.0, s.article_id)


def to_story(clusterer: OnlineClusterer, state: StoryState) -> Story:
    ids = clusterer.centrality(state)
    title = next((t for t in (state.members[i].title for i in ids) if t), "")
    return Story(id=state.id, article_ids=tuple(ids), title=title)


def run_online(
    signals: Sequence[Signals], copies: dict[str, str], clusterer: OnlineClusterer
) -> OnlineClusterer:
    # Many small matrix-vector products: one BLAS thread is ~50x faster than threads contending for 2 cores.
    with threadpool_limits(1, user_api="blas"):
        for s in sorted(signals, key=signal_order):
            clusterer.add(s, copy_of=copies.get(s.article_id))
    return clusterer


def copies_map(articles: Sequence[Article]) -> dict[str, str]:
    """Each syndicated copy -> the original it repeats."""
    return {c: g.original for g in copy_groups(articles) for c in g.copies}


def cluster_articles(
    articles: Sequence[Article],
    *,
    embedder: Embedder | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    window_days: float = 3.0,
    params: Params | None = None,
) -> list[Story]:
    """Stories of `articles`, largest first (then by id); in each, the most representative article first."""
    unique: dict[str, Article] = {}
    for article in articles:
        unique.setdefault(article.id, article)
    items = [unique[k] for k in sorted(unique)]
    if not items:
        return []
    params = params or replace(DEFAULT_PARAMS, threshold=threshold, window_hours=window_days * 24.0)
    signals = compute_signals(items, embedder or default_embedder())
    lexicon = Lexicon()
    for s in signals:
        lexicon.add(s)
    clusterer = run_online(signals, copies_map(items), OnlineClusterer(lexicon, params))
    stories = [to_story(clusterer, st) for st in clusterer.stories.values()]
    stories.sort(key=lambda s: (-len(s.article_ids), s.id))
    logger.info("clustered %d articles into %d stories", len(items), len(stories))
    return stories
