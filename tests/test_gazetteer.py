"""Tests of the bundled gazetteer: keys, resolution, refusals, resources, speed."""
from __future__ import annotations

import math
import sqlite3

import pytest

from vigile.gazetteer import DEFAULT_DB, FUZZY_SIMILARITY, Gazetteer, Place, StaleGazetteer
from vigile.gazetteer.keys import fold, name_key, similarity, skeleton, spelling
from vigile.gazetteer.lexicon import LANG_ROOT, load_stopwords, tsv_rows


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.default()


def km(a: Place, b: Place) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


# -- keys -----------------------------------------------------------------

@pytest.mark.parametrize("variant", ["alep est", "ALEP-EST", "Alep–Est", " alep   est ", "Alèp-Est"])
def test_name_key_ignores_case_accents_hyphens_spaces(variant: str) -> None:
    assert name_key(variant) == name_key("Alep-Est") == "alepest"


def test_name_key_collapses_doubled_consonants_but_keeps_vowels() -> None:
    assert name_key("Raqqa") == name_key("Raqa")
    assert name_key("Deir ez-Zor") == name_key("Deir Ezzor")
    assert name_key("Sana") != name_key("Sanaa")


def test_fold_splits_apostrophes() -> None:
    assert fold("L’Alep-Est") == "l alep est"
    assert fold("province d'Idleb") == "province d idleb"


@pytest.mark.parametrize("french, english", [
    ("Khan Cheikhoun", "Khān Shaykhūn"),
    ("Maaret al-Noomane", "Ma‘arrat an Nu‘mān"),
    ("Jisr al-Choughour", "Jisr ash Shughūr"),
    ("Koundouz", "Kunduz"),
])
def test_skeleton_matches_french_and_english_transliterations(french: str, english: str) -> None:
    assert skeleton(french) == skeleton(english) != ""
    assert similarity(spelling(french), spelling(english)) >= FUZZY_SIMILARITY


def test_spelling_similarity_rejects_consonant_coincidences() -> None:
    # same skeleton "kbn", different places (a Damascus district and Kobani)
    assert skeleton("Qaboun") == skeleton("Kobani")
    assert similarity(spelling("Qaboun"), spelling("Kobani")) < FUZZY_SIMILARITY


# -- resolve: the contract's examples ---------------------------------------

@pytest.mark.parametrize("mention, countries, name, iso, kind", [
    ("Alep", (), "Aleppo", "SY", "city"),
    ("Alep-Est", (), "Aleppo", "SY", "city"),
    ("Alep Ouest", (), "Aleppo", "SY", "city"),
    ("Damas", (), "Damascus", "SY", "city"),
    ("Lattaquié", (), "Latakia", "SY", "city"),
    ("Idleb", (), "Idlib", "SY", "city"),
    ("Idlib", (), "Idlib", "SY", "city"),
    ("Mossoul", (), "Mosul", "IQ", "city"),
    ("Palmyre", (), "Palmyra", "SY", "city"),
    ("Raqa", (), "Raqqa", "SY", "city"),
    ("Raqqa", (), "Raqqa", "SY", "city"),
    ("Deir ez-Zor", (), "Deir ez-Zor", "SY", "city"),
    ("Deir Ezzor", (), "Deir ez-Zor", "SY", "city"),
    ("Kaboul", (), "Kabul", "AF", "city"),
    ("Tombouctou", (), "Timbuktu", "ML", "city"),
    ("Mogadiscio", (), "Mogadishu", "SO", "city"),
    ("Syrte", (), "Sirte", "LY", "city"),
    ("Beyrouth", (), "Beirut", "LB", "city"),
    ("Genève", (), "Geneva", "CH", "city"),
    ("Moscou", (), "Moscow", "RU", "city"),
    ("Gao", ("ML",), "Gao", "ML", "city"),
    ("Syrie", (), "Syria", "SY", "country"),
])
def test_resolve_contract_examples(gaz: Gazetteer, mention: str, countries: tuple[str, ...],
                                   name: str, iso: str, kind: str) -> None:
    place = gaz.resolve(mention, countries)
    assert place is not None
    assert (place.name, place.country, place.kind) == (name, iso, kind)


def test_tripoli_follows_country_context(gaz: Gazetteer) -> None:
    libya, lebanon = gaz.resolve("Tripoli", ["LY"]), gaz.resolve("Tripoli", ["LB"])
    assert libya is not None and libya.country == "LY"
    assert lebanon is not None and lebanon.country == "LB"
    assert gaz.resolve("Tripoli") == libya          # the bigger one without a hint
    assert gaz.resolve("Tripoli", ["SY", "LB"]) == lebanon   # any context country counts


