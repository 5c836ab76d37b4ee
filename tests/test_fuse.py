"""Fusion rules on plain values: when reports are one event, and what its figures are."""
from __future__ import annotations

import datetime as dt

from vigile.fuse import Claim, Spot, fatalities, match_cost, summarise

D = dt.date(2016, 12, 10)


def spot(**kw) -> Spot:
    base = dict(type="shelling", name="Aleppo", country="SY", lat=36.20, lon=37.16, precision="city",
                date_min=D, date_max=D, actors=())
    base.update(kw)
    return Spot(**base)


def test_same_type_place_and_day_match():
    assert match_cost(spot(), spot(lat=36.25, name="Alep-Est")) is not None


def test_other_type_far_place_or_day_do_not():
    assert match_cost(spot(), spot(type="air_strike")) is None
    assert match_cost(spot(), spot(name="Idlib", lat=35.93, lon=36.63)) is None  # ~55 km
    assert match_cost(spot(), spot(date_min=D + dt.timedelta(days=2), date_max=D + dt.timedelta(days=2))) is None
    assert match_cost(spot(), spot(date_min=D + dt.timedelta(days=1), date_max=D + dt.timedelta(days=1))) is not None


def test_undated_and_coarse_reports_fit():
    assert match_cost(spot(), spot(date_min=None, date_max=None)) is not None
    assert match_cost(spot(), spot(name="Syria", precision="country", lat=35.0, lon=38.0)) is not None
    assert match_cost(spot(), spot(name="Aleppo Governorate", precision="region", lat=36.1, lon=37.6)) is not None
    assert match_cost(spot(), spot(country="IQ")) is None


def test_two_named_sites_at_borrowed_coordinates_are_different_places():
    a = spot(name="Soukkari", precision="site")
    assert match_cost(a, spot(name="Jabal Badro", precision="site")) is None
    assert match_cost(a, spot(name="Soukkari", precision="site")) is not None


def test_conflicting_named_actors_but_not_descriptions():
    generic = frozenset({"Syrian rebels", "Jihadist militants"})
    assert match_cost(spot(actors=("Syrian Army",)), spot(actors=("Islamic State",)), generic) is None
    assert match_cost(spot(actors=("Syrian rebels",)), spot(actors=("Jihadist militants",)), generic) is not None
    assert match_cost(spot(actors=("Syrian Army",)), spot(actors=()), generic) is not None


def test_low_best_high_over_independent_sources():
    claims = [Claim("killed", 18, "at_least", "OSDH"), Claim("killed", 19, "exact", "Civil Defence"),
              Claim("killed", 25, "exact", "Houthi ministry"), Claim("killed", 18, "at_least", "OSDH"),
              Claim("killed", 99, "exact", "copy of OSDH", independent=False)]
    s = summarise(claims)["killed"]
    assert (s.low, s.best, s.high, s.conservative) == (18, 19, 25, 18)
    assert s.n_sources == 3 and s.n_claims == 5
    assert s.disputed  # 19 exact and 25 exact cannot both be true


def test_compatible_claims_are_not_disputed():
    s = summarise([Claim("killed", 18, "at_least", "A"), Claim("killed", 19, "exact", "B"),
                   Claim("killed", 20, "approx", "C")])["killed"]
    assert not s.disputed
    assert fatalities({"killed": s}) == 18


def test_a_source_revising_its_toll_counts_once_with_its_latest_figure():
    s = summarise([Claim("killed", 37, "exact", "OSDH"), Claim("killed", 46, "at_least", "OSDH")])["killed"]
    assert (s.low, s.best, s.high, s.n_sources, s.disputed) == (46, 46, 46, 1, False)


def test_a_claim_told_many_times_summarises_as_its_repetitions():
    """A store passes each distinct claim once with how many mentions tell it."""
    repeated = [Claim("killed", 18, "at_least", "OSDH")] * 40 + [Claim("killed", 25, "exact", "Houthi ministry")] * 3
    counted = [Claim("killed", 25, "exact", "Houthi ministry", times=3), Claim("killed", 18, "at_least", "OSDH", times=40)]
    assert summarise(counted) == summarise(repeated)
    assert summarise(counted)["killed"].n_claims == 43
