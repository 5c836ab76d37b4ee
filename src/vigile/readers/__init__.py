"""Readers: inputs in, :class:`~vigile.schema.Article` objects (or per-item errors) out.

An input is a file, a folder, ``-`` (standard input) or an http(s) URL. Files
are JSON Lines, plain text, HTML pages, RSS/Atom feeds or WARC archives;
JSON Lines, text, HTML and feeds may be gzip-compressed (``.jsonl.gz``).
A reader never raises for one bad item: it yields a :class:`ReadError` naming
the file and line (or record, or entry) and goes on with the next one, so
that a malformed line in a 10,000-article file costs one article, not the run.
"""
from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path
from typing import Iterable, Iterator, Optional

from vigile.readers import base
from vigile.readers.base import Item, ReadError, looks_binary
from vigile.readers.document import read_document
from vigile.readers.fetch import read_url
from vigile.readers.jsonl import DECOMPRESS_ERRORS, read_jsonl
from vigile.readers.warc import read_warc

__all__ = ["Item", "ReadError", "read_inputs", "read_path", "read_stdin",
           "TEXT_SUFFIXES", "JSONL_SUFFIXES", "HTML_SUFFIXES", "FEED_SUFFIXES", "WARC_SUFFIXES"]

TEXT_SUFFIXES = {".txt", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
HTML_SUFFIXES = {".html", ".htm"}
FEED_SUFFIXES = {".xml", ".rss", ".atom"}
WARC_SUFFIXES = {".warc", ".warc.gz"}

_KINDS: dict[str, str] = {
    **{s: "text" for s in TEXT_SUFFIXES}, **{s: "jsonl" for s in JSONL_SUFFIXES},
    **{s: "html" for s in HTML_SUFFIXES}, **{s: "feed" for s in FEED_SUFFIXES},
}


def _kind(path: Path) -> tuple[Optional[str], bool]:
    """(kind by name — text, jsonl, html, feed, warc or None —, gzip-compressed?)."""
    name = path.name.lower()
    if any(name.endswith(s) for s in WARC_SUFFIXES):
        return "warc", False  # warcio reads both
    gz = name.endswith(".gz")
    inner = Path(name[:-3]) if gz else Path(name)
    return _KINDS.get(inner.suffix), gz


def read_path(path: Path, **meta: object) -> Iterator[Item]:
    """Articles of one path: a file of a supported kind, or a folder of them (recursively)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and _kind(p)[0])
        if not files:
            yield ReadError(str(path), "folder holds no .txt, .jsonl, .html, .xml/.rss/.atom or .warc files")
        for f in files:
            yield from read_path(f, **meta)
        return
    if not path.exists():
        yield ReadError(str(path), "no such file or folder")
        return
    size = path.stat().st_size
    if size == 0:
        yield ReadError(str(path), "empty file")
        return
    try:
        yield from _read_file(path, size, **meta)
    except OSError as e:
        yield ReadError(str(path), f"cannot read: {e.strerror or e}")


def _read_file(path: Path, size: int, **meta: object) -> Iterator[Item]:
    kind, gz = _kind(path)
    if kind == "warc":
        yield from read_warc(path, **meta)
    elif kind == "jsonl":
        yield from _read_jsonl_file(path, gz)
    elif size > base.MAX_FILE_BYTES:
        yield ReadError(str(path), f"{size:,} bytes is over the {base.MAX_FILE_BYTES:,}-byte limit for one article")
    else:
        yield from _read_document_file(path, gz, kind or "text", **meta)


def _read_jsonl_file(path: Path, gz: bool) -> Iterator[Item]:
    with (gzip.open(path, "rb") if gz else path.open("rb")) as f:
        try:
            head = f.read(8192)
            f.seek(0)
        except DECOMPRESS_ERRORS as e:
            yield ReadError(str(path), f"not a readable gzip file: {e}")
            return
        if looks_binary(head):
            yield ReadError(str(path), "binary file, not JSON Lines")
            return
        yield from read_jsonl(f, str(path))


def _read_document_file(path: Path, gz: bool, kind: str, **meta: object) -> Iterator[Item]:
    name = str(path)
    if gz:
        try:
            with gzip.open(path, "rb") as f:
                data = f.read(base.MAX_FILE_BYTES + 1)
        except DECOMPRESS_ERRORS as e:
            yield ReadError(name, f"not a readable gzip file (truncated or corrupt): {e}")
            return
        if len(data) > base.MAX_FILE_BYTES:
            yield ReadError(name, f"decompressed, over the {base.MAX_FILE_BYTES:,}-byte limit for one article")
            return
    else:
        data = path.read_bytes()
    article_id = Path(path.name[:-3]).stem if gz else path.stem
    yield from read_document(data, name, article_id, kind, **meta)


def read_stdin(**meta: object) -> Iterator[Item]:
    """Standard input: JSON Lines when it starts with '{', else one document (feed, page or text)."""
    data = sys.stdin.buffer.read()
    if data.lstrip()[:1] == b"{":
        yield from read_jsonl(io.BytesIO(data), "<stdin>")
    else:
        yield from read_document(data, "<stdin>", "stdin", "text", **meta)


def read_inputs(inputs: Iterable[str], **meta: object) -> Iterator[Item]:
    """Every article of every input ('-' is standard input, http(s):// a URL to fetch)."""
    for name in inputs:
        try:
            if name == "-":
                yield from read_stdin(**meta)
            elif name.lower().startswith(("http://", "https://")):
                yield from read_url(name, **meta)
            else:
                yield from read_path(Path(name), **meta)
        except Exception as e:  # noqa: BLE001 — the contract: no exception escapes, the next input still runs
            yield ReadError(name, f"cannot read: {type(e).__name__}: {e}")
