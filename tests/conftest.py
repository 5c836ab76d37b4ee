"""Shared fixtures: the pipeline (loaded once per session) and ../shared."""
from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def pipeline():
    from vigile.pipeline import Pipeline

    return Pipeline()


@pytest.fixture(scope="session")
def dev_set() -> Path:
    """The annotated dev set, read from ../shared at test time (never copied)."""
    path = SHARED / "eval" / "dev.jsonl"
    if not path.exists():
        pytest.skip("../shared/eval/dev.jsonl is not present")
    return path


# -- databases: a real SQLite file and a real PostgreSQL server ---------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL cluster on 127.0.0.1, started for this test run
    (:func:`vigile.store.throwaway.throwaway_postgres`).

    Skipped when PostgreSQL is not installed, unless VIGILE_REQUIRE_POSTGRES=1
    (as in CI), where a missing server is a failure."""
    from vigile.store.throwaway import PostgresNotInstalled, throwaway_postgres

    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(throwaway_postgres())
        except PostgresNotInstalled as e:
            if os.environ.get("VIGILE_REQUIRE_POSTGRES") == "1":
                pytest.fail(f"PostgreSQL is required (VIGILE_REQUIRE_POSTGRES=1): {e}")
            pytest.skip(str(e))
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or a new database on the test server."""
    if request.param == "sqlite":
        return str(tmp_path / "vigile.db")
    from vigile.store.throwaway import new_database

    return new_database(request.getfixturevalue("postgres_server"), "vigile_test")
