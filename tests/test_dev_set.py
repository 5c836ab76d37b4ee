"""End to end on the annotated dev set (read from ../shared; skipped without it)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from vigile.evaluate import load_jsonl, score
from vigile.schema import Article


@pytest.fixture(scope="module")
def scored(pipeline, dev_set):
    gold = load_jsonl(dev_set)
    results = list(pipeline.extract(Article.model_validate(d) for d in gold.values()))
    assert [r.error for r in results if r.error] == []
    pred = {r.id: r.to_spec() for r in results}
    return gold, pred


def test_dev_set_quality(scored):
    gold, pred = scored
    s = score(gold, pred).summary
    assert s["schema_errors"] == 0 and s["missing_docs"] == 0
    assert s["full"]["f1"] >= 0.65, s["full"]
    assert s["figures"]["f1"] >= 0.80, s["figures"]


def test_seed_articles_quality(scored):
    gold, pred = scored
    seeds = {k: v for k, v in gold.items() if k.startswith("seed-")}
    assert len(seeds) == 5
    s = score(seeds, pred).summary
    assert s["full"]["f1"] >= 0.80, s["full"]


def test_scorer_agrees_with_the_reference(scored, dev_set, tmp_path):
    """`vigile evaluate` and ../shared/eval/score.py give the same numbers."""
    gold, pred = scored
    reference = dev_set.parent / "score.py"
    if not reference.exists():
        pytest.skip("reference scorer not present")
    pred_path = tmp_path / "pred.jsonl"
    pred_path.write_text("".join(json.dumps(p) + "\n" for p in pred.values()), encoding="utf-8")
    out = tmp_path / "ref.json"
    subprocess.run([sys.executable, str(reference), str(dev_set), str(pred_path), "--json", str(out)],
                   check=True, capture_output=True)
    ours = score(gold, pred).summary
    assert json.loads(out.read_text()) == json.loads(json.dumps(ours))
