"""Casualty and humanitarian figures in one French sentence.

``find_figures`` reads the counts a sentence reports ("au moins 31 personnes
ont été tuées, dont 14 enfants") and labels each with a figure key of
``spec/events.md``; the assembler attaches them to the sentence's event.

How it works, and why this way:

* Number phrases are found by one linear regex (digits with French thousands
  separators, number-word runs, "une centaine"), each with an optional
  qualifier in front ("au moins", "près de", "jusqu'à"). Number words are
  converted by ``text2num`` on the run we selected only: running
  ``alpha2digit`` over a whole text turns "un des derniers alliés" into a 1.
* The key comes from the noun after the number ("31 morts", "22 blessés"),
  or, for people ("personnes", "civils", "soldats"), from a predicate: a
  participle after them ("ont été tués", "ont fui") or an active verb before
  them ("tuant 17 civils"). Nouns of things, units and time ("64 raids",
  "450 km", "deux mois") never give a figure.
* Coordinated counts share one predicate ("trois soldats et un civil ont été
  tués"); same-key members add up, different keys stay apart, because the
  spec forbids arithmetic across categories only.
* "dont N enfants/femmes/civils" breaks a killed count down; breakdowns of
  any other count (evacuees "dont 250 blessés") give nothing.

All French words and patterns live in ``lang/fr/figures.yaml``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Optional

from text_to_num import text2num

from vigile.resources import load_yaml

#: Keys whose count can be broken down into killed civilians, children, women.
_KILLED_FAMILY = ("killed", "killed_civilians")
#: Forward predicate search: at most this many words after the noun …
_WINDOW_WORDS = 12
#: … and this many characters.
_WINDOW_CHARS = 160
#: How far back an object cue or breakdown cue is looked for (the longest,
#: "coûté la vie à", "parmi lesquelles", are well under this).
_CUE_CHARS = 50
#: How many words before a number can make it hypothetical.
_HYPOTHETICAL_WORDS = 4
#: Longest gap (in words) between two coordinated counts.
_CHAIN_GAP_WORDS = 6

_TOKEN = re.compile(r"[^\W\d_]+'?|\d+|[^\w\s]")
_HARD_STOP = re.compile(r"[.;!?](?=\s|$)")
#: A singular participle ("tué", "arrêtée") cannot have a plural count as subject.
_SINGULAR_PARTICIPLE = re.compile(r"ée?$")


@dataclass(frozen=True)
class FigureMention:
    """One count in a sentence, with its figure key and qualifier."""

    key: str
    value: int
    qualifier: str
    start: int
    end: int


@dataclass
class _Quantity:
    """A number phrase and what surrounds it, before a key is chosen."""

    start: int
    end: int
    value: int
    qualifier: str
    is_one: bool                 # a bare "un/une", only a count before a person noun
    collective: bool             # "une centaine": its verb may be singular
    head: Optional[str] = None   # the noun after it, None when it stands alone
    head_end: int = 0
    cls: str = "bare"            # class of that noun: see _Lexicon.lemma_class
    after: Optional[str] = None  # the word after the noun ("femmes kamikazes")
    breakdown: bool = False
    first: int = 0               # index of the first count of its coordination
    last: int = 0                # index of the last count of its coordination
    stop: int = 0                # where its coordination's predicate search ends


class _Lexicon:
    """The French resources, compiled once."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.multipliers: dict[str, int] = data["multipliers"]
        self.approx: dict[str, int] = data["approx_nouns"]
        self.qualifier_of: dict[str, str] = {
            p: q for q, phrases in data["qualifiers"].items() for p in phrases}
        self.post_qualifiers: dict[str, str] = data["post_qualifiers"]
        self.post_qualifier = re.compile(
            r"\s*,?\s*(" + "|".join(map(re.escape, self.post_qualifiers)) + r")\b")
        self.classes: dict[str, str] = {}
        for word in data["things"]:
            self.classes[word] = "thing"
        for word in data["person_nouns"]:
            self.classes[word] = "person"
        for name, cls in (("civilian_nouns", "civilian"), ("child_nouns", "child"),
                          ("woman_nouns", "woman"), ("attacker_nouns", "attacker")):
            for word in data[name]:
                self.classes[word] = cls
        for key, words in data["keyed_nouns"].items():
            for word in words:
                self.classes[word] = "noun:" + key
        self.classes[data["aid_unit"]] = "aid_unit"
        self.partitives = frozenset(data["partitives"])
        self.function_words = frozenset(data["function_words"])
        self.verb_starts = frozenset(data["verb_starts"])
        self.aid_words = frozenset(data["aid_words"])
        self.articles = frozenset(data["indefinite_articles"])
        self.victim_nouns = frozenset(data["victim_nouns"])
        self.predicates = _keyed_alternation(data["predicates_re"], "")
        gap = data["object_cue_gap_re"]
        self.object_cues = _keyed_alternation(data["object_cues_re"], rf"(?:\s+{gap}){{0,2}}\s*$")
        self.breakdown_cue = re.compile(data["breakdown_cues_re"] + r"\s*$")
        self.breakdown_aside = re.compile(data["breakdown_aside_re"])
        self.coordinators = frozenset(data["coordinators"])
        self.toll = re.compile(data["toll_re"])
        self.toll_before = re.compile(data["toll_before_re"])
        self.mixed_victims = re.compile(data["mixed_victims_re"])
        self.modifier = re.compile(data["modifier_re"])
        self.hypothetical = re.compile(data["hypothetical_re"])
        self.zero = _keyed_alternation(data["zero_re"], "")
        self.superseded = re.compile("|".join(f"(?:{p})" for p in data["superseded_re"]))
        self.quantity = self._quantity_regex(data)

    def _quantity_regex(self, data: dict[str, Any]) -> re.Pattern[str]:
        """Qualifier? then an approximate noun, digits or a number-word run."""
        def alt(words: Any) -> str:
            return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))

        quals = "|".join(
            re.escape(p) + (r"\s*" if p.endswith("'") else r"\s+")
            for p in sorted(self.qualifier_of, key=len, reverse=True))
        word = f"(?:{alt(data['number_words'])})"
        mult = f"(?:{alt(self.multipliers)})s?"
        digits = (r"(?<![\w/:.,-])(?P<dig>\d{1,3}(?:[.' ]\d{3})+|\d+(?:,\d+)?)"
                  r"(?![\w/:]|[.,']\d)" f"(?:\\s+(?P<mult>{mult})\\b)?")
        approx = (rf"(?<![\w-])(?P<adet>une?|{word}|\d+)\s+"
                  rf"(?P<apx>{alt(self.approx)})s?(?![\w-])")
        blockers = "".join(f"(?<!{re.escape(b)} )" for b in data["number_word_blockers"])
        words = (rf"(?<![\w-]){blockers}(?P<words>{word}(?:(?:-et-|-|\s+et\s+|\s+){word})*)"
                 r"(?![\w-])")
        return re.compile(rf"(?:(?P<qual>{quals}))?(?:{approx}|{digits}|{words})")

    def lemma_class(self, word: str) -> str:
        """Class of a word: thing, person, civilian, child, woman, attacker,
        aid_unit, noun:<key>, or unknown. Plural -s/-x is stripped first."""
        return self.classes.get(word) or self.classes.get(_singular(word), "unknown")


