"""Where a store lives: an SQLite file (a path, or `sqlite:///path`) or a PostgreSQL database (`postgresql://...`).

`general.database` and `essentiel store copy` take either form; `open_store` dispatches on the parsed value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..errors import InputError


@dataclass(frozen=True)
class PostgresDsn:
    """A PostgreSQL connection URL. Printed with its password masked; `exists()` is True (the server says more)."""

    url: str

    @property
    def name(self) -> str:
        """The database name (the URL's path)."""
        return urlsplit(self.url).path.lstrip("/") or "postgres"

    def exists(self) -> bool:
        return True

    def __str__(self) -> str:
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))


StoreLocation = Path | PostgresDsn


def parse_location(value: str | Path | PostgresDsn, base: Path | None = None) -> StoreLocation:
    """A path or `sqlite:///path` (relative paths are taken from `base`), or a `postgresql://` URL."""
    if isinstance(value, PostgresDsn):
        return value
    if isinstance(value, Path):
        path = value.expanduser()
    else:
        text = value.strip()
        scheme = text.split(":", 1)[0].lower() if "://" in text else ""
        if scheme in {"postgresql", "postgres"}:
            if not urlsplit(text).hostname and "host=" not in text:
                raise InputError(
                    f"{text}: a PostgreSQL URL needs a host (postgresql://user@host:port/database)"
                )
            return PostgresDsn(text)
        if scheme == "sqlite":
            # SQLAlchemy's form: sqlite:///relative.db, sqlite:////absolute/path.db
            text = text[len("sqlite:///") :] if text.lower().startswith("sqlite:///") else ""
            if not text:
                raise InputError(f"{value}: an SQLite URL needs a path (sqlite:///path/to/essentiel.db)")
        elif scheme:
            raise InputError(
                f"{text}: unknown database URL scheme {scheme!r} (use a path, sqlite:///path or postgresql://...)"
            )
        path = Path(text).expanduser()
    return path if path.is_absolute() or base is None else base / path
