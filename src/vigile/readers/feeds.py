"""RSS and Atom feeds: one article per entry, with feedparser.

The feed is given to feedparser as a stream, never as a string: a string
that looks like a URL or a file name would make feedparser open it.
"""
from __future__ import annotations

import datetime as dt
import email.utils
import io
from typing import Iterator, Mapping, Optional

import feedparser

from vigile.readers.base import Item, ReadError, build_article, headline_text, hostname, lead_tags, short_hash
from vigile.readers.html import fragment_text

_FEED_ELEMENTS = {"rss", "feed", "rdf:rdf"}


def looks_like_feed(data: bytes) -> bool:
    return lead_tags(data)[1] in _FEED_ELEMENTS


def read_feed(data: bytes, name: str, **meta: object) -> Iterator[Item]:
    """The entries of a feed: title, blank line, the fuller of summary and content."""
    try:
        parsed = feedparser.parse(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 — a third-party parser on untrusted input: one feed, one error
        yield ReadError(name, f"feed not parsed: {type(e).__name__}: {e}")
        return
    # .get, not attributes: for an empty document feedparser's result has no 'version' at all
    if not parsed.get("version") and not parsed.get("entries"):
        reason = parsed.get("bozo_exception")
        yield ReadError(name, "not an RSS or Atom feed" + (f" ({reason})" if reason else ""))
        return
    if not parsed.entries:
        yield ReadError(name, "feed has no entries")
        return
    source = parsed.feed.get("title") or hostname(parsed.feed.get("link"))
    for n, entry in enumerate(parsed.entries, 1):
        where = f"{name}:entry {n}"
        try:
            yield _entry_article(entry, where, f"{name}#{n}", source, meta)
        except Exception as e:  # noqa: BLE001 — feedparser's output of an untrusted feed: one entry, one error
            yield ReadError(where, f"entry not read: {type(e).__name__}: {e}")


def _entry_article(entry: Mapping, where: str, position: str, source: Optional[str],
                   meta: Mapping[str, object]) -> Item:
    title = _detail_text(entry.get("title_detail"))
    bodies = [*entry.get("content", []), entry.get("summary_detail")]
    body = max((_detail_text(d) for d in bodies), key=len)
    if not title and not body:
        return ReadError(where, "entry has neither title nor text")
    link = entry.get("link")
    return build_article(
        where, meta,
        id=entry.get("id") or short_hash(link or position),
        text=headline_text(title, body),
        published=_entry_day(entry),
        source=source,
        url=link,
    )


def _detail_text(detail: Optional[Mapping]) -> str:
    """Plain text of a feedparser text construct (already sanitised HTML, or plain text)."""
    if not detail:
        return ""
    value = detail.get("value") or ""
    return fragment_text(value) if "html" in (detail.get("type") or "") else " ".join(value.split())


def _entry_day(entry: Mapping) -> Optional[dt.date]:
    """The entry's day as the publisher wrote it.

    feedparser's ``*_parsed`` fields are converted to UTC, which moves a
    "Tue, 14 Mar 2017 00:30 +0100" article to Monday; the raw string keeps
    the publisher's own day, which is what "mardi" or "hier" refer to.
    """
    for key in ("published", "updated", "created"):
        raw = (entry.get(key) or "").strip()
        if not raw:
            continue
        try:
            return email.utils.parsedate_to_datetime(raw).date()  # RSS: RFC 822
        except (TypeError, ValueError, OverflowError):
            pass
        try:
            return dt.date.fromisoformat(raw[:10])  # Atom: RFC 3339, local day first
        except ValueError:
            pass
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            try:
                return dt.date(*parsed[:3])
            except (TypeError, ValueError, OverflowError):
                pass  # feedparser's own reading may hold a year 0 ("0000000"): no day
    return None
