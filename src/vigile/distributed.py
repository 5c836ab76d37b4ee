"""`vigile ingest --engine dask`: extraction on a Dask cluster, fusion in one place.

Phase 1 runs on the cluster, one task per input file (a *shard*): a worker
reads its shard, extracts with a :class:`~vigile.pipeline.Pipeline` loaded
once per worker process, and writes one Parquet file per shard into the work
directory (one row per article, or per read error). Phase 2 runs in the
driver: the Parquet files are loaded in the order of the shard list, each
article stored and fused with :func:`~vigile.ingest.store_one` (a shard's
articles in batches, committed before the shard is marked loaded), so the
database is the one the single-process ``vigile ingest`` builds from the same
files in the same order. Extraction is the costly, parallel part; fusion is
sequential by nature (each article is matched against what came before).

A manifest in the work directory records which shards were extracted and
which were loaded, keyed by path, size, version (mtime or ETag), language and
reader metadata: a rerun skips loaded shards, loads the extracted ones and
extracts the rest. Storing is idempotent (a text already stored is skipped by
its content hash), so a shard whose loading was interrupted is simply loaded
again. See docs/cluster.md.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import logging
import os
import resource
import shutil
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vigile.dedup import NearDuplicates
from vigile.ingest import IngestSummary, Loader, load_index
from vigile.pipeline import Pipeline
from vigile.readers import FEED_SUFFIXES, HTML_SUFFIXES, JSONL_SUFFIXES, TEXT_SUFFIXES, WARC_SUFFIXES, read_path
from vigile.readers.base import ReadError
from vigile.readers.fetch import FetchError, checked_addresses, read_url
from vigile.schema import Article, EventRecord
from vigile.store import Store, content_hash

#: Task attempts beyond the first: enough for a flaky download or a lost worker.
RETRIES = 2
#: Dask settings for a local cluster (scheduler, nannies, workers), measured with bench/scale.py.
#: The nanny's default ``MALLOC_TRIM_THRESHOLD_=65536`` fixes glibc's mmap
#: threshold, so every large array spaCy allocates is mapped and unmapped again:
#: extraction took 79 CPU-ms per article instead of 65 on one worker, and two
#: workers on two cores went 1.86x as fast as one instead of 1.96x. The
#: statistical profiler (a stack sample every 10 ms, for the dashboard's
#: Profile page) costs another 4 %. The polling meant for interactive use — the
#: event-loop tick every 20 ms, memory checks every 100 ms, system metrics
#: every 500 ms — took 4.8 % of a core in the driver (which hosts the scheduler
#: and the nannies) and 4.3 % in two idle workers; at 1 s, 1 s and 2 s, 0.9 %
#: and 0.6 %. Workers of a cluster the user runs take these settings from
#: their own Dask config (docs/cluster.md).
CLUSTER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                  "distributed.worker.profile.enabled": False,
                  "distributed.admin.tick.interval": "1s",
                  "distributed.worker.memory.monitor-interval": "1s",
                  "distributed.admin.system-monitor.interval": "2s"}
#: The driver's batches (:class:`vigile.ingest.Loader`): a backfill favours fewer,
#: larger transactions over how soon a reader sees new articles (``vigile
#: ingest``: 64 articles or 1 s). An event many articles of a batch tell is
#: summarised once per batch: phase 2 alone took 7.9 CPU-ms per article at 256
#: against 8.8 at 64, for the same database.
LOAD_BATCH_ARTICLES = 256
LOAD_BATCH_SECONDS = 5.0
#: Articles per Parquet row group, and per extraction chunk: bounds worker and driver memory.
ROWS_PER_GROUP = 512

_READABLE = (TEXT_SUFFIXES | JSONL_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES | WARC_SUFFIXES)
_VERSION_FIELDS = ("ETag", "etag", "generation", "mtime", "LastModified", "last_modified", "updated", "created")

SCHEMA = pa.schema([
    ("id", pa.string()), ("text", pa.large_string()), ("published", pa.date32()), ("source", pa.string()),
    ("url", pa.string()), ("lang", pa.string()), ("events", pa.large_string()), ("error", pa.string()),
    # the near-duplicate signatures (NearDuplicates.signatures): hashing is per-article work, done here
    ("signatures", pa.list_(pa.struct([("start", pa.int64()), ("end", pa.int64()), ("sig", pa.binary())]))),
])


class ShardError(Exception):
    """A shard with nothing readable in it (corrupt gzip, not a WARC, empty file)."""


@dataclass(frozen=True)
class Shard:
    """One input file; ``key`` changes when the file, the language or the reader metadata do."""

    url: str  # an absolute local path, or an fsspec URL
    size: Optional[int]
    version: str
    key: str


@dataclass(frozen=True)
class ShardStats:
    """What a worker reports for one shard (and about its own process)."""

    shard: str
    articles: int
    errors: int
    events: int
    seconds: float
    cpu_seconds: float  # of the worker process while on this shard: the bill, whatever the contention
    worker: str  # host:pid
    pipeline_loads: int  # pipelines loaded by this worker process so far: 1 when cached
    peak_rss_mb: float


@dataclass
class DistributedSummary:
    """Shard counts on top of the article counters of single-process `vigile ingest`."""

    shards: int = 0
    shards_done: int = 0  # loaded, in this run or an earlier one
    shards_resumed: int = 0  # loaded by an earlier run, skipped
    shards_failed: dict[str, str] = field(default_factory=dict)  # shard (or input) → reason
    articles: IngestSummary = field(default_factory=IngestSummary)
    workers: dict[str, ShardStats] = field(default_factory=dict)  # host:pid → its latest report

    def line(self) -> str:
        return (f"{self.shards} shards: {self.shards_done} done ({self.shards_resumed} by an earlier run), "
                f"{len(self.shards_failed)} failed; " + self.articles.line())


# -- phase 1, on the workers ---------------------------------------------------

_pipeline: Optional[Pipeline] = None
_hasher: Optional[NearDuplicates] = None
_pipeline_loads = 0
_pipeline_lock = threading.Lock()


def _worker_pipeline(lang: str) -> Pipeline:
    """The worker process's pipeline: loading the model costs seconds and ~0.5 GB,
    so it is done once per process and reused by every shard it runs."""
    global _pipeline, _pipeline_loads
    with _pipeline_lock:
        if _pipeline is None or _pipeline.lang != lang:
            _pipeline = Pipeline(lang=lang)
            _pipeline_loads += 1
        return _pipeline


def extract_shard(url: str, out: str, lang: str = "fr", meta: Optional[dict] = None) -> ShardStats:
    """Read one shard, extract every article, write ``out`` (Parquet) atomically.

    Read and extraction errors of single articles are rows with ``error`` set;
    a shard with no article and only errors raises :class:`ShardError`, so
    that Dask retries it and the driver reports it.
    """
    started, cpu = time.perf_counter(), time.process_time()
    pipeline = _worker_pipeline(lang)
    fs, path = fsspec.core.url_to_fs(out)
    tmp = f"{path}.{uuid.uuid4().hex}.tmp"
    articles = errors = events = 0
    first_errors: list[str] = []
    try:
        with _items(url, meta or {}) as items, fs.open(tmp, "wb") as f, pq.ParquetWriter(f, SCHEMA) as writer:
            for rows in _row_groups(items, pipeline):
                for row in rows:
                    if row["text"] is None:
                        errors += 1
                        first_errors += [row["error"]][:3 - len(first_errors)]
                    else:
                        articles += 1
                        events += len(json.loads(row["events"]))
                writer.write_table(pa.Table.from_pylist(rows, schema=SCHEMA))
        if errors and not articles:
            raise ShardError("; ".join(first_errors))
        fs.mv(tmp, path)
    finally:
        if fs.exists(tmp):
            fs.rm(tmp)
    return ShardStats(url, articles, errors, events, time.perf_counter() - started, time.process_time() - cpu,
                      f"{os.uname().nodename}:{os.getpid()}", _pipeline_loads,
                      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


@contextlib.contextmanager
def _items(url: str, meta: dict) -> Iterator[Iterable[Article | ReadError]]:
    """The shard's articles and read errors, read as `vigile ingest` reads them:
    a local path directly; a remote file copied to local disk first (readers
    need a seekable file); a web page or feed URL fetched as a page."""
    if not _is_remote(url):
        yield read_path(Path(url), **meta)
        return
    if url.lower().startswith(("http://", "https://")) and not _readable(url):
        yield read_url(url, **meta)
        return
    _check_host(url)
    with tempfile.TemporaryDirectory(prefix="vigile-shard-") as tmp:
        local = Path(tmp) / url.rstrip("/").rsplit("/", 1)[-1]
        with fsspec.open(url, "rb") as src, local.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        yield (ReadError(i.where.replace(str(local), url), i.message) if isinstance(i, ReadError) else i
               for i in read_path(local, **meta))


def _row_groups(items: Iterable[Article | ReadError], pipeline: Pipeline) -> Iterator[list[dict]]:
    """Rows in reading order, a row group at a time (errors keep their place)."""
    global _hasher
    hasher = _hasher = _hasher or NearDuplicates()  # default parameters, as the driver's index (load_index)
    it = iter(items)
    while chunk := list(itertools.islice(it, ROWS_PER_GROUP)):
        results = pipeline.extract([a for a in chunk if isinstance(a, Article)])
        rows = []
        for item in chunk:
            if isinstance(item, ReadError):
                rows.append({"id": None, "text": None, "published": None, "source": None, "url": None,
                             "lang": None, "events": "[]", "error": str(item), "signatures": None})
                continue
            result = next(results)
            records = [{**r.to_spec(), "evidence_start": r.evidence_start, "evidence_end": r.evidence_end}
                       for r in result.events]
            signatures = None if result.error else [
                {"start": a, "end": b, "sig": sig} for a, b, sig in hasher.signatures(item.id, item.text)]
            rows.append({**item.model_dump(), "events": json.dumps(records, ensure_ascii=False),
                         "error": result.error, "signatures": signatures})
        yield rows


# -- shards and the work directory -------------------------------------------------


def _check_host(url: str) -> None:
    """Refuse an http(s) URL whose host is loopback, private or link-local, as
    :func:`~vigile.readers.fetch.fetch` does (fsspec's HTTP client would not):
    a shard list must not make the cluster read internal services. The check
    is made before each access; a DNS answer that changes in between
    (rebinding) is not caught on this path — SECURITY.md."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() in ("http", "https"):
        checked_addresses(parts.hostname or "", parts.port or (443 if parts.scheme.lower() == "https" else 80))


def _is_remote(url: str) -> bool:
    return fsspec.utils.get_protocol(url) not in ("file", "local")


def _readable(name: str) -> bool:
    """A file a folder walk reads (as :func:`vigile.readers.read_path` does)."""
    name = name.lower()
    if any(name.endswith(s) for s in WARC_SUFFIXES):
        return True
    name = name.removesuffix(".gz")
    return any(name.endswith(s) for s in _READABLE)


def list_shards(inputs: Sequence[str], lang: str = "fr",
                meta: Optional[dict] = None) -> tuple[list[Shard], dict[str, str]]:
    """The shards of ``inputs`` in a deterministic order (inputs in the given
    order, each glob or folder sorted, duplicates dropped), and the inputs that
    name no file, with why."""
    salt = json.dumps([lang, meta or {}], sort_keys=True, default=str)
    shards: dict[str, Shard] = {}
    missing: dict[str, str] = {}
    for name in inputs:
        try:
            _check_host(name)
            fs, path = fsspec.core.url_to_fs(name)
            if any(c in path for c in "*?["):
                paths = sorted(fs.glob(path))
            elif not path.startswith(("http://", "https://")) and fs.isdir(path):
                paths = sorted(p for p in fs.find(path) if _readable(p))
            else:
                paths = [path]
            if not paths:
                missing[name] = "matches no file"
            for p in paths:
                url = p if isinstance(fs, LocalFileSystem) else fs.unstrip_protocol(p)
                if url not in shards:
                    info = fs.info(p)
                    version = str(next((info[k] for k in _VERSION_FIELDS if info.get(k)), ""))
                    key = hashlib.sha256(f"{url}\0{info.get('size')}\0{version}\0{salt}".encode()).hexdigest()[:24]
                    shards[url] = Shard(url, info.get("size"), version, key)
        except FileNotFoundError:
            missing[name] = "no such file or folder"
        except FetchError as e:
            missing[name] = f"refused: {e}"
        except Exception as e:  # noqa: BLE001 — a bad URL or missing credentials cost that input only
            missing[name] = f"cannot list: {type(e).__name__}: {e}"
    return list(shards.values()), missing


class WorkDir:
    """Parquet shards and the manifest, on a local or shared path or an fsspec URL.

    The manifest is JSON Lines, one record per event (``extracted``,
    ``loaded``), written only by the driver: appended and fsynced on a local
    or shared filesystem; rewritten whole on an object store (one PUT,
    atomic, where appending does not exist). A torn last line is ignored.
    A shard's Parquet file appears only once complete (written aside, then
    renamed), so its presence alone says the shard was extracted.
    """

    def __init__(self, url: str | Path) -> None:
        self.fs, self.root = fsspec.core.url_to_fs(str(url))
        self.fs.makedirs(f"{self.root}/shards", exist_ok=True)
        self.manifest = f"{self.root}/manifest.jsonl"
        self.local = isinstance(self.fs, LocalFileSystem)
        self._text = self.fs.cat_file(self.manifest).decode() if self.fs.exists(self.manifest) else ""

    def parquet(self, shard: Shard) -> str:
        return self.fs.unstrip_protocol(f"{self.root}/shards/{shard.key}.parquet")

    def extracted(self) -> set[str]:
        return {Path(p).name.removesuffix(".parquet") for p in self.fs.ls(f"{self.root}/shards", detail=False)
                if p.endswith(".parquet")}

    def loaded(self) -> set[str]:
        return {r["key"] for r in self.records() if r.get("state") == "loaded"}

    def records(self) -> list[dict]:
        out = []
        for line in self._text.splitlines():
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
        return out

    def record(self, shard: Shard, state: str, **extra: Any) -> None:
        line = json.dumps({"state": state, "key": shard.key, "shard": shard.url, "size": shard.size,
                           "version": shard.version, "at": time.time(), **extra}) + "\n"
        self._text += line
        if self.local:
            with open(self.manifest, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
        else:
            self.fs.pipe_file(self.manifest, self._text.encode())

    def rows(self, shard: Shard) -> Iterator[dict]:
        with self.fs.open(self.parquet(shard), "rb") as f:
            for batch in pq.ParquetFile(f).iter_batches(batch_size=ROWS_PER_GROUP):
                yield from batch.to_pylist()


# -- phase 2, in the driver ------------------------------------------------------


def _load_shard(rows: Iterable[dict], loader: Loader, summary: IngestSummary,
                on_error: Callable[[str], None], advance: Callable[[], None]) -> None:
    """Store and fuse a shard's rows in order, with the counters of `vigile ingest`;
    committed when it returns."""
    for row in rows:
        advance()
        if row["text"] is None:
            loader.after(functools.partial(_failed, summary, on_error, row["error"]))
            continue
        summary.read += 1
        article = Article.model_validate({k: row[k] for k in ("id", "text", "published", "source", "url", "lang")})
        if row["error"]:
            loader.commit()  # what is known includes what this run stored
            if loader.store.known([content_hash(article.text)]):  # `vigile ingest` would not have extracted it
                summary.known += 1
            else:
                _failed(summary, on_error, f"article {article.id}: {row['error']}")
            continue
        signatures = row.get("signatures")  # absent from shards of older versions: hashed here then
        loader.add(article, [EventRecord.model_validate(r) for r in json.loads(row["events"])],
                   None if signatures is None else [(g["start"], g["end"], g["sig"]) for g in signatures],
                   then=summary.record)
    loader.commit()


def _failed(summary: IngestSummary, on_error: Callable[[str], None], message: str) -> None:
    summary.failed.append(message)
    on_error(message)


@contextlib.contextmanager
def _client(scheduler: Optional[str], workers: int) -> Iterator[Any]:
    """A client of the given scheduler, or of a local cluster of single-threaded
    worker processes (spaCy holds the GIL: processes, not threads, scale)."""
    from distributed import Client

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with local_cluster(workers, logging.CRITICAL) as cluster, Client(cluster) as client:  # errors: on_error
        yield client


def local_cluster(workers: int, log_level: int = logging.ERROR) -> Any:
    """A ``LocalCluster`` of single-threaded worker processes on 127.0.0.1,
    with :data:`CLUSTER_CONFIG` (so the bench measures what ``--workers`` runs)."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(CLUSTER_CONFIG):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address="127.0.0.1:0", silence_logs=log_level)


@contextlib.contextmanager
def _progress(enabled: bool, console: Console, total: int, done: int) -> Iterator[Callable[..., None]]:
    """Yield ``update(shards=0, docs=0)``; a bar (shards, documents, docs/s) on a terminal only."""
    if not enabled or not console.is_terminal:
        yield lambda shards=0, docs=0: None
        return
    columns = [TextColumn("[bold]shards"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[docs]:,} documents"), TextColumn("{task.fields[rate]}"), TimeElapsedColumn()]
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("shards", total=total, completed=done, docs=0, rate="")
        started = time.perf_counter()

        def update(shards: int = 0, docs: int = 0) -> None:
            t = bar.tasks[0]
            n = t.fields["docs"] + docs
            bar.update(task, advance=shards, docs=n, rate=f"{n / (time.perf_counter() - started):.1f} docs/s")

        yield update


def ingest_distributed(inputs: Sequence[str], store: Store, *, scheduler: Optional[str] = None, workers: int = 2,
                       work_dir: str | Path, lang: str = "fr", meta: Optional[dict] = None,
                       progress: bool = True,
                       on_error: Callable[[str], None] = lambda message: None) -> DistributedSummary:
    """Extract ``inputs`` on Dask, then store and fuse them here; see the module docstring.

    ``scheduler`` is a Dask scheduler address; without one, a local cluster of
    ``workers`` processes is started on 127.0.0.1. ``meta`` is passed to the
    readers (``published``, ``source`` of .txt files, as `vigile ingest`).
    """
    started = time.perf_counter()
    meta = {"lang": lang, **(meta or {})}
    summary = DistributedSummary()
    shards, missing = list_shards(inputs, lang, meta)
    for name, reason in missing.items():
        summary.shards_failed[name] = reason
        on_error(f"{name}: {reason}")
    summary.shards = len(shards)
    work = WorkDir(work_dir)
    loaded = work.loaded()
    todo = [s for s in shards if s.key not in loaded]
    summary.shards_done = summary.shards_resumed = len(shards) - len(todo)
    extracted = work.extracted()
    ready: dict[int, bool] = {i: True for i, s in enumerate(todo) if s.key in extracted}  # i → loadable
    loader = Loader(store, load_index(store), batch=LOAD_BATCH_ARTICLES, seconds=LOAD_BATCH_SECONDS)
    console = Console(stderr=True)
    position = 0

    def load_ready(update: Callable[..., None]) -> None:
        """Load every shard whose predecessors are all done: the order of the shard list."""
        nonlocal position
        while position in ready:
            shard = todo[position]
            if ready[position]:
                _load_shard(work.rows(shard), loader, summary.articles, on_error, lambda: update(docs=1))
                work.record(shard, "loaded")
                summary.shards_done += 1
            update(shards=1)
            position += 1

    need_cluster = len(ready) < len(todo)
    try:
        with (_client(scheduler, workers) if need_cluster else contextlib.nullcontext()) as client, \
                _progress(progress, console, len(shards), summary.shards_done) as update, loader:
            if client is not None and progress:  # served once bokeh>=3.1 is installed where the scheduler runs
                console.print(f"Dask dashboard: {client.dashboard_link}", highlight=False)
            futures = {client.submit(extract_shard, s.url, work.parquet(s), lang, meta, retries=RETRIES,
                                     key=f"vigile-extract-{s.key}"): i
                       for i, s in enumerate(todo) if i not in ready} if client is not None else {}
            load_ready(update)  # shards extracted by an earlier run, while the cluster works
            if futures:
                from distributed import as_completed

                for future in as_completed(futures):
                    i = futures[future]
                    try:
                        stats: ShardStats = future.result()
                    except Exception as e:  # noqa: BLE001 — the task's own error, after its retries
                        reason = f"{type(e).__name__}: {e}"
                        summary.shards_failed[todo[i].url] = reason
                        on_error(f"{todo[i].url}: shard skipped after {RETRIES + 1} attempts: {reason}")
                        ready[i] = False
                    else:
                        summary.workers[stats.worker] = stats
                        work.record(todo[i], "extracted", articles=stats.articles, errors=stats.errors,
                                    events=stats.events, seconds=round(stats.seconds, 3), worker=stats.worker)
                        ready[i] = True
                    future.release()
                    load_ready(update)
    except KeyboardInterrupt:
        summary.articles.interrupted = True
    summary.articles.seconds = time.perf_counter() - started
    return summary