def _singular(word: str) -> str:
    """Strip a plural -s/-x; the lexicons list singulars."""
    return word[:-1] if word[-1:] in ("s", "x") else word


def _keyed_alternation(patterns: dict[str, list[str]], suffix: str) -> re.Pattern[str]:
    """One regex with a named group per key, so a single search finds the
    earliest cue of any key."""
    return re.compile("|".join(
        f"(?P<{key}>(?:{'|'.join(pats)}){suffix})" for key, pats in patterns.items()))


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    return _Lexicon(load_yaml("fr", "figures.yaml"))


def _normalise(text: str) -> str:
    """Lower-case and fold apostrophes and odd spaces without changing any
    offset, so spans found here index the caller's sentence."""
    low = text.lower()
    if len(low) != len(text):  # rare characters whose lower case is longer
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return low.translate(_FOLD)


_FOLD = str.maketrans({"’": "'", "‘": "'", "\u00a0": " ", "\u202f": " ", "\u2009": " ",
                       "\u2007": " "})


_DIGIT_SEPARATORS = str.maketrans("", "", ". '")


def _value(m: re.Match[str], lex: _Lexicon) -> Optional[int]:
    """The integer a quantity match stands for, or None when it is not one."""
    if m.group("apx"):
        det = m.group("adet")
        base = lex.approx[m.group("apx")]
        factor = 1 if det in lex.articles else _number(det)
        return None if factor is None else factor * base
    if m.group("dig"):
        raw = m.group("dig").translate(_DIGIT_SEPARATORS)
        mult = m.group("mult")
        number = float(raw.replace(",", ".")) * (lex.multipliers[mult.rstrip("s")] if mult else 1)
        return int(number) if number == int(number) else None
    return _number(m.group("words"))


