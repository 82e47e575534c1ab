"""Rebuild tests/fixtures/golden/: real pages (licensed for copying) with the Article we expect from them.

Each case is `<name>.html.gz` (the page, gzip, mtime 0) and `<name>.json` (`{"url", "article", "details"}`: the
`essentiel extract` JSON and the `extract_details` fields). The expected JSON is our extractor's output at the
time the script was run, reviewed by hand before committing (as fundus does for its parser tests): a change
in extraction shows up as a failing golden test, to be accepted by running this script again.

    .venv/bin/python scripts/make_golden.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path
from typing import Any

from essentiel.extract.article import extract_article, extract_details

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "fixtures" / "golden"
SEED = ROOT / "tests" / "fixtures" / "extract" / "seed_ukraine.html"
FUNDUS = "extraction/fundus-publisher-tests"
TRAF = "extraction/trafilatura-eval"
# (set, file inside the set, url): French pages first, then other languages and layouts.
PAGES: tuple[tuple[str, str, str], ...] = (
    (FUNDUS, "test_data/fr/LeMonde_2023_09_01.html.gz", ""),
    (FUNDUS, "test_data/fr/LeFigaro_2024_11_22.html.gz", ""),
    (FUNDUS, "test_data/fr/EuronewsFR_2024_04_30.html.gz", ""),
    (FUNDUS, "test_data/fr/LesEchos_2024_07_18.html.gz", ""),
    (FUNDUS, "test_data/de/DW_2023_06_13.html.gz", ""),
    (FUNDUS, "test_data/ch/NZZ_2024_07_18.html.gz", ""),
    (FUNDUS, "test_data/au/NineNews_2024_05_02.html.gz", ""),
    (FUNDUS, "test_data/ca/GlobalNews_2026_05_24.html.gz", ""),
    (FUNDUS, "test_data/jp/AsahiShimbun_2025_01_13.html.gz", ""),
    (TRAF, "html/elpais.com.ciencia.html.gz", ""),
)
TRAF_FRENCH = 2  # also take the first N French pages of trafilatura-eval (by html_lang.tsv order)


def _fundus_urls(data: Path) -> dict[str, str]:
    rows = (json.loads(line) for line in (data / FUNDUS / "manifest.jsonl").read_text("utf-8").splitlines())
    return {row["html_file"]: row["url"] for row in rows}


def _traf_pages(data: Path) -> tuple[dict[str, str], list[str]]:
    """url of each trafilatura-eval file, and the French files in table order."""
    lines = (data / TRAF / "html_lang.tsv").read_text("utf-8").splitlines()[1:]
    rows = [line.split("\t") for line in lines]
    urls = {f"html/{row[1]}.gz": row[0] for row in rows}
    french = [f"html/{row[1]}.gz" for row in rows if row[2].strip().lower().startswith("fr")]
    return urls, french


def expected(html: bytes, url: str) -> dict[str, Any]:
    article = extract_article(html, url or None)
    details = extract_details(html, url or None)
    return {
        "url": url,
        "article": article.to_json(),
        "details": details.to_json(),
    }


def write_case(name: str, html: bytes, url: str) -> None:
    (GOLDEN / f"{name}.html.gz").write_bytes(gzip.compress(html, mtime=0))
    text = json.dumps(expected(html, url), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    (GOLDEN / f"{name}.json").write_text(text, encoding="utf-8")
    print(f"{name}: {len(html)} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for old in [*GOLDEN.glob("*.html.gz"), *GOLDEN.glob("*.json")]:
        old.unlink()
    write_case("seed_ukraine", SEED.read_bytes(), "")
    fundus_urls = _fundus_urls(args.data)
    traf_urls, french = _traf_pages(args.data)
    pages = list(PAGES) + [(TRAF, f, "") for f in french[:TRAF_FRENCH]]
    for dataset, file, url in pages:
        html = gzip.decompress((args.data / dataset / file).read_bytes())
        url = url or (fundus_urls.get(file) if dataset == FUNDUS else traf_urls.get(file)) or ""
        prefix = "fundus" if dataset == FUNDUS else "trafilatura"
        write_case(f"{prefix}_{Path(file).name.removesuffix('.gz').removesuffix('.html')}", html, url)


if __name__ == "__main__":
    main()
