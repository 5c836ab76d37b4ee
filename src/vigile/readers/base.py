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

#: How much of a document is sniffed for its doctype and first element.
_SNIFF_BYTES = 4096
_DOCTYPE = re.compile(rb"<!doctype\s+([\w:]+)[^>]*>", re.I)
_ELEMENT = re.compile(rb"<([a-z][\w:.-]*)", re.I)


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

    It is a scanner rather than one regex on purpose: the regex it replaces,
    ``(?:\\s|<\\?.*?\\?>|<!--.*?-->)*``, could split a run of comments in
    exponentially many ways, so 4 KB of ``<!---->`` with no element after
    them hung the reader for good. Each step here moves forward, so the cost
    is linear in the (capped) sniffed prefix.
    """
    head = data[:_SNIFF_BYTES]
    pos = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    pos = _skip_prolog(head, pos, pis=True)
    doctype = b""
    m = _DOCTYPE.match(head, pos)
    if m:
        doctype = m.group(1)
        pos = _skip_prolog(head, m.end(), pis=False)
    m = _ELEMENT.match(head, pos)
    if not m:
        return "", ""
    return doctype.decode("ascii").lower(), m.group(1).decode("ascii").lower()


def _skip_prolog(head: bytes, pos: int, pis: bool) -> int:
    """Past the white space and comments (and processing instructions, before
    the doctype) at ``pos``; an unclosed one ends the sniffed prefix."""
    while pos < len(head):
        if head[pos:pos + 1].isspace():
            pos += 1
        elif head.startswith(b"<!--", pos):
            end = head.find(b"-->", pos + 4)
            pos = len(head) if end < 0 else end + 3
        elif pis and head.startswith(b"<?", pos):
            end = head.find(b"?>", pos + 2)
            pos = len(head) if end < 0 else end + 2
        else:
            break
    return pos


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


def invalid_unicode(article: Article) -> Optional[str]:
    """Why an article's strings are not valid Unicode, or None if they are.

    A JSON ``"\\ud800"`` escape (or a feed's ``&#55296;``) decodes to a lone
    surrogate: a Python string, but one that cannot be encoded, hashed or
    stored, so it would crash the run far from the file that held it.
    """
    for field in ("id", "text", "source", "url", "lang"):
        value = getattr(article, field)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as e:
                return f"field {field!r}: not valid Unicode (lone surrogate at character {e.start})"
    return None


def build_article(where: str, meta: Mapping[str, object], **found: object) -> Item:
    """An Article from what the document says (``found``) over what the user said (``meta``).

    ``meta`` holds run-wide defaults (--published, --source, --lang); a value
    the document itself gives wins, and a ``None`` means "not found", so the
    default fills the gap.
    """
    fields = {**meta, **{k: v for k, v in found.items() if v is not None}}
    try:
        article = Article(**fields)
    except ValidationError as e:
        return ReadError(where, validation_message(e))
    problem = invalid_unicode(article)
    return ReadError(where, problem) if problem else article
