"""robots.txt: a per-origin cache of parsed rules (urllib.robotparser).

A robots.txt that cannot be fetched (404, 5xx, timeout, refused...) means everything is allowed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

log = logging.getLogger(__name__)

MAX_CRAWL_DELAY = 60.0  # seconds: a larger Crawl-delay is capped (and logged)
DEFAULT_TTL = 24 * 3600.0

# Given the robots.txt URL, returns its text, or None when it is not available.
FetchText = Callable[[str], Awaitable[str | None]]


def parse_robots(text: str) -> RobotFileParser:
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    return parser


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def robots_url(url: str) -> str:
    return f"{origin_of(url)}/robots.txt"


class RobotsCache:
    """Fetches each origin's robots.txt once (per `ttl` seconds) and answers for our user agent."""

    def __init__(self, user_agent: str, fetch_text: FetchText, ttl: float = DEFAULT_TTL) -> None:
        self.user_agent = user_agent
        self._fetch_text = fetch_text
        self._ttl = ttl
        self._rules: dict[str, tuple[float, RobotFileParser | None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def rules(self, url: str) -> RobotFileParser | None:
        """The parsed robots.txt for the URL's origin (None when there is none: all allowed)."""
        origin = origin_of(url)
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            cached = self._rules.get(origin)
            if cached is not None and time.monotonic() - cached[0] < self._ttl:
                return cached[1]
            text = await self._fetch_text(robots_url(url))
            parsed = parse_robots(text) if text is not None else None
            if parsed is None:
                log.debug("no robots.txt for %s: everything allowed", origin)
            self._rules[origin] = (time.monotonic(), parsed)
            return parsed

    async def allowed(self, url: str) -> bool:
        parsed = await self.rules(url)
        return parsed is None or parsed.can_fetch(self.user_agent, url)

    async def crawl_delay(self, url: str) -> float | None:
        """The Crawl-delay for our user agent (capped at MAX_CRAWL_DELAY), None when not set."""
        parsed = await self.rules(url)
        if parsed is None:
            return None
        delay = parsed.crawl_delay(self.user_agent)
        if delay is None:
            return None
        value = float(delay)
        if value > MAX_CRAWL_DELAY:
            log.warning("%s asks for a Crawl-delay of %ss; using %ss", origin_of(url), value, MAX_CRAWL_DELAY)
            return MAX_CRAWL_DELAY
        return max(value, 0.0)
