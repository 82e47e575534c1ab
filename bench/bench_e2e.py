"""End-to-end benchmark: a simulated busy day served from loopback, through the whole pipeline.

    python bench/bench_e2e.py --articles 5000 --feeds 100          # one size
    python bench/bench_e2e.py --sizes 5000,20000 --write docs/benchmarks.md

The day is real text multiplied with perturbation (this is said in the output): ECB+ and OrangeSum documents from
../shared/data (or, without it, the bundled demo corpus), grouped into stories of skewed sizes; each article of a
story is its base document with sentences dropped and reordered past the opening, a different outlet and a
varied title; 15% of articles are verbatim wire copies. Pages and feeds are served by HTTP servers on several
loopback addresses in a separate process, so the servers do not compete for the benchmark's interpreter.

Measured: wall time and articles/s of each stage (fetch+extract+store, stories+rank+summaries, publish), the whole
day's wall time, the mean extraction time per page (from the stage latencies the store records for /metrics), peak
memory (ru_maxrss of a fresh process per size, so each size has its own peak), and one incremental pass adding 1,000
new articles. The targets of issue #8 are checked: the day in under 10 minutes and 2 GB, the incremental pass in
under 30 s. `--write docs/benchmarks.md` replaces the table between the `<!-- e2e:begin -->` and
`<!-- e2e:end -->` markers of that file and keeps the rest.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import html
import json
import multiprocessing
import os
import pstats
import random
import resource
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

HOSTS = [f"127.0.0.{i}" for i in range(2, 10)]
SIZES = [1, 1, 1, 1, 2, 2, 3, 4, 6, 10, 16, 30]
NOW = datetime.now(UTC)


def base_documents(data: Path) -> list[dict[str, str]]:
    """Real news documents: ECB+ and OrangeSum when the development sets are there, else the demo corpus."""
    docs: list[dict[str, str]] = []
    ecb = data / "clustering/ecbplus-dev/docs.jsonl.gz"
    orange = data / "summaries/orangesum-valid.jsonl.gz"
    if ecb.exists() and orange.exists():
        for line in gzip.decompress(ecb.read_bytes()).splitlines():
            row = json.loads(line)
            sentences = [s.replace(" ,", ",").replace(" .", ".") for s in row["sentences"]]
            if len(sentences) > 3:
                docs.append({"title": sentences[0], "text": "\n".join(sentences[1:]), "lang": "en"})
        for line in gzip.decompress(orange.read_bytes()).splitlines():
            row = json.loads(line)
            text = row["article"].replace(". ", ".\n")
            docs.append({"title": row["title"], "text": text, "lang": "fr", "lead": row["heading"]})
        return docs
    raw = (resources.files("essentiel.demo") / "corpus.jsonl.gz").read_bytes()
    for line in gzip.decompress(raw).splitlines():
        row = json.loads(line)
        docs.append(
            {"title": row["title"], "text": row["text"], "lang": row["language"], "lead": row.get("lead", "")}
        )
    return docs


@dataclass(frozen=True)
class Page:
    host: str
    path: str
    title: str
    html: bytes


def perturb(doc: dict[str, str], rng: random.Random) -> tuple[str, str]:
    lines = [line for line in doc["text"].split("\n") if line.strip()]
    head, tail = lines[:2], lines[2:]
    rng.shuffle(tail)
    tail = [line for line in tail if rng.random() > 0.25]
    title = (
        doc["title"]
        if rng.random() < 0.5
        else rng.choice(["Live: ", "Update: ", "En direct : ", ""]) + doc["title"]
    )
    return title, "\n".join(head + tail)


def render(title: str, text: str, doc: dict[str, str], outlet: str) -> bytes:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n"))
    lead = f'<p class="chapo">{html.escape(doc["lead"])}</p>' if doc.get("lead") else ""
    return (
        f'<!DOCTYPE html><html lang="{doc["lang"]}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta property="og:site_name" content="{outlet}"></head><body><nav><a href="/">Home</a></nav><main><article>'
        f"<h1>{html.escape(title)}</h1>{lead}{body}</article></main><footer>© {outlet}</footer></body></html>"
    ).encode()


def make_day(articles: int, seed: int, data: Path, offset: int = 0) -> list[Page]:
    """`articles` pages on the loopback hosts, grouped in stories of skewed sizes, 15% wire copies."""
    rng = random.Random(seed)
    docs = base_documents(data)
    pages: list[Page] = []
    while len(pages) < articles:
        doc = rng.choice(docs)
        previous = ""
        for _ in range(min(rng.choice(SIZES), articles - len(pages))):
            index = offset + len(pages)
            host = HOSTS[index % len(HOSTS)]
            title, text = perturb(doc, rng)
            content = previous if previous and rng.random() < 0.15 else render(title, text, doc, host)
            previous = content
            pages.append(Page(host, f"/p/{index}.html", title, content))
    return pages


def feeds_of(pages: list[Page], feeds: int) -> dict[tuple[str, str], bytes]:
    """Round-robin the pages into `feeds` RSS feeds, each on its pages' host."""
    grouped: dict[tuple[str, str], list[Page]] = {}
    for i, page in enumerate(pages):
        key = (page.host, f"/feed/{i % feeds}.xml")
        grouped.setdefault(key, []).append(page)
    out = {}
    for (host, path), items in grouped.items():
        entries = "".join(
            f"<item><title>{html.escape(p.title)}</title><link>http://{p.host}:{{port}}{p.path}</link>"
            f"<pubDate>{format_datetime(NOW - timedelta(minutes=i % 600))}</pubDate></item>"
            for i, p in enumerate(items)
        )
        out[(host, path)] = (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{entries}</channel></rss>'.encode()
        )
    return out