def _number(words: str) -> Optional[int]:
    """Digits or a number-word run as an integer; None when text2num rejects
    the run."""
    if words.isdigit():
        return int(words)
    try:
        return text2num(re.sub(r"\s+", " ", words), "fr")
    except ValueError:  # a run that is not one number ("deux trois")
        return None


def parse_quantity(phrase: str) -> tuple[int, str] | None:
    """Value and qualifier of a number phrase ("au moins 31" → (31, "at_least")),
    or None for vague plurals ("des dizaines") and non-numbers."""
    lex = _lexicon()
    low = _normalise(phrase.strip())
    m = lex.quantity.fullmatch(low)
    if not m:
        return None
    value = _value(m, lex)
    return None if value is None else (value, _qualifier(m, lex))


def _qualifier(m: re.Match[str], lex: _Lexicon) -> str:
    if m.group("qual"):
        return lex.qualifier_of[m.group("qual").rstrip()]
    return "approx" if m.group("apx") else "exact"


def _quantities(low: str, lex: _Lexicon) -> list[_Quantity]:
    """Every number phrase, with its noun and its place in coordinations."""
    found: list[_Quantity] = []
    for m in lex.quantity.finditer(low):
        value = _value(m, lex)
        if value is None:
            continue
        q = _Quantity(m.start(), m.end(), value, _qualifier(m, lex),
                      m.group("words") in lex.articles, m.group("adet") in lex.articles)
        _attach_noun(q, low, lex)
        if q.is_one and q.cls in ("bare", "unknown", "thing", "aid_unit"):
            continue  # "un des derniers", "un Iliouchine": an article, not a count
        if _hypothetical(low, q.start, lex):
            continue
        found.append(q)
    _link(found, low, lex)
    return found


def _attach_noun(q: _Quantity, low: str, lex: _Lexicon) -> None:
    """Find the noun the number counts, skipping "de ses" and quotes. A verb,
    a predicate ("trois faits prisonniers") or a function word instead means
    the number stands alone, as a subject or an object."""
    q.head_end = q.end
    tokens = _TOKEN.finditer(low, q.end, min(len(low), q.end + 80))
    for tok in tokens:
        word = tok.group()
        if word in lex.partitives:
            continue
        cls = lex.lemma_class(word) if word[0].isalpha() else "bare"
        if cls == "bare" or word in lex.verb_starts or word in lex.function_words or (
                not cls.startswith("noun:") and lex.predicates.match(low, tok.start())):
            return
        q.head, q.cls, q.head_end = word, cls, tok.end()
        nxt = next(tokens, None)
        if nxt is not None:
            q.after = nxt.group()
            if cls in ("person", "unknown") and lex.lemma_class(q.after) == "civilian":
                q.cls = "civilian"  # "un employé civil", "trois travailleurs civils"
        post = lex.post_qualifier.match(low, q.head_end, q.head_end + 20)
        if post and q.qualifier == "exact":
            q.qualifier = lex.post_qualifiers[post.group(1)]
        return


def _hypothetical(low: str, start: int, lex: _Lexicon) -> bool:
    """"pourrait dépasser les 60 morts" is a forecast, not a count."""
    before = low[max(0, start - 2 * _CUE_CHARS):start]
    words = before.split()[-_HYPOTHETICAL_WORDS:]
    return bool(lex.hypothetical.search(" ".join(words)))


def _link(qs: list[_Quantity], low: str, lex: _Lexicon) -> None:
    """Group coordinated counts ("trois soldats et un civil"), mark breakdowns
    ("dont …") and bound each predicate search at the next independent count
    (things like "deux mois" do not end it: they are not subjects)."""
    for i, q in enumerate(qs):
        before = low[max(0, q.start - _CUE_CHARS):q.start]
        q.breakdown = bool(lex.breakdown_cue.search(before))
        prev = qs[i - 1] if i else None
        if prev and prev.head and prev.cls != "thing" and not q.breakdown \
                and _coordinated(low[prev.end:q.start], lex):
            q.first, q.breakdown = prev.first, prev.breakdown
        else:
            q.first = i
        qs[q.first].last = i
    next_start = len(low)
    for j in range(len(qs) - 1, -1, -1):
        qs[j].stop = next_start
        if not qs[j].breakdown and qs[j].cls != "thing":
            next_start = qs[j].start
    for q in qs:
        q.last, q.stop = qs[q.first].last, qs[qs[q.first].last].stop


