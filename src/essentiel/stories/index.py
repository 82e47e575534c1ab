"""The candidate index of the online clustering: which stories to score exactly for an article.

Each story has one row: its mean embedding, its first and last publication times, and whether it is alive (a
story merged away or emptied is not). A search returns the `k` alive stories nearest to an article's embedding
by inner product with the story mean, among those within the time window of the article.

- **Exact** while the alive stories are fewer than `ann_from` (`Params.ann_from`, 20,000 by default): one
  matrix-vector product over every row and a time mask. Below that size the results are those of the exact
  search, bit for bit, whatever happened before.
- **Approximate** from there on (built at the first search that finds `ann_from` alive stories): a faiss
  inverted-file index (`IndexIVFFlat`, inner product; the vectors themselves are stored, so its scores are exact
  and only the choice of lists probed is approximate), trained on the story means (k-means, one thread, fixed
  seed). A story mean changes on every join, so a changed story becomes *hot*: it leaves the faiss lists (a
  hash table maps ids to their place, so a removal is O(1)) and is scored exactly from a small matrix of hot
  stories. When that holds an eighth of the index (`HOT_MIN` to `HOT_MAX`), its older half (by last article)
  goes back into the lists; once as many stories went back as the index held when built, it is trained and
  built again (new events fall where the old centroids were not). The search asks faiss for `k + MARGIN`
  entries, adds the hot stories, applies the alive, time-window and exclusion tests and keeps the `k` best by
  the exact inner product, in row order as the exact search returns them.
- **Out of the window for good**: articles come in time order, so once an article at time `t` has been
  searched, a story whose last article is older than `t - window` can never be a candidate of a later article;
  it leaves the approximate index (and comes back if an article is placed in it anyway, as a copy of one of its
  members is). An article older than one already searched, or undated, is searched exactly.

So the cost per article is that of the exact search up to `ann_from` stories; above it, the `NPROBE` lists
probed out of at most `MAX_LISTS` (about 4 sqrt(n)), plus at most `HOT_MAX` hot stories, instead of every story.
The same calls in the same order give the same results: faiss runs on one thread and trains with a fixed seed.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from contextlib import contextmanager

import faiss
import numpy as np
from threadpoolctl import threadpool_limits

ANN_FROM = 20_000  # alive stories from which the approximate index is used (Params.ann_from)
MAX_LISTS = 512  # inverted lists of the approximate index: ~4 sqrt(n) at its (re)build, at most this
NPROBE = 48  # lists probed per search (of up to 512; recall on real USE vectors in docs/stories.md)
TRAIN_PER_LIST = 40  # k-means training points per list (a sample of the story means, evenly spaced)
MARGIN = 16  # entries asked beyond k (stale time windows and the excluded story are filtered out afterwards)
# The recently changed stories, searched exactly: an eighth of the built size, within these bounds.
HOT_MIN, HOT_MAX = 256, 1024


@contextmanager
def _one_thread() -> Iterator[None]:
    """faiss (OpenMP) and BLAS on one thread: training and batch adds do not depend on the thread count."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        with threadpool_limits(1):
            yield
    finally:
        faiss.omp_set_num_threads(before)


