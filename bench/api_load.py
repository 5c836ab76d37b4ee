"""Load on /api/events: concurrent clients on loopback over a 50,000-event database.

    python bench/api_load.py [--events 50000] [--clients 100] [--seconds 30] [--workers 2] [--urls 50]

Fills a fresh SQLite database with synthetic fused events (bulk insert: this
measures reads, not ingest), starts `vigile serve` on 127.0.0.1, and drives it
with wrk (Debian's package; bench/api_load.lua) — ``--clients`` connections
for ``--seconds`` over ``--urls`` distinct /api/events queries (filters and
pages) — once with the server's response cache and once without, each after
a 5-second start-up run reported apart. Prints p50/p90/p99 latency, requests
and errors (connection errors and non-2xx).
The load stays on this machine and stops by itself.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import insert

from vigile.api import CACHE_TTL
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


def event_urls(n: int, seed: int = 3) -> list[str]:
    """``n`` distinct /api/events queries, as a dashboard asks them: filters and pages."""
    rng = random.Random(seed)
    urls: set[str] = {"/api/events?limit=50"}
    while len(urls) < n:
        params = [("limit", "50"), ("offset", str(50 * rng.choice([0, 0, 0, 1, 2, 5])))]
        if rng.random() < 0.6:
            params.append(("type", rng.choice(TYPES)))
        if rng.random() < 0.6:
            params.append(("country", rng.choice(PLACES)[1]))
        if rng.random() < 0.3:
            params.append(("since", f"201{rng.randint(5, 8)}-0{rng.randint(1, 9)}-01"))
        urls.add("/api/events?" + "&".join(f"{k}={v}" for k, v in params))
    return sorted(urls)


def serve(db: str, workers: int, cache_ttl: float) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "vigile.cli", "serve", "--db", db, "--port", str(port),
                               "--workers", str(workers), "--cache-ttl", str(cache_ttl)],
                              env=os.environ | {"VIGILE_API_TOKEN": ""}, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(base + "/api/events?limit=1", timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return server, base


def run_wrk(base: str, paths: Path, clients: int, seconds: float) -> str:
    script = Path(__file__).with_name("api_load.lua")
    out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--timeout", "30s", "-s", str(script),
                          base], capture_output=True, text=True, env=os.environ | {"VIGILE_PATHS": str(paths)})
    return next((line for line in out.stdout.splitlines() if line.startswith("WRK")), out.stdout + out.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=50_000)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--urls", type=int, default=50, help="distinct /api/events queries in the mix")
    ap.add_argument("--cache-ttl", type=float, default=CACHE_TTL, help="the server's cache (the default is serve's)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "load.db")
        fill(db, args.events)
        paths = Path(tmp) / "paths.txt"
        paths.write_text("\n".join(event_urls(args.urls)) + "\n", encoding="utf-8")
        print(f"{args.events:,} events, {args.clients} concurrent clients (wrk), {args.seconds:.0f} s, "
              f"{args.workers} server workers, {args.urls} distinct /api/events queries", flush=True)
        for ttl in (args.cache_ttl, 0.0):
            server, base = serve(db, args.workers, ttl)
            try:
                cold = run_wrk(base, paths, args.clients, 5)  # start-up: every query computed once
                line = run_wrk(base, paths, args.clients, args.seconds)
            finally:
                server.terminate()
                server.wait(timeout=30)
            label = f"cache {ttl:g} s" if ttl else "no cache"
            print(f"  {label:<10} first 5 s: {cold.replace('WRK ', '')}", flush=True)
            print(f"  {label:<10} then:      {line.replace('WRK ', '')}", flush=True)


if __name__ == "__main__":
    main()
