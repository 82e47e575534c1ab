"""A single-instance lock: a second `essentiel run` on the same SQLite store is refused with a clear message.

A PostgreSQL store takes several workers (fetch jobs are claimed with FOR UPDATE SKIP LOCKED, an edition is
built under an advisory lock), so there is no lock to take for it.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import EssentielError, StoreError
from .store.location import StoreLocation


@contextmanager
def instance_lock(database: StoreLocation) -> Iterator[Path | None]:
    """Hold an exclusive lock on `<database>.lock` (released by the kernel even after kill -9).

    Nothing is locked for a PostgreSQL store (several workers may share it); the block gets None.
    """
    if not isinstance(database, Path):
        yield None
        return
    path = database.with_name(database.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a+")
    except OSError as exc:  # a read-only or full file system, a folder without permission
        raise StoreError(
            f"{database}: cannot create the lock file {path.name} ({exc.strerror or exc}); "
            "the store's folder must be writable"
            + (" (the file system is read-only)" if exc.errno == errno.EROFS else "")
        ) from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise EssentielError(f"{database}: already in use by `essentiel run` (pid {owner})") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    try:
        yield path
    finally:
        handle.close()
