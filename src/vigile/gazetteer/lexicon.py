"""The per-language resources of the gazetteer, read from ``vigile/lang/<lang>/``.

They are data, not code, so that a reviewer can extend them without touching
the resolver:

- ``places.tsv``: the curated overlay (exonyms GeoNames lacks or ranks badly,
  neighbourhoods, bases, landmarks, regions), one place per line;
- ``place_heads.tsv``: leading articles, generic heads ("province de") with
  the kind they ask for, words for a part of a place ("nord de"), and
  trailing parts ("Est") that name a city's part;
- ``place_stopwords.txt``: words that are GeoNames names but, alone in a
  text, almost never the place (months, first names, acronyms);
- ``demonyms.tsv``: nationality adjectives and nouns -> ISO 3166-1 alpha-2.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .keys import fold, name_key
from .place import KINDS, Candidate, Place
from .store import PlaceStore

LANG_ROOT = Path(__file__).resolve().parent.parent / "lang"
_NO_COUNTRY = "-"   # demonyms.tsv: a people without a state of its own ("kurde")


def tsv_rows(path: Path) -> Iterator[list[str]]:
    """Tab-separated rows, skipping blank lines, ``#`` comments and the header."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header_seen = False
        for row in reader:
            if not row or not row[0].strip() or row[0].startswith("#"):
                continue
            if not header_seen:
                header_seen = True
                continue
            yield [c.strip() for c in row]


@dataclass(frozen=True)
class Heads:
    """Word sequences (folded) that frame a place name rather than being part of it."""

    articles: frozenset[str]
    prefixes: tuple[tuple[str, str | None], ...]   # (folded head, preferred kind), longest first
    suffixes: frozenset[str]


def load_heads(path: Path) -> Heads:
    articles, prefixes, suffixes = set(), [], set()
    for form, role in (r[:2] for r in tsv_rows(path)):
        folded = fold(form)
        if role == "article":
            articles.add(folded)
        elif role == "suffix":
            suffixes.add(folded)
        elif role in KINDS or role == "part":
            prefixes.append((folded, None if role == "part" else role))
        else:
            raise ValueError(f"{path}: unknown role {role!r} for {form!r}")
    prefixes.sort(key=lambda p: -len(p[0]))
    return Heads(frozenset(articles), tuple(prefixes), frozenset(suffixes))


def load_stopwords(path: Path) -> frozenset[str]:
    with path.open(encoding="utf-8") as fh:
        lines = (line.split("#", 1)[0].strip() for line in fh)
        return frozenset(name_key(line) for line in lines if line)


def load_demonyms(path: Path) -> dict[str, str | None]:
    """Folded form -> ISO2 (None for peoples with no state, so they are known, not guessed)."""
    out: dict[str, str | None] = {}
    for row in tsv_rows(path):
        iso = row[1].upper()
        for form in row[0].split("|"):
            out[fold(form)] = None if iso == _NO_COUNTRY else iso
    return out


def load_overlay(path: Path, store: PlaceStore) -> dict[str, tuple[Candidate, ...]]:
    """Key -> curated candidates, in file order.

    A row whose id is ``gn:<id>`` adds names to (or corrects) a GeoNames place:
    its empty fields are taken from the database.
    """
    out: dict[str, list[Candidate]] = defaultdict(list)
    for n, row in enumerate(tsv_rows(path), 2):
        pid, name, country, kind, lat, lon, parent, forms = (row + [""] * 8)[:8]
        base = store.by_gid(int(pid[3:])) if pid.startswith("gn:") else None
        if pid.startswith("gn:") and base is None:
            raise ValueError(f"{path}:{n}: {pid} is not in the place database")
        old = base.place if base else None
        place = Place(
            id=pid,
            name=name or old.name,
            country=(country or old.country).upper(),
            lat=float(lat) if lat else old.lat,
            lon=float(lon) if lon else old.lon,
            kind=kind or old.kind,
            population=old.population if old else 0,
            parent=parent or None,
        )
        if place.kind not in KINDS:
            raise ValueError(f"{path}:{n}: unknown kind {place.kind!r}")
        candidate = Candidate(place, True, base.admin1 if base else None)
        for key in {name_key(f) for f in [name, *forms.split("|")] if f}:
            if candidate not in out[key]:
                out[key].append(candidate)
    return {k: tuple(v) for k, v in out.items()}


@dataclass(frozen=True)
class Lexicon:
    """Everything language-specific the gazetteer reads."""

    overlay: dict[str, tuple[Candidate, ...]]
    heads: Heads
    stopwords: frozenset[str]
    demonyms: dict[str, str | None]

    @classmethod
    def load(cls, lang: str, store: PlaceStore) -> Lexicon:
        root = LANG_ROOT / lang
        return cls(
            overlay=load_overlay(root / "places.tsv", store),
            heads=load_heads(root / "place_heads.tsv"),
            stopwords=load_stopwords(root / "place_stopwords.txt"),
            demonyms=load_demonyms(root / "demonyms.tsv"),
        )
