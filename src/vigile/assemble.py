"""Stage 6 — assemble: sentence-level mentions → one record per (type, place, day).

This is where the readers of the earlier stages meet. For each sentence it
ties every cue to a place (the most precise one near the cue, or each town of
an enumeration, else the place the story is at), a day (a day named in the
sentence, else the story's current day), figures (each figure to exactly one
compatible mention), actors and sources; then it merges mentions of the same
(type, place, day), keeping the first figure stated for each key (the lead
of an article carries the latest toll) and every source.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from vigile.actors import attribution_spans, find_actors, find_sources
from vigile.clean import CleanText
from vigile.dates import DateMention, find_dateline, find_dates
from vigile.detect import Cue, find_cues, is_background, is_toll
from vigile.figures import FigureMention, find_figures
from vigile.nlp import Entity
from vigile.places import _PRECISION_RANK, PlaceFinder, PlaceMention, most_precise
from vigile.schema import Article, EventRecord, Figure, Location
from vigile.sentences import Sentence

#: Which figure keys an event type can carry.
_VIOLENT = {"killed", "killed_civilians", "killed_children", "killed_women", "injured"}
FIGURE_KEYS_BY_TYPE: dict[str, set[str]] = {
    **{t: _VIOLENT for t in ("armed_clash", "air_strike", "shelling", "bombing",
                             "violence_against_civilians", "casualty_toll")},
    "evacuation": {"evacuated"},
    "displacement": {"displaced"},
    "aid_delivery": {"aid_tonnes"},
    "arrest": {"detained"},
}
#: Cue types whose generic words name the cause of a toll rather than an incident.
_TOLL_CAUSES = {"air_strike", "shelling", "armed_clash", "bombing"}
#: How far (characters) a place may stand from its cue and still be its place.
_PLACE_REACH = 160
_WORD = re.compile(r"[\w'’-]+")
#: "cette ville", "la localité": the sentence is about the place the story is at.
_ANAPHORA = re.compile(r"\b(cette|la même|ladite)\s+(ville|localité|cité|zone|agglomération|région)\b", re.IGNORECASE)


@dataclass
class Mention:
    """One event reported in one sentence, before merging."""

    type: str
    sentence: Sentence
    cue: Cue | None
    place: PlaceMention | None
    day: dt.date | None
    actors: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    figures: dict[str, Figure] = field(default_factory=dict)


def article_countries(finder: PlaceFinder, text: str, ents: Sequence[Entity]) -> list[str]:
    """The article's countries by salience: named countries, demonyms, towns' countries."""
    counts: Counter[str] = Counter()
    for e in ents:
        if e.label in ("LOC", "MISC"):
            place = finder.gaz.resolve(e.text, ())
            if place is not None:
                counts[place.country] += 2 if place.kind == "country" else 1
    for m in _WORD.finditer(text):
        word = m.group(0)
        if word[:1].islower():
            iso = finder.gaz.demonym(word)
            if iso:
                counts[iso] += 1
    return [c for c, _ in counts.most_common()]


def _focus_city(sent_places: Sequence[Sequence[PlaceMention]], countries: Sequence[str]) -> PlaceMention | None:
    """The city the story is about: the most named one of its main countries (earliest on ties)."""
    counts: Counter[str] = Counter()
    first: dict[str, PlaceMention] = {}
    for places in sent_places:
        for p in places:
            if p.precision == "city" and (not countries or p.place.country in countries[:2]):
                counts[p.place.id] += 1
                first.setdefault(p.place.id, p)
    if not counts:
        return None
    return first[counts.most_common(1)[0][0]]


def _pick_places(cue: Cue, places: Sequence[PlaceMention], attributions: Sequence[tuple[int, int]]
                 ) -> list[PlaceMention]:
    """The place(s) of a cue: an enumeration after it gives one each, else the most precise near it."""
    usable = [p for p in places if not any(a <= p.start < b for a, b in attributions)] or list(places)
    listed = [p for p in usable if p.listed and p.start >= cue.start]
    if listed:
        return listed
    near = [p for p in usable if p.start - _PLACE_REACH <= cue.end and cue.start - _PLACE_REACH <= p.end]
    if not near:
        return []
    # the most precise kind of place, and of those the one closest to the cue
    rank = min(_PRECISION_RANK[p.precision] for p in near)
    best = [p for p in near if _PRECISION_RANK[p.precision] == rank]
    return [min(best, key=lambda p: _distance(cue, p))]


def _distance(cue: Cue, p: PlaceMention) -> int:
    """Characters between a cue and a place (a place after the cue counts a little closer)."""
    if p.start >= cue.end:
        return (p.start - cue.end) * 3 // 4
    return max(0, cue.start - p.end)


def _pick_day(cue_start: int, dates: Sequence[DateMention]) -> dt.date | None:
    days = [d for d in dates if d.kind == "day" and d.day is not None]
    if not days:
        return None
    return min(days, key=lambda d: abs(d.start - cue_start)).day


def _assign_figures(mentions: Sequence[Mention], figures: Sequence[FigureMention]) -> None:
    """Give each figure to one compatible mention: the one whose place is the nearest
    before the figure when the sentence lists several places, else the first."""
    for fig in figures:
        fits = [m for m in mentions if fig.key in FIGURE_KEYS_BY_TYPE.get(m.type, ())]
        if not fits:
            continue
        placed = [m for m in fits if m.place is not None and m.place.listed and m.place.start <= fig.start]
        target = max(placed, key=lambda m: m.place.start) if placed else fits[0]  # type: ignore[union-attr]
        target.figures.setdefault(fig.key, Figure(value=fig.value, qualifier=fig.qualifier))


def _location(p: PlaceMention | None) -> Location | None:
    if p is None:
        return None
    return Location(name=p.place.name, mention=p.mention,
                    country=p.place.country, lat=round(p.place.lat, 4), lon=round(p.place.lon, 4),
                    precision=p.precision)  # type: ignore[arg-type]


def _country_place(finder: PlaceFinder, countries: Sequence[str]) -> PlaceMention | None:
    if not countries:
        return None
    place = finder.gaz.country(countries[0])
    return PlaceMention(0, 0, place.name, place) if place else None


def assemble(article: Article, clean: CleanText, sentences: Sequence[Sentence],
             ents: Sequence[Entity], finder: PlaceFinder, lang: str = "fr") -> list[EventRecord]:
    """The event records of one article."""
    reference = article.published or find_dateline(article.text)
    countries = article_countries(finder, clean.text, ents)
    sent_ents = [[Entity(e.start - s.start, e.end - s.start, e.label, e.text)
                  for e in ents if s.start <= e.start and e.end <= s.end] for s in sentences]
    sent_places = [finder.find(s.text, se, countries, None) for s, se in zip(sentences, sent_ents)]
    focus = _focus_city(sent_places, countries)
    if focus is not None:
        # second look with a focus city, so that unresolved sites get coordinates
        sent_places = [finder.find(s.text, se, countries, focus.place) for s, se in zip(sentences, sent_ents)]
    country_place = _country_place(finder, countries)
    fallback_place = focus or country_place

    mentions: list[Mention] = []
    story_place: PlaceMention | None = fallback_place
    story_day: dt.date | None = reference
    for sent, places in zip(sentences, sent_places):
        dates = find_dates(sent.text, reference)
        if is_background(sent.text, dates, reference, lang):
            continue
        cues = find_cues(sent.text, lang)
        figures = find_figures(sent.text)
        killed_like = [f for f in figures if f.key in _VIOLENT]
        toll = is_toll(sent.text, [f.start for f in killed_like], lang)
        if toll:
            cues = [c for c in cues if not (c.generic and c.type in _TOLL_CAUSES)]
        attributions = attribution_spans(sent.text, lang)
        sources = find_sources(sent.text, countries, lang)
        actors = [a.name for a in find_actors(sent.text, countries, lang)]
        actors = list(dict.fromkeys(actors))
        sent_mentions: list[Mention] = []
        if _ANAPHORA.search(sent.text) and story_place is not None:
            places = [p for p in places if p.precision in ("site", "city")]
        if toll:
            # a toll without a place of its own is the war's: the article's country
            place = most_precise([p for p in places if not any(a <= p.start < b for a, b in attributions)])
            sent_mentions.append(Mention("casualty_toll", sent, None, place or country_place or story_place,
                                         reference, [], sources))
        for cue in cues:
            day = _pick_day(cue.start, dates) or story_day
            for place in _pick_places(cue, places, attributions) or [story_place]:
                sent_mentions.append(Mention(cue.type, sent, cue, place, day, list(actors), list(sources)))
        if not sent_mentions and killed_like and mentions:
            # a figure-only sentence ("Quelque 45 personnes avaient trouvé la mort")
            # completes the last violent event of the story
            last = next((m for m in reversed(mentions) if m.type in FIGURE_KEYS_BY_TYPE
                         and FIGURE_KEYS_BY_TYPE[m.type] is _VIOLENT), None)
            if last is not None:
                _assign_figures([last], killed_like)
            continue
        _assign_figures(sent_mentions, figures)
        for m in sent_mentions:
            if m.place is not None and m.place.precision in ("site", "city"):
                story_place = m.place
        named = [d.day for d in dates if d.kind == "day" and d.day is not None]
        if named and sent_mentions:
            story_day = named[-1]
        mentions.extend(sent_mentions)
    return merge(mentions, clean.original)


def merge(mentions: Sequence[Mention], original: str) -> list[EventRecord]:
    """One record per (type, place, day): first figure per key, all actors and sources."""
    records: dict[tuple, EventRecord] = {}
    for m in mentions:
        place_key = (m.place.place.name, m.place.place.country) if m.place else None
        key = (m.type, place_key, m.day)
        rec = records.get(key)
        if rec is None:
            s = m.sentence
            records[key] = EventRecord(
                type=m.type, date=m.day, location=_location(m.place),
                actors=list(m.actors), figures=dict(m.figures), sources=list(m.sources),
                evidence=original[s.start:s.end], evidence_start=s.start, evidence_end=s.end)
            continue
        for a in m.actors:
            if a not in rec.actors:
                rec.actors.append(a)
        for src in m.sources:
            if src not in rec.sources:
                rec.sources.append(src)
        for k, v in m.figures.items():
            rec.figures.setdefault(k, v)  # type: ignore[arg-type]
    return list(records.values())
