"""Polite async HTTP fetching: caps, per-host delays, robots.txt, SSRF guard, size and bomb limits.

One `Fetcher` holds one httpx.AsyncClient (HTTP/2 enabled). Redirects are followed by hand so that
every hop goes through the same checks. Every failure is a FetchError whose message is one line.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from essentiel.errors import ConfigError, FetchError
from essentiel.fetch.decode import ACCEPT_ENCODING, Decoder
from essentiel.fetch.robots import RobotsCache
from essentiel.fetch.urls import check_url, ensure_public
from essentiel.models import Fetched

log = logging.getLogger(__name__)

# Content types accepted for feeds and sitemaps, and for web pages: a type matches when it contains one.
FEED_TYPES: tuple[str, ...] = ("xml", "rss", "atom", "json", "text/plain", "gzip")
PAGE_TYPES: tuple[str, ...] = ("text/html", "application/xhtml+xml")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ROBOTS_MAX_BYTES = 512 * 1024
RATIO_MIN_BYTES = 1 << 20  # the decompression ratio is only judged once this much was decompressed


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str = "essentiel/0.1 (+https://github.com/essentiel-news/essentiel)"
    concurrency: int = 8  # requests in flight, all hosts together
    per_host: int = 2  # requests in flight to one host
    host_delay: float = 1.0  # seconds between the starts of two requests to one host
    connect_timeout: float = 10
    read_timeout: float = 20  # between two bytes received
    total_timeout: float = 60  # one request and its whole body (each redirect hop)
    max_bytes: int = 10_000_000  # decompressed body size
    max_redirects: int = 5
    max_decompression_ratio: float = 100
    allow_private: bool = False  # allow loopback/private/link-local hosts (SSRF guard off)
    respect_robots: bool = True

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.per_host < 1:
            raise ConfigError("fetch: concurrency and per_host must be at least 1")
        if self.host_delay < 0 or self.max_redirects < 0:
            raise ConfigError("fetch: host_delay and max_redirects must not be negative")
        timeouts = (self.connect_timeout, self.read_timeout, self.total_timeout)
        if min(timeouts) <= 0 or self.max_bytes <= 0 or self.max_decompression_ratio <= 1:
            raise ConfigError(
                "fetch: timeouts and max_bytes must be positive, max_decompression_ratio above 1"
            )


class HTTPStatusError(FetchError):
    """The server answered with an error status. `retry_after` (seconds) comes from a 429/503."""

    def __init__(
        self, url: str, status: int, phrase: str = "", retry_after: float | None = None, note: str = ""
    ) -> None:
        self.status = status
        self.phrase = phrase or _phrase(status)
        self.retry_after = retry_after
        message = f"HTTP {status} {self.phrase}".strip()
        if retry_after is not None:
            message += f" (retry after {retry_after:g}s)"
        super().__init__(url, message + note)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date (None if unusable)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is true too
        return float(value)
    when = _http_date(value)
    if when is None:
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _http_date(value: str | None) -> datetime | None:
    try:
        when = parsedate_to_datetime(value or "")
    except (TypeError, ValueError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.I)


def freshness(headers: Mapping[str, str]) -> float | None:
    """Seconds a response says it stays fresh: Cache-Control max-age, else Expires minus Date.

    None when absent, unreadable, or when the response must not be cached (no-store, no-cache).
    """
    control = headers.get("cache-control", "")
    if re.search(r"no-store|no-cache", control, re.I):
        return None
    match = _MAX_AGE.search(control)
    if match:
        return float(match.group(1))
    expires, date = _http_date(headers.get("expires")), _http_date(headers.get("date"))
    if expires is None:
        return None
    return max(0.0, (expires - (date or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class _Response:
    url: str
    status: int
    reason: str
    headers: dict[str, str]
    content: bytes = b""


def _headers(response: httpx.Response) -> dict[str, str]:
    merged: dict[str, str] = {}
    for key, value in response.headers.multi_items():
        key = key.lower()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _failure(url: str, kind: str, message: str) -> FetchError:
    """A FetchError with its `kind` (how /metrics counts it: timeout, tls, blocked, too_large...)."""
    exc = FetchError(url, message)
    exc.kind = kind  # type: ignore[attr-defined]
    return exc


def outcome(exc: FetchError) -> str:
    """How a failed fetch is counted: its HTTP status, else its kind ('error' when unknown)."""
    if isinstance(exc, HTTPStatusError):
        return str(exc.status)
    return str(getattr(exc, "kind", "error"))


class Fetcher:
    """Async context manager: `async with Fetcher(settings) as fetcher: await fetcher.fetch(url)`."""

    def __init__(self, settings: FetchSettings | None = None) -> None:
        self.settings = settings or FetchSettings()
        self._client: httpx.AsyncClient | None = None
        self._global = asyncio.Semaphore(self.settings.concurrency)
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        self._next_start: dict[str, float] = {}
        self.robots = RobotsCache(self.settings.user_agent, self._robots_text)
        self.outcomes: Counter[str] = Counter()  # fetches by outcome: '200', '304', '404', 'timeout'...

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        self._client = httpx.AsyncClient(
            http2=True,
            follow_redirects=False,
            timeout=httpx.Timeout(
                connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout, pool=s.total_timeout
            ),
            limits=httpx.Limits(max_connections=s.concurrency, max_keepalive_connections=s.concurrency),
            headers={"User-Agent": s.user_agent},
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
        accept_types: Collection[str] | None = None,
    ) -> Fetched:
        """GET one URL. A 304 (conditional GET) returns Fetched(status=304, content=b"").

        `accept_types`: content types allowed for a 2xx answer (FEED_TYPES, PAGE_TYPES or your own);
        a type matches when it contains one of them. Raises FetchError (HTTPStatusError for >= 400).
        """
        headers = {"Accept": accept, "Accept-Encoding": ACCEPT_ENCODING}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            response = await self._follow(url, headers, accept_types, self.settings.max_bytes, robots=True)
        except FetchError as exc:
            self.outcomes[outcome(exc)] += 1
            raise
        self.outcomes[str(response.status)] += 1
        return self._to_fetched(url, response, etag, last_modified)

    async def fetch_many(
        self, urls: Sequence[str], *, accept: str = "*/*", accept_types: Collection[str] | None = None
    ) -> list[Fetched | FetchError]:
        """Fetch all URLs concurrently (within the caps); results in input order, errors returned."""

        async def one(url: str) -> Fetched | FetchError:
            try:
                return await self.fetch(url, accept=accept, accept_types=accept_types)
            except FetchError as exc:
                log.info("fetch failed: %s", exc)
                return exc

        return list(await asyncio.gather(*(one(url) for url in urls)))

    def _to_fetched(self, url: str, r: _Response, etag: str | None, last_modified: str | None) -> Fetched:
        return Fetched(
            requested_url=url,
            url=r.url,
            status=r.status,
            content=r.content if r.status != 304 else b"",
            fetched_at=datetime.now(UTC),
            content_type=r.headers.get("content-type", ""),
            etag=r.headers.get("etag") or (etag if r.status == 304 else None),
            last_modified=r.headers.get("last-modified") or (last_modified if r.status == 304 else None),
            headers=r.headers,
        )

    async def _follow(
        self,
        url: str,
        headers: dict[str, str],
        accept_types: Collection[str] | None,
        max_bytes: int,
        robots: bool,
    ) -> _Response:
        """Request `url`, following redirects by hand; every hop is checked (scheme, SSRF, robots)."""
        current, seen = url, [url.split("#", 1)[0]]
        try:
            for _ in range(self.settings.max_redirects + 1):
                delay = await self._before_request(current, robots)
                async with self._slot(current, delay):
                    response = await self._exchange(current, headers, accept_types, max_bytes)
                if response.status not in REDIRECT_STATUSES:
                    return response
                current = self._next_hop(current, response, seen)
        except FetchError as exc:
            if current == url or exc.source != current:
                raise
            raise _moved(exc, url, current) from None
        raise _failure(url, "redirects", f"too many redirects (more than {self.settings.max_redirects})")

    @staticmethod
    def _next_hop(current: str, response: _Response, seen: list[str]) -> str:
        location = response.headers.get("location")
        if not location:
            raise HTTPStatusError(current, response.status, f"{response.reason} without a Location header")
        target = urljoin(current, location.strip()).split("#", 1)[0]
        if target in seen:
            raise _failure(seen[0], "redirects", f"redirect loop: {' -> '.join([*seen, target])}")
        seen.append(target)
        return target

    async def _before_request(self, url: str, robots: bool) -> float:
        """Scheme and SSRF checks, then robots.txt. Returns the delay to keep between requests to the host."""
        try:
            check_url(url)
        except FetchError as exc:
            raise _failure(exc.source, "invalid_url", exc.reason) from None
        if not self.settings.allow_private:
            try:
                await ensure_public(url)
            except FetchError as exc:
                raise _failure(exc.source, "blocked", exc.reason) from None
        delay = self.settings.host_delay
        if robots and self.settings.respect_robots:
            if not await self.robots.allowed(url):
                raise _failure(url, "robots", "disallowed by robots.txt")
            crawl_delay = await self.robots.crawl_delay(url)
            if crawl_delay is not None and crawl_delay > delay:
                delay = crawl_delay
        return delay

    @asynccontextmanager
    async def _slot(self, url: str, delay: float) -> AsyncIterator[None]:
        """Holds a per-host slot (after the host delay), then a global slot."""
        parts = urlsplit(url)
        host = f"{(parts.hostname or '').lower()}:{parts.port or ''}"
        host_slot = self._host_slots.setdefault(host, asyncio.Semaphore(self.settings.per_host))
        async with host_slot:
            now = time.monotonic()
            start = max(now, self._next_start.get(host, 0.0))
            self._next_start[host] = start + delay
            if start > now:
                await asyncio.sleep(start - now)
            async with self._global:
                yield

    async def _exchange(
        self, url: str, headers: dict[str, str], accept_types: Collection[str] | None, max_bytes: int
    ) -> _Response:
        """One request, with the body read under the limits; maps every transport error to a FetchError."""
        if self._client is None:
            raise RuntimeError("Fetcher is not open: use 'async with Fetcher(settings) as fetcher'")
        s = self.settings
        try:
            async with asyncio.timeout(s.total_timeout):
                async with self._client.stream("GET", url, headers=headers) as response:
                    return await self._read(url, response, accept_types, max_bytes)
        except httpx.ConnectTimeout:
            raise _failure(url, "timeout", f"timed out after {s.connect_timeout:g}s (connect)") from None
        except httpx.ReadTimeout:
            raise _failure(url, "timeout", f"timed out after {s.read_timeout:g}s (read)") from None
        except httpx.WriteTimeout:
            raise _failure(url, "timeout", f"timed out after {s.read_timeout:g}s (write)") from None
        except httpx.PoolTimeout:
            raise _failure(
                url, "timeout", f"timed out after {s.total_timeout:g}s (waiting for a connection)"
            ) from None
        except TimeoutError:
            raise _failure(url, "timeout", f"timed out after {s.total_timeout:g}s (total)") from None
        except httpx.ConnectError as exc:
            if _is_tls(exc):
                raise _failure(url, "tls", f"TLS handshake failed: {_one_line(exc)}") from None
            raise _failure(url, "connection", f"connection failed: {_one_line(exc)}") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise _failure(url, "invalid_url", f"invalid URL ({_one_line(exc)})") from None
        except httpx.HTTPError as exc:
            raise _failure(url, "http_error", f"{type(exc).__name__}: {_one_line(exc)}") from None

    async def _read(
        self, url: str, response: httpx.Response, accept_types: Collection[str] | None, max_bytes: int
    ) -> _Response:
        status, headers = response.status_code, _headers(response)
        reason = response.reason_phrase or _phrase(status)
        if status >= 400 or (300 <= status < 400 and status not in REDIRECT_STATUSES and status != 304):
            retry_after = parse_retry_after(headers.get("retry-after")) if status in (429, 503) else None
            raise HTTPStatusError(url, status, reason, retry_after)
        if status in REDIRECT_STATUSES or status == 304:
            return _Response(url, status, reason, headers)
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if accept_types and media and not any(t in media for t in accept_types):
            expected = ", ".join(accept_types)
            raise _failure(url, "content_type", f"unexpected content type '{media}' (expected {expected})")
        content = await self._read_body(url, response, headers, max_bytes)
        return _Response(url, status, reason, headers, content)

    async def _read_body(
        self, url: str, response: httpx.Response, headers: dict[str, str], max_bytes: int
    ) -> bytes:
        """Streams the raw body, decompresses it in bounded pieces and enforces max_bytes and the ratio."""
        length = headers.get("content-length", "")
        if length.isascii() and length.isdigit() and int(length) > max_bytes:
            raise _failure(
                url, "too_large", f"body too large: {int(length)} bytes (max_bytes is {max_bytes})"
            )
        encoding = headers.get("content-encoding", "identity").split(",")[-1].strip().lower()
        try:
            decoder = None if encoding in ("", "identity") else Decoder(encoding)
        except ValueError as exc:
            raise _failure(url, "decode", str(exc)) from None
        body, raw = bytearray(), 0
        ratio = self.settings.max_decompression_ratio
        async for chunk in response.aiter_raw():
            raw += len(chunk)
            pieces = decoder.feed(chunk) if decoder is not None else iter([chunk])
            while True:  # piece by piece: a bomb is stopped after at most CHUNK more bytes
                try:
                    piece = next(pieces)
                except StopIteration:
                    break
                except Exception as exc:  # zlib.error, brotli.error
                    raise _failure(
                        url, "decode", f"cannot decode {encoding} body ({_one_line(exc)})"
                    ) from None
                body += piece
                used = decoder.consumed if decoder is not None else raw  # compressed bytes behind it
                if len(body) >= RATIO_MIN_BYTES and len(body) > ratio * max(used, 1):
                    raise _failure(
                        url, "bomb", f"decompression bomb: {encoding} body expands more than {ratio:g} times"
                    )
                if len(body) > max_bytes:
                    raise _failure(
                        url, "too_large", f"body too large: more than {max_bytes} bytes (max_bytes)"
                    )
        return bytes(body)

    async def _robots_text(self, url: str) -> str | None:
        """robots.txt as text, or None when it cannot be had (which means: everything allowed)."""
        headers = {"Accept": "text/plain, */*;q=0.5", "Accept-Encoding": ACCEPT_ENCODING}
        try:
            response = await self._follow(url, headers, None, ROBOTS_MAX_BYTES, robots=False)
        except FetchError as exc:
            log.info("robots.txt not available, assuming everything is allowed: %s", exc)
            return None
        if response.status != 200:
            return None
        return response.content.decode("utf-8", errors="replace")


def _moved(exc: FetchError, url: str, current: str) -> FetchError:
    """The same error, named after the requested URL, saying where the redirects led."""
    note = f" (redirected to {current})"
    if isinstance(exc, HTTPStatusError):
        return HTTPStatusError(url, exc.status, exc.phrase, exc.retry_after, note=note)
    return _failure(url, outcome(exc), exc.reason + note)


def _is_tls(exc: BaseException) -> bool:
    """A connection error caused by TLS (bad certificate, handshake failure)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "SSL" in str(exc) or "certificate" in str(exc).lower()


def fetch_sync(url: str, settings: FetchSettings | None = None, **kwargs: Any) -> Fetched:
    """Fetch one URL from synchronous code (runs its own event loop)."""

    async def run() -> Fetched:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(run())
