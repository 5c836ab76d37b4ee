"""Stage 1 — clean: blank out web boilerplate and normalise spaces.

The cleaned text has *exactly the same length* as the original: boilerplate
characters become spaces and exotic spaces (NBSP, narrow NBSP, tabs) become
plain spaces. Every later stage therefore works in the original's offsets,
and an event's evidence is always a verbatim slice of the article — no offset
map to keep in sync.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from vigile.resources import load_yaml

# Characters that are spaces to a reader but not to regexes or spaCy.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\t": " ",
                         "\u200b": " ", "\ufeff": " ", "\r": " "})
# A line a reader wrote rather than the newsroom: starts in lower case and has
# no sentence punctuation at all (comment sections pasted after the article).
_COMMENT_LINE = re.compile(r"^[a-zà-ÿ][^.!?;:«»\"]{25,}$")
# Under a "related articles" header (``link_header``), short lines without a
# final stop are link titles.
_LINK_TITLE = re.compile(r"^.{0,120}[^.!?…»\"]$")


@dataclass(frozen=True)
class CleanText:
    """The article text with boilerplate blanked, same length as the original."""

    original: str
    text: str
    lines: tuple[tuple[int, int], ...]  # (start, end) of each kept, non-empty line


@lru_cache(maxsize=None)
def _patterns(lang: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    data = load_yaml(lang, "boilerplate.yaml")
    line = re.compile("|".join(f"(?:{p})" for p in data["line"]), re.IGNORECASE)
    sentence = re.compile("|".join(f"(?:{p})" for p in data["sentence"]), re.IGNORECASE)
    return line, sentence, re.compile(data["link_header"], re.IGNORECASE)


def is_boilerplate_sentence(sentence: str, lang: str = "fr") -> bool:
    """Whether a sentence inside a kept line is still boilerplate (a byline, a link)."""
    return bool(_patterns(lang)[1].search(sentence))


def clean(text: str, lang: str = "fr") -> CleanText:
    """Blank boilerplate lines, repeated lines and reader comments; keep offsets."""
    line_re, _, link_header = _patterns(lang)
    norm = text.translate(_SPACES)
    out = list(norm)
    kept: list[tuple[int, int]] = []
    seen: set[str] = set()
    in_links = False
    pos = 0
    for raw in norm.split("\n"):
        start, end = pos, pos + len(raw)
        pos = end + 1
        body = raw.strip()
        if not body:
            continue
        key = " ".join(body.lower().split())
        repeated = key in seen and len(key) > 20
        seen.add(key)
        in_links = bool(link_header.match(body)) or (in_links and bool(_LINK_TITLE.match(body)))
        if in_links or repeated or line_re.search(body) or _COMMENT_LINE.match(body):
            out[start:end] = " " * (end - start)
            continue
        kept.append((start, end))
    return CleanText(original=text, text="".join(out), lines=tuple(kept))
