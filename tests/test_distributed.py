"""`ingest_distributed` through real `dask scheduler` / `dask worker` processes on
loopback: the same database as single-process `vigile ingest`, a corrupt shard
skipped after retries, one model load per worker, and kill -9 then resume."""
from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import fsspec
import psutil
import pytest
from conftest import _free_port
from fusion_corpus import ARTICLES
from test_ingest_crash import consistent

from vigile.distributed import ShardError, WorkDir, extract_shard, ingest_distributed, list_shards
from vigile.ingest import ingest
from vigile.readers import read_inputs
from vigile.store import Store

DASK = Path(sys.executable).with_name("dask")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL, the process group this test started (nanny and worker included)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if proc.poll() is not None:
            break
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue
    proc.wait()


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A `dask scheduler` and one single-threaded `dask worker`, as separate processes."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    cwd = tmp_path_factory.mktemp("dask")
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", "127.0.0.1:0"], cwd=cwd, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        procs.append(subprocess.Popen([str(DASK), "worker", address, "--nworkers", "1", "--nthreads", "1",
                                       "--host", "127.0.0.1", "--no-dashboard"], cwd=cwd, start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)


def projection(store: Store) -> list[str]:
    """Every event as the API shows it, timestamps aside (ids included: same order, same ids)."""
    return sorted(json.dumps({k: v for k, v in e.items() if k not in ("created_at", "updated_at")}, sort_keys=True)
                  for e in store.events(limit=None))


def write_shards(folder: Path) -> list[str]:
    """The fusion corpus in three shards (one gzip, one with a broken line and a
    repeated text), plus a corrupt gzip shard; returns the files in shard order."""
    folder.mkdir()
    lines = [json.dumps(a, ensure_ascii=False) for a in ARTICLES]
    (folder / "00.jsonl").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    (folder / "01.jsonl").write_text("\n".join([*lines[3:6], "{not json", lines[0]]) + "\n", encoding="utf-8")
    (folder / "02.jsonl.gz").write_bytes(gzip.compress(("\n".join(lines[6:]) + "\n").encode()))
    (folder / "03.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00 not really gzip " * 20)
    return [str(p) for p in sorted(folder.iterdir())]


def test_cluster_ingest_equals_single_process(scheduler, db_url, pipeline, tmp_path):
    files = write_shards(tmp_path / "in")
    reference = Store(str(tmp_path / "reference.db"))
    expected = ingest(read_inputs(files), reference, pipeline)

    store = Store(db_url)
    errors: list[str] = []
    summary = ingest_distributed([str(tmp_path / "in" / "*.jsonl*")], store, scheduler=scheduler,
                                 work_dir=tmp_path / "work", progress=False, on_error=errors.append)
    assert projection(store) == projection(reference)
    assert store.counts() == reference.counts()
    got = summary.articles
    assert (got.read, got.added, got.known, got.duplicates) == \
           (expected.read, expected.added, expected.known, expected.duplicates) == (9, 8, 1, 1)
    assert got.events_touched == expected.events_touched
    assert len(got.failed) == 1 and "01.jsonl:4: malformed JSON" in got.failed[0]
    assert len(expected.failed) == 2  # the broken line and the corrupt file
    assert (summary.shards, summary.shards_done) == (4, 3)
    assert list(summary.shards_failed) == [files[3]] and "ShardError" in summary.shards_failed[files[3]]
    assert any("03.jsonl.gz: shard skipped after 3 attempts" in e for e in errors)
    [worker] = summary.workers.values()
    assert worker.pipeline_loads == 1  # four shards, three attempts at one, every run of the module: one load
    assert worker.peak_rss_mb > 100
    consistent(store)

    again = ingest_distributed(files, store, scheduler=scheduler, work_dir=tmp_path / "work", progress=False)
    assert (again.shards_resumed, again.shards_done, again.articles.read, again.articles.added) == (3, 3, 0, 0)
    assert list(again.shards_failed) == [files[3]]  # tried again, still corrupt
    assert projection(store) == projection(reference)
    store.close()
    reference.close()


