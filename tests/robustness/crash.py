"""kill -9 rounds against `vigile ingest`, shared by the tests and bench/soak.py.

Not a test module: it holds the machinery (a corpus, a subprocess, a killer
that strikes at random points, the checks after each strike), so that the
CI test and the long soak run the very same procedure, only more often.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from fusion_corpus import write_updates
from test_ingest_crash import consistent
from test_store import snapshot

from vigile.store import Store

#: A kill waits at most this long for its target; far above any normal run.
_WAIT_S = 300.0


def write_corpus(path: Path, n: int) -> Path:
    """The robustness runs' corpus (see fusion_corpus.write_updates)."""
    return write_updates(path, n, "rédigée pour les tests de robustesse")


def vigile_ingest(src: Path, db: str) -> subprocess.Popen:
    """`vigile ingest` as a separate process, as a user or a cron job runs it."""
    return subprocess.Popen([sys.executable, "-m", "vigile.cli", "ingest", str(src), "--db", db, "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@dataclass
class Round:
    """One kill: when it struck and what the database held afterwards."""

    target: str  # "after N articles" or "at T s"
    articles_before: int
    articles_after: int
    finished_first: bool = False  # the run ended before the kill could land


@dataclass
class CrashReport:
    seed: int
    rounds: list[Round] = field(default_factory=list)

    @property
    def kills(self) -> int:
        return sum(not r.finished_first for r in self.rounds)


def kill_rounds(src: Path, db: str, rounds: int, seed: int, max_articles: int) -> CrashReport:
    """Start `vigile ingest`, kill -9 it at a random point, check the database;
    until ``rounds`` kills have landed (a run that ends before its kill is
    recorded and retried, at most ``2 * rounds`` extra times).

    A random point is either a random delay from the start (start-up, model
    loading, the first reads) or a random number of articles more than the
    database held, plus a random jitter so the signal lands anywhere in the
    next article: extraction, fusion, or the middle of its transaction.
    After each kill the database must be consistent (no orphan, no
    half-fused event) and hold at least what it held before.
    """
    rng = random.Random(seed)
    store = Store(db)  # the schema exists before the first kill (see test_first_migration_killed)
    report = CrashReport(seed)
    try:
        while report.kills < rounds and len(report.rounds) < 3 * rounds:
            before = store.counts()["articles"]
            proc = vigile_ingest(src, db)
            if rng.random() < 0.25:
                delay = rng.uniform(0.3, 4.0)
                target, goal = f"at {delay:.1f} s", None
            else:
                goal = min(before + rng.randint(1, 4), max_articles - 1)
                target = f"after {goal} articles"
            deadline = time.monotonic() + (delay if goal is None else _WAIT_S)
            while proc.poll() is None and time.monotonic() < deadline:
                if goal is not None and store.counts()["articles"] >= goal:
                    time.sleep(rng.uniform(0.0, 0.4))
                    break
                time.sleep(0.02)
            finished = proc.poll() is not None
            if not finished:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            if proc.stderr:
                proc.stderr.close()
            consistent(store)
            after = store.counts()["articles"]
            assert after >= before, f"seed {seed}: a kill lost stored articles ({before} -> {after})"
            report.rounds.append(Round(target, before, after, finished))
    finally:
        store.close()
    return report


def finish(src: Path, db: str) -> None:
    """The same command, run to the end, as a user does after a crash."""
    proc = vigile_ingest(src, db)
    _, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr.decode(errors="replace")[-2000:]


def state(db: str) -> tuple[dict[str, int], list[tuple]]:
    """What must be identical to an uninterrupted run: counts and every event as a user sees it."""
    store = Store(db)
    try:
        consistent(store)
        return store.counts(), snapshot(store)
    finally:
        store.close()
