"""Ordering the candidates of one surface form, and refusing weak ones.

The order encodes how a French news text names places:

1. a curated overlay entry (a human decided) whose country fits the article;
2. a country (country names are rarely anything else in the news);
3. a GeoNames place in one of the article's countries, most salient first;
4. a curated entry from another country;
5. any other GeoNames place.

Within a tier the bigger place wins, except that a region does not outrank a
town of the same name in its country ("Idleb" is the city; "province d'Idleb"
the region), and a kind asked for by a generic head ("province de") comes first.
A tiny namesake in the article's countries does not beat a world city
("Moscou" in a Syrian article is still Moscow; "Paris" in a story about
Syria, Russia and France is Paris, not a Russian hamlet called Parizh).
"""
from __future__ import annotations

from collections.abc import Sequence

from .place import Candidate

#: An in-context place this small loses to an out-of-context one of BIG_CITY people.
SMALL_PLACE = 10_000
BIG_CITY = 1_000_000
#: An in-context town under DWARFED_TOWN loses to a namesake of at least
#: DWARFING_CITY people and DWARF_RATIO times its size ("Genève" is Geneva, not
#: Geneva NY, even when the article also names the United States).
DWARFED_TOWN = 50_000
DWARFING_CITY = 100_000
DWARF_RATIO = 10
#: A city at least this big keeps the key from a same-country region of its name.
NAMESAKE_TOWN = 10_000
#: An out-of-context GeoNames hit smaller than this is refused (see is_weak).
MIN_AMBIGUOUS_POPULATION = 5_000


def _effective_population(c: Candidate, cities: Sequence[Candidate]) -> int:
    """A region ranks just below a real town of the same name in its country.

    "Donetsk" is the city, not the oblast around it, even though the oblast is
    bigger; a hamlet that merely shares a province's name ("Helmand") does not
    demote the province.
    """
    if c.place.kind != "region":
        return c.place.population
    towns = [x.place.population for x in cities
             if x.place.country == c.place.country and x.place.population >= NAMESAKE_TOWN]
    return min(c.place.population, max(towns) - 1) if towns else c.place.population


def rank(candidates: Sequence[Candidate], countries: Sequence[str] = (),
         prefer: str | None = None) -> list[Candidate]:
    """Best first; see the module docstring for the order."""
    context = {iso: i for i, iso in reversed(list(enumerate(countries)))}
    # a world city among the candidates, in the article's countries or not
    world_city = any(not c.curated and c.place.population >= BIG_CITY for c in candidates)
    # the biggest namesake: a small town in context yields to a much bigger one anywhere
    biggest = max((c.place.population for c in candidates if not c.curated), default=0)
    cities = [c for c in candidates if c.place.kind == "city" and not c.curated]

    def tier(c: Candidate) -> int:
        in_context = not context or c.place.country in context
        if c.curated:
            return 0 if in_context else 3
        if c.place.kind == "country":
            return 1
        if context and c.place.country in context:
            dwarfed = (c.place.population < DWARFED_TOWN and biggest >= DWARFING_CITY
                       and biggest >= DWARF_RATIO * max(c.place.population, 1))
            return 4 if dwarfed or (world_city and c.place.population < SMALL_PLACE) else 2
        return 4

    def key(c: Candidate) -> tuple:
        t = tier(c)
        # country salience orders the in-context tiers only: a hamlet demoted for
        # a world city ("Parizh" for "Paris") must not win back through it
        salience = context.get(c.place.country, len(context)) if t < 3 else len(context)
        return (prefer is not None and c.place.kind != prefer, t, salience, -_effective_population(c, cities))

    return sorted(candidates, key=key)


def is_weak(best: Candidate, candidates: Sequence[Candidate], countries: Sequence[str]) -> bool:
    """A small GeoNames place outside the article's countries.

    Refused when the name is ambiguous, or when the article has countries and
    this is not one of them: a 600-person hamlet abroad is far likelier to be
    a misread word than the place meant.
    """
    if best.curated or best.place.kind != "city" or best.place.country in countries:
        return False
    ambiguous = len({c.place.id for c in candidates}) > 1
    return (ambiguous or bool(countries)) and best.place.population < MIN_AMBIGUOUS_POPULATION
