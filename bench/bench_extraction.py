"""Extraction speed: essentiel against bare `trafilatura.extract(html)`, as a ratio measured in the same process.

Both run on the same real pages (the dev split of trafilatura-eval and fundus-publisher-tests), one page at a time
in turn (bare, then ours), on one core, after a warm-up; each repeat gives a time ratio, and the median of the
repeats is reported. Two clocks: wall time (`perf_counter`) and the process's CPU time (`process_time`, what the
page cost this process: on a machine that other jobs keep busy, waiting for the core is left out of it, so it
varies less from run to run). Target: ratio <= 1.2.

    .venv/bin/python bench/bench_extraction.py [--data ../shared/data] [--pages 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from pathlib import Path

from essentiel.evaluation.extraction import (
    bare_output,
    load_fundus_cases,
    load_snippet_cases,
    ours_output,
    warm_up,
)

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--pages", type=int, default=200, help="pages from each set")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    pages = [(c.html, c.url) for c in load_snippet_cases(args.data, "dev", args.pages)]
    pages += [(c.html, c.url) for c in load_fundus_cases(args.data, "dev", args.pages)]
    warm_up()
    ratios: dict[str, list[float]] = {"wall": [], "cpu": []}
    for repeat in range(args.repeats):
        spent = {(label, clock): 0.0 for label in ("trafilatura", "essentiel") for clock in ratios}
        for html, url in pages:
            for label, fn in (("trafilatura", bare_output), ("essentiel", ours_output)):
                wall, cpu = time.perf_counter(), time.process_time()
                fn(html, url)
                spent[label, "wall"] += time.perf_counter() - wall
                spent[label, "cpu"] += time.process_time() - cpu
        for clock, values in ratios.items():
            values.append(spent["essentiel", clock] / spent["trafilatura", clock])
        print(
            f"repeat {repeat + 1}: {len(pages)} pages, essentiel {len(pages) / spent['essentiel', 'wall']:.1f} "
            f"pages/s, trafilatura {len(pages) / spent['trafilatura', 'wall']:.1f} pages/s (wall), "
            f"ratio {ratios['wall'][-1]:.2f} wall, {ratios['cpu'][-1]:.2f} CPU"
        )
    print(
        f"median time ratio essentiel / trafilatura: {statistics.median(ratios['wall']):.2f} (target <= 1.2)"
    )
    print(f"median CPU time ratio essentiel / trafilatura: {statistics.median(ratios['cpu']):.2f}")


if __name__ == "__main__":
    main()
