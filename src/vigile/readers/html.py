"""HTML pages: trafilatura finds the article in the page; lxml flattens feed snippets.

Nothing here touches the network: pages come from files, WARC records or a
fetch the user asked for (:mod:`vigile.readers.fetch`).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Optional

import lxml.html
import trafilatura
from lxml import etree

from vigile.readers.base import Item, ReadError, build_article, headline_text, lead_tags

#: Only dates the page states in its markup (meta tags, JSON-LD, <time>, URL),
#: and the publication date rather than the last update: a date picked from the
#: body text is as likely to be the date of the events as that of the article.
_DATE_PARAMS = {"extensive_search": False, "original_date": True}

_HTML_ELEMENTS = {"html", "head", "body"}

#: Month names (French and English, any case) as they start; "." stands for an
#: accented letter, whatever the page's encoding made of it.
_MONTHS = ("jan", "f.vr?|feb", "mar", "avr|apr", "mai|may", "juin|jun",
           "juil|jul", "ao.t|aug", "sep", "oct", "nov", "d.c")

_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "pre")


def looks_like_html(data: bytes) -> bool:
    doctype, first = lead_tags(data)
    return doctype == "html" or first in _HTML_ELEMENTS


def read_html(data: bytes, where: str, article_id: str, url: Optional[str] = None,
              fallback_day: Optional[dt.date] = None, **meta: object) -> Item:
    """One article from a page: headline, blank line, main text (no menus, no comments).

    ``url`` is where the page came from (a fetch, a WARC record); the page's
    canonical or og:url wins over it. ``fallback_day`` is used when the page
    states no full publication day (a WARC record's capture day).
    """
    try:
        doc = trafilatura.bare_extraction(data, url=url, include_comments=False, with_metadata=True,
                                          date_extraction_params=_DATE_PARAMS)
    except Exception as e:  # noqa: BLE001 — a third-party parser on untrusted pages: one page, one error
        return ReadError(where, f"HTML page not parsed: {type(e).__name__}: {e}")
    if doc is None or not (doc.text or "").strip():
        return ReadError(where, "no article text found in the HTML page")
    page_url = doc.url or url
    return build_article(
        where, meta,
        id=article_id,
        text=headline_text(doc.title, doc.text),
        published=_stated_day(doc.date, data, page_url) or fallback_day,
        source=doc.sitename or doc.hostname,
        url=page_url,
    )


def fragment_text(fragment: str) -> str:
    """Text of an HTML fragment (a feed summary), one line per block.

    trafilatura is built for whole pages and drops short snippets as
    boilerplate; in a two-sentence summary every word counts.
    """
    if not fragment.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return _tidy(fragment)
    for el in root.iter(*_BLOCK_TAGS):
        el.tail = "\n" + (el.tail or "")
    return _tidy(root.text_content())


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _stated_day(found: Optional[str], data: bytes, url: Optional[str]) -> Optional[dt.date]:
    """trafilatura's date, only when the page spells out that full day.

    htmldate completes partial dates ("2017-03") with today's day or the 1st;
    such a made-up day would silently misplace "mardi" and "hier".
    """
    if not found:
        return None
    try:
        day = dt.date.fromisoformat(found[:10])
    except ValueError:
        return None
    page = data.decode("utf-8", "replace") + " " + (url or "")
    y, m, d = day.year, day.month, day.day
    month = rf"(?:0?{m}|(?:{_MONTHS[m - 1]})[^\W\d]*\.?)"
    written = (
        # 2017-03-14, 2017/3/14, 20170314
        rf"(?<!\d){y}(?P<sep>[-/.])0?{m}(?P=sep)0?{d}(?!\d)|(?<!\d){y}{m:02d}{d:02d}(?!\d)",
        # 14 mars 2017, 14/03/2017, 1er mai 2017
        rf"(?<!\d)0?{d}(?:er)?[\s/.-]+{month}[\s/.,-]+{y}(?!\d)",
        rf"(?<![^\W\d]){month}\s+0?{d}(?:st|nd|rd|th)?,?\s+{y}(?!\d)",           # March 14, 2017
    )
    return day if any(re.search(p, page, re.I) for p in written) else None
