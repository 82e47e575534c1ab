"""The summariser interface: a story and its articles in, an "l'essentiel" out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from essentiel.models import Article, Story, Summary


class Summarizer(Protocol):
    def summarize(
        self, story: Story, articles: Sequence[Article], *, language: str | None = None, max_words: int = 60
    ) -> Summary:
        """A few sentences telling the story, each traced to the article it comes from."""
        ...
