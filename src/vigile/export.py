"""Fused events out: JSON Lines, CSV, GeoJSON, Parquet and ACLED-compatible CSV.

The ACLED columns follow ACLED's codebook names so that existing analysis
scripts read Vigile's output unchanged. Two honest departures: cumulative tolls
(`casualty_toll`) are not ACLED events and are left out of that export, and
``time_precision`` is 3 (month-level) when no day is known rather than a
guessed day.

CSV is written for spreadsheets too: a text cell that starts like a formula
(``=``, ``+``, ``-``, ``@``, tab, carriage return) gets a leading ``'``
(:func:`safe_cell`), since names and evidence come from articles anyone wrote.
"""
from __future__ import annotations

import csv
import json
from typing import IO, Iterable

ACLED_COLUMNS = ["event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
                 "sub_event_type", "actor1", "actor2", "country", "location", "latitude", "longitude",
                 "geo_precision", "source", "source_scale", "notes", "fatalities", "timestamp"]
FLAT_COLUMNS = ["id", "type", "date", "country", "location", "latitude", "longitude", "precision", "actors",
                "sources", "fatalities", "n_articles", "n_sources", "disputed", "killed_low", "killed_best",
                "killed_high", "evidence", "updated_at"]

#: Vigile type → ACLED (disorder type, event type, sub-event type).
_ACLED_TYPES = {
    "armed_clash": ("Political violence", "Battles", "Armed clash"),
    "territory_change": ("Political violence", "Battles", "Non-state actor overtakes territory"),
    "air_strike": ("Political violence", "Explosions/Remote violence", "Air/drone strike"),
    "shelling": ("Political violence", "Explosions/Remote violence", "Shelling/artillery/missile attack"),
    "bombing": ("Political violence", "Explosions/Remote violence", "Remote explosive/landmine/IED"),
    "violence_against_civilians": ("Political violence", "Violence against civilians", "Attack"),
    "protest": ("Demonstrations", "Protests", "Peaceful protest"),
    "arrest": ("Strategic developments", "Strategic developments", "Arrests"),
    "ceasefire": ("Strategic developments", "Strategic developments", "Agreement"),
    "talks": ("Strategic developments", "Strategic developments", "Agreement"),
    "evacuation": ("Strategic developments", "Strategic developments", "Other"),
    "displacement": ("Strategic developments", "Strategic developments", "Other"),
    "aid_delivery": ("Strategic developments", "Strategic developments", "Other"),
}
_GEO_PRECISION = {"site": 1, "city": 1, "region": 2, "country": 3}
#: Actors that are a state's forces: their territory gains are "Government regains territory".
_STATE_FORCES = ("Army", "Air Force", "Police", "Government", "Defence Forces", "Defense Forces")


def _loc(e: dict, key: str):
    return (e.get("location") or {}).get(key)


def flat_row(e: dict) -> dict:
    killed = (e.get("figures") or {}).get("killed") or {}
    return {"id": e["id"], "type": e["type"], "date": e["date"], "country": e["country"],
            "location": _loc(e, "name"), "latitude": _loc(e, "lat"), "longitude": _loc(e, "lon"),
            "precision": _loc(e, "precision"), "actors": "; ".join(e["actors"]),
            "sources": "; ".join(e["sources"]), "fatalities": e["fatalities"], "n_articles": e["n_articles"],
            "n_sources": e["n_sources"], "disputed": e["disputed"], "killed_low": killed.get("low"),
            "killed_best": killed.get("best"), "killed_high": killed.get("high"),
            "evidence": e["evidence"], "updated_at": e["updated_at"]}


def acled_row(e: dict) -> dict | None:
    """One event as an ACLED row, or None for a type ACLED does not record."""
    kinds = _ACLED_TYPES.get(e["type"])
    if kinds is None:
        return None
    disorder, event_type, sub = kinds
    actors = list(e["actors"])
    if e["type"] == "territory_change" and actors and any(f in actors[0] for f in _STATE_FORCES):
        sub = "Government regains territory"
    if e["type"] == "bombing" and "kamikaze" in (e.get("evidence") or "").lower():
        sub = "Suicide bomb"
    date = e["date"] or e.get("date_min")
    return {"event_id_cnty": f"{e['country'] or 'XX'}{e['id']}", "event_date": date or "",
            "year": (date or "")[:4], "time_precision": 1 if e["date"] else 3, "disorder_type": disorder,
            "event_type": event_type, "sub_event_type": sub, "actor1": actors[0] if actors else "",
            "actor2": actors[1] if len(actors) > 1 else "", "country": e["country"] or "",
            "location": _loc(e, "name") or "", "latitude": _loc(e, "lat"), "longitude": _loc(e, "lon"),
            "geo_precision": _GEO_PRECISION.get(_loc(e, "precision") or "", 3),
            "source": "; ".join(e["sources"]), "source_scale": "", "notes": e["evidence"] or "",
            "fatalities": e["fatalities"], "timestamp": e["updated_at"]}


def write_jsonl(events: Iterable[dict], out: IO[str]) -> int:
    n = 0
    for e in events:
        out.write(json.dumps(e, ensure_ascii=False) + "\n")
        n += 1
    return n


#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula (``=HYPERLINK(…)``,
    ``+cmd|…``, ``@SUM(…)``), prefixed with ``'`` so that it is shown as text;
    anything else unchanged. Numbers are never touched: they come as ``int``
    and ``float`` (a longitude of -3.5 stays a number), and only strings —
    the names, evidence and sources read from articles — can carry a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(events: Iterable[dict], out: IO[str], acled: bool = False) -> int:
    """Flat or ACLED CSV, spreadsheet-safe: every text cell goes through :func:`safe_cell`."""
    columns = ACLED_COLUMNS if acled else FLAT_COLUMNS
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    n = 0
    for e in events:
        row = acled_row(e) if acled else flat_row(e)
        if row is not None:
            writer.writerow({k: safe_cell(v) for k, v in row.items()})
            n += 1
    return n


def geojson(events: Iterable[dict]) -> dict:
    """A FeatureCollection of the events that have coordinates."""
    features = [{"type": "Feature", "id": e["id"],
                 "geometry": {"type": "Point", "coordinates": [_loc(e, "lon"), _loc(e, "lat")]},
                 "properties": {k: v for k, v in e.items() if k != "location"} | {"location": _loc(e, "name")}}
                for e in events if _loc(e, "lat") is not None]
    return {"type": "FeatureCollection", "features": features}


def write_geojson(events: Iterable[dict], out: IO[str]) -> int:
    collection = geojson(events)
    json.dump(collection, out, ensure_ascii=False)
    return len(collection["features"])


def write_parquet(events: Iterable[dict], path: str) -> int:
    """Flat columns in a Parquet file (figures as a JSON string column)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [flat_row(e) | {"figures": json.dumps(e["figures"], ensure_ascii=False)} for e in events]
    columns = FLAT_COLUMNS + ["figures"]
    table = pa.table({c: [r[c] for r in rows] for c in columns}) if rows else pa.table(
        {c: pa.array([], type=pa.string()) for c in columns})
    pq.write_table(table, path)
    return len(rows)
