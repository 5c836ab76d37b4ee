"""API readers hammering a live server, shared by the concurrency tests and bench/soak.py.

Not a test module. Each client is a thread with its own HTTP connection that
cycles through the read endpoints (lists with filters, stats, map clusters,
the change feed, then single events it has seen) until told to stop; every
response's status and latency is kept, every transport error too.
"""
from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
import httpx

READS = [
    "/api/events", "/api/events?country=SY", "/api/events?q=homs", "/api/events?type=shelling&type=air_strike",
    "/api/events?since=2017-03-01&until=2017-04-30&limit=5", "/api/events?format=geojson",
    "/api/events?format=csv", "/api/events?near=36.2,37.1&radius=300", "/api/stats", "/api/stats?country=SY",
    "/api/clusters?zoom=4", "/api/changes?since=2000-01-01T00:00:00",
]


@dataclass
class LoadReport:
    requests: int = 0
    statuses: collections.Counter = field(default_factory=collections.Counter)
    transport_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)  # "<status> <path>: <body start>"
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def merge(self, other: "LoadReport") -> None:
        self.requests += other.requests
        self.statuses.update(other.statuses)
        self.transport_errors += other.transport_errors
        self.server_errors += other.server_errors
        self.latencies += other.latencies

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def line(self) -> str:
        return (f"{self.requests} requests in {self.seconds:.0f} s ({self.requests / max(self.seconds, 1e-9):.0f}/s), "
                f"p50 {self.percentile(0.5) * 1000:.0f} ms, p99 {self.percentile(0.99) * 1000:.0f} ms, "
                f"5xx {len(self.server_errors)}, transport errors {len(self.transport_errors)}, "
                f"statuses {dict(self.statuses)}")


def _client(base_url: str, stop: threading.Event, deadline: float, offset: int, out: LoadReport) -> None:
    seen: list[int] = []
    i = offset
    with httpx.Client(base_url=base_url, timeout=120) as http:
        while not stop.is_set() and time.monotonic() < deadline:
            path = READS[i % len(READS)] if (i % 4 or not seen) else f"/api/events/{seen[i % len(seen)]}"
            i += 1
            started = time.perf_counter()
            try:
                r = http.get(path)
            except httpx.HTTPError as e:
                out.transport_errors.append(f"{path}: {type(e).__name__}: {e}")
                continue
            out.latencies.append(time.perf_counter() - started)
            out.requests += 1
            out.statuses[r.status_code] += 1
            if r.status_code >= 500:
                out.server_errors.append(f"{r.status_code} {path}: {r.text[:300]}")
            elif path == "/api/events" and r.status_code == 200 and len(seen) < 50:
                seen.extend(e["id"] for e in r.json()["events"][:10])


def hammer(base_url: str, clients: int, stop: threading.Event, max_seconds: float = 600.0) -> LoadReport:
    """``clients`` concurrent readers until ``stop`` is set, or ``max_seconds``
    at the latest: bounded whatever happens to the code under test."""
    started = time.monotonic()
    deadline = started + max_seconds
    reports = [LoadReport() for _ in range(clients)]
    threads = [threading.Thread(target=_client, args=(base_url, stop, deadline, n, reports[n]), daemon=True)
               for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max_seconds + 180)
    total = LoadReport(seconds=time.monotonic() - started)
    for report in reports:
        total.merge(report)
    return total
