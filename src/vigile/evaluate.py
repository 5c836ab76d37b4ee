"""The scorer behind ``vigile evaluate``: event, figure, actor and source F1.

It applies the rules of the project's reference scorer (``eval/score.py``
beside the evaluation sets) so that a user without that file scores the same
way; a test checks both give identical numbers on the dev set.

* Events are matched one-to-one within a document, at three levels: same
  type; and place agrees (distance within the gold precision's tolerance, or
  same country for country-level gold); and day agrees (±1 day; a gold event
  without a day accepts any). The headline is the F1 of full matches.
* Among matchings of maximal size, the most alike pairs are chosen
  (evidence overlap, equal figures, actors, same day).
* Figures count on full matches; actors and sources too.
"""
from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Optional

from vigile.schema import EVENT_TYPES, FIGURE_KEYS

QUALIFIERS = {"exact", "at_least", "approx", "at_most"}
TOLERANCE_KM = {"site": 30.0, "city": 30.0, "region": 150.0}
_BIG = 1000.0


def load_jsonl(path: Path) -> dict[str, dict]:
    """Documents by id; a malformed line is an error naming the line."""
    docs: dict[str, dict] = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    doc = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{n}: not JSON: {e}") from None
                docs[str(doc.get("id"))] = doc
    return docs


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


def norm(s: object) -> str:
    s = unicodedata.normalize("NFKD", str(s)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def _coords(loc: dict) -> Optional[tuple[float, float]]:
    try:
        return float(loc["lat"]), float(loc["lon"])
    except (KeyError, TypeError, ValueError):
        return None


def place_agrees(g: dict, p: dict) -> bool:
    gl, pl = g.get("location"), p.get("location")
    if not gl:
        return True
    if not isinstance(pl, dict):
        return False
    if str(gl.get("country", "")).upper() != str(pl.get("country", "")).upper():
        return False
    prec = gl.get("precision") or "city"
    if prec == "country":
        return True
    gc, pc = _coords(gl), _coords(pl)
    if gc and pc:
        return km(gc, pc) <= TOLERANCE_KM.get(prec, 30.0)
    return norm(gl.get("name", "")) == norm(pl.get("name", ""))


def _day(s: object) -> Optional[date]:
    try:
        return date.fromisoformat(str(s)[:10])
    except ValueError:
        return None


def day_agrees(g: dict, p: dict) -> bool:
    gd = _day(g["date"]) if g.get("date") else None
    if gd is None:
        return True
    pd = _day(p["date"]) if p.get("date") else None
    return pd is not None and abs((gd - pd).days) <= 1


def names_agree(a: str, b: str) -> bool:
    ta, tb = set(norm(a).split()), set(norm(b).split())
    if not ta or not tb:
        return False
    return len(ta & tb) / len(ta | tb) >= 0.5 or norm(a) in norm(b) or norm(b) in norm(a)


def similarity(g: dict, p: dict) -> float:
    """How alike two compatible events are, to pick the right pair among several."""
    ge, pe = set(norm(g.get("evidence", "")).split()), set(norm(p.get("evidence", "")).split())
    s = 4.0 * len(ge & pe) / len(ge | pe) if ge and pe else 0.0
    gf, pf = g.get("figures") or {}, p.get("figures") or {}
    s += sum(2.0 for k, v in gf.items() if isinstance(pf.get(k), dict) and pf[k].get("value") == v.get("value"))
    s += sum(1.0 for a in g.get("actors") or [] if any(names_agree(a, b) for b in p.get("actors") or []))
    s += 1.0 if g.get("date") and g.get("date") == p.get("date") else 0.0
    return s


def _hungarian(cost: list[list[float]]) -> list[tuple[int, int]]:
    """Minimum-cost assignment of rows to columns (rows <= columns)."""
    n, m = len(cost), len(cost[0])
    inf = float("inf")
    u, v, way, p = [0.0] * (n + 1), [0.0] * (m + 1), [0] * (m + 1), [0] * (m + 1)
    for i in range(1, n + 1):
        p[0], j0 = i, 0
        minv, used = [inf] * (m + 1), [False] * (m + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], inf, 0
            for j in range(1, m + 1):
                if not used[j]:
                    cur = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j], way[j] = cur, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    return [(p[j] - 1, j - 1) for j in range(1, m + 1) if p[j]]


