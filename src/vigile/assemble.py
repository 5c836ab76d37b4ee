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
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Optional, Sequence

from vigile.actors import attribution_spans, find_actors, find_sources
from vigile.clean import CleanText
from vigile.dates import DateMention, find_dateline, find_dates
from vigile.detect import Cue, find_cues, is_anaphoric, is_background, is_toll
from vigile.figures import FigureMention, find_figures
from vigile.nlp import Entity
from vigile.places import _PRECISION_RANK, PlaceFinder, PlaceMention, most_precise
from vigile.resources import load_yaml
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
#: In choosing a cue's place, one step coarser (site → city → region → country)
#: weighs like this many characters of distance.
_PRECISION_COST = 40
_MOVEMENT_TYPES = {"evacuation", "displacement", "aid_delivery"}
#: How far (characters) from its cue an actor may be named.
_ACTOR_REACH = 200
#: How far after a cue (characters) a place can be attached to it by a preposition.
_ATTACH_REACH = 40
_WORD = re.compile(r"[\w'’-]+")


@dataclass(frozen=True)
class _Patterns:
    war_wide: re.Pattern[str]
    updated_toll: re.Pattern[str]
    anaphora: re.Pattern[str]
    attributed_name: re.Pattern[str]
    reported_speech: re.Pattern[str]
    destination_before: re.Pattern[str]
    vague_attack: re.Pattern[str]
    bare_strike: re.Pattern[str]
    whole_country: re.Pattern[str]
    attached_place: re.Pattern[str]


@lru_cache(maxsize=None)
def _patterns(lang: str) -> _Patterns:
    data = load_yaml(lang, "assemble.yaml")
    return _Patterns(**{k: re.compile(v, re.IGNORECASE) for k, v in data.items()})


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
    own_place: bool = True  # False when the place is the story's, not named in the sentence
    updated: bool = False  # the sentence states a new total ("porte à 43 le nombre de victimes")


def article_countries(finder: PlaceFinder, text: str, ents: Sequence[Entity], lang: str = "fr") -> list[str]:
    """The article's countries by salience: named countries, demonyms, towns' countries
    (names inside attributions, such as an agency's, do not count)."""
    counts: Counter[str] = Counter()
    attributed = [(m.start(), m.end()) for m in _patterns(lang).attributed_name.finditer(text)]
    for e in ents:
        if e.label in ("LOC", "MISC") and not any(a <= e.start < b for a, b in attributed):
            place = finder.gaz.resolve(e.text, ())
            if place is not None:
                # a town resolved without context may be a namesake abroad: it weighs
                # less than a country named or a nationality said outright
                counts[place.country] += 3 if place.kind == "country" else 1
    for m in _WORD.finditer(text):
        word = m.group(0)
        if word[:1].islower():
            iso = finder.gaz.demonym(word)
            if iso:
                counts[iso] += 2
    return [c for c, _ in counts.most_common()]


def _focus_city(sentences: Sequence[Sentence], sent_places: Sequence[Sequence[PlaceMention]],
                countries: Sequence[str], lang: str) -> PlaceMention | None:
    """The city the story is about: the most named one of its main countries
    (earliest on ties), not counting names inside attributions ("selon la Nema")."""
    counts: Counter[str] = Counter()
    first: dict[str, PlaceMention] = {}
    for sent, places in zip(sentences, sent_places):
        spans = attribution_spans(sent.text, lang)
        for p in places:
            if any(a <= p.start < b for a, b in spans):
                continue
            if p.precision == "city" and (not countries or p.place.country in countries[:2]):
                counts[p.place.id] += 1
                first.setdefault(p.place.id, p)
    if not counts:
        return None
    return first[counts.most_common(1)[0][0]]


