"""Hostile network: SSRF through redirects and names that resolve to private addresses, endless or dripping
bodies, TLS errors. Each against the real loopback server and the real fetcher, beside a good source."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from essentiel.fetch import urls
from essentiel.models import Source
from loopback import LoopbackServer

from .conftest import RSS, HostileRun, HostileServer

OUTLET = "127.0.0.2"  # plays a public outlet; everything else on loopback is private, as it really is


@pytest.fixture
def public_outlet(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    """The SSRF guard on (allow_private = false), with 127.0.0.2 taken for a public address.

    Only `is_public_address` learns this one exception; name resolution, every redirect hop and the refusal
    are the real ones.
    """
    real = urls.is_public_address
    monkeypatch.setattr(urls, "is_public_address", lambda address: address == OUTLET or real(address))
    outlet = HostileServer(OUTLET).start()
    try:
        yield outlet
    finally:
        outlet.close()


@pytest.fixture
def private(loopback: LoopbackServer) -> LoopbackServer:
    """An internal service on 127.0.0.1 that an attacker wants us to reach."""
    loopback.route("/secret", "INTERNAL-SECRET", headers={"Content-Type": "application/rss+xml"})
    return loopback


def redirect_targets(private: LoopbackServer) -> dict[str, str]:
    port = private.port
    return {
        "localhost": f"http://localhost:{port}/secret",
        "127.0.0.1": f"http://127.0.0.1:{port}/secret",
        "127.1 shorthand": f"http://127.1:{port}/secret",
        "decimal IP": f"http://2130706433:{port}/secret",
        "hex IP": f"http://0x7f000001:{port}/secret",
        "IPv6 loopback": f"http://[::1]:{port}/secret",
        "IPv4-mapped IPv6": f"http://[::ffff:127.0.0.1]:{port}/secret",
        "cloud metadata": "http://169.254.169.254/latest/meta-data/",
        "private network": "http://10.0.0.1/admin",
        "unspecified": f"http://0.0.0.0:{port}/secret",
    }


TARGET_NAMES = [
    "localhost",
    "127.0.0.1",
    "127.1 shorthand",
    "decimal IP",
    "hex IP",
    "IPv6 loopback",
    "IPv4-mapped IPv6",
    "cloud metadata",
    "private network",
    "unspecified",
]


def run_guarded(hostile_run: HostileRun, outlet: HostileServer, sources: list[Source]) -> object:
    hostile_run.good = outlet.route(
        "/good/feed.xml",
        hostile_run.server.routes["/good/feed.xml"].body.replace(
            hostile_run.server.base_url.encode(), outlet.base_url.encode()
        ),
        headers=RSS,
    )
    for index in range(2):
        outlet.route(
            f"/good/{index}.html",
            hostile_run.server.routes[f"/good/{index}.html"].body,
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
    return hostile_run(sources, ESSENTIEL_FETCH_ALLOW_PRIVATE="false")


@pytest.mark.parametrize("name", TARGET_NAMES)
def test_ssrf_through_a_redirect_is_refused(
    name: str, hostile_run: HostileRun, public_outlet: HostileServer, private: LoopbackServer
) -> None:
    target = redirect_targets(private)[name]
    url = public_outlet.redirect("/feed.xml", target)
    outcome = run_guarded(hostile_run, public_outlet, [Source(url=url, name="redirecting")])
    error = outcome.error(url)  # type: ignore[attr-defined]
    assert error.startswith(url + ": ") and "refused" in error and "non-public address" in error, error
    assert f"(redirected to {target})" in error, error
    assert private.requests_for("/secret") == []


@pytest.mark.parametrize("name", TARGET_NAMES)
def test_names_and_addresses_resolving_to_private_hosts_are_refused(
    name: str, hostile_run: HostileRun, public_outlet: HostileServer, private: LoopbackServer
) -> None:
    url = redirect_targets(private)[name]
    outcome = run_guarded(hostile_run, public_outlet, [Source(url=url, name="internal")])
    error = outcome.error(url)  # type: ignore[attr-defined]
    assert "refused" in error and "non-public address" in error, error
    assert private.requests_for("/secret") == []


def test_article_links_to_private_hosts_are_refused(
    hostile_run: HostileRun, public_outlet: HostileServer, private: LoopbackServer
) -> None:
    """A public feed whose entries point inside: each page is refused, the feed's check itself succeeds."""
    items = "".join(
        f"<item><title>{name}</title><link>{target}</link></item>"
        for name, target in redirect_targets(private).items()
    )
    url = public_outlet.route(
        "/inside.xml", f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>', headers=RSS
    )
    outcome = run_guarded(hostile_run, public_outlet, [Source(url=url, name="inside")])
    assert outcome.states[url].error_count == 0  # type: ignore[attr-defined]
    errors = outcome.results[url].errors  # type: ignore[attr-defined]
    assert len(errors) == len(TARGET_NAMES) and all("refused" in e for e in errors), errors
    assert private.requests_for("/secret") == []


