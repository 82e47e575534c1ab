"""Domain exceptions. The CLI turns each into one clear line (exit code 2), never a traceback."""

from __future__ import annotations


class EssentielError(Exception):
    """Base class for every error a user can cause or fix."""


class ConfigError(EssentielError):
    """A configuration file or environment override is invalid: names the file, the key and what is allowed."""


class SourceError(EssentielError):
    """A source (feed, sitemap, page) could not be fetched or parsed. Names the source and what went wrong."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.reason = message


class FetchError(SourceError):
    """An HTTP fetch failed: timeout, status, size limit, bad content type, SSRF guard..."""


class ParseError(SourceError):
    """A document was fetched but its content could not be parsed (broken XML, not a feed, empty page)."""


class InputError(EssentielError):
    """A file given on the command line is missing or malformed (names the file and, where known, the line)."""


class StoreError(EssentielError):
    """The database cannot be opened or is in an unexpected state."""