N_SHARDS, PER_SHARD = 12, 10


def crash_corpus(folder: Path) -> list[str]:
    """Distinct texts telling the fusion corpus's events again and again, in shards."""
    folder.mkdir()
    for s in range(N_SHARDS):
        with (folder / f"{s:02d}.jsonl").open("w", encoding="utf-8") as f:
            for i in range(s * PER_SHARD, (s + 1) * PER_SHARD):
                a = dict(ARTICLES[i % len(ARTICLES)], id=f"{ARTICLES[i % len(ARTICLES)]['id']}-{i}")
                a["text"] += f"\nMise à jour numéro {i} de cette dépêche, rédigée pour les tests."
                f.write(json.dumps(a, ensure_ascii=False) + "\n")
    return [str(p) for p in sorted(folder.iterdir())]


def test_kill_9_driver_then_resume(scheduler, tmp_path):
    files = crash_corpus(tmp_path / "in")
    db, work = str(tmp_path / "vigile.db"), tmp_path / "work"
    code = ("from vigile.distributed import ingest_distributed\nfrom vigile.store import Store\n"
            f"ingest_distributed({files!r}, Store({db!r}), workers=1, work_dir={str(work)!r}, progress=False)\n")
    driver = psutil.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    manifest = work / "manifest.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and driver.poll() is None:
        if manifest.exists() and '"loaded"' in manifest.read_text():
            break
        time.sleep(0.02)
    assert driver.poll() is None, f"the driver ended before it could be killed: {driver.stderr.read().decode()}"
    family = [driver, *driver.children(recursive=True)]  # its local cluster's nanny and worker
    for proc in family:
        proc.kill()
    psutil.wait_procs(family, timeout=30)
    loaded = WorkDir(work).loaded()
    assert 1 <= len(loaded) < N_SHARDS
    store = Store(db)
    stored = store.counts()["articles"]
    assert len(loaded) * PER_SHARD <= stored < N_SHARDS * PER_SHARD
    consistent(store)

    resumed = ingest_distributed(files, store, scheduler=scheduler, work_dir=work, progress=False)
    assert resumed.shards_resumed == len(loaded) and resumed.shards_done == N_SHARDS
    assert resumed.articles.added == N_SHARDS * PER_SHARD - stored  # nothing counted twice
    assert {r["key"] for r in WorkDir(work).records() if r["state"] == "loaded"} >= loaded
    consistent(store)

    reference = Store(str(tmp_path / "reference.db"))
    ingest_distributed(files, reference, scheduler=scheduler, work_dir=tmp_path / "work-ref", progress=False)
    assert store.counts() == reference.counts()
    assert projection(store) == projection(reference)
    store.close()
    reference.close()


def _worker_settings() -> tuple:
    """(MALLOC_TRIM_THRESHOLD_, profiler on?, tick, memory check) of the process it runs in."""
    import dask
    return (os.environ.get("MALLOC_TRIM_THRESHOLD_"), dask.config.get("distributed.worker.profile.enabled"),
            dask.config.get("distributed.admin.tick.interval"),
            dask.config.get("distributed.worker.memory.monitor-interval"))


def test_local_workers_run_without_malloc_trim_profiler_or_fast_polling():
    """`--workers` starts processes without the nanny's MALLOC_TRIM_THRESHOLD_
    (20 % of extraction time in bench/scale.py), without the profiler and with
    the event-loop tick and memory checks at 1 s, and leaves the driver's own
    environment and Dask config as they were."""
    from distributed import Client

    from vigile.distributed import local_cluster

    before = _worker_settings()
    assert before == (None, True, "20ms", "100ms"), "this test needs Dask's defaults in the test process"
    with local_cluster(1) as cluster, Client(cluster) as client:
        assert list(client.run(_worker_settings).values()) == [(None, False, "1s", "1s")]
        assert cluster.scheduler.periodic_callbacks["tick"].callback_time == 1000  # the scheduler's, in ms
    assert _worker_settings() == before


