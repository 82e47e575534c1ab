"""A real HTTP server on 127.0.0.1 (or another 127.x address) for tests, and its pytest fixture `loopback`.

    def test_x(loopback):
        url = loopback.route("/feed.xml", body=b"<rss ...>", headers={"Content-Type": "application/rss+xml"})
        loopback.route("/old", status=301, headers={"Location": "/feed.xml"})   # or loopback.redirect()
        loopback.route("/slow", body=b"...", delay=2.0)                          # waits before answering
        loopback.route("/tagged", body=b"...", etag='"v1"')                     # 304 on If-None-Match
        loopback.route("/zipped", body=b"...", gzip=True)                        # Content-Encoding: gzip
        ...
        loopback.requests_for("/feed.xml")[0].headers["user-agent"]
        loopback.max_in_flight                                                   # peak concurrent requests

Unknown paths answer 404. The routing table can be changed while the server runs.
"""

from __future__ import annotations

import gzip as gzip_module
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

log = logging.getLogger(__name__)


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line is sent
    chunk_delay: float = 0.0  # when set, the body is sent in 10 pieces with this pause between them
    etag: str | None = None  # sent as ETag; a matching If-None-Match gets a 304
    last_modified: str | None = None  # sent as Last-Modified; an equal If-Modified-Since gets a 304


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lowercased names
    at: float  # time.monotonic() when the request arrived


class LoopbackServer:
    """`host` may be any 127.x.y.z address (Linux): several servers then look like several outlets."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.routes: dict[str, Route] = {}
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _QuietServer((host, 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.02,), name="loopback", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        status: int = 200,
        headers: dict[str, str] | None = None,
        *,
        gzip: bool = False,
        **options: Any,
    ) -> str:
        """Serve `body` at `path` (replacing any previous route); returns the full URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        all_headers = dict(headers or {})
        if gzip:
            data = gzip_module.compress(data)
            all_headers["Content-Encoding"] = "gzip"
        self.routes[path] = Route(status=status, body=data, headers=all_headers, **options)
        return self.url(path)

    def redirect(self, path: str, to: str, status: int = 302) -> str:
        return self.route(path, status=status, headers={"Location": to})

    def requests_for(self, path: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stopping.set()  # wakes handlers that are sleeping on a delay
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _enter(self, handler: BaseHTTPRequestHandler) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:
            self.requests.append(Recorded(handler.command, handler.path, headers, time.monotonic()))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        route = self.routes.get(handler.path) or self.routes.get(handler.path.split("?", 1)[0])
        if route is None:
            route = Route(status=404, body=b"not found", headers={"Content-Type": "text/plain"})
        if route.delay and self._stopping.wait(route.delay):
            return
        status, body = route.status, route.body
        if _not_modified(route, handler):
            status, body = 304, b""
        handler.send_response(status)
        for name, value in route.headers.items():
            handler.send_header(name, value)
        if route.etag:
            handler.send_header("ETag", route.etag)
        if route.last_modified:
            handler.send_header("Last-Modified", route.last_modified)
        if not any(name.lower() == "content-length" for name in route.headers):
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command == "HEAD" or not body:
            return
        if not route.chunk_delay:
            handler.wfile.write(body)
            return
        step = max(1, len(body) // 10)
        for start in range(0, len(body), step):
            handler.wfile.write(body[start : start + step])
            handler.wfile.flush()
            if self._stopping.wait(route.chunk_delay):
                return


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("loopback: error while serving %s", client_address, exc_info=True)


def _not_modified(route: Route, handler: BaseHTTPRequestHandler) -> bool:
    if route.status != 200:
        return False
    if route.etag and handler.headers.get("If-None-Match") == route.etag:
        return True
    return bool(route.last_modified and handler.headers.get("If-Modified-Since") == route.last_modified)


def _make_handler(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def _handle(self) -> None:
            server._enter(self)
            try:
                server._answer(self)
            except (ConnectionError, OSError):
                pass  # the client gave up (timeouts, size limits): expected in tests
            finally:
                server._leave()

        do_GET = _handle
        do_HEAD = _handle

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("loopback: " + format, *args)

    return Handler


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A started LoopbackServer, closed after the test."""
    server = LoopbackServer().start()
    try:
        yield server
    finally:
        server.close()