def endless(chunked: bool, drip: float = 0.0):  # type: ignore[no-untyped-def]
    def body(handler: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
        if chunked:
            handler.protocol_version = "HTTP/1.1"
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        if chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("Connection", "close")
        handler.end_headers()
        piece = b"<item><title>encore</title><link>http://x.fr/a</link></item>" * (1 if drip else 500)
        handler.wfile.write(
            b'<rss version="2.0"><channel>'
            if not chunked
            else b"1c\r\n" + b'<rss version="2.0"><channel>' + b"\r\n"
        )
        while not stopping.is_set():
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            handler.wfile.flush()
            if drip and stopping.wait(drip):
                return

    return body


def test_an_endless_chunked_body_is_cut_at_max_bytes(hostile_run: HostileRun, server: HostileServer) -> None:
    url = server.stream("/endless.xml", endless(chunked=True))
    outcome = hostile_run([Source(url=url, name="endless")], ESSENTIEL_FETCH_MAX_BYTES="1000000")
    assert "body too large: more than 1000000 bytes (max_bytes)" in outcome.error(url)


def test_an_endless_body_without_length_is_cut_at_max_bytes(
    hostile_run: HostileRun, server: HostileServer
) -> None:
    url = server.stream("/endless.xml", endless(chunked=False))
    outcome = hostile_run([Source(url=url, name="endless")], ESSENTIEL_FETCH_MAX_BYTES="1000000")
    assert "body too large: more than 1000000 bytes (max_bytes)" in outcome.error(url)


def test_a_dripping_endless_body_times_out(hostile_run: HostileRun, server: HostileServer) -> None:
    url = server.stream("/drip.xml", endless(chunked=True, drip=0.2))
    started = time.monotonic()
    outcome = hostile_run([Source(url=url, name="drip")], ESSENTIEL_FETCH_TIMEOUT="2")
    assert "timed out after 2s (total)" in outcome.error(url)
    assert time.monotonic() - started < 60


def test_a_server_that_never_answers_times_out(hostile_run: HostileRun, server: HostileServer) -> None:
    url = server.route("/silent.xml", b"<rss/>", headers=RSS, delay=30)
    outcome = hostile_run([Source(url=url, name="silent")], ESSENTIEL_FETCH_TIMEOUT="2")
    assert "timed out after 2s" in outcome.error(url)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[HostileServer]:
    """The loopback server behind TLS with a certificate no one trusts (a throwaway CA made by trustme)."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    secure = HostileServer()
    secure._httpd.socket = context.wrap_socket(secure._httpd.socket, server_side=True)
    secure.start()
    try:
        yield secure
    finally:
        secure.close()


def test_an_untrusted_certificate_is_a_tls_error(hostile_run: HostileRun, tls_server: HostileServer) -> None:
    tls_server.route(
        "/feed.xml", b'<rss version="2.0"><channel><title>t</title></channel></rss>', headers=RSS
    )
    url = tls_server.url("/feed.xml").replace("http://", "https://")
    outcome = hostile_run([Source(url=url, name="tls")])
    error = outcome.error(url)
    assert error.startswith(url + ": TLS handshake failed") and "certificate verify failed" in error, error
    assert tls_server.requests_for("/feed.xml") == []


def test_plain_http_on_an_https_url_is_a_tls_error(hostile_run: HostileRun, server: HostileServer) -> None:
    server.route("/plain.xml", b'<rss version="2.0"><channel><title>t</title></channel></rss>', headers=RSS)
    url = server.url("/plain.xml").replace("http://", "https://")
    outcome = hostile_run([Source(url=url, name="plain")])
    assert outcome.error(url).startswith(url + ": TLS handshake failed"), outcome.error(url)


def test_tls_errors_are_counted_in_the_metrics(hostile_run: HostileRun, tls_server: HostileServer) -> None:
    url = tls_server.url("/feed.xml").replace("http://", "https://")
    outcome = hostile_run([Source(url=url, name="tls")])
    assert outcome.store.fetch_counts().get("tls") == 1
