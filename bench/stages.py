"""Cost of the cheap stages on their worst inputs, and of the gazetteer.

    python bench/stages.py

Prints the gazetteer's open time and uncached resolves/s, and the slowest
time of the date, figure, cue and sentence readers over pathological texts
(100 KB without punctuation, long runs of number words, date words, spaces).
These are measured here, never asserted in the tests.
"""
from __future__ import annotations

import sqlite3
import time

from vigile.clean import clean
from vigile.dates import find_dateline, find_dates
from vigile.detect import find_cues
from vigile.figures import find_figures
from vigile.gazetteer import DEFAULT_DB, Gazetteer
from vigile.sentences import split

PATHOLOGICAL = {
    "date words": " ".join(("le depuis en mi fin début il y a nuit de du au et les lundi dernier 15 2014 mars "
                            "hier ce").split()[i * 7 % 22] for i in range(30000))[:100_000],
    "spaces": " " * 100_000,
    "depuis le début": "depuis le début de " * 5_000,
    "casualty words": ("au moins 3 personnes et 1 2 3 tuant 4 civils dont 2 enfants des dizaines de morts "
                       "porte à 5 le nombre de victimes vingt-et-un soldats ont péri ") * 700,
    "digits": "1 " * 50_000,
    "one letter": "a" * 100_000,
    "number words": "deux " * 20_000,
    "capitals": "Alep Damas Homs " * 6_000,
    "huge number": "10.000.000.000.000 " * 5_000,
}


def slowest(fn) -> tuple[str, float]:
    worst = ("", 0.0)
    for name, text in PATHOLOGICAL.items():
        t0 = time.perf_counter()
        fn(text)
        worst = max(worst, (name, time.perf_counter() - t0), key=lambda x: x[1])
    return worst


def main() -> None:
    t0 = time.perf_counter()
    Gazetteer(DEFAULT_DB)
    print(f"gazetteer open: {1000 * (time.perf_counter() - t0):.0f} ms")
    with sqlite3.connect(DEFAULT_DB) as db:
        names = [n for (n,) in db.execute("SELECT name FROM places WHERE kind = 'city' AND gid % 97 = 1 LIMIT 2000")]
    fresh = Gazetteer(DEFAULT_DB)
    t0 = time.perf_counter()
    for name in names:
        fresh.resolve(name, ("SY",))
    print(f"gazetteer: {len(names) / (time.perf_counter() - t0):,.0f} uncached resolves/s")
    for label, fn in [("dates", lambda t: (find_dates(t, None), find_dateline(t))),
                      ("figures", find_figures), ("cues", find_cues),
                      ("clean+sentences", lambda t: split(clean(t)))]:
        name, seconds = slowest(fn)
        print(f"{label:<16} slowest input: {seconds * 1000:7.1f} ms ({name}, 100 KB)")


if __name__ == "__main__":
    main()
