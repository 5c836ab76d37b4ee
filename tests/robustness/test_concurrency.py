"""An ingest writing while API clients read the same database: SQLite (WAL) and PostgreSQL.

The deployment this mirrors: `vigile serve` for the analysts, `vigile ingest`
from a cron job, one database. Readers must never see an error (no 5xx, no
"database is locked", no half-written event resolving to a 404), and the
writer must never fail because someone is reading.
"""
from __future__ import annotations

import json
import threading

from sqlalchemy import event

from api_server import LiveServer
from test_ingest_crash import consistent
from test_store import articles

from vigile.api import create_app
from vigile.ingest import ingest
from vigile.schema import Article
from vigile.store import Store

from .crash import write_corpus
from .load import hammer

N_ARTICLES = 32
CLIENTS = 6


def test_ingest_while_the_api_is_read(db_url, pipeline, tmp_path):
    lines = write_corpus(tmp_path / "corpus.jsonl", N_ARTICLES).read_text(encoding="utf-8").splitlines()
    docs = articles(json.loads(line) for line in lines)
    seed = Store(db_url)
    ingest(docs[:4], seed, pipeline)  # something to read from the first request on
    seed.close()

    outcome: dict[str, object] = {}
    stop = threading.Event()

    def writer() -> None:
        store = Store(db_url)
        try:
            outcome["summary"] = ingest(docs[4:], store, pipeline)
        except BaseException as e:  # noqa: BLE001 — reported by the assertion below
            outcome["error"] = e
        finally:
            store.close()
            stop.set()

    with LiveServer(create_app(db_url, cache_ttl=0)) as live:  # every read goes to the database
        thread = threading.Thread(target=writer)
        thread.start()
        report = hammer(live.url, CLIENTS, stop, max_seconds=600)
        thread.join(timeout=600)

    assert "error" not in outcome, f"the ingest failed under reads: {outcome.get('error')!r}"
    summary = outcome["summary"]
    assert summary.failed == [] and summary.added == N_ARTICLES - 4, summary.line()
    assert report.requests >= CLIENTS, report.line()
    assert not report.server_errors, report.server_errors[:5]
    assert not report.transport_errors, report.transport_errors[:5]
    assert set(report.statuses) == {200}, report.line()
    store = Store(db_url)
    consistent(store)
    store.close()



def test_a_text_stored_by_another_run_meanwhile_is_known(db_url):
    """The race of two overlapping runs, made deterministic: the other run's commit
    is slipped in right before this run's INSERT."""
    mine, other = Store(db_url), Store(db_url)
    article = Article(id="race", text="Lundi, six civils ont été tués par des tirs d'obus sur Homs, selon l'OSDH.")
    raced: list[bool] = []

    @event.listens_for(mine.engine, "before_cursor_execute")
    def other_run_commits_first(conn, cursor, statement, *args) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ARTICLES") and not raced:
            raced.append(True)
            other.add(article, [])

    try:
        assert mine.add(article, []).status == "known"
    finally:
        mine.close()
        other.close()
