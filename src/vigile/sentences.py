"""Stage 2 — sentences: split the kept lines of a cleaned text into sentences.

A rule splitter rather than spaCy's parser or senter: the measured spaCy
splits break on NBSP names and quotes and glue headlines to the lead
(stack-findings §1), and running the parser costs ~45 % of throughput.
Lines are split first (a headline is its own sentence), then sentence
punctuation followed by a capital starts a new sentence unless the word
before the stop is an abbreviation or an initial ("M. Lavrov", "D. B.").
Very long runs without punctuation are cut at a space so that no later stage
ever sees an unbounded sentence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from vigile.clean import CleanText, is_boilerplate_sentence
from vigile.resources import lang_path

MAX_SENTENCE_CHARS = 1200
_BOUNDARY = re.compile(r"[.!?…]+[»\"”’)]*\s+(?=[«\"“(\-–—]?\s?[A-ZÀ-ÖØ-Þ0-9])"
                       # a quotation opening a new sentence after a word with its stop missing
                       r"|(?<=[a-zà-ÿ])\s+(?=«\s?[A-ZÀ-ÖØ-Þ])")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str  # the cleaned text of [start, end) — same characters as the original but spaces
    index: int = 0  # position in the article's sentence list


def _cut_long(start: int, end: int, text: str) -> list[tuple[int, int]]:
    """Cut a span longer than MAX_SENTENCE_CHARS at spaces."""
    spans = []
    while end - start > MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start + MAX_SENTENCE_CHARS // 2, start + MAX_SENTENCE_CHARS)
        cut = cut if cut > start else start + MAX_SENTENCE_CHARS
        spans.append((start, cut))
        start = cut
    spans.append((start, end))
    return spans


@lru_cache(maxsize=None)
def _abbreviations(lang: str) -> frozenset[str]:
    with lang_path(lang, "abbreviations.txt").open(encoding="utf-8") as f:
        return frozenset(w.strip() for w in f if w.strip() and not w.startswith("#"))


def _is_abbreviation(text: str, stop: int, lang: str) -> bool:
    """Whether the word ending at ``stop`` (the index of a '.') is an abbreviation."""
    word_start = stop
    while word_start > 0 and not text[word_start - 1].isspace() and text[word_start - 1] not in "(«\"":
        word_start -= 1
    word = text[word_start:stop].lower()
    return word in _abbreviations(lang) or (len(word) == 1 and word.isalpha())


def split(clean: CleanText, lang: str = "fr") -> list[Sentence]:
    """Sentences of the kept lines, in order, with offsets into the original."""
    text = clean.text
    out: list[Sentence] = []
    for line_start, line_end in clean.lines:
        start = line_start
        bounds: list[tuple[int, int]] = []
        for m in _BOUNDARY.finditer(text, line_start, line_end):
            if text[m.start()] == "." and _is_abbreviation(text, m.start(), lang):
                continue
            bounds.append((start, m.end()))
            start = m.end()
        bounds.append((start, line_end))
        for s, e in bounds:
            for a, b in _cut_long(s, e, text):
                # trim whitespace so that evidence is a clean sentence
                while a < b and text[a].isspace():
                    a += 1
                while b > a and text[b - 1].isspace():
                    b -= 1
                if b - a < 3:
                    continue
                sent = text[a:b]
                if is_boilerplate_sentence(sent, lang):
                    continue
                out.append(Sentence(a, b, sent, len(out)))
    return out
