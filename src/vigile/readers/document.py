"""One document's bytes, whatever their origin (file, standard input, URL), to articles.

The content decides before the name does: a ``.txt`` that starts with
``<html>`` is a page, a ``.html`` that starts with ``<rss>`` is a feed. The
name (``kind``) only settles what sniffing cannot.
"""
from __future__ import annotations

from typing import Iterator, Optional

from vigile.readers.base import Item
from vigile.readers.feeds import looks_like_feed, read_feed
from vigile.readers.html import looks_like_html, read_html
from vigile.readers.text import read_text


def read_document(data: bytes, name: str, article_id: str, kind: str,
                  url: Optional[str] = None, **meta: object) -> Iterator[Item]:
    """Articles of one document: a feed's entries, a page, or a plain text.

    ``kind`` ("text", "html" or "feed") is what the name or the HTTP
    content type suggests.
    """
    if looks_like_feed(data):
        yield from read_feed(data, name, **meta)
    elif kind == "html" or looks_like_html(data):
        yield read_html(data, name, article_id, url=url, **meta)
    elif kind == "feed":
        yield from read_feed(data, name, **meta)  # feedparser has the last word on odd prologs
    else:
        yield read_text(data, name, article_id, **meta)