def test_world_city_beats_tiny_namesake_in_context(gaz: Gazetteer) -> None:
    moscow = gaz.resolve("Moscou", ["SY"])
    assert moscow is not None and moscow.country == "RU"


@pytest.mark.parametrize("mention, iso", [
    ("Irak", "IQ"), ("l'Irak", "IQ"), ("Liban", "LB"), ("Libye", "LY"), ("Somalie", "SO"),
    ("Etats-Unis", "US"), ("États-Unis", "US"), ("Russie", "RU"), ("Turquie", "TR"),
    ("Tchad", "TD"), ("Niger", "NE"), ("Nigeria", "NG"), ("Afghanistan", "AF"), ("Yémen", "YE"),
    ("Soudan du Sud", "SS"), ("RDC", "CD"), ("République démocratique du Congo", "CD"),
    ("Centrafrique", "CF"), ("France", "FR"), ("la Syrie", "SY"),
])
def test_country_names_in_french(gaz: Gazetteer, mention: str, iso: str) -> None:
    place = gaz.resolve(mention)
    assert place is not None and (place.kind, place.country) == ("country", iso)


# -- heads, articles, parts -------------------------------------------------

@pytest.mark.parametrize("mention, name, kind", [
    ("province d'Idleb", "Idlib Governorate", "region"),
    ("la province d'Idleb", "Idlib Governorate", "region"),
    ("gouvernorat de Homs", "Homs Governorate", "region"),
    ("ville de Raqqa", "Raqqa", "city"),
    ("la Ghouta orientale", "Eastern Ghouta", "region"),
    ("Kalamoun", "Qalamoun", "region"),
    ("quartier de Soukkari", "Sukkari", "site"),
    ("nord de la Syrie", "Syria", "country"),
    ("l'est d'Alep", "Aleppo", "city"),
    ("Mossoul-Ouest", "Mosul", "city"),
])
def test_heads_articles_and_parts(gaz: Gazetteer, mention: str, name: str, kind: str) -> None:
    place = gaz.resolve(mention)
    assert place is not None and (place.name, place.kind) == (name, kind)


def test_region_head_falls_back_to_the_cities_region(gaz: Gazetteer) -> None:
    # no overlay form: "province de Kandahar" must find the province through the city
    place = gaz.resolve("province de Kandahar")
    city = gaz.resolve("Kandahar")
    assert place is not None and place.kind == "region" and place.country == "AF"
    assert city is not None and city.kind == "city" and km(place, city) < 150


def test_region_does_not_outrank_its_namesake_city(gaz: Gazetteer) -> None:
    candidates = gaz.lookup("Donetsk")
    assert candidates[0].kind == "city" and candidates[0].country == "UA"
    assert any(c.kind == "region" for c in candidates)


def test_site_carries_parent_city(gaz: Gazetteer) -> None:
    place = gaz.resolve("Soukkari")
    assert place is not None and place.kind == "site" and place.parent == "Aleppo"
    assert place.id.startswith("cur:")


# -- refusals ---------------------------------------------------------------

@pytest.mark.parametrize("word", ["Mardi", "Sana", "Plus", "Lire", "Ban", "Sahel", "Est", "Ali"])
def test_stopwords_are_refused(gaz: Gazetteer, word: str) -> None:
    assert gaz.lookup(word), f"{word} should be a GeoNames name, else the test proves nothing"
    assert gaz.resolve(word) is None


def test_stopword_with_a_head_still_resolves(gaz: Gazetteer) -> None:
    place = gaz.resolve("région du Sahel")
    assert place is not None and (place.kind, place.country) == ("region", "BF")


def test_tiny_out_of_context_hit_is_refused(gaz: Gazetteer) -> None:
    # "Bahram" is only a ~1,300-person Iranian village in the database
    alone = gaz.resolve("Bahram")
    assert alone is not None and alone.country == "IR"
    assert gaz.resolve("Bahram", ["AF"]) is None


def test_fuzzy_match_needs_context(gaz: Gazetteer) -> None:
    assert gaz.resolve("Koundouz") is None
    place = gaz.resolve("Koundouz", ["AF"])
    assert place is not None and place.name == "Kunduz" and place.country == "AF"


def test_unknown_and_empty_mentions(gaz: Gazetteer) -> None:
    assert gaz.resolve("Xqzvlorbt") is None
    assert gaz.resolve("") is None and gaz.lookup("  ") == []


# -- country() and demonym() -----------------------------------------------

def test_country_place(gaz: Gazetteer) -> None:
    syria = gaz.country("sy")
    assert syria is not None and syria.kind == "country" and syria.name == "Syria"
    assert 32 < syria.lat < 37.5 and 35.5 < syria.lon < 42.5
    assert gaz.country("ZZ") is None


