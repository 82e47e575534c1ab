"""Real news text (the bundled demo corpus) served as outlets' pages and feeds, for loopback tests."""

from __future__ import annotations

import gzip
import html
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from importlib import resources

from loopback import LoopbackServer

NOW = datetime.now(UTC)


def corpus() -> list[dict[str, str]]:
    raw = (resources.files("essentiel.demo") / "corpus.jsonl.gz").read_bytes()
    return [json.loads(line) for line in gzip.decompress(raw).decode().splitlines()]


def page(article: dict[str, str], outlet: str) -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in article["text"].split("\n") if p.strip())
    lead = f'<p class="chapo">{html.escape(article["lead"])}</p>' if article.get("lead") else ""
    title = html.escape(article["title"])
    return (
        f'<!DOCTYPE html><html lang="{article["language"]}"><head><meta charset="utf-8"><title>{title} - {outlet}</title>'
        f'<meta property="og:site_name" content="{outlet}"></head><body><nav><a href="/">Home</a> <a href="/world">World</a></nav>'
        f"<main><article><h1>{title}</h1>{lead}{paragraphs}</article></main>"
        f"<footer><p>© {outlet} — All rights reserved. Sign up for our newsletter.</p></footer></body></html>"
    )


def rss(server: LoopbackServer, items: list[tuple[str, str]]) -> str:
    entries = "".join(
        f"<item><title>{html.escape(title)}</title><link>{server.url(path)}</link><guid>{server.url(path)}</guid>"
        f"<pubDate>{format_datetime(NOW - timedelta(hours=1))}</pubDate></item>"
        for path, title in items
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{entries}</channel></rss>'
