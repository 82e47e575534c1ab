"""Settings: one table (key, default, help, validator), a TOML file, and ESSENTIEL_* environment overrides.

A mistake gives one line naming the file, the key and what is allowed (ConfigError).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError, InputError
from .models import Source
from .store.location import StoreLocation, parse_location

DEFAULT_CONFIG = "essentiel.toml"
LANGUAGES = ("fr", "en", "de", "es", "it", "pt", "nl")


def _timezone(value: Any) -> str | None:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        return "an IANA time zone such as Europe/Paris"
    return None


def _languages(value: Any) -> str | None:
    if isinstance(value, list) and value and all(isinstance(v, str) and len(v) == 2 for v in value):
        return None
    return 'a non-empty list of two-letter language codes, e.g. ["fr", "en"]'


def _time_of_day(value: Any) -> str | None:
    parts = str(value).split(":")
    ok = len(parts) == 2 and all(p.isdigit() for p in parts) and int(parts[0]) < 24 and int(parts[1]) < 60
    return None if ok else "a time of day HH:MM"


def _between(low: float, high: float) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"a number from {low:g} to {high:g}"

    return check


def _one_of(*allowed: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in allowed else "one of " + ", ".join(allowed)

    return check


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else "a string"


def _database(value: Any) -> str | None:
    if not isinstance(value, str):
        return "a path, sqlite:///path or postgresql://user@host:port/database"
    try:
        parse_location(value)
    except InputError as exc:
        return str(exc)
    return None


def _addresses(value: Any) -> str | None:
    ok = isinstance(value, list) and all(isinstance(v, str) and "@" in v for v in value)
    return None if ok else 'a list of e-mail addresses, e.g. ["moi@example.org"]'


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "true or false"


@dataclass(frozen=True)
class Setting:
    key: str  # "section.name"
    default: Any
    help: str
    check: Callable[[Any], str | None]


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "general.database",
        "essentiel.db",
        "SQLite file (relative to the configuration file), sqlite:///path or postgresql://user@host:port/db",
        _database,
    ),
    Setting("general.languages", ["fr", "en"], "languages of the edition, first is the main one", _languages),
    Setting("general.timezone", "Europe/Paris", "time zone of the edition's day", _timezone),
    Setting("general.ui_language", "fr", "language of the web app and static site", _one_of("fr", "en")),
    Setting(
        "general.keep_documents_days",
        0,
        "days raw pages are kept for re-extraction (0 = forever)",
        _between(0, 36500),
    ),
    Setting("general.log_format", "text", "log lines as key=value text or JSON", _one_of("text", "json")),
    Setting("schedule.fetch_every_minutes", 30, "how often due sources are checked", _between(1, 1440)),
    Setting(
        "schedule.min_check_minutes",
        15,
        "shortest interval between two checks of a feed, whatever the feed's own ttl or update period says",
        _between(1, 10080),
    ),
    Setting(
        "schedule.max_check_minutes",
        1440,
        "longest interval between two checks of a feed, whatever the feed's own ttl or update period says",
        _between(1, 10080),
    ),
    Setting("schedule.edition_at", "07:00", "when the day's edition is built (local time)", _time_of_day),
    Setting("edition.size", 10, "how many stories an edition holds", _between(1, 100)),
    Setting("edition.window_hours", 36, "how far back articles are considered", _between(1, 24 * 14)),
    Setting("edition.summary_words", 60, "maximum words of an essentiel", _between(20, 400)),
    Setting(
        "ranking.outlets", 3.0, "points per doubling of (weighted) independent outlets", _between(0, 100)
    ),
    Setting("ranking.articles", 1.0, "points per doubling of articles", _between(0, 100)),
    Setting("ranking.languages", 0.5, "points per language beyond the first", _between(0, 100)),
    Setting("ranking.countries", 0.5, "points per country beyond the first", _between(0, 100)),
    Setting(
        "ranking.velocity",
        1.0,
        "points per doubling of the recent rate over the story's past",
        _between(0, 100),
    ),
    Setting("ranking.velocity_hours", 3.0, "hours that count as recent for velocity", _between(0.5, 48)),
    Setting(
        "ranking.recency", 1.5, "points for a story published now (halved every half-life)", _between(0, 100)
    ),
    Setting("ranking.authority", 0.5, "points per unit of the sources' mean weight", _between(0, 100)),
    Setting(
        "ranking.entities",
        0.0,
        "points for named-entity salience (runs spaCy on every story)",
        _between(0, 100),
    ),
    Setting(
        "ranking.novelty",
        2.0,
        "points for a story new since the previous edition (minus: nothing new)",
        _between(0, 100),
    ),
    Setting(
        "ranking.prominence",
        1.5,
        "points per doubling of (1 + outlets leading with the story in a top-stories feed)",
        _between(0, 100),
    ),
    Setting(
        "ranking.half_life_hours", 12.0, "hours for a story's recency points to halve", _between(0.5, 720)
    ),
    Setting(
        "ranking.authoritative",
        1.5,
        "source weight from which a single-source story competes with multi-source ones",
        _between(0, 100),
    ),
    Setting(
        "fetch.user_agent",
        "essentiel/0.1 (+https://github.com/essentiel-news/essentiel)",
        "User-Agent",
        _text,
    ),
    Setting("fetch.concurrency", 8, "requests in flight at most", _between(1, 256)),
    Setting("fetch.per_host", 2, "requests in flight per host at most", _between(1, 16)),
    Setting("fetch.host_delay", 1.0, "seconds between two requests to one host", _between(0, 600)),
    Setting("fetch.timeout", 30.0, "total seconds for one request", _between(1, 600)),
    Setting("fetch.max_bytes", 10_000_000, "largest body accepted", _between(1000, 1_000_000_000)),
    Setting("fetch.respect_robots", True, "honour robots.txt", _boolean),
    Setting("fetch.allow_private", False, "allow loopback/private addresses (tests, intranets)", _boolean),
    Setting(
        "fetch.sitemap_max_urls",
        200,
        "URLs taken from a sitemap at each check (the newest by publication date)",
        _between(1, 50_000),
    ),
    Setting(
        "summary.llm_url", "", "OpenAI-compatible server for the optional LLM summariser ('' = off)", _text
    ),
    Setting("summary.llm_model", "", "model name on that server", _text),
    Setting("summary.llm_timeout", 60.0, "seconds allowed for one LLM summary", _between(1, 600)),
    Setting(
        "web.public", True, "reading pages open to everyone (false: the admin token is needed)", _boolean
    ),
    Setting("web.admin_token", "", "password/token of the admin pages ('' = admin disabled)", _text),
    Setting("email.smtp_host", "", "SMTP server of the daily e-mail ('' = no e-mail)", _text),
    Setting("email.smtp_port", 587, "SMTP port", _between(1, 65535)),
    Setting(
        "email.starttls", True, "use STARTTLS (port 587); false with port 465 means implicit TLS", _boolean
    ),
    Setting("email.username", "", "SMTP user ('' = no authentication)", _text),
    Setting("email.password", "", "SMTP password", _text),
    Setting("email.sender", "", "From: address", _text),
    Setting("email.recipients", [], "To: addresses", _addresses),
    Setting("outputs.site_dir", "site", "folder of the static site ('' for none)", _text),
    Setting("outputs.markdown", "", "Markdown file of the edition ('' for none)", _text),
    Setting("outputs.host", "127.0.0.1", "address the web app listens on", _text),
    Setting("outputs.port", 8000, "port of the web app", _between(1, 65535)),
)
SETTINGS_BY_KEY = {s.key: s for s in SETTINGS}
SOURCE_KEYS = {"url", "name", "kind", "language", "country", "category", "weight", "independent", "full_page"}


@dataclass(frozen=True)
class Config:
    values: Mapping[str, Any]
    sources: tuple[Source, ...] = ()
    path: Path | None = None

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def section(self, name: str) -> dict[str, Any]:
        prefix = name + "."
        return {k.removeprefix(prefix): v for k, v in self.values.items() if k.startswith(prefix)}

    @property
    def database(self) -> StoreLocation:
        """The store: an SQLite file (a path relative to the configuration file) or a PostgreSQL URL."""
        return parse_location(
            self.values["general.database"], None if self.path is None else self.path.parent
        )

    @property
    def site_dir(self) -> Path | None:
        site = self.values["outputs.site_dir"]
        if not site:
            return None
        return Path(site) if Path(site).is_absolute() or self.path is None else self.path.parent / site


def _env_value(name: str, raw: str, setting: Setting) -> Any:
    """Environment values are TOML literals (numbers, booleans, lists) or plain strings."""
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    if isinstance(setting.default, str) and not isinstance(value, str):
        value = raw
    return value


def _check(origin: str, key: str, value: Any) -> None:
    setting = SETTINGS_BY_KEY.get(key)
    if setting is None:
        raise ConfigError(f"{origin}: unknown key '{key}' (see `essentiel init` for the allowed keys)")
    problem = setting.check(value)
    if problem:
        raise ConfigError(f"{origin}: {key} = {value!r} is not allowed: expected {problem}")


def _sources(origin: str, raw: Any) -> tuple[Source, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{origin}: sources must be a list of [[sources]] tables")
    found = []
    for index, entry in enumerate(raw, 1):
        where = f"{origin}: sources[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            raise ConfigError(f"{where}: each source needs a url string")
        unknown = set(entry) - SOURCE_KEYS
        if unknown:
            raise ConfigError(
                f"{where}: unknown key '{sorted(unknown)[0]}' (allowed: {', '.join(sorted(SOURCE_KEYS))})"
            )
        if not entry["url"].startswith(("http://", "https://")):
            raise ConfigError(f"{where}: url {entry['url']!r} must start with http:// or https://")
        found.append(Source(**entry))
    return tuple(found)


def default_sources() -> tuple[Source, ...]:
    text = (resources.files("essentiel") / "default_sources.toml").read_text(encoding="utf-8")
    return _sources("default_sources.toml", tomllib.loads(text)["sources"])


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Defaults, then the TOML file (if any), then ESSENTIEL_SECTION_NAME environment overrides."""
    env = os.environ if env is None else env
    values = {s.key: s.default for s in SETTINGS}
    sources: tuple[Source, ...] = ()
    file = Path(path) if path else None
    if file is not None:
        origin = str(file)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(
                f"{origin}: no such configuration file (create one with `essentiel init`)"
            ) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{origin}: invalid TOML ({exc})") from None
        for section, table in data.items():
            if section == "sources":
                sources = _sources(origin, table)
                continue
            if not isinstance(table, dict):
                raise ConfigError(f"{origin}: unknown key '{section}' (expected a [section] table)")
            for name, value in table.items():
                _check(origin, f"{section}.{name}", value)
                values[f"{section}.{name}"] = value
    for setting in SETTINGS:
        name = "ESSENTIEL_" + setting.key.replace(".", "_").upper()
        if name in env:
            value = _env_value(name, env[name], setting)
            _check(f"environment {name}", setting.key, value)
            values[setting.key] = value
    return Config(values=values, sources=sources, path=file.resolve() if file else None)


