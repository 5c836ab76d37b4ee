"""Whole-article behaviour of the pipeline, on articles written for these tests."""
from __future__ import annotations

import datetime as dt

from vigile.schema import Article


def extract(pipeline, text, published=None):
    result = pipeline.extract_one(Article(id="t", text=text, published=published))
    assert result.error is None, result.error
    return result.events


def by_type(events, etype):
    return [e for e in events if e.type == etype]


def test_repeated_mentions_merge_into_one_record(pipeline):
    text = ("Des frappes aériennes ont touché Alep mardi, selon l'OSDH.\n"
            "Ces frappes aériennes sur Alep ont fait au moins 12 morts, a indiqué l'Observatoire.")
    events = extract(pipeline, text, dt.date(2016, 11, 30))
    strikes = by_type(events, "air_strike")
    assert len(strikes) == 1
    assert strikes[0].date == dt.date(2016, 11, 29)
    assert strikes[0].location.name == "Aleppo"
    assert strikes[0].figures["killed"].value == 12
    assert strikes[0].sources == ["Syrian Observatory for Human Rights"]


def test_two_days_are_two_records(pipeline):
    text = "Un obus est tombé sur Homs lundi. Un autre obus a frappé Homs mercredi."
    shelling = by_type(extract(pipeline, text, dt.date(2016, 3, 10)), "shelling")
    assert sorted(e.date for e in shelling) == [dt.date(2016, 3, 7), dt.date(2016, 3, 9)]


def test_figures_go_to_the_place_they_follow(pipeline):
    text = ("Des raids aériens ont frappé Saraqeb, tuant 9 civils, tandis que d'autres "
            "frappes aériennes ont visé Binnish, tuant 4 civils, selon l'OSDH.")
    strikes = {e.location.mention: e for e in by_type(extract(pipeline, text), "air_strike")}
    assert strikes["Saraqeb"].figures["killed_civilians"].value == 9
    assert strikes["Binnish"].figures["killed_civilians"].value == 4


def test_toll_is_not_an_incident(pipeline):
    text = "Le conflit en Syrie a fait plus de 250 000 morts depuis mars 2011, selon l'ONU."
    events = extract(pipeline, text)
    tolls = by_type(events, "casualty_toll")
    assert len(tolls) == 1 and tolls[0].figures["killed"].value == 250000
    assert tolls[0].figures["killed"].qualifier == "at_least"
    assert tolls[0].location.country == "SY"
    assert not by_type(events, "armed_clash")


def test_hypotheticals_and_history_give_nothing(pipeline):
    text = ("L'armée pourrait évacuer les civils de Raqqa.\n"
            "L'EI avait pris la ville de Raqqa en janvier 2014.")
    events = extract(pipeline, text, dt.date(2017, 6, 1))
    assert by_type(events, "evacuation") == [] and by_type(events, "territory_change") == []


def test_evidence_is_a_verbatim_span_with_offsets(pipeline):
    text = "Titre\u00a0: combats à Deraa\n\nDe violents affrontements ont opposé l'armée aux rebelles à Deraa jeudi."
    for e in extract(pipeline, text, dt.date(2017, 5, 5)):
        assert text[e.evidence_start:e.evidence_end] == e.evidence


def test_boilerplate_holds_no_events(pipeline):
    text = ("Un kamikaze s'est fait exploser à Kaboul samedi, tuant six personnes.\n"
            "A LIRE AUSSI\n"
            "Un attentat fait dix morts à Kandahar\n")
    events = extract(pipeline, text, dt.date(2018, 1, 6))
    assert all("Kandahar" not in e.evidence for e in events)
    assert by_type(events, "bombing")[0].figures["killed"].value == 6


def test_headline_does_not_duplicate_the_lead(pipeline):
    text = ("Nigeria : un attentat fait 15 morts à Maiduguri\n"
            "Au moins 15 personnes ont été tuées dimanche dans un attentat-suicide à Maiduguri, "
            "selon la police.")
    bombings = by_type(extract(pipeline, text, dt.date(2019, 6, 17)), "bombing")
    assert len(bombings) == 1
    assert bombings[0].figures["killed"] == bombings[0].figures["killed"].model_copy(
        update={"value": 15, "qualifier": "at_least"})
    assert bombings[0].evidence.startswith("Au moins 15 personnes")
