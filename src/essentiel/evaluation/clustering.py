"""`essentiel eval clustering`: BCubed and pairwise scores on ECB+, a TF-IDF baseline, each signal alone, and
cross-lingual pair accuracy on the hand-written French-English pairs of tests/fixtures/crosslingual.

ECB+ (data/clustering/ecbplus-dev): topics 1-20 are the dev split (every weight and threshold was chosen there),
topics 21-35 the held-out test split. Each topic holds two real events of the same kind, so a split tests both
joining same-event articles and separating look-alikes. All documents of a split are clustered together.
The baseline's and each single signal's thresholds are picked on dev in the same run, then applied to test.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from essentiel.errors import InputError
from essentiel.models import Article
from essentiel.stories.cluster import (
    DEFAULT_PARAMS,
    average_link_labels,
    cluster_articles,
    copies_map,
    lexical_similarity,
    run_online,
)
from essentiel.stories.embed import CachedEmbedder, Embedder
from essentiel.stories.online import OnlineClusterer, Params
from essentiel.stories.signals import Lexicon, Signals, compute_signals
from essentiel.stories.text import lexical_text

logger = logging.getLogger(__name__)

ECB = Path("clustering/ecbplus-dev/docs.jsonl.gz")
SPLITS = {"dev": range(1, 21), "test": range(21, 36)}
EVENTS = Path(__file__).resolve().parents[3] / "tests/fixtures/crosslingual/events.jsonl"
GRID = [round(float(t), 3) for t in np.arange(0.05, 0.80, 0.025)]
SIGNALS: dict[str, dict[str, Any]] = {
    "embedding only": {"word_weight": 0.0, "name_weight": 0.0},
    "words only": {"use_weight": 0.0, "name_weight": 0.0},
    "names only": {"use_weight": 0.0, "word_weight": 0.0},
}
Doc = tuple[Article, str, int]


def detokenize(text: str) -> str:
    """ECB+ sentences are tokenized ('Reid 's rep , he said .'): put the spaces back as in print.

    The one detokenizer of the ECB+ text, for the clustering and summary evaluations and the demo corpus."""
    text = text.replace("``", '"').replace("''", '"')
    text = re.sub(r"\s+([,.;:!?%)\]}])", r"\1", text)
    text = re.sub(r"([(\[{$])\s+", r"\1", text)
    text = re.sub(r"\s+(n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", text)
    text = re.sub(r"(\w)\s+-\s+(\w)", r"\1-\2", text)
    text = re.sub(r"(\d)([.:])\s+(\d)", r"\1\2\3", text)
    text = re.sub(r"\s+’\s+(s|re|ve|ll|d|m)\b", r"’\1", text)
    text = re.sub(r"\"\s+(.*?)\s+\"", r'"\1"', text)
    return re.sub(r"\s{2,}", " ", text).strip()


def load_ecb(path: Path) -> list[Doc]:
    """(article, gold event, topic): the first sentence is the title, the rest the body."""
    if not path.is_file():
        raise InputError(f"{path}: no such file (the ECB+ documents)")
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
    n = len(pred)
    p_sum = r_sum = 0.0
    for i in range(n):
        same_pred = {j for j in range(n) if pred[j] == pred[i]}
        same_gold = {j for j in range(n) if gold[j] == gold[i]}
        both = len(same_pred & same_gold)
        p_sum += both / len(same_pred)
        r_sum += both / len(same_gold)
    p, r = p_sum / n, r_sum / n
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def pairwise(pred: Sequence[str], gold: Sequence[str]) -> float:
    tp = fp = fn = 0
    for i in range(len(pred)):
        for j in range(i + 1, len(pred)):
            same_p, same_g = pred[i] == pred[j], gold[i] == gold[j]
            tp += same_p and same_g
            fp += same_p and not same_g
            fn += same_g and not same_p
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def scores(pred: Sequence[str], gold: Sequence[str]) -> dict[str, float]:
    p, r, f = bcubed(pred, gold)
    return {
        "P": round(p, 4),
        "R": round(r, 4),
        "F1": round(f, 4),
        "pairwise_F1": round(pairwise(pred, gold), 4),
    }


@dataclass(frozen=True)
class Prepared:
    """A document set's signals, copies and lexicon, computed once and re-clustered with many settings."""

    ids: tuple[str, ...]
    signals: tuple[Signals, ...]
    copies: dict[str, str]
    lexicon: Lexicon


def prepare(docs: Sequence[Doc], embedder: Embedder) -> Prepared:
    articles = sorted((a for a, _, _ in docs), key=lambda a: a.id)
    signals = compute_signals(articles, embedder)
    lexicon = Lexicon()
    for s in signals:
        lexicon.add(s)
    return Prepared(tuple(a.id for a, _, _ in docs), tuple(signals), copies_map(articles), lexicon)


def ours(prepared: Prepared, params: Params) -> list[str]:
    """The same steps as `cluster_articles`, on prepared signals."""
    clusterer = run_online(prepared.signals, prepared.copies, OnlineClusterer(prepared.lexicon, params))
    return [clusterer.story_of[i] for i in prepared.ids]


def tfidf_baseline(docs: Sequence[Doc], threshold: float) -> list[str]:
    sim = lexical_similarity([lexical_text(a) for a, _, _ in docs])
    return [str(x) for x in average_link_labels(sim, threshold)]


def _dev_best(fn: Any, gold: Sequence[str]) -> float:
    return max(GRID, key=lambda t: (bcubed(fn(t), gold)[2], -t))


def headlines(docs: Sequence[Doc]) -> list[Doc]:
    """The documents reduced to their title (first sentence): what a headline stream or a bare feed gives."""
    return [(replace(a, text=""), g, t) for a, g, t in docs]


def dev_thresholds(docs: Sequence[Doc], embedder: Embedder) -> dict[str, float]:
    """The baseline's and each single signal's best threshold on the dev topics."""
    dev = [d for d in docs if d[2] in SPLITS["dev"]]
    gold = [g for _, g, _ in dev]
    prepared = prepare(dev, embedder)
    best = {"tfidf_average_link": _dev_best(lambda x: tfidf_baseline(dev, x), gold)}
    best["tfidf_average_link (headlines only)"] = _dev_best(lambda x: tfidf_baseline(headlines(dev), x), gold)
    for name, weights in SIGNALS.items():
        base = replace(DEFAULT_PARAMS, **weights)
        best[name] = _dev_best(lambda x, b=base: ours(prepared, replace(b, threshold=x)), gold)
    return best


def evaluate_ecb(
    docs: Sequence[Doc], split: str, embedder: Embedder, chosen: dict[str, float]
) -> dict[str, Any]:
    """Figures for one split, with thresholds chosen on dev (`dev_thresholds`)."""
    rows = [d for d in docs if d[2] in SPLITS[split]]
    gold = [g for _, g, _ in rows]
    start = time.perf_counter()
    prepared = prepare(rows, embedder)
    out: dict[str, Any] = {"documents": len(rows), "essentiel": scores(ours(prepared, DEFAULT_PARAMS), gold)}
    out["essentiel"]["seconds"] = round(time.perf_counter() - start, 1)
    t = chosen["tfidf_average_link"]
    out["tfidf_average_link"] = {"threshold": t, **scores(tfidf_baseline(rows, t), gold)}
    for name, weights in SIGNALS.items():
        params = replace(DEFAULT_PARAMS, **weights, threshold=chosen[name])
        out[name] = {"threshold": chosen[name], **scores(ours(prepared, params), gold)}
    short = headlines(rows)
    out["essentiel (headlines only)"] = scores(ours(prepare(short, embedder), DEFAULT_PARAMS), gold)
    t = chosen["tfidf_average_link (headlines only)"]
    out["tfidf_average_link (headlines only)"] = {"threshold": t, **scores(tfidf_baseline(short, t), gold)}
    out["all_singletons"] = scores([str(i) for i in range(len(rows))], gold)
    out["one_per_topic"] = scores([str(tp) for _, _, tp in rows], gold)
    return out


def crosslingual_pairs(path: Path) -> list[dict[str, Any]]:
    """Each event's French and English reports (same), and French with its look-alike's English (different)."""
    events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    same = [{"fr": e["fr"], "en": e["en"], "same": True} for e in events]
    other = [{"fr": e["fr"], "en": events[k ^ 1]["en"], "same": False} for k, e in enumerate(events)]
    return same + other


def crosslingual(path: Path, embedder: Embedder, titles_only: bool = False) -> dict[str, Any]:
    """Accuracy of 'same event?' on French-English pairs: joined in one story iff labelled same."""
    pairs = crosslingual_pairs(path)
    correct = {True: 0, False: 0}
    total = {True: 0, False: 0}
    for k, pair in enumerate(pairs):
        items = [
            Article(
                id=f"{k}-{lang}",
                url="",
                title=pair[lang]["title"],
                text="" if titles_only else pair[lang]["text"],
                language=lang,
            )
            for lang in ("fr", "en")
        ]
        joined = len(cluster_articles(items, embedder=embedder)) == 1
        total[pair["same"]] += 1
        correct[pair["same"]] += joined == pair["same"]
    n = sum(total.values())
    return {
        "pairs": n,
        "accuracy": round(sum(correct.values()) / n, 4) if n else 0.0,
        "same_event_joined": f"{correct[True]}/{total[True]}",
        "different_events_apart": f"{correct[False]}/{total[False]}",
    }


def _print(figures: dict[str, Any]) -> None:
    for split, block in figures.get("ecb", {}).items():
        print(f"ECB+ {split} ({block['documents']} documents)")
        for name, row in block.items():
            if isinstance(row, dict):
                extra = f"  (dev-best threshold {row['threshold']})" if "threshold" in row else ""
                print(
                    f"  {name:<36} P {row['P']:.3f}  R {row['R']:.3f}  F1 {row['F1']:.3f}"
                    f"  pairwise F1 {row['pairwise_F1']:.3f}{extra}"
                )
    for key, label in (
        ("crosslingual", "cross-lingual pairs"),
        ("crosslingual_headlines", "  headlines only"),
    ):
        cl = figures[key]
        print(
            f"{label}: accuracy {cl['accuracy']:.3f} over {cl['pairs']} pairs (same event joined"
            f" {cl['same_event_joined']}, different events apart {cl['different_events_apart']})"
        )


def run(data: Path, *, limit: int | None, split: str, as_json: bool) -> dict[str, Any]:
    docs = load_ecb(data / ECB)
    if limit is not None:
        docs = docs[:limit]
    embedder = CachedEmbedder()
    splits = ["dev", "test"] if split == "all" else [split]
    chosen = dev_thresholds(docs, embedder)
    figures: dict[str, Any] = {"ecb": {s: evaluate_ecb(docs, s, embedder, chosen) for s in splits}}
    figures["crosslingual"] = crosslingual(EVENTS, embedder)
    figures["crosslingual_headlines"] = crosslingual(EVENTS, embedder, titles_only=True)
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        _print(figures)
    return figures