def _pick_places(cue: Cue, etype: str, sentence: str, places: Sequence[PlaceMention],
                 attributions: Sequence[tuple[int, int]], pats: _Patterns, next_cue: int) -> list[PlaceMention]:
    """The place(s) of a cue: each town of an enumeration after it (before the
    next cue of its type, which would own a later list), else the best place
    near it — close to the cue, and precise (a site over its town)."""
    # a place inside an attribution ("ont annoncé les médiateurs réunis à Djeddah")
    # is the place of a cue inside that attribution only
    usable = [p for p in places
              if not any(a <= p.start < b and not a <= cue.start < b for a, b in attributions)]
    speech = pats.reported_speech.search(sentence)
    if speech and cue.start > speech.start():
        # "A Moscou, le ministère a précisé que …": where it was said, not where it happened
        usable = [p for p in usable if p.start > speech.start()] or usable
    if etype in _MOVEMENT_TYPES:
        # "emmenés vers Idleb", "ont fui vers les camps de A et de B": a destination
        # (and the list it opens) is not where people were moved or fled from
        def destination(p: PlaceMention) -> bool:
            return bool(pats.destination_before.search(sentence[max(0, p.start - 40):p.start]))

        listed_destination = any(p.listed and destination(p) for p in usable)
        usable = [p for p in usable if not destination(p) and not (listed_destination and p.listed)]
    listed = [p for p in usable if p.listed and cue.start <= p.start < next_cue]
    if listed:
        return listed
    usable = [p for p in usable if not (p.listed and p.start >= next_cue)]
    near = [p for p in usable if p.start - _PLACE_REACH <= cue.end and cue.start - _PLACE_REACH <= p.end]
    if not near:
        return []
    attached = [p for p in near if 0 <= p.start - cue.end <= _ATTACH_REACH
                and pats.attached_place.search(sentence[cue.end:p.start])]
    if attached:
        return [attached[0]]
    return [min(near, key=lambda p: _distance(cue, p) + _PRECISION_COST * _PRECISION_RANK[p.precision])]


def _distance(cue: Cue, p: PlaceMention) -> int:
    """Characters between a cue and a place (a place after the cue counts a little closer)."""
    if p.start >= cue.end:
        return (p.start - cue.end) * 3 // 4
    return max(0, cue.start - p.end)


def _actors_near(cue: Cue, mentions: Sequence) -> list[str]:
    """The actors of a cue: those named within reach of it (a long sentence
    often names other parties for other things)."""
    return list(dict.fromkeys(a.name for a in mentions
                              if a.start - _ACTOR_REACH <= cue.end and cue.start - _ACTOR_REACH <= a.end))


def _pick_day(cue_start: int, dates: Sequence[DateMention]) -> dt.date | None:
    days = [d for d in dates if d.kind == "day" and d.day is not None]
    if not days:
        return None
    return min(days, key=lambda d: abs(d.start - cue_start)).day


def _assign_figures(mentions: Sequence[Mention], figures: Sequence[FigureMention]) -> None:
    """Give each figure to one compatible mention: the sentence's toll if it
    frames its deaths as one, else the nearest mention told before the figure
    (by its place when the sentence lists places, else by its cue), else the
    first. A figure before or after a whole enumeration of places counts for
    all of them together: it belongs to none ("… ont visé A, B et C, faisant
    huit morts")."""
    listed_ends = [m.place.end for m in mentions if m.place is not None and m.place.listed and m.own_place]
    for fig in figures:
        fits = [m for m in mentions if fig.key in FIGURE_KEYS_BY_TYPE.get(m.type, ())]
        if not fits or (len(listed_ends) > 1 and fig.start > max(listed_ends)):
            continue
        tolls = [m for m in fits if m.type == "casualty_toll"]
        before = [(_anchor(m), m) for m in fits if _anchor(m) <= fig.start]
        if tolls:  # the sentence framed its deaths as a toll: they are the toll's
            target = tolls[0]
        elif before:
            target = max(before, key=lambda am: am[0])[1]
        elif any(m.place is not None and m.place.listed for m in fits):
            continue  # "19 tués … sur Kiev, Lviv et Dnipro": a total over the list
        else:
            target = fits[0]
        target.figures.setdefault(fig.key, Figure(value=fig.value, qualifier=fig.qualifier))


def _anchor(m: Mention) -> int:
    """Where a mention stands in its sentence, for figure assignment."""
    if m.place is not None and m.place.listed and m.own_place:
        return m.place.start
    return m.cue.start if m.cue is not None else 0


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


def _is_headline(sent: Sentence, lines: Sequence[tuple[int, int]]) -> bool:
    """A headline: a whole short line with no closing stop, before the body."""
    return ((sent.start, sent.end) in {(a, b) for a, b in lines[:3]} or
            any(a <= sent.start and sent.end <= b and b - a == sent.end - sent.start for a, b in lines[:3])) \
        and len(sent.text.split()) <= 40 and sent.text.rstrip()[-1:] not in ".!?…»\""


