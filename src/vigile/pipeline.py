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
from typing import Iterable, Iterator

from vigile import nlp
from vigile.assemble import assemble
from vigile.clean import CleanText, clean
from vigile.places import PlaceFinder
from vigile.schema import SUPPORTED_LANGS, Article, ArticleResult
from vigile.sentences import split

#: Articles longer than this are refused (a budget, not a parser limit): a
#: news article is rarely over 50 KB; 5 MB of text is a dump, not a report.
MAX_CHARS = 1_000_000


class ArticleError(ValueError):
    """An article that cannot be processed (too large, unknown language)."""


class Pipeline:
    """Extraction over batches of articles, with resources loaded once."""

    def __init__(self, lang: str = "fr", batch_size: int = 16, max_chars: int = MAX_CHARS) -> None:
        if lang not in SUPPORTED_LANGS:
            raise ValueError(f"unsupported language {lang!r} (supported: {', '.join(SUPPORTED_LANGS)})")
        self.lang = lang
        self.batch_size = batch_size
        self.max_chars = max_chars
        self.finder = PlaceFinder(lang=lang)
        nlp.load(lang)

    def _check(self, article: Article) -> None:
        if article.lang != self.lang:
            raise ArticleError(f"unsupported language {article.lang!r} (this pipeline reads {self.lang!r})")
        if len(article.text) > self.max_chars:
            raise ArticleError(f"text of {len(article.text):,} characters is over the "
                               f"{self.max_chars:,}-character limit")

    def extract(self, articles: Iterable[Article]) -> Iterator[ArticleResult]:
        """Records for each article, in input order (lazy: streams in batches)."""
        it = iter(articles)
        while batch := list(itertools.islice(it, self.batch_size)):
            yield from self._batch(batch)

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
        texts = (c.text for _, c in cleaned)
        for (i, c), ents in zip(cleaned, nlp.entities(texts, self.lang, self.batch_size)):
            article = batch[i]
            try:
                sentences = split(c, self.lang)
                events = assemble(article, c, sentences, ents, self.finder, self.lang)
                results[i] = ArticleResult(id=article.id, events=events)
            except Exception as e:  # noqa: BLE001 — one article must never stop the batch
                results[i] = ArticleResult(id=article.id, error=f"internal error: {type(e).__name__}: {e}")
        return [r for r in results if r is not None]
