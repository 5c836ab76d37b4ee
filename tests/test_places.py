"""Place finding: gazetteer names, sites, lists, metonyms, places that are not event places."""
from __future__ import annotations

import pytest

from vigile.places import PlaceFinder


@pytest.fixture(scope="module")
def finder():
    return PlaceFinder()


def names(finder, sentence, countries=("SY",), focus="Alep"):
    focus_city = finder.gaz.resolve(focus, countries) if focus else None
    return [(p.mention, p.place.name, p.precision)
            for p in finder.find(sentence, [], list(countries), focus_city)]


def test_exonyms_resolve_to_canonical_names(finder):
    found = names(finder, "Des frappes ont visé Alep, Lattaquié et la ville de Damas.")
    assert ("Alep", "Aleppo", "city") in found
    assert ("Lattaquié", "Latakia", "city") in found
    assert any(name == "Damascus" for _, name, _ in found)


def test_site_list_gives_one_site_each_at_the_story_city(finder):
    s = "De violents combats ont eu lieu dans les quartiers de Cheikh Saïd, Ramoussa et Amiriyé."
    sites = [p for p in finder.find(s, [], ["SY"], finder.gaz.resolve("Alep", ["SY"]))]
    assert [p.mention for p in sites] == ["Cheikh Saïd", "Ramoussa", "Amiriyé"]
    assert all(p.listed and p.precision == "site" and p.place.country == "SY" for p in sites)
    assert all(abs(p.place.lat - 36.2) < 0.2 for p in sites)  # Aleppo's coordinates


def test_arabic_prefixed_toponym_is_a_place(finder):
    found = names(finder, "Un obus est tombé sur Jabal Zeitoun jeudi.")
    assert found and found[0][0] == "Jabal Zeitoun"


def test_capitals_standing_for_governments_are_not_places(finder):
    assert names(finder, "Moscou a annoncé une trêve humanitaire.", ("SY", "RU")) == []
    assert names(finder, "Des pourparlers se tiendront à Moscou.", ("SY", "RU"))[0][1] == "Moscow"


def test_treatment_and_reference_places_are_not_event_places(finder):
    assert "Homs" not in {n[0] for n in names(finder, "Les blessés ont été admis à l'hôpital de Homs.")}
    found = names(finder, "La localité de Qaryatayn, située à 100 km de Homs, a été reprise.")
    assert [n[0] for n in found] == ["Qaryatayn"]


def test_region_named_with_its_head(finder):
    found = names(finder, "Des raids ont frappé la province d'Idleb.")
    assert found and found[0][2] == "region"


def test_sentence_initial_common_word_is_not_a_town(finder):
    assert names(finder, "Les civils ont fui vers le nord.", focus=None) == []
