"""A throwaway PostgreSQL server on loopback, for tests, benchmarks and trials.

The tests (``tests/conftest.py``), ``bench/soak.py`` and anyone who wants to
try ``--db postgresql+psycopg://…`` without administering a server need the
same thing: a private cluster in a temporary folder, listening on
127.0.0.1 on a free port, trusted for the ``postgres`` user, gone afterwards.
It uses the server binaries Debian installs (``/usr/lib/postgresql/*/bin``);
PostgreSQL refuses to run as root, so as root its tools run as the
``postgres`` system user. Durability is switched off (``fsync=off``): this
is a scratch server, never a store for data that matters.
"""
from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from typing import Iterator

_databases = itertools.count()


class PostgresNotInstalled(RuntimeError):
    """No PostgreSQL server binaries (``initdb``) on this machine."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextlib.contextmanager
def throwaway_postgres(prefix: str = "vigile-pg-") -> Iterator[str]:
    """Start a PostgreSQL cluster for the ``with`` block; yield its SQLAlchemy
    URL without a database name (``postgresql+psycopg://postgres@127.0.0.1:PORT``).

    Raises :class:`PostgresNotInstalled` when the server is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgresNotInstalled("PostgreSQL server binaries not found (Debian: apt install postgresql)")
    bindir = os.path.dirname(found[-1])
    root = tempfile.mkdtemp(prefix=prefix)
    data, sock = os.path.join(root, "data"), os.path.join(root, "sock")
    os.mkdir(sock)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    try:
        subprocess.run(_as_postgres([f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                                     "--no-sync"]), check=True, capture_output=True)
        port = _free_port()
        subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-w", "-l", os.path.join(root, "log"), "-o",
                                     f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
                                     f"-c full_page_writes=off", "start"]), check=True, capture_output=True)
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
        finally:
            subprocess.run(_as_postgres([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"]),
                           capture_output=True, check=False)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def new_database(server: str, prefix: str = "vigile") -> str:
    """Create an empty database on ``server`` (a URL from :func:`throwaway_postgres`)
    under a name unique to this process, and return its URL."""
    import psycopg

    name = f"{prefix}_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(server.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"
