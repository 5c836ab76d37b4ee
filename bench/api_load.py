"""Load on the REST API: concurrent clients on loopback over a 50,000-event database.

    python bench/api_load.py [--events 50000] [--clients 100] [--seconds 30] [--workers 2]

Fills a fresh SQLite database with synthetic fused events (bulk insert: this
measures reads, not ingest), starts `vigile serve` on 127.0.0.1, and runs
``--clients`` concurrent clients for ``--seconds`` against /api/events (varied
filters and pages), /api/clusters and /api/stats. Prints requests served, the
p50/p99 latency per endpoint and overall, and errors (any 5xx or failed request).
The load stays on this machine and stops by itself.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import insert

from vigile.store import Store
from vigile.store.models import EventRow

TYPES = ["shelling", "air_strike", "armed_clash", "bombing", "casualty_toll", "evacuation", "displacement"]
PLACES = [("Aleppo", "SY", 36.2, 37.16), ("Idlib", "SY", 35.93, 36.63), ("Homs", "SY", 34.73, 36.71),
          ("Mosul", "IQ", 36.34, 43.13), ("Gao", "ML", 16.27, -0.04), ("Kabul", "AF", 34.53, 69.17),
          ("Mogadishu", "SO", 2.04, 45.34), ("Tripoli", "LY", 32.89, 13.19)]


def fill(db: str, n: int) -> None:
    store = Store(db)
    rng = random.Random(5)
    start = dt.date(2015, 1, 1)
    rows = []
    for i in range(n):
        name, cc, lat, lon = rng.choice(PLACES)
        day = start + dt.timedelta(days=rng.randrange(1500))
        killed = rng.randint(0, 60)
        rows.append({"type": rng.choice(TYPES), "date": day, "date_min": day, "date_max": day,
                     "week": f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}", "country": cc,
                     "location_name": name, "lat": lat + rng.uniform(-0.3, 0.3), "lon": lon + rng.uniform(-0.3, 0.3),
                     "precision": "city", "actors": [], "sources": ["OSDH"],
                     "figures": {"killed": {"low": killed, "best": killed, "high": killed, "conservative": killed,
                                            "n_claims": 1, "n_sources": 1, "disputed": False}},
                     "n_articles": 1, "n_sources": 1, "disputed": False, "fatalities": killed,
                     "evidence": f"événement synthétique {i}"})
    with store.engine.begin() as conn:
        for k in range(0, n, 5000):
            conn.execute(insert(EventRow), rows[k:k + 5000])
    store.close()


def request(rng: random.Random) -> tuple[str, str, dict]:
    kind = rng.random()
    if kind < 0.6:
        params: dict = {"limit": 50, "offset": rng.choice([0, 0, 50, 500])}
        if rng.random() < 0.5:
            params["type"] = rng.choice(TYPES)
        if rng.random() < 0.5:
            params["country"] = rng.choice(PLACES)[1]
        if rng.random() < 0.3:
            params["since"] = f"201{rng.randint(5, 8)}-0{rng.randint(1, 9)}-01"
        return "events", "/api/events", params
    if kind < 0.85:
        return "clusters", "/api/clusters", {"zoom": rng.randint(2, 9)}
    return "stats", "/api/stats", {"country": rng.choice(PLACES)[1]}


async def client(base: str, seconds: float, seed: int, timings: dict, errors: list) -> None:
    rng = random.Random(seed)
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < deadline:
            name, path, params = request(rng)
            t0 = time.perf_counter()
            try:
                r = await http.get(path, params=params)
                if r.status_code >= 500:
                    errors.append(f"{r.status_code} {path}")
            except httpx.HTTPError as e:
                errors.append(f"{type(e).__name__} {path}")
            timings.setdefault(name, []).append(time.perf_counter() - t0)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else values[0] * 1000


async def load(base: str, clients: int, seconds: float) -> tuple[dict, list]:
    timings: dict = {}
    errors: list = []
    await asyncio.gather(*(client(base, seconds, i, timings, errors) for i in range(clients)))
    return timings, errors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "load.db")
        fill(db, args.events)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([sys.executable, "-m", "vigile.cli", "serve", "--db", db, "--port", str(port),
                                   "--workers", str(args.workers)], env=os.environ | {"VIGILE_API_TOKEN": ""},
                                  stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(base + "/api/stats", timeout=2)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            timings, errors = asyncio.run(load(base, args.clients, args.seconds))
        finally:
            server.terminate()
            server.wait(timeout=30)
    every = [t for ts in timings.values() for t in ts]
    print(f"{args.events:,} events, {args.clients} clients, {args.seconds:.0f} s, {args.workers} server workers")
    for name, ts in sorted(timings.items()):
        print(f"  {name:<9} {len(ts):6,} requests  p50 {percentile(ts, 50):7.1f} ms  p99 {percentile(ts, 99):7.1f} ms")
    print(f"  all       {len(every):6,} requests  p50 {percentile(every, 50):7.1f} ms  "
          f"p99 {percentile(every, 99):7.1f} ms  {len(every) / args.seconds:.0f} req/s")
    print(f"  errors: {len(errors)} ({', '.join(sorted(set(errors))[:5]) or 'none'})")


if __name__ == "__main__":
    main()
