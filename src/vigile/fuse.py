"""Cross-article fusion: when two reports are one event, and what the event's figures are.

Plain functions over plain values, so the rules are testable without a
database; :mod:`vigile.store` applies them inside its transactions.

* Two reports are the same event when they have the same type, places that
  agree (within ``PLACE_KM`` for sites and towns, within ``REGION_KM`` of a
  region, the same country when one is only a country), days within
  ``DAY_SLACK`` (an undated report fits any day), and actors that do not
  conflict (both named and disjoint).
* Figures are summarised per key over the claims of independent sources, the
  way UCDP does (low / best / high) and ACLED does (a conservative value), with
  a ``disputed`` flag when the claims cannot all be true at once. Every claim is
  kept; the summary never replaces them.
"""
from __future__ import annotations

import datetime as dt
import math
import statistics
import unicodedata
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Optional, Sequence

PLACE_KM = 30.0
REGION_KM = 150.0
DAY_SLACK = 1
#: An undated report of an article joins events at most this many days before its publication.
UNDATED_WINDOW_DAYS = 7
#: "approx" figures are taken to mean within ±10 %.
APPROX_SPREAD = 0.10

_COARSE = {"region", "country"}


class Spot(NamedTuple):
    """Where and when a report or an event is, for matching (a named tuple:
    fusing a mention builds one per event of its block, millions per run)."""

    type: str
    name: Optional[str]
    country: Optional[str]
    lat: Optional[float]
    lon: Optional[float]
    precision: Optional[str]
    date_min: Optional[dt.date]
    date_max: Optional[dt.date]
    actors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Claim:
    key: str
    value: int
    qualifier: str
    source: str
    independent: bool = True
    times: int = 1  # the same claim told by this many mentions (a store's tally)


@dataclass(frozen=True)
class FigureSummary:
    low: int
    best: int
    high: int
    conservative: int  # ACLED's rule: the lowest figure any independent source gives
    n_claims: int
    n_sources: int
    disputed: bool

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b_lon - a_lon) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


def iso_week(day: Optional[dt.date]) -> Optional[str]:
    """The blocking key of a day: its ISO week, "2016-W50"."""
    if day is None:
        return None
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def weeks_around(day: dt.date, slack_days: int) -> list[str]:
    """The ISO weeks a day ± slack falls in (a block may straddle two weeks)."""
    return sorted({iso_week(day + dt.timedelta(days=d)) for d in range(-slack_days, slack_days + 1)})  # type: ignore[misc]


def place_distance(a: Spot, b: Spot) -> Optional[float]:
    """How far apart two places are for matching (0 when they agree at a coarse
    level), or None when they cannot be the same place.

    Two sites with different names are different places even at one point: a
    neighbourhood the gazetteer does not know takes its town's coordinates, so
    for sites the distance says nothing."""
    if a.country and b.country and a.country != b.country:
        return None
    if a.precision == b.precision == "site" and _folded(a.name) != _folded(b.name):
        return None
    if a.lat is None or b.lat is None or a.lon is None or b.lon is None:
        return 0.0 if a.country == b.country else None
    d = km(a.lat, a.lon, b.lat, b.lon)
    coarse = {a.precision, b.precision} & _COARSE
    if "country" in coarse:
        return 0.0  # same country, one of them only says which
    limit = REGION_KM if "region" in coarse else PLACE_KM
    return d if d <= limit else None


def days_apart(a: Spot, b: Spot) -> Optional[int]:
    """Days between two date ranges (0 when they overlap or one is undated), or
    None when further apart than the slack."""
    if a.date_min is None or b.date_min is None:
        return 0
    gap = max((a.date_min - b.date_max).days if b.date_max else 0,  # type: ignore[operator]
              (b.date_min - a.date_max).days if a.date_max else 0, 0)  # type: ignore[operator]
    return gap if gap <= DAY_SLACK else None


def actors_conflict(a: Sequence[str], b: Sequence[str], generic: frozenset[str] = frozenset()) -> bool:
    """Both name who did it, and no one in common. Descriptions rather than
    names ("rebels", "jihadists", "gunmen": ``generic``) conflict with nobody."""
    sa, sb = set(a) - generic, set(b) - generic
    return bool(sa) and bool(sb) and not sa & sb


def match_cost(event: Spot, report: Spot, generic_actors: frozenset[str] = frozenset()) -> Optional[float]:
    """How well a report fits an event (lower is better), None when it cannot."""
    if event.type != report.type or actors_conflict(event.actors, report.actors, generic_actors):
        return None
    dist = place_distance(event, report)
    gap = days_apart(event, report)
    if dist is None or gap is None:
        return None
    return dist + 10.0 * gap


def _folded(name: Optional[str]) -> str:
    return " ".join(unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower().split())


def _interval(value: int, qualifier: str) -> tuple[float, float]:
    """The values a claim allows: "au moins 18" is 18 or more."""
    if qualifier == "at_least":
        return value, math.inf
    if qualifier == "at_most":
        return 0, value
    if qualifier == "approx":
        return value * (1 - APPROX_SPREAD), value * (1 + APPROX_SPREAD)
    return value, value


def summarise(claims: Iterable[Claim]) -> dict[str, FigureSummary]:
    """Per figure key: low/best/high over the sources' claims, the conservative
    value, how many sources, and whether they disagree.

    Independent claims are used when there are any (a syndicated copy repeating
    a figure is not a second source); each source counts once, with the highest
    figure it gives (sources revise tolls upwards); ``best`` is the median of the
    sources' figures (the lower middle one when they are even)."""
    by_key: dict[str, list[Claim]] = {}
    for c in claims:
        by_key.setdefault(c.key, []).append(c)
    out = {}
    for key, cs in by_key.items():
        used = [c for c in cs if c.independent] or cs
        per_source: dict[str, Claim] = {}
        for c in used:
            held = per_source.get(c.source)
            if held is None or c.value > held.value:
                per_source[c.source] = c
        values = sorted(c.value for c in per_source.values())
        intervals = [_interval(c.value, c.qualifier) for c in per_source.values()]
        disputed = max(lo for lo, _ in intervals) > min(hi for _, hi in intervals)
        out[key] = FigureSummary(low=values[0], best=statistics.median_low(values), high=values[-1],
                                 conservative=values[0], n_claims=sum(c.times for c in cs), n_sources=len(per_source),
                                 disputed=disputed)
    return out


def fatalities(summary: dict[str, FigureSummary]) -> int:
    """ACLED-style fatalities: the conservative count of the dead, all victims
    if the text gives that, else civilians."""
    for key in ("killed", "killed_civilians"):
        if key in summary:
            return summary[key].conservative
    return 0