def _violent(m: Mention) -> bool:
    return FIGURE_KEYS_BY_TYPE.get(m.type) is _VIOLENT and m.type != "casualty_toll"


class _Story:
    """What the article has told so far: where and when its story is, and its mentions."""

    def __init__(self, place: PlaceMention | None, day: dt.date | None) -> None:
        self.place = place
        self.focus = place  # the article's main town (or country): where its tolls are
        self.day = day
        self.mentions: list[Mention] = []

    def last_violent(self) -> Mention | None:
        return next((m for m in reversed(self.mentions) if _violent(m)), None)

    def tell(self, new: Sequence[Mention], dates: Sequence[DateMention], reports: bool) -> None:
        """Record a sentence's mentions; a sentence that reports something (cues or
        figures) also moves the story to the last day it names."""
        for m in new:
            if m.place is None or not m.own_place:
                continue
            if m.place.precision in ("site", "city") or (
                    m.place.precision == "region" and (self.place is None or self.place.precision == "country")):
                self.place = m.place
        named = [d.day for d in dates if d.kind == "day" and d.day is not None]
        if named and reports:
            self.day = named[-1]
        self.mentions.extend(new)


def _toll_place(sentence: str, places: Sequence[PlaceMention], attributions: Sequence[tuple[int, int]],
                country: PlaceMention | None, story: _Story, pats: _Patterns) -> PlaceMention | None:
    """A toll's place: its own, else the country for the whole war's, else the story's town."""
    own = most_precise([p for p in places if not any(a <= p.start < b for a, b in attributions)])
    if own is not None:
        return own
    if pats.war_wide.search(sentence):
        return country or story.place
    return story.focus or country  # a toll sums a town's or a country's dead, not a site's


def _upgrade_coarse_places(mentions: list[Mention], sentences: Sequence[Sentence],
                           sent_places: Sequence[Sequence[PlaceMention]], cue_sentences: set[int]) -> None:
    """A mention placed only at country/region level, or only at the story's
    place, takes the site or town the next sentence names ("…dans le nord du
    Mali. Le village de Soumpi…"; "…rapatriée. Ces avions avaient atterri à
    Beyrouth"), when that sentence reports nothing of its own."""
    index = {id(s): i for i, s in enumerate(sentences)}
    for m in mentions:
        if m.place is None or (m.own_place and m.place.precision not in ("country", "region")):
            continue
        i = index.get(id(m.sentence))
        if i is None or i + 1 >= len(sentences) or (i + 1) in cue_sentences:
            continue
        finer = [p for p in sent_places[i + 1] if p.precision in ("site", "city")
                 and (p.place.country == m.place.place.country or not m.own_place)]
        if finer:
            m.place = most_precise(finer)


class BudgetExceeded(RuntimeError):
    """An article took longer than its time budget (see :class:`vigile.pipeline.Pipeline`)."""


