"""`vigile ingest`: articles in, a fused event database out.

read → skip texts already stored (before the costly extraction) → extract →
near-duplicate check against everything stored → store and fuse, one
transaction per article. The near-duplicate index is rebuilt from the
signatures in the database at start, so a re-run or a second machine sees
the same past; an article is added to it only once its transaction committed.
"""
from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Optional, Sequence

from vigile.dedup import NearDuplicates
from vigile.pipeline import Pipeline
from vigile.readers import ReadError
from vigile.schema import Article, EventRecord
from vigile.store import Added, Store, content_hash

#: How many articles are checked against the database for known texts at once.
_KNOWN_CHUNK = 64


@dataclass(frozen=True)
class Outcome:
    """What happened to one input item."""

    status: str  # "added", "known" or "failed"
    ext_id: Optional[str] = None
    article_id: Optional[int] = None
    events: tuple[int, ...] = ()
    error: Optional[str] = None


@dataclass
class IngestSummary:
    read: int = 0
    added: int = 0
    known: int = 0  # the same text was stored before (or earlier in this run)
    duplicates: int = 0  # near-duplicates linked to an earlier article
    failed: list[str] = field(default_factory=list)
    events_touched: set[int] = field(default_factory=set)
    seconds: float = 0.0
    interrupted: bool = False

    def record(self, added: Added) -> None:
        """Count what storing one article did."""
        if added.status == "known":
            self.known += 1
        else:
            self.added += 1
            self.duplicates += added.duplicate
            self.events_touched.update(added.events)

    def line(self) -> str:
        rate = self.added / self.seconds if self.seconds else 0.0
        return (f"{self.read} articles read: {self.added} added ({self.duplicates} near-duplicates), "
                f"{self.known} already stored, {len(self.failed)} failed; "
                f"{len(self.events_touched)} events created or updated; {rate:.1f} articles/s")


def store_one(store: Store, index: NearDuplicates, article: Article, records: Sequence[EventRecord],
              signatures: Optional[Sequence[tuple[int, int, bytes]]] = None) -> Added:
    """Check one extracted article against the near-duplicate index, store and
    fuse it in one transaction, then add it to the index (only once committed).
    The same step for `vigile ingest` and for results extracted on a cluster
    (which hashed the text already: ``signatures``)."""
    if signatures is not None:
        index.remember(article.id, article.text, signatures)
    report = index.check(article.id, article.text)
    signatures = index.signatures(article.id, article.text)
    added = store.add(article, records, duplicate_of=int(report.duplicate_of) if report.duplicate_of else None,
                      containment=report.containment, shared=report.spans(),
                      signatures=signatures)
    if added.status == "added":
        index.load(str(added.article_id), signatures)
        added.duplicate = report.duplicate_of is not None
    return added


def load_index(store: Store) -> NearDuplicates:
    """The near-duplicate index of everything stored."""
    index = NearDuplicates()
    for article_id, sigs in store.signatures():
        index.load(str(article_id), sigs)
    return index


def ingest(items: Iterable[Article | ReadError], store: Store, pipeline: Pipeline,
           index: Optional[NearDuplicates] = None,
           on_article: Callable[[Outcome], None] = lambda outcome: None,
           on_error: Callable[[str], None] = lambda message: None) -> IngestSummary:
    """Store and fuse every new article of ``items``; see the module docstring."""
    summary = IngestSummary()
    index = index if index is not None else load_index(store)
    started = time.perf_counter()
    fed: collections.deque[Article] = collections.deque()

    def new_articles() -> Iterator[Article]:
        seen: set[str] = set()
        chunk: list[tuple[Article, str]] = []

        def flush() -> Iterator[Article]:
            stored = store.known([h for _, h in chunk])
            for article, digest in chunk:
                if digest in stored or digest in seen:
                    summary.known += 1
                    on_article(Outcome("known", article.id))
                    continue
                seen.add(digest)
                fed.append(article)
                yield article
            chunk.clear()

        for item in items:
            if isinstance(item, ReadError):
                summary.failed.append(str(item))
                on_error(str(item))
                on_article(Outcome("failed", error=str(item)))
                continue
            summary.read += 1
            chunk.append((item, content_hash(item.text)))
            if len(chunk) >= _KNOWN_CHUNK:
                yield from flush()
        yield from flush()

    try:
        for result in pipeline.extract(new_articles()):
            article = fed.popleft()
            if result.error:
                message = f"article {result.id}: {result.error}"
                summary.failed.append(message)
                on_error(message)
                on_article(Outcome("failed", article.id, error=result.error))
                continue
            added = store_one(store, index, article, result.events)
            summary.record(added)
            on_article(Outcome(added.status, article.id, added.article_id, tuple(added.events)))
    except KeyboardInterrupt:
        summary.interrupted = True
    summary.seconds = time.perf_counter() - started
    return summary
