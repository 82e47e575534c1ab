"""`essentiel eval summaries`: ROUGE on OrangeSum, redundancy and a hand-check sample on ECB+ events.

**OrangeSum** (`summaries/orangesum-valid.jsonl.gz`, 2,820 French articles with their chapô): each article is
summarised alone (a story of one article, no lead given, `max_words` 40) and scored with ROUGE-1/2/L F1
against the chapô (`heading`). Tokens: lower case, runs of letters and digits (accented letters kept; the
`rouge-score` package's tokenizer would drop them). Baselines in the same run: Lead-1 and Lead-2 (the first one
or two sentences, whole) and the lead cut to the same word budget.
Split of the validation file by position: **dev** = documents 1000-1999 (all tuning was done there), **test**
= documents 0-999 and 2000-2819. `--split all` reports both.

**ECB+** (`clustering/ecbplus-dev/docs.jsonl.gz`): each gold event (topic + ecb/ecbplus sub-topic) is a story
of its documents; its multi-document summary (`max_words` 60, English) is checked for redundancy: the share
of pairs of summary sentences with cosine > 0.8. The first sentence of 20 event summaries is printed for a
person to read. dev = topics 1-20, test = topics 21-35 (as for clustering).
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from essentiel.evaluation.clustering import detokenize
from essentiel.models import Article, Story
from essentiel.nlp import split_sentences
from essentiel.stories.embed import default_embedder
from essentiel.summarize.extractive import ExtractiveSummarizer

logger = logging.getLogger(__name__)

ORANGESUM = Path("summaries/orangesum-valid.jsonl.gz")
ECBPLUS = Path("clustering/ecbplus-dev/docs.jsonl.gz")
DEV_RANGE = range(1000, 2000)
ORANGESUM_WORDS = 40
ECB_WORDS = 60
REDUNDANT_COSINE = 0.8
SAMPLE_EVENTS = 20
_TOKEN = re.compile(r"[^\W_]+")
Scores = tuple[float, float, float]


def tokens(text: str) -> list[str]:
    """French-aware ROUGE tokens: lower case, letters (accents kept) and digits."""
    return _TOKEN.findall(text.lower())


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


def rouge(pred: str, ref: str) -> Scores:
    """ROUGE-1, ROUGE-2 and ROUGE-L F1 (0-1) of one summary."""
    p, r = tokens(pred), tokens(ref)
    return rouge_n(p, r, 1), rouge_n(p, r, 2), _f1(lcs(p, r), len(p), len(r))


def lead(text: str, sentences: int | None = None, max_words: int | None = None) -> str:
    """The first `sentences` sentences, or the first sentences within `max_words` (one cut sentence at least)."""
    out: list[str] = []
    used = 0
    for sentence in split_sentences(text, "fr"):
        n = len(tokens(sentence))
        if sentences is not None and len(out) >= sentences:
            break
        if max_words is not None and out and used + n > max_words:
            break
        if max_words is not None and n > max_words:
            sentence = " ".join(sentence.split()[:max_words])
        out.append(sentence)
        used += n
    return " ".join(out)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def orangesum_split(docs: Sequence[dict[str, Any]], split: str) -> list[dict[str, Any]]:
    if split == "all":
        return list(docs)
    dev = split == "dev"
    return [d for i, d in enumerate(docs) if (i in DEV_RANGE) == dev]


def _mean(rows: Sequence[Scores]) -> list[float]:
    return [round(100 * sum(r[k] for r in rows) / max(len(rows), 1), 2) for k in range(3)]


def eval_orangesum(docs: Sequence[dict[str, Any]], summarizer: ExtractiveSummarizer) -> dict[str, Any]:
    systems: dict[str, list[Scores]] = {"essentiel": [], "lead-1": [], "lead-2": [], "lead-40-words": []}
    words = sentences = 0
    for doc in docs:
        article = Article(id=doc["id"], url="", title=doc["title"], text=doc["article"], language="fr")
        summary = summarizer.summarize(
            Story(id=doc["id"], article_ids=(doc["id"],)), [article], max_words=ORANGESUM_WORDS
        )
        ref = doc["heading"]
        systems["essentiel"].append(rouge(summary.text, ref))
        systems["lead-1"].append(rouge(lead(doc["article"], sentences=1), ref))
        systems["lead-2"].append(rouge(lead(doc["article"], sentences=2), ref))
        systems["lead-40-words"].append(rouge(lead(doc["article"], max_words=ORANGESUM_WORDS), ref))
        words += len(tokens(summary.text))
        sentences += len(summary.sentences)
    n = max(len(docs), 1)
    return {
        "documents": len(docs),
        "mean_words": round(words / n, 1),
        "mean_sentences": round(sentences / n, 2),
        "rouge": {
            name: dict(zip(("r1", "r2", "rl"), _mean(rows), strict=True)) for name, rows in systems.items()
        },
    }


def ecb_events(docs: Iterable[dict[str, Any]], split: str) -> dict[str, list[Article]]:
    events: dict[str, list[Article]] = {}
    for doc in docs:
        topic = int(doc["topic"])
        if (split == "dev" and topic > 20) or (split == "test" and topic <= 20):
            continue
        lines = [detokenize(s) for s in doc["sentences"]]
        article = Article(
            id=doc["doc_id"],
            url=doc.get("source_url") or "",
            title=lines[0] if lines else "",
            text="\n".join(lines[1:]),
            language="en",
            outlet=doc["doc_id"],
        )
        events.setdefault(doc["event_cluster"], []).append(article)
    return dict(sorted(events.items(), key=lambda kv: (int(kv[0].split("_")[0]), kv[0])))


def eval_ecb(
    events: dict[str, list[Article]], summarizer: ExtractiveSummarizer, show: int = SAMPLE_EVENTS
) -> dict[str, Any]:
    pairs = redundant = 0
    sample: list[dict[str, str]] = []
    embedder = default_embedder()
    for event, articles in events.items():
        story = Story(id=event, article_ids=tuple(sorted(a.id for a in articles)))
        summary = summarizer.summarize(story, articles, language="en", max_words=ECB_WORDS)
        texts = [s.text for s in summary.sentences]
        if len(texts) > 1:
            vectors = np.asarray(embedder.encode(texts), dtype=np.float64)
            for i, j in combinations(range(len(texts)), 2):
                pairs += 1
                redundant += float(vectors[i] @ vectors[j]) > REDUNDANT_COSINE
        if texts and len(sample) < show:
            source = next(a for a in articles if a.id == summary.sentences[0].article)
            sample.append(
                {
                    "event": event,
                    "title": summary.title,
                    "first_sentence": texts[0],
                    "article": source.id,
                    "article_title": source.title,
                }
            )
    return {
        "events": len(events),
        "sentence_pairs": pairs,
        "redundancy_rate": round(redundant / pairs, 4) if pairs else 0.0,
        "sample": sample,
    }


def _print(result: dict[str, Any]) -> None:
    for split, figures in result["orangesum"].items():
        print(
            f"OrangeSum {split}: {figures['documents']} documents, max_words {ORANGESUM_WORDS}, "
            f"essentiel {figures['mean_words']} words / {figures['mean_sentences']} sentences on average"
        )
        print(f"  {'system':<16} {'ROUGE-1':>8} {'ROUGE-2':>8} {'ROUGE-L':>8}")
        for name, r in figures["rouge"].items():
            print(f"  {name:<16} {r['r1']:>8.2f} {r['r2']:>8.2f} {r['rl']:>8.2f}")
    print("  (published abstractive systems, OrangeSum test split: BARThez R-1 31.4, mBARThez R-1 32.7)")
    ecb = result["ecbplus"]
    print(
        f"ECB+ {ecb['split']}: {ecb['events']} events, {ecb['sentence_pairs']} summary sentence pairs, "
        f"redundancy rate (cosine > {REDUNDANT_COSINE}) {ecb['redundancy_rate']:.2%}"
    )
    if ecb["sample"]:
        print(
            "  first sentence of each event's summary, to check by hand (event, story title, sentence, article):"
        )
    for row in ecb["sample"]:
        print(
            f"  {row['event']:<12} {row['title']}\n  {'':<12} > {row['first_sentence']}  [{row['article']}]"
        )


def run(
    data: Path, *, limit: int | None, split: str, as_json: bool, show: int = SAMPLE_EVENTS
) -> dict[str, Any]:
    """Print (or print as JSON) and return the figures; `limit` caps the documents of each split, `show` the
    ECB+ events whose first summary sentence is printed for a hand check."""
    start = time.perf_counter()
    summarizer = ExtractiveSummarizer()
    docs = _read_jsonl(data / ORANGESUM)
    splits = ["dev", "test"] if split == "all" else [split]
    result: dict[str, Any] = {"orangesum": {}}
    for name in splits:
        part = orangesum_split(docs, name)[:limit]
        result["orangesum"][name] = eval_orangesum(part, summarizer)
    events = ecb_events(_read_jsonl(data / ECBPLUS), split)
    if limit is not None:
        events = dict(list(events.items())[:limit])
    result["ecbplus"] = {"split": split, **eval_ecb(events, summarizer, show)}
    result["seconds"] = round(time.perf_counter() - start, 1)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print(result)
    return result