def assemble(article: Article, clean: CleanText, sentences: Sequence[Sentence],
             ents: Sequence[Entity], finder: PlaceFinder, lang: str = "fr",
             deadline: Optional[float] = None) -> list[EventRecord]:
    """The event records of one article; past ``deadline`` (a ``time.monotonic()``
    value) it stops with :class:`BudgetExceeded` rather than run on."""
    reference = article.published or find_dateline(article.text)
    if reference is not None and not _PLAUSIBLE_YEARS[0] <= reference.year <= _PLAUSIBLE_YEARS[1]:
        reference = None  # "0001-01-01" is a program's "no date" (Go's zero time), not a day
    countries = article_countries(finder, clean.text, ents, lang)
    sent_ents = [[Entity(e.start - s.start, e.end - s.start, e.label, e.text)
                  for e in ents if s.start <= e.start and e.end <= s.end] for s in sentences]
    sent_places = [finder.find(s.text, se, countries, None) for s, se in zip(sentences, sent_ents)]
    focus = _focus_city(sentences, sent_places, countries, lang)
    if focus is not None:
        # second look with a focus city, so that unresolved sites get coordinates
        sent_places = [finder.find(s.text, se, countries, focus.place) for s, se in zip(sentences, sent_ents)]
    country_place = _country_place(finder, countries)
    pats = _patterns(lang)

    story = _Story(focus or country_place, reference)
    headline: list[Mention] = []
    cue_sentences: set[int] = set()
    for i, (sent, places) in enumerate(zip(sentences, sent_places)):
        if deadline is not None and time.monotonic() > deadline:
            raise BudgetExceeded(f"over its time budget after {i} of {len(sentences)} sentences")
        dates = find_dates(sent.text, reference)
        if is_background(sent.text, dates, reference, lang):
            continue
        cues = find_cues(sent.text, lang)
        figures = find_figures(sent.text)
        killed_like = [f for f in figures if f.key in _VIOLENT]
        toll = is_toll(sent.text, [f.start for f in killed_like], lang)
        if toll:
            cues = [c for c in cues if not (c.generic and c.type in _TOLL_CAUSES)]
        if story.mentions and not places:
            # "Cette attaque a…", "le bombardement a fait six morts": told already
            cues = [c for c in cues if not is_anaphoric(sent.text, c, lang)]
        if cues or toll:
            cue_sentences.add(i)
        if pats.anaphora.search(sent.text) and story.place is not None:
            places = [p for p in places if p.precision in ("site", "city")]
        attributions = attribution_spans(sent.text, lang)
        sources = find_sources(sent.text, countries, lang)
        actor_mentions = find_actors(sent.text, countries, lang)

        new: list[Mention] = []
        if toll:
            new.append(Mention("casualty_toll", sent, None,
                               _toll_place(sent.text, places, attributions, country_place, story, pats),
                               reference, [], sources))
        whole_country = pats.whole_country.search(sent.text)
        for k, cue in enumerate(cues):
            day = _pick_day(cue.start, dates) or story.day
            next_cue = next((c.start for c in cues[k + 1:] if c.type == cue.type), len(sent.text))
            near_country = whole_country is not None and abs(whole_country.start() - cue.start) <= _PLACE_REACH
            picked = ([country_place] if near_country and country_place is not None
                      else _pick_places(cue, cue.type, sent.text, places, attributions, pats, next_cue))
            actors = _actors_near(cue, actor_mentions)
            for place in picked or [story.place]:
                new.append(Mention(cue.type, sent, cue, place, day, list(actors), list(sources),
                                   own_place=bool(picked)))
        if not new and killed_like:
            last = story.last_violent()
            own = [p for p in places if p.precision in ("site", "city")]
            if own and last is not None:
                # "Dimanche 7 août, au moins 42 soldats ont été tués dans la zone de Tessit":
                # the story's kind of event, at a place and day of its own
                new.append(Mention(last.type, sent, None, most_precise(own),
                                   _pick_day(killed_like[0].start, dates) or story.day,
                                   list(dict.fromkeys(a.name for a in actor_mentions)), list(sources)))
            elif last is not None:
                # "Quelque 45 personnes avaient trouvé la mort": completes the last event
                _assign_figures([last], killed_like)
                continue
        _assign_figures(new, figures)
        if pats.updated_toll.search(sent.text):
            for m in new:
                m.updated = True
        if _is_headline(sent, clean.lines) and not story.mentions:
            headline.extend(new)  # a headline sums up the body: told after it, if at all
            continue
        story.tell(new, dates, reports=bool(new or figures))

    mentions = story.mentions
    _upgrade_coarse_places(mentions, sentences, sent_places, cue_sentences)
    for h in headline:
        body = (next((m for m in mentions if m.type == h.type), None)
                or next((m for m in mentions if _violent(h) and _violent(m) and m.place is not None
                         and h.place is not None and m.place.place.name == h.place.place.name), None))
        if body is None:
            mentions.append(h)
        elif not body.figures:
            body.figures.update((k, v) for k, v in h.figures.items() if k in FIGURE_KEYS_BY_TYPE[body.type])
    _settle_strike_type(mentions, pats)
    _attacks_on_civilians(mentions, pats)
    return merge(_fold_generic(mentions, pats), clean.original)


def _settle_strike_type(mentions: list[Mention], pats: _Patterns) -> None:
    """A bare "bombardement" is an air strike unless the story around it (this
    sentence or the three before) tells a specific shelling: then it is that."""
    for i, m in enumerate(mentions):
        if m.type != "air_strike" or m.cue is None or not m.cue.generic:
            continue
        if not pats.bare_strike.search(m.sentence.text[m.cue.start:m.cue.end]):
            continue
        before = [o for o in mentions[:i] if m.sentence.index - o.sentence.index <= 3
                  and o.cue is not None and not o.cue.generic and o.type in ("air_strike", "shelling")]
        if before and before[-1].type == "shelling":
            m.type = "shelling"


