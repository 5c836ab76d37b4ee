"""Hostile articles through the whole ingest (extract, fuse, store) on SQLite and PostgreSQL.

The promise of `vigile ingest`: one document costs at most that document. A
hostile article is stored or reported as failed; the good article after it
is stored either way, and no exception ends the run.
"""
from __future__ import annotations

import pytest

from vigile.ingest import Outcome, ingest
from vigile.schema import Article
from vigile.store import Store

GOOD = Article(id="good", published="2017-03-14",
               text="Lundi, au moins six civils ont été tués par des tirs d'obus sur Homs, selon l'OSDH.")

HOSTILE = {
    "control characters": "Lundi,\x01\x02\x1b[31m six civils\x7f ont été tués\u0085 à Alep\u2028 selon l'OSDH.",
    "bidi and emoji": "\u202eLundi, six civils 💥 ont été tués à Alep \u2066حلب\u2069, selon l'OSDH.",
    "script and markup": "<script>alert(1)</script> Lundi, six civils ont été tués à <img src=x onerror=alert(1)> "
                         "Alep, selon l'OSDH.",
    "sql in text": "Lundi, six civils ont été tués à Alep'); DROP TABLE events; -- selon l'OSDH.",
    "a figure past 2**31": "Lundi, 10.000.000.000 civils ont été tués par des tirs d'obus sur Alep, selon l'OSDH.",
    "a figure past 2**63": "Lundi, 99999999999999999999 personnes ont été tuées dans un attentat à Bagdad.",
    "a NUL character": "Lundi, six civils ont été tués\x00 par des tirs d'obus sur Alep, selon l'OSDH.",
}

_FIGURES = ("figures.py/store: a figure is extracted whatever its size (10.000.000.000 killed, 20 digits) and "
            "stored in INTEGER columns (claims.value, events.fatalities): past 2**31 on PostgreSQL and 2**63 on "
            "SQLite the INSERT raises and the exception ends the whole `vigile ingest` run, not one article. "
            "A toll above the world's population is not a toll.")
_NUL = ("store: PostgreSQL refuses NUL characters in text ('A string literal cannot contain NUL (0x00) "
        "characters'); a JSONL line with \\u0000 in its text makes Store.add raise and ends the whole run.")

#: (hostile case, database) pairs known to fail, with the reason reported to the lead.
KNOWN: dict[tuple[str, str], str] = {}


def _cases():
    for name in HOSTILE:
        for db in ("sqlite", "postgresql"):
            reason = KNOWN.get((name, db))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(name, db, marks=marks, id=f"{name}-{db}")


@pytest.mark.parametrize("name, db", list(_cases()))
def test_a_hostile_article_costs_only_itself(name, db, request, pipeline, tmp_path):
    url = _database(request, db, tmp_path)
    store = Store(url)
    outcomes: list[Outcome] = []
    hostile = Article(id="hostile", published="2017-03-14", text=HOSTILE[name])
    try:
        summary = ingest([hostile, GOOD], store, pipeline, on_article=outcomes.append)
    finally:
        store.close()
    assert [o.ext_id for o in outcomes] == ["hostile", "good"], outcomes
    assert outcomes[1].status == "added", summary.line()
    assert outcomes[0].status in ("added", "failed")


def _database(request: pytest.FixtureRequest, db: str, tmp_path) -> str:
    if db == "sqlite":
        return str(tmp_path / "vigile.db")
    from vigile.store.throwaway import new_database

    return new_database(request.getfixturevalue("postgres_server"), "vigile_hostile")


def test_a_lone_surrogate_costs_only_itself(pipeline, tmp_path):
    store = Store(str(tmp_path / "vigile.db"))
    outcomes: list[Outcome] = []
    try:
        ingest([Article(id="hostile", text="Lundi \ud800 Alep"), GOOD], store, pipeline,
               on_article=outcomes.append)
    finally:
        store.close()
    assert [o.status for o in outcomes] == ["added", "added"]  # repaired (U+FFFD), not lost
