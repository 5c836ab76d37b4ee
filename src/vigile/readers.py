"""Readers: files in, :class:`Article` objects (or per-item errors) out.

A reader never raises for one bad item: it yields a :class:`ReadError`
naming the file and line, and goes on with the next one, so that a
malformed line in a 10,000-article file costs one article, not the run.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Union

from pydantic import ValidationError

from vigile.schema import Article

#: Reading a file larger than this as one article is refused up front.
MAX_FILE_BYTES = 50 * 1024 * 1024
TEXT_SUFFIXES = {".txt", ".text"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}


@dataclass(frozen=True)
class ReadError:
    where: str  # "file:line" or "file"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


Item = Union[Article, ReadError]


def _validation_message(e: ValidationError) -> str:
    first = e.errors()[0]
    field = ".".join(str(x) for x in first.get("loc", ())) or "record"
    return f"field {field!r}: {first.get('msg', 'invalid')}"


def _looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192]


def read_jsonl_lines(lines: Iterable[bytes], name: str) -> Iterator[Item]:
    """Articles from JSON Lines (one object per line; blank lines skipped)."""
    for n, raw in enumerate(lines, 1):
        where = f"{name}:{n}"
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield ReadError(where, f"not UTF-8 (byte {e.start})")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield ReadError(where, f"malformed JSON: {e.msg} at column {e.colno}")
            continue
        if not isinstance(obj, dict):
            yield ReadError(where, "expected a JSON object with 'id' and 'text'")
            continue
        if "text" not in obj:
            yield ReadError(where, "missing required field 'text'")
            continue
        obj.setdefault("id", f"{Path(name).stem}-{n}")
        try:
            yield Article.model_validate(obj)
        except ValidationError as e:
            yield ReadError(where, _validation_message(e))


def read_text(data: bytes, name: str, article_id: str, **meta) -> Item:
    """One article from the bytes of a plain-text file."""
    if _looks_binary(data):
        return ReadError(name, "binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return ReadError(name, f"not UTF-8 (byte {e.start}); convert it with iconv first")
    if not text.strip():
        return ReadError(name, "empty file")
    try:
        return Article(id=article_id, text=text, **meta)
    except ValidationError as e:
        return ReadError(name, _validation_message(e))


def read_path(path: Path, **meta) -> Iterator[Item]:
    """Articles of one path: a JSONL file, a text file, or a folder of them."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file()
                       and p.suffix.lower() in TEXT_SUFFIXES | JSONL_SUFFIXES)
        if not files:
            yield ReadError(str(path), "folder holds no .txt or .jsonl files")
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
    if path.suffix.lower() in JSONL_SUFFIXES:
        with path.open("rb") as f:
            head = f.read(8192)
            if _looks_binary(head):
                yield ReadError(str(path), "binary file, not JSON Lines")
                return
            f.seek(0)
            yield from read_jsonl_lines(f, str(path))
        return
    if size > MAX_FILE_BYTES:
        yield ReadError(str(path), f"{size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit for one article")
        return
    yield read_text(path.read_bytes(), str(path), path.stem, **meta)


def read_stdin(**meta) -> Iterator[Item]:
    """Standard input: JSON Lines when it starts with '{', else one text article."""
    data = sys.stdin.buffer.read()
    if data.lstrip()[:1] == b"{":
        yield from read_jsonl_lines(data.splitlines(), "<stdin>")
    else:
        yield read_text(data, "<stdin>", "stdin", **meta)


def read_inputs(inputs: Iterable[str], **meta) -> Iterator[Item]:
    """Every article of every input ('-' is standard input)."""
    for name in inputs:
        if name == "-":
            yield from read_stdin(**meta)
        else:
            yield from read_path(Path(name), **meta)
