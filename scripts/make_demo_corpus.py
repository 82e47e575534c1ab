"""Build the bundled demo corpus (src/essentiel/demo/corpus.jsonl.gz) from two real, openly licensed sets.

- ECB+ (CC BY 3.0): English news from many outlets on the same events (the `ecbplus` half, which has URLs).
- OrangeSum (CC BY-SA 4.0): French news from actu.orange.fr, each with its professionally written chapô.

Run: python scripts/make_demo_corpus.py ../shared/data
Deterministic: the same data gives the same file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from essentiel.evaluation.clustering import detokenize

ECB_EVENTS = {  # event -> how many of its articles to keep (varied sizes, so ranking has work to do)
    "2_ecbplus": 9,
    "4_ecbplus": 6,
    "9_ecbplus": 11,
    "12_ecbplus": 8,
    "24_ecbplus": 5,
    "26_ecbplus": 4,
    "28_ecbplus": 3,
    "34_ecbplus": 7,
    "23_ecbplus": 2,
    "7_ecbplus": 3,
}
FRENCH_DAYS = ("2020-09-21", "2020-09-22", "2020-09-23")  # OrangeSum articles of three consecutive days
DATE_LINE = re.compile(
    r"^\W*(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s*)?(\d{1,2}\s+\w+\s*,?\s*\d{4}|\w+\s+\d{1,2}\s*,\s*\d{4}|\d{4}-\d\d-\d\d)\W*$",
    re.I,
)


MONTH = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|\d+:\d\d", re.I)


def is_dateline(sentence: str) -> bool:
    """'Published: August 2, 2013', 'June 6th, 2013 7:38pm EDT', 'FOR IMMEDIATE RELEASE July 13, 2009'."""
    short = len(sentence.split()) <= 10
    return bool(DATE_LINE.match(sentence) or (short and MONTH.search(sentence)))


def is_title(sentence: str) -> bool:
    """ECB+ documents often open with a dateline or a site banner: the title is the first real sentence."""
    words = sentence.split()
    dated = is_dateline(sentence)
    banner = sentence.isupper() or sentence.lower().startswith("office of the")
    return len(words) >= 4 and not dated and not banner


def article_id(*parts: str) -> str:
    return "a-" + hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:16]


def ecb_articles(folder: Path) -> list[dict[str, object]]:
    docs = [
        json.loads(line)
        for line in gzip.decompress(
            (folder / "clustering/ecbplus-dev/docs.jsonl.gz").read_bytes()
        ).splitlines()
    ]
    by_event: dict[str, list[dict[str, object]]] = defaultdict(list)
    for doc in sorted(docs, key=lambda d: d["doc_id"]):
        if doc["event_cluster"] in ECB_EVENTS and doc.get("source_url"):
            by_event[doc["event_cluster"]].append(doc)
    out = []
    for event, keep in ECB_EVENTS.items():
        for doc in by_event[event][:keep]:
            sentences = [detokenize(s) for s in doc["sentences"]]
            start = next(i for i, s in enumerate(sentences) if is_title(s))
            body = [s for s in sentences[start + 1 :] if not is_dateline(s)]
            out.append(
                {
                    "id": article_id("ecbplus", doc["doc_id"]),
                    "url": doc["source_url"],
                    "title": sentences[start],
                    "lead": "",
                    "text": "\n".join(body),
                    "language": "en",
                    "source": "ECB+ corpus (CC BY 3.0)",
                    "gold_event": event,
                }
            )
    return out


def french_articles(folder: Path) -> list[dict[str, object]]:
    rows = [
        json.loads(line)
        for line in gzip.decompress((folder / "summaries/orangesum-valid.jsonl.gz").read_bytes()).splitlines()
    ]
    picked = sorted((r for r in rows if r["date"] in FRENCH_DAYS), key=lambda r: (r["date"], r["id"]))
    return [
        {
            "id": article_id("orangesum", r["id"]),
            "url": "",  # OrangeSum keeps no article address; the outlet is known
            "outlet": "actu.orange.fr",
            "title": r["title"],
            "lead": r["heading"],
            "text": r["article"],
            "language": "fr",
            "published": r["date"] + "T08:00:00+00:00",
            "site_name": "Orange Actu",
            "source": "OrangeSum corpus (CC BY-SA 4.0)",
        }
        for r in picked
    ]


def main(data: str) -> None:
    folder = Path(data)
    articles = ecb_articles(folder) + french_articles(folder)
    target = Path(__file__).resolve().parent.parent / "src/essentiel/demo/corpus.jsonl.gz"
    with gzip.GzipFile(target, "wb", mtime=0) as raw:
        for article in articles:
            raw.write((json.dumps(article, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
    print(f"{target}: {len(articles)} articles")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
