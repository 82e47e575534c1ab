from __future__ import annotations

import asyncio
import gzip
import socket
import zlib
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import brotli
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from essentiel.errors import ConfigError, FetchError
from essentiel.fetch import http as http_module
from essentiel.fetch import urls as urls_module
from essentiel.fetch.http import (
    FEED_TYPES,
    PAGE_TYPES,
    Fetcher,
    FetchSettings,
    HTTPStatusError,
    fetch_sync,
    freshness,
    parse_retry_after,
)
from essentiel.fetch.urls import canonical_url, ensure_public, is_public_address
from essentiel.models import Fetched
from essentiel.sources.feeds import parse_feed
from loopback import LoopbackServer

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
T = TypeVar("T")


def local(**overrides: Any) -> FetchSettings:
    """Settings for the loopback server: private hosts allowed, no delay, no robots.txt unless asked."""
    values: dict[str, Any] = {"allow_private": True, "host_delay": 0.0, "respect_robots": False}
    return FetchSettings(**(values | overrides))


def run(settings: FetchSettings, job: Callable[[Fetcher], Coroutine[Any, Any, T]]) -> T:
    async def main() -> T:
        async with Fetcher(settings) as fetcher:
            return await job(fetcher)

    return asyncio.run(main())


def get(url: str, settings: FetchSettings | None = None, **kwargs: Any) -> Fetched:
    return run(settings or local(), lambda f: f.fetch(url, **kwargs))


def fetch_error(url: str, settings: FetchSettings | None = None, **kwargs: Any) -> FetchError:
    with pytest.raises(FetchError) as caught:
        get(url, settings, **kwargs)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{url}: ")
    return caught.value


