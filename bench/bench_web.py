"""Web benchmark: how long Today (and a story page) takes to render from a warm store of N articles.

    python bench/bench_web.py                       # 10,000 articles
    python bench/bench_web.py --sizes 10000,100000

The store is the demo's (`essentiel demo --no-serve`, built once into a temporary folder) grown by repetition:
its articles are copied under new ids (text unchanged, fetch times spread over `--days` days), and its edition
is stored again for each of those days, so the store holds N articles and one edition per day. Requests go
through the ASGI app in memory (httpx), each opening the store read-only as in production. Reported: the median
and 95th percentile of each page and of a baseline in the same run, and their ratio; the
issue's target is Today under 100 ms at 100k articles. The baseline is the icon (`/static/favicon.svg`: the
same app and client, no store access); `/healthz` reads the store since it reports the scheduler's health.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from essentiel.demo import build_demo
from essentiel.store import open_store
from essentiel.web import create_app

BASELINE = "/static/favicon.svg"


def grow(source_db: Path, target: Path, articles: int, days: int) -> int:
    """Copy the demo store to `target` and repeat its articles and its edition up to `articles` articles."""
    shutil.copyfile(source_db, target)
    with open_store(target) as store:
        base = store.recent_articles(datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
        edition = store.latest_edition()
        assert edition is not None and base
        now = datetime.now(UTC)
        copies, batch = 0, []
        while len(base) + copies < articles:
            article = base[copies % len(base)]
            batch.append(replace(article, id=f"{article.id}-r{copies}", url=f"{article.url}#r{copies}"))
            copies += 1
            if len(batch) == 2000 or len(base) + copies >= articles:
                when = now - timedelta(days=(copies * days) // max(articles, 1))
                store.save_articles(batch, fetched_at=when)
                batch = []
        for back in range(1, days):
            day = edition.day - timedelta(days=back)
            store.save_edition(
                replace(edition, day=day, created_at=edition.created_at - timedelta(days=back))
            )
        return store.count("articles")


async def measure(db: Path, paths: list[str], rounds: int) -> dict[str, list[float]]:
    app = create_app(db)
    timings: dict[str, list[float]] = {path: [] for path in paths}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for path in paths:  # warm: templates compiled, pages in the OS cache
            assert (await client.get(path)).status_code == 200, path
        for _ in range(rounds):
            for path in paths:
                start = time.perf_counter()
                response = await client.get(path)
                timings[path].append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
    return timings


def report(size: int, timings: dict[str, list[float]]) -> None:
    base = statistics.median(timings[BASELINE])
    print(f"\n{size:,} articles")
    print(f"  {'page':<34} {'median ms':>10} {'p95 ms':>8} {'× baseline':>10}")
    for path, values in timings.items():
        median = statistics.median(values)
        p95 = sorted(values)[int(len(values) * 0.95) - 1]
        print(f"  {path[:34]:<34} {median:>10.2f} {p95:>8.2f} {median / base:>10.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000", help="comma-separated article counts")
    parser.add_argument("--days", type=int, default=30, help="days of editions")
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        demo = Path(folder) / "demo"
        build_demo(demo)
        with open_store(demo / "essentiel.db", readonly=True) as store:
            edition = store.latest_edition()
            assert edition is not None
            story = edition.stories[0].story.id
        for size in (int(s) for s in args.sizes.split(",")):
            db = Path(folder) / f"bench-{size}.db"
            start = time.perf_counter()
            total = grow(demo / "essentiel.db", db, size, args.days)
            print(
                f"store of {total:,} articles and {args.days} editions built in {time.perf_counter() - start:.0f} s"
            )
            paths = [BASELINE, "/healthz", "/", f"/story/{story}", "/api/editions/latest", "/search?q=oscars",
                     "/feed.xml", "/archive", "/sources"]  # fmt: skip
            report(total, asyncio.run(measure(db, paths, args.rounds)))


if __name__ == "__main__":
    main()
