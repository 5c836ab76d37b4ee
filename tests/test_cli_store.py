"""`vigile ingest / events / event / export` as a user runs them."""
from __future__ import annotations

import csv
import io
import json

import pytest
from fusion_corpus import ARTICLES
from typer.testing import CliRunner

from vigile.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory, pipeline):
    folder = tmp_path_factory.mktemp("cli-store")
    src = folder / "articles.jsonl"
    src.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ARTICLES), encoding="utf-8")
    path = folder / "vigile.db"
    result = runner.invoke(app, ["ingest", str(src), "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{len(ARTICLES)} articles read: {len(ARTICLES)} added (1 near-duplicates)" in result.output
    again = runner.invoke(app, ["ingest", str(src), "--db", str(path)])
    assert f"0 added (0 near-duplicates), {len(ARTICLES)} already stored" in again.output
    return path


def test_events_filters_and_formats(db):
    result = runner.invoke(app, ["events", "--db", str(db), "--country", "SY", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(r["type"] for r in rows) == ["air_strike", "evacuation", "shelling"]
    near = runner.invoke(app, ["events", "--db", str(db), "--near", "Homs", "--radius", "20", "--format", "csv"])
    assert [r["type"] for r in csv.DictReader(io.StringIO(near.stdout))] == ["shelling"]
    table = runner.invoke(app, ["events", "--db", str(db), "--type", "bombing"])
    assert "bombing" in table.stdout and "Mosul" in table.stdout
    geo = json.loads(runner.invoke(app, ["events", "--db", str(db), "--format", "geojson"]).stdout)
    assert len(geo["features"]) == 4


def test_one_event_with_its_claims(db):
    rows = [json.loads(x) for x in runner.invoke(
        app, ["events", "--db", str(db), "--type", "shelling", "--format", "jsonl"]).stdout.splitlines()]
    result = runner.invoke(app, ["event", str(rows[0]["id"]), "--db", str(db)])
    assert result.exit_code == 0
    for text in ("shelling", "SANA", "Syrian Civil Defence", "disputed", "Al-Waer"):
        assert text in result.stdout
    as_json = json.loads(runner.invoke(app, ["event", str(rows[0]["id"]), "--db", str(db), "--json"]).stdout)
    assert len(as_json["claims"]) == 3 and len(as_json["articles"]) == 3
    missing = runner.invoke(app, ["event", "99999", "--db", str(db)])
    assert missing.exit_code == 1 and "no event 99999" in missing.output


def test_export_acled_csv(db, tmp_path):
    out = tmp_path / "acled.csv"
    result = runner.invoke(app, ["export", "--format", "acled-csv", "-o", str(out), "--db", str(db)])
    assert result.exit_code == 0 and "4 events written" in result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {r["event_type"] for r in rows} == {"Explosions/Remote violence", "Strategic developments"}
    parquet = tmp_path / "events.parquet"
    assert runner.invoke(app, ["export", "-f", "parquet", "-o", str(parquet), "--db", str(db)]).exit_code == 0
    assert parquet.stat().st_size > 0


def test_clear_errors(db):
    bad_url = runner.invoke(app, ["events", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none"])
    assert bad_url.exit_code == 2 and "cannot open database" in bad_url.output and "Traceback" not in bad_url.output
    bad_type = runner.invoke(app, ["events", "--db", str(db), "--type", "riot"])
    assert bad_type.exit_code == 2 and "unknown type 'riot'" in bad_type.output
    bad_place = runner.invoke(app, ["events", "--db", str(db), "--near", "Nowhereville"])
    assert bad_place.exit_code == 2 and "no place called" in bad_place.output
