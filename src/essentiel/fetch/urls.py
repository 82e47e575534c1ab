"""URL helpers: canonical form (for deduplication) and the SSRF guard (public hosts only)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from urllib.parse import urlsplit, urlunsplit

from essentiel.errors import FetchError

log = logging.getLogger(__name__)

ALLOWED_SCHEMES = ("http", "https")

# Query parameters that only track the reader: dropped by canonical_url. Matched case-insensitively.
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "_hs", "ns_", "ga_")
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "twclid",
        "ttclid",
        "mc_cid",
        "mc_eid",
        "mkt_tok",
        "xtor",
        "xts",
        "xtref",
        "ocid",
        "cmpid",
        "ito",
        "_ga",
        "_gl",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt_mc",
    }
)

_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    key = name.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The URL without what does not identify the document.

    Lowercases scheme and host, drops the default port, the fragment and tracking parameters
    (utm_*, fbclid, gclid, xtor, at_medium...). Everything else, including the order and the
    encoding of the remaining parameters, is kept as is. An empty path becomes '/'.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    netloc = host
    if ":" in host:  # IPv6 literal
        netloc = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    if parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    path = parts.path or ("/" if netloc else "")
    kept = [p for p in parts.query.split("&") if p and not is_tracking_param(p.split("=", 1)[0])]
    return urlunsplit((scheme, netloc, path, "&".join(kept), ""))


def check_url(url: str) -> str:
    """The URL's host if it is an absolute http(s) URL, else a FetchError."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise FetchError(url, f"invalid URL ({exc})") from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        shown = parts.scheme or "none"
        raise FetchError(url, f"unsupported URL scheme '{shown}' (only http and https)")
    if not host:
        raise FetchError(url, "invalid URL: no host")
    return host


def is_public_address(address: str) -> bool:
    """False for loopback, private, link-local, multicast, reserved and unspecified addresses."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    ):
        return False
    return ip.is_global


async def resolve(host: str, port: int) -> list[str]:
    """Every address a host name resolves to (socket.getaddrinfo, run in a thread)."""
    infos = await asyncio.to_thread(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


async def ensure_public(url: str) -> None:
    """Refuse (FetchError) a URL whose host resolves to a non-public address: the SSRF guard.

    Every address must be public: a host that resolves to one public and one private address is
    refused. The check happens before the request; it does not stop a DNS rebinding between the
    check and the connection.
    """
    host = check_url(url)
    parts = urlsplit(url)
    port = parts.port or _DEFAULT_PORTS[parts.scheme.lower()]
    try:
        addresses = await resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise FetchError(url, f"cannot resolve host '{host}' ({exc})") from None
    blocked = [a for a in addresses if not is_public_address(a)]
    if blocked or not addresses:
        shown = ", ".join(blocked) or "nothing"
        raise FetchError(
            url,
            f"refused: host '{host}' resolves to a non-public address ({shown}); "
            "set allow_private to fetch private or loopback hosts",
        )