def match(gold: list[dict], pred: list[dict], ok: Callable[[dict, dict], bool]) -> list[tuple[int, int]]:
    """One-to-one pairs under ``ok``: as many as possible, and among those the most alike."""
    if not gold or not pred:
        return []
    weight = [[_BIG + similarity(g, p) if ok(g, p) else 0.0 for p in pred] for g in gold]
    flip = len(gold) > len(pred)
    rows = [list(r) for r in zip(*weight)] if flip else weight
    top = max(max(r) for r in rows)
    pairs = _hungarian([[top - w for w in r] for r in rows])
    if flip:
        pairs = [(i, j) for j, i in pairs]
    return [(i, j) for i, j in pairs if weight[i][j] > 0]


def prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else (1.0 if not n_gold else 0.0)
    r = tp / n_gold if n_gold else (1.0 if not n_pred else 0.0)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def schema_errors(doc_id: str, text: Optional[str], events: list) -> list[str]:
    errs = []
    for k, e in enumerate(events):
        where = f"{doc_id}#{k}"
        if not isinstance(e, dict):
            errs.append(f"{where}: not an object")
            continue
        if e.get("type") not in EVENT_TYPES:
            errs.append(f"{where}: unknown type {e.get('type')!r}")
        for key, fig in (e.get("figures") or {}).items():
            if key not in FIGURE_KEYS:
                errs.append(f"{where}: unknown figure {key!r}")
            elif not isinstance(fig, dict) or not isinstance(fig.get("value"), int) \
                    or fig.get("qualifier") not in QUALIFIERS:
                errs.append(f"{where}: bad figure {key}={fig!r}")
        if e.get("date") and _day(e["date"]) is None:
            errs.append(f"{where}: bad date {e['date']!r}")
        ev = e.get("evidence")
        if text is not None and ev and ev not in text:
            errs.append(f"{where}: evidence is not a span of the text")
    return errs


@dataclass
class Result:
    summary: dict
    errors: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)


_LEVELS: dict[str, Callable[[dict, dict], bool]] = {
    "type": lambda g, p: g["type"] == p.get("type"),
    "type+place": lambda g, p: g["type"] == p.get("type") and place_agrees(g, p),
    "full": lambda g, p: g["type"] == p.get("type") and place_agrees(g, p) and day_agrees(g, p),
}


def _describe(doc_id: str, tag: str, e: dict) -> str:
    return (f"{doc_id} {tag} {e.get('type')} @{(e.get('location') or {}).get('name')} "
            f"{e.get('date')}: {str(e.get('evidence', ''))[:90]}")