class StoryIndex:
    """Rows of story means, keyed by story id (a row is never reused), searched exactly or approximately."""

    def __init__(self, dim: int, ann_from: int = ANN_FROM, window_seconds: float = 72 * 3600.0) -> None:
        self.ann_from = ann_from
        self.window = window_seconds
        self.rows: dict[str, int] = {}
        self.keys: list[str] = []
        self.means = np.zeros((64, dim), dtype=np.float32)
        self.times = np.full((64, 2), np.nan)
        self.alive = np.zeros(64, dtype=bool)
        self.alive_count = 0
        # The approximate part (None until the alive rows first reach `ann_from`): "cold" rows in the faiss
        # index, "hot" rows (changed since they were last put there) in a small matrix searched exactly.
        self._ann: faiss.IndexIVFFlat | None = None
        self._cold = np.zeros(64, dtype=bool)
        self._cold_count = 0
        self._hot: dict[int, int] = {}  # row -> slot in _hot_vectors
        self._hot_rows = np.zeros(0, dtype=np.int64)  # slot -> row
        self._hot_vectors = np.zeros((0, dim), dtype=np.float32)
        self._hot_max = HOT_MIN
        self._built_size = 0
        self._moved = 0  # rows moved from hot to cold since the last build (the centroids get older)
        self._horizon = -math.inf  # latest time searched approximately: older stories left the index for good
        self._expiry: list[tuple[float, int]] = []  # (last publication time, row), a min-heap, lazily cleaned
        self.builds = 0  # times the approximate index was (re)built
        self.approximate_searches = 0

    @property
    def approximate(self) -> bool:
        """Whether the approximate index exists (a search once found `ann_from` alive stories)."""
        return self._ann is not None

    @property
    def lists(self) -> int:
        """Inverted lists of the approximate index (0 before it exists)."""
        return int(self._ann.nlist) if self._ann is not None else 0

    @property
    def held(self) -> int:
        """Rows of the approximate index, hot and cold (alive stories not out of the window for good)."""
        return self._cold_count + len(self._hot)

    # -- rows -----------------------------------------------------------------------------------------------
    def _row(self, key: str, dim: int) -> int:
        row = self.rows.get(key)
        if row is not None:
            return row
        if not self.keys and self.means.shape[1] != dim:
            self.means = np.zeros((64, dim), dtype=np.float32)  # a custom embedder's size
        row = len(self.keys)
        if row >= self.means.shape[0]:
            grow = self.means.shape[0]
            self.means = np.vstack([self.means, np.zeros((grow, self.means.shape[1]), dtype=np.float32)])
            self.times = np.vstack([self.times, np.full((grow, 2), np.nan)])
            self.alive = np.concatenate([self.alive, np.zeros(grow, dtype=bool)])
            self._cold = np.concatenate([self._cold, np.zeros(grow, dtype=bool)])
        self.rows[key] = row
        self.keys.append(key)
        return row

    def update(self, key: str, mean: np.ndarray | None, first: float | None, last: float | None) -> None:
        """Set a story's mean and time span (`mean` None: the story is gone)."""
        row = self._row(key, self.means.shape[1] if mean is None else mean.shape[0])
        alive = mean is not None
        self.alive_count += int(alive) - int(self.alive[row])
        self.alive[row] = alive
        if mean is not None:
            self.means[row] = mean
            self.times[row] = (np.nan if first is None else first, np.nan if last is None else last)
        if self._ann is not None:
            self._refresh(row)

    # -- search ---------------------------------------------------------------------------------------------
    def search(
        self, vector: np.ndarray, timestamp: float | None, k: int, exclude: str | None = None
    ) -> list[str]:
        """The keys of the `k` alive rows nearest to `vector` within the time window of `timestamp`, by row."""
        if self._ann is None and self.alive_count >= self.ann_from:
            self._build()  # at the first search, not while stored stories are restored one by one
        if self._approximate(timestamp):
            assert timestamp is not None
            return self._search_ann(vector, timestamp, k, exclude)
        return self._search_exact(vector, timestamp, k, exclude)

    def _window_mask(self, rows: slice | np.ndarray, timestamp: float | None) -> np.ndarray:
        ok = self.alive[rows].copy()
        if timestamp is not None:
            first, last = self.times[rows, 0], self.times[rows, 1]
            with np.errstate(invalid="ignore"):
                gap = np.maximum(np.maximum(first - timestamp, timestamp - last), 0.0)
            ok &= np.nan_to_num(gap, nan=0.0) <= self.window
        return ok

    def _top(self, rows: np.ndarray, scores: np.ndarray, k: int) -> list[str]:
        if rows.size == 0:
            return []
        k = min(k, rows.size)
        top = rows[np.argpartition(-scores, k - 1)[:k]] if rows.size > k else rows
        return [self.keys[r] for r in sorted(top.tolist())]

    def _search_exact(
        self, vector: np.ndarray, timestamp: float | None, k: int, exclude: str | None
    ) -> list[str]:
        n = len(self.keys)
        if n == 0:
            return []
        ok = self._window_mask(slice(0, n), timestamp)
        if exclude is not None and exclude in self.rows:
            ok[self.rows[exclude]] = False
        rows = np.flatnonzero(ok)
        if rows.size == 0:
            return []
        scores = (self.means[:n] @ vector)[rows]  # a contiguous product: no copy of the story means
        return self._top(rows, scores, k)

    def _approximate(self, timestamp: float | None) -> bool:
        # An undated article, or one older than an article already searched, may need stories that left the
        # index for good; and a small index is searched exactly (its probed lists may hold fewer than k).
        if self._ann is None or timestamp is None or timestamp < self._horizon:
            return False
        return self.held >= self.ann_from // 2

    def _search_ann(self, vector: np.ndarray, timestamp: float, k: int, exclude: str | None) -> list[str]:
        assert self._ann is not None
        self.approximate_searches += 1
        self._expire(timestamp)
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        skip = self.rows.get(exclude, -1) if exclude is not None else -1
        want = k + MARGIN
        while True:
            _, found = self._ann.search(query, want)
            cold = found[0][found[0] >= 0]
            ok = self._window_mask(cold, timestamp) & (cold != skip)
            if ok.sum() >= k or cold.size < want or want >= self._cold_count:
                break
            want *= 2  # many stale windows (stories that start after this article): look further
        if ok.sum() < k and cold.size < self._cold_count:
            return self._search_exact(vector, timestamp, k, exclude)  # the probed lists ran short
        cold = cold[ok]
        count = len(self._hot)
        hot = self._hot_rows[:count]
        hot_ok = self._window_mask(hot, timestamp) & (hot != skip)
        hot_scores = (self._hot_vectors[:count] @ vector)[hot_ok]  # contiguous: no gather of the hot means
        rows = np.concatenate([cold, hot[hot_ok]])
        return self._top(rows, np.concatenate([self.means[cold] @ vector, hot_scores]), k)

    # -- the approximate index ------------------------------------------------------------------------------
    def _expired(self, row: int) -> bool:
        last = self.times[row, 1]
        return not np.isnan(last) and last < self._horizon - self.window

    def _build(self) -> None:
        """Train the lists on the story means held now and put them all in (cold)."""
        n = len(self.keys)
        rows = np.flatnonzero(self.alive[:n])
        rows = rows[[not self._expired(int(r)) for r in rows]]
        dim = self.means.shape[1]
        lists = int(min(MAX_LISTS, max(16, 2 ** round(math.log2(4 * math.sqrt(max(rows.size, 1)))))))
        sample = rows[np.linspace(0, rows.size - 1, min(rows.size, TRAIN_PER_LIST * lists)).astype(np.int64)]
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = 1234
        index.cp.min_points_per_centroid = 1  # small indexes (a lowered `ann_from`) train without a warning
        index.nprobe = NPROBE
        with _one_thread():
            index.train(np.ascontiguousarray(self.means[sample]))
            index.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
            index.add_with_ids(np.ascontiguousarray(self.means[rows]), rows.astype(np.int64))
        self._ann = index
        self._cold[:] = False
        self._cold[rows] = True
        self._cold_count = int(rows.size)
        self._hot = {}
        self._built_size = max(int(rows.size), 1)
        self._hot_max = min(HOT_MAX, max(HOT_MIN, self._built_size // 8))
        self._hot_rows = np.zeros(self._hot_max, dtype=np.int64)
        self._hot_vectors = np.zeros((self._hot_max, dim), dtype=np.float32)
        self._moved = 0
        self.builds += 1
        self._expiry = [(float(self.times[r, 1]), int(r)) for r in rows if not np.isnan(self.times[r, 1])]
        heapq.heapify(self._expiry)

    def _drop(self, row: int) -> None:
        """Take a row out of the approximate index (cold or hot)."""
        assert self._ann is not None
        if self._cold[row]:
            ids = np.array([row], dtype=np.int64)
            self._ann.remove_ids(faiss.IDSelectorArray(1, faiss.swig_ptr(ids)))
            self._cold[row] = False
            self._cold_count -= 1
        slot = self._hot.pop(row, None)
        if slot is not None:  # the last hot row takes its slot
            last = len(self._hot)
            if slot != last:
                moved = int(self._hot_rows[last])
                self._hot_rows[slot] = moved
                self._hot_vectors[slot] = self._hot_vectors[last]
                self._hot[moved] = slot

    def _refresh(self, row: int) -> None:
        """A row changed: it becomes hot (searched exactly) until the hot rows are many."""
        if self._cold[row]:
            self._drop(row)
        if not self.alive[row] or self._expired(row):
            self._drop(row)
            return
        slot = self._hot.setdefault(row, len(self._hot))
        self._hot_rows[slot] = row
        self._hot_vectors[slot] = self.means[row]
        if not np.isnan(self.times[row, 1]):
            heapq.heappush(self._expiry, (float(self.times[row, 1]), row))
        if len(self._hot) >= self._hot_max:
            self._cool()

    def _cool(self) -> None:
        """The older half of the hot rows (by last article) goes into the faiss lists; after as many moves as
        the index held when it was built, it is built again (its centroids were trained on other stories)."""
        assert self._ann is not None
        count = len(self._hot)
        rows = self._hot_rows[:count].copy()
        lasts = np.nan_to_num(self.times[rows, 1], nan=-np.inf)
        cooled = rows[np.argsort(lasts, kind="stable")[: count // 2]]
        self._moved += int(cooled.size)
        if self._moved >= self._built_size:
            self._build()
            return
        vectors = self.means[cooled]  # hot rows hold the current means
        for row in cooled.tolist():
            self._drop(row)
        with _one_thread():
            self._ann.add_with_ids(vectors, cooled)
        self._cold[cooled] = True
        self._cold_count += int(cooled.size)

    def _expire(self, timestamp: float) -> None:
        """Stories whose last article is older than `timestamp - window` leave the index (searches go forward)."""
        if timestamp <= self._horizon:
            return
        self._horizon = timestamp
        cutoff = timestamp - self.window
        while self._expiry and self._expiry[0][0] < cutoff:
            last, row = heapq.heappop(self._expiry)
            if self.times[row, 1] == last:  # else an entry of an older span: the row has a newer one
                self._drop(row)
