"""Near-duplicate detection: wire copy and republished text, by MinHash LSH over word shingles.

Exact copies (same normalised text) are always grouped, whatever the LSH draws; near copies are grouped when
their estimated Jaccard similarity of word 5-shingles reaches the threshold. Seeded: same input, same groups.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zlib
from collections.abc import Sequence, Set
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import MinHash, MinHashLSH

from essentiel.cache import LruCache
from essentiel.models import Article

logger = logging.getLogger(__name__)

SHINGLE = 5
NUM_PERM = 128
SEED = 1
THRESHOLD = 0.7
MIN_WORDS = 15  # shorter texts (briefs, empty bodies) are too generic to call copies of each other
MAX_WORDS = 400  # copies are compared on their opening: enough to tell, and it bounds the cost of long texts
SHINGLE_SETS = 2_048  # shingle sets of LSH candidates kept while grouping (each up to ~40 KB)

_WORD = re.compile(r"\w+", re.UNICODE)


def dedupe_text(article: Article) -> str:
    """The text compared for copies: the body, or the lead when the body is empty."""
    return article.text.strip() or article.lead.strip()


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _hash32(data: bytes) -> int:
    return zlib.crc32(data)  # C speed; MinHash's random permutations do the mixing, exact Jaccard confirms


def shingles(words: Sequence[str], size: int = SHINGLE) -> set[bytes]:
    if len(words) < size:
        return {" ".join(words).encode("utf-8")} if words else set()
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[int]]:
        out: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            out.setdefault(self.find(i), []).append(i)
        return sorted(out.values(), key=lambda g: g[0])


def jaccard(a: Set[bytes], b: Set[bytes]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


_SCHEME = MinHash(num_perm=1, seed=SEED).scheme


@lru_cache(maxsize=4)
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """The seeded permutations, drawn once (MinHash would draw them again for every text)."""
    template = MinHash(num_perm=num_perm, seed=SEED, hashfunc=_hash32, scheme=_SCHEME)
    return template.permutations


@lru_cache(maxsize=4)
def _lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) for `threshold`: datasketch finds them by numerical integration, ~20 ms; done once."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def _minhash(shingle_set: set[bytes], num_perm: int) -> MinHash:
    mh = MinHash(
        num_perm=num_perm, seed=SEED, hashfunc=_hash32, permutations=_permutations(num_perm), scheme=_SCHEME
    )
    mh.update_batch(sorted(shingle_set))
    return mh


SIGNATURE_CACHE = 20_000  # texts whose MinHash is kept (~1 KB each): the ranking re-reads the same stories
_SIGNATURES: LruCache[tuple[bytes, int], MinHash] = LruCache(SIGNATURE_CACHE)


def _signature(digest: bytes, words: Sequence[str], num_perm: int) -> MinHash:
    """The MinHash of a text, from a process-wide cache keyed by a digest of the text."""
    (found,) = _SIGNATURES.get_many([(digest, num_perm)], lambda _: [_minhash(shingles(words), num_perm)])
    return found


# Stories whose copy groups are kept: most stories of a window do not change between builds.
GROUPS_CACHE = 20_000
_GROUPS: LruCache[tuple[object, ...], list[list[int]]] = LruCache(GROUPS_CACHE)


def duplicate_groups(
    articles: Sequence[Article], *, threshold: float = THRESHOLD, num_perm: int = NUM_PERM
) -> list[list[int]]:
    """Indexes of `articles` grouped by copy (every index appears once; singletons included), sorted.

    Remembered per process for the same texts in the same order (each edition build re-reads every story
    of the window, and most have not changed since the last one)."""
    key = (threshold, num_perm, *((a.id, hash(dedupe_text(a))) for a in articles))
    (groups,) = _GROUPS.get_many([key], lambda _: [_duplicate_groups(articles, threshold, num_perm)])
    return [list(g) for g in groups]


def _duplicate_groups(articles: Sequence[Article], threshold: float, num_perm: int) -> list[list[int]]:
    uf = _UnionFind(len(articles))
    exact: dict[bytes, int] = {}  # digest of the compared words -> first article with them
    lsh = MinHashLSH(num_perm=num_perm, params=_lsh_bands(threshold, num_perm))

    # Shingle sets only for LSH candidates (most texts never need theirs); the recent ones are kept, older
    # ones computed again from the article: at 100,000 articles, keeping every word list and set took gigabytes.
    sets: LruCache[int, frozenset[bytes]] = LruCache(SHINGLE_SETS)

    def shingle_set(i: int, words: Sequence[str] | None = None) -> frozenset[bytes]:
        (found,) = sets.get_many(
            [i], lambda _: [frozenset(shingles(words or _words(dedupe_text(articles[i]))[:MAX_WORDS]))]
        )
        return found

    for i, article in enumerate(articles):
        words = _words(dedupe_text(article))[:MAX_WORDS]
        if len(words) < MIN_WORDS:
            continue
        key = " ".join(words)
        digest = hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest()
        if digest in exact:
            uf.union(exact[digest], i)
            continue
        exact[digest] = i
        mh = _signature(digest, words, num_perm)
        for candidate in sorted(lsh.query(mh)):
            j = int(candidate)
            if jaccard(shingle_set(j), shingle_set(i, words)) >= threshold:  # LSH proposes, Jaccard decides
                uf.union(j, i)
        lsh.insert(str(i), mh)
    groups = uf.groups()
    logger.debug("dedupe: %d articles, %d groups", len(articles), len(groups))
    return groups


@dataclass(frozen=True)
class DuplicateGroup:
    """Copies of one text: `original` is the earliest published (ties and undated: smallest id)."""

    original: str
    copies: tuple[str, ...]  # the syndicated ids: every member but the original, earliest first

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.original, *self.copies)


def _publication_key(article: Article) -> tuple[int, float, str]:
    if article.published is None:
        return (1, 0.0, article.id)
    return (0, article.published.timestamp(), article.id)


def copy_groups(articles: Sequence[Article]) -> list[DuplicateGroup]:
    """Groups of two or more copies, each knowing its earliest publisher; sorted by original id."""
    out = []
    for group in duplicate_groups(articles):
        if len(group) < 2:
            continue
        members = sorted((articles[i] for i in group), key=_publication_key)
        out.append(DuplicateGroup(members[0].id, tuple(a.id for a in members[1:])))
    return sorted(out, key=lambda g: g.original)


def syndicated_ids(articles: Sequence[Article]) -> set[str]:
    """Ids of articles that are copies of an earlier article: not independent reporting."""
    return {i for group in copy_groups(articles) for i in group.copies}
