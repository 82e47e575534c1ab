"""Article extraction: raw HTML in, a clean `essentiel.models.Article` out (see docs/extraction.md)."""

from __future__ import annotations

from essentiel.extract.article import extract_article

__all__ = ["extract_article"]
