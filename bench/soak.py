"""Soak: hours of hostile days compressed into minutes (issue 6).

    python bench/soak.py [--fuzz-seconds 100] [--big-chars 1000000] [--atheris-seconds 45]
                         [--kill-rounds 4] [--clients 100] [--load-seconds 60] [--quick] [--json out.json]

The longer sibling of ``tests/robustness/`` (same strategies, same kill
procedure, same readers of the API), with the measurements the tests are not
allowed to make. Phases, each bounded by its own setting (~10 minutes with the
defaults on two cores):

1. **fuzz** — Hypothesis-generated JSONL, text, HTML, RSS/Atom, WARC and gzip
   files through the readers, and their articles plus generated texts through
   the pipeline, for ``--fuzz-seconds``;
2. **atheris** — coverage-guided fuzzing of the readers in a subprocess, if
   atheris is installed;
3. **pathological** — the suite's pathological pages and texts, 1 MiB
   documents (over the size budget: refused) and documents of ``--big-chars``
   characters (at the budget: processed), with their time and peak memory;
   formerly quadratic cases (symbol runs, digit lines) at sizes that took
   minutes before they were fixed, reported apart;
4. **kill -9** — ``--kill-rounds`` random kills of `vigile ingest`, on SQLite
   and (if installed) a throwaway PostgreSQL, then a final run compared with
   an uninterrupted one;
5. **load** — `vigile serve` (its own process) under ``--clients`` concurrent
   readers for ``--load-seconds`` while a `vigile ingest` process writes the
   same SQLite database; once with the read cache (the default deployment),
   once without (every read goes to the database).

Reports documents tried, crashes (exceptions escaping a reader or the
pipeline: must be 0), the slowest document, peak RSS, kill rounds survived
with an identical final state, requests served with p50/p99 and errors.
Everything stays on 127.0.0.1 and every loop ends by itself. Exit status 1
if any crash, state mismatch or 5xx was seen.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import io
import json
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the suite's strategies and helpers, reused as they are

import httpx  # noqa: E402
from hypothesis import HealthCheck, Phase, Verbosity, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from robustness import crash, load  # noqa: E402
from robustness import test_bounded_cost as cost_tests  # noqa: E402
from robustness import test_fuzz_pipeline as pipeline_tests  # noqa: E402
from robustness import test_fuzz_readers as reader_tests  # noqa: E402
from vigile.pipeline import Pipeline  # noqa: E402
from vigile.readers import ReadError, read_path  # noqa: E402
from vigile.schema import Article, ArticleResult  # noqa: E402
from vigile.store.throwaway import PostgresNotInstalled, new_database, throwaway_postgres  # noqa: E402


def peak_rss_mb() -> float:
    """This process's peak RSS. (Not RUSAGE_CHILDREN: on Linux a child's maximum
    survives fork and exec, so every child would report at least ours.)"""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_peak_mb(pid: int) -> Optional[float]:
    """Another process's peak RSS (VmHWM, which exec does reset), while it runs."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


@dataclasses.dataclass
class Tally:
    """What the fuzz and pathological phases saw."""

    documents: int = 0
    articles: int = 0
    read_errors: int = 0
    article_errors: int = 0
    internal_errors: list[str] = dataclasses.field(default_factory=list)  # caught by a boundary, still bugs
    crashes: list[str] = dataclasses.field(default_factory=list)  # escaped: must stay empty
    slowest: tuple[float, str] = (0.0, "")
    times: dict[str, float] = dataclasses.field(default_factory=dict)  # named pathological documents

    def timed(self, label: str, seconds: float) -> None:
        if seconds > self.slowest[0]:
            self.slowest = (seconds, label)


