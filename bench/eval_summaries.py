"""Extractive summaries on OrangeSum (../shared/data/summaries/orangesum-valid.jsonl.gz).

ROUGE-1/2/L F1 against the professionally written chapô (`heading`), French tokenisation (lowercase, accented
letters kept), each article summarised alone (a story of one article, no lead given), compared with a lead
baseline (the first sentences, up to the same number of words) in the same run.
The summariser's weights were set on documents 1000-1299 (--offset 1000 --limit 300); report documents 0-499.

    .venv/bin/python bench/eval_summaries.py [--limit 500] [--offset 0] [--max-words 40]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from essentiel.models import Article, Story
from essentiel.nlp import split_sentences
from essentiel.summarize.extractive import ExtractiveSummarizer

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/summaries/orangesum-valid.jsonl.gz"


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _f1(overlap: int, n_pred: int, n_ref: int) -> float:
    if not overlap or not n_pred or not n_ref:
        return 0.0
    p, r = overlap / n_pred, overlap / n_ref
    return 2 * p * r / (p + r)


def rouge_n(pred: Sequence[str], ref: Sequence[str], n: int) -> float:
    grams_p = Counter(tuple(pred[i : i + n]) for i in range(len(pred) - n + 1))
    grams_r = Counter(tuple(ref[i : i + n]) for i in range(len(ref) - n + 1))
    return _f1(sum((grams_p & grams_r).values()), sum(grams_p.values()), sum(grams_r.values()))


def lcs(a: Sequence[str], b: Sequence[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l(pred: Sequence[str], ref: Sequence[str]) -> float:
    return _f1(lcs(pred, ref), len(pred), len(ref))


def scores(pred: str, ref: str) -> tuple[float, float, float]:
    p, r = tokens(pred), tokens(ref)
    return rouge_n(p, r, 1), rouge_n(p, r, 2), rouge_l(p, r)


def lead_baseline(text: str, max_words: int) -> str:
    out: list[str] = []
    used = 0
    for sentence in split_sentences(text, "fr"):
        n = len(tokens(sentence))
        if out and used + n > max_words:
            break
        out.append(sentence if n <= max_words else " ".join(sentence.split()[:max_words]))
        used += n
    return " ".join(out)


def load(path: Path, offset: int, limit: int) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        docs = [json.loads(line) for line in fh]
    return docs[offset : offset + limit]


def mean(rows: list[tuple[float, float, float]]) -> tuple[float, ...]:
    return tuple(100 * sum(r[k] for r in rows) / len(rows) for k in range(3))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--max-words", type=int, default=40)
    args = parser.parse_args()
    docs = load(args.data, args.offset, args.limit)
    summarizer = ExtractiveSummarizer()
    ours, lead, words, sentences = [], [], 0, 0
    start = time.perf_counter()
    for doc in docs:
        article = Article(id=doc["id"], url="", title=doc["title"], text=doc["article"], language="fr")
        summary = summarizer.summarize(
            Story(id=doc["id"], article_ids=(doc["id"],)), [article], max_words=args.max_words
        )
        ours.append(scores(summary.text, doc["heading"]))
        lead.append(scores(lead_baseline(doc["article"], args.max_words), doc["heading"]))
        words += len(tokens(summary.text))
        sentences += len(summary.sentences)
    elapsed = time.perf_counter() - start
    n = len(docs)
    print(
        f"OrangeSum valid docs {args.offset}-{args.offset + n - 1} ({n}), max_words {args.max_words}, {elapsed:.1f}s"
    )
    print(f"summaries: {words / n:.1f} words, {sentences / n:.2f} sentences on average")
    for name, rows in (("extractive (essentiel)", ours), ("lead baseline", lead)):
        r1, r2, rl = mean(rows)
        print(f"{name:<24} ROUGE-1 {r1:5.2f}  ROUGE-2 {r2:5.2f}  ROUGE-L {rl:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
