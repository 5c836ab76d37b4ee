"""Plain text: the whole file (or standard input) is one article."""
from __future__ import annotations

from vigile.readers.base import Item, ReadError, build_article, looks_binary


def read_text(data: bytes, name: str, article_id: str, **meta: object) -> Item:
    """One article from the bytes of a plain-text file."""
    if looks_binary(data):
        return ReadError(name, "binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return ReadError(name, f"not UTF-8 (byte {e.start}); convert it with iconv first")
    if not text.strip():
        return ReadError(name, "empty file")
    return build_article(name, meta, id=article_id, text=text)
