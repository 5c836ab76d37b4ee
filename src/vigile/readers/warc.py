"""WARC archives (plain or gzip): every HTML ``response`` record is a page.

Web archives are large and often damaged (crawls killed mid-write, files cut
in transfer). warcio says nothing when a gzip stream ends early, so each
record is checked for completeness; the first damaged record ends the file
with one error, after every good record before it has been yielded.
"""
from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Iterator, Optional

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from vigile.readers import base
from vigile.readers.base import Item, ReadError, short_hash
from vigile.readers.html import read_html

_CHUNK = 1 << 16


def read_warc(path: Path, **meta: object) -> Iterator[Item]:
    """Articles of the HTML responses of a WARC file, in file order."""
    name = str(path)
    pages = 0
    with path.open("rb") as f:
        records = iter(ArchiveIterator(f))
        for n in itertools.count(1):
            where = f"{name}:record {n}"
            try:
                record = next(records)
            except StopIteration:
                break
            except Exception as e:  # noqa: BLE001 — warcio raises many types on damaged archives
                yield ReadError(where, f"broken record, rest of file skipped: {type(e).__name__}: {e}")
                return
            try:
                item = _record_item(record, where, **meta)
                complete = _read_to_end(record)
            except Exception as e:  # noqa: BLE001 — idem, while decoding the payload
                yield ReadError(where, f"unreadable record, rest of file skipped: {type(e).__name__}: {e}")
                return
            if not complete:
                yield ReadError(where, "record cut short (truncated file or wrong Content-Length), "
                                       "rest of file skipped")
                return
            if item is not None:
                pages += 1
                yield item
    if not pages:
        yield ReadError(name, "no HTML response records in this WARC file")


def _record_item(record: ArcWarcRecord, where: str, **meta: object) -> Optional[Item]:
    """The record's article, its error, or None when it is not an HTML response."""
    if record.rec_type != "response" or record.http_headers is None:
        return None
    content_type = (record.http_headers.get_header("Content-Type") or "").lower()
    if "html" not in content_type:
        return None
    limit = base.MAX_FILE_BYTES
    if (record.length or 0) > limit:
        return ReadError(where, f"{record.length:,} bytes is over the {limit:,}-byte limit for one article")
    data = record.content_stream().read(limit + 1)  # decoded payload: a gzip bomb stops here
    if len(data) > limit:
        return ReadError(where, f"decoded page is over the {limit:,}-byte limit for one article")
    headers = record.rec_headers
    uri = headers.get_header("WARC-Target-URI")
    record_id = (headers.get_header("WARC-Record-ID") or "").strip("<>") or short_hash(uri or where)
    return read_html(data, where, record_id, url=uri, fallback_day=_capture_day(headers.get_header("WARC-Date")),
                     **meta)


def _read_to_end(record: ArcWarcRecord) -> bool:
    """Consume the record; False if the file ended before its declared length.

    warcio wraps a record with a Content-Length in a LimitReader whose
    ``limit`` counts the bytes still owed; none left means the record is whole.
    """
    stream = record.raw_stream
    while stream.read(_CHUNK):
        pass
    return getattr(stream, "limit", None) == 0


def _capture_day(warc_date: Optional[str]) -> Optional[dt.date]:
    try:
        return dt.date.fromisoformat((warc_date or "")[:10])
    except ValueError:
        return None
