"""vigile.dates: French date expressions resolved against the publication day.

All sentences are written for these tests. The reference publication day is a
Wednesday, so weekday arithmetic is easy to check by hand:
Thu 8, Fri 9, Sat 10, Sun 11, Mon 12, Tue 13, **Wed 14 December 2016**.
"""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigile.dates import DateMention, find_dateline, find_dates

WED = date(2016, 12, 14)


def only(text: str, published: date | None = WED) -> DateMention:
    found = find_dates(text, published)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("text, day", [
    ("Les rebelles ont bombardé mardi la ville de Homs.", date(2016, 12, 13)),
    ("L'aviation a frappé Mercredi plusieurs villages.", WED),  # same weekday: the day itself
    ("Des combats ont éclaté jeudi matin au nord de la ville.", date(2016, 12, 8)),
    ("Un convoi a été attaqué lundi soir près de la frontière.", date(2016, 12, 12)),
    ("Les tirs ont repris samedi après-midi.", date(2016, 12, 10)),
    ("Les frappes ont commencé dimanche à l'aube.", date(2016, 12, 11)),
    ("Un attentat a visé mercredi dernier une caserne.", date(2016, 12, 7)),
    ("Le marché a été visé samedi passé.", date(2016, 12, 10)),
    ("Ils se réuniront ce jeudi à Genève.", date(2016, 12, 15)),  # the Thursday of this week
    ("Deux obus sont tombés hier sur le quartier.", date(2016, 12, 13)),
    ("Un raid a tué six civils avant-hier.", date(2016, 12, 12)),
    ("Le ministère a publié aujourd'hui un nouveau bilan.", WED),
    ("Les négociations ont repris ce mercredi à Vienne.", WED),
    ("Des milliers de civils ont fui dans la nuit de lundi à mardi.", date(2016, 12, 12)),
    ("Deux postes ont été attaqués dans la nuit d'hier à aujourd'hui.", date(2016, 12, 13)),
    ("Des tirs ont visé la base dans la nuit du 3 au 4 décembre.", date(2016, 12, 3)),
    ("Le village a été repris le 2 novembre.", date(2016, 11, 2)),
    ("L'aéroport a rouvert le 1er août.", date(2016, 8, 1)),
    ("Une voiture piégée a explosé vendredi 9 décembre.", date(2016, 12, 9)),
    ("La trêve avait été rompue le 20 décembre.", date(2015, 12, 20)),  # not yet this year
    ("Les pourparlers se tiendront le 20 décembre à Astana.", date(2016, 12, 20)),  # scheduled
    ("Le gouverneur se rendra à Kaboul le 10 janvier.", date(2017, 1, 10)),
    ("Le ministre doit se rendre à Ankara lundi.", date(2016, 12, 19)),
    ("Le scrutin du 2 avril prochain est maintenu.", date(2017, 4, 2)),
    ("Les renforts sont arrivés à la mi-décembre.", date(2016, 12, 15)),
    ("Le bilan a été établi il y a trois jours.", date(2016, 12, 11)),
    ("Dix civils auraient été tués samedi, selon une ONG.", date(2016, 12, 10)),  # a past event
    ("Un témoin a déclaré à Al-Jazeera samedi que l'hôpital était détruit.", date(2016, 12, 10)),
    ("Un obus est tombé (vers 23H00 GMT vendredi) sur le marché.", date(2016, 12, 9)),
])
def test_days_relative_to_publication(text: str, day: date) -> None:
    days = [m.day for m in find_dates(text, WED) if m.kind == "day"]
    assert days == [day]


@pytest.mark.parametrize("text, day", [
    ("La ville est tombée le 23 mars 2013 aux mains des rebelles.", date(2013, 3, 23)),
    ("Le raid a eu lieu jeudi 3 novembre 2016 vers midi.", date(2016, 11, 3)),
    ("ACCORD SIGNÉ LE 3 FÉVRIER 2015 À MINSK", date(2015, 2, 3)),
    ("un accord signé le 3 fevrier 2015", date(2015, 2, 3)),
    ("bombardé le 15\u00a0novembre\u00a02016 au matin", date(2016, 11, 15)),
    ("mise en ligne: 2017-06-02 09:15", date(2017, 6, 2)),
    ("Communiqué du 03/11/2016.", date(2016, 11, 3)),
    ("Communiqué du 12.05.2014.", date(2014, 5, 12)),
])
def test_explicit_dates_pin_a_day_without_publication(text: str, day: date) -> None:
    assert only(text, None).day == day


