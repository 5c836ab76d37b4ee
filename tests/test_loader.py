"""Storing extracted articles in batches (`vigile.ingest.Loader`), on a real SQLite file and PostgreSQL."""
from __future__ import annotations

import json

import pytest
from fusion_corpus import ARTICLES

from vigile.ingest import Loader, load_index
from vigile.schema import Article
from vigile.store import Store

OUTLETS = ["Agence Un", "Quotidien Deux", "Journal Trois", "Radio Quatre"]


@pytest.fixture(scope="module")
def extracted(pipeline):
    """The fusion articles, each also retold by other outlets with a line of
    its own (near-duplicates, the same events told again): 36 articles."""
    docs = [dict(d, id=f"{d['id']}-{k}", source=OUTLETS[(i + k) % len(OUTLETS)],
                 text=d["text"] + (f"\nMise à jour numéro {k} de notre correspondant." if k else ""))
            for k in range(4) for i, d in enumerate(ARTICLES)]
    articles = [Article.model_validate(d) for d in docs]
    return [(a, r.events) for a, r in zip(articles, pipeline.extract(articles))]


def dump(store: Store) -> str:
    """Every event as the API shows it (ids included), but the timestamps of the run."""
    events = [{k: v for k, v in e.items() if k not in ("created_at", "updated_at")}
              for e in store.events(limit=None)]
    return json.dumps(sorted(events, key=lambda e: e["id"]), sort_keys=True)


def load(store: Store, items, batch: int, index=None, interrupt_at: int | None = None) -> list:
    """Store ``items`` with a Loader; what its callbacks reported."""
    reported: list = []
    index = index if index is not None else load_index(store)
    with Loader(store, index, batch=batch, seconds=3600) as loader:
        for i, (article, records) in enumerate(items):
            if i == interrupt_at:
                raise KeyboardInterrupt
            loader.add(article, records, then=reported.append)
    return reported


def test_batches_give_the_database_of_one_transaction_per_article(db_url, tmp_path, extracted):
    one_by_one = Store(str(tmp_path / "one-by-one.db"))
    load(one_by_one, extracted, batch=1)
    batched = Store(db_url)
    reported = load(batched, extracted, batch=16)
    assert [a.status for a in reported] == ["added"] * len(extracted)
    assert batched.counts() == one_by_one.counts()
    assert batched.counts()["duplicates"] > 0
    told = max(batched.events(limit=None), key=lambda e: e["n_articles"])
    assert told["n_articles"] >= 8 and told["sources"] and told["figures"]  # summarised, once per batch
    assert dump(batched) == dump(one_by_one)
    one_by_one.close()
    batched.close()


def test_an_interrupted_batch_is_rolled_back_and_forgotten_then_completed(db_url, tmp_path, extracted):
    reference = Store(str(tmp_path / "reference.db"))
    load(reference, extracted, batch=1)
    store = Store(db_url)
    index = load_index(store)
    with pytest.raises(KeyboardInterrupt):
        load(store, extracted, batch=8, index=index, interrupt_at=20)
    # two batches committed, the third (articles 16-19) rolled back: in the
    # database, and in the near-duplicate index that goes on being used
    assert store.counts()["articles"] == 16
    reported = load(store, extracted[16:], batch=8, index=index)
    assert [a.status for a in reported] == ["added"] * (len(extracted) - 16)
    assert dump(store) == dump(reference) and store.counts() == reference.counts()
    reference.close()
    store.close()


def test_a_text_twice_in_one_batch_is_stored_once(db_url, extracted):
    store = Store(db_url)
    article, records = extracted[0]
    again = article.model_copy(update={"id": "same-text-other-id"})
    reported = load(store, [(article, records), (again, records)], batch=8)
    assert [a.status for a in reported] == ["added", "known"]
    assert store.counts()["articles"] == 1
    store.close()
