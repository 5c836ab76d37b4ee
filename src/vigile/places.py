"""Stage 5b — places: toponyms in a sentence, resolved against the gazetteer.

Candidates come from three readers, because each misses what another finds:
spaCy's LOC/MISC entities; capitalised word runs (NER tags "Jabal Badro" as
a person); and *site patterns* — a head noun such as "quartier", "village",
"base", "hôpital", "palais" followed by a name, including lists ("les
quartiers de A, B et C"). A site the gazetteer does not know is still a
place: it takes the coordinates of the city it is in (the nearest city in
the sentence, else the article's main city), which is how annotators code
neighbourhoods and landmarks.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Iterable, Sequence

from vigile.gazetteer import Gazetteer, Place
from vigile.nlp import Entity
from vigile.resources import load_yaml

_PRECISION_RANK = {"site": 0, "city": 1, "region": 2, "country": 3}
_UPPER = "A-ZÀ-ÖØ-Þ"
_NAME_WORD = rf"[{_UPPER}][\w'’-]*|[{_UPPER}0-9][{_UPPER}0-9-]+"


_ACRONYM = re.compile(r"[A-Z]{2,5}")


def _mark_enumerations(sentence: str, found: list[PlaceMention], pats: _Patterns) -> None:
    """Towns or sites named one after another ("sur Kiev, Lviv, Dnipro et
    Zaporijia") are an enumeration: each is a place of its own event."""
    found.sort(key=lambda p: p.start)
    chain: list[int] = []
    for i, p in enumerate(found):
        prev = found[i - 1] if i else None
        linked = (prev is not None and prev.precision == p.precision and p.precision in ("site", "city")
                  and pats.list_gap.fullmatch(sentence[prev.end:p.start]) is not None)
        if linked:
            chain.append(i)
        else:
            _flag(found, chain)
            chain = [i]
    _flag(found, chain)


def _flag(found: list[PlaceMention], chain: list[int]) -> None:
    if len(chain) > 1:
        for i in chain:
            found[i] = replace(found[i], listed=True)


#: How far (characters) from a site its containing city may be named.
_PARENT_REACH = 120


@dataclass(frozen=True)
class PlaceMention:
    start: int  # offsets within the sentence
    end: int
    mention: str
    place: Place
    listed: bool = False  # part of an enumeration of sites/towns ("A, B et C")

    @property
    def precision(self) -> str:
        return self.place.kind


@dataclass(frozen=True)
class _Patterns:
    capitalised: re.Pattern[str]  # a run of capitalised words, with name particles
    list_next: re.Pattern[str]  # ", Name" / " et Name" continuing an enumeration
    list_gap: re.Pattern[str]  # the text between two places of an enumeration
    locative_unknown: re.Pattern[str]
    site_heads: re.Pattern[str]
    town_lists: re.Pattern[str]
    prefixed: re.Pattern[str]
    region_heads: re.Pattern[str]
    not_event: re.Pattern[str]
    locative: re.Pattern[str]
    metonyms: frozenset[str]


@lru_cache(maxsize=None)
def _patterns(lang: str) -> _Patterns:
    data = load_yaml(lang, "places.yaml")
    particle = "|".join(re.escape(p) for p in data["name_particles"])
    full = rf"(?:{_NAME_WORD})(?:[ -](?:(?:{particle})[ -])?(?:{_NAME_WORD})){{0,4}}"
    joiners = "|".join(rf"\b{re.escape(j)}\b" for j in data["list_joiners"])
    # the head is case-insensitive, the name after it is not: (?-i:...)
    name = rf"(?P<name>(?-i:{full}))"
    adjectives = "|".join(data["site_head_adjectives"])
    prefixes = "|".join(data["toponym_prefixes"])
    return _Patterns(
        capitalised=re.compile(rf"(?<![\w-])(?:{full})"),
        list_gap=re.compile(rf"\s*(?:,|{joiners})\s*(?:(?:de |d'|d’|du |à )?(?:la |l'|l’)?)", re.IGNORECASE),
        list_next=re.compile(rf"\s*(?:,|{joiners})\s*(?:(?:de |d'|d’|du )?(?:la |l'|l’)?)((?:{full}))"),
        locative_unknown=re.compile(data["locative_unknown_before"], re.IGNORECASE),
        site_heads=re.compile(rf"\b(?:{'|'.join(data['site_heads'])})(?:\s+(?:{adjectives}))?\s+"
                              rf"(?:(?:de|du|des|d'|d’)\s*)?(?:(?:la|le|les|l'|l’)\s*)?{name}", re.IGNORECASE),
        region_heads=re.compile(rf"\b(?P<head>{'|'.join(data['region_heads'])})\s+(?:\w+\s+)?(?:de |d'|d’|du )"
                                rf"(?:la |l'|l’)?{name}", re.IGNORECASE),
        not_event=re.compile("|".join(f"(?:{p})" for p in data["not_event_place_before"]), re.IGNORECASE),
        prefixed=re.compile(rf"(?<![\w'’-])(?P<name>(?:{prefixes})[ -](?:(?:{particle})[ -])?"
                            rf"[{_UPPER}][\w'’-]+(?:[ -][{_UPPER}][\w'’-]+)?)"),
        town_lists=re.compile(rf"\b(?:{'|'.join(data['town_list_heads'])})\s+(?:de |d'|d’|du )?{name}",
                              re.IGNORECASE),
        locative=re.compile(rf"(?:{'|'.join(data['locative_before'])})\s*$", re.IGNORECASE),
        metonyms=frozenset(data["metonyms"]),
    )


class PlaceFinder:
    """Finds and resolves the places of sentences, given the article's countries."""

    def __init__(self, gazetteer: Gazetteer | None = None, lang: str = "fr") -> None:
        self.gaz = gazetteer or Gazetteer.default()
        self.lang = lang

    def resolve_span(self, text: str, countries: Sequence[str]) -> tuple[int, int, Place] | None:
        """The longest sub-span of ``text`` (whole words) that resolves, with its offsets."""
        words = [(m.start(), m.end()) for m in re.finditer(r"[^\s,()]+", text)]
        n = len(words)
        for size in range(n, 0, -1):
            for i in range(0, n - size + 1):
                a, b = words[i][0], words[i + size - 1][1]
                if not text[a].isupper():
                    continue  # "Défense civile" holds no town called "civile"
                place = self.gaz.resolve(text[a:b], countries)
                if place is not None:
                    return a, b, place
        return None

    def find(self, sentence: str, ents: Iterable[Entity], countries: Sequence[str],
             focus_city: Place | None) -> list[PlaceMention]:
        """Places named in one sentence (offsets relative to the sentence), in order."""
        ents = list(ents)
        blocked = [(e.start, e.end) for e in ents if e.label in ("PER", "ORG")]
        found: list[PlaceMention] = []

        def overlaps(a: int, b: int) -> bool:
            return any(f.start < b and a < f.end for f in found)

        def add(a: int, b: int, place: Place, listed: bool = False) -> None:
            if not overlaps(a, b):
                found.append(PlaceMention(a, b, sentence[a:b], place, listed))

        pats = _patterns(self.lang)
        # 1. sites introduced by a head noun, with their enumerations
        for m in pats.site_heads.finditer(sentence):
            self._add_run(sentence, m, countries, focus_city, add, site=True)
        # 1b. Arabic-prefixed toponyms NER takes for persons ("Jabal Badro")
        for m in pats.prefixed.finditer(sentence):
            self._add_run(sentence, m, countries, focus_city, add, site=True)
        # 1c. first-level regions named with their head ("la province d'Idlib")
        for m in pats.region_heads.finditer(sentence):
            place = self.gaz.resolve(f"{m.group('head').lower()} de {m.group('name')}", countries)
            if place is not None and place.kind in ("region", "country") and self._plausible(place, countries):
                add(m.start("name"), m.end("name"), place)
        # 2. towns introduced by a plural head ("les villes d'A, B et C")
        for m in pats.town_lists.finditer(sentence):
            self._add_run(sentence, m, countries, focus_city, add, site=False)
        # 3. entities and capitalised runs
        ner_spans = {(e.start, e.end) for e in ents if e.label in ("LOC", "MISC")}
        spans = set(ner_spans)
        for m in pats.capitalised.finditer(sentence):
            if sentence[:m.start()].strip(" «\"“'(-—") == "" and " " not in m.group(0):
                continue  # a capital at the start of a sentence says nothing
            spans.add((m.start(), m.end()))
        for a, b in sorted(spans):
            if overlaps(a, b) or not sentence[a:a + 1].isupper():
                continue
            hit = self.resolve_span(sentence[a:b], countries)
            if hit is None:
                after_locative = pats.locative_unknown.search(sentence[max(0, a - 12):a])
                if (a, b) in ner_spans and focus_city is not None and after_locative:
                    # "un gisement de pétrole à Teïm": a place NER knows and we do not
                    name = sentence[a:b]
                    add(a, b, Place(id=f"site:{name}", name=name, country=focus_city.country, lat=focus_city.lat,
                                    lon=focus_city.lon, kind="site", population=0, parent=focus_city.name))
                continue
            ha, hb, place = hit
            ha, hb = a + ha, a + hb
            if place.kind != "country" and any(x <= ha and hb <= y for x, y in blocked):
                continue  # a person's or organisation's name that looks like a town
            if not self._plausible(place, countries, ner=(a, b) in ner_spans):
                continue
            if not self._locative(sentence, ha, place, pats):
                continue
            if _ACRONYM.fullmatch(sentence[ha:hb]) and place.kind != "country":
                continue  # "FSR", "ONU": an acronym, whatever town it sounds like
            add(ha, hb, place)
        _mark_enumerations(sentence, found, pats)
        return sorted((f for f in found if not pats.not_event.search(sentence[max(0, f.start - 60):f.start])),
                      key=lambda p: p.start)

    @staticmethod
    def _plausible(place: Place, countries: Sequence[str], ner: bool = False) -> bool:
        """A name must fit the story: a country, a place in one of the article's
        main countries, or a city large enough to be news on its own — larger
        still when NER did not call it a place ("Homme", "Casques" are towns too)."""
        if place.kind == "country" or place.id.startswith("cur:") or (countries and place.country == countries[0]):
            return True
        if place.country in countries[:3] and place.population >= 15_000:
            return True
        return place.population >= (50_000 if ner else 200_000)

    @staticmethod
    def _locative(sentence: str, start: int, place: Place, pats: _Patterns) -> bool:
        """Countries and capitals often stand for governments ("la Russie a mis en
        garde", "l'annonce de Moscou"); they are places only after a locative."""
        if place.kind != "country" and place.name not in pats.metonyms:
            return True
        return bool(pats.locative.search(sentence[max(0, start - 30):start]))

    def _add_run(self, sentence: str, m: re.Match[str], countries: Sequence[str],
                 focus_city: Place | None, add, site: bool) -> None:
        """Add the name after a head noun and the names listed after it."""
        names = [(m.start("name"), m.end("name"))]
        pos = m.end("name")
        while True:
            nxt = _patterns(self.lang).list_next.match(sentence, pos)
            if not nxt:
                break
            names.append((nxt.start(1), nxt.end(1)))
            pos = nxt.end(1)
        listed = len(names) > 1
        parent = self._parent_city(sentence, m.start(), m.end(), countries) or focus_city
        for a, b in names:
            text = sentence[a:b]
            place = self.gaz.resolve(text, countries)
            if place is not None and not self._plausible(place, countries):
                place = None
            if place is None or (site and place.kind in ("country", "region")):
                if parent is None:
                    continue
                place = Place(id=f"site:{text}", name=text, country=parent.country, lat=parent.lat,
                              lon=parent.lon, kind="site", population=0, parent=parent.name)
            add(a, b, place, listed)

    def _parent_city(self, sentence: str, start: int, end: int, countries: Sequence[str]) -> Place | None:
        """The city of the article's main country named closest to a site (its
        container), outside the site's own words [start, end)."""
        best: tuple[int, Place] | None = None
        for m in _patterns(self.lang).capitalised.finditer(sentence):
            if start <= m.start() < end:
                continue
            place = self.gaz.resolve(m.group(0), countries)
            if place is None or place.kind != "city" or not countries or place.country != countries[0]:
                continue
            dist = abs(m.start() - start)
            if dist <= _PARENT_REACH and (best is None or dist < best[0]):
                best = (dist, place)
        return best[1] if best else None


def most_precise(mentions: Sequence[PlaceMention]) -> PlaceMention | None:
    """The most precise of several places (a site over its city over its country)."""
    if not mentions:
        return None
    return min(mentions, key=lambda p: (_PRECISION_RANK.get(p.precision, 9), p.start))


def as_site_of(mention: PlaceMention, city: Place) -> PlaceMention:
    """Re-anchor an unresolved site on a city found later in the article."""
    return replace(mention, place=replace(mention.place, country=city.country, lat=city.lat, lon=city.lon))