@pytest.mark.parametrize(
    ("name", "content_type", "count"),
    [
        ("rss20_fr.xml", "application/rss+xml", 2),
        ("atom_en.xml", "application/atom+xml", 2),
        ("rss10_rdf.xml", "application/rdf+xml", 1),
        ("jsonfeed.json", "application/feed+json", 2),
        ("sitemap.xml", "application/xml", 3),
        ("news_sitemap.xml", "text/xml", 2),
        ("sitemap_index.xml", "application/xml", 2),
    ],
    ids=["rss2.0", "atom", "rss1.0", "jsonfeed", "sitemap", "news-sitemap", "sitemap-index"],
)
def test_fetch_then_parse(loopback: LoopbackServer, name: str, content_type: str, count: int) -> None:
    body = (FIXTURES / name).read_bytes()
    url = loopback.route(f"/{name}", body, headers={"Content-Type": content_type})
    fetched = get(url, accept_types=FEED_TYPES)
    assert (fetched.status, fetched.content, fetched.url, fetched.requested_url) == (200, body, url, url)
    assert fetched.content_type == content_type
    assert fetched.fetched_at.tzinfo is not None
    assert len(parse_feed(fetched.content, fetched.url)) == count
    request = loopback.requests_for(f"/{name}")[0]
    assert request.headers["user-agent"].startswith("essentiel/0.1")
    assert "gzip" in request.headers["accept-encoding"]


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send it
        ("br", brotli.compress),
    ],
    ids=["gzip", "deflate-zlib", "deflate-raw", "brotli"],
)
def test_compressed_bodies_are_decoded(
    loopback: LoopbackServer, encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    body = (FIXTURES / "rss20_fr.xml").read_bytes() * 50
    url = loopback.route("/feed", encode(body), headers={**RSS, "Content-Encoding": encoding})
    assert get(url).content == body


def test_conditional_get_gives_304_on_the_second_fetch(loopback: LoopbackServer) -> None:
    modified = "Tue, 10 Jun 2025 12:00:00 GMT"
    url = loopback.route("/feed", b"<rss/>", headers=RSS, etag='"v1"', last_modified=modified)
    first = get(url)
    assert (first.status, first.etag, first.last_modified) == (200, '"v1"', modified)
    second = get(url, etag=first.etag, last_modified=first.last_modified)
    assert (second.status, second.content, second.etag) == (304, b"", '"v1"')
    headers = loopback.requests_for("/feed")[1].headers
    assert (headers["if-none-match"], headers["if-modified-since"]) == ('"v1"', modified)
    assert get(url, last_modified=modified).status == 304  # If-Modified-Since alone


def test_redirects_are_followed(loopback: LoopbackServer) -> None:
    final = loopback.route("/new/feed.xml", b"<rss/>", headers=RSS)
    loopback.redirect("/step", "/new/feed.xml", status=307)
    start = loopback.redirect("/old", loopback.url("/step"), status=301)
    fetched = get(start)
    assert (fetched.requested_url, fetched.url, fetched.status) == (start, final, 200)


@pytest.mark.parametrize(
    ("path", "route", "settings", "message"),
    [
        ("/missing", {}, {}, "HTTP 404 Not Found"),
        ("/boom", {"status": 500}, {}, "HTTP 500 Internal Server Error"),
        ("/gone", {"status": 410}, {}, "HTTP 410 Gone"),
        ("/image", {"headers": {"Content-Type": "image/png"}}, {}, "unexpected content type 'image/png'"),
        ("/big", {"body": b"x" * 2000}, {"max_bytes": 1000}, "body too large: 2000 bytes"),
        ("/slow", {"delay": 3.0}, {"read_timeout": 0.3}, "timed out after 0.3s (read)"),
        ("/drip", {"body": b"x" * 100, "chunk_delay": 0.2}, {"total_timeout": 0.5}, "after 0.5s (total)"),
    ],
    ids=["404", "500", "410", "wrong-content-type", "over-max-bytes", "read-timeout", "total-timeout"],
)
def test_fetch_errors(
    loopback: LoopbackServer, path: str, route: dict[str, Any], settings: dict[str, Any], message: str
) -> None:
    if route:
        loopback.route(path, **({"headers": RSS} | route))
    error = fetch_error(loopback.url(path), local(**settings), accept_types=FEED_TYPES)
    assert message in str(error)


def test_body_limit_is_enforced_on_decompressed_bytes(loopback: LoopbackServer) -> None:
    text = " ".join(str(i) for i in range(2000)).encode()  # ~9 kB, compresses about 3 times
    url = loopback.route("/feed", text, headers=RSS, gzip=True)
    assert "body too large: more than 5000 bytes" in str(fetch_error(url, local(max_bytes=5000)))


def test_gzip_bomb_is_refused(loopback: LoopbackServer) -> None:
    url = loopback.route("/bomb", b"\0" * 5_000_000, headers=RSS, gzip=True)  # ~5 kB on the wire
    assert len(loopback.routes["/bomb"].body) < 10_000
    assert "decompression bomb" in str(fetch_error(url))


@pytest.mark.parametrize(
    ("status", "header", "expected"),
    [(429, "120", 120.0), (503, "Wed, 21 Oct 2015 07:28:00 GMT", 0.0), (429, None, None)],
    ids=["429-seconds", "503-http-date-in-the-past", "429-without-header"],
)
def test_retry_after_is_on_the_error(
    loopback: LoopbackServer, status: int, header: str | None, expected: float | None
) -> None:
    url = loopback.route("/busy", status=status, headers={"Retry-After": header} if header else {})
    error = fetch_error(url)
    assert isinstance(error, HTTPStatusError)
    assert (error.status, error.retry_after) == (status, expected)
    if expected is not None:
        assert f"retry after {expected:g}s" in str(error)


def test_redirect_loop(loopback: LoopbackServer) -> None:
    loopback.redirect("/a", "/b")
    loopback.redirect("/b", "/a")
    error = fetch_error(loopback.url("/a"))
    assert "redirect loop" in str(error) and loopback.url("/b") in str(error)


def test_too_many_redirects(loopback: LoopbackServer) -> None:
    for i in range(4):
        loopback.redirect(f"/r{i}", f"/r{i + 1}")
    loopback.route("/r4", b"<rss/>", headers=RSS)
    assert get(loopback.url("/r0"), local(max_redirects=4)).status == 200
    error = fetch_error(loopback.url("/r0"), local(max_redirects=3))
    assert "too many redirects (more than 3)" in str(error)


def test_error_after_a_redirect_names_both_urls(loopback: LoopbackServer) -> None:
    loopback.redirect("/moved", "/missing", status=301)
    error = fetch_error(loopback.url("/moved"))
    assert isinstance(error, HTTPStatusError) and error.status == 404
    assert f"HTTP 404 Not Found (redirected to {loopback.url('/missing')})" in str(error)


def test_redirect_without_location(loopback: LoopbackServer) -> None:
    url = loopback.route("/nowhere", status=302)
    assert "without a Location header" in str(fetch_error(url))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/feed.xml", "unsupported URL scheme 'ftp'"),
        ("file:///etc/passwd", "unsupported URL scheme 'file'"),
        ("/relative/feed.xml", "unsupported URL scheme 'none'"),
        ("http:///nohost", "no host"),
    ],
    ids=["ftp", "file", "relative", "no-host"],
)
def test_only_http_urls(url: str, message: str) -> None:
    assert message in str(fetch_error(url))


