"""Figures: number reading, keys from nouns and predicates, and non-figures."""
from __future__ import annotations

import pytest

from vigile.figures import FigureMention, find_figures, parse_quantity


def figs(sentence: str) -> dict[str, tuple[int, str]]:
    return {f.key: (f.value, f.qualifier) for f in find_figures(sentence)}


@pytest.mark.parametrize("phrase, expected", [
    ("au moins 31", (31, "at_least")),
    ("près de 70.000", (70000, "approx")),
    ("une centaine", (100, "approx")),
    ("Huit mille", (8000, "exact")),
    ("25 000", (25000, "exact")),
    ("25\u00a0000", (25000, "exact")),
    ("25\u202f000", (25000, "exact")),
    ("250'000", (250000, "exact")),
    ("1,5 million", (1500000, "exact")),
    ("2 millions", (2000000, "exact")),
    ("plus de 10.000", (10000, "at_least")),
    ("plus d'une vingtaine", (20, "at_least")),
    ("Près d’un millier", (1000, "approx")),
    ("une soixantaine", (60, "approx")),
    ("deux centaines", (200, "approx")),
    ("jusqu'à 25 000", (25000, "at_most")),
    ("moins de 50", (50, "at_most")),
    ("quelque 2.500", (2500, "approx")),
    ("environ 300", (300, "approx")),
    ("quatre-vingt-dix-sept", (97, "exact")),
    ("trente et un", (31, "exact")),
])
def test_parse_quantity(phrase: str, expected: tuple[int, str]) -> None:
    assert parse_quantity(phrase) == expected


@pytest.mark.parametrize("phrase", [
    "des dizaines", "des milliers", "plusieurs centaines", "quelques milliers",
    "plusieurs", "de nombreux", "beaucoup", "1,5",
])
def test_parse_quantity_vague_is_none(phrase: str) -> None:
    assert parse_quantity(phrase) is None


@pytest.mark.parametrize("sentence, expected", [
    # killed, from a noun or a predicate
    ("Le pilonnage a fait au moins 12 morts lundi à Homs.", {"killed": (12, "at_least")}),
    ("Au moins 27 personnes ont trouvé la mort dans l'explosion.", {"killed": (27, "at_least")}),
    ("Neuf villageois ont perdu la vie lors du raid.", {"killed": (9, "exact")}),
    ("Quelque 60 personnes ont péri dans le naufrage de la barge.", {"killed": (60, "approx")}),
    ("Une quarantaine de personnes sont mortes après les frappes.", {"killed": (40, "approx")}),
    ("Douze personnes au moins ont été tuées près du marché.", {"killed": (12, "at_least")}),
    ("Le bombardement a tué 23 personnes dans le quartier.", {"killed": (23, "exact")}),
    ("Les secours ont retrouvé 15 cadavres dans les décombres.", {"killed": (15, "exact")}),
    ("Un soldat a été tué par un tireur embusqué.", {"killed": (1, "exact")}),
    ("L'embuscade a coûté la vie à 8 gendarmes.", {"killed": (8, "exact")}),
    # injured
    ("L'explosion a fait 40 blessés, selon la police.", {"injured": (40, "exact")}),
    ("Un kamikaze a frappé un marché, tuant neuf personnes et en blessant vingt-deux.",
     {"killed": (9, "exact"), "injured": (22, "exact")}),
    ("Sept personnes sont mortes et 33 ont été blessées dans l'attentat.",
     {"killed": (7, "exact"), "injured": (33, "exact")}),
    # civilians, children, women
    ("Au moins 52 civils ont été tués mercredi dans la province.",
     {"killed_civilians": (52, "at_least")}),
    ("Les raids ont fait 19 morts parmi les civils.", {"killed_civilians": (19, "exact")}),
    ("Les tirs ont fait 30 morts, dont 8 enfants et trois femmes.",
     {"killed": (30, "exact"), "killed_children": (8, "exact"), "killed_women": (3, "exact")}),
    ("Au total 64 civils, dont au moins 20 enfants, ont été tués depuis dimanche.",
     {"killed_civilians": (64, "exact"), "killed_children": (20, "at_least")}),
    ("Quatre enfants sont morts dans l'effondrement de l'école.",
     {"killed_children": (4, "exact")}),
    # coordination: no arithmetic across categories, same key adds up
    ("Deux policiers et un civil ont été tués par les tirs.",
     {"killed": (2, "exact"), "killed_civilians": (1, "exact")}),
    ("Cinq soldats et au moins 7 rebelles ont été tués dans les combats.",
     {"killed": (12, "at_least")}),
    ("Le dernier bilan fait état de 11 soldats et 2 civils tués.",
     {"killed": (11, "exact"), "killed_civilians": (2, "exact")}),
    # attackers are not casualties
    ("Quatre assaillants ont été tués par les forces de sécurité.", {}),
    ("Deux kamikazes, dont une femme, se sont fait exploser devant la mosquée.", {}),
    ("Les insurgés ont tué 6 policiers; trois assaillants ont été abattus.",
     {"killed": (6, "exact")}),
    # tolls: "porte à N le nombre de" wins over partial counts
    ("La découverte de 5 corps porte à 38 le nombre de morts de l'attaque.",
     {"killed": (38, "exact")}),
    ("Ce nouveau bilan porte à 210, dont 51 enfants, le nombre de civils tués en un mois.",
     {"killed_civilians": (210, "exact"), "killed_children": (51, "exact")}),
    ("Les combats ont porté le nombre de victimes à 70 morts et 140 blessés.",
     {"killed": (70, "exact"), "injured": (140, "exact")}),
    ("Il y a plus de 30 victimes, des morts et des blessés.", {}),
    ("Le nombre de morts s'élève désormais à 56, selon l'ONU.", {"killed": (56, "exact")}),
    ("Le bilan des victimes civiles atteint 210 depuis janvier.",
     {"killed_civilians": (210, "exact")}),
    # counts named by the noun of an action
    ("Le massacre de 30 villageois a été dénoncé par l'ONU.", {"killed": (30, "exact")}),
    ("L'exode de 50 000 personnes inquiète les humanitaires.", {"displaced": (50000, "exact")}),
    ("La police a annoncé l'arrestation de 12 personnes.", {"detained": (12, "exact")}),
    ("Les secouristes ont évacué 40 blessés vers la frontière.", {"evacuated": (40, "exact")}),
    # a plural count does not take a singular participle of another subject
    ("Les trois femmes ont déposé le colis avant que le chauffeur ne soit tué.", {}),
    # the first mention of a key is kept
    ("Le bilan est passé à 41 morts, contre 29 morts selon un bilan précédent.",
     {"killed": (41, "exact")}),
    # stated zero
    ("L'attaque n'a fait aucune victime selon l'armée.", {"killed": (0, "exact")}),
    ("Il n'y a eu aucun blessé.", {"injured": (0, "exact")}),
    # evacuated, displaced, detained, aid
    ("Plus de 4.000 civils ont été évacués vers la province voisine, dont 300 blessés.",
     {"evacuated": (4000, "at_least")}),
    ("Environ 120 ressortissants français ont été rapatriés par avion militaire.",
     {"evacuated": (120, "approx")}),
    ("Un premier groupe de 95 étaient à bord de l'appareil.", {"evacuated": (95, "exact")}),
    ("Près de 12 000 habitants ont fui la ville depuis lundi.", {"displaced": (12000, "approx")}),
    ("Le conflit a fait 3,2 millions de déplacés.", {"displaced": (3200000, "exact")}),
    ("Quelque 800 familles ont quitté leurs foyers à cause des combats.",
     {"displaced": (800, "approx")}),
    ("La police a interpellé 17 manifestants samedi.", {"detained": (17, "exact")}),
    ("Une trentaine de suspects ont été arrêtés.", {"detained": (30, "approx")}),
    ("Deux combattants ont été tués et quatre faits prisonniers.",
     {"killed": (2, "exact"), "detained": (4, "exact")}),
    ("Un convoi a livré 32 tonnes d'aide humanitaire à la ville assiégée.",
     {"aid_tonnes": (32, "exact")}),
])
def test_find_figures(sentence: str, expected: dict[str, tuple[int, str]]) -> None:
    assert figs(sentence) == expected


