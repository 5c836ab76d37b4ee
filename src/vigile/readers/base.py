"""What every reader shares: the error type, the size limit, and article building.

Readers yield an :class:`Article` or a :class:`ReadError` per item and never
raise for one bad item, so that a damaged line, page or WARC record costs that
item, not the run.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Mapping, Optional, Union
from urllib.parse import urlsplit

from pydantic import ValidationError

from vigile.schema import Article

#: One document (file, page, WARC record) larger than this is refused up front:
#: news articles are kilobytes, so anything this big is a mistake or an attack.
MAX_FILE_BYTES = 50 * 1024 * 1024

#: The doctype and first element of a markup document, skipping the XML
#: declaration, processing instructions, comments and a byte-order mark.
_LEAD = re.compile(
    rb"\A(?:\xef\xbb\xbf)?(?:\s|<\?.*?\?>|<!--.*?-->)*"
    rb"(?:<!doctype\s+([\w:]+)[^>]*>)?(?:\s|<!--.*?-->)*<([a-z][\w:.-]*)",
    re.I | re.S,
)


@dataclass(frozen=True)
class ReadError:
    where: str  # "file:line", "file:record 3", "file:entry 2", "file" or a URL
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


Item = Union[Article, ReadError]


def validation_message(e: ValidationError) -> str:
    first = e.errors()[0]
    field = ".".join(str(x) for x in first.get("loc", ())) or "record"
    return f"field {field!r}: {first.get('msg', 'invalid')}"


def looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192]


def lead_tags(data: bytes) -> tuple[str, str]:
    """(doctype, first element), lower-cased, of markup; ("", "") for anything else.

    Sniffing the first tag rather than trying every parser keeps the choice
    deterministic: lenient parsers (feedparser, lxml) accept almost any bytes.
    """
    m = _LEAD.match(data[:4096])
    if not m:
        return "", ""
    return (m.group(1) or b"").decode("ascii").lower(), m.group(2).decode("ascii").lower()


def short_hash(text: str) -> str:
    """A stable 16-hex-digit id for items whose source gives none (feed entries, pages)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def hostname(url: Optional[str]) -> Optional[str]:
    return urlsplit(url).hostname if url else None


def headline_text(title: Optional[str], body: str) -> str:
    """Title on its own first line, a blank line, then the body.

    Downstream stages read a short first line as the headline; extractors often
    repeat the title as the body's first line, which would then be read twice.
    """
    title = (title or "").strip()
    body = body.strip()
    if not title:
        return body
    first, _, rest = body.partition("\n")
    if first.strip() == title:
        body = rest.strip()
    return f"{title}\n\n{body}" if body else title


def build_article(where: str, meta: Mapping[str, object], **found: object) -> Item:
    """An Article from what the document says (``found``) over what the user said (``meta``).

    ``meta`` holds run-wide defaults (--published, --source, --lang); a value
    the document itself gives wins, and a ``None`` means "not found", so the
    default fills the gap.
    """
    fields = {**meta, **{k: v for k, v in found.items() if v is not None}}
    try:
        return Article(**fields)
    except ValidationError as e:
        return ReadError(where, validation_message(e))
