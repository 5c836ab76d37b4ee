"""The one entry point: builds the stages once and runs batches of articles.

clean → sentences → analyse (spaCy NER, batched) → detect / figures / dates /
places / actors & sources → assemble & merge. The CLI, the Python API, the
benchmarks and the tests all go through :class:`Pipeline`, so none of them
holds extraction logic of its own.

Each article is processed inside its own error boundary: one bad document
yields an :class:`ArticleResult` with ``error`` set and never stops a batch.
"""
from __future__ import annotations

import itertools
import multiprocessing
import time
from typing import Iterable, Iterator, Optional

from vigile import nlp
from vigile.assemble import BudgetExceeded, assemble
from vigile.clean import CleanText, clean
from vigile.places import PlaceFinder
from vigile.schema import SUPPORTED_LANGS, Article, ArticleResult
from vigile.sentences import split

#: Articles longer than this are refused with a per-article error (a budget,
#: not a parser limit). A news article is rarely over 50,000 characters (the
#: dev set's longest is 5,300); 200,000 leaves room for a long report while
#: bounding what one hostile document costs before its time budget starts:
#: at 1,000,000 characters, a document of digits and spaces took 55 s and
#: 5.5 GB in spaCy alone; at 200,000 the worst we measured takes ~10 s in all,
#: and spaCy reads it in pieces of ``nlp.CHUNK_CHARS``, so memory no longer
#: grows with the document. Raise it with ``Pipeline(max_chars=…)``.
MAX_CHARS = 200_000
#: Seconds of reading one article may take after its entities are found.
TIME_BUDGET = 20.0


class ArticleError(ValueError):
    """An article that cannot be processed (too large, unknown language)."""


class Pipeline:
    """Extraction over batches of articles, with resources loaded once."""

    def __init__(self, lang: str = "fr", batch_size: int = 16, max_chars: int = MAX_CHARS,
                 n_process: int = 1, time_budget: float = TIME_BUDGET) -> None:
        if lang not in SUPPORTED_LANGS:
            raise ValueError(f"unsupported language {lang!r} (supported: {', '.join(SUPPORTED_LANGS)})")
        if n_process < 1:
            raise ValueError("n_process must be at least 1")
        self.lang = lang
        self.batch_size = batch_size
        self.max_chars = max_chars
        self.time_budget = time_budget
        self.n_process = n_process
        self._finder: Optional[PlaceFinder] = None
        if n_process == 1:
            self._load()  # fail early (missing model, stale gazetteer), not mid-run

    def _load(self) -> PlaceFinder:
        """The resources, loaded in the process that uses them (workers load their own)."""
        if self._finder is None:
            nlp.load(self.lang)
            self._finder = PlaceFinder(lang=self.lang)
        return self._finder

    def _check(self, article: Article) -> None:
        if article.lang != self.lang:
            raise ArticleError(f"unsupported language {article.lang!r} (this pipeline reads {self.lang!r})")
        if len(article.text) > self.max_chars:
            raise ArticleError(f"text of {len(article.text):,} characters is over the "
                               f"{self.max_chars:,}-character limit")

    def extract(self, articles: Iterable[Article]) -> Iterator[ArticleResult]:
        """Records for each article, in input order (lazy: streams in batches).

        With ``n_process`` > 1, batches go to worker processes that each load
        the model and gazetteer once; the parent only reads and writes.
        """
        it = iter(articles)
        batches = iter(lambda: list(itertools.islice(it, self.batch_size)), [])
        if self.n_process == 1:
            for batch in batches:
                yield from self._batch(batch)
            return
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(self.n_process, initializer=_init_worker,
                      initargs=(self.lang, self.batch_size, self.max_chars, self.time_budget)) as pool:
            for results in pool.imap(_run_worker, batches, chunksize=1):
                yield from results

    def extract_one(self, article: Article) -> ArticleResult:
        return next(iter(self._batch([article])))

    def _batch(self, batch: list[Article]) -> list[ArticleResult]:
        results: list[ArticleResult | None] = [None] * len(batch)
        cleaned: list[tuple[int, CleanText]] = []
        for i, article in enumerate(batch):
            try:
                self._check(article)
                cleaned.append((i, clean(article.text, self.lang)))
            except ArticleError as e:
                results[i] = ArticleResult(id=article.id, error=str(e))
        finder = self._load()
        texts = (c.text for _, c in cleaned)
        for (i, c), ents in zip(cleaned, nlp.entities(texts, self.lang, self.batch_size)):
            article = batch[i]
            try:
                sentences = split(c, self.lang)
                deadline = time.monotonic() + self.time_budget
                events = assemble(article, c, sentences, ents, finder, self.lang, deadline)
                results[i] = ArticleResult(id=article.id, events=events)
            except BudgetExceeded as e:
                results[i] = ArticleResult(id=article.id, error=f"{e} ({self.time_budget:g} s)")
            except Exception as e:  # noqa: BLE001 — one article must never stop the batch
                results[i] = ArticleResult(id=article.id, error=f"internal error: {type(e).__name__}: {e}")
        return [r for r in results if r is not None]


_worker: Optional[Pipeline] = None


def _init_worker(lang: str, batch_size: int, max_chars: int, time_budget: float) -> None:
    global _worker
    _worker = Pipeline(lang=lang, batch_size=batch_size, max_chars=max_chars, time_budget=time_budget)


def _run_worker(batch: list[Article]) -> list[ArticleResult]:
    assert _worker is not None, "worker used before initialisation"
    return _worker._batch(batch)