@pytest.mark.parametrize("text", [
    "Les rebelles ont bombardé mardi la ville.",
    "Deux obus sont tombés hier sur le quartier.",
    "Le village a été repris le 2 novembre.",
    "Ils ont fui dans la nuit de lundi à mardi.",
    "Le bilan a été établi il y a trois jours.",
])
def test_relative_dates_need_publication(text: str) -> None:
    m = only(text, None)
    assert (m.kind, m.day) == ("day", None)


@pytest.mark.parametrize("text", ["Elle avait été attaquée la veille au soir.",
                                  "Les secours sont arrivés le lendemain."])
def test_narrative_days_are_not_relative_to_publication(text: str) -> None:
    m = only(text)
    assert (m.kind, m.day) == ("day", None)


@pytest.mark.parametrize("text, earliest, span", [
    ("Plus de 500 civils ont été tués depuis le 3 novembre.", date(2016, 11, 3), "depuis le 3 novembre"),
    ("Le siège dure depuis avril 2012.", date(2012, 4, 1), "depuis avril 2012"),
    ("La ville est divisée depuis 2013.", date(2013, 1, 1), "depuis 2013"),
    ("Les combats ont repris depuis hier.", date(2016, 12, 13), "depuis hier"),
    ("La route est coupée depuis la mi-novembre.", date(2016, 11, 15), "depuis la mi-novembre"),
    ("Personne n'est sorti depuis le début de la bataille, selon l'ONU.", None,
     "depuis le début de la bataille"),
    ("120 civils ont péri depuis le début de l'offensive lancée le 2 novembre, selon l'ONG.",
     date(2016, 11, 2), "depuis le début de l'offensive lancée le 2 novembre"),
])
def test_since_is_a_start_never_an_event_day(text: str, earliest: date | None, span: str) -> None:
    m = only(text)
    assert (m.kind, m.day, m.earliest, m.text) == ("since", None, earliest, span)


@pytest.mark.parametrize("text, earliest, latest", [
    ("L'EI avait pris la ville en mai 2014.", date(2014, 5, 1), date(2014, 5, 31)),
    ("Ils en avaient été chassés en avril dernier.", date(2016, 4, 1), date(2016, 4, 30)),
    ("Ils en avaient été chassés en décembre dernier.", date(2015, 12, 1), date(2015, 12, 31)),
    ("La ville avait été conquise en 2013.", date(2013, 1, 1), date(2013, 12, 31)),
    ("Le front s'est effondré fin 2015.", date(2015, 9, 1), date(2015, 12, 31)),
    ("L'offensive a été lancée début novembre.", date(2016, 11, 1), date(2016, 11, 10)),
    ("La ville était tombée en juin-juillet 2015.", date(2015, 6, 1), date(2015, 7, 31)),
    ("Les combats avaient repris au printemps 2015.", date(2015, 3, 1), date(2015, 5, 31)),
    ("Un premier convoi était passé la semaine dernière.", date(2016, 12, 5), date(2016, 12, 11)),
    ("Un premier convoi était passé le mois dernier.", date(2016, 11, 1), date(2016, 11, 30)),
    ("La base avait été attaquée l'année dernière.", date(2015, 1, 1), date(2015, 12, 31)),
    ("Le camp avait été visé il y a deux semaines.", date(2016, 11, 28), date(2016, 12, 4)),
    ("Des heurts ont eu lieu les 5 et 6 novembre.", date(2016, 11, 5), date(2016, 11, 6)),
])
def test_periods_have_bounds_but_no_day(text: str, earliest: date, latest: date) -> None:
    m = only(text)
    assert (m.kind, m.day, m.earliest, m.latest) == ("period", None, earliest, latest)


@pytest.mark.parametrize("text", ["Le convoi a été attaqué il y a plusieurs semaines.",
                                  "Le siège a commencé il y a près de dix jours."])
def test_vague_ago_gives_no_day(text: str) -> None:
    m = only(text)
    assert (m.kind, m.day, m.earliest, m.latest) == ("period", None, None, None)


@pytest.mark.parametrize("text", [
    "Sa maison a été détruite et Sa famille a fui.",
    "Le siège dure depuis deux mois et la guerre depuis cinq ans et demi.",
    "Les combats ont duré 20 jours, deux ans après la chute de la ville.",
    "L'explosion a eu lieu vers 22H00 GMT.",
    "Le régime contrôle 85% de la ville et 2 000 hommes sont encerclés.",
    "Le 1er bataillon a été déployé au nord.",
    "Un Antonov-26 de la brigade 137 s'est écrasé.",
    "Le Premier ministre a parlé de Mars et de Vénus.",
    "A ce jour, aucun bilan n'a été publié.",
])
def test_not_dates(text: str) -> None:
    assert find_dates(text, WED) == []


