"""Per-article signals (embedding, hashed words, hashed names) and the document frequencies that weight them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import mul

import numpy as np

from essentiel.models import Article
from essentiel.stories.embed import Embedder, default_embedder
from essentiel.stories.text import (
    FEATURES,
    embedding_text,
    hashed_counts,
    is_dateline,
    lexical_text,
    name_text,
    names,
    words,
)

NAME_PREFIX = "n:"  # names and figures share the hashed space with words, under their own prefix

SparseVector = dict[int, float]


@dataclass(frozen=True, eq=False)
class Signals:
    """What the clustering knows of one article (computed once, stored in `article_vectors`)."""

    article_id: str
    vector: np.ndarray  # L2-normalised float32 USE embedding
    words: Mapping[int, int]
    names: Mapping[int, int]
    language: str = ""
    timestamp: float | None = None  # publication time (POSIX seconds), None when unknown
    url: str = ""
    outlet: str = ""
    title: str = ""


def language_code(language: str | None) -> str:
    return (language or "").lower()[:2]


def embed_ahead(articles: Sequence[Article]) -> None:
    """Queue `articles` for the default embedder's background thread (see `AheadEmbedder`)."""
    default_embedder().ahead([embedding_text(a) for a in articles])


def compute_signals(articles: Sequence[Article], embedder: Embedder) -> list[Signals]:
    """Signals of `articles` (one USE batch for all of them)."""
    texts = [embedding_text(a) for a in articles]
    vectors = np.asarray(embedder.encode(texts), dtype=np.float32) if articles else np.zeros((0, 512))
    out = []
    for article, vector in zip(articles, vectors, strict=True):
        text = lexical_text(article)
        blank = not text.strip() or is_dateline(text)  # nothing to compare: a story of its own
        out.append(
            Signals(
                article_id=article.id,
                vector=np.zeros_like(vector) if blank else vector,
                words={} if blank else hashed_counts(words(text)),
                names={} if blank else hashed_counts(names(name_text(article)), NAME_PREFIX),
                language=language_code(article.language),
                timestamp=article.published.timestamp() if article.published else None,
                url=article.url,
                outlet=article.outlet_key,
                title=article.title.strip(),
            )
        )
    return out


@dataclass
class Lexicon:
    """Document frequencies over the hashed space: the IDF of words and names, kept incrementally."""

    docs: int = 0
    df: np.ndarray = field(default_factory=lambda: np.zeros(FEATURES, dtype=np.int32))
    _idf: np.ndarray | None = field(default=None, repr=False, compare=False)

    def add(self, signals: Signals, sign: int = 1) -> None:
        keys = np.fromiter((*signals.words, *signals.names), dtype=np.int64)
        if keys.size:
            np.add.at(self.df, np.unique(keys), sign)
        self.docs += sign
        self._idf = None

    def idf(self) -> np.ndarray:
        """Smoothed IDF of every feature (as scikit-learn's), cached until the next `add`."""
        if self._idf is None:
            self._idf = np.log((1.0 + self.docs) / (1.0 + self.df.astype(np.float64))) + 1.0
        return self._idf

    def weigh(self, counts: Mapping[int, int]) -> SparseVector:
        """Sublinear TF x smoothed IDF, L2-normalised (as scikit-learn's TfidfVectorizer)."""
        if not counts:
            return {}
        keys = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        raw = (1.0 + np.log(tf)) * self.idf()[keys]
        norm = float(np.sqrt(raw @ raw))
        return dict(zip(keys.tolist(), (raw / norm).tolist(), strict=True)) if norm else {}


def sum_sparse(vectors: Sequence[Mapping[int, float]]) -> SparseVector:
    """The sum of many sparse vectors at once (restoring a story's sums from its members)."""
    if len(vectors) == 1:
        return dict(vectors[0])
    total = sum(len(v) for v in vectors)
    if not total:
        return {}
    keys = np.fromiter((k for v in vectors for k in v), dtype=np.int64, count=total)
    values = np.fromiter((x for v in vectors for x in v.values()), dtype=np.float64, count=total)
    unique, inverse = np.unique(keys, return_inverse=True)
    return dict(zip(unique.tolist(), np.bincount(inverse, weights=values).tolist(), strict=True))


def dot(a: Mapping[int, float], b: Mapping[int, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return float(sum(map(mul, a.values(), map(b.get, a.keys(), repeat(0.0)))))


def add_into(total: SparseVector, vector: Mapping[int, float], sign: float = 1.0) -> None:
    for k, v in vector.items():
        total[k] = total.get(k, 0.0) + sign * v
