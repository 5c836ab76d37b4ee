"""Stage 4 — detect: which event types a sentence reports, and where the cue is.

Cue lexicons (``lang/<lang>/cues.yaml``) give candidate mentions; three
filters then drop what the spec says not to annotate:

* hypotheticals, purposes and appeals in the clause before the cue
  ("pourrait être d'évacuer", "pour reprendre Raqa", "appelé à un cessez-le-feu");
* denials and refusals near the cue ("a écarté un cessez-le-feu");
* background history — handled by :func:`is_background` from the sentence's
  dates, because it concerns the whole sentence.

The journalistic conditional ("aurait fait 31 morts") is a claim, not a
hypothetical, and is kept.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

from vigile.dates import DateMention
from vigile.resources import load_yaml

#: How far before a cue (characters) a hypothetical/negation marker still governs it.
_SCOPE_BEFORE = 45
_SCOPE_AFTER = 12
#: A negation reaches further after its cue ("les combats … ne sont pas terminés").
_NEGATION_AFTER = 25
#: Types of events that kill: a fallback cue yields to any cue of these.
VIOLENT_TYPES = frozenset({"armed_clash", "air_strike", "shelling", "bombing", "violence_against_civilians"})
#: Background: reported history older than this is not annotated (spec).
BACKGROUND_DAYS = 30


#: A toll marker counts only this close (characters) to a killed figure: further
#: when it opens the clause before the figure ("Depuis le début de l'offensive, …").
_TOLL_REACH_BEFORE = 250
_TOLL_REACH_AFTER = 150
_CLAUSE_BREAK = re.compile(r"[,;.:]")


@dataclass(frozen=True)
class Cue:
    type: str
    start: int  # offsets within the sentence
    end: int
    generic: bool
    absorbs: bool = False
    fallback: bool = False


@dataclass(frozen=True)
class _Lexicon:
    cues: tuple[tuple[str, re.Pattern[str], dict[str, bool]], ...]
    separators: tuple[str, ...]
    determined: re.Pattern[str]
    toll: re.Pattern[str]
    cause: re.Pattern[str]
    hypothetical: re.Pattern[str]
    negation: re.Pattern[str]
    pluperfect: re.Pattern[str]


def _union(patterns: Sequence[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


@lru_cache(maxsize=None)
def _lexicon(lang: str) -> _Lexicon:
    data = load_yaml(lang, "cues.yaml")
    cues = tuple(
        (etype, re.compile(item["re"], re.IGNORECASE),
         {flag: bool(item.get(flag)) for flag in ("generic", "absorbs", "fallback")})
        for etype, items in data["types"].items()
        for item in items
    )
    cause = re.compile(f"(?:{'|'.join(data['cause_before'])})\\s*$", re.IGNORECASE)
    return _Lexicon(cues, tuple(data["clause_separators"]), re.compile(data["determined_before"], re.IGNORECASE),
                    _union(data["toll_markers"]), cause, _union(data["hypothetical"]),
                    _union(data["negation"]), _union(data["pluperfect"]))


def _clause_window(text: str, start: int, end: int, separators: Sequence[str]) -> str:
    """The text that governs a cue: back to the previous clause break, capped."""
    left = max(0, start - _SCOPE_BEFORE)
    for sep in separators:
        k = text.rfind(sep, left, start)
        if k >= 0:
            left = max(left, k + len(sep))
    return text[left:min(len(text), end + _SCOPE_AFTER)]


def find_cues(sentence: str, lang: str = "fr") -> list[Cue]:
    """Event cues of a sentence, hypotheticals and denials removed.

    Overlapping cues of one type keep the first; a longer cue of another type
    covering a shorter one wins ("bombardements aériens" is an air strike, not
    also a generic "bombardements").
    """
    lex = _lexicon(lang)
    found: list[tuple[Cue, int]] = []  # (cue, end of the words that matched)
    for etype, pattern, flags in lex.cues:
        for m in pattern.finditer(sentence):
            end = m.end()
            if flags["absorbs"]:
                stop = _CLAUSE_BREAK.search(sentence, end)
                end = stop.start() if stop else len(sentence)
            found.append((Cue(etype, m.start(), end, **flags), m.end()))
    found.sort(key=lambda f: (f[0].start, -(f[0].end - f[0].start)))
    kept: list[Cue] = []
    for cue, match_end in found:
        overlaps = [k for k in kept if k.start < cue.end and cue.start < k.end]
        if any(k.absorbs for k in overlaps):
            continue
        if any(k.type == cue.type for k in overlaps):
            continue
        if cue.generic and any(not k.generic for k in overlaps):
            continue
        if cue.generic and lex.cause.search(sentence[max(0, cue.start - 40):cue.start]):
            continue  # "fuyant les combats", "en raison des bombardements": a cause, not a report
        window = _clause_window(sentence, cue.start, match_end, lex.separators)
        if lex.hypothetical.search(window):
            continue
        negation_window = window + sentence[match_end + _SCOPE_AFTER:match_end + _NEGATION_AFTER]
        if lex.negation.search(negation_window):
            continue
        kept.append(cue)
    if any(not c.fallback and c.type in VIOLENT_TYPES for c in kept):
        kept = [c for c in kept if not c.fallback]
    return kept


def is_anaphoric(sentence: str, cue: Cue, lang: str = "fr") -> bool:
    """Whether a generic cue names an event already told ("cette attaque",
    "le bombardement a fait six morts") rather than a new one."""
    return cue.generic and bool(_lexicon(lang).determined.search(sentence[max(0, cue.start - 8):cue.start]))


def is_toll(sentence: str, figure_starts: Sequence[int], lang: str = "fr") -> bool:
    """Whether the sentence frames its killed figures (at ``figure_starts``) as a
    cumulative toll: a toll marker ("depuis le début…", "en 20 jours") near one."""
    return any(-_TOLL_REACH_BEFORE <= m.start() - f <= _TOLL_REACH_AFTER
               for m in _lexicon(lang).toll.finditer(sentence) for f in figure_starts)


def is_background(sentence: str, dates: Sequence[DateMention], reference: dt.date | None,
                  lang: str = "fr") -> bool:
    """Whether a sentence narrates history older than the 30-day window.

    ``reference`` is the article's day (``published``, else a dateline, else
    the latest explicit date of the article). A sentence is background when
    it is pinned only to periods/days that end more than 30 days before it.
    Without any reference, a pluperfect sentence tied to an explicit year is
    taken as background: that is how French news narrates history.
    """
    dated = [d for d in dates if d.kind != "since" and (d.latest or d.day)]
    if not dated:
        return False
    if reference is not None:
        cutoff = reference - dt.timedelta(days=BACKGROUND_DAYS)
        return all((d.latest or d.day) < cutoff for d in dated)  # type: ignore[operator]
    return bool(_lexicon(lang).pluperfect.search(sentence))