def serve(routes: dict[tuple[str, str], bytes], port: int, ready: multiprocessing.synchronize.Event) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            host = self.server.server_address[0]
            body = routes.get((str(host), self.path))
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            body = body.replace(b"{port}", str(port).encode())
            kind = "application/rss+xml" if self.path.startswith("/feed/") else "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    servers = [ThreadingHTTPServer((host, port), Handler) for host in HOSTS]
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ready.set()
    threading.Event().wait()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_size(articles: int, feeds: int, data: Path, incremental: int) -> dict[str, float]:
    from essentiel.config import load_config
    from essentiel.ingest import fetch_due
    from essentiel.pipeline import build_edition, publish
    from essentiel.store import open_store

    pages = make_day(articles + incremental, seed=articles, data=data)
    day, extra = pages[:articles], pages[articles:]
    routes = {(p.host, p.path): p.html for p in pages} | feeds_of(day, feeds)
    port = 18000 + articles % 1000
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(routes, port, ready), daemon=True)
    server.start()
    ready.wait(60)
    figures: dict[str, float] = {"articles": articles, "feeds": feeds, "incremental_n": incremental}
    with tempfile.TemporaryDirectory() as folder:
        env = {
            "ESSENTIEL_GENERAL_DATABASE": f"{folder}/e.db",
            "ESSENTIEL_OUTPUTS_SITE_DIR": f"{folder}/site",
            "ESSENTIEL_FETCH_ALLOW_PRIVATE": "true",
            "ESSENTIEL_FETCH_RESPECT_ROBOTS": "false",
            "ESSENTIEL_FETCH_HOST_DELAY": "0",
            "ESSENTIEL_FETCH_PER_HOST": "4",
            "ESSENTIEL_FETCH_CONCURRENCY": "32",
            "ESSENTIEL_EDITION_WINDOW_HOURS": "48",
        }
        config = load_config(None, env=env)
        from essentiel.models import Source

        with open_store(config.database) as store:
            for host, path in sorted(k for k in routes if k[1].startswith("/feed/")):
                store.add_source(Source(url=f"http://{host}:{port}{path}", name=f"{host}{path}"))
            figures.update(timed("fetch", lambda: fetch_due(store, config, embed_ahead=True), articles))
            figures["stored"] = store.count("articles")
            figures.update(timed("stories+rank+summaries", lambda: build_edition(store, config), articles))
            figures.update(timed("publish", lambda: publish(store, config), articles))
            figures["peak_mb"] = peak_mb()
            extract = {t.stage: t for t in store.stage_timings()}.get("extract")
            figures["extract_ms"] = 1000 * extract.total_seconds / extract.count if extract else float("nan")
            if incremental:
                server.terminate()
                routes |= {k: v for k, v in feeds_of(day + extra, feeds).items()}
                ready = multiprocessing.Event()
                server = multiprocessing.Process(target=serve, args=(routes, port, ready), daemon=True)
                server.start()
                ready.wait(60)
                store.db.conn.execute(
                    "UPDATE sources SET next_check_at = NULL, etag = NULL, last_modified = NULL"
                )
                profiler = cProfile.Profile() if os.environ.get("BENCH_E2E_PROFILE") else None
                if profiler:
                    profiler.enable()
                start = time.perf_counter()
                fetch_due(store, config, embed_ahead=True)  # as the service's pass does
                middle = time.perf_counter()
                build_edition(store, config)
                end = time.perf_counter()
                figures["incremental_s"] = end - start
                figures["incremental_fetch_s"], figures["incremental_build_s"] = middle - start, end - middle
                if profiler:
                    profiler.disable()
                    pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(45)
    server.terminate()
    return figures


