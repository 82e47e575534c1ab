"""The bundled demo: real news text (ECB+, OrangeSum; see ATTRIBUTION.md) replayed as today's intake."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from ..config import load_config
from ..inputs import read_articles
from ..models import Article, Edition
from ..store import open_store

CORPUS = "corpus.jsonl.gz"


def demo_articles(now: datetime) -> list[Article]:
    """The corpus, its dates shifted so that its newest article is two hours old (relative order kept)."""
    with resources.as_file(resources.files("essentiel.demo") / CORPUS) as path:
        articles = read_articles(path)
    dated = [a.published for a in articles if a.published]
    if not dated:
        return articles
    shift = (now - timedelta(hours=2)) - max(dated)
    return [replace(a, published=a.published + shift) if a.published else a for a in articles]


def build_demo(folder: Path, *, ui_language: str = "fr", now: datetime | None = None) -> tuple[Edition, Path]:
    """A fresh database in `folder` with the corpus, today's edition, and the static site. No network."""
    from ..pipeline import build_edition, publish

    now = now or datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("essentiel.db", "essentiel.db-wal", "essentiel.db-shm"):
        (folder / name).unlink(missing_ok=True)
    env = {
        "ESSENTIEL_GENERAL_DATABASE": str((folder / "essentiel.db").resolve()),
        "ESSENTIEL_OUTPUTS_SITE_DIR": str((folder / "site").resolve()),
        "ESSENTIEL_GENERAL_UI_LANGUAGE": ui_language,
        "ESSENTIEL_EDITION_SIZE": "16",  # the ten English events, then the French stories of one outlet
    }
    config = load_config(None, env=env)
    with open_store(config.database) as store:
        store.save_articles(demo_articles(now), fetched_at=now)
        edition = build_edition(store, config, now)
        publish(store, config)
    return edition, folder / "site"
