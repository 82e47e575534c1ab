"""Regenerate src/essentiel/default_sources.toml from Kagi News' public feed list (MIT, kagi-kite).

Picks, per category, one feed per outlet (domain), preferring front-page feeds, skipping aggregators.
Run: python scripts/make_default_sources.py ../shared/data/sources/kagi-kite > src/essentiel/default_sources.toml
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from urllib.parse import urlsplit

CATEGORIES = {  # Kagi category -> (our category, how many outlets)
    "France": ("France", 24),
    "Switzerland (FR)": ("Suisse romande", 5),
    "Canada | Quebec": ("Québec", 5),
    "Europe": ("Europe", 8),
    "UK": ("Royaume-Uni", 6),
    "Climate Change": ("Climat", 6),
}
WIRES = ("afp.com", "reuters.com", "apnews.com", "dpa.com", "ansa.it", "efe.com")
SKIP = (
    "news.google.com",
    "feedburner.com",
    "reddit.com",
    "parliament.uk",
    "admin.ch",
    "europarl",
    "partner-feeds",
)
FRONT = (
    "une",
    "alaune",
    "a-la-une",
    "actualite",
    "titres",
    "24h",
    "rss-all",
    "news/rss",
    "/rss.xml",
    "/feed/",
    "world",
)
AVOID = (
    "sport",
    "sante",
    "forum",
    "election",
    "culture",
    "immobilier",
    "enquetes",
    "tag/",
    "montreal",
    "thema",
)


def outlet(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    for prefix in ("www.", "feeds.", "rss.", "services."):
        host = host.removeprefix(prefix)
    return host


def preference(url: str) -> tuple[int, int, str]:
    lower = url.lower()
    front = any(token in lower for token in FRONT)
    avoid = any(token in lower for token in AVOID)
    return (int(avoid), 0 if front else 1, len(url), url)


def main(folder: str) -> None:
    rows = list(csv.DictReader((Path(folder) / "feeds_flat.tsv").open(encoding="utf-8"), delimiter="\t"))
    print("# Default sources: real outlets' feeds picked from Kagi News' public feed list (kagi-kite, MIT).")
    print("# Regenerate with scripts/make_default_sources.py. Edit freely: `essentiel sources add|remove`.")
    for kagi, (category, limit) in CATEGORIES.items():
        by_outlet: dict[str, list[str]] = {}
        for row in rows:
            url = row["feed_url"]
            if row["category"] == kagi and not any(s in url for s in SKIP):
                by_outlet.setdefault(outlet(url), []).append(url)
        language = next(r["source_language"] for r in rows if r["category"] == kagi)
        print(f"\n# --- {category} ---")
        for name in sorted(by_outlet)[:limit] if len(by_outlet) <= limit else _spread(by_outlet, limit):
            url = min(by_outlet[name], key=preference)
            independent = "false" if name.endswith(WIRES) else "true"
            print("[[sources]]")
            print(f'url = "{url}"\nname = "{name}"\ncategory = "{category}"\nlanguage = "{language}"')
            print(f"independent = {independent}")


def _spread(by_outlet: dict[str, list[str]], limit: int) -> list[str]:
    """The outlets with the most feeds in the category first (a proxy for size), then by name."""
    return sorted(sorted(by_outlet), key=lambda name: -len(by_outlet[name]))[:limit]


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/sources/kagi-kite")
