"""Offline place lookup for French news: surface form -> GeoNames-style place.

    >>> gaz = Gazetteer.default()
    >>> gaz.resolve("Alep").name
    'Aleppo'
    >>> gaz.resolve("Tripoli", countries=["LB"]).country
    'LB'

Two layers: the bundled ``places.sqlite`` (GeoNames cities500, first-level
regions and countries, built by ``scripts/build_gazetteer.py``) and the
language's curated overlay (``vigile/lang/fr/places.tsv``), which wins where
it speaks. Names are matched on a lossy key (:mod:`.keys`) after peeling
articles and generic heads ("province d'", "ville de"), and candidates are
ordered by :mod:`.ranking`.
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .keys import fold, similarity, skeleton, spelling, squeeze
from .lexicon import Lexicon
from .place import Candidate, Place
from .ranking import is_weak, rank
from .store import PlaceStore, StaleGazetteer

__all__ = ["DEFAULT_DB", "FUZZY_SIMILARITY", "Gazetteer", "Place", "StaleGazetteer"]

DEFAULT_DB = Path(__file__).resolve().parent / "places.sqlite"
_CACHE_SIZE = 1 << 13
#: Spelling similarity a skeleton match needs ("Qousseir"/"Al Qusayr" 0.67,
#: "Qaboun"/"Kobani" 0.55): below it, same consonants are a coincidence.
FUZZY_SIMILARITY = 0.7
#: Only skeleton matches this close to the best one are kept, so a weaker
#: namesake in the article's country does not win by default.
FUZZY_SPREAD = 0.1


@dataclass(frozen=True)
class _Match:
    """What one surface form matched, and how."""

    candidates: tuple[Candidate, ...]   # unordered; ranking needs the article's countries
    prefer: str | None                  # kind asked for by a generic head
    keys: tuple[str, ...]               # name keys of the forms that were looked up
    bare: bool                          # no generic head or part suffix was peeled
    fuzzy: bool                         # matched on the consonant skeleton only


class Gazetteer:
    """Place lookup over one place database and one language's resources."""

    def __init__(self, db_path: Path = DEFAULT_DB, lang: str = "fr") -> None:
        self._store = PlaceStore(db_path)
        self._lex = Lexicon.load(lang, self._store)
        self._corrected = {c.place.id: c.place for cs in self._lex.overlay.values() for c in cs}
        self._match = functools.lru_cache(maxsize=_CACHE_SIZE)(self._match_uncached)
        self._ranked = functools.lru_cache(maxsize=_CACHE_SIZE)(self._ranked_uncached)

    @classmethod
    @functools.cache
    def default(cls) -> Gazetteer:
        """The bundled gazetteer with the French resources, opened once per process."""
        return cls()

    @property
    def counts(self) -> dict[str, int]:
        """Places per kind and the number of (key, place) names in the database."""
        return self._store.counts()

    # -- public API ------------------------------------------------------

    def lookup(self, mention: str) -> list[Place]:
        """Every candidate for a surface form, best first (no article context)."""
        return [c.place for c in self._ranked(mention, ())]

    def resolve(self, mention: str, countries: Sequence[str] = ()) -> Place | None:
        """The place a mention most likely names in an article about ``countries``.

        ``countries`` are ISO2 codes ordered by salience in the article. Returns
        None for stop-listed words, for small out-of-context namesakes, and for
        fuzzy (skeleton) matches outside ``countries``.
        """
        context = tuple(c.upper() for c in countries)
        match = self._match(mention)
        ranked = self._ranked(mention, context)
        if match.fuzzy:
            ranked = tuple(c for c in ranked if c.place.country in context)
        if not ranked:
            return None
        best = ranked[0]
        if match.bare and any(k in self._lex.stopwords for k in match.keys):
            if not best.curated and best.place.kind != "country":
                return None
        if is_weak(best, match.candidates, context):
            return None
        return best.place

    def country(self, iso2: str) -> Place | None:
        """The country as a place (kind ``country``, centre coordinates)."""
        found = self._store.country(iso2)
        return found.place if found else None

    def demonym(self, word: str) -> str | None:
        """The ISO2 code of a nationality word ("syrienne" -> "SY"), if it has one."""
        folded = fold(word)
        demonyms = self._lex.demonyms
        if folded in demonyms:
            return demonyms[folded]
        return demonyms.get(folded[:-1]) if folded.endswith(("s", "x")) else None

    # -- internals --------------------------------------------------------

    def _corrected_version(self, c: Candidate) -> Candidate:
        """The overlay's version of a GeoNames place (better name, fixed coordinates).

        It stays an ordinary candidate: only a form listed in the overlay makes
        a candidate curated, so a corrected region does not outrank its city.
        """
        place = self._corrected.get(c.place.id)
        return Candidate(place, False, c.admin1) if place else c

    def _candidates(self, keys: Sequence[str]) -> list[Candidate]:
        found: dict[str, Candidate] = {}
        for key in keys:
            for c in self._store.by_key(key):
                found.setdefault(c.place.id, self._corrected_version(c))
        for key in keys:
            for c in self._lex.overlay.get(key, ()):
                found[c.place.id] = c
        return list(found.values())

    def _strip_articles(self, words: list[str]) -> list[str]:
        while len(words) > 1 and words[0] in self._lex.heads.articles:
            words = words[1:]
        return words

    def _peel(self, words: list[str]) -> tuple[str, str | None, bool]:
        """Strip generic heads (and the articles after them) and a trailing part word.

        Heads nest ("aéroport militaire de la ville de Deir ez-Zor"); the
        outermost one names the thing meant, so its kind is the preference.
        """
        heads = self._lex.heads
        prefer, bare = None, True
        peeled = True
        while peeled:
            peeled = False
            for head, kind in heads.prefixes:
                size = len(head.split())
                if words[:size] == head.split() and len(words) > size:
                    prefer = kind if bare else prefer
                    words, bare, peeled = self._strip_articles(words[size:]), False, True
                    break
        if len(words) > 1 and words[-1] in heads.suffixes:
            words, bare = words[:-1], False
        return " ".join(words), prefer, bare

    def _match_uncached(self, mention: str) -> _Match:
        """The form as written and without leading articles (together: "l'Irak" is
        Iraq, not the hamlet "Lirac"; "Le Caire" is Cairo); then without a generic
        head or part suffix; failing all, the consonant skeleton."""
        folded = fold(mention)
        if not folded:
            return _Match((), None, (), True, False)
        words = self._strip_articles(folded.split())
        keys = tuple(dict.fromkeys((squeeze(folded), squeeze(" ".join(words)))))
        found = self._candidates(keys)
        if found:
            return _Match(tuple(found), None, keys, True, False)
        form, prefer, bare = self._peel(words)
        found = self._candidates((squeeze(form),))
        if found:
            return _Match(tuple(found), prefer, (squeeze(form),), bare, False)
        return _Match(tuple(self._fuzzy(form)), prefer, (squeeze(form),), bare, True)

    def _fuzzy(self, form: str) -> list[Candidate]:
        """Places whose name has the form's consonant skeleton and a close spelling."""
        bones = skeleton(form)
        if not bones:
            return []
        wanted = spelling(form)
        scores: dict[str, float] = {}
        found: dict[str, Candidate] = {}
        for c, spelled in self._store.by_skeleton(bones):
            score = similarity(wanted, spelled)
            if score >= max(FUZZY_SIMILARITY, scores.get(c.place.id, 0.0)):
                scores[c.place.id], found[c.place.id] = score, c
        floor = max(scores.values(), default=1.0) - FUZZY_SPREAD
        return [self._corrected_version(c) for pid, c in found.items() if scores[pid] >= floor]

    def _ranked_uncached(self, mention: str, countries: tuple[str, ...]) -> tuple[Candidate, ...]:
        """Candidates in context order; a region head promotes the city's own region."""
        match = self._match(mention)
        ranked = rank(match.candidates, countries, match.prefer)
        if match.prefer == "region" and ranked and ranked[0].place.kind != "region":
            region = self._region_of(ranked[0])
            if region is not None:
                ranked = [region, *(c for c in ranked if c.place.id != region.place.id)]
        return tuple(ranked)

    def _region_of(self, c: Candidate) -> Candidate | None:
        """The first-level region a GeoNames city lies in ("province d'Idleb")."""
        if c.place.kind != "city" or not c.admin1:
            return None
        region = self._store.region(c.place.country, c.admin1)
        return self._corrected_version(region) if region else None


def coordinates(value: str) -> tuple[float, float]:
    """A place name ("Alep", "Aleppo") or "lat,lon" as coordinates, for the
    `--near` of the CLI and the `near` of the API; ValueError says what is wrong."""
    parts = value.split(",")
    if len(parts) == 2:
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            pass
        else:
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                return lat, lon
            raise ValueError("latitude or longitude out of range")
    place = Gazetteer.default().resolve(value)
    if place is None:
        raise ValueError(f"no place called {value!r} in the gazetteer (or give 'lat,lon')")
    return place.lat, place.lon

