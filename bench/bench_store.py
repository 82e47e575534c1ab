"""The store on both backends: insert N articles (batches of 500, as an import does), then full-text searches.

    python bench/bench_store.py                       # 20,000 articles, 200 searches
    python bench/bench_store.py --articles 5000 --json

PostgreSQL is ESSENTIEL_TEST_PG_DSN (a superuser URL: a database is created and dropped) or a throwaway
cluster started here (tests/pgcluster.py: initdb into a temp folder, fsync off like the tests; a production
server with fsync on writes slower). Articles are the bundled demo corpus repeated with varied ids and
titles. Both runs happen in the same process, one after the other; the output gives the ratio PG / SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import pgcluster  # noqa: E402
from essentiel.demo import demo_articles  # noqa: E402
from essentiel.models import Article  # noqa: E402
from essentiel.store import PostgresDsn, StoreLocation, open_store  # noqa: E402

QUERIES = ["president", "élections", "séisme victimes", "police", "gouvernement budget", "football", "iran"]


def articles(count: int) -> list[Article]:
    base = demo_articles(datetime.now(UTC))
    return [
        replace(a, id=f"bench-{k}", url=f"{a.url}?copy={k}", title=f"{a.title} ({k})")
        for k, a in ((k, base[k % len(base)]) for k in range(count))
    ]


def measure(location: StoreLocation, rows: list[Article], searches: int) -> dict[str, float]:
    with open_store(location) as store:
        start = time.perf_counter()
        for first in range(0, len(rows), 500):
            store.save_articles(rows[first : first + 500])
        insert = time.perf_counter() - start
        start = time.perf_counter()
        found = 0
        for k in range(searches):
            found += len(store.search(QUERIES[k % len(QUERIES)], limit=20))
        search = time.perf_counter() - start
    return {
        "insert_seconds": round(insert, 3),
        "articles_per_second": round(len(rows) / insert, 1),
        "search_ms": round(1000 * search / searches, 2),
        "hits_per_search": round(found / searches, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = articles(args.articles)
    result: dict[str, Any] = {
        "articles": args.articles,
        "searches": args.searches,
        "load_at_start": os.getloadavg(),
    }
    with tempfile.TemporaryDirectory() as folder:
        result["sqlite"] = measure(Path(folder) / "bench.db", rows, args.searches)
    with pgcluster.server() as admin, pgcluster.fresh_database(admin) as dsn:
        result["postgresql"] = measure(PostgresDsn(dsn), rows, args.searches)
    result["ratio_pg_over_sqlite"] = {
        "insert_seconds": round(
            result["postgresql"]["insert_seconds"] / result["sqlite"]["insert_seconds"], 2
        ),
        "search_ms": round(result["postgresql"]["search_ms"] / result["sqlite"]["search_ms"], 2),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{args.articles} articles, {args.searches} searches (load at start {result['load_at_start'][0]:.2f})"
    )
    for backend in ("sqlite", "postgresql"):
        r = result[backend]
        print(
            f"  {backend:<10} insert {r['insert_seconds']:>7.2f} s ({r['articles_per_second']:>8.1f}/s)"
            f"  search {r['search_ms']:>7.2f} ms  ({r['hits_per_search']} hits)"
        )
    ratio = result["ratio_pg_over_sqlite"]
    print(f"  PG / SQLite: insert x{ratio['insert_seconds']}, search x{ratio['search_ms']}")


if __name__ == "__main__":
    main()
