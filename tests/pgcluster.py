"""A throwaway PostgreSQL cluster for tests and benchmarks: initdb into a temp folder, pg_ctl start on a free
loopback port, stop and remove at the end. Also a fresh database per test (`fresh_database`).

`ESSENTIEL_TEST_PG_DSN` (a superuser URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres) points at a
server started elsewhere (.ci/run starts one) and is used as is. Running as root, the server runs as the
`postgres` user (initdb refuses root).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ENV = "ESSENTIEL_TEST_PG_DSN"


class ClusterUnavailable(RuntimeError):
    """PostgreSQL cannot be started here (the reason says why)."""


def _bindir() -> Path:
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout
        if (Path(out.strip()) / "initdb").exists():
            return Path(out.strip())
    except (OSError, subprocess.CalledProcessError):
        pass
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    if shutil.which("initdb"):
        return Path(shutil.which("initdb") or "").parent
    raise ClusterUnavailable("no initdb found (install Debian's postgresql package)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Cluster:
    folder: Path
    port: int
    bindir: Path
    as_user: list[str]

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(
            [
                *self.as_user,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.folder / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster() -> Cluster:
    """initdb + pg_ctl start on 127.0.0.1 (fsync off: the data is thrown away). Raises ClusterUnavailable."""
    bindir = _bindir()
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="essentiel-pg-"))
    if os.geteuid() == 0:
        try:
            shutil.chown(folder, "postgres")
        except (LookupError, OSError) as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise ClusterUnavailable(
                f"running as root and there is no usable postgres user ({exc})"
            ) from None
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    steps = [
        [str(bindir / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
        + ["--locale=C"],
        [str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "log"), "-w", "-t", "60"]
        + ["-o", f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c full_page_writes=off", "start"],
    ]
    for step in steps:
        done = subprocess.run([*as_user, *step], capture_output=True, text=True)
        if done.returncode != 0:
            log = (folder / "log").read_text(errors="replace") if (folder / "log").exists() else ""
            shutil.rmtree(folder, ignore_errors=True)
            detail = " ".join((done.stderr + " " + log).split())[-400:]
            raise ClusterUnavailable(f"{Path(step[0]).name} failed: {detail}")
    return Cluster(folder, port, bindir, as_user)


@contextmanager
def server() -> Iterator[str]:
    """The superuser URL of a server: ESSENTIEL_TEST_PG_DSN, or a throwaway cluster for the block."""
    if os.environ.get(ENV):
        yield os.environ[ENV]
        return
    cluster = start_cluster()
    try:
        yield cluster.dsn
    finally:
        cluster.stop()


def _with_database(dsn: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(dsn)._replace(path="/" + name))


@contextmanager
def fresh_database(admin_dsn: str) -> Iterator[str]:
    """A new empty database (C collation, as SQLite sorts) for the block, dropped after; yields its URL."""
    import psycopg

    name = "essentiel_test_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(
            f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'".encode()
        )
    try:
        yield _with_database(admin_dsn, name)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())