@pytest.mark.parametrize("word, iso", [
    ("syrien", "SY"), ("syrienne", "SY"), ("Syriens", "SY"), ("syriennes", "SY"),
    ("russe", "RU"), ("afghan", "AF"), ("malien", "ML"), ("nigérian", "NG"),
    ("nigérianne", "NG"), ("nigérien", "NE"), ("somalien", "SO"), ("libyen", "LY"),
    ("irakien", "IQ"), ("turc", "TR"), ("turque", "TR"), ("américain", "US"),
    ("Américains", "US"), ("iranien", "IR"), ("libanais", "LB"), ("libanaises", "LB"),
    ("israélien", "IL"), ("palestinien", "PS"), ("yéménite", "YE"), ("ukrainien", "UA"),
    ("français", "FR"), ("tchadien", "TD"), ("burkinabè", "BF"), ("soudanais", "SD"),
    ("centrafricain", "CF"), ("camerounais", "CM"), ("égyptien", "EG"), ("tunisien", "TN"),
    ("algérien", "DZ"), ("marocain", "MA"), ("saoudien", "SA"), ("jordanien", "JO"),
])
def test_demonyms(gaz: Gazetteer, word: str, iso: str) -> None:
    assert gaz.demonym(word) == iso


@pytest.mark.parametrize("word", ["kurde", "Kurdes", "touareg", "maison", "Syrie"])
def test_words_without_a_state_give_no_country(gaz: Gazetteer, word: str) -> None:
    assert gaz.demonym(word) is None


# -- resources --------------------------------------------------------------

def _overlay_rows() -> list[list[str]]:
    return [(r + [""] * 8)[:8] for r in tsv_rows(LANG_ROOT / "fr" / "places.tsv")]


def test_overlay_forms_never_contradict_the_stoplist() -> None:
    stop = load_stopwords(LANG_ROOT / "fr" / "place_stopwords.txt")
    clashes = {f for r in _overlay_rows() for f in r[7].split("|") if f and name_key(f) in stop}
    assert not clashes


def test_overlay_ids_are_unique() -> None:
    ids = [r[0] for r in _overlay_rows()]
    assert len(ids) == len(set(ids))


def test_overlay_sites_lie_near_their_parent_city(gaz: Gazetteer) -> None:
    far = []
    for pid, name, country, kind, lat, lon, parent, _forms in _overlay_rows():
        if kind != "site" or not parent:
            continue
        site = Place(pid, name, country, float(lat), float(lon), kind, 0)
        near = [c for c in gaz.lookup(parent) if c.country == country and km(site, c) <= 40]
        if not near:
            far.append((pid, parent))
    assert not far


def test_overlay_places_lie_in_their_country(gaz: Gazetteer) -> None:
    # a swapped lat/lon, a lost sign or a wrong country code puts a place far
    # from every GeoNames town of its country (2 degrees = a generous margin)
    rows = [r for r in _overlay_rows() if r[4]]
    countries = sorted({r[2] for r in rows})
    with sqlite3.connect(DEFAULT_DB) as db:
        towns = db.execute("SELECT country, lat, lon FROM places WHERE kind = 'city' AND country IN "
                           f"({','.join('?' * len(countries))})", countries).fetchall()
    grid = {(c, round(y), round(x)) for c, y, x in towns}
    far = [r[0] for r in rows
           if not any((r[2], round(float(r[4])) + dy, round(float(r[5])) + dx) in grid
                      for dy in (-2, -1, 0, 1, 2) for dx in (-2, -1, 0, 1, 2))]
    assert not far
    assert all(gaz.country(r[2]) is not None for r in _overlay_rows())


# -- database and speed -----------------------------------------------------

def test_database_counts(gaz: Gazetteer) -> None:
    counts = gaz.counts
    assert counts["city"] > 200_000 and counts["region"] > 3_000 and counts["country"] > 240
    assert counts["names"] > 500_000


def test_stale_database_is_refused(tmp_path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('key_version', '0')")
    with pytest.raises(StaleGazetteer):
        Gazetteer(path)



def test_world_city_beats_a_hamlet_of_an_article_country(gaz: Gazetteer) -> None:
    # "Paris" in a story about Syria and Russia is Paris, not a Russian hamlet
    for countries in (["SY", "RU", "IR"], ["SY", "RU", "FR", "IR"]):
        place = gaz.resolve("Paris", countries)
        assert place is not None and (place.name, place.country) == ("Paris", "FR")


def test_small_namesake_in_context_yields_to_a_much_bigger_town(gaz: Gazetteer) -> None:
    # an article naming the United States (and Switzerland) still means Geneva, Switzerland
    for countries in (["SY", "DE", "US"], ["SY", "US", "DE", "CH"]):
        place = gaz.resolve("Genève", countries)
        assert place is not None and place.country == "CH", countries
