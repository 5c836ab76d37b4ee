"""The event database on a real SQLite file and a real PostgreSQL server."""
from __future__ import annotations

import csv
import datetime as dt
import json

from fusion_corpus import ARTICLES, EXPECTED

from vigile import export
from vigile.evaluate import load_jsonl, norm
from vigile.ingest import ingest
from vigile.schema import Article
from vigile.store import EventFilter, Store


def articles(docs):
    return [Article.model_validate(d) for d in docs]


def snapshot(store: Store) -> list[tuple]:
    """What a user sees: every event's type, day, place, figures and article count."""
    return sorted((e["type"], e["date"] or "", json.dumps(e["location"], sort_keys=True),
                   json.dumps(e["figures"], sort_keys=True), e["n_articles"])
                  for e in store.events(limit=None))


def test_fused_events_are_the_real_events(db_url, pipeline):
    store = Store(db_url)
    summary = ingest(articles(ARTICLES), store, pipeline)
    assert summary.added == len(ARTICLES) and summary.duplicates == 1
    found = {}
    for e in store.events(limit=None):
        town = norm((e["location"] or {}).get("name")).title()
        key = (e["type"], "Homs" if e["type"] == "shelling" else town)
        found.setdefault(key, []).append(e)
    assert set(found) == set(EXPECTED), found.keys()
    for key, (n_articles, fig, low, best, high, disputed) in EXPECTED.items():
        [event] = found[key]
        assert event["n_articles"] == n_articles, key
        f = event["figures"][fig]
        assert (f["low"], f["best"], f["high"], f["disputed"]) == (low, best, high, disputed), (key, f)
        assert event["disputed"] == disputed
    # the wire copy is linked to its original and is not a second source
    strike = found[("air_strike", "Idlib")][0]
    detail = store.event(strike["id"])
    copies = [c for c in detail["claims"] if not c["independent"]]
    assert len(copies) == 1 and copies[0]["value"] == 20
    assert strike["n_sources"] == 2
    store.close()


def test_every_claim_is_kept_with_its_source(db_url, pipeline):
    store = Store(db_url)
    ingest(articles(ARTICLES), store, pipeline)
    [homs] = store.events(EventFilter(types=["shelling"]), limit=None)
    claims = {(c["source"], c["value"], c["qualifier"]) for c in store.event(homs["id"])["claims"]}
    assert claims == {("Syrian Observatory for Human Rights", 12, "at_least"),
                      ("Syrian Civil Defence", 15, "exact"), ("SANA", 9, "exact")}
    store.close()


def test_ingesting_twice_changes_nothing(db_url, pipeline, dev_set):
    docs = list(load_jsonl(dev_set).values())
    store = Store(db_url)
    first = ingest(articles(docs), store, pipeline)
    once, counts = snapshot(store), store.counts()
    again = ingest(articles(docs), store, pipeline)
    assert first.added == len(docs) and again.added == 0 and again.known == len(docs)
    assert snapshot(store) == once and store.counts() == counts
    store.close()


def test_seed_wire_passage_and_one_palace_shelling(db_url, pipeline, dev_set):
    gold = load_jsonl(dev_set)
    store = Store(db_url)
    ingest(articles([gold["seed-000"], gold["seed-002"]]), store, pipeline)
    palace = [e for e in store.events(EventFilter(types=["shelling"]), limit=None)
              if "techrine" in (e["location"] or {}).get("name", "").lower()]
    assert len(palace) == 1, palace
    assert palace[0]["n_articles"] == 2 and not palace[0]["disputed"]
    detail = store.event(palace[0]["id"])
    assert {a["ext_id"] for a in detail["articles"]} == {"seed-000", "seed-002"}
    # seed-002 repeats a re-edited passage of seed-000 without being a copy of it
    seed2 = next(a for a in detail["articles"] if a["ext_id"] == "seed-002")
    assert seed2["duplicate_of"] is None and seed2["containment"] > 0
    store.close()