@pytest.mark.parametrize("sentence", [
    "Des dizaines de personnes ont été tuées dans les bombardements.",
    "Des milliers de civils ont fui les combats.",
    "Plusieurs centaines de personnes ont été blessées.",
    "De nombreux civils ont été tués, selon des témoins.",
    "Le village se trouve à 12 km de la ville, où 40 % des maisons sont détruites.",
    "L'attaque a commencé vers 23H00 et s'est terminée à 2h30.",
    "Le 14 mars 2019, l'armée est entrée dans la ville.",
    "Un nourrisson de trois mois a été retrouvé vivant sous les décombres.",
    "L'aviation a mené 48 raids et détruit 12 chars et 20 véhicules.",
    "Les 3 000 obus tirés ont touché deux hôpitaux dans 5 pays.",
    "La ville compte 250 000 habitants et accueille 8000 hommes de la force de l'ONU.",
    "Selon des sources locales, le bilan pourrait dépasser les 100 morts.",
    "Un des derniers alliés du régime a envoyé un Antonov-124 à Damas.",
    "Les 15 000 soldats qui défendaient la ville se sont repliés.",
    "Les ministres de 20 pays se sont réunis à Paris.",
    "Le convoi transportait 5 tonnes d'explosifs.",
])
def test_not_figures(sentence: str) -> None:
    assert find_figures(sentence) == []


def test_mentions_carry_offsets_of_the_number_phrase() -> None:
    sentence = "Mardi, au moins 31 personnes ont été tuées, dont quatorze enfants."
    mentions = find_figures(sentence)
    assert mentions == [
        FigureMention("killed", 31, "at_least", 7, 18),
        FigureMention("killed_children", 14, "exact", 49, 57),
    ]
    assert sentence[7:18] == "au moins 31"
    assert sentence[49:57] == "quatorze"


def test_nbsp_thousands_and_typographic_apostrophe() -> None:
    assert figs("Plus d’un millier de civils ont été évacués.") == {
        "evacuated": (1000, "at_least")}
    assert figs("Au moins 25\u00a0000 personnes ont fui.") == {"displaced": (25000, "at_least")}


def test_huge_unpunctuated_input_is_read() -> None:
    """Pathological inputs return (their cost is measured by bench/stages.py)."""
    chunks = ["au moins 3 personnes et 1 2 3 tuant 4 civils dont 2 enfants des dizaines de "
              "morts porte à 5 le nombre de victimes vingt-et-un soldats ont péri "]
    text = (chunks[0] * (100_000 // len(chunks[0]) + 1))[:100_000]
    for sample in (text, "1 " * 50_000, "a" * 100_000, "deux " * 20_000):
        assert all(f.value >= 0 for f in find_figures(sample))