def render_config(sources: tuple[Source, ...] | None = None) -> str:
    """The commented essentiel.toml written by `essentiel init`."""
    lines = [
        "# essentiel configuration. Every key is optional; shown values are the defaults.",
        "# Environment variables override keys: ESSENTIEL_<SECTION>_<KEY>, e.g. ESSENTIEL_EDITION_SIZE=5.",
    ]
    section = ""
    for s in SETTINGS:
        head, name = s.key.split(".")
        if head != section:
            lines += ["", f"[{head}]"]
            section = head
        lines += [f"# {s.help}", f"{name} = {_toml(s.default)}"]
    lines += [
        "",
        "# Sources: feeds (RSS/Atom/JSON Feed), sitemaps, homepages or single articles.",
        "# Keys: " + ", ".join(sorted(SOURCE_KEYS)) + ".",
        "# weight is the outlet's authority (1 = normal);"
        " independent = false for wire services (AFP, Reuters, AP), whose copy is not independent coverage.",
    ]
    category = None
    for src in default_sources() if sources is None else sources:
        if src.category != category:
            lines += ["", f"# --- {src.category or 'Other'} ---"]
            category = src.category
        lines.append("[[sources]]")
        for key in ("url", "name", "category", "language"):
            value = getattr(src, key)
            if value:
                lines.append(f"{key} = {_toml(value)}")
        if not src.independent:
            lines.append("independent = false")
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


__all__ = ["Config", "SETTINGS", "load_config", "render_config", "default_sources"]