def test_filters(db_url, pipeline):
    store = Store(db_url)
    ingest(articles(ARTICLES), store, pipeline)
    assert {e["type"] for e in store.events(EventFilter(country="IQ"))} == {"bombing"}
    near = store.events(EventFilter(near=(34.73, 36.71), radius_km=20))  # Homs
    assert {e["type"] for e in near} == {"shelling"}
    assert store.events(EventFilter(since=__import__("datetime").date(2017, 4, 1), types=["air_strike"])) == []
    assert [e["type"] for e in store.events(EventFilter(min_fatalities=20))] == ["air_strike"]
    assert [e["type"] for e in store.events(EventFilter(source="croix-rouge"))] == []  # canonical: ICRC
    assert [e["type"] for e in store.events(EventFilter(source="ICRC"))] == ["evacuation"]
    assert [e["type"] for e in store.events(EventFilter(text="kamikaze"))] == ["bombing"]
    assert store.count_events(EventFilter(country="SY")) == 3
    # actor and source match names, case-insensitive, element by element — never the JSON around them
    ingest(iter([Article(id="clash", published="2017-03-14", text=(
        "Lundi, des combats entre l'armée syrienne et les rebelles de Jaish al-Islam ont fait six morts "
        "à Douma, selon l'OSDH."))]), store, pipeline)
    acted = next(e for e in store.events(limit=None) if e["actors"])
    part = acted["actors"][0][1:5].upper()
    found = store.events(EventFilter(actor=part), limit=None)
    assert acted["id"] in {e["id"] for e in found}
    assert all(any(part.lower() in a.lower() for a in e["actors"]) for e in found)
    for syntax in ("[]", '"', ", ", '", "'):
        assert store.events(EventFilter(actor=syntax)) == store.events(EventFilter(source=syntax)) == []
    store.close()


def test_exports(db_url, pipeline, tmp_path):
    store = Store(db_url)
    ingest(articles(ARTICLES), store, pipeline)
    rows = store.events(limit=None)
    with open(tmp_path / "acled.csv", "w", newline="", encoding="utf-8") as f:
        n = export.write_csv(rows, f, acled=True)
    acled = list(csv.DictReader(open(tmp_path / "acled.csv", encoding="utf-8")))
    assert n == len(acled) == 4
    for column in ("event_date", "event_type", "sub_event_type", "actor1", "country", "location", "latitude",
                   "longitude", "geo_precision", "time_precision", "source", "notes", "fatalities"):
        assert column in acled[0]
    mosul = next(r for r in acled if r["country"] == "IQ")
    assert (mosul["event_type"], mosul["sub_event_type"], mosul["fatalities"]) == (
        "Explosions/Remote violence", "Suicide bomb", "7")
    collection = export.geojson(rows)
    assert len(collection["features"]) == 4
    assert all(f["geometry"]["type"] == "Point" for f in collection["features"])
    import pyarrow.parquet as pq

    export.write_parquet(rows, str(tmp_path / "events.parquet"))
    table = pq.read_table(tmp_path / "events.parquet")
    assert table.num_rows == 4 and "killed_best" in table.column_names
    store.close()


def _strike(i: int, killed: int, source: str) -> tuple[Article, list]:
    """Article ``i`` telling the same air strike on Idlib, with its own words and a toll by ``source``."""
    from vigile.schema import EventRecord, Figure, Location

    text = f"Article {i}. Une frappe aérienne a tué {killed} civils à Idlib mardi, selon {source}."
    rec = EventRecord(type="air_strike", date="2016-12-13", evidence=text, evidence_start=0, evidence_end=len(text),
                      location=Location(name="Idlib", mention="Idlib", country="SY", lat=35.93, lon=36.63,
                                        precision="city"),
                      figures={"killed": Figure(value=killed, qualifier="exact")}, sources=[source])
    return Article(id=f"a{i}", text=text, source=f"Outlet {i % 3}", published="2016-12-14"), [rec]


def test_an_event_told_many_times_is_summarised_from_its_distinct_values(db_url):
    """Sixty articles telling one strike: the event counts them all, while its
    running tallies hold one row per distinct value (the cost of storing the
    sixtieth is that of the first), and they give the same summary as the claims."""
    from sqlalchemy import func, select

    from vigile.store.models import EventTally

    store = Store(db_url)
    for i in range(60):
        article, records = _strike(i, 12 if i % 2 else 15, "OSDH" if i % 2 else "Casques blancs")
        assert store.add(article, records).status == "added"
    [event] = store.events(limit=None)
    assert event["n_articles"] == 60 and event["n_sources"] == 2
    assert event["sources"] == ["Casques blancs", "OSDH"]  # in order of first telling
    killed = event["figures"]["killed"]
    assert (killed["low"], killed["high"], killed["n_claims"], killed["n_sources"], killed["disputed"]) == \
        (12, 15, 60, 2, True)
    with store.engine.connect() as conn:
        rows = dict(conn.execute(select(EventTally.part, func.count()).group_by(EventTally.part)).all())
    assert rows == {"d": 1, "l": 1, "s": 2, "c": 2}
    assert sum(c["value"] == 12 for c in store.event(event["id"])["claims"]) == 30  # every claim kept
    store.close()


