"""Scaling of `vigile ingest --engine dask` with local worker processes.

    python bench/scale.py [--docs 20000] [--shards 40] [--workers 1,2] [--phase1-docs 4000]

Writes N dev-like articles (bench/throughput.py's corpus) as JSONL shards,
then for each worker count starts a LocalCluster (single-threaded worker
processes on 127.0.0.1) and measures

* phase 1 alone: ``extract_shard`` over the first shards (``--phase1-docs``
  articles) on warm workers (the model already loaded), i.e. the steady
  extraction rate of the cluster, and its start-up (cluster, model loads);
* end to end: ``ingest_distributed`` into a fresh SQLite file, cluster start,
  model loads and the driver's store-and-fuse step included;

then phase 2 alone (the driver loading the extracted Parquet shards, no
cluster), which bounds what any number of workers can reach. Prints docs/s,
the peak RSS of each worker process (its own ``ru_maxrss``, reported with
each shard), the speed-up from 1 to 2 workers, and the cost of a million
articles: CPU-hours from the CPU time the workers and the driver report
(which contention does not inflate), hours on this machine from the wall
rates. Prints the load average with each line: run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import corpus  # noqa: E402

from vigile.distributed import ShardStats, _worker_pipeline, extract_shard, ingest_distributed, local_cluster  # noqa: E402
from vigile.store import Store  # noqa: E402


def write_shards(folder: Path, docs: list[dict], shards: int) -> list[str]:
    """Consecutive slices of the corpus, one JSONL file each."""
    folder.mkdir(parents=True)
    per = -(-len(docs) // shards)
    files = []
    for s in range(0, len(docs), per):
        path = folder / f"shard-{s // per:04d}.jsonl"
        path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs[s:s + per]), encoding="utf-8")
        files.append(str(path))
    return files


def _warm() -> None:
    """Load the worker's pipeline (returns nothing: a Pipeline does not travel back)."""
    _worker_pipeline("fr")


def phase1(files: list[str], workers: int, out: Path) -> tuple[float, float, list[ShardStats]]:
    """(start-up seconds — cluster and model loads —, extraction seconds on warm workers, shard reports)."""
    from distributed import Client

    t0 = time.perf_counter()
    with local_cluster(workers) as cluster, Client(cluster) as client:
        client.run(_warm)
        t1 = time.perf_counter()
        futures = client.map(extract_shard, files, [str(out / f"{i}.parquet") for i in range(len(files))])
        stats = client.gather(futures)
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1, stats


def rss_line(stats: list[ShardStats]) -> str:
    peaks: dict[str, float] = {}
    for s in stats:
        peaks[s.worker] = max(peaks.get(s.worker, 0.0), s.peak_rss_mb)
    return ", ".join(f"{mb:,.0f} MB" for mb in sorted(peaks.values()))


def load() -> str:
    """The 1-minute load average: numbers taken on a busy machine say so."""
    return f"load {os.getloadavg()[0]:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--shards", type=int, default=40)
    ap.add_argument("--workers", default="1,2", help="worker counts to compare (comma-separated)")
    ap.add_argument("--phase1-docs", type=int, default=4000,
                    help="articles (whole shards) for the phase-1-alone measurement (a rate: a sample will do)")
    args = ap.parse_args()
    counts = [int(w) for w in args.workers.split(",")]

    root = Path(tempfile.mkdtemp(prefix="vigile-scale-"))
    try:
        docs = corpus(args.docs)
        n = len(docs)
        files = write_shards(root / "in", docs, args.shards)
        words = sum(len(d["text"].split()) for d in docs)
        print(f"{n} articles ({words / n:.0f} words/article) in {len(files)} shards, "
              f"{os.cpu_count()} CPUs, {load()}", flush=True)
        steady: dict[int, float] = {}
        end_to_end: dict[int, float] = {}
        cpu_per_doc = 0.0
        sample = files[:max(1, min(len(files), round(len(files) * args.phase1_docs / n)))]
        for w in counts:
            (root / f"p1-{w}").mkdir()
            startup, seconds, stats = phase1(sample, w, root / f"p1-{w}")
            m = sum(s.articles for s in stats)
            steady[w] = m / seconds
            cpu_per_doc = sum(s.cpu_seconds for s in stats) / m
            print(f"{w} worker(s)  phase 1    {steady[w]:7.1f} docs/s on warm workers ({m} articles in {seconds:.1f} s; start-up "
                  f"{startup:.1f} s), {cpu_per_doc * 1000:.0f} CPU-ms/doc; peak RSS per worker: {rss_line(stats)}; "
                  f"{load()}", flush=True)

            store = Store(str(root / f"e2e-{w}.db"))
            summary = ingest_distributed(files, store, workers=w, work_dir=root / f"work-{w}", progress=False)
            store.close()
            assert summary.shards_done == len(files) and summary.articles.read == n, summary.line()
            end_to_end[w] = n / (summary.articles.seconds - startup)
            print(f"{w} worker(s)  end to end {n / summary.articles.seconds:7.1f} docs/s "
                  f"({summary.articles.seconds:.1f} s), {end_to_end[w]:.1f} docs/s without the start-up; "
                  f"{summary.articles.added} added, {len(summary.articles.events_touched)} events; "
                  f"peak RSS per worker: {rss_line(list(summary.workers.values()))}; {load()}", flush=True)

        # phase 2 alone: the extracted shards of the last run, loaded into a fresh database, no cluster
        shutil.copytree(root / f"work-{counts[-1]}" / "shards", root / "p2" / "shards")
        store = Store(str(root / "p2.db"))
        cpu = time.process_time()
        summary = ingest_distributed(files, store, work_dir=root / "p2", progress=False)
        driver_cpu_per_doc = (time.process_time() - cpu) / n
        store.close()
        loading = n / summary.articles.seconds
        print(f"phase 2 alone (driver: read Parquet, near-duplicates, store, fuse) {loading:7.1f} docs/s, "
              f"{driver_cpu_per_doc * 1000:.0f} CPU-ms/doc; driver peak RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB; {load()}", flush=True)

        if 1 in counts and 2 in counts:
            print(f"speed-up 1 → 2 workers: phase 1 {steady[2] / steady[1]:.2f}x, "
                  f"end to end {end_to_end[2] / end_to_end[1]:.2f}x (start-up excluded)")
        print(f"per million articles: extraction {1e6 * cpu_per_doc / 3600:.0f} CPU-hours (worker CPU time), "
              f"fusion {1e6 * driver_cpu_per_doc / 3600:.0f} CPU-hours in one driver "
              f"(≥ {1e6 / loading / 3600:.1f} h wall whatever the cluster); on this machine end to end: "
              + ", ".join(f"{1e6 / end_to_end[w] / 3600:.1f} h with {w} worker(s)" for w in counts))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
