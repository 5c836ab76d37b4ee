"""The ``vigile`` command: a thin layer over :mod:`vigile.pipeline`.

It parses arguments, streams articles through the pipeline, writes results
and reports — nothing else. Output files are written to a temporary file and
renamed at the end, so an interrupted run never leaves a half-written file.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Iterator, List, Optional

import typer
from rich.console import Console

from vigile.readers import JSONL_SUFFIXES, ReadError, read_inputs

app = typer.Typer(
    help="Vigile: French conflict and humanitarian news in, structured, sourced, geocoded events out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
if TYPE_CHECKING:  # imported where used: start-up stays light
    from vigile.store import Store

err = Console(stderr=True, soft_wrap=True)  # one error, one line: greppable

#: Show a progress bar only when there is enough work for one to help.
_PROGRESS_MIN_DOCS = 5


class OutputFormat(str, Enum):
    jsonl = "jsonl"
    table = "table"


def _count_docs(inputs: List[str]) -> Optional[int]:
    """How many documents the inputs hold (JSONL lines, one per text or HTML file),
    cheaply; None when that cannot be known without reading them (stdin, URLs,
    feeds, WARC and gzip files), and the bar then shows a running count."""
    total = 0
    for name in inputs:
        if name == "-" or "://" in name:
            return None
        p = Path(name)
        files = [f for f in p.rglob("*") if f.is_file()] if p.is_dir() else [p]
        for f in files:
            lower = f.name.lower()
            if lower.endswith((".gz", ".warc", ".xml", ".rss", ".atom")):
                return None
            if f.suffix.lower() in JSONL_SUFFIXES:
                try:
                    with f.open("rb") as fh:
                        total += sum(1 for line in fh if line.strip())
                except OSError:
                    continue
            else:
                total += 1
    return total


@contextmanager
def _atomic_output(path: Optional[Path]) -> Iterator[IO[str]]:
    """stdout, or a temporary file beside ``path`` renamed onto it on success."""
    if path is None:
        yield sys.stdout
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _make_pipeline(lang: str = "fr", batch_size: int = 16, processes: int = 1):
    """The pipeline, or a one-line error (bad language, broken install) and exit 2."""
    from vigile.pipeline import Pipeline

    try:
        return Pipeline(lang=lang, batch_size=batch_size, n_process=processes)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--lang")
    except Exception as e:  # noqa: BLE001 — a broken install must not end in a traceback
        err.print(f"[red]error[/red] cannot start the pipeline: {type(e).__name__}: {e}", highlight=False)
        raise typer.Exit(2)


@app.command()
def extract(
    inputs: List[str] = typer.Argument(..., help="JSONL files (one article per line: id, text, published…), "
                                       ".txt and HTML files, RSS/Atom feeds, WARC archives (also .gz), "
                                       "folders of them, feed or page URLs, or '-' for standard input."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write here instead of stdout."),
    fmt: OutputFormat = typer.Option(OutputFormat.jsonl, "--format", "-f",
                                     help="jsonl: one {id, events} object per article (the spec); "
                                     "table: a readable table."),
    published: Optional[str] = typer.Option(None, help="Publication day (YYYY-MM-DD) of articles that do not "
                                            "carry one (plain text), to resolve 'mardi', 'hier'…"),
    source: Optional[str] = typer.Option(None, help="Outlet name for articles that do not carry one."),
    lang: str = typer.Option("fr", help="Language of the articles."),
    batch_size: int = typer.Option(16, min=1, max=1024, help="Articles per spaCy batch."),
    processes: int = typer.Option(1, "--processes", "-j", min=1, max=64,
                                  help="Worker processes (each loads the model once, ~0.5 GB)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar, no summary."),
) -> None:
    """Extract event records from news articles.

    An article over 200,000 characters (the size budget: a news article is far
    shorter, and a hostile one must not cost minutes) is refused with an error
    for that article; the others go on.

    \b
    Examples:
      vigile extract articles.jsonl -o events.jsonl
      vigile extract reports/ --format table
      cat article.txt | vigile extract - --published 2016-12-08
      vigile extract big.jsonl -o events.jsonl --processes 2
    """
    from vigile.render import events_table

    meta = _article_meta(published, source, lang)
    pipeline = _make_pipeline(lang, batch_size, processes)

    failures: list[str] = []
    n_ok = n_events = 0
    total = None if quiet else _count_docs(inputs)
    show_progress = not quiet and (total is None or total >= _PROGRESS_MIN_DOCS)

    def articles():
        for item in read_inputs(inputs, **meta):
            if isinstance(item, ReadError):
                failures.append(str(item))
                err.print(f"[red]error[/red] {item}", highlight=False)
            else:
                yield item

    from vigile.progress import progress_bar

    results = []
    with _atomic_output(output) as out, progress_bar(total, show_progress, err) as advance:
        for result in pipeline.extract(articles()):
            advance()
            if result.error:
                failures.append(f"{result.id}: {result.error}")
                err.print(f"[red]error[/red] article {result.id}: {result.error}", highlight=False)
                continue
            n_ok += 1
            n_events += len(result.events)
            if fmt is OutputFormat.jsonl:
                out.write(json.dumps(result.to_spec(), ensure_ascii=False) + "\n")
            else:
                results.append(result)
        if fmt is OutputFormat.table:
            tty = out.isatty()
            Console(file=out, width=None if tty else 200, force_terminal=tty).print(events_table(results))
    if not quiet:
        err.print(f"{n_ok} articles, {n_events} events" + (f", [red]{len(failures)} failed[/red]" if failures else ""))
    if failures:
        raise typer.Exit(1)


@app.command()
def evaluate(
    gold: Path = typer.Argument(..., exists=True, dir_okay=False, help="Gold JSONL (articles with 'events')."),
    pred: Optional[Path] = typer.Argument(None, help="Predictions JSONL; omitted: run extraction on the gold texts."),
    by_type: bool = typer.Option(False, "--by-type", help="Per-type scores."),
    show_errors: bool = typer.Option(False, "--show-errors", help="List missed and extra events."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the full result as JSON here."),
) -> None:
    """Score event records against a gold set (the rules of the reference scorer)."""
    from vigile.evaluate import format_report, load_jsonl, score

    gold_docs = load_jsonl(gold)
    if pred is None:
        from vigile.schema import Article

        pipeline = _make_pipeline()
        articles = [Article.model_validate(d) for d in gold_docs.values()]
        pred_docs = {r.id: r.to_spec() for r in pipeline.extract(articles)}
    else:
        pred_docs = load_jsonl(pred)
    result = score(gold_docs, pred_docs, show_errors=show_errors)
    if json_out:
        json_out.write_text(json.dumps(result.summary, indent=2), encoding="utf-8")
    typer.echo(format_report(result, by_type=by_type))


# -- the event database ------------------------------------------------------

DB_HELP = "Database: a SQLite file (created if missing) or a URL such as postgresql+psycopg://user@host/vigile."


class EventFormat(str, Enum):
    table = "table"
    jsonl = "jsonl"
    csv = "csv"
    geojson = "geojson"


class Engine(str, Enum):
    local = "local"
    dask = "dask"


class ExportFormat(str, Enum):
    acled_csv = "acled-csv"
    csv = "csv"
    geojson = "geojson"
    jsonl = "jsonl"
    parquet = "parquet"


def _open_store(db: str):
    """The store, or a one-line error (unreachable server, bad URL) and exit 2."""
    from vigile.store import Store

    try:
        return Store(db)
    except Exception as e:  # noqa: BLE001 — a bad URL or a down server must not end in a traceback
        err.print(f"[red]error[/red] cannot open database {db}: {type(e).__name__}: {e}", highlight=False)
        raise typer.Exit(2)


@app.command()
def ingest(
    inputs: List[str] = typer.Argument(..., help="JSONL, .txt, HTML, RSS/Atom, WARC files or folders, "
                                       "feed URLs, or '-'."),
    db: str = typer.Option("vigile.db", "--db", help=DB_HELP),
    published: Optional[str] = typer.Option(None, help="Publication day (YYYY-MM-DD) of .txt/stdin articles."),
    source: Optional[str] = typer.Option(None, help="Outlet name for .txt/stdin articles."),
    lang: str = typer.Option("fr", help="Language of the articles."),
    processes: int = typer.Option(1, "--processes", "-j", min=1, max=64, help="Extraction worker processes."),
    engine: Engine = typer.Option(Engine.local, help="local: this process (and --processes workers); "
                                  "dask: extraction on a Dask cluster, fusion here (docs/cluster.md)."),
    scheduler: Optional[str] = typer.Option(None, help="Dask scheduler address (tcp://host:8786); "
                                            "without it, a local cluster of --workers processes."),
    workers: int = typer.Option(2, min=1, max=1024, help="Local Dask workers when no --scheduler is given."),
    work_dir: Path = typer.Option(Path(".vigile-work"), help="Dask: Parquet shards and the resume manifest "
                                  "(a shared filesystem when workers are on other machines)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar, no summary."),
) -> None:
    """Extract, deduplicate and fuse articles into the event database.

    Each article is stored in one transaction: an interrupted run leaves no half
    article, and running the same command again completes the job (texts already
    stored are skipped before extraction).

    An article over 200,000 characters is refused (an error for that article).

    \b
    Examples:
      vigile ingest articles.jsonl reports/ feed.xml crawl.warc.gz
      vigile ingest --db postgresql+psycopg://user@host/vigile articles.jsonl
      vigile ingest 'archive/*.jsonl.gz' --engine dask --workers 2
      vigile ingest 's3://bucket/cc-news/*.warc.gz' --engine dask --scheduler tcp://scheduler:8786
    """
    from vigile.ingest import ingest as run_ingest
    from vigile.ingest import load_index
    from vigile.progress import progress_bar

    meta = _article_meta(published, source, lang)
    store = _open_store(db)
    if engine is Engine.dask:
        from vigile.distributed import ingest_distributed

        result = ingest_distributed(inputs, store, scheduler=scheduler, workers=workers, work_dir=work_dir,
                                    lang=lang, meta=meta, progress=not quiet,
                                    on_error=lambda msg: err.print(f"[red]error[/red] {msg}", highlight=False))
        _end_ingest(store, result.line(), result.articles.interrupted,
                    bool(result.shards_failed or result.articles.failed), quiet)
        return
    pipeline = _make_pipeline(lang, 16, processes)
    index = load_index(store)
    total = None if quiet else _count_docs(inputs)
    with progress_bar(total, not quiet, err) as advance:
        summary = run_ingest(read_inputs(inputs, **meta), store, pipeline, index,
                             on_article=lambda outcome: advance(),
                             on_error=lambda msg: err.print(f"[red]error[/red] {msg}", highlight=False))
    _end_ingest(store, summary.line(), summary.interrupted, bool(summary.failed), quiet)


def _end_ingest(store: Store, line: str, interrupted: bool, failed: bool, quiet: bool) -> None:
    """Close the store, report, and exit as both engines do: 130 when
    interrupted (a rerun continues), 1 when anything failed."""
    counts = store.counts()
    store.close()
    if not quiet:
        err.print(line)
        err.print("database: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if interrupted:
        err.print("interrupted: every stored article is complete; run the same command again to continue")
        raise typer.Exit(130)
    if failed:
        raise typer.Exit(1)


def _article_meta(published: Optional[str], source: Optional[str], lang: str) -> dict:
    meta: dict = {"lang": lang}
    if published:
        try:
            meta["published"] = dt.date.fromisoformat(published)
        except ValueError:
            raise typer.BadParameter(f"{published!r} is not a YYYY-MM-DD day", param_hint="--published")
    if source:
        meta["source"] = source
    return meta


def _day(value: Optional[str], name: str) -> Optional[dt.date]:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD day", param_hint=name)


def _near(value: Optional[str]) -> Optional[tuple[float, float]]:
    """A place name ("Aleppo", "Alep") or "lat,lon" → coordinates."""
    if value is None:
        return None
    from vigile.gazetteer import coordinates

    try:
        return coordinates(value)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--near")


def _filter(types, country, near, radius, since, until, actor, source, min_killed, text):
    from vigile.schema import EVENT_TYPES
    from vigile.store import EventFilter

    bad = [t for t in types or () if t not in EVENT_TYPES]
    if bad:
        raise typer.BadParameter(f"unknown type {bad[0]!r} (one of: {', '.join(EVENT_TYPES)})", param_hint="--type")
    return EventFilter(types=tuple(types or ()), country=country, near=_near(near), radius_km=radius,
                       since=_day(since, "--since"), until=_day(until, "--until"), actor=actor, source=source,
                       min_fatalities=min_killed, text=text)


_TYPE_OPT = typer.Option(None, "--type", "-t", help="Event type (repeatable): shelling, air_strike, …")
_COUNTRY_OPT = typer.Option(None, help="ISO 3166 alpha-2 country code, e.g. SY.")
_NEAR_OPT = typer.Option(None, help="A place name or 'lat,lon'; with --radius.")
_RADIUS_OPT = typer.Option(50.0, help="Radius in km around --near.")
_SINCE_OPT = typer.Option(None, help="First day, YYYY-MM-DD.")
_UNTIL_OPT = typer.Option(None, help="Last day, YYYY-MM-DD.")
_ACTOR_OPT = typer.Option(None, help="Actor name contains this.")
_SOURCE_OPT = typer.Option(None, help="Source name contains this.")
_KILLED_OPT = typer.Option(None, "--min-killed", help="At least this many fatalities (conservative count).")
_TEXT_OPT = typer.Option(None, help="Evidence or place contains this text.")


@app.command()
def events(
    db: str = typer.Option("vigile.db", "--db", help=DB_HELP),
    types: Optional[List[str]] = _TYPE_OPT, country: Optional[str] = _COUNTRY_OPT,
    near: Optional[str] = _NEAR_OPT, radius: float = _RADIUS_OPT, since: Optional[str] = _SINCE_OPT,
    until: Optional[str] = _UNTIL_OPT, actor: Optional[str] = _ACTOR_OPT, source: Optional[str] = _SOURCE_OPT,
    min_killed: Optional[int] = _KILLED_OPT, text: Optional[str] = _TEXT_OPT,
    fmt: EventFormat = typer.Option(EventFormat.table, "--format", "-f", help="table, jsonl, csv or geojson."),
    limit: int = typer.Option(100, min=1, help="At most this many events."),
) -> None:
    """List fused events, newest first.

    \b
    Example:
      vigile events --type shelling --country SY --near Aleppo --radius 50 --since 2016-11-15
    """
    from vigile import export
    from vigile.render import fused_table

    flt = _filter(types, country, near, radius, since, until, actor, source, min_killed, text)
    store = _open_store(db)
    rows = store.events(flt, limit=limit)
    store.close()
    if fmt is EventFormat.table:
        Console(width=None if sys.stdout.isatty() else 200).print(fused_table(rows))
    elif fmt is EventFormat.jsonl:
        export.write_jsonl(rows, sys.stdout)
    elif fmt is EventFormat.csv:
        export.write_csv(rows, sys.stdout)
    else:
        export.write_geojson(rows, sys.stdout)
        sys.stdout.write("\n")


@app.command()
def event(
    event_id: int = typer.Argument(..., help="Event id (an id merged into another event shows that event)."),
    db: str = typer.Option("vigile.db", "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of a report."),
) -> None:
    """One event: figures with their range, every claim by source, the articles and their evidence."""
    from vigile.render import event_report

    store = _open_store(db)
    detail = store.event(event_id)
    store.close()
    if detail is None:
        err.print(f"[red]error[/red] no event {event_id} in {db}", highlight=False)
        raise typer.Exit(1)
    if as_json:
        typer.echo(json.dumps(detail, ensure_ascii=False, indent=2))
    else:
        Console(width=None if sys.stdout.isatty() else 160).print(event_report(detail))


@app.command("export")
def export_cmd(
    fmt: ExportFormat = typer.Option(..., "--format", "-f", help="acled-csv, csv, geojson, jsonl or parquet."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write (written whole or not at all)."),
    db: str = typer.Option("vigile.db", "--db", help=DB_HELP),
    types: Optional[List[str]] = _TYPE_OPT, country: Optional[str] = _COUNTRY_OPT,
    since: Optional[str] = _SINCE_OPT, until: Optional[str] = _UNTIL_OPT,
) -> None:
    """Export fused events: ACLED-compatible CSV, flat CSV, GeoJSON, JSON Lines or Parquet."""
    from vigile import export

    flt = _filter(types, country, None, 50.0, since, until, None, None, None, None)
    store = _open_store(db)
    rows = store.events(flt, limit=None)
    store.close()
    if fmt is ExportFormat.parquet:
        tmp = output.with_name(f".{output.name}.tmp")
        n = export.write_parquet(rows, str(tmp))
        os.replace(tmp, output)
    else:
        with _atomic_output(output) as out:
            if fmt is ExportFormat.jsonl:
                n = export.write_jsonl(rows, out)
            elif fmt is ExportFormat.geojson:
                n = export.write_geojson(rows, out)
            else:
                n = export.write_csv(rows, out, acled=fmt is ExportFormat.acled_csv)
    err.print(f"{n} events written to {output}")




@app.command()
def serve(
    db: str = typer.Option("vigile.db", "--db", help=DB_HELP),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (127.0.0.1: this machine only)."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port."),
    workers: int = typer.Option(1, min=1, max=64, help="Server processes (each opens the database)."),
    cache_ttl: float = typer.Option(10.0, min=0, max=3600, help="Seconds a read response is served from memory "
                                    "(0: never); a write through this server clears it."),
) -> None:
    """Serve the REST API (OpenAPI at /docs) and the dashboard (at /).

    Writes (POST /api/articles) need VIGILE_API_TOKEN set in the environment and
    sent as a bearer token; without it the API is read-only.
    """
    import uvicorn

    from vigile.api import create_app

    try:
        application = create_app(db, cache_ttl=cache_ttl)
    except Exception as e:  # noqa: BLE001 — a bad URL or a down server must not end in a traceback
        err.print(f"[red]error[/red] cannot open database {db}: {type(e).__name__}: {e}", highlight=False)
        raise typer.Exit(2)
    err.print(f"Vigile on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    if workers == 1:
        uvicorn.run(application, host=host, port=port, log_level="warning")
    else:
        os.environ["VIGILE_DB"] = db
        os.environ["VIGILE_CACHE_TTL"] = str(cache_ttl)
        uvicorn.run("vigile.api:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_level="warning")


if __name__ == "__main__":  # `python -m vigile.cli`, as the crash tests run it
    app()