def _attacks_on_civilians(mentions: list[Mention], pats: _Patterns) -> None:
    """An "attaque" whose only dead are civilians, with no armed side named as
    hit, is violence against civilians, not a clash ("attaques contre les
    villages de Boga et Tchabi: 50 civils tués")."""
    for m in mentions:
        if m.type != "armed_clash" or m.cue is None or not m.cue.generic:
            continue
        if not pats.vague_attack.search(m.sentence.text[m.cue.start:m.cue.end]):
            continue
        if "killed_civilians" in m.figures and "killed" not in m.figures:
            m.type = "violence_against_civilians"


def _fold_generic(mentions: list[Mention], pats: _Patterns) -> list[Mention]:
    """A vague mention ("l'attaque", "les explosions") at the place and day of a
    specific violent one told in the same or the next sentence is that event told
    again: fold it in. A generic strike word ("bombardements") is not folded: it
    may be a different strike, and its type was settled by :func:`_settle_strike_type`."""
    def key(m: Mention) -> tuple:
        return (m.place.place.name if m.place else None, m.day)

    def near(a: Mention, b: Mention) -> bool:
        return abs(a.sentence.index - b.sentence.index) <= 1

    specific = [m for m in mentions if _violent(m) and m.cue is not None and not m.cue.generic]
    out = []
    for m in mentions:
        target = next((t for t in specific if key(t) == key(m) and t.type != m.type and near(t, m)), None)
        vague = m.cue is not None and m.cue.generic and m.type in ("armed_clash", "bombing") and bool(
            pats.vague_attack.search(m.sentence.text[m.cue.start:m.cue.end]))
        if vague and target is not None:
            for k, v in m.figures.items():
                target.figures.setdefault(k, v)
            target.sources.extend(s for s in m.sources if s not in target.sources)
            continue
        out.append(m)
    return out


_PRECISION_ORDER = ("site", "city", "region", "country")
#: Publication years a news article can have; outside them a date is a placeholder.
_PLAUSIBLE_YEARS = (1800, 2200)
#: A site this close to a town (km) is inside it.
_SAME_SPOT_KM = 10.0


def _km(a, b) -> float:
    from vigile.evaluate import km

    return km((a.lat, a.lon), (b.lat, b.lon))


def _refine_coarse(mentions: Sequence[Mention]) -> list[Mention]:
    """A mention placed at country/region level is the same event as one of its
    type and day at a site or town of that country: give it that place; so is
    one at a town with the one site of that town the article places it at.
    Tolls are exempt: a country's toll and a city's are two different counts."""
    out = []
    for m in mentions:
        if m.type != "casualty_toll" and m.place is not None and m.place.precision in ("region", "country"):
            finer = [o for o in mentions if o.type == m.type and o.day == m.day and o.place is not None
                     and o.place.place.country == m.place.place.country
                     and _PRECISION_ORDER.index(o.place.precision) < _PRECISION_ORDER.index(m.place.precision)]
            if len({o.place.place.name for o in finer}) == 1:  # several candidates: do not guess
                m = replace(m, place=finer[0].place)
        elif m.place is not None and m.place.precision == "city" and not m.place.listed:
            inside = [o for o in mentions if o.type == m.type and o.day == m.day and o.place is not None
                      and o.place.precision == "site" and not o.place.listed
                      and _km(o.place.place, m.place.place) <= _SAME_SPOT_KM]
            inside = list({o.place.place.name: o for o in inside}.values())
            if len(inside) == 1:  # "un quartier d'Alep" … "Jabal Badro": one event, at the site
                m = replace(m, place=inside[0].place)
        out.append(m)
    return out


def merge(mentions: Sequence[Mention], original: str) -> list[EventRecord]:
    """One record per (type, place, day): first figure per key, all actors and sources."""
    records: dict[tuple, EventRecord] = {}
    for m in _refine_coarse(mentions):
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
            if m.updated:
                rec.figures[k] = v  # type: ignore[index]
            else:
                rec.figures.setdefault(k, v)  # type: ignore[arg-type]
    return list(records.values())