def test_shards_are_listed_in_a_stable_order(tmp_path):
    (tmp_path / "b").mkdir()
    for name in ("b/2.jsonl", "b/1.txt", "b/notes.pdf", "a.jsonl"):
        (tmp_path / name).write_text('{"id": 1, "text": "x"}\n')
    shards, missing = list_shards([str(tmp_path / "b"), str(tmp_path / "*.jsonl"), str(tmp_path / "b" / "1.txt"),
                                   str(tmp_path / "none-*.jsonl"), str(tmp_path / "gone.jsonl")])
    assert [Path(s.url).relative_to(tmp_path).as_posix() for s in shards] == ["b/1.txt", "b/2.jsonl", "a.jsonl"]
    assert set(missing.values()) == {"matches no file", "no such file or folder"}
    assert list_shards([str(tmp_path / "a.jsonl")], meta={"source": "X"})[0][0].key != shards[2].key


def test_remote_shard_and_object_store_manifest():
    """An fsspec URL shard is copied to local disk and read like a file; errors
    name the URL; the manifest on a non-local filesystem is rewritten whole."""
    fs = fsspec.filesystem("memory")
    good = json.dumps(ARTICLES[0], ensure_ascii=False)
    fs.pipe_file("/in/a.jsonl", f"{good}\nnot json\n".encode())
    fs.pipe_file("/in/bad.jsonl.gz", b"\x1f\x8b garbage")
    shards, _ = list_shards(["memory://in/*"])
    assert [s.url for s in shards] == ["memory:///in/a.jsonl", "memory:///in/bad.jsonl.gz"]
    work = WorkDir("memory://work")
    stats = extract_shard(shards[0].url, work.parquet(shards[0]))
    assert (stats.articles, stats.errors, stats.events) == (1, 1, 1)
    rows = list(work.rows(shards[0]))
    assert rows[1]["error"].startswith("memory:///in/a.jsonl:2: malformed JSON")
    assert json.loads(rows[0]["events"])[0]["evidence_end"] > 0
    with pytest.raises(ShardError, match="memory:///in/bad.jsonl.gz"):
        extract_shard(shards[1].url, work.parquet(shards[1]))
    assert work.extracted() == {shards[0].key}
    work.record(shards[0], "extracted")
    work.record(shards[0], "loaded")
    assert WorkDir("memory://work").loaded() == {shards[0].key}


@pytest.fixture
def http_folder(tmp_path):
    """A folder served over HTTP on loopback (a real server, not a mock)."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_shards_on_private_addresses_are_refused_unless_allowed(http_folder, monkeypatch):
    """fsspec's HTTP client does no address check of its own: a shard list
    must not make the cluster read an internal service, unless the user says so."""
    from vigile.dedup import NearDuplicates
    from vigile.readers.fetch import ALLOW_PRIVATE_ENV

    folder, base = http_folder
    (folder / "a.jsonl").write_text(json.dumps(ARTICLES[0], ensure_ascii=False) + "\n", encoding="utf-8")
    monkeypatch.delenv(ALLOW_PRIVATE_ENV, raising=False)
    shards, missing = list_shards([f"{base}/a.jsonl"])
    assert shards == [] and "not a public address" in missing[f"{base}/a.jsonl"]

    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")
    shards, missing = list_shards([f"{base}/a.jsonl"])
    assert [s.url for s in shards] == [f"{base}/a.jsonl"] and not missing
    work = WorkDir(folder / "work")
    stats = extract_shard(shards[0].url, work.parquet(shards[0]))
    assert (stats.articles, stats.errors) == (1, 0)
    [row] = list(work.rows(shards[0]))
    # the worker hashed the text for the driver's near-duplicate index, as the driver would have
    expected = NearDuplicates().signatures(row["id"], row["text"])
    assert [(g["start"], g["end"], g["sig"]) for g in row["signatures"]] == expected
