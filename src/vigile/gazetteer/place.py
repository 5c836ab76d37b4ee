"""The value types the gazetteer hands out."""
from __future__ import annotations

from dataclasses import dataclass

#: Place kinds, from the most to the least precise (the spec's ``precision``).
KINDS = ("site", "city", "region", "country")


@dataclass(frozen=True)
class Place:
    """One place, as it goes into an event's ``location``."""

    id: str            # "gn:<GeoNames id>" or "cur:<slug>" for the curated overlay
    name: str          # canonical English (GeoNames) name
    country: str       # ISO 3166-1 alpha-2
    lat: float
    lon: float
    kind: str          # one of KINDS
    population: int
    parent: str | None = None   # for sites: the containing city's name


@dataclass(frozen=True)
class Candidate:
    """A place found for a key, with what ranking needs and :class:`Place` does not carry."""

    place: Place
    curated: bool = False
    admin1: str | None = None   # GeoNames admin1 code: ties a city to its region