def test_invalid_dates_give_no_day_and_no_error() -> None:
    assert only("le 31 février 2016", None).day is None
    assert only("le 31 février").day is None
    assert only("le 31/02/2016", None).day is None


def test_case_accents_and_spaces_do_not_matter() -> None:
    variants = ["le 3 février 2015", "LE 3 FÉVRIER 2015", "le 3 fevrier 2015", "le\u00a03\u202ffévrier 2015"]
    assert {only(v, None).day for v in variants} == {date(2015, 2, 3)}


def test_offsets_point_into_the_original_text() -> None:
    text = "Réunion à Genève\u00a0: les délégations sont arrivées LUNDI SOIR, après l'attaque du 2\u00a0décembre."
    found = find_dates(text, WED)
    assert [m.text for m in found] == ["LUNDI SOIR", "2\u00a0décembre"]
    assert all(text[m.start:m.end] == m.text for m in found)


def test_night_and_its_weekdays_make_one_mention() -> None:
    m = only("Les bombardements ont repris dans la nuit de samedi à dimanche.")
    assert (m.text, m.day) == ("dans la nuit de samedi à dimanche", date(2016, 12, 10))


def test_long_text_without_punctuation_is_read() -> None:
    """Pathological inputs return (their cost is measured by bench/stages.py)."""
    words = "le depuis en mi fin début il y a nuit de du au et les lundi dernier 15 2014 mars hier ce".split()
    text = " ".join(words[i * 7 % len(words)] for i in range(30000))[:100_000]
    for sample in (text, " " * 100_000, "le " * 33_000, "il y a " * 14_000, "depuis le début de " * 5_000):
        assert all(m.end <= len(sample) for m in find_dates(sample, WED))
        find_dateline(sample)


_TOKENS = st.sampled_from(["le", "la", "depuis", "nuit", "de", "du", "au", "à", "et", "en", "mi-", "fin",
                           "lundi", "Samedi", "dernier", "prochain", "hier", "veille", "15", "1er", "31",
                           "février", "Mars", "2014", "il", "y", "a", "trois", "jours", "semaine", ",", ".",
                           "\u00a0", "\n", "É", "sa", "28/09/2016", "2017-10-25", "doit", "sera"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_TOKENS, max_size=40), st.one_of(st.none(), st.dates(date(1990, 1, 1), date(2030, 12, 31))))
def test_any_text_gives_ordered_disjoint_verbatim_mentions(tokens: list[str], published: date | None) -> None:
    text = " ".join(tokens)
    found = find_dates(text, published)
    for a, b in zip(found, found[1:]):
        assert a.end <= b.start
    for m in found:
        assert text[m.start:m.end] == m.text
        assert m.kind in ("day", "since", "period")
        assert m.kind == "day" or m.day is None
        assert m.earliest is None or m.latest is None or m.earliest <= m.latest


@pytest.mark.parametrize("text, day", [
    ("publié le 12/03/2015 à 10:41\n\nLe texte commence ici.", date(2015, 3, 12)),
    ("Monde\nsam, 2016-04-02 18:20\n\nLe texte commence ici.", date(2016, 4, 2)),
    ("Titre de l'article\nvendredi 3 juin 2016 • 12 lectures\nTexte.", date(2016, 6, 3)),
    ("Reportage / 2 min. / le 4 juin 2016\nTexte.", date(2016, 6, 4)),
    ("Mis à jour le 4 juin 2016 à 08h12\nTexte.", date(2016, 6, 4)),
    ("14/05/2016 09:12 CEST | Actualisé 15/05/2016 11:00 CEST\nTexte.", date(2016, 5, 14)),
    ("Actualisé le 15/05/2016 | Publié le 14/05/2016\nTexte.", date(2016, 5, 14)),
])
def test_dateline(text: str, day: date) -> None:
    assert find_dateline(text) == day


@pytest.mark.parametrize("text", [
    "Le 2 mars 2015, des jihadistes ont attaqué la ville.\nLe bilan est lourd.",
    "Des jihadistes ont attaqué la ville jeudi 5 mars 2015, selon l'armée.",
    "Aucune date ici.",
    "x" * 2500 + "\npublié le 12/03/2015",
])
def test_no_dateline_in_prose_or_far_below(text: str) -> None:
    assert find_dateline(text) is None
