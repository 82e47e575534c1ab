"""The batch's WARC inputs: files named by paths, globs or fsspec URLs, read record by record with their offsets.

A corrupt record (a broken gzip member, unparsable headers) is reported with its file and offset and skipped:
the reader seeks forward to the next record start (a gzip member for .warc.gz, a `WARC/1.` line otherwise) and
goes on. Only a file whose first record cannot be read at all is an error (it is not a WARC file).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from ..errors import InputError
from ..inputs import fetched_from_record
from ..models import Fetched

GZIP_MAGIC = b"\x1f\x8b\x08"
WARC_MAGIC = b"WARC/1."
SEEK_CHUNK = 1 << 20
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]+")

OnCorrupt = Callable[[int, str], None]


def _record_errors() -> tuple[type[BaseException], ...]:
    from warcio.exceptions import ArchiveLoadFailed
    from warcio.statusandheaders import StatusAndHeadersParserException

    return (
        ArchiveLoadFailed,
        StatusAndHeadersParserException,
        ValueError,
        OSError,
        EOFError,
        zlib.error,
        InputError,
    )


def _first_line(exc: BaseException) -> str:
    """The first line of an error, printable (a run of a corrupt record's bytes is shown as '?'), at most 80 chars."""
    text = str(exc).strip().splitlines()
    return _UNPRINTABLE.sub("?", text[0] if text else type(exc).__name__)[:80]


def expand_inputs(patterns: Sequence[str], suffixes: tuple[str, ...] = (".warc", ".warc.gz")) -> list[str]:
    """The files named by local paths, globs or fsspec URLs (s3://..., when that filesystem is installed).

    A folder stands for the files in it with one of `suffixes`. Raises InputError naming the pattern when
    nothing matches or the protocol is unknown.
    """
    from fsspec.core import has_magic, url_to_fs

    files: list[str] = []
    for pattern in patterns:
        try:
            fs, path = url_to_fs(pattern)
        except (ImportError, ValueError) as exc:
            raise InputError(f"{pattern}: cannot open this location ({_first_line(exc)})") from None
        if has_magic(path):
            matches = sorted(p for p in fs.glob(path) if fs.isfile(p))
            if not matches:
                raise InputError(f"{pattern}: no file matches this glob")
        elif fs.isdir(path):
            matches = sorted(p for p in fs.find(path) if p.lower().endswith(suffixes))
            if not matches:
                raise InputError(f"{pattern}: no {' or '.join(suffixes)} file in this folder")
        elif fs.exists(path):
            matches = [path]
        else:
            raise InputError(f"{pattern}: no such file")
        files += [location(fs, m) for m in matches]
    return list(dict.fromkeys(files))


def location(fs: Any, path: str) -> str:
    """A path of `fs` as given to users and workers: a plain path when local, else a full URL (s3://...)."""
    protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return str(path) if "file" in protocols else str(fs.unstrip_protocol(path))


def open_input(url: str) -> IO[bytes]:
    """A seekable binary stream over a local file or an fsspec URL."""
    import fsspec

    try:
        return fsspec.open(url, "rb").open()
    except FileNotFoundError:
        raise InputError(f"{url}: no such file") from None
    except OSError as exc:
        raise InputError(f"{url}: cannot read ({_first_line(exc)})") from None


def check_readable(url: str) -> None:
    """Raises InputError unless `url` can be opened and its first record read as WARC."""
    with open_input(url) as stream:
        for _ in records(stream, url):
            return


def _next_start(stream: IO[bytes], position: int, magic: bytes) -> int | None:
    """The offset of the next possible record start at or after `position` (None at the end of the file)."""
    stream.seek(position)
    carry = b""
    base = position
    while True:
        chunk = stream.read(SEEK_CHUNK)
        if not chunk:
            return None
        data = carry + chunk
        found = data.find(magic)
        if found >= 0:
            return base + found
        keep = len(magic) - 1
        carry = data[-keep:]
        base += len(data) - len(carry)


def records(
    stream: IO[bytes],
    where: str,
    start: int = 0,
    end: int | None = None,
    on_corrupt: OnCorrupt | None = None,
) -> Iterator[tuple[int, Fetched | None]]:
    """(offset, page) for each record starting in [start, end): the page is None unless it is an HTML response.

    Records are streamed (one body in memory at a time). A corrupt record calls `on_corrupt(offset, reason)`
    once and is skipped; a failure on the file's very first record raises InputError (not a WARC file).
    """
    from warcio.archiveiterator import WARCIterator

    errors = _record_errors()
    stream.seek(0)
    magic = GZIP_MAGIC if stream.read(2) == GZIP_MAGIC[:2] else WARC_MAGIC
    position: int | None = start
    last = -1  # offset of the last record yielded: never yielded twice after a resync
    resyncing = False  # a failure while looking for the next good record is not another corrupt record
    while position is not None and (end is None or position < end):
        stream.seek(position)
        iterator: Any = WARCIterator(stream)
        try:
            for record in iterator:
                offset = int(iterator.offset)
                if end is not None and offset >= end:
                    return
                page = fetched_from_record(record, f"{where}@{offset}")
                resyncing = False
                if offset > last:
                    last = offset
                    yield offset, page
            return
        except errors as exc:
            bad = max(int(iterator.offset), position)
            if bad == 0 and last < 0:
                raise InputError(f"{where}: not a readable WARC file ({_first_line(exc)})") from None
            if not resyncing and on_corrupt is not None:
                on_corrupt(bad, _first_line(exc))
            resyncing = True
            position = _next_start(stream, bad + 1, magic)


@dataclass(frozen=True)
class Scan:
    """Where a WARC file's HTML responses start, cut into ranges of about `per_task` responses."""

    url: str
    responses: int
    ranges: tuple[tuple[int, int | None], ...]


def scan(url: str, per_task: int) -> Scan:
    """One streaming pass over a file: the byte ranges of the tasks that process it.

    The first range starts at 0 and the last one runs to the end of the file, so every record (and every
    corrupt one, reported by the task that meets it) belongs to exactly one range.
    """
    with open_input(url) as stream:
        offsets = [offset for offset, page in records(stream, url) if page is not None]
    starts = [0, *offsets[per_task::per_task]]
    ends: list[int | None] = [*starts[1:], None]
    return Scan(url, len(offsets), tuple(zip(starts, ends, strict=True)))
