"""French temporal expressions → event days and periods, resolved against publication.

Why our own matcher rather than ``dateparser.search_dates``: measured on the seed
articles (notes/stack-findings §3), it reads the possessive "sa" as Saturday and
durations ("deux ans") as dates, drops "dernier", "depuis" and "nuit de … à …",
and sends a same-day weekday a week back. So every expression here is a small
regex over a *folded* copy of the text (same length as the original: lower case,
no accents, plain spaces and apostrophes), and resolution is calendar
arithmetic — exact, and simpler than normalising spans for dateparser.
The vocabulary lives in ``lang/fr/dates.yaml``.

Resolution rules, ``p`` being the published day:

* weekday ("mardi", "lundi soir"): the latest such day on or before ``p`` (the
  same weekday is ``p`` itself — news convention); "dernier"/"passé": strictly
  before ``p``; "prochain": strictly after; "ce jeudi": the Thursday of ``p``'s
  Monday–Sunday week.
* day + month without year, month or season without year: the latest occurrence
  starting on or before ``p`` — unless a *future cue* (a future or conditional
  verb, "doit", "prévu"…) stands just before it in the same clause, in which
  case the next occurrence is taken when it starts within
  ``FUTURE_WINDOW_DAYS`` after ``p`` (talks scheduled, a truce taking effect).
  A weekday after a future cue is the next such day on or after ``p``.
* "dans la nuit de jeudi à vendredi", "dans la nuit du 28 au 29 octobre": the
  first night's day (the day before the morning named).
* "les 28 et 29 octobre", "du 5 au 9 mars": a period, no day.
* "depuis …": kind ``since`` — the start of a period, never an event day.

Without ``p`` only explicit full dates ("7 août 2022", "2017-10-25") pin a day;
other expressions are still reported, with ``day`` None.
"""
from __future__ import annotations

import bisect
import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Callable, Iterable

from vigile.resources import load_yaml

#: How far after publication a date without year may be read as scheduled.
FUTURE_WINDOW_DAYS = 60
# Characters before a mention searched for a future cue (same clause only).
_CUE_WINDOW = 40
# "depuis le début de l'offensive … le 15 novembre": max gap between the two parts.
_SINCE_GAP = 40
# A dateline sits in the page head.
_DATELINE_HEAD = 2000

_Span = tuple[date, date]


@dataclass(frozen=True)
class DateMention:
    """One temporal expression found in a text, with what it pins down."""

    start: int             # char offsets in the text given
    end: int
    text: str
    day: date | None       # the pinned day when text (+ published) pins one, else None
    earliest: date | None  # the period the mention covers, when known even without a day
    latest: date | None
    kind: str              # "day", "since" or "period"


# --------------------------------------------------------------------------- folding

_SPACE_CHARS = frozenset("\u00a0\u202f\u2009\u2007\u200b\ufeff\t\r")
_APOSTROPHES = frozenset("\u2019\u2018\u02bc\u00b4`")
_HYPHENS = frozenset("\u2010\u2011")


@lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    """One character folded to one character, so that offsets survive folding."""
    if c in _SPACE_CHARS:
        return " "
    if c in _APOSTROPHES:
        return "'"
    if c in _HYPHENS:
        return "-"
    base = unicodedata.normalize("NFD", c)[0].lower()
    return base if len(base) == 1 else c  # keep offsets: never change the length


def _fold(text: str) -> str:
    """Lower-case, accent-free, plain-space copy of ``text`` with identical offsets."""
    return "".join(map(_fold_char, text))


# --------------------------------------------------------------------------- lexicon


