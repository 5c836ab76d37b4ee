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
from typing import IO, Iterator, List, Optional

import typer
from rich.console import Console

from vigile.readers import JSONL_SUFFIXES, ReadError, read_inputs

app = typer.Typer(
    help="Vigile: French conflict and humanitarian news in, structured, sourced, geocoded events out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, soft_wrap=True)  # one error, one line: greppable

#: Show a progress bar only when there is enough work for one to help.
_PROGRESS_MIN_DOCS = 5


class OutputFormat(str, Enum):
    jsonl = "jsonl"
    table = "table"


def _count_docs(inputs: List[str]) -> Optional[int]:
    """How many documents the inputs hold (JSONL lines, text files), cheaply; None if unknown."""
    total = 0
    for name in inputs:
        if name == "-":
            return None
        p = Path(name)
        files = [f for f in p.rglob("*") if f.is_file()] if p.is_dir() else [p]
        for f in files:
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
                                       ".txt files, folders of them, or '-' for standard input."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write here instead of stdout."),
    fmt: OutputFormat = typer.Option(OutputFormat.jsonl, "--format", "-f",
                                     help="jsonl: one {id, events} object per article (the spec); "
                                     "table: a readable table."),
    published: Optional[str] = typer.Option(None, help="Publication day (YYYY-MM-DD) of .txt/stdin articles, "
                                            "to resolve 'mardi', 'hier'…"),
    source: Optional[str] = typer.Option(None, help="Outlet name for .txt/stdin articles."),
    lang: str = typer.Option("fr", help="Language of the articles."),
    batch_size: int = typer.Option(16, min=1, max=1024, help="Articles per spaCy batch."),
    processes: int = typer.Option(1, "--processes", "-j", min=1, max=64,
                                  help="Worker processes (each loads the model once, ~0.5 GB)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar, no summary."),
) -> None:
    """Extract event records from news articles.

    \b
    Examples:
      vigile extract articles.jsonl -o events.jsonl
      vigile extract reports/ --format table
      cat article.txt | vigile extract - --published 2016-12-08
      vigile extract big.jsonl -o events.jsonl --processes 2
    """
    from vigile.render import events_table

    meta: dict = {"lang": lang}
    if published:
        try:
            meta["published"] = dt.date.fromisoformat(published)
        except ValueError:
            raise typer.BadParameter(f"{published!r} is not a YYYY-MM-DD day", param_hint="--published")
    if source:
        meta["source"] = source
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
