"""Group articles into stories: copies first, then cross-lingual clustering of their meaning.

1. Near-duplicates (wire copy republished by several outlets) are tied together for sure (dedupe.py).
2. Each article is embedded (title + lead + opening of the text) with the multilingual Universal Sentence
   Encoder; the similarity of two articles is a weighted mean of their cosine and of their TF-IDF cosine over the
   batch (shared rare words: names, places, figures), which separates look-alike events (two earthquakes).
3. Average-linkage agglomerative clustering joins groups while their mean similarity stays >= `threshold`.
   Two articles both dated more than `window_days` apart never end up in one story.

Articles are sorted by id first, so the stories do not depend on input order.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from essentiel.models import Article, Story, stable_id
from essentiel.stories.dedupe import duplicate_groups
from essentiel.stories.embed import Embedder, default_embedder

logger = logging.getLogger(__name__)

# Tuned on ECB+ topics 1-20 (bench/eval_clustering.py); topics 21-35 are the held-out figure.
DEFAULT_THRESHOLD = 0.45
DEFAULT_LEXICAL_WEIGHT = 0.5
# Shared words mean little across languages: there the USE cosine alone is used, scaled so that the USE-only
# dev-best threshold (0.625) lands on DEFAULT_THRESHOLD.
CROSS_LANGUAGE_SCALE = 0.45 / 0.625
TEXT_CHARS = 600
CANNOT_LINK = 1e6  # a distance no average can bring under the threshold

_TOKEN = r"(?u)\b\w\w+\b"


def embedding_text(article: Article, text_chars: int = TEXT_CHARS) -> str:
    """What an article is compared on: title, lead and the opening of its body."""
    parts = [article.title.strip(), article.lead.strip(), article.text.strip()[:text_chars]]
    return "\n".join(p for p in parts if p)


def lexical_similarity(texts: Sequence[str]) -> np.ndarray:
    """TF-IDF cosine over the batch (sublinear tf): high for shared rare words, names and figures."""
    n = len(texts)
    if not any(re.search(r"\w\w", t) for t in texts):
        return np.zeros((n, n), dtype=np.float64)
    vectoriser = TfidfVectorizer(sublinear_tf=True, token_pattern=_TOKEN, lowercase=True, dtype=np.float64)
    matrix = vectoriser.fit_transform(texts)
    return np.asarray((matrix @ matrix.T).toarray(), dtype=np.float64)


def _cross_language(articles: Sequence[Article]) -> np.ndarray:
    codes = np.array([(a.language or "").lower()[:2] for a in articles], dtype=object)
    known = codes != ""
    return (codes[:, None] != codes[None, :]) & known[:, None] & known[None, :]


def similarity_matrix(
    articles: Sequence[Article], embedder: Embedder, lexical_weight: float = DEFAULT_LEXICAL_WEIGHT
) -> np.ndarray:
    texts = [embedding_text(a) for a in articles]
    vectors = np.asarray(embedder.encode(texts), dtype=np.float64)
    sim = vectors @ vectors.T
    if lexical_weight:
        cross = _cross_language(articles)
        mixed = (sim + lexical_weight * lexical_similarity(texts)) / (1.0 + lexical_weight)
        sim = np.where(cross, sim * CROSS_LANGUAGE_SCALE, mixed)
    empty = [i for i, t in enumerate(texts) if not t.strip()]
    sim[empty, :] = 0.0  # an article with nothing to read joins only its copies
    sim[:, empty] = 0.0
    np.fill_diagonal(sim, 1.0)
    return sim


def _time_conflicts(articles: Sequence[Article], window_days: float) -> np.ndarray:
    stamps = np.array(
        [a.published.timestamp() if a.published is not None else np.nan for a in articles], dtype=np.float64
    )
    with np.errstate(invalid="ignore"):
        gap = np.abs(stamps[:, None] - stamps[None, :])
        return np.nan_to_num(gap, nan=0.0) > window_days * 86400.0


def _labels(distance: np.ndarray, threshold: float) -> np.ndarray:
    n = distance.shape[0]
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=1.0 - threshold
    )
    return np.asarray(model.fit_predict(distance), dtype=np.int64)


def _unique_sorted(articles: Sequence[Article]) -> list[Article]:
    seen: dict[str, Article] = {}
    for article in articles:
        seen.setdefault(article.id, article)
    return [seen[k] for k in sorted(seen)]


def _make_story(members: list[int], articles: Sequence[Article], sim: np.ndarray) -> Story:
    block = sim[np.ix_(members, members)]
    centrality = (block.sum(axis=1) - np.diag(block)) / max(len(members) - 1, 1)
    order = sorted(
        range(len(members)), key=lambda k: (-round(float(centrality[k]), 9), articles[members[k]].id)
    )
    ordered = [articles[members[k]] for k in order]
    title = next((a.title.strip() for a in ordered if a.title.strip()), "")
    first_id = min(a.id for a in ordered)
    return Story(id=stable_id(first_id, prefix="s-"), article_ids=tuple(a.id for a in ordered), title=title)


def cluster_articles(
    articles: Sequence[Article],
    *,
    embedder: Embedder | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    window_days: float = 3.0,
    lexical_weight: float = DEFAULT_LEXICAL_WEIGHT,
) -> list[Story]:
    """Stories of `articles`, largest first (then by id); in each, the most representative article first.

    `threshold` is the mean similarity two groups need to join, the similarity of two articles being
    (USE cosine + lexical_weight * TF-IDF cosine) / (1 + lexical_weight).
    """
    items = _unique_sorted(articles)
    if not items:
        return []
    if len(items) == 1:
        return [_make_story([0], items, np.ones((1, 1)))]
    sim = similarity_matrix(items, embedder or default_embedder(), lexical_weight)
    distance = np.clip(1.0 - sim, 0.0, None)
    distance[_time_conflicts(items, window_days)] = CANNOT_LINK
    for group in duplicate_groups(items):
        distance[np.ix_(group, group)] = 0.0
    np.fill_diagonal(distance, 0.0)
    labels = _labels(distance, threshold)
    clusters: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        clusters.setdefault(int(label), []).append(i)
    stories = [_make_story(members, items, sim) for members in clusters.values()]
    stories.sort(key=lambda s: (-len(s.article_ids), s.id))
    logger.info("clustered %d articles into %d stories", len(items), len(stories))
    return stories
