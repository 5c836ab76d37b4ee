"""Scaling of `vigile ingest --engine dask` with local worker processes.

    python bench/scale.py [--docs 20000] [--shards 40] [--workers 1,2]

Writes N dev-like articles (bench/throughput.py's corpus) as JSONL shards,
then for each worker count starts a LocalCluster (single-threaded worker
processes on 127.0.0.1) and measures

* phase 1 alone: ``extract_shard`` over every shard on warm workers (the
  model already loaded), i.e. the steady extraction rate of the cluster;
* end to end: ``ingest_distributed`` into a fresh SQLite file, cluster start,
  model loads and the driver's store-and-fuse step included;

then phase 2 alone (the driver loading the extracted Parquet shards, no
cluster), which bounds what any number of workers can reach. Prints docs/s,
the peak RSS of each worker process (its own ``ru_maxrss``, reported with
each shard), the speed-up from 1 to 2 workers, and the cost of a million
articles extrapolated from the steady rates. Run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import json
import logging
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import corpus  # noqa: E402

from vigile.distributed import ShardStats, _worker_pipeline, extract_shard, ingest_distributed  # noqa: E402
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
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--shards", type=int, default=40)
    ap.add_argument("--workers", default="1,2", help="worker counts to compare (comma-separated)")
    args = ap.parse_args()
    counts = [int(w) for w in args.workers.split(",")]

    root = Path(tempfile.mkdtemp(prefix="vigile-scale-"))
    try:
        docs = corpus(args.docs)
        files = write_shards(root / "in", docs, args.shards)
        words = sum(len(d["text"].split()) for d in docs)
        print(f"{len(docs)} articles ({words / len(docs):.0f} words/article) in {len(files)} shards", flush=True)
        steady: dict[int, float] = {}
        end_to_end: dict[int, float] = {}
        for w in counts:
            (root / f"p1-{w}").mkdir()
            startup, seconds, stats = phase1(files, w, root / f"p1-{w}")
            steady[w] = len(docs) / seconds
            print(f"{w} worker(s)  phase 1    {steady[w]:7.1f} docs/s on warm workers ({seconds:.1f} s; "
                  f"start-up {startup:.1f} s); peak RSS per worker: {rss_line(stats)}", flush=True)

            store = Store(str(root / f"e2e-{w}.db"))
            summary = ingest_distributed(files, store, workers=w, work_dir=root / f"work-{w}", progress=False)
            store.close()
            assert summary.shards_done == len(files) and summary.articles.read == len(docs), summary.line()
            end_to_end[w] = len(docs) / (summary.articles.seconds - startup)
            print(f"{w} worker(s)  end to end {len(docs) / summary.articles.seconds:7.1f} docs/s "
                  f"({summary.articles.seconds:.1f} s), {end_to_end[w]:.1f} docs/s without the start-up; "
                  f"{summary.articles.added} added, "
                  f"{len(summary.articles.events_touched)} events; peak RSS per worker: "
                  f"{rss_line(list(summary.workers.values()))}", flush=True)

        # phase 2 alone: the extracted shards of the last run, loaded into a fresh database, no cluster
        w = counts[-1]
        shutil.copytree(root / f"work-{w}" / "shards", root / "p2" / "shards")
        store = Store(str(root / "p2.db"))
        summary = ingest_distributed(files, store, work_dir=root / "p2", progress=False)
        store.close()
        loading = len(docs) / summary.articles.seconds
        print(f"phase 2 alone (driver: read Parquet, near-duplicates, store, fuse) {loading:7.1f} docs/s; "
              f"driver peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB", flush=True)

        if 1 in counts and 2 in counts:
            print(f"speed-up 1 → 2 workers: phase 1 {steady[2] / steady[1]:.2f}x, "
                  f"end to end {end_to_end[2] / end_to_end[1]:.2f}x (start-up excluded)")
        for w in counts:
            cpu_hours = 1e6 / steady[w] * w / 3600
            print(f"per million articles with {w} worker(s): {cpu_hours:.1f} CPU-hours of extraction; "
                  f"phase 2 {1e6 / loading / 3600:.1f} h in one driver; end to end on this machine "
                  f"{1e6 / end_to_end[w] / 3600:.1f} h")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
