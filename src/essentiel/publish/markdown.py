"""The briefing as Markdown: a heading, the numbered stories, each sentence followed by a link to its article."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from ..models import Article, Edition, RankedStory
from ..web.i18n import Translator

log = logging.getLogger(__name__)

_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


def _escape(text: str) -> str:
    """Text safe to put in Markdown: the characters that would start markup are backslash-escaped."""
    return _SPECIAL.sub(r"\\\1", text)


def _link_target(url: str) -> str:
    """A URL that cannot end a Markdown link early: spaces and parentheses percent-encoded."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _story(item: RankedStory, articles: Mapping[str, Article], t: Translator) -> list[str]:
    title = item.summary.title or item.story.title
    lines = [f"## {item.rank}. {_escape(title)}", ""]
    sentences = []
    for sentence in item.summary.sentences:
        article = articles.get(sentence.article)
        text = _escape(sentence.text)
        if article is not None and article.url:
            label = _escape(article.site_name or article.outlet_key)
            text += f" ([{label}]({_link_target(article.url)}))"
        sentences.append(text)
    if sentences:
        lines += [" ".join(sentences), ""]
    meta = []
    if item.outlets:
        meta.append(t.outlets(len(item.outlets), item.independent_outlets))
    if item.languages:
        meta.append(", ".join(item.languages))
    if meta:
        lines += [f"*{' · '.join(meta)}*", ""]
    return lines


def edition_markdown(edition: Edition, articles: Mapping[str, Article], ui_language: str = "fr") -> str:
    """The edition as a Markdown document (titles and sentences escaped, links to the original articles)."""
    t = Translator(ui_language)
    lines = [f"# {t('heading')}", "", f"*{t.date(edition.day)}*", ""]
    for item in edition.stories:
        lines += _story(item, articles, t)
    return "\n".join(lines).rstrip("\n") + "\n"