def test_connection_refused() -> None:
    with socket.socket() as sock:  # a port that nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert "connection failed" in str(fetch_error(f"http://127.0.0.1:{port}/feed"))


def test_ssrf_guard_refuses_the_loopback_server(loopback: LoopbackServer) -> None:
    url = loopback.route("/feed", b"<rss/>", headers=RSS)
    error = fetch_error(url, local(allow_private=False))
    assert "refused" in str(error) and "127.0.0.1" in str(error) and "allow_private" in str(error)
    assert loopback.requests == []  # nothing was sent


def test_ssrf_guard_checks_every_redirect_hop(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def guard(url: str) -> None:  # pretend 127.0.0.1 is public, except for /internal
        if "/internal" in url:
            raise FetchError(url, "refused: private address")

    monkeypatch.setattr(http_module, "ensure_public", guard)
    loopback.route("/internal/admin", b"secret", headers=RSS)
    start = loopback.redirect("/open", "/internal/admin")
    error = fetch_error(start, local(allow_private=False))
    assert "refused" in str(error) and "redirected to" in str(error)
    assert loopback.requests_for("/internal/admin") == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.10", False),
        ("172.16.5.4", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_ensure_public_with_names(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {"news.example": ["93.184.215.14"], "mixed.example": ["93.184.215.14", "10.0.0.7"]}

    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(-2, "Name or service not known")
        return table[host]

    monkeypatch.setattr(urls_module, "resolve", resolve)
    asyncio.run(ensure_public("https://news.example/feed"))
    with pytest.raises(FetchError, match=r"resolves to a non-public address \(10\.0\.0\.7\)"):
        asyncio.run(ensure_public("https://mixed.example/feed"))
    with pytest.raises(FetchError, match="cannot resolve host 'nowhere.example'"):
        asyncio.run(ensure_public("https://nowhere.example/feed"))


ROBOTS = b"User-agent: essentiel\nDisallow: /private\n\nUser-agent: *\nDisallow: /members\n"


@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/public/feed.xml", True), ("/private/feed.xml", False), ("/members/feed.xml", True)],
    ids=["allowed", "disallowed-for-us", "disallowed-for-others"],
)
def test_robots_txt(loopback: LoopbackServer, path: str, allowed: bool) -> None:
    loopback.route("/robots.txt", ROBOTS, headers={"Content-Type": "text/plain"})
    url = loopback.route(path, b"<rss/>", headers=RSS)
    settings = local(respect_robots=True)
    if allowed:
        assert get(url, settings).status == 200
    else:
        assert "disallowed by robots.txt" in str(fetch_error(url, settings))
        assert loopback.requests_for(path) == []


@pytest.mark.parametrize(
    "robots",
    [None, {"status": 500}, {"body": ROBOTS, "delay": 3.0}],
    ids=["404", "500", "timeout"],
)
def test_robots_txt_unavailable_means_allowed(
    loopback: LoopbackServer, robots: dict[str, Any] | None
) -> None:
    if robots is not None:
        loopback.route("/robots.txt", **robots)
    url = loopback.route("/private/feed.xml", b"<rss/>", headers=RSS)
    assert get(url, local(respect_robots=True, read_timeout=0.3)).status == 200


def test_robots_txt_is_fetched_once_and_crawl_delay_is_honoured(loopback: LoopbackServer) -> None:
    loopback.route("/robots.txt", b"User-agent: *\nCrawl-delay: 1\n", headers={"Content-Type": "text/plain"})
    urls = [loopback.route(f"/f{i}", b"<rss/>", headers=RSS) for i in range(2)]
    results = run(local(respect_robots=True, per_host=2), lambda f: f.fetch_many(urls))
    assert all(isinstance(r, Fetched) for r in results)
    assert len(loopback.requests_for("/robots.txt")) == 1
    starts = sorted(r.at for r in loopback.requests if r.path != "/robots.txt")
    assert starts[1] - starts[0] >= 0.8


def test_per_host_cap_is_respected(loopback: LoopbackServer) -> None:
    urls = [loopback.route(f"/slow{i}", b"<rss/>", headers=RSS, delay=0.3) for i in range(6)]
    results = run(local(per_host=2, concurrency=8), lambda f: f.fetch_many(urls))
    assert all(isinstance(r, Fetched) for r in results)
    assert loopback.max_in_flight == 2


def test_global_cap_is_respected_across_hosts(loopback: LoopbackServer) -> None:
    paths = [f"/slow{i}" for i in range(6)]
    for path in paths:
        loopback.route(path, b"<rss/>", headers=RSS, delay=0.3)
    hosts = [f"http://127.0.0.1:{loopback.port}", f"http://localhost:{loopback.port}"]
    urls = [hosts[i % 2] + path for i, path in enumerate(paths)]
    results = run(local(per_host=3, concurrency=2), lambda f: f.fetch_many(urls))
    assert [r.status for r in results if isinstance(r, Fetched)] == [200] * 6
    assert loopback.max_in_flight == 2


def test_host_delay_spaces_requests(loopback: LoopbackServer) -> None:
    urls = [loopback.route(f"/f{i}", b"<rss/>", headers=RSS) for i in range(3)]
    run(local(host_delay=0.25, per_host=3), lambda f: f.fetch_many(urls))
    starts = sorted(r.at for r in loopback.requests)
    assert all(b - a >= 0.15 for a, b in zip(starts, starts[1:], strict=False))


def test_fetch_many_keeps_order_and_returns_errors(loopback: LoopbackServer) -> None:
    ok = loopback.route("/ok", b"<html></html>", headers={"Content-Type": "text/html"})
    urls = [ok, loopback.url("/missing"), "ftp://example.org/", ok]
    results = run(local(), lambda f: f.fetch_many(urls, accept_types=PAGE_TYPES))
    assert [type(r).__name__ for r in results] == ["Fetched", "HTTPStatusError", "FetchError", "Fetched"]


def test_fetch_sync(loopback: LoopbackServer) -> None:
    url = loopback.route("/feed", b"<rss/>", headers=RSS)
    assert fetch_sync(url, local(), accept="application/rss+xml").content == b"<rss/>"
    assert loopback.requests_for("/feed")[0].headers["accept"] == "application/rss+xml"


def test_fetcher_must_be_opened() -> None:
    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(Fetcher(local()).fetch("http://127.0.0.1:9/"))


@pytest.mark.parametrize(
    "bad",
    [{"concurrency": 0}, {"per_host": 0}, {"read_timeout": 0}, {"max_bytes": -1}, {"host_delay": -1.0}],
    ids=["concurrency", "per-host", "timeout", "max-bytes", "delay"],
)
def test_invalid_settings(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        FetchSettings(**bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30", 30.0),
        (" 0 ", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("soon", None),
        (None, None),
        ("\u00b2", None),
    ],
    ids=["seconds", "zero", "past-date", "garbage", "missing", "superscript-two"],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://WWW.Example.ORG/Path?b=2&a=1#section", "https://www.example.org/Path?b=2&a=1"),
        ("https://example.org/a?utm_source=rss&id=7&utm_medium=feed", "https://example.org/a?id=7"),
        ("https://example.org/a?fbclid=X&gclid=Y", "https://example.org/a"),
        ("https://www.lemonde.fr/a.html?xtor=RSS-3208&at_medium=rss", "https://www.lemonde.fr/a.html"),
        ("http://example.org:80/a", "http://example.org/a"),
        ("https://example.org:8443/a", "https://example.org:8443/a"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org/a?q=caf%C3%A9&UTM_Campaign=x", "https://example.org/a?q=caf%C3%A9"),
        ("https://example.org/a?flag&utm_x=1", "https://example.org/a?flag"),
    ],
    ids=[
        "case-fragment",
        "utm",
        "click-ids",
        "xiti",
        "default-port",
        "other-port",
        "empty-path",
        "encoding",
        "bare",
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"cache-control": "public, max-age=600"}, 600.0),
        ({"cache-control": 'max-age="60", must-revalidate'}, 60.0),
        ({"cache-control": "s-maxage=5"}, None),
        ({"cache-control": "no-store, max-age=600"}, None),
        ({"expires": "Wed, 21 Oct 2015 09:28:00 GMT", "date": "Wed, 21 Oct 2015 07:28:00 GMT"}, 7200.0),
        ({"expires": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # in the past
        ({"expires": "0"}, None),
        ({}, None),
    ],
)
def test_freshness(headers: dict[str, str], expected: float | None) -> None:
    assert freshness(headers) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["cache-control", "expires", "date"]),
        st.one_of(
            st.text(),
            st.from_regex(r"\A(public, )?max-age=\d{1,30}\Z"),
            st.from_regex(r"\A[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{1,6} \d\d:\d\d:\d\d GMT\Z"),
        ),
    ),
    st.one_of(st.none(), st.text()),
)
def test_response_headers_never_raise(headers: dict[str, str], retry_after: str | None) -> None:
    fresh = freshness(headers)
    assert fresh is None or fresh >= 0
    wait = parse_retry_after(retry_after)
    assert wait is None or wait >= 0
