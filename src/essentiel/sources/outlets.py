"""Outlet identity: which outlet a host belongs to, so one outlet with several feeds or domains counts once.

The key is the host's registrable domain (the public suffix list, bundled in `publicsuffixlist`: no network):
`www.lemonde.fr`, `rss.lemonde.fr` and `lemonde.fr/international` are all `lemonde.fr`; `bbc.co.uk` stays
`bbc.co.uk`, and a blog under a shared host (`someone.blogspot.com`) is its own outlet. Then the bundled
`data/outlets.json` (derived from Kagi News' media list by scripts/make_outlets.py) maps the other domains
of one outlet to its key (`bbc.com` -> `bbc.co.uk`) and gives its name, country and language when known.
IP addresses and single-label hosts (`localhost`) are their own key.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList


@dataclass(frozen=True)
class Outlet:
    key: str  # the outlet's main domain
    name: str | None = None  # the outlet's name, when the media list knows it
    group: str | None = None  # the press group it belongs to (owner of several outlets), when known
    country: str | None = None  # ISO 3166 alpha-2, lowercase
    language: str | None = None


@cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


@cache
def _known() -> dict[str, dict[str, str]]:
    text = resources.files("essentiel").joinpath("data/outlets.json").read_text(encoding="utf-8")
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


def host_of(url: str | None) -> str:
    """The host of a URL, lowercased ('' when there is none or the URL is not valid)."""
    try:
        return (urlsplit(url).hostname or "") if url else ""
    except ValueError:
        return ""


def registrable_domain(host: str) -> str:
    """`host` lowercased without its subdomains: 'rss.lemonde.fr' -> 'lemonde.fr'; an IP address stays."""
    host = host.strip().lower().rstrip(".")
    if not host or "." not in host:
        return host
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    return _psl().privatesuffix(host) or (host[4:] if host.startswith("www.") else host)


@cache
def outlet_for_host(host: str) -> Outlet:
    """The outlet of a host name (cached: called for every article)."""
    domain = registrable_domain(host)
    entry = _known().get(domain)
    if entry is None:
        return Outlet(domain)
    return Outlet(
        key=entry["outlet"],
        name=entry.get("name"),
        group=entry.get("group"),
        country=entry.get("country"),
        language=entry.get("language"),
    )
