"""Per-article signals (embedding, hashed words, hashed names) and the document frequencies that weight them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import mul

import numpy as np

from essentiel.models import Article
from essentiel.stories.embed import Embedder
from essentiel.stories.text import FEATURES, embedding_text, hashed_counts, name_text, names, words

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


def compute_signals(articles: Sequence[Article], embedder: Embedder) -> list[Signals]:
    """Signals of `articles` (one USE batch for all of them)."""
    texts = [embedding_text(a) for a in articles]
    vectors = np.asarray(embedder.encode(texts), dtype=np.float32) if articles else np.zeros((0, 512))
    out = []
    for article, text, vector in zip(articles, texts, vectors, strict=True):
        empty = not text.strip()
        out.append(
            Signals(
                article_id=article.id,
                vector=np.zeros_like(vector) if empty else vector,
                words=hashed_counts(words(text)),
                names=hashed_counts(names(name_text(article)), NAME_PREFIX),
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

    def add(self, signals: Signals, sign: int = 1) -> None:
        keys = np.fromiter((*signals.words, *signals.names), dtype=np.int64)
        if keys.size:
            np.add.at(self.df, np.unique(keys), sign)
        self.docs += sign

    def weigh(self, counts: Mapping[int, int]) -> SparseVector:
        """Sublinear TF x smoothed IDF, L2-normalised (as scikit-learn's TfidfVectorizer)."""
        raw = {
            k: (1.0 + math.log(c)) * (math.log((1.0 + self.docs) / (1.0 + float(self.df[k]))) + 1.0)
            for k, c in counts.items()
        }
        norm = math.sqrt(sum(v * v for v in raw.values()))
        return {k: v / norm for k, v in raw.items()} if norm else {}


def dot(a: Mapping[int, float], b: Mapping[int, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return float(sum(map(mul, a.values(), map(b.get, a.keys(), repeat(0.0)))))


def add_into(total: SparseVector, vector: Mapping[int, float], sign: float = 1.0) -> None:
    for k, v in vector.items():
        total[k] = total.get(k, 0.0) + sign * v