class Harness:
    """One document in, through the readers and the pipeline, every outcome counted."""

    def __init__(self, pipeline: Pipeline, folder: Path, tally: Tally) -> None:
        self.pipeline = pipeline
        self.folder = folder
        self.tally = tally

    def file(self, name: str, data: bytes, label: str) -> float:
        path = self.folder / name
        path.write_bytes(data)
        started = time.perf_counter()
        try:
            items = list(read_path(path))
        except Exception as e:  # noqa: BLE001 — the one thing that must never happen
            self.tally.crashes.append(f"read_path({label}): {type(e).__name__}: {e}")
            return 0.0
        articles = [i for i in items if isinstance(i, Article)]
        self.tally.read_errors += sum(isinstance(i, ReadError) for i in items)
        self._extract(articles, label)
        elapsed = time.perf_counter() - started
        self.tally.documents += 1
        self.tally.timed(f"{label} ({len(data):,} bytes)", elapsed)
        return elapsed

    def texts(self, texts: list[str], label: str) -> float:
        started = time.perf_counter()
        self._extract([Article(id=f"{label}-{i}", text=t, published="2017-03-14") for i, t in enumerate(texts)],
                      label)
        elapsed = time.perf_counter() - started
        self.tally.documents += len(texts)
        self.tally.timed(label if "chars" in label else f"{label} ({sum(map(len, texts)):,} chars)", elapsed)
        return elapsed

    def _extract(self, articles: list[Article], label: str) -> None:
        if not articles:
            return
        try:
            results: list[ArticleResult] = list(self.pipeline.extract(articles))
            assert [r.id for r in results] == [a.id for a in articles], "results out of step with articles"
            checked = [(a, r) for a, r in zip(articles, results, strict=True) if not _internal(r)]
            pipeline_tests.check_results([a for a, _ in checked], [r for _, r in checked])
        except Exception as e:  # noqa: BLE001 — an escape (or a record that breaks the contract)
            self.tally.crashes.append(f"extract({label}): {type(e).__name__}: {str(e)[:300]}")
            return
        self.tally.articles += len(results)
        for r in results:
            if _internal(r):
                self.tally.internal_errors.append(f"{label}: {r.error}")
            elif r.error:
                self.tally.article_errors += 1


def _internal(result: ArticleResult) -> bool:
    return bool(result.error and result.error.startswith("internal error"))


# --- 1. fuzz ----------------------------------------------------------------------------------------------

def fuzz(harness: Harness, seconds: float) -> None:
    """Each generator in turn, for its share of the time, through the suite's strategies.

    The body never raises (it records), so Hypothesis never shrinks: this is
    a generator of hostile inputs here, not a test.
    """
    R = reader_tests
    generators: list[tuple[str, Callable[[st.DataObject], None]]] = [
        ("jsonl", lambda d: harness.file("f.jsonl", d.draw(R.mutated(b"\n".join(d.draw(st.lists(R.JSONL_LINES,
                                                                                             max_size=12))))), "jsonl")),
        ("text", lambda d: harness.file("f.txt", d.draw(st.binary(min_size=1, max_size=4000)) or b"x", "text")),
        ("html", lambda d: harness.file("f.html", d.draw(R.mutated(d.draw(R.HTML_DOCS).encode("utf-8", "replace")))
                                        or b"x", "html")),
        ("feed", lambda d: harness.file(d.draw(st.sampled_from(["f.xml", "f.rss", "f.atom"])),
                                        d.draw(R.mutated(d.draw(R.feeds()).encode("utf-8", "surrogatepass"))) or b"x",
                                        "feed")),
        ("warc", lambda d: _damaged(harness, d, R.WARCS, "warc")),
        ("gzip", lambda d: _damaged(harness, d, R.GZIPPED, "gzip")),
        ("texts", lambda d: harness.texts([a.text for a in d.draw(st.lists(pipeline_tests.ARTICLES, min_size=1,
                                                                            max_size=6))], "texts")),
    ]
    share = seconds / len(generators)
    for name, body in generators:
        _fuzz_for(harness, name, body, time.monotonic() + share)


def _damaged(harness: Harness, data: st.DataObject, pristine: dict[str, bytes], label: str) -> None:
    """One of the suite's valid files (WARC, gzip), damaged at random offsets."""
    suffix = data.draw(st.sampled_from(sorted(pristine)))
    harness.file("f" + suffix, data.draw(reader_tests.mutated(pristine[suffix])) or b"x", label)


