"""The edition as plain text (`essentiel digest --format txt`, the daily e-mail's text part) or Markdown."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Mapping

from ..models import Article, Edition, RankedStory
from ..web.i18n import Translator
from .markdown import edition_markdown

log = logging.getLogger(__name__)

WIDTH = 78


def _story(item: RankedStory, articles: Mapping[str, Article], t: Translator, story_url: str) -> list[str]:
    title = item.summary.title or item.story.title
    lines = textwrap.wrap(f"{item.rank}. {title}", WIDTH, subsequent_indent="   ")
    sources: list[str] = []
    for sentence in item.summary.sentences:
        article = articles.get(sentence.article)
        text = sentence.text
        if article is not None and article.url:
            if article.url not in sources:
                sources.append(article.url)
            text += f" [{sources.index(article.url) + 1}]"
        lines += textwrap.wrap(text, WIDTH, initial_indent="   ", subsequent_indent="   ")
    meta = [t.outlets(len(item.outlets), item.independent_outlets)] if item.outlets else []
    if item.languages:
        meta.append(", ".join(item.languages))
    if meta:
        lines.append(f"   ({' · '.join(meta)})")
    lines += [f"   [{n}] {url}" for n, url in enumerate(sources, 1)]
    if story_url:
        lines.append(f"   → {story_url}")
    return [*lines, ""]


def edition_text(
    edition: Edition,
    articles: Mapping[str, Article],
    ui_language: str = "fr",
    *,
    base_url: str = "",
    format: str = "txt",
) -> str:
    """The edition as plain text (`format='txt'`, 78 columns, numbered source links) or Markdown ('md').

    With `base_url` (where the web app or static site is served) each story ends with a link to its page.
    """
    if format in {"md", "markdown"}:
        return edition_markdown(edition, articles, ui_language)
    if format not in {"txt", "text"}:
        raise ValueError(f"unknown format {format!r} (md or txt)")
    t = Translator(ui_language)
    heading = t("heading")
    lines = [heading, "=" * len(heading), t.date(edition.day), ""]
    base = base_url.rstrip("/")
    for item in edition.stories:
        lines += _story(item, articles, t, f"{base}/story/{item.story.id}" if base else "")
    return "\n".join(lines).rstrip("\n") + "\n"
