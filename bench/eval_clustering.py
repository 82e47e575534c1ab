"""Story clustering on ECB+ (../shared/data/clustering/ecbplus-dev): BCubed precision / recall / F1 over documents.

Topics 1-20 are the dev split (the threshold is tuned there), topics 21-35 the held-out test split.
Each topic holds two real events of the same kind, so the test checks both joining and separating.

    .venv/bin/python bench/eval_clustering.py [--data PATH] [--quick]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from essentiel.models import Article
from essentiel.stories.cluster import (
    DEFAULT_LEXICAL_WEIGHT,
    DEFAULT_THRESHOLD,
    _labels,
    cluster_articles,
    embedding_text,
    lexical_similarity,
)
from essentiel.stories.embed import default_embedder

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/clustering/ecbplus-dev/docs.jsonl.gz"
DEV_TOPICS = range(1, 21)
TEST_TOPICS = range(21, 36)


def detokenize(text: str) -> str:
    text = text.replace("``", '"').replace("''", '"')
    text = re.sub(r"\s+([.,;:!?%)\]}])", r"\1", text)
    text = re.sub(r"([(\[{$])\s+", r"\1", text)
    text = re.sub(r"\s+('s|'re|'ve|'ll|'d|'m|n't)\b", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def load(path: Path) -> list[tuple[Article, str, int]]:
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            sentences = [detokenize(s) for s in doc["sentences"]]
            title, body = (sentences[0], sentences[1:]) if sentences else ("", [])
            article = Article(id=doc["doc_id"], url="", title=title, text="\n".join(body), language="en")
            out.append((article, doc["event_cluster"], int(doc["topic"])))
    return out


def bcubed(pred: Sequence[str], gold: Sequence[str]) -> tuple[float, float, float]:
    p_sum = r_sum = 0.0
    for i in range(len(pred)):
        same_pred = {j for j in range(len(pred)) if pred[j] == pred[i]}
        same_gold = {j for j in range(len(gold)) if gold[j] == gold[i]}
        both = len(same_pred & same_gold)
        p_sum += both / len(same_pred)
        r_sum += both / len(same_gold)
    p, r = p_sum / len(pred), r_sum / len(pred)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


class CachedEmbedder:
    def __init__(self) -> None:
        self.inner = default_embedder()
        self.cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = sorted({t for t in texts if t not in self.cache})
        if missing:
            for text, vec in zip(missing, self.inner.encode(missing), strict=True):
                self.cache[text] = vec
        return np.vstack([self.cache[t] for t in texts])


def run_ours(docs, embedder, threshold: float, lexical_weight: float) -> tuple[float, float, float]:
    articles = [a for a, _, _ in docs]
    gold = {a.id: g for a, g, _ in docs}
    stories = cluster_articles(
        articles, embedder=embedder, threshold=threshold, lexical_weight=lexical_weight
    )
    pred = {aid: s.id for s in stories for aid in s.article_ids}
    ids = sorted(gold)
    return bcubed([pred[i] for i in ids], [gold[i] for i in ids])


def run_tfidf(docs, threshold: float) -> tuple[float, float, float]:
    texts = [embedding_text(a) for a, _, _ in docs]
    labels = _labels(np.clip(1.0 - lexical_similarity(texts), 0.0, None), threshold)
    return bcubed([str(x) for x in labels], [g for _, g, _ in docs])


def fmt(name: str, prf: tuple[float, float, float]) -> str:
    return f"{name:<44} P {prf[0]:.3f}  R {prf[1]:.3f}  F1 {prf[2]:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--quick", action="store_true", help="only the default settings, no dev grid")
    args = parser.parse_args()
    docs = load(args.data)
    dev = [d for d in docs if d[2] in DEV_TOPICS]
    test = [d for d in docs if d[2] in TEST_TOPICS]
    print(f"ECB+: {len(docs)} docs; dev topics 1-20: {len(dev)} docs, test topics 21-35: {len(test)} docs")
    embedder = CachedEmbedder()
    start = time.perf_counter()
    run_ours(dev, embedder, DEFAULT_THRESHOLD, DEFAULT_LEXICAL_WEIGHT)
    print(f"first pass (encode + cluster) over dev: {time.perf_counter() - start:.1f}s")
    best = (DEFAULT_THRESHOLD, DEFAULT_LEXICAL_WEIGHT)
    if not args.quick:
        grid = {
            (t, w): run_ours(dev, embedder, t, w)[2]
            for w in (0.0, 0.25, 0.5, 0.75, 1.0)
            for t in np.round(np.arange(0.30, 0.95, 0.025), 3)
        }
        best = max(grid, key=lambda k: (grid[k], -abs(k[0] - DEFAULT_THRESHOLD)))
        for w in (0.0, 0.25, 0.5, 0.75, 1.0):
            t_best = max((k for k in grid if k[1] == w), key=lambda k: grid[k])
            print(f"  dev: lexical_weight {w:.2f}: best threshold {t_best[0]:.3f} -> F1 {grid[t_best]:.3f}")
        print(f"dev best: threshold {best[0]:.3f}, lexical_weight {best[1]:.2f}")
    print(f"library defaults: threshold {DEFAULT_THRESHOLD}, lexical_weight {DEFAULT_LEXICAL_WEIGHT}")
    print(
        fmt(
            "dev   USE+lexical (library defaults)",
            run_ours(dev, embedder, DEFAULT_THRESHOLD, DEFAULT_LEXICAL_WEIGHT),
        )
    )
    start = time.perf_counter()
    test_fig = run_ours(test, CachedEmbedder(), DEFAULT_THRESHOLD, DEFAULT_LEXICAL_WEIGHT)
    elapsed = time.perf_counter() - start
    print(fmt("TEST  USE+lexical (library defaults)", test_fig) + f"   ({elapsed:.1f}s, {len(test)} docs)")
    if not args.quick:
        use_only = max((k for k in grid if k[1] == 0.0), key=lambda k: grid[k])
        print(
            fmt(f"TEST  USE only (dev-best t={use_only[0]:.3f})", run_ours(test, embedder, use_only[0], 0.0))
        )
        tf = {t: run_tfidf(dev, t)[2] for t in np.round(np.arange(0.02, 0.6, 0.02), 3)}
        t_tf = max(tf, key=lambda k: tf[k])
        print(fmt(f"dev   TF-IDF baseline (dev-best t={t_tf:.2f})", run_tfidf(dev, t_tf)))
        print(fmt(f"TEST  TF-IDF baseline (dev-best t={t_tf:.2f})", run_tfidf(test, t_tf)))
        singletons = [str(i) for i in range(len(test))]
        print(fmt("TEST  all singletons", bcubed(singletons, [g for _, g, _ in test])))
        print(
            fmt("TEST  one cluster per topic", bcubed([str(t) for _, _, t in test], [g for _, g, _ in test]))
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
