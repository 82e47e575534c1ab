"""Benchmark: fetch + parse of 200 feeds and 5,000 article pages from loopback outlets.

    .venv/bin/python bench/bench_fetch.py [--feeds 200] [--per-feed 25] [--hosts 8] [--repeat 3]

The pages are generated from the bundled demo corpus (src/essentiel/demo/corpus.jsonl.gz): its 88 real
articles, each page a real article's text in a news-site template (nav, chapô, footer), numbered so that
every URL is distinct. They are served by `tests/loopback.py` servers on several loopback addresses
(127.0.0.2, 127.0.0.3, ...: one outlet each) in a separate process, so the per-host cap works as it would.

Every phase runs in its own fresh process (same imports), so its peak RSS is its own; the baseline and
essentiel's phases alternate, `--repeat` times, and the medians are compared:

  bare      httpx.AsyncClient, same global concurrency, no per-host cap, no checks: download only
  fetcher   essentiel's Fetcher (per-host cap, robots.txt, SSRF/scheme checks, limits, bounded decoding)
  +parse    the same, plus parse_feed of the 200 feeds (what `essentiel fetch` does before the pages)
  extract   extract_article of a sample of the pages, in one process (reported apart: it dominates)

Ratios are given for wall time and for the client's CPU time (user + system), which is less sensitive to
the loopback server being the bottleneck on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import html
import json
import multiprocessing as mp
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from importlib import resources
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

CONCURRENCY = 16  # both clients: requests in flight, all hosts together


def corpus() -> list[dict[str, str]]:
    raw = (resources.files("essentiel.demo") / "corpus.jsonl.gz").read_bytes()
    return [json.loads(line) for line in gzip.decompress(raw).decode().splitlines()]


def article_page(row: dict[str, str], number: int, outlet: str) -> bytes:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in row["text"].split("\n") if p.strip())
    lead = f'<p class="chapo">{html.escape(row["lead"])}</p>' if row.get("lead") else ""
    title = html.escape(f"{row['title']} ({number})")
    return (
        f'<!DOCTYPE html><html lang="{row["language"]}"><head><meta charset="utf-8"><title>{title} - {outlet}</title>'
        f'<link rel="canonical" href="/article/{number}.html"><meta property="og:site_name" content="{outlet}">'
        f'</head><body><nav><a href="/">Accueil</a> <a href="/monde">Monde</a> <a href="/sport">Sport</a></nav>'
        f"<main><article><h1>{title}</h1>{lead}{paragraphs}</article></main><aside><h2>À lire aussi</h2>"
        + "".join(f'<a href="/article/{number + k}.html">Autre article {k}</a>' for k in range(1, 6))
        + f"</aside><footer><p>© {outlet} — Tous droits réservés.</p></footer></body></html>"
    ).encode()


def rss(base: str, numbers: list[int], rows: list[dict[str, str]]) -> bytes:
    when = format_datetime(datetime.now(UTC) - timedelta(hours=1))
    items = "".join(
        f"<item><title>{html.escape(rows[n % len(rows)]['title'])}</title><link>{base}/article/{n}.html</link>"
        f"<guid>{base}/article/{n}.html</guid><pubDate>{when}</pubDate>"
        f"<description>{html.escape(rows[n % len(rows)].get('lead', '')[:300])}</description></item>"
        for n in numbers
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def serve(hosts: int, feeds: int, per_feed: int, conn: Any) -> None:
    """The server process: `hosts` loopback outlets; sends back (feed URLs, page URLs), serves until told."""
    from loopback import LoopbackServer

    rows = corpus()
    servers = [LoopbackServer(host=f"127.0.0.{2 + i}").start() for i in range(hosts)]
    feed_urls, page_urls = [], []
    html_type = {"Content-Type": "text/html; charset=utf-8"}
    for f in range(feeds):
        server = servers[f % hosts]
        numbers = list(range(f * per_feed, (f + 1) * per_feed))
        for n in numbers:
            server.route(
                f"/article/{n}.html", article_page(rows[n % len(rows)], n, server.host), headers=html_type
            )
            page_urls.append(server.url(f"/article/{n}.html"))
        feed_urls.append(
            server.route(
                f"/feed/{f}.xml",
                rss(server.base_url, numbers, rows),
                headers={"Content-Type": "application/rss+xml"},
            )
        )
    # The same order for every client: the n-th item of every feed, feed after feed, so hosts alternate.
    page_urls = [page_urls[f * per_feed + i] for i in range(per_feed) for f in range(feeds)]
    conn.send((feed_urls, page_urls))
    conn.recv()  # stop
    for server in servers:
        server.close()


def _bare(feeds: list[str], pages: list[str]) -> tuple[int, int]:
    import httpx

    async def run() -> tuple[int, int]:
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        async with httpx.AsyncClient(limits=limits, timeout=60) as client:
            gate = asyncio.Semaphore(CONCURRENCY)

            async def get(url: str) -> bytes:
                async with gate:
                    response = await client.get(url)
                    return response.content if response.status_code == 200 else b""

            # Bodies are kept, as fetch_many keeps them: peak memory is then comparable.
            bodies = await asyncio.gather(*(get(u) for u in feeds))
            bodies += await asyncio.gather(*(get(u) for u in pages))
            return sum(1 for b in bodies if b), sum(len(b) for b in bodies)

    return asyncio.run(run())


def _essentiel(feeds: list[str], pages: list[str], parse: bool) -> tuple[int, int]:
    from essentiel.fetch.http import FEED_TYPES, PAGE_TYPES, Fetcher, FetchSettings
    from essentiel.models import Fetched
    from essentiel.sources.feeds import parse_feed

    settings = FetchSettings(concurrency=CONCURRENCY, per_host=2, host_delay=0, allow_private=True)

    async def run() -> tuple[int, int]:
        async with Fetcher(settings) as fetcher:
            got = await fetcher.fetch_many(feeds, accept_types=FEED_TYPES)
            links = 0
            if parse:
                for fetched in got:
                    if isinstance(fetched, Fetched):
                        links += len(await asyncio.to_thread(parse_feed, fetched.content, fetched.url))
                assert links == len(pages), links
            got += await fetcher.fetch_many(pages, accept_types=PAGE_TYPES)
        ok = [g for g in got if isinstance(g, Fetched)]
        return len(ok), sum(len(g.content) for g in ok)

    return asyncio.run(run())


def _extract(pages: list[str], sample: int) -> tuple[int, int]:
    import httpx

    from essentiel.extract.article import extract_article

    bodies = [httpx.get(url).content for url in pages[:sample]]
    done = 0
    for url, body in zip(pages, bodies, strict=False):
        extract_article(body, url)
        done += 1
    return done, sum(len(b) for b in bodies)


def _child(phase: str, args: tuple[Any, ...], conn: Any) -> None:
    import httpx  # noqa: F401  (the same imports in every phase: RSS is then comparable)

    import essentiel.extract.article  # noqa: F401
    import essentiel.fetch.http  # noqa: F401
    import essentiel.sources.feeds  # noqa: F401

    runners: dict[str, Callable[..., tuple[int, int]]] = {
        "bare": _bare,
        "fetcher": _essentiel,
        "extract": _extract,
    }
    runner = runners[phase]
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    count, size = runner(*args)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    conn.send(
        {"seconds": seconds, "cpu": cpu, "count": count, "bytes": size, "peak_mb": after.ru_maxrss / 1024}
    )


def run_phase(phase: str, *args: Any) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_child, args=(phase, args, child))
    process.start()
    result = parent.recv()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--per-feed", type=int, default=25)
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--extract-sample", type=int, default=300)
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(args.hosts, args.feeds, args.per_feed, child), daemon=True)
    server.start()
    feeds, pages = parent.recv()
    total = len(feeds) + len(pages)
    print(
        f"{len(feeds)} feeds, {len(pages)} pages on {args.hosts} loopback hosts; concurrency {CONCURRENCY}, per host 2"
    )
    runs: dict[str, list[dict[str, float]]] = {"bare": [], "fetcher": [], "+parse": []}
    for _ in range(args.repeat):
        runs["bare"].append(run_phase("bare", feeds, pages))
        runs["fetcher"].append(run_phase("fetcher", feeds, pages, False))
        runs["+parse"].append(run_phase("fetcher", feeds, pages, True))
    extract = run_phase("extract", pages, args.extract_sample)
    parent.send("stop")
    server.join(timeout=10)
    med = {name: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for name, rs in runs.items()}
    base = med["bare"]
    print(
        f"{'phase':<9} {'docs':>6} {'MB':>7} {'wall s':>7} {'docs/s':>8} {'cpu s':>6} {'peak RSS MB':>12} {'wall ratio':>11} {'cpu ratio':>10}"
    )
    for name, m in med.items():
        print(
            f"{name:<9} {m['count']:>6.0f} {m['bytes'] / 1e6:>7.1f} {m['seconds']:>7.2f} {m['count'] / m['seconds']:>8.0f}"
            f" {m['cpu']:>6.2f} {m['peak_mb']:>12.0f} {m['seconds'] / base['seconds']:>11.3f} {m['cpu'] / base['cpu']:>10.3f}"
        )
        assert m["count"] == total, f"{name}: {m['count']} of {total} documents"
    e = extract
    print(
        f"extract  {e['count']:>6.0f} pages (sample) {e['count'] / e['cpu']:.0f} pages/s per core (CPU),"
        f" peak RSS {e['peak_mb']:.0f} MB; {len(pages)} pages would take ~{len(pages) * e['cpu'] / e['count']:.0f} CPU s"
    )
    overhead = med["fetcher"]["seconds"] / base["seconds"] - 1
    print(f"fetch overhead vs bare httpx: {overhead:+.1%} wall (aim: under 15%)")


if __name__ == "__main__":
    main()
