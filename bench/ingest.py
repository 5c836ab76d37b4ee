"""Ingest throughput (extraction + near-duplicates + store + fusion), and how
fusion cost grows with the database.

    python bench/ingest.py [--docs 500] [--postgres URL] [--fusion-sizes 1000,5000,10000,20000]

1. End to end: N dev-like articles (bench/throughput.py's corpus) through
   ``vigile.ingest`` into a fresh SQLite file, and into PostgreSQL when
   ``--postgres`` gives a server URL (a database ``vigile_bench`` is created).
2. Fusion scaling: synthetic per-article records (random types, places in
   three countries, days over a year), no extraction, stored and fused into a
   fresh SQLite database; prints the time per 1,000 articles as the database
   grows. Blocking by type/country/week should keep it flat.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import corpus  # noqa: E402

from vigile.ingest import ingest  # noqa: E402
from vigile.pipeline import Pipeline  # noqa: E402
from vigile.schema import Article, EventRecord, Figure, Location  # noqa: E402
from vigile.store import Store  # noqa: E402

TOWNS = [("Aleppo", "SY", 36.20, 37.16), ("Idlib", "SY", 35.93, 36.63), ("Homs", "SY", 34.73, 36.71),
         ("Mosul", "IQ", 36.34, 43.13), ("Kirkuk", "IQ", 35.47, 44.39), ("Gao", "ML", 16.27, -0.04),
         ("Mopti", "ML", 14.49, -4.20), ("Damascus", "SY", 33.51, 36.29)]
TYPES = ["shelling", "air_strike", "armed_clash", "bombing", "casualty_toll", "evacuation"]


def end_to_end(n: int, db: str, processes: int) -> None:
    docs = [Article.model_validate(d) for d in corpus(n)]
    store = Store(db)
    pipeline = Pipeline(n_process=processes)
    t0 = time.perf_counter()
    summary = ingest(docs, store, pipeline)
    elapsed = time.perf_counter() - t0
    print(f"{store.engine.dialect.name:<10} {summary.added} articles in {elapsed:.1f} s: "
          f"{summary.added / elapsed:.1f} articles/s ({processes} extraction process(es)); {store.counts()}",
          flush=True)
    store.close()


def synthetic(i: int, rng: random.Random) -> tuple[Article, list[EventRecord]]:
    start = dt.date(2016, 1, 1)
    records = []
    for _ in range(rng.randint(1, 4)):
        name, country, lat, lon = rng.choice(TOWNS)
        day = start + dt.timedelta(days=rng.randrange(365))
        records.append(EventRecord(
            type=rng.choice(TYPES), date=day,
            location=Location(name=name, mention=name, country=country, lat=lat + rng.uniform(-0.05, 0.05),
                              lon=lon + rng.uniform(-0.05, 0.05), precision="city"),
            figures={"killed": Figure(value=rng.randint(1, 40), qualifier="exact")},
            sources=[rng.choice(["OSDH", "AFP", "Reuters", "SANA"])], evidence=f"phrase {i}",
            evidence_start=0, evidence_end=9))
    return Article(id=f"s{i}", text=f"article synthétique {i} {rng.random()}", published=records[0].date), records


def fusion_scaling(sizes: list[int]) -> None:
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(str(Path(tmp) / "fusion.db"))
        done = 0
        for size in sizes:
            t0 = time.perf_counter()
            batch = size - done
            for i in range(done, size):
                article, records = synthetic(i, rng)
                store.add(article, records)
            elapsed = time.perf_counter() - t0
            done = size
            print(f"fusion   at {size:>6,} articles: {1000 * elapsed / batch:6.1f} s per 1,000 articles "
                  f"({batch / elapsed:6.1f} articles/s); {store.counts()['events']:,} events", flush=True)
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=500)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--postgres", help="server URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432")
    ap.add_argument("--fusion-sizes", default="1000,5000,10000,20000")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        end_to_end(args.docs, str(Path(tmp) / "bench.db"), args.processes)
    if args.postgres:
        import psycopg

        with psycopg.connect(args.postgres.replace("+psycopg", "") + "/postgres", autocommit=True) as c:
            c.execute("DROP DATABASE IF EXISTS vigile_bench")
            c.execute("CREATE DATABASE vigile_bench")
        end_to_end(args.docs, args.postgres + "/vigile_bench", args.processes)
    fusion_scaling([int(x) for x in args.fusion_sizes.split(",")])


if __name__ == "__main__":
    main()
