from vigile.actors import find_actors, find_sources


def test_sources_from_attribution_frames():
    s = "Au moins dix civils ont été tués à Idleb, selon l'Observatoire syrien des droits de l'homme (OSDH)."
    assert find_sources(s, ["SY"]) == ["Syrian Observatory for Human Rights"]
    s = "Les tirs ont cessé vendredi, a affirmé à l'AFP une source de sécurité."
    assert "AFP" in find_sources(s, ["SY"])


def test_no_attribution_no_source():
    assert find_sources("L'AFP compte trois bureaux dans la région.", ["SY"]) == []


def test_country_specific_alias():
    s = "Le régime a bombardé la banlieue de Damas."
    assert [a.name for a in find_actors(s, ["SY"])] == ["Syrian Army"]
    assert find_actors(s, ["IR"]) == []


def test_actor_in_attribution_is_a_source_not_an_actor():
    s = "Des combats ont éclaté à Raqqa, selon l'OSDH et les FDS."
    assert "Syrian Democratic Forces" not in [a.name for a in find_actors(s, ["SY"])]
    s = "Les FDS ont repris le quartier, selon l'OSDH."
    assert [a.name for a in find_actors(s, ["SY"])] == ["Syrian Democratic Forces"]


def test_target_is_not_the_actor():
    s = "Des raids ont visé des positions de l'EI près de Mossoul."
    assert "Islamic State" not in [a.name for a in find_actors(s, ["IQ"])]
