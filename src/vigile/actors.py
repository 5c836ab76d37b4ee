"""Stage 5c — actors and sources: canonical names from alias tables.

Actors are who carried an event out; sources are who the article attributes
the claim to. Both come from data (``actors.yaml``, ``sources.yaml``) with
per-country aliases, because "le régime" means the Syrian army only in a
Syrian story. An alias inside an attribution clause ("selon l'OSDH", "a
affirmé à l'AFP") is a source, not an actor; an actor named as the target
("contre des positions de l'EI") is not the one who acted.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from vigile.resources import load_yaml

#: How far after an attribution frame its named source may stand (the clause
#: may end sooner: ``clause_end`` in ``sources.yaml``).
_FRAME_REACH = 90


@dataclass(frozen=True)
class Alias:
    name: str
    pattern: re.Pattern[str]
    countries: frozenset[str]


@dataclass(frozen=True)
class NameMention:
    name: str
    start: int
    end: int


@lru_cache(maxsize=None)
def generic_actors(lang: str = "fr") -> frozenset[str]:
    """Actors that are descriptions rather than names ("Jihadist militants"):
    marked ``generic: true`` in ``actors.yaml``."""
    return frozenset(e["name"] for e in load_yaml(lang, "actors.yaml") if e.get("generic"))


def _compile(entries: list[dict]) -> tuple[Alias, ...]:
    out = []
    for entry in entries:
        countries = frozenset(entry.get("countries") or ())
        for p in entry.get("cs") or ():
            out.append(Alias(entry["name"], re.compile(p), countries))
        for p in entry.get("i") or ():
            out.append(Alias(entry["name"], re.compile(p, re.IGNORECASE), countries))
    return tuple(out)


@lru_cache(maxsize=None)
def _actor_aliases(lang: str) -> tuple[Alias, ...]:
    return _compile(load_yaml(lang, "actors.yaml"))


@dataclass(frozen=True)
class _Sources:
    frames: re.Pattern[str]
    aliases: tuple[Alias, ...]
    clause_end: re.Pattern[str]
    target_before: re.Pattern[str]


@lru_cache(maxsize=None)
def _sources(lang: str) -> _Sources:
    data = load_yaml(lang, "sources.yaml")
    return _Sources(
        frames=re.compile("|".join(f"(?:{p})" for p in data["frames"]), re.IGNORECASE),
        aliases=_compile(data["aliases"]),
        clause_end=re.compile(data["clause_end"], re.IGNORECASE),
        target_before=re.compile(data["target_before"], re.IGNORECASE),
    )


def _mentions(text: str, aliases: Sequence[Alias], countries: Sequence[str]) -> list[NameMention]:
    """Non-overlapping alias matches, first alias in table order winning a span."""
    found: list[NameMention] = []
    for alias in aliases:
        if alias.countries and not alias.countries.intersection(countries[:1]):
            continue
        for m in alias.pattern.finditer(text):
            if m.end() == m.start():
                continue
            if any(f.start < m.end() and m.start() < f.end for f in found):
                continue
            found.append(NameMention(alias.name, m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def attribution_spans(sentence: str, lang: str = "fr") -> list[tuple[int, int]]:
    """Spans of a sentence that hold attributions ("selon l'OSDH", "a indiqué X")."""
    src = _sources(lang)
    spans = []
    for m in src.frames.finditer(sentence):
        limit = min(len(sentence), m.end() + _FRAME_REACH)
        stop = src.clause_end.search(sentence, m.end(), limit)
        spans.append((m.start(), stop.start() if stop else limit))
    return spans


def find_sources(sentence: str, countries: Sequence[str], lang: str = "fr") -> list[str]:
    """Canonical sources named in the sentence's attribution clauses, in order."""
    spans = attribution_spans(sentence, lang)
    if not spans:
        return []
    names: list[str] = []
    for mention in _mentions(sentence, _sources(lang).aliases, countries):
        near = any(a <= mention.start < b for a, b in spans)
        # "X a indiqué": a source right before its verb
        before = any(0 <= a - mention.end <= 40 for a, _ in spans)
        if (near or before) and mention.name not in names:
            names.append(mention.name)
    return names


def find_actors(sentence: str, countries: Sequence[str], lang: str = "fr") -> list[NameMention]:
    """Actor mentions that are not sources and not targets, in order."""
    spans = attribution_spans(sentence, lang)
    out = []
    for mention in _mentions(sentence, _actor_aliases(lang), countries):
        if any(a <= mention.start < b for a, b in spans):
            continue  # named as who says it, not who did it
        if _sources(lang).target_before.search(sentence[max(0, mention.start - 30):mention.start]):
            continue
        out.append(mention)
    return out