def _shelling(text: str, actors: list[str], killed: int | None = None, start: int = 0):
    """A shelling of Alep on 2016-12-13 by ``actors``, told at ``start`` of ``text``."""
    from vigile.schema import EventRecord, Figure, Location

    return EventRecord(type="shelling", date="2016-12-13", evidence=text[start:], evidence_start=start,
                       evidence_end=len(text), actors=actors,
                       location=Location(name="Alep", mention="Alep", country="SY", lat=36.2, lon=37.16,
                                         precision="city"),
                       figures={"killed": Figure(value=killed, qualifier="exact")} if killed else {})


def test_a_mention_fitting_two_events_that_are_one_merges_them_with_the_article_so_far(db_url):
    """Two reports of one shelling blame different actors, so they start as
    two events; a third names both, joins the first, which now fits the second.
    A fourth article tells it twice: its first mention joins the first event,
    its second (no actor) fits both equally, so they merge — with the fourth
    article's first mention and claim moved along and counted once."""
    store = Store(db_url)
    texts = ["Alep a été pilonnée mardi par l'armée syrienne.", "Alep a été pilonnée mardi par l'aviation russe.",
             "L'armée syrienne et l'aviation russe ont pilonné Alep mardi.",
             "L'armée syrienne a pilonné Alep mardi, tuant 5 civils. Le bombardement a fait 7 morts, dit l'OSDH."]
    actors = [["Syrian Army"], ["Russia"], ["Syrian Army", "Russia"]]
    for i, (text, who) in enumerate(zip(texts, actors)):
        assert store.add(Article(id=f"a{i}", text=text, source=f"Outlet {i}", published="2016-12-14"),
                         [_shelling(text, who)]).status == "added"
    assert store.counts()["events"] == 2
    last = texts[3]
    added = store.add(Article(id="a3", text=last, source="Outlet 3", published="2016-12-14"),
                      [_shelling(last, ["Syrian Army"], killed=5), _shelling(last, [], 7, last.index("Le "))])
    assert added.status == "added"
    [event] = store.events(limit=None)
    assert event["n_articles"] == 4  # the fourth article once, though it told the event twice
    assert event["actors"] == ["Syrian Army", "Russia"]
    full = store.event(event["id"])
    assert sorted(c["value"] for c in full["claims"]) == [5, 7]
    assert {(c["value"], c["source"]) for c in full["claims"]} == {(5, "Outlet 3"), (7, "Outlet 3")}
    assert (full["figures"]["killed"]["low"], full["figures"]["killed"]["high"]) == (7, 7)  # a source's highest
    merged = [e for e in store.changes(dt.datetime(1970, 1, 1))["events"] if e["change"] == "merged"]
    assert [e["merged_into"] for e in merged] == [event["id"]]
    assert store.event(merged[0]["id"])["id"] == event["id"]  # the old id resolves
    store.close()


def test_upgrading_a_database_fills_the_tallies_from_its_mentions(db_url, tmp_path):
    """A database written before the tallies existed (revision 0002) gets them
    from its mentions and claims on open, and goes on fusing as if it had
    always had them."""
    from sqlalchemy import text

    def without_times(events: list[dict]) -> list[dict]:
        return [{k: v for k, v in e.items() if k not in ("created_at", "updated_at")} for e in events]

    strikes = [_strike(i, 10 + i % 4, f"Source {i % 5}") for i in range(13)]
    upgraded, fresh = Store(db_url), Store(str(tmp_path / "fresh.db"))
    for article, records in strikes[:12]:
        upgraded.add(article, records)
    with upgraded.engine.begin() as conn:  # back to what revision 0002 wrote
        conn.execute(text("DROP TABLE event_tallies"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    upgraded.close()
    upgraded = Store(db_url)
    for store in (upgraded, fresh):
        for article, records in strikes[12:] if store is upgraded else strikes:
            store.add(article, records)
    [event] = upgraded.events(limit=None)
    assert event["n_articles"] == 13 and event["figures"]["killed"]["n_claims"] == 13
    assert without_times(upgraded.events(limit=None)) == without_times(fresh.events(limit=None))
    upgraded.close()
    fresh.close()
