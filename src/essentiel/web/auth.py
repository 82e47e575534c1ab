"""Admin authentication: the configured token, as a Bearer header or a signed session cookie, and CSRF tokens.

The signing key is derived from the admin token, so changing the token ends every session. A session cookie
is `<issued unix time>.<hmac>`; the CSRF token of a session is an HMAC of the cookie, checked on every form
POST (a Bearer request carries no cookie, so it needs none).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

from starlette.requests import Request

log = logging.getLogger(__name__)

SESSION_COOKIE = "essentiel_admin"
SESSION_SECONDS = 7 * 86400


class Auth:
    """Checks the admin token; `enabled` is False when no token is configured (admin disabled)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.key = hashlib.sha256(f"essentiel-admin:{token}".encode()).digest()

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    def _sign(self, value: str) -> str:
        return hmac.new(self.key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def token_ok(self, given: str) -> bool:
        return self.enabled and hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8"))

    def new_session(self, now: float | None = None) -> str:
        issued = str(int(now if now is not None else time.time()))
        return f"{issued}.{self._sign('session:' + issued)}"

    def session_ok(self, cookie: str | None, now: float | None = None) -> bool:
        if not self.enabled or not cookie or "." not in cookie:
            return False
        issued, signature = cookie.split(".", 1)
        if not issued.isdigit() or not hmac.compare_digest(signature, self._sign("session:" + issued)):
            return False
        return (now if now is not None else time.time()) - int(issued) < SESSION_SECONDS

    def bearer_ok(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        return scheme.lower() == "bearer" and self.token_ok(value.strip())

    def is_admin(self, request: Request) -> bool:
        return self.bearer_ok(request) or self.session_ok(request.cookies.get(SESSION_COOKIE))

    def csrf_token(self, request: Request) -> str:
        """The CSRF token of the request's session ('' without a session)."""
        cookie = request.cookies.get(SESSION_COOKIE)
        return self._sign("csrf:" + cookie) if cookie and self.session_ok(cookie) else ""

    def login_csrf(self, pre_session: str) -> str:
        """The login form's token: tied to the client's pre-session cookie (double submit)."""
        return self._sign("login:" + pre_session) if pre_session else ""

    def csrf_ok(self, request: Request, given: str) -> bool:
        """A form POST is accepted with its session's CSRF token, or from a Bearer client."""
        if self.bearer_ok(request):
            return True
        expected = self.csrf_token(request)
        return bool(expected) and hmac.compare_digest(expected, given)
