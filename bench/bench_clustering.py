"""Clustering speed: from scratch and incremental, on articles generated from ECB+ by repetition with perturbation.

Each generated article is an ECB+ document (../shared/data/clustering/ecbplus-dev) with a few words dropped at
random (seeded), a copy number appended to its id and title, and a publication time spread over the period, so
copies are near- not exact duplicates. Figures are printed as ratios against a baseline measured in the same run
(per 1,000 articles), with and without embedding; peak resident memory of the process (getrusage).

    .venv/bin/python bench/bench_clustering.py [--sizes 1000 10000] [--with-embedding] [--window 0]
    .venv/bin/python bench/bench_clustering.py --sizes --window 50000 [--with-embedding]

    .venv/bin/python bench/bench_clustering.py --sizes --window 0 --recall

`--profile`: a cProfile of each from-scratch size, the 40 costliest calls (cumulative) on stderr.
`--recall`: how well the approximate candidate index (stories/index.py) finds the exact search's stories on real
USE vectors: 3,592 texts (ECB+ and OrangeSum) encoded, 3,000 of them put in the index as story means (the
approximate part from 1,000), the other 592 searched; recall of the exact top 20, and of those of them with a
cosine of at least 0.5 and 0.6 (the ones that can join: a same-story cosine is rarely lower).

The incremental figure loads a window of `--window` articles (default: the largest size) into a store in
batches of 2,000, as the service would, then times adding 1,000 more (embedding excluded, and with
`--with-embedding` also included: the 1,000 new articles encoded by USE in the timed step).
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import pstats
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from essentiel.evaluation.clustering import ECB, load_ecb
from essentiel.models import Article, Story
from essentiel.store import open_store
from essentiel.stories.cluster import cluster_articles
from essentiel.stories.embed import default_embedder
from essentiel.stories.incremental import update_stories
from essentiel.stories.index import NPROBE, StoryIndex
from essentiel.stories.text import embedding_text

DATA = Path(__file__).resolve().parents[2] / "shared/data"
T0 = datetime(2024, 11, 1, tzinfo=UTC)


def generate(base: list[Article], n: int, hours: float, seed: int = 0) -> list[Article]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        a = base[i % len(base)]
        words = a.text.split()
        kept = " ".join(w for w in words if rng.random() > 0.05)
        when = T0 + timedelta(hours=hours * i / n)
        out.append(
            replace(a, id=f"{a.id}-{i}", title=f"{a.title} {i // len(base)}", text=kept, published=when)
        )
    return out


class RandomEmbedder:
    """Embedding excluded: seeded random unit vectors (same cost for the clustering, none for the encoder)."""

    def encode(self, texts: list[str]) -> np.ndarray:
        rng = np.random.default_rng(len(texts))
        v = rng.normal(size=(len(texts), 512)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def measure(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Seconds, and the process's peak resident memory so far (MB; it only grows, so sizes go up)."""
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    return elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def recall(stories: int = 3000, k: int = 20) -> None:
    texts = [embedding_text(a) for a, _, _ in load_ecb(DATA / ECB)]
    with gzip.open(DATA / "summaries/orangesum-valid.jsonl.gz", "rt") as f:
        for line in f:
            row = json.loads(line)
            texts.append(embedding_text(Article(id="", url="", title=row["title"], text=row["article"])))
    vectors = np.asarray(default_embedder().encode(texts), dtype=np.float32)
    order = np.random.default_rng(0).permutation(len(vectors))
    means, queries = vectors[order[:stories]], vectors[order[stories:]]
    index = StoryIndex(means.shape[1], ann_from=1000)
    for i, v in enumerate(means):
        index.update(str(i), v, 0.0, 0.0)
        if i == 1000:
            index.search(v, 0.0, k)  # the approximate part is built, then kept up to date
    found, wanted = Counter[float](), Counter[float]()
    for q in queries:
        got = {int(key) for key in index.search(q, 0.0, k)}
        scores = means @ q
        for floor in (-1.0, 0.5, 0.6):
            exact = {int(i) for i in np.argsort(-scores)[:k] if scores[i] >= floor}
            found[floor] += len(exact & got)
            wanted[floor] += len(exact)
    print(
        f"recall of the approximate index ({index.lists} lists, {NPROBE} probed, {index.held} stories, real USE):"
        f" top {k} {found[-1.0] / wanted[-1.0]:.3f};"
        f" of those with cosine >= 0.5 {found[0.5] / wanted[0.5]:.3f} ({wanted[0.5]:.0f}),"
        f" >= 0.6 {found[0.6] / wanted[0.6]:.3f} ({wanted[0.6]:.0f})",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument(
        "--window", type=int, default=None, help="articles already stored (incremental; 0: skip that figure)"
    )
    parser.add_argument("--with-embedding", action="store_true", help="also time with the USE encoder")
    parser.add_argument("--recall", action="store_true", help="recall of the approximate index, real vectors")
    parser.add_argument("--profile", action="store_true", help="cProfile each from-scratch size (to stderr)")
    args = parser.parse_args()
    if args.recall:
        recall()
    base = [a for a, _, _ in load_ecb(DATA / ECB)]
    embedders = {"embedding excluded": RandomEmbedder()}
    if args.with_embedding:
        embedders["embedding included"] = default_embedder()
    for label, embedder in embedders.items():
        per_k = None
        for n in args.sizes:
            items = generate(base, n, hours=72.0)
            stories: list[Story] = []
            profiler = cProfile.Profile() if args.profile else None
            if profiler:
                profiler.enable()
            secs, peak = measure(
                lambda i=items, e=embedder, o=stories: o.extend(cluster_articles(i, embedder=e))
            )
            if profiler:
                profiler.disable()
                pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
            rate = secs / n * 1000
            per_k = per_k or rate
            print(
                f"from scratch, {label}: {n:>6} articles {secs:7.1f}s  peak {peak:7.1f} MB"
                f"  per 1k {rate:.2f}s = {rate / per_k:.2f}x the smallest size  ({len(stories)} stories)",
                flush=True,
            )
    if args.window == 0 or not (args.window or args.sizes):
        return 0
    n = args.window or max(args.sizes)
    items = generate(base, n + 1000, hours=72.0, seed=1)
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "bench.db") as store:
        store.save_articles(items)
        now = T0 + timedelta(hours=72)

        def load() -> None:
            for k in range(0, n, 2000):
                update_stories(store, items[k : min(k + 2000, n)], now=now, embedder=RandomEmbedder())

        full, _ = measure(load)
        add, peak = measure(lambda: update_stories(store, items[n:], now=now, embedder=RandomEmbedder()))
        print(
            f"incremental, embedding excluded: window of {n} articles loaded in {full:.1f}s (batches of 2,000);"
            f" then +1000 in {add:.1f}s (peak {peak:.1f} MB) = {add / full:.3f}x the window's load"
        )
        if args.with_embedding:
            embedder = default_embedder()
            embedder.encode(["warm-up"])
            again = [replace(a, id=a.id + "-e") for a in generate(base, 1000, hours=72.0, seed=2)]
            store.save_articles(again)
            add_e, peak = measure(lambda: update_stories(store, again, now=now, embedder=embedder))
            print(f"incremental, embedding included: +1000 in {add_e:.1f}s (peak {peak:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