def timed(stage: str, work: object, articles: int) -> dict[str, float]:
    start = time.perf_counter()
    work()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    return {f"{stage}_s": seconds, f"{stage}_per_s": articles / seconds if seconds else 0.0}


DAY_TARGET_S, MEMORY_TARGET_MB, INCREMENTAL_TARGET_S = 600, 2048, 30


def table(rows: list[dict[str, float]]) -> str:
    lines = [
        "| articles | feeds | stored | fetch+extract+store s (art/s) | extract ms/page | stories+rank+summaries s"
        f" | publish s | day s | peak MB | incremental +{rows[0]['incremental_n'] if rows else 0:,.0f} s (fetch + edition)"
        " | targets |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        day = r["fetch_s"] + r["stories+rank+summaries_s"] + r["publish_s"]
        incremental = r.get("incremental_s", float("nan"))
        missed = [
            name
            for name, ok in (
                ("day", day < DAY_TARGET_S),
                ("memory", r["peak_mb"] < MEMORY_TARGET_MB),
                ("incremental", incremental < INCREMENTAL_TARGET_S),
            )
            if not ok
        ]
        lines.append(
            f"| {r['articles']:.0f} | {r['feeds']:.0f} | {r['stored']:.0f} | {r['fetch_s']:.1f} ({r['fetch_per_s']:.0f})"
            f" | {r.get('extract_ms', float('nan')):.0f} | {r['stories+rank+summaries_s']:.1f} | {r['publish_s']:.1f}"
            f" | {day:.0f} | {r['peak_mb']:.0f} | {incremental:.1f} ({r.get('incremental_fetch_s', float('nan')):.1f}"
            f" + {r.get('incremental_build_s', float('nan')):.1f}) | {'met' if not missed else 'missed: ' + ', '.join(missed)} |"
        )
    return "\n".join(lines)


def run_size_apart(articles: int, feeds: int, data: Path, incremental: int) -> dict[str, float]:
    """run_size in a fresh process: each size gets its own peak memory (ru_maxrss never goes down)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    worker = context.Process(target=_run_into, args=(queue, articles, feeds, data, incremental))
    worker.start()
    figures: dict[str, float] = queue.get()
    worker.join()
    return figures


def _run_into(queue: multiprocessing.Queue, *args: object) -> None:  # type: ignore[type-arg]
    queue.put(run_size(*args))  # type: ignore[arg-type]


def write_section(path: Path, text: str) -> None:
    """Replace the table between the e2e markers of `path` (or append a marked section)."""
    begin, end = "<!-- e2e:begin -->", "<!-- e2e:end -->"
    block = f"{begin}\n{text}\n{end}"
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if begin in current and end in current:
        head, rest = current.split(begin, 1)
        current = head + block + rest.split(end, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(current, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000", help="comma-separated article counts")
    parser.add_argument("--feeds", type=int, default=0, help="feeds (default: articles / 40)")
    parser.add_argument("--incremental", type=int, default=1000)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--write", type=Path, default=None, help="write the table into this Markdown file")
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of the incremental pass (stderr)"
    )
    args = parser.parse_args()
    if args.profile:
        os.environ["BENCH_E2E_PROFILE"] = "1"  # read by the per-size process
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        feeds = args.feeds or max(size // 40, 1)
        print(f"simulated day: {size} articles in {feeds} feeds on {len(HOSTS)} hosts ...", file=sys.stderr)
        rows.append(run_size_apart(size, feeds, args.data, args.incremental))
        print(table(rows[-1:]), file=sys.stderr)
    text = table(rows)
    print(text)
    if args.write:
        load = os.getloadavg()[0]
        command = " ".join(["python", "bench/bench_e2e.py", *sys.argv[1:]])
        note = (
            f"`{command}` ({datetime.now(UTC):%Y-%m-%d}, load average {load:.1f} at the end of the run;"
            " real text multiplied with perturbation, 15% wire copies, served from loopback in another process):\n\n"
        )
        write_section(args.write, note + text)


if __name__ == "__main__":
    main()
