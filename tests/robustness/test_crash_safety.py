"""kill -9 at random points of `vigile ingest`, again and again, on SQLite and PostgreSQL.

After every kill the database is consistent (no orphan mention or claim, no
half-fused event, no text stored twice) and lost nothing it held before; a
final run of the same command reaches exactly the state of a run that was
never interrupted. The seed of the random kill points is printed on failure
and can be replayed with VIGILE_CRASH_SEED.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_store import articles

from vigile.ingest import ingest
from vigile.store import Store

from .crash import finish, kill_rounds, state, write_corpus

N_ARTICLES = 40
ROUNDS = 3


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("crash") / "corpus.jsonl", N_ARTICLES)


@pytest.fixture(scope="module")
def reference(corpus: Path, pipeline, tmp_path_factory: pytest.TempPathFactory):
    """The state of an uninterrupted ingest of the corpus (in-process, on SQLite)."""
    import json

    db = str(tmp_path_factory.mktemp("reference") / "reference.db")
    store = Store(db)
    ingest(articles(json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()), store, pipeline)
    store.close()
    return state(db)


def test_repeated_kill_9_then_rerun(db_url, corpus, reference):
    seed = int(os.environ.get("VIGILE_CRASH_SEED", random.randrange(2**32)))
    report = kill_rounds(corpus, db_url, ROUNDS, seed, N_ARTICLES)
    assert report.kills == ROUNDS, f"seed {seed}: the runs ended before the kills: {report.rounds}"
    finish(corpus, db_url)
    assert state(db_url) == reference, f"seed {seed}: rounds {report.rounds}"


_KILL_DURING_MIGRATION = textwrap.dedent("""
    import os, signal, sys
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    created = 0

    @event.listens_for(Engine, "after_cursor_execute")
    def strike(conn, cursor, statement, *args):
        global created
        if statement.lstrip().upper().startswith("CREATE"):
            created += 1
            if created == int(sys.argv[2]):
                os.kill(os.getpid(), signal.SIGKILL)  # as kill -9 from outside, at a known point

    from vigile.store import Store
    Store(sys.argv[1])
""")


@pytest.mark.parametrize("strike", [1, 3, 12])
def test_first_migration_killed_then_rerun(tmp_path, strike):
    """The first run on a new database file, killed while it creates the schema
    (at its first, third or twelfth CREATE: tables, then indexes)."""
    db = str(tmp_path / "new.db")
    proc = subprocess.run([sys.executable, "-c", _KILL_DURING_MIGRATION, db, str(strike)], capture_output=True,
                          check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    store = Store(db)  # the next run opens the same file
    assert store.counts()["articles"] == 0
    store.close()