def _coordinated(gap: str, lex: _Lexicon) -> bool:
    """True when the text between two counts is the first one's noun phrase
    then "et" or a comma: "trois soldats africains et | un civil"."""
    words = gap.split()
    if not words or len(words) > _CHAIN_GAP_WORDS + 1:
        return False
    if not (words[-1] in lex.coordinators or gap.rstrip().endswith(",")):
        return False
    if any(w in lex.verb_starts for w in words) or _HARD_STOP.search(gap):
        return False
    return not lex.predicates.search(gap)


#: A count this close to a "précédent bilan" phrase (characters before / after it) is stale.
_STALE_BEFORE = 25
_STALE_AFTER = 70


#: No count of people or tonnes reaches this: a larger "figure" is a misread number.
MAX_FIGURE = 1_000_000_000


def find_figures(sentence: str) -> list[FigureMention]:
    """The figures one sentence reports, in order.

    A sentence may report several events ("… frappé A, tuant 9 civils, tandis
    que … B, tuant 4 civils"), so a key may occur more than once; which figure
    belongs to which event is the assembly stage's choice. Two rules hold here,
    because they are about the figures themselves: a stated total ("porte à N
    le nombre de …") replaces the other counts of its key, and a stated zero
    ("aucune victime") yields to any real count of the same key. Counts of a
    superseded toll ("un précédent bilan faisait état de 77 morts") are left out."""
    lex = _lexicon()
    low = _normalise(sentence)
    qs = _quantities(low, lex)
    resolved: list[tuple[str, _Quantity, int]] = []
    parent_key: Optional[str] = None
    for i, q in enumerate(qs):
        if q.breakdown:
            key, priority = _breakdown_key(parent_key, q), 0
        else:
            key, priority = _key(qs, i, low, lex)
            if q.cls != "thing":
                parent_key = key
        if key:
            resolved.append((key, q, priority))
    candidates = _sum_chains(resolved)
    # A stated zero ("aucune victime") yields to any count of the same key.
    candidates += [(-1, FigureMention(str(m.lastgroup), 0, "exact", m.start(), m.end()))
                   for m in lex.zero.finditer(low)]
    stale = [(m.start() - _STALE_BEFORE, m.end() + _STALE_AFTER) for m in lex.superseded.finditer(low)]
    candidates = [(p, f) for p, f in candidates if not any(a <= f.start <= b for a, b in stale)]
    candidates = [(p, f) for p, f in candidates if f.value < MAX_FIGURE]
    top: dict[str, int] = {}
    for priority, fig in candidates:
        top[fig.key] = max(priority, top.get(fig.key, priority))
    return sorted((fig for priority, fig in candidates if priority == top[fig.key]), key=lambda f: f.start)


def _sum_chains(resolved: list[tuple[str, _Quantity, int]]) -> list[tuple[int, FigureMention]]:
    """"8 soldats et au moins 10 terroristes ont été tués" → killed ≥18:
    same-key members of one coordination add up, different keys stay apart."""
    out: dict[tuple[int, str], tuple[int, FigureMention]] = {}
    for key, q, priority in resolved:
        held = out.get((q.first, key))
        if held is None:
            out[(q.first, key)] = (priority, FigureMention(key, q.value, q.qualifier,
                                                           q.start, q.end))
            continue
        prev = held[1]
        quals = {prev.qualifier, q.qualifier}
        qual = next((x for x in ("at_least", "approx", "at_most") if x in quals), "exact")
        out[(q.first, key)] = (max(priority, held[0]),
                               FigureMention(key, prev.value + q.value, qual, prev.start, q.end))
    return list(out.values())


def _breakdown_key(parent: Optional[str], q: _Quantity) -> Optional[str]:
    """"dont 14 enfants" under a killed count → killed_children; under any
    other count (evacuees, injured, kamikazes) → nothing."""
    if parent not in _KILLED_FAMILY:
        return None
    return {"civilian": "killed_civilians", "child": "killed_children",
            "woman": "killed_women"}.get(q.cls)


