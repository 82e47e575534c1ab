"""Near-duplicate detection: wire copy and republished text, by MinHash LSH over word shingles.

Exact copies (same normalised text) are always grouped, whatever the LSH draws; near copies are grouped when
their estimated Jaccard similarity of word 5-shingles reaches the threshold. Seeded: same input, same groups.
"""

from __future__ import annotations

import hashlib
import logging
import re
import struct
from collections.abc import Sequence

from datasketch import MinHash, MinHashLSH

from essentiel.models import Article

logger = logging.getLogger(__name__)

SHINGLE = 5
NUM_PERM = 128
SEED = 1
THRESHOLD = 0.7
MIN_WORDS = 15  # shorter texts (briefs, empty bodies) are too generic to call copies of each other

_WORD = re.compile(r"\w+", re.UNICODE)


def dedupe_text(article: Article) -> str:
    """The text compared for copies: the body, or the lead when the body is empty."""
    return article.text.strip() or article.lead.strip()


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _hash32(data: bytes) -> int:
    return int(struct.unpack("<I", hashlib.sha1(data).digest()[:4])[0])


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


def _minhash(shingle_set: set[bytes], num_perm: int) -> MinHash:
    mh = MinHash(num_perm=num_perm, seed=SEED, hashfunc=_hash32)
    mh.update_batch(sorted(shingle_set))
    return mh


def duplicate_groups(
    articles: Sequence[Article], *, threshold: float = THRESHOLD, num_perm: int = NUM_PERM
) -> list[list[int]]:
    """Indexes of `articles` grouped by copy (every index appears once; singletons included), sorted."""
    uf = _UnionFind(len(articles))
    exact: dict[str, int] = {}
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    hashes: dict[int, MinHash] = {}
    for i, article in enumerate(articles):
        words = _words(dedupe_text(article))
        if len(words) < MIN_WORDS:
            continue
        key = " ".join(words)
        if key in exact:
            uf.union(exact[key], i)
            continue
        exact[key] = i
        mh = _minhash(shingles(words), num_perm)
        for candidate in sorted(lsh.query(mh)):
            j = int(candidate)
            if hashes[j].jaccard(mh) >= threshold:
                uf.union(j, i)
        lsh.insert(str(i), mh)
        hashes[i] = mh
    groups = uf.groups()
    logger.debug("dedupe: %d articles, %d groups", len(articles), len(groups))
    return groups