def score(gold_docs: dict[str, dict], pred_docs: dict[str, dict], show_errors: bool = False) -> Result:
    """Score predicted documents against gold ones."""
    tp: Counter[str] = Counter()
    n_gold = n_pred = 0
    by_type: dict[str, Counter[str]] = defaultdict(Counter)
    fig: Counter[str] = Counter()
    qual: Counter[str] = Counter()
    names: dict[str, Counter[str]] = {"actors": Counter(), "sources": Counter()}
    res = Result(summary={})
    for doc_id, gdoc in gold_docs.items():
        gold = gdoc.get("events") or []
        pdoc = pred_docs.get(doc_id)
        if pdoc is None:
            res.missing.append(doc_id)
        pred = (pdoc or {}).get("events") or []
        res.errors += schema_errors(doc_id, gdoc.get("text"), pred)
        pred = [p for p in pred if isinstance(p, dict)]
        n_gold += len(gold)
        n_pred += len(pred)
        for t in EVENT_TYPES:
            by_type[t]["gold"] += sum(g["type"] == t for g in gold)
            by_type[t]["pred"] += sum(p.get("type") == t for p in pred)
        fig["gold"] += sum(len(g.get("figures") or {}) for g in gold)
        fig["pred"] += sum(len(p.get("figures") or {}) for p in pred)
        pairs = {level: match(gold, pred, ok) for level, ok in _LEVELS.items()}
        for level, found in pairs.items():
            tp[level] += len(found)
        for i, j in pairs["full"]:
            g, p = gold[i], pred[j]
            by_type[g["type"]]["tp"] += 1
            gf, pf = g.get("figures") or {}, p.get("figures") or {}
            for key, v in gf.items():
                pv = pf.get(key)
                if isinstance(pv, dict) and pv.get("value") == v["value"]:
                    fig["tp"] += 1
                    qual["n"] += 1
                    qual["ok"] += pv.get("qualifier") == v["qualifier"]
            for fname, c in names.items():
                ga, pa = list(g.get(fname) or []), list(p.get(fname) or [])
                c["gold"] += len(ga)
                c["pred"] += len(pa)
                used: set[int] = set()
                for a in ga:
                    for k, b in enumerate(pa):
                        if k not in used and names_agree(a, b):
                            used.add(k)
                            c["tp"] += 1
                            break
        if show_errors:
            hit_g = {i for i, _ in pairs["full"]}
            hit_p = {j for _, j in pairs["full"]}
            res.misses += [_describe(doc_id, "MISSED", g) for i, g in enumerate(gold) if i not in hit_g]
            res.misses += [_describe(doc_id, "EXTRA ", p) for j, p in enumerate(pred) if j not in hit_p]
    s = res.summary
    s.update(docs=len(gold_docs), gold_events=n_gold, pred_events=n_pred,
             missing_docs=len(res.missing), schema_errors=len(res.errors))
    for level in _LEVELS:
        p, r, f = prf(tp[level], n_pred, n_gold)
        s[level] = {"p": round(p, 3), "r": round(r, 3), "f1": round(f, 3)}
    p, r, f = prf(fig["tp"], fig["pred"], fig["gold"])
    s["figures"] = {"p": round(p, 3), "r": round(r, 3), "f1": round(f, 3),
                    "qualifier_acc": round(qual["ok"] / qual["n"], 3) if qual["n"] else None}
    for fname, c in names.items():
        p, r, f = prf(c["tp"], c["pred"], c["gold"])
        s[fname] = {"p": round(p, 3), "r": round(r, 3), "f1": round(f, 3)}
    s["by_type"] = {t: {**dict(zip("prf", (round(x, 3) for x in prf(c["tp"], c["pred"], c["gold"])))),
                        "gold": c["gold"], "pred": c["pred"]}
                    for t, c in sorted(by_type.items()) if c["gold"] or c["pred"]}
    return res


def format_report(res: Result, by_type: bool = False) -> str:
    """The scorer's text report."""
    s = res.summary
    lines = [f"schema: {e}" for e in res.errors[:20]]
    if res.missing:
        lines.append("missing docs: " + ", ".join(res.missing[:20]))
    lines += res.misses
    lines.append(f"{s['docs']} docs, {s['gold_events']} gold events, {s['pred_events']} predicted")
    for level in ("type", "type+place", "full"):
        r = s[level]
        lines.append(f"  {level:<11} P {r['p']:.3f}  R {r['r']:.3f}  F1 {r['f1']:.3f}")
    for fname in ("figures", "actors", "sources"):
        r = s[fname]
        lines.append(f"  {fname:<11} P {r['p']:.3f}  R {r['r']:.3f}  F1 {r['f1']:.3f}")
    if by_type:
        for t, r in s["by_type"].items():
            lines.append(f"    {t:<27} gold {r['gold']:>3} pred {r['pred']:>3}  "
                         f"P {r['p']:.2f} R {r['r']:.2f} F1 {r['f']:.2f}")
    lines.append(f"event_f1={s['full']['f1']:.3f} figures_f1={s['figures']['f1']:.3f} "
                 f"schema_errors={len(res.errors)} missing_docs={len(res.missing)}")
    return "\n".join(lines)
