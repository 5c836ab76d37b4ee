"""Near-duplicates: copies, re-edited wire stories, shared passages, persistence.

The texts are invented for these tests. A re-edited sentence here carries
about one edit per 25 words, which is what 5-word shingles at a 0.5
threshold are meant to survive (see vigile.dedup).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vigile.dedup import DuplicateReport, NearDuplicates

HEADLINE = "Burkina Faso : au moins douze soldats tués dans une attaque près de Djibo"

# (wire sentence, the same sentence as re-edited by another outlet)
WIRE_PAR1 = [
    (("Au moins douze soldats ont été tués samedi dans l'attaque d'un poste militaire près de Djibo, dans le nord "
      "du Burkina Faso, a annoncé dimanche l'état-major des armées dans un communiqué."),
     ("Au moins douze soldats ont été tués samedi dans l'attaque d'un poste de l'armée près de Djibo, dans le nord "
      "du Burkina Faso, a annoncé dimanche l'état-major des armées dans un communiqué.")),
    (("Les assaillants, arrivés à moto en fin de matinée, ont incendié plusieurs véhicules avant de se replier "
      "vers la frontière malienne, selon une source sécuritaire jointe par téléphone."),
     ("Les assaillants, arrivés à moto en fin de matinée, ont incendié plusieurs véhicules avant de se replier "
      "vers la frontière malienne, selon une source militaire jointe par téléphone.")),
    (("Une vingtaine de blessés ont été évacués vers l'hôpital régional de Ouahigouya, où les équipes médicales "
      "manquent de sang et de matériel chirurgical, a précisé un responsable local."),
     ("Une vingtaine de blessés ont été évacués vers l'hôpital régional de Ouahigouya, où les équipes médicales "
      "manquent de sang et de matériel chirurgical, a indiqué un responsable local.")),
]
WIRE_PAR2 = [
    (("L'attaque n'a pas été revendiquée dans l'immédiat, mais la zone est régulièrement visée par des groupes "
      "affiliés à Al-Qaïda et à l'organisation État islamique."),
     ("Cette attaque n'a pas été revendiquée dans l'immédiat, mais la zone est régulièrement visée par des groupes "
      "affiliés à Al-Qaïda et à l'organisation État islamique (EI).")),
    (("Depuis le début de l'année, plus de deux cents civils et militaires ont été tués dans la province du Soum, "
      "selon un décompte établi par l'AFP à partir de sources locales et sécuritaires."),
     ("Depuis le début de l'année, plus de deux cents civils et militaires ont été tués dans la province du Soum, "
      "selon un décompte établi par l'AFP à partir de sources locales.")),
    (("Le gouvernement de transition a décrété trois jours de deuil national et promis de renforcer la présence "
      "de l'armée dans les communes les plus exposées du nord du pays."),
     ("Le gouvernement de transition a décrété trois jours de deuil national et a promis de renforcer la présence "
      "de l'armée dans les communes les plus exposées du nord du pays.")),
]
ADDED_PAR = [
    ("Dans la capitale Ouagadougou, plusieurs centaines de personnes se sont rassemblées dimanche soir devant le "
    "ministère de la Défense pour réclamer davantage de moyens pour les soldats déployés au front."),
    ("Des familles de militaires disparus ont également demandé des nouvelles de leurs proches, sans obtenir de "
    "réponse officielle, selon des témoins."),
]


def _text(headline: str, *paragraphs: list[str]) -> str:
    return "\n".join([headline, *(" ".join(p) for p in paragraphs)]) + "\n"


WIRE = _text(HEADLINE, [w for w, _ in WIRE_PAR1], [w for w, _ in WIRE_PAR2])
REEDIT = _text(HEADLINE, [r for _, r in WIRE_PAR1], [r for _, r in WIRE_PAR2], ADDED_PAR)

# A paragraph of background that two different articles on Sudan both carry.
SUDAN_BACKGROUND = [
    (("La guerre qui oppose depuis avril 2023 l'armée soudanaise aux Forces de soutien rapide du général "
      "Mohamed Hamdan Daglo a fait des dizaines de milliers de morts."),
     ("La guerre qui oppose depuis avril 2023 l'armée soudanaise aux Forces de soutien rapide (FSR) du général "
      "Mohamed Hamdan Daglo a fait des dizaines de milliers de morts.")),
    (("Plus de onze millions de personnes ont été déplacées par les combats, selon l'Organisation internationale "
      "pour les migrations, qui décrit la pire crise de déplacement au monde."),
     ("Plus de onze millions de personnes ont été déplacées par les combats, selon l'Organisation internationale "
      "pour les migrations, qui évoque la pire crise de déplacement au monde.")),
]
CONVOY = _text(
    "Soudan : un convoi humanitaire atteint enfin El-Facher",
    [("Un convoi de vingt camions du Programme alimentaire mondial est arrivé mardi à El-Facher, assiégée depuis "
      "plus d'un an par les paramilitaires, a annoncé l'agence onusienne."),
     ("Les camions transportaient de la farine, des lentilles et des compléments nutritionnels destinés aux "
      "enfants des camps de déplacés de Zamzam et d'Abou Chouk.")],
    [o for o, _ in SUDAN_BACKGROUND],
    [("Les humanitaires réclament depuis des mois l'ouverture de corridors sûrs vers le Darfour, où la famine a "
      "été déclarée dans plusieurs zones.")],
)
PORT_SUDAN = _text(
    "Des drones frappent le port de Port-Soudan, siège provisoire du gouvernement",
    [("Plusieurs drones ont visé dimanche à l'aube le port et un dépôt de carburant de Port-Soudan, sur la mer "
      "Rouge, provoquant un vaste incendie visible depuis le centre-ville."),
     ("L'armée a accusé les paramilitaires d'être à l'origine de l'attaque, la première de cette ampleur contre "
      "la ville où se sont installés le gouvernement et les agences de l'ONU.")],
    [r for _, r in SUDAN_BACKGROUND],
    [("Les vols commerciaux ont été suspendus à l'aéroport international jusqu'à nouvel ordre, a indiqué "
      "l'autorité de l'aviation civile dans un bref communiqué.")],
)


def _pairs(report: DuplicateReport, new_text: str, texts: dict[str, str]) -> set[tuple[str, str, str]]:
    """The passages as (new sentence, other article, other sentence) text triples."""
    return {(new_text[p.start:p.end], p.other_id, texts[p.other_id][p.other_start:p.other_end])
            for p in report.passages}


def test_exact_copy_is_a_duplicate_and_check_does_not_add() -> None:
    nd = NearDuplicates()
    nd.add("afp", WIRE)
    report = nd.check("copy", WIRE)
    assert report.duplicate_of == "afp"
    assert report.containment == 1.0
    assert len(report.passages) == 7  # headline + six sentences
    assert all(p.similarity == 1.0 and p.other_id == "afp" for p in report.passages)
    assert {(p.start, p.end) for p in report.passages} == {(p.other_start, p.other_end) for p in report.passages}
    # check() left the index alone; an indexed article is not its own duplicate
    assert nd.check("copy", WIRE) == report
    nd.add("copy", WIRE)
    again = nd.check("copy", WIRE)
    assert again.duplicate_of == "afp" and {p.other_id for p in again.passages} == {"afp"}
    assert nd.check("afp", WIRE).duplicate_of == "copy"


def test_reedited_wire_story_is_a_duplicate_with_passages_on_the_right_spans() -> None:
    nd = NearDuplicates()
    nd.add("convoy", CONVOY)
    nd.add("afp", WIRE)
    report = nd.check("reedit", REEDIT)
    assert report.duplicate_of == "afp"
    expected = {(HEADLINE, "afp", HEADLINE)} | {(r, "afp", w) for w, r in WIRE_PAR1 + WIRE_PAR2}
    assert _pairs(report, REEDIT, {"afp": WIRE}) == expected
    assert all(0.5 <= p.similarity < 1.0 for p in report.passages if REEDIT[p.start:p.end] != HEADLINE)
    assert report.containment == pytest.approx(7 / 9)  # the added paragraph is new
    assert [p.start for p in report.passages] == sorted(p.start for p in report.passages)


@pytest.mark.parametrize("threshold", [0.6, 0.7, 0.8, 0.9])
def test_lsh_candidates_under_the_threshold_are_not_reported(threshold: float) -> None:
    nd = NearDuplicates(threshold=threshold)
    nd.add("afp", WIRE)
    nd.add("convoy", CONVOY)
    for text in (REEDIT, PORT_SUDAN):
        assert all(p.similarity >= threshold for p in nd.check("new", text).passages)


def test_shared_paragraph_is_found_without_making_a_duplicate() -> None:
    nd = NearDuplicates()
    nd.add("convoy", CONVOY)
    report = nd.check("port", PORT_SUDAN)
    assert report.duplicate_of is None
    assert _pairs(report, PORT_SUDAN, {"convoy": CONVOY}) == {(r, "convoy", o) for o, r in SUDAN_BACKGROUND}
    assert report.containment == pytest.approx(2 / 6)
    # the same two sentences make a copy once copy_share is below their share;
    # of two equal sources the earlier indexed one is named, both are listed
    lenient = NearDuplicates(copy_share=0.3)
    lenient.add("convoy", CONVOY)
    lenient.add("convoy-bis", CONVOY)
    report = lenient.check("port", PORT_SUDAN)
    assert report.duplicate_of == "convoy"
    assert [p.other_id for p in report.passages] == ["convoy", "convoy-bis"] * 2


def test_unrelated_articles_share_nothing() -> None:
    nd = NearDuplicates()
    nd.add("afp", WIRE)
    for article_id, text in [("convoy", CONVOY), ("port", PORT_SUDAN)]:
        assert nd.check(article_id, text) == DuplicateReport(duplicate_of=None, containment=0.0, passages=[])


def test_signatures_layout_and_normalisation() -> None:
    nd = NearDuplicates()
    sigs = nd.signatures("afp", WIRE)
    assert [WIRE[a:b] for a, b, _ in sigs[:-1]] == [HEADLINE] + [w for w, _ in WIRE_PAR1 + WIRE_PAR2]
    assert sigs[-1][:2] == (-1, -1)
    assert {len(packed) for _, _, packed in sigs} == {128 * 4}
    # case, accents, apostrophes and punctuation are not edits; numbers are
    variant = "AU MOINS DOUZE SOLDATS ONT ETE TUES SAMEDI PRES DE DJIBO – SELON L’ETAT-MAJOR"
    same = NearDuplicates().signatures("x", "Au moins douze soldats ont été tués samedi près de Djibo, selon l'état-major.")
    assert NearDuplicates().signatures("y", variant)[0][2] == same[0][2]
    assert NearDuplicates().signatures("z", "Au moins 12 soldats ont été tués samedi près de Djibo.")[0][2] != \
        NearDuplicates().signatures("z", "Au moins 13 soldats ont été tués samedi près de Djibo.")[0][2]
    # sentences under min_words are not indexed but still count in the document
    short = NearDuplicates().signatures("s", "Djibo attaqué.\nDouze morts.")
    assert [s[:2] for s in short] == [(-1, -1)]


def test_sentences_split_on_lines_and_stops_in_linear_time() -> None:
    text = "Il a dit : « Non ? » Puis il est parti.\nLe convoi a parcouru 1.5 km (voir www.rfi.fr) sans incident"
    spans = [(a, b) for a, b, _ in NearDuplicates(min_words=1).signatures("s", text)[:-1]]
    assert [text[a:b] for a, b in spans] == [
        "Il a dit : « Non ? »", "Puis il est parti.", "Le convoi a parcouru 1.5 km (voir www.rfi.fr) sans incident"]
    start = time.perf_counter()
    NearDuplicates().signatures("dots", "Attente" + "." * 50_000 + "fin")
    assert time.perf_counter() - start < 2.0  # a backtracking split takes about a minute


def test_persistence_round_trip_gives_the_same_report() -> None:
    texts = {"afp": WIRE, "convoy": CONVOY}
    built, stored = NearDuplicates(), {}
    for article_id, text in texts.items():
        built.add(article_id, text)
        stored[article_id] = built.signatures(article_id, text)
    loaded = NearDuplicates()
    for article_id, sigs in stored.items():
        loaded.load(article_id, sigs)
    for article_id, text in [("reedit", REEDIT), ("port", PORT_SUDAN)]:
        report = loaded.check(article_id, text)
        assert report == built.check(article_id, text)
        assert report.passages
    with pytest.raises(ValueError):
        NearDuplicates().load("bad", [(0, 10, b"\0" * 100)])
    with pytest.raises(ValueError):
        loaded.load("afp", stored["afp"])


def _in_process(texts: dict[str, str]) -> dict:
    """Signatures and report of the re-edited story against two indexed articles, as JSON data."""
    nd = NearDuplicates()
    nd.add("afp", texts["afp"])
    nd.add("convoy", texts["convoy"])
    report = nd.check("reedit", texts["reedit"])
    return {"sigs": [[a, b, s.hex()] for a, b, s in nd.signatures("reedit", texts["reedit"])],
            "report": [report.duplicate_of, report.containment,
                       [[p.start, p.end, p.other_id, p.other_start, p.other_end, p.similarity]
                        for p in report.passages]]}


def test_deterministic_across_instances_and_processes() -> None:
    texts = {"afp": WIRE, "convoy": CONVOY, "reedit": REEDIT}
    expected = _in_process(texts)
    assert _in_process(texts) == expected
    child = (f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
             "from test_dedup import _in_process; print(json.dumps(_in_process(json.load(sys.stdin))))")
    for hash_seed in ("1", "2"):  # str hashes, hence set orders, differ between these processes
        out = subprocess.run([sys.executable, "-c", child], input=json.dumps(texts), capture_output=True,
                             text=True, check=True, env={**os.environ, "PYTHONHASHSEED": hash_seed})
        assert json.loads(out.stdout) == expected


def test_dev_set_seed_002_repeats_a_passage_of_seed_000(dev_set) -> None:
    with dev_set.open(encoding="utf-8") as f:
        texts = {d["id"]: d["text"] for d in map(json.loads, f) if d["id"] in ("seed-000", "seed-002")}
    nd = NearDuplicates()
    nd.add("seed-000", texts["seed-000"])
    report = nd.check("seed-002", texts["seed-002"])
    assert report.duplicate_of is None
    assert report.passages and {p.other_id for p in report.passages} == {"seed-000"}
    assert 0.0 < report.containment < 0.2


def test_a_sentence_held_by_many_articles_lists_the_earliest_but_counts_them_all() -> None:
    """A wire sentence republished by hundreds of outlets: the report names the
    ``max_sources`` earliest holders of each repeated sentence (a bounded
    report), while the copy decision still sees every holder."""
    nd = NearDuplicates(max_sources=4)
    headline, first = HEADLINE, WIRE_PAR1[0][0]
    for i in range(10):  # ten outlets carry the headline and the first sentence, with their own story
        nd.add(f"outlet-{i}", _text(headline, [first], [ADDED_PAR[i % 2]], [SUDAN_BACKGROUND[i % 2][0]]))
    # the eleventh carries the whole wire story among much else of its own
    nd.add("late-full", _text(headline, [w for w, _ in WIRE_PAR1], [w for w, _ in WIRE_PAR2], ADDED_PAR,
                              [o for o, _ in SUDAN_BACKGROUND]))
    report = nd.check("new", WIRE)
    by_sentence: dict[str, list[str]] = {}
    for p in report.passages:
        by_sentence.setdefault(WIRE[p.start:p.end], []).append(p.other_id)
    assert by_sentence[headline] == by_sentence[first] == ["outlet-0", "outlet-1", "outlet-2", "outlet-3"]
    assert by_sentence[WIRE_PAR2[0][0]] == ["late-full"]
    assert report.containment == 1.0
    # late-full holds all seven sentences, though it is the eleventh holder of two of them
    assert report.duplicate_of == "late-full"
    assert report.spans() == sorted({(p.start, p.end) for p in report.passages})
    assert len(report.spans()) == 7
    with pytest.raises(ValueError):
        NearDuplicates(max_sources=0)


def test_articles_indexed_in_a_failed_block_are_forgotten() -> None:
    """A batch of articles is indexed as it is stored; when its transaction
    rolls back, the index must be the one that never saw the batch."""
    paragraph = _text(HEADLINE, [w for w, _ in WIRE_PAR1])
    before, fresh = NearDuplicates(), NearDuplicates()
    for nd in (before, fresh):
        nd.add("afp", WIRE)
        nd.add("background", _text("Soudan : le contexte", [o for o, _ in SUDAN_BACKGROUND]))
    with pytest.raises(RuntimeError), before.tentative():
        before.add("copy", WIRE)  # shares every sentence and the document with afp
        before.add("paragraph", paragraph)
        before.add("copy-again", WIRE + "\nUn ajout de la rédaction, propre à ce journal et assez long.")
        raise RuntimeError("the transaction failed")
    for probe in (WIRE, paragraph):
        assert before.check("probe", probe) == fresh.check("probe", probe)
    before.add("copy", WIRE)  # forgotten, so it can be indexed again
    assert before.check("probe", WIRE) != fresh.check("probe", WIRE)
    with before.tentative():  # a block that ends well keeps what it indexed
        before.add("paragraph", paragraph)
    assert "paragraph" in {p.other_id for p in before.check("probe", paragraph).passages}


def test_storing_checks_without_naming_holders_and_gets_the_same_verdict() -> None:
    """``passages=False`` (what storing an article uses) skips the passages but
    keeps the copy decision, the containment and the repeated spans."""
    nd = NearDuplicates()
    for i, text in enumerate((CONVOY, WIRE, REEDIT)):
        nd.add(f"a{i}", text)
    extended = CONVOY + "\nUne phrase ajoutée par la rédaction, assez longue pour compter."
    for text in (WIRE, REEDIT, PORT_SUDAN, extended):
        full, short = nd.check("new", text), nd.check("new", text, passages=False)
        assert short.passages == [] and full.passages
        assert (short.duplicate_of, short.containment, short.spans()) == \
            (full.duplicate_of, full.containment, sorted({(p.start, p.end) for p in full.passages}))


def test_lsh_bands_find_the_candidates_datasketch_finds() -> None:
    """The index cuts its own LSH bands (vigile.dedup docstring says why); for
    the same signatures they must propose exactly what datasketch's MinHashLSH does."""
    import numpy as np
    from datasketch import MinHash, MinHashLSH

    from vigile.dedup import _Bands

    nd = NearDuplicates()
    texts = [WIRE, REEDIT, CONVOY, PORT_SUDAN, _text(HEADLINE, [o for o, _ in SUDAN_BACKGROUND], ADDED_PAR)]
    rows = {sig: np.frombuffer(sig, dtype="<u4") for i, text in enumerate(texts)
            for _, _, sig in nd.signatures(f"t{i}", text)}
    ours, theirs = _Bands(0.5, 128), MinHashLSH(threshold=0.5, num_perm=128)
    for sig, values in rows.items():
        ours.insert(sig, ours.keys_of(values))
        theirs.insert(sig, MinHash(num_perm=128, hashvalues=values, scheme="affine32"), check_duplication=False)
    probes = [np.frombuffer(sig, dtype="<u4") for i, text in enumerate(texts + [_text("Autre titre", ADDED_PAR)])
              for _, _, sig in NearDuplicates().signatures(f"p{i}", text.replace("a", "o", 3))]
    for values in list(rows.values()) + probes:
        assert ours.query(ours.keys_of(values)) == \
            set(theirs.query(MinHash(num_perm=128, hashvalues=values, scheme="affine32")))
    found = [len(ours.query(ours.keys_of(v))) for v in probes]
    assert any(found) and not all(n == len(rows) for n in found)  # some hits, not everything