def _fuzz_for(harness: Harness, name: str, body: Callable[[st.DataObject], None], deadline: float) -> None:
    """One generator until ``deadline``.

    Hypothesis has no time limit of its own: short runs of 20 examples, again
    and again until the deadline (each run a fresh random seed). The body must
    draw the same way every time (no early return at the deadline), or
    Hypothesis reports an inconsistent strategy.
    """
    @settings(max_examples=20, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        try:
            body(data)
        except Exception as e:  # noqa: BLE001 — recorded, never raised (Hypothesis would stop)
            harness.tally.crashes.append(f"{name} harness: {type(e).__name__}: {e}")

    before = harness.tally.documents
    while time.monotonic() < deadline:
        run()
    print(f"  fuzz {name}: {harness.tally.documents - before} documents", flush=True)


# --- 2. pathological ------------------------------------------------------------------------------------------

FORMERLY_QUADRATIC = {  # minutes before clean.defuse_runs and the anchored boilerplate pattern
    "run of 50,000 emoji (spaCy tokenizer)": "Alep " + "💥" * 50000,
    "run of 100,000 ')' (spaCy tokenizer)": "Alep " + ")" * 100000,
    "line of 100,000 digits (boilerplate regex)": "Alep " + "1" * 100000,
    "100,000 chars of \"l'\" (spaCy tokenizer)": "Alep " + "l'" * 50000,
}


def pathological(harness: Harness, big_chars: int, known: bool) -> None:
    tally = harness.tally
    for name, raw in reader_tests.PATHOLOGICAL_HTML.items():
        tally.times[f"page: {name}"] = harness.file(f"{name}.html", raw, f"page {name}")
    for name, text in pipeline_tests.PATHOLOGICAL_TEXTS.items():
        tally.times[f"text: {name}"] = harness.texts([text], f"text {name}")
    for name, unit in cost_tests.PATHOLOGICAL.items():
        mib = cost_tests.megabyte(unit)
        tally.times[f"1 MiB of {name} (refused)"] = harness.texts([mib], f"1 MiB of {name}")
        big = (unit * (big_chars // len(unit) + 1))[:min(big_chars, harness.pipeline.max_chars)]
        gc.collect()
        tally.times[f"{len(big):,} chars of {name} (processed)"] = harness.texts([big], f"{len(big):,} chars of {name}")
        print(f"  {name}: {len(big):,} chars in {tally.times[f'{len(big):,} chars of {name} (processed)']:.1f} s, "
              f"peak RSS {peak_rss_mb():,.0f} MB", flush=True)
    if known:
        for name, text in FORMERLY_QUADRATIC.items():
            started = time.perf_counter()
            harness.pipeline.extract_one(Article(id=name, text=text))
            tally.times[f"formerly quadratic: {name}"] = time.perf_counter() - started


# --- 3. atheris --------------------------------------------------------------------------------------------------

_ATHERIS_TARGET = r'''
import io, sys, atheris
with atheris.instrument_imports():
    from vigile.readers.document import read_document
    from vigile.readers.jsonl import read_jsonl
from vigile.readers.base import ReadError
from vigile.schema import Article

def one(data: bytes) -> None:
    kind = ("text", "html", "feed", "jsonl")[data[0] % 4] if data else "text"
    body = data[1:]
    items = list(read_jsonl(io.BytesIO(body), "fuzz.jsonl")) if kind == "jsonl" else \
        list(read_document(body, "fuzz", "fuzz", kind))
    for item in items:
        if not isinstance(item, (Article, ReadError)):
            raise AssertionError(f"a reader yielded {type(item).__name__}")

atheris.Setup(sys.argv, one)
atheris.Fuzz()
'''


def atheris_phase(seconds: int, folder: Path) -> Optional[dict[str, Any]]:
    """libFuzzer's own loop in a subprocess (it exits the process when done)."""
    try:
        import atheris  # noqa: F401
    except ImportError:
        return None
    corpus = folder / "atheris-corpus"
    corpus.mkdir(exist_ok=True)
    for i, seed in enumerate([reader_tests.PAGE, reader_tests.SENTENCE.encode(),
                              b'\x03{"id": "a", "text": "' + reader_tests.SENTENCE.encode() + b'"}',
                              b"\x02" + reader_tests.GZIPPED[".xml.gz"]]):
        (corpus / f"seed{i}").write_bytes(seed)
    proc = subprocess.run([sys.executable, "-c", _ATHERIS_TARGET, f"-max_total_time={seconds}", "-timeout=60",
                           "-rss_limit_mb=4096", "-max_len=65536", str(corpus)],
                          capture_output=True, text=True, timeout=seconds + 300, cwd=folder, check=False)
    runs = [line for line in proc.stderr.splitlines() if line.startswith("Done ") or "DONE" in line]
    crashed = proc.returncode != 0
    return {"returncode": proc.returncode, "summary": runs[-1] if runs else proc.stderr[-300:],
            "crash": proc.stderr[-1500:] if crashed else None}


# --- 4. kill -9 ------------------------------------------------------------------------------------------------------

def kill_phase(rounds: int, folder: Path, pipeline: Pipeline, pg: Optional[str], seed: int) -> list[dict]:
    from test_store import articles

    from vigile.ingest import ingest
    from vigile.store import Store

    n = max(40, 12 * rounds)  # enough that the last rounds still find articles to write
    src = crash.write_corpus(folder / "kill-corpus.jsonl", n)
    reference_db = str(folder / "kill-reference.db")
    store = Store(reference_db)
    ingest(articles(json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()), store, pipeline)
    store.close()
    reference = crash.state(reference_db)
    out = []
    targets = [("sqlite", str(folder / "kill.db"))] + ([("postgresql", new_database(pg, "vigile_soak_kill"))]
                                                       if pg else [])
    for kind, db in targets:
        started = time.monotonic()
        try:
            report = crash.kill_rounds(src, db, rounds, seed, n)
            crash.finish(src, db)
            identical = crash.state(db) == reference
            error = None
        except Exception as e:  # noqa: BLE001 — a failed check is a result to report
            report, identical, error = None, False, f"{type(e).__name__}: {e}"
        out.append({"database": kind, "rounds": rounds, "kills": report.kills if report else 0,
                    "runs_started": len(report.rounds) if report else 0,
                    "identical_final_state": identical, "error": error, "seed": seed,
                    "points": [r.target for r in report.rounds] if report else [],
                    "seconds": round(time.monotonic() - started, 1)})
        print(f"  {kind}: {out[-1]['kills']} kills ({', '.join(out[-1]['points'])}), identical final state: "
              f"{identical}{' — ' + error if error else ''}", flush=True)
    return out


# --- 5. load -------------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_phase(clients: int, seconds: float, cache_ttl: float, folder: Path, pipeline: Pipeline) -> dict:
    """`vigile serve` and `vigile ingest` as separate processes on one SQLite file; the clients here."""
    from test_store import articles

    from vigile.ingest import ingest
    from vigile.store import Store

    db = str(folder / f"load-{cache_ttl:g}.db")
    seed_src = crash.write_corpus(folder / "load-seed.jsonl", 24)
    store = Store(db)
    ingest(articles(json.loads(line) for line in seed_src.read_text(encoding="utf-8").splitlines()), store, pipeline)
    store.close()
    big = folder / "load-ingest.jsonl"  # more than an ingest can finish in the window: it runs throughout
    crash.write_corpus(big, 5000)
    port = _free_port()
    server_log, writer_log = folder / f"serve-{cache_ttl:g}.log", folder / f"ingest-{cache_ttl:g}.log"
    with server_log.open("wb") as log:  # files, not pipes: a full pipe would block the process
        server = subprocess.Popen([sys.executable, "-m", "vigile.cli", "serve", "--db", db, "--host", "127.0.0.1",
                                   "--port", str(port), "--cache-ttl", str(cache_ttl)],
                                  stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    writer = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/api/stats", timeout=2).status_code == 200:
                    break
            time.sleep(0.2)
        with writer_log.open("wb") as log:
            writer = subprocess.Popen([sys.executable, "-m", "vigile.cli", "ingest", str(big), "--db", db, "--quiet"],
                                      stdout=subprocess.DEVNULL, stderr=log)
        probe = Store(db)
        deadline = time.monotonic() + 120  # the ingest's start-up (model loading): the load should meet it writing
        while writer.poll() is None and time.monotonic() < deadline and probe.counts()["articles"] <= 24:
            time.sleep(0.2)
        probe.close()
        stop = threading.Event()
        timer = threading.Timer(seconds, stop.set)
        timer.start()
        report = load.hammer(url, clients, stop, max_seconds=seconds + 30)
        timer.cancel()
        server_peak, writer_peak = process_peak_mb(server.pid), process_peak_mb(writer.pid)
        still_writing = writer.poll() is None
        if still_writing:
            writer.send_signal(signal.SIGINT)  # Ctrl-C: the ingest stops between articles
        writer_rc = writer.wait(timeout=300)
        writer_err = writer_log.read_text(errors="replace")[-500:]
        stored = Store(db)
        added = stored.counts()["articles"] - 24
        stored.close()
    finally:
        if writer and writer.poll() is None:
            writer.kill()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        server_err = server_log.read_text(errors="replace")
    return {"cache_ttl": cache_ttl, "clients": clients, "seconds": round(report.seconds, 1),
            "requests": report.requests, "requests_per_s": round(report.requests / max(report.seconds, 1e-9), 1),
            "p50_ms": round(report.percentile(0.5) * 1000, 1), "p99_ms": round(report.percentile(0.99) * 1000, 1),
            "server_errors": len(report.server_errors), "transport_errors": len(report.transport_errors),
            "statuses": dict(report.statuses), "examples": (report.server_errors + report.transport_errors)[:5],
            "server_peak_rss_mb": round(server_peak or 0), "ingest_peak_rss_mb": round(writer_peak or 0),
            "ingest_running_throughout": still_writing, "ingest_exit": writer_rc,
            "articles_ingested_during_load": added,
            "ingest_errors": writer_err if writer_rc not in (0, 130) else "",
            "server_log_errors": [line for line in server_err.splitlines() if "Error" in line][:5]}


# --- main --------------------------------------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fuzz-seconds", type=float, default=100)
    ap.add_argument("--big-chars", type=int, default=1_000_000,
                    help="size of the pathological documents processed at the budget (default: the budget)")
    ap.add_argument("--no-known", action="store_true", help="skip the formerly quadratic documents")
    ap.add_argument("--atheris-seconds", type=int, default=45)
    ap.add_argument("--kill-rounds", type=int, default=4)
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--load-seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=None, help="seed of the kill points (default: random)")
    ap.add_argument("--quick", action="store_true", help="small settings: a smoke run of every phase (~3 min)")
    ap.add_argument("--json", type=Path, help="also write the report here")
    args = ap.parse_args()
    if args.quick:
        args.fuzz_seconds, args.big_chars, args.atheris_seconds = 20, 100_000, 10
        args.kill_rounds, args.clients, args.load_seconds = 3, 20, 10
    seed = args.seed if args.seed is not None else random.randrange(2**32)

    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="vigile-soak-"))
    report: dict[str, Any] = {"settings": {**vars(args), "json": str(args.json) if args.json else None,
                                           "seed": seed}}
    try:
        print("loading the pipeline…", flush=True)
        pipeline = Pipeline()
        tally = Tally()
        harness = Harness(pipeline, folder, tally)

        print(f"[1/5] fuzz for {args.fuzz_seconds:g} s", flush=True)
        with contextlib.redirect_stderr(io.StringIO()):  # warcio prints a warning per damaged record
            fuzz(harness, args.fuzz_seconds)
        fuzzed = tally.documents
        # atheris before the big documents: libFuzzer reads its RSS limit from a
        # maximum that a child inherits from this process across fork and exec
        print(f"[2/5] atheris for {args.atheris_seconds} s", flush=True)
        report["atheris"] = atheris_phase(args.atheris_seconds, folder) if args.atheris_seconds else None
        if report["atheris"] is None:
            print("  atheris not installed (or disabled): skipped", flush=True)
        else:
            print(f"  {report['atheris']['summary']}; crash: {bool(report['atheris']['crash'])}", flush=True)
        print(f"[3/5] pathological documents (processed at {args.big_chars:,} characters)", flush=True)
        pathological(harness, args.big_chars, not args.no_known)
        report["documents"] = {
            "tried": tally.documents, "fuzzed": fuzzed, "pathological": tally.documents - fuzzed,
            "articles_extracted": tally.articles, "read_errors": tally.read_errors,
            "per_document_errors": tally.article_errors, "crashes": len(tally.crashes),
            "crash_examples": tally.crashes[:10], "internal_errors": len(tally.internal_errors),
            "internal_error_examples": sorted(set(tally.internal_errors))[:10],
            "slowest_document": {"seconds": round(tally.slowest[0], 2), "what": tally.slowest[1]},
            "named_times_s": {k: round(v, 2) for k, v in sorted(tally.times.items(), key=lambda kv: -kv[1])},
            "peak_rss_mb": round(peak_rss_mb()),
        }


        print(f"[4/5] kill -9: {args.kill_rounds} rounds per database (seed {seed})", flush=True)
        with contextlib.ExitStack() as stack:
            try:
                pg: Optional[str] = stack.enter_context(throwaway_postgres("vigile-soak-pg-"))
            except PostgresNotInstalled:
                pg = None  # SQLite only
            report["kill_9"] = kill_phase(args.kill_rounds, folder, pipeline, pg, seed)

        print(f"[5/5] load: {args.clients} clients for {args.load_seconds:g} s while an ingest runs", flush=True)
        report["load"] = [load_phase(args.clients, args.load_seconds, ttl, folder, pipeline) for ttl in (10.0, 0.0)]
        report["peak_rss_mb"] = round(peak_rss_mb())
    except Exception:  # noqa: BLE001 — print what we have, then the failure
        traceback.print_exc()
        report["aborted"] = traceback.format_exc()[-2000:]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report["seconds"] = round(time.monotonic() - started)

    print(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    ok = ("aborted" not in report and report["documents"]["crashes"] == 0
          and all(k["identical_final_state"] for k in report["kill_9"])
          and all(run["server_errors"] == 0 and run["transport_errors"] == 0 for run in report["load"])
          and (report["atheris"] is None or report["atheris"]["crash"] is None))
    print("SOAK", "PASSED" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
