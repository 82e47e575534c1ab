"""Polite HTTP fetching: caps, delays, robots.txt, SSRF guard and size limits."""

from essentiel.fetch.http import (
    FEED_TYPES,
    PAGE_TYPES,
    Fetcher,
    FetchSettings,
    HTTPStatusError,
    fetch_sync,
)
from essentiel.fetch.urls import canonical_url

__all__ = [
    "FEED_TYPES",
    "PAGE_TYPES",
    "FetchSettings",
    "Fetcher",
    "HTTPStatusError",
    "canonical_url",
    "fetch_sync",
]
