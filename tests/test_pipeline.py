"""The pipeline as a library: batching, worker processes, per-article errors."""
from __future__ import annotations

import vigile
from vigile.pipeline import Pipeline
from vigile.schema import Article

TEXTS = [
    "Au moins 12 civils ont été tués mardi dans des frappes aériennes sur Idleb, selon l'OSDH.",
    "Un kamikaze s'est fait exploser samedi dans un marché de Maiduguri, tuant huit personnes.",
    "Plus de 3.000 habitants ont fui la ville de Mossoul depuis lundi, selon l'ONU.",
    "Des pourparlers de paix se tiendront jeudi à Genève.",
]


def test_worker_processes_give_the_same_records_in_order(pipeline):
    articles = [Article(id=str(i), text=t, published="2017-03-14") for i, t in enumerate(TEXTS * 3)]
    alone = [r.to_spec() for r in pipeline.extract(articles)]
    with_workers = [r.to_spec() for r in Pipeline(n_process=2, batch_size=2).extract(articles)]
    assert with_workers == alone
    assert [r["id"] for r in alone] == [a.id for a in articles]


def test_one_bad_article_does_not_stop_a_batch(pipeline):
    articles = [Article(id="ok", text=TEXTS[0]), Article(id="big", text="x" * (pipeline.max_chars + 1)),
                Article(id="de", text="Ein Text.", lang="de"), Article(id="ok2", text=TEXTS[1])]
    results = list(pipeline.extract(articles))
    assert [r.id for r in results] == ["ok", "big", "de", "ok2"]
    assert [bool(r.error) for r in results] == [False, True, True, False]
    assert results[0].events and results[3].events


def test_python_api_takes_texts_dicts_and_articles():
    results = vigile.extract([TEXTS[0], {"id": "x", "text": TEXTS[1], "published": "2019-06-17"}],
                             published="2017-03-14")
    assert [r.id for r in results] == ["0", "x"]
    strike = next(e for e in results[0].events if e.type == "air_strike")
    assert str(strike.date) == "2017-03-14" and strike.location.name == "Idlib"
    assert any(e.type == "bombing" and str(e.date) == "2019-06-15" for e in results[1].events)


def test_an_article_over_its_time_budget_is_a_clear_error():
    slow = Pipeline(time_budget=0.0)
    [result] = slow.extract([Article(id="slow", text=" ".join(TEXTS))])
    assert result.events == [] and "over its time budget" in result.error