def _key(qs: list[_Quantity], i: int, low: str, lex: _Lexicon) -> tuple[Optional[str], int]:
    """Figure key of a non-breakdown count and its priority (1 for a total
    such as "porte à N le nombre de …" or "le nombre de morts s'élève à N")."""
    q = qs[i]
    if q.cls == "thing":
        return None, 0
    if q.cls == "aid_unit":
        return ("aid_tonnes" if _followed_by_aid(low, q.head_end, lex) else None), 0
    predicate = _object_cue(low, q.start, lex)
    if q.cls.startswith("noun:"):
        if predicate == "evacuated":  # "ont évacué 40 blessés": the move is the figure
            return predicate, 0
        return _keyed_noun(q, low, lex), 0
    if q.head is None:
        toll = lex.toll.match(low, q.end, q.end + _WINDOW_CHARS) or lex.toll_before.search(
            low, max(0, q.start - 2 * _WINDOW_CHARS // 3), q.start)
        if toll:
            return _toll_key(toll, lex), 1
    if predicate is None and q.first != i:
        predicate = _object_cue(low, qs[q.first].start, lex)
    if predicate is None:
        predicate = _forward_predicate(qs, i, low, lex)
    if predicate is None:
        return None, 0
    return _person_key(predicate, q.cls, lex.lemma_class(q.after) if q.after else ""), 0


def _followed_by_aid(low: str, pos: int, lex: _Lexicon) -> bool:
    """"46 tonnes d'aide": tonnes count aid only when aid is named; tonnes of
    explosives or of anything else are not a figure."""
    words = [t.group().rstrip("'") for t in _TOKEN.finditer(low, pos, min(len(low), pos + 40))]
    return any(w in lex.aid_words for w in words[:3])


def _keyed_noun(q: _Quantity, low: str, lex: _Lexicon) -> Optional[str]:
    """Key of "31 morts", refined by what follows: "morts parmi les civils" or
    "victimes civiles" are civilians, "morts parmi les assaillants" are not
    counted, "25 victimes, des morts et des blessés" fits no key."""
    key = q.cls[5:]
    if _singular(q.head or "") in lex.victim_nouns and lex.mixed_victims.match(low, q.head_end):
        return None
    m = lex.modifier.match(low, q.head_end, q.head_end + 40)
    modifier = lex.lemma_class(m.group(1)) if m else ""
    if modifier == "attacker":
        return None
    if key == "killed" and modifier == "civilian":
        return "killed_civilians"
    return key


def _toll_key(m: re.Match[str], lex: _Lexicon) -> Optional[str]:
    """"porte à 191 le nombre de civils tués" → killed_civilians."""
    cls = lex.lemma_class(m.group(1))
    if cls.startswith("noun:"):
        key = cls[5:]
        if key == "killed" and m.group(2) and lex.lemma_class(m.group(2)) == "civilian":
            return "killed_civilians"
        return key
    second = m.group(2) or ""
    pred = lex.predicates.match(second)
    return _person_key(pred.lastgroup, cls, "") if pred and pred.lastgroup else None


def _object_cue(low: str, start: int, lex: _Lexicon) -> Optional[str]:
    """An active verb right before the count: "tuant 17 civils"."""
    before = low[max(0, start - _CUE_CHARS):start].rstrip()
    if not before or not (before[-1].isalpha() or before[-1] == "'"):
        return None  # cheap exit: most numbers follow punctuation or digits
    m = lex.object_cues.search(before)
    return m.lastgroup if m else None


def _forward_predicate(qs: list[_Quantity], i: int, low: str, lex: _Lexicon) -> Optional[str]:
    """The first predicate after the coordination this count belongs to,
    before the next independent count or the end of the clause. A bare
    number needs it right away ("27 ont été blessées", "trois faits
    prisonniers"), and a plural count skips singular participles, which
    belong to another subject ("les six femmes … avant d'être tué")."""
    q, last = qs[i], qs[qs[i].last]
    start = last.head_end
    stop = min(q.stop, start + _WINDOW_CHARS)
    hard = _HARD_STOP.search(low, start, stop)
    if hard:
        stop = hard.start()
    window = lex.breakdown_aside.sub(lambda m: " " * len(m.group()), low[start:stop])
    plural = q.last != q.first or not (q.value == 1 or q.collective)
    limit = 3 if last.head is None else _WINDOW_WORDS
    for m in lex.predicates.finditer(window):
        if len(window[:m.start()].split()) > limit:
            return None
        if plural and _SINGULAR_PARTICIPLE.search(m.group()):
            continue
        return m.lastgroup
    return None


def _person_key(predicate: str, cls: str, after_cls: str) -> Optional[str]:
    """Key for people and a predicate: killed civilians, children or women get
    their own key; attackers killed or injured are not casualties."""
    if predicate not in ("killed", "injured"):
        return predicate
    if "attacker" in (cls, after_cls):
        return None
    if predicate == "injured":
        return "injured"
    return {"civilian": "killed_civilians", "child": "killed_children",
            "woman": "killed_women"}.get(cls, "killed")
