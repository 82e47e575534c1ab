"""Summaries: the "l'essentiel" of a story, built from its articles' own sentences."""

from essentiel.summarize.base import Summarizer
from essentiel.summarize.extractive import ExtractiveSummarizer, summarize_story

__all__ = ["ExtractiveSummarizer", "Summarizer", "summarize_story"]
