"""JSON Lines: one article object per line, streamed (plain or gzip).

Lines are read with a length cap, so one runaway line (or a gzip bomb
without newlines) costs that line, not the memory of the machine.
"""
from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import BinaryIO, Iterator

from pydantic import ValidationError

from vigile.readers import base
from vigile.readers.base import Item, ReadError, invalid_unicode, validation_message
from vigile.schema import Article

#: What a damaged gzip stream raises mid-read (BadGzipFile is an OSError).
DECOMPRESS_ERRORS = (OSError, EOFError, zlib.error)

_CHUNK = 1 << 20


def read_jsonl(stream: BinaryIO, name: str) -> Iterator[Item]:
    """Articles from JSON Lines (blank lines skipped); ids default to ``<stem>-<line>``."""
    limit = base.MAX_FILE_BYTES
    n = 0
    while True:
        n += 1
        where = f"{name}:{n}"
        try:
            raw = stream.readline(limit + 1)
            too_long = len(raw) > limit
            while too_long and raw and not raw.endswith(b"\n"):
                raw = stream.readline(_CHUNK)  # skip the rest of the long line
        except DECOMPRESS_ERRORS as e:
            yield ReadError(where, f"file cut short or corrupt, rest skipped: {e}")
            return
        if not raw:
            return
        if too_long:
            yield ReadError(where, f"line over the {limit:,}-byte limit for one article")
            continue
        if raw.strip():
            yield _line_article(raw, where, Path(name.removesuffix(".gz")).stem, n)


def _line_article(raw: bytes, where: str, stem: str, n: int) -> Item:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return ReadError(where, f"not UTF-8 (byte {e.start})")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        return ReadError(where, f"malformed JSON: {e.msg} at column {e.colno}")
    except (ValueError, RecursionError) as e:
        # Valid JSON the parser still refuses: nesting deeper than the
        # recursion limit, an integer of more than 4,300 digits. One line,
        # one error — not an exception that would cost the rest of the file.
        return ReadError(where, f"JSON not readable: {type(e).__name__}: {str(e)[:120]}")
    if not isinstance(obj, dict):
        return ReadError(where, "expected a JSON object with 'id' and 'text'")
    if "text" not in obj:
        return ReadError(where, "missing required field 'text'")
    obj.setdefault("id", f"{stem}-{n}")
    try:
        article = Article.model_validate(obj)
    except ValidationError as e:
        return ReadError(where, validation_message(e))
    if not article.text.strip():
        return ReadError(where, "empty 'text'")  # as for an empty .txt file or an empty feed entry
    problem = invalid_unicode(article)
    return ReadError(where, problem) if problem else article