def _alt(words: Iterable[str]) -> str:
    """Regex alternation of lexicon entries, longest first, spaces matching any run."""
    ordered = sorted({_fold(w) for w in words}, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


@dataclass(frozen=True)
class _Lexicon:
    months: dict[str, int]
    seasons: dict[str, tuple[int, int]]
    weekdays: dict[str, int]
    relative_days: dict[str, int]
    numbers: dict[str, int]
    units: dict[str, str]
    parts: dict[str, dict]
    past: frozenset[str]
    next: frozenset[str]
    patterns: tuple[tuple[re.Pattern[str], Callable], ...]
    numeric: tuple[re.Pattern[str], ...]  # ISO and day/month/year digits
    day_month: re.Pattern[str]
    since_word: str
    since_before: re.Pattern[str]
    future_cue: re.Pattern[str]
    future_endings: tuple[str, ...]
    not_future: frozenset[str]
    dateline_cue: re.Pattern[str]
    update_cues: frozenset[str]


def _keyed(data: dict) -> dict:
    """A YAML table keyed by folded words, as the folded text will spell them."""
    return {_fold(k): v for k, v in data.items()}


@lru_cache(maxsize=None)
def _lex() -> _Lexicon:
    d = load_yaml("fr", "dates.yaml")
    months, seasons, weekdays = _keyed(d["months"]), _keyed(d["seasons"]), _keyed(d["weekdays"])
    rel, units, numbers = _keyed(d["relative_days"]), _keyed(d["units"]), _keyed(d["numbers"])
    day = rf"(?:{_alt(d['first_day'])}|[0-3]?\d)(?!\d)"
    year = r"(?:19|20)\d\d(?!\d)"
    f = {
        "DAY": day, "YEAR": year, "MON": _alt(months), "SEASON": _alt(seasons),
        "WD": _alt(weekdays), "REL": _alt(rel), "NARR": _alt(d["narrative_days"]),
        "PARTS": _alt(d["day_parts"]), "THIS": _alt(d["this_words"]),
        "MOD": _alt(d["past_words"] + d["next_words"]), "UNIT": _alt(units),
        "NUM": _alt(numbers), "VAGUE": _alt(d["vague_counts"]),
        "OPEN": _alt(d["period_openers"]), "PART": _alt(d["period_parts"]),
        "PROC": _alt(d["since_process"]), "SINCE": _alt([d["since_word"]]),
    }

    def rx(pattern: str) -> re.Pattern[str]:
        return re.compile(pattern.format(**f))

    iso = rx(r"(?<![\d-])(?P<y>{YEAR})-(?P<m>[01]\d)-(?P<d>[0-3]\d)(?!\d)")
    dmy = rx(r"(?<![\d/.])(?P<d>[0-3]?\d)(?P<sep>[/.])(?P<m>[01]?\d)(?P=sep)(?P<y>{YEAR})")
    day_month = rx(r"(?<![\w.,/-])(?:le\s+)?(?:(?:{WD}),?\s+(?:le\s+)?)?"
                   r"(?P<d>{DAY})\s+(?P<mon>{MON})\b(?:\s+(?P<y>{YEAR}))?(?:\s+(?P<mod>{MOD})\b)?")
    patterns = (
        (iso, _on_numeric),
        (dmy, _on_numeric),
        (day_month, _on_day_month),
        (rx(r"\b(?P<night>(?:dans\s+)?la\s+nuit\s+)?(?:du|les)\s+(?P<d1>{DAY})(?:\s+(?P<mon1>{MON}))?"
            r"(?:\s+(?P<y1>{YEAR}))?\s+(?:au|et)\s+(?P<d2>{DAY})\s+(?P<mon2>{MON})\b"
            r"(?:\s+(?P<y2>{YEAR}))?"), _on_range),
        (rx(r"\b(?:dans\s+)?la\s+nuit\s+(?:de\s+|d')(?:{WD}|{REL})\s+(?:a|au)\s+"
            r"(?P<to>{WD}|{REL})(?![\w'-])"), _on_night),
        (rx(r"\b(?:(?P<this>{THIS})\s+)?(?P<wd>{WD})\b(?:\s+(?P<mod>{MOD})\b)?"
            r"(?:,?\s+(?:{PARTS})\b)?"), _on_weekday),
        (rx(r"\b(?P<rel>{REL})(?![\w'-])(?:,?\s+(?:{PARTS})\b)?"), _on_relative_day),
        (rx(r"\b(?:{NARR})(?![\w'-])(?:,?\s+(?:{PARTS})\b)?"), _on_narrative_day),
        (rx(r"\bil\s+y\s+a\s+(?:(?P<vague>{VAGUE})\s+)?(?:(?P<n>\d{{1,3}}|{NUM})\s+)?"
            r"(?P<unit>{UNIT})\b"), _on_ago),
        (rx(r"\b(?:(?P<this>{THIS})\s+(?P<unit>{UNIT})(?:-ci)?|(?:la|le|l')\s*(?P<unit2>{UNIT})\s+"
            r"(?P<mod>{MOD}))(?![\w-])"), _on_calendar_unit),
        (rx(r"\b(?:(?P<open>{OPEN})\s*)?(?:(?P<part>{PART})(?:\s*-\s*|\s+d'|\s+de\s+|\s+))?"
            r"(?:(?P<mon>{MON}|{SEASON})\b(?:\s*-\s*(?P<mon2>{MON})\b)?(?:\s+(?P<y>{YEAR}))?|(?P<yo>{YEAR}))"
            r"(?:\s+(?P<mod>{MOD})\b)?"), _on_period),
        (rx(r"\b{SINCE}\s+(?:le|la|l'|son|sa|leur)\s*(?:{PROC})\b"
            r"(?:\s*(?:d'|de\s+|du\s+|des\s+)(?:(?:la|les|une|un|son|sa|leur|ses|cette|cet|ce)\s+|l')?"
            r"[a-z]+(?:-[a-z]+)?)?"), _on_since_process),
    )
    return _Lexicon(
        months=months, seasons={k: tuple(v) for k, v in seasons.items()}, weekdays=weekdays,
        relative_days=rel, numbers=numbers, units=units, parts=_keyed(d["period_parts"]),
        past=frozenset(map(_fold, d["past_words"])), next=frozenset(map(_fold, d["next_words"])),
        patterns=patterns, numeric=(iso, dmy), day_month=day_month,
        since_word=_fold(d["since_word"]),
        since_before=rx(r"\b{SINCE}\s+(?:la\s+|l')?$"),
        future_cue=re.compile(rf"\b(?:{_alt(d['future_cues'])})"),
        future_endings=tuple(d["future_endings"]),
        not_future=frozenset(d["not_future"]),
        dateline_cue=re.compile(rf"\b(?:{_alt(d['dateline_cues'])})\b"),
        update_cues=frozenset(map(_fold, d["update_cues"])),
    )


# --------------------------------------------------------------------------- calendar


def _safe_date(y: int, m: int, d: int) -> date | None:
    """A real calendar day, or None ("le 31 février" is text, not an error)."""
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _month_span(y: int, first: int, n: int = 1) -> _Span:
    """First and last day of ``n`` months from ``first`` of year ``y`` (may spill into y+1)."""
    last_y, last_m = divmod(y * 12 + first - 1 + n - 1, 12)
    last_m += 1
    return date(y, first, 1), date(last_y, last_m, calendar.monthrange(last_y, last_m)[1])


def _unit_window(unit: str, p: date, shift: int) -> _Span:
    """The calendar day/week/weekend/month/year ``shift`` units away from the one holding ``p``."""
    if unit == "day":
        d = p + timedelta(days=shift)
        return d, d
    if unit in ("week", "weekend"):
        monday = p - timedelta(days=p.weekday() - 7 * shift)
        return (monday, monday + timedelta(days=6)) if unit == "week" else (
            monday + timedelta(days=5), monday + timedelta(days=6))
    if unit == "month":
        y, m = divmod(p.year * 12 + p.month - 1 + shift, 12)
        return _month_span(y, m + 1)
    return date(p.year + shift, 1, 1), date(p.year + shift, 12, 31)


def _resolve_weekday(wd: int, p: date, mode: str) -> date:
    """Resolve a weekday against ``p``; ``mode`` is plain/past/next/this/future."""
    ahead = (wd - p.weekday()) % 7
    if mode == "past":
        return p - timedelta(days=(p.weekday() - wd) % 7 or 7)
    if mode == "next":
        return p + timedelta(days=ahead or 7)
    if mode == "future":
        return p + timedelta(days=ahead)
    if mode == "this":
        return p + timedelta(days=wd - p.weekday())
    return p - timedelta(days=(p.weekday() - wd) % 7)


def _yearly(span: Callable[[int], _Span | None], p: date, mode: str) -> _Span | None:
    """Pick the year of a recurring day or period (no year written) relative to ``p``."""
    options = [s for y in (p.year - 1, p.year, p.year + 1) if (s := span(y))]
    if mode == "next":
        return next((s for s in options if s[0] > p), None)
    if mode == "past":
        return next((s for s in reversed(options) if s[1] < p), None)
    if mode == "future":
        horizon = p + timedelta(days=FUTURE_WINDOW_DAYS)
        ahead = next((s for s in options if p < s[0] <= horizon), None)
        if ahead:
            return ahead
    return next((s for s in reversed(options) if s[0] <= p), None)


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class _Ctx:
    text: str
    folded: str
    published: date | None

    def mention(self, m: re.Match[str], kind: str, day: date | None = None,
                span: _Span | None = None) -> DateMention:
        earliest, latest = span or ((day, day) if day else (None, None))
        start, end = m.span()
        return DateMention(start, end, self.text[start:end], day, earliest, latest, kind)

    def future(self, start: int) -> bool:
        """Does a future cue precede ``start`` in the same clause (so the date is ahead)?"""
        lex = _lex()
        lo = max(0, start - _CUE_WINDOW)
        clause = re.split(r"[.;!?\n]", self.folded[lo:start])[-1]
        offset = start - len(clause)
        if lex.future_cue.search(clause):
            return True
        # Lower-case in the original: a verb, not a name like "Al-Jazeera".
        return any(self.text[offset + w.start()].islower() and len(w.group()) >= 4
                   and w.group().endswith(lex.future_endings) and w.group() not in lex.not_future
                   for w in re.finditer(r"[a-z]+", clause))

    def mode(self, m: re.Match[str], mod: str | None) -> str:
        lex = _lex()
        if mod in lex.past:
            return "past"
        if mod in lex.next:
            return "next"
        return "future" if self.future(m.start()) else "plain"


def _day_number(s: str) -> int:
    return int(s) if s.isdigit() else 1  # "1er", "premier"


# --------------------------------------------------------------------------- handlers
# Each turns one regex match into a mention (or None when the match is not a date).


def _on_numeric(m: re.Match[str], ctx: _Ctx) -> DateMention | None:
    return ctx.mention(m, "day", _safe_date(int(m["y"]), int(m["m"]), int(m["d"])))


def _on_day_month(m: re.Match[str], ctx: _Ctx) -> DateMention | None:
    d, mon = _day_number(m["d"]), _lex().months[m["mon"]]
    if not 1 <= d <= 31:
        return None
    if m["y"]:
        return ctx.mention(m, "day", _safe_date(int(m["y"]), mon, d))
    if ctx.published is None:
        return ctx.mention(m, "day")

    def span(y: int) -> _Span | None:
        day = _safe_date(y, mon, d)
        return (day, day) if day else None

    found = _yearly(span, ctx.published, ctx.mode(m, m["mod"]))
    return ctx.mention(m, "day", found[0] if found else None)


def _on_range(m: re.Match[str], ctx: _Ctx) -> DateMention | None:
    """"les 28 et 29 octobre" is a period; "la nuit du 28 au 29 octobre" is the 28th."""
    lex = _lex()
    d1, d2, m2 = _day_number(m["d1"]), _day_number(m["d2"]), lex.months[m["mon2"]]
    m1 = lex.months[m["mon1"]] if m["mon1"] else (m2 if d1 <= d2 else (m2 - 2) % 12 + 1)
    kind = "day" if m["night"] else "period"
    year = m["y2"] or m["y1"]
    if year:
        end = _safe_date(int(year), m2, d2)
    elif ctx.published:
        found = _yearly(lambda y: (e, e) if (e := _safe_date(y, m2, d2)) else None,
                        ctx.published, ctx.mode(m, None))
        end = found[0] if found else None
    else:
        end = None
    start = _safe_date(end.year - (m1 > m2), m1, d1) if end else None
    if not start or start > end:
        return ctx.mention(m, kind)
    return ctx.mention(m, kind, start) if kind == "day" else ctx.mention(m, kind, span=(start, end))


def _on_night(m: re.Match[str], ctx: _Ctx) -> DateMention | None:
    """The night is dated by its evening: resolve the morning it ends on, minus one day."""
    if ctx.published is None:
        return ctx.mention(m, "day")
    lex, to = _lex(), m["to"]
    morning = (ctx.published + timedelta(days=lex.relative_days[to]) if to in lex.relative_days
               else _resolve_weekday(lex.weekdays[to], ctx.published, "plain"))
    return ctx.mention(m, "day", morning - timedelta(days=1))


def _on_weekday(m: re.Match[str], ctx: _Ctx) -> DateMention | None:
    if ctx.published is None:
        return ctx.mention(m, "day")
    mode = "this" if m["this"] else ctx.mode(m, m["mod"])
    return ctx.mention(m, "day", _resolve_weekday(_lex().weekdays[m["wd"]], ctx.published, mode))


def _on_relative_day(m: re.Match[str], ctx: _Ctx) -> DateMention | None:
    if ctx.published is None:
        return ctx.mention(m, "day")
    return ctx.mention(m, "day", ctx.published + timedelta(days=_lex().relative_days[m["rel"]]))


def _on_narrative_day(m: re.Match[str], ctx: _Ctx) -> DateMention | None:
    return ctx.mention(m, "day")  # "la veille": a day, but of the story, not of publication


def _on_ago(m: re.Match[str], ctx: _Ctx) -> DateMention | None:
    if not (m["n"] or m["vague"]):
        return None
    lex = _lex()
    unit = lex.units[m["unit"]]
    kind = "day" if unit == "day" and not m["vague"] else "period"
    if ctx.published is None or m["vague"]:
        return ctx.mention(m, kind)
    n = int(m["n"]) if m["n"].isdigit() else lex.numbers[m["n"]]
    window = _unit_window(unit, ctx.published, -n)
    return ctx.mention(m, kind, window[0]) if kind == "day" else ctx.mention(m, kind, span=window)


def _on_calendar_unit(m: re.Match[str], ctx: _Ctx) -> DateMention | None:
    lex = _lex()
    unit = lex.units[m["unit"] or m["unit2"]]
    if unit == "day":
        return None  # "à ce jour" means "so far", "ce jour-là" is the story's day
    if ctx.published is None:
        return ctx.mention(m, "period")
    shift = 0 if m["this"] else (-1 if m["mod"] in lex.past else 1)
    return ctx.mention(m, "period", span=_unit_window(unit, ctx.published, shift))


def _on_period(m: re.Match[str], ctx: _Ctx) -> DateMention | None:
    """Months, seasons and years: "en mai 2015", "mars dernier", "mi-décembre", "fin 2014"."""
    lex = _lex()
    if m["yo"]:
        if not (m["open"] or m["part"]):
            return None  # a bare number ("brigade 2012") is not a year
        part = lex.parts[m["part"]]["months"] if m["part"] else (1, 12)
        return ctx.mention(m, "period", span=_month_span(int(m["yo"]), part[0], part[1] - part[0] + 1))
    if not (m["open"] or m["part"] or m["y"] or m["mod"]):
        return None  # a bare month name ("Mars", "Mai") is too ambiguous
    if m["mon"] in lex.months:  # "mars", "mars-avril"
        first = lex.months[m["mon"]]
        n = (lex.months[m["mon2"]] - first) % 12 + 1 if m["mon2"] else 1
    else:
        first, n = lex.seasons[m["mon"]]
    part = lex.parts[m["part"]] if m["part"] and n == 1 else None

    def span(y: int) -> _Span:
        if part is None:
            return _month_span(y, first, n)
        last = calendar.monthrange(y, first)[1]
        lo, hi = part["days"]
        return date(y, first, lo), date(y, first, min(hi, last))

    if m["y"]:
        found: _Span | None = span(int(m["y"]))
    elif ctx.published:
        found = _yearly(span, ctx.published, ctx.mode(m, m["mod"]))
    else:
        found = None
    if part and "day" in part:  # "mi-décembre": the 15th
        return ctx.mention(m, "day", found[0].replace(day=part["day"]) if found else None, span=found)
    return ctx.mention(m, "period", span=found)


def _on_since_process(m: re.Match[str], ctx: _Ctx) -> DateMention | None:
    return ctx.mention(m, "since")  # "depuis le début de l'offensive": a start, date unknown


# --------------------------------------------------------------------------- public API


def _longest_first(cands: list[DateMention]) -> list[DateMention]:
    """Keep the longest of overlapping candidates ("dimanche 22 avril" over "dimanche").

    Kept spans never overlap, so checking the two neighbours of the insertion
    point suffices: O(n log n) even on a long text full of dates.
    """
    starts: list[int] = []
    kept: list[DateMention] = []
    for c in sorted(cands, key=lambda c: (c.start - c.end, c.start)):
        i = bisect.bisect_right(starts, c.start)
        if (i and kept[i - 1].end > c.start) or (i < len(kept) and kept[i].start < c.end):
            continue
        starts.insert(i, c.start)
        kept.insert(i, c)
    return kept


def _as_since(ctx: _Ctx, c: DateMention, start: int) -> DateMention:
    """``c`` read as the start of a period: its day (or first day) is the earliest."""
    return DateMention(start, c.end, ctx.text[start:c.end], None, c.day or c.earliest, None, "since")


def _apply_since(ctx: _Ctx, mentions: list[DateMention]) -> list[DateMention]:
    """Turn "depuis X" into a period start, and attach "depuis le début de … le 15 novembre".

    Only the "depuis le début de …" mentions are kind "since" on entry.
    """
    lex, out = _lex(), []
    opener: DateMention | None = None  # the last mention, if it is a "depuis le début de …"
    for c in mentions:
        if (opener and c.start - opener.end <= _SINCE_GAP
                and not re.search(r"[.,;:!?()\n]", ctx.folded[opener.end:c.start])):
            out[-1], opener = _as_since(ctx, c, opener.start), None
            continue
        opener = c if c.kind == "since" else None
        before = lex.since_before.search(ctx.folded, max(0, c.start - 16), c.start)
        if c.kind != "since" and (before or ctx.folded.startswith(lex.since_word, c.start)):
            c = _as_since(ctx, c, before.start() if before else c.start)
        out.append(c)
    return out


def find_dates(text: str, published: date | None) -> list[DateMention]:
    """All date mentions of ``text`` in order, resolved against ``published`` when given."""
    ctx = _Ctx(text, _fold(text), published)
    cands = [c for rx, handler in _lex().patterns for m in rx.finditer(ctx.folded)
             if (c := handler(m, ctx))]
    return _apply_since(ctx, _longest_first(cands))


# A textual date is a dateline when the line ends there or goes on with a time or separator.
_DATELINE_TAIL = re.compile(r"\s*(?:$|[•|/\u2013\u2014-]|a\s+\d|\d{1,2}\s*[h:]\s*\d\d)")


def find_dateline(text: str) -> date | None:
    """The publication date stated in the page head ("publié le 30/04/2018 à 09:02").

    Only full dates count, and a textual one ("mercredi 10 août 2022") only when it
    stands apart — end of line, or followed by a time or a separator — or after a
    publication cue, so that a lead sentence "Le 23 janvier 2013, …" is not taken
    for a dateline. A publication date is preferred over an update ("Actualisé …").
    """
    lex = _lex()
    found: list[tuple[int, bool, date]] = []
    for line in re.finditer(r"[^\n]+", _fold(text[:_DATELINE_HEAD])):
        s = line.group()
        days = [(m, _safe_date(int(m["y"]), int(m["m"]), int(m["d"])))
                for rx in lex.numeric for m in rx.finditer(s)]
        days += [(m, _safe_date(int(m["y"]), lex.months[m["mon"]], _day_number(m["d"])))
                 for m in lex.day_month.finditer(s)
                 if m["y"] and (lex.dateline_cue.search(s, 0, m.start()) or _DATELINE_TAIL.match(s, m.end()))]
        for m, day in days:
            cues = [" ".join(c.group().split()) for c in lex.dateline_cue.finditer(s, 0, m.start())]
            if day:  # an update when the nearest cue before it says so
                found.append((line.start() + m.start(), bool(cues) and cues[-1] in lex.update_cues, day))
    found.sort()
    return next((d for _, update, d in found if not update), found[0][2] if found else None)
