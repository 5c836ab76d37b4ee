"""The `vigile` command as a user runs it: real files, real pipeline."""
from __future__ import annotations

import json

from typer.testing import CliRunner

from vigile.cli import app

runner = CliRunner()

GOOD = {"id": "a1", "published": "2017-03-14",
        "text": "Au moins 12 civils ont été tués mardi dans des frappes aériennes sur Idleb, selon l'OSDH."}


def write_jsonl(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_extract_jsonl_to_file(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [json.dumps(GOOD, ensure_ascii=False)])
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["extract", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["id"] == "a1"
    strike = next(e for e in rows[0]["events"] if e["type"] == "air_strike")
    assert strike["date"] == "2017-03-14"
    assert strike["location"]["country"] == "SY"
    assert strike["figures"]["killed_civilians"] == {"value": 12, "qualifier": "at_least"}
    assert strike["sources"] == ["Syrian Observatory for Human Rights"]
    assert strike["evidence"] in GOOD["text"]
    assert set(strike) == {"type", "date", "location", "actors", "figures", "sources", "evidence"}


def test_bad_lines_are_reported_and_the_rest_is_written(tmp_path):
    lines = [
        json.dumps(GOOD, ensure_ascii=False),
        '{"id": "broken", "text": ',                       # malformed JSON
        json.dumps({"id": "notext"}),                      # no text
        json.dumps({"id": "xx", "text": "Hello", "lang": "xx"}),  # unknown language
        json.dumps({**GOOD, "id": "a2"}, ensure_ascii=False),
    ]
    src = write_jsonl(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["extract", str(src), "-o", str(out)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{src}:2: malformed JSON" in result.output
    assert f"{src}:3: missing required field 'text'" in result.output
    assert "unsupported language 'xx'" in result.output
    assert "3 failed" in result.output
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert ids == ["a1", "a2"]


def test_text_files_folders_and_encoding_errors(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "r1.txt").write_text(GOOD["text"], encoding="utf-8")
    (folder / "latin1.txt").write_bytes("Des combats à Alep, selon l'OSDH.".encode("latin-1"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    result = runner.invoke(app, ["extract", str(folder), "--published", "2017-03-14"])
    assert result.exit_code == 1
    assert "latin1.txt: not UTF-8" in result.output
    assert "empty.txt: empty file" in result.output
    assert "binary.txt: binary file" in result.output
    row = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("{")))
    assert row["id"] == "r1" and row["events"]


def test_stdin_text_with_published(tmp_path):
    result = runner.invoke(app, ["extract", "-", "--published", "2017-03-14"], input=GOOD["text"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout.strip().splitlines()[0])
    assert any(e["date"] == "2017-03-14" for e in row["events"])


def test_table_format(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [json.dumps(GOOD, ensure_ascii=False)])
    result = runner.invoke(app, ["extract", str(src), "--format", "table"])
    assert result.exit_code == 0
    assert "air_strike" in result.stdout and "Idlib" in result.stdout


def test_bad_published_and_missing_input(tmp_path):
    result = runner.invoke(app, ["extract", "-", "--published", "mardi"], input="x")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output
    result = runner.invoke(app, ["extract", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1 and "no such file" in result.output


def test_failed_run_leaves_no_partial_output(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("previous results\n", encoding="utf-8")
    src = write_jsonl(tmp_path / "in.jsonl", [json.dumps(GOOD, ensure_ascii=False)])
    result = runner.invoke(app, ["extract", str(src), "-o", str(out), "--lang", "xx"])
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "previous results\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_oversized_and_undecodable_jsonl_lines(tmp_path):
    huge = json.dumps({"id": "huge", "text": "Des combats à Alep. " * 260_000})  # ~5 MB
    src = tmp_path / "in.jsonl"
    src.write_bytes(huge.encode() + b"\n" + b'{"id": "bad", "text": "caf\xe9"}\n'
                    + json.dumps(GOOD, ensure_ascii=False).encode() + b"\n")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["extract", str(src), "-o", str(out)])
    assert result.exit_code == 1
    assert "article huge: text of 5,200,000 characters is over" in result.output
    assert f"{src}:2: not UTF-8" in result.output
    assert [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()] == ["a1"]


def test_binary_jsonl_is_refused(tmp_path):
    src = tmp_path / "blob.jsonl"
    src.write_bytes(b"\x89PNG\x00\x00\x01binary")
    result = runner.invoke(app, ["extract", str(src)])
    assert result.exit_code == 1 and "binary file, not JSON Lines" in result.output


def test_evaluate_scores_a_prediction_file(tmp_path):
    loc = {"name": "Aleppo", "mention": "Alep", "country": "SY", "lat": 36.2, "lon": 37.16, "precision": "city"}
    gold_events = [{"type": "shelling", "date": "2016-12-13", "location": loc, "actors": [], "sources": [],
                    "figures": {"killed": {"value": 3, "qualifier": "exact"}}, "evidence": "x"},
                   {"type": "evacuation", "date": None, "location": loc, "actors": [], "sources": [],
                    "figures": {}, "evidence": "y"}]
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "d1", "text": "x y", "events": gold_events}) + "\n", encoding="utf-8")
    pred = tmp_path / "pred.jsonl"
    pred.write_text(json.dumps({"id": "d1", "events": [gold_events[0]]}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(gold), str(pred), "--by-type"])
    assert result.exit_code == 0, result.output
    assert "full        P 1.000  R 0.500  F1 0.667" in result.output
    assert "figures     P 1.000  R 1.000  F1 1.000" in result.output
    assert "evacuation" in result.output
