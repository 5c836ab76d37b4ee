"""Stage 1 — clean: blank out web boilerplate and normalise spaces.

The cleaned text has *exactly the same length* as the original: boilerplate
characters become spaces, exotic spaces (NBSP, narrow NBSP, tabs) become
plain spaces, and the interior of a long run of symbols (or every 101st
character of a very long space-free stretch) becomes a space, which keeps
spaCy's tokenizer linear on hostile text (:func:`defuse_runs`). Every later
stage therefore works in the original's offsets, and an event's evidence is
always a verbatim slice of the article — no offset map to keep in sync.
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

#: A run of symbols (neither letter, digit nor space; ``_`` counts as a symbol)
#: longer than this keeps its first and last :data:`_RUN_KEEP` characters and
#: has its interior blanked. Why: spaCy's tokenizer peels prefix and suffix
#: symbols (emoji, ``)``, ``%``, ``»``, ``,``, ``…``, mixed or not) off a
#: space-free stretch one at a time, re-reading the whole rest at each step —
#: quadratic: 4,000 emoji took 2 s, 50 KB minutes. A piece of 16 costs at most
#: ~16 × 16 reads, about 16 per character of the run, the same order as prose;
#: and no news sentence holds 33 symbols in a row (the dev set's longest run
#: is 3, ``[…]``), so nothing a reader reads is blanked.
_RUN_MAX = 32
_RUN_KEEP = _RUN_MAX // 2
_SYMBOL_RUN = re.compile(rf"(?<![^\w\s])(?<!_)(?:[^\w\s]|_){{{_RUN_MAX + 1},}}")
#: A space-free stretch longer than this gets a space after every
#: :data:`_WORD_MAX` characters (the character there is replaced). Why: the same
#: peeling is quadratic on a long word of repeated elisions or clitics
#: (``l'l'l'…``, ``-t-il-t-il…``) that letters keep out of the symbol rule. 100
#: is over any word (French's longest has 25 letters) and over the dev set's
#: longest stretch (92, a server path); only URLs, hashes and glued garbage
#: are cut, and a cut piece costs at most ~50 reads per character.
_WORD_MAX = 100
_LONG_WORD = re.compile(rf"(?<!\S)\S{{{_WORD_MAX + 1},}}")


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


def defuse_runs(text: str) -> str:
    """``text`` with long symbol runs and long space-free stretches broken by
    spaces, same length (see :data:`_RUN_MAX` and :data:`_WORD_MAX`): what makes
    spaCy's tokenizer linear on any input, and keeps every offset valid."""
    if len(text) <= _RUN_MAX:
        return text
    out: list[str] | None = None
    for m in _SYMBOL_RUN.finditer(text):
        out = out if out is not None else list(text)
        out[m.start() + _RUN_KEEP:m.end() - _RUN_KEEP] = " " * (m.end() - m.start() - 2 * _RUN_KEEP)
    if out is not None:
        text = "".join(out)
        out = None
    for m in _LONG_WORD.finditer(text):
        out = out if out is not None else list(text)
        for cut in range(m.start() + _WORD_MAX, m.end(), _WORD_MAX + 1):
            out[cut] = " "
    return text if out is None else "".join(out)


def clean(text: str, lang: str = "fr") -> CleanText:
    """Blank boilerplate lines, repeated lines and reader comments; break long
    runs of symbols (:func:`defuse_runs`); keep offsets."""
    line_re, _, link_header = _patterns(lang)
    norm = defuse_runs(text.translate(_SPACES))
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
