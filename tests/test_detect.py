import datetime as dt

import pytest

from vigile.dates import find_dates
from vigile.detect import find_cues, is_background, is_toll


def types(sentence: str) -> set[str]:
    return {c.type for c in find_cues(sentence)}


@pytest.mark.parametrize("sentence, expected", [
    ("Des raids aériens ont visé la ville de Maaret al-Noomane mardi.", "air_strike"),
    ("Des hélicoptères du régime ont largué des barils d'explosifs sur Daraya.", "air_strike"),
    ("Trois obus de mortier sont tombés sur le centre de Damas.", "shelling"),
    ("Une voiture piégée a explosé devant un commissariat de Kirkouk.", "bombing"),
    ("Un kamikaze s'est fait exploser dans une mosquée de Kano.", "bombing"),
    ("De violents combats opposent l'armée aux rebelles dans la province de Deraa.", "armed_clash"),
    ("Les jihadistes se sont emparés de la localité de Qaryatayn.", "territory_change"),
    ("Les forces gouvernementales ont repris le contrôle de l'aéroport.", "territory_change"),
    ("Des hommes armés ont enlevé douze villageois près de Tillabéri.", "violence_against_civilians"),
    ("Plus de 400 civils ont été évacués de Madaya mercredi.", "evacuation"),
    ("Des milliers d'habitants ont fui les combats vers la frontière.", "displacement"),
    ("Un convoi humanitaire de l'ONU est arrivé à Douma.", "aid_delivery"),
    ("Un cessez-le-feu est entré en vigueur à minuit.", "ceasefire"),
    ("Des pourparlers de paix se tiendront à Genève la semaine prochaine.", "talks"),
    ("Des milliers de manifestants ont défilé à Bamako samedi.", "protest"),
    ("La police a interpellé sept personnes à Niamey.", "arrest"),
])
def test_each_type_has_cues(sentence, expected):
    assert expected in types(sentence)


@pytest.mark.parametrize("sentence, dropped", [
    ("La principale tâche de ces navires pourrait être d'évacuer des civils.", "evacuation"),
    ("Le président a écarté un cessez-le-feu dans l'immédiat.", "ceasefire"),
    ("L'ONU a appelé à un cessez-le-feu immédiat.", "ceasefire"),
    ("Les forces kurdes ont lancé une offensive pour reprendre la ville.", "territory_change"),
])
def test_hypotheticals_refusals_and_purposes_are_dropped(sentence, dropped):
    assert dropped not in types(sentence)


def test_journalistic_conditional_is_kept():
    assert "air_strike" in types("Les frappes aériennes auraient fait 20 morts à Idleb.")


def test_more_specific_cue_wins_over_generic():
    cues = find_cues("Des bombardements aériens ont touché Alep.")
    assert [c.type for c in cues] == ["air_strike"]


def test_toll_markers_near_a_killed_figure():
    s = "Le conflit a fait plus de 300 000 morts depuis mars 2011."
    assert is_toll(s, [s.index("300")])
    s = "Trois soldats ont été tués jeudi dans une embuscade."
    assert not is_toll(s, [s.index("soldats")])
    s = "Pour la première fois depuis le début du conflit, deux soldats ont été tués à Damas."
    assert not is_toll(s, [s.index("deux")])


def test_absorbing_cue_owns_its_clause():
    cues = find_cues("Moscou a annoncé un arrêt des raids aériens et des tirs d'artillerie sur Alep, "
                     "a dit un porte-parole.")
    assert [c.type for c in cues] == ["ceasefire"]


def test_background_is_older_than_thirty_days():
    pub = dt.date(2016, 12, 14)
    old = "L'EI avait occupé la ville en mai 2015."
    new = "L'EI a occupé la ville samedi."
    assert is_background(old, find_dates(old, pub), pub)
    assert not is_background(new, find_dates(new, pub), pub)
    # without a publication day, a pluperfect tied to a year is history
    assert is_background(old, find_dates(old, None), None)
