"""`vigile ingest`: articles in, a fused event database out.

read → skip texts already stored (before the costly extraction) → extract →
near-duplicate check against everything stored → store and fuse, up to
:data:`BATCH_ARTICLES` articles per transaction (:class:`Loader`). The
near-duplicate index is rebuilt from the signatures in the database at start,
so a re-run or a second machine sees the same past; an article is indexed as
it is stored, and forgotten again if its batch rolls back.
"""
from __future__ import annotations

import collections
import contextlib
import functools
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

from vigile.dedup import NearDuplicates
from vigile.pipeline import Pipeline
from vigile.readers import ReadError
from vigile.schema import Article, EventRecord
from vigile.store import Added, Store, Writer, content_hash

#: How many articles are checked against the database for known texts at once.
_KNOWN_CHUNK = 64
#: Articles per transaction: one commit for the batch, and the summary of an
#: event the batch tells many times computed once (vigile.store.writing).
BATCH_ARTICLES = 64
#: How long a batch may stay open: readers see new articles within about this.
BATCH_SECONDS = 1.0


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


def store_one(writer: Writer, index: NearDuplicates, article: Article, records: Sequence[EventRecord],
              signatures: Optional[Sequence[tuple[int, int, bytes]]] = None) -> Added:
    """Check one extracted article against the near-duplicate index, store and
    fuse it, then index it. The same step for `vigile ingest` and for results
    extracted on a cluster (which hashed the text already: ``signatures``)."""
    if signatures is not None:
        index.remember(article.id, article.text, signatures)
    report = index.check(article.id, article.text, passages=False)
    signatures = index.signatures(article.id, article.text)
    added = writer.add(article, records, duplicate_of=int(report.duplicate_of) if report.duplicate_of else None,
                       containment=report.containment, shared=report.spans(), signatures=signatures)
    if added.status == "added":
        index.load(str(added.article_id), signatures)
        added.duplicate = report.duplicate_of is not None
    return added


class Loader:
    """Stores extracted articles with :func:`store_one`, a batch per transaction.

    A batch commits when it holds ``batch`` articles, when it has been open
    ``seconds``, on :meth:`commit` and when the ``with`` block ends; an
    exception (Ctrl-C included) rolls the open batch back, in the database and
    in the near-duplicate index alike. What a caller counts or reports runs in
    callbacks, in order, once their batch committed: a summary never counts
    an article the database does not hold.
    """

    def __init__(self, store: Store, index: NearDuplicates, batch: int = BATCH_ARTICLES,
                 seconds: float = BATCH_SECONDS) -> None:
        self.store, self.index = store, index
        self.batch, self.seconds = batch, seconds
        self._open: Optional[contextlib.ExitStack] = None
        self._writer: Optional[Writer] = None
        self._stored = 0  # articles in the open batch
        self._opened = 0.0
        self._then: list[Callable[[], None]] = []  # callbacks waiting for the open batch

    def __enter__(self) -> "Loader":
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        if exc is None:
            self.commit()
        elif self._open is not None:
            self._close().__exit__(exc_type, exc, tb)  # rolled back and forgotten; the exception goes on
            self._then = []

    def add(self, article: Article, records: Sequence[EventRecord],
            signatures: Optional[Sequence[tuple[int, int, bytes]]] = None,
            then: Callable[[Added], None] = lambda added: None) -> None:
        """Store ``article`` in the open batch; ``then(added)`` once it committed."""
        if self._open is None:
            stack = contextlib.ExitStack()
            stack.enter_context(self.index.tentative())  # exited after the commit: kept only if it succeeded
            self._writer = stack.enter_context(self.store.writing())
            self._open, self._opened = stack, time.perf_counter()
        added = store_one(self._writer, self.index, article, records, signatures)
        self._then.append(functools.partial(then, added))
        self._stored += 1
        if self._stored >= self.batch or time.perf_counter() - self._opened >= self.seconds:
            self.commit()

    def after(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once what is stored so far committed (now, if nothing is pending)."""
        if self._open is None:
            callback()
        else:
            self._then.append(callback)

    def commit(self) -> None:
        """Commit the open batch, then run its callbacks."""
        if self._open is not None:
            self._close().close()
        then, self._then = self._then, []
        for callback in then:
            callback()

    def _close(self) -> contextlib.ExitStack:
        """The open batch's transaction and index block, to end; the loader is left without a batch."""
        stack, self._open, self._writer, self._stored = self._open, None, None, 0
        assert stack is not None
        return stack


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

    def stored(article: Article, added: Added) -> None:
        summary.record(added)
        on_article(Outcome(added.status, article.id, added.article_id, tuple(added.events)))

    def failed(article: Article, error: str) -> None:
        message = f"article {article.id}: {error}"
        summary.failed.append(message)
        on_error(message)
        on_article(Outcome("failed", article.id, error=error))

    try:
        with Loader(store, index) as loader:
            for result in pipeline.extract(new_articles()):
                article = fed.popleft()
                if result.error:  # reported in its place among the stored ones
                    loader.after(functools.partial(failed, article, result.error))
                else:
                    loader.add(article, result.events, then=functools.partial(stored, article))
    except KeyboardInterrupt:
        summary.interrupted = True
    summary.seconds = time.perf_counter() - started
    return summary
