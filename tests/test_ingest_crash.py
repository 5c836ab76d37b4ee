"""kill -9 in the middle of `vigile ingest`, then run it again: nothing half-written,
nothing counted twice, the same database as an uninterrupted run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fusion_corpus import write_updates
from sqlalchemy import text
from test_store import articles, snapshot

from vigile.ingest import ingest
from vigile.store import Store

N_ARTICLES = 80


def corpus(path: Path) -> Path:
    return write_updates(path, N_ARTICLES, "rédigée pour les tests")


def consistent(store: Store) -> None:
    """No orphan rows, no half-fused event."""
    with store.engine.connect() as c:
        def zero(sql: str) -> None:
            assert c.execute(text(sql)).scalar() == 0, sql

        zero("SELECT count(*) FROM mentions m LEFT JOIN articles a ON a.id = m.article_id WHERE a.id IS NULL")
        zero("SELECT count(*) FROM mentions WHERE event_id IS NULL")
        zero("SELECT count(*) FROM claims c LEFT JOIN mentions m ON m.id = c.mention_id WHERE m.id IS NULL")
        zero("SELECT count(*) FROM claims c JOIN events e ON e.id = c.event_id WHERE e.merged_into IS NOT NULL")
        zero("SELECT count(*) FROM events e WHERE e.merged_into IS NULL AND NOT EXISTS "
             "(SELECT 1 FROM mentions m WHERE m.event_id = e.id)")
        zero("SELECT count(*) FROM (SELECT content_hash FROM articles GROUP BY content_hash "
             "HAVING count(*) > 1) d")


def vigile(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "vigile.cli", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_kill_9_midway_then_rerun(db_url, pipeline, tmp_path):
    src = corpus(tmp_path / "corpus.jsonl")
    reference = Store(str(tmp_path / "reference.db"))
    ingest(articles(json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()), reference, pipeline)

    store = Store(db_url)
    proc = vigile("ingest", str(src), "--db", db_url, "--quiet")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if store.counts()["articles"] >= 10:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be killed: enlarge the corpus"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    stored = store.counts()["articles"]
    assert 10 <= stored < N_ARTICLES
    consistent(store)

    rerun = vigile("ingest", str(src), "--db", db_url, "--quiet")
    _, stderr = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, stderr.decode()
    consistent(store)
    assert store.counts() == reference.counts()
    assert snapshot(store) == snapshot(reference)
    store.close()
    reference.close()
