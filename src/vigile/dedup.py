"""Near-duplicate articles and repeated passages, with MinHash (datasketch) and LSH bands.

Conflict news is heavily syndicated: the same wire story comes back under
several mastheads, lightly re-edited, and two different articles often share
one re-published paragraph. A document-level Jaccard misses the second case
(measured on the dev set: seeds 000 and 002 share a re-edited paragraph yet
their document Jaccard is 0.06, stack-findings §6), so the index works at two
levels:

* one MinHash per **document** catches syndicated copies;
* one MinHash per **sentence** (text split on newlines, then on sentence
  punctuation) catches re-published passages and yields a containment score
  (the share of an article's sentences already seen), which survives an added
  paragraph where the document Jaccard does not.

Sketches are sets of word ``shingle``-grams over a normalised form of the
text (lower case, accents folded, punctuation removed, numbers kept), so
that typography and accents do not hide a copy. The default 4-word shingles
keep a sentence pair above ``threshold=0.5`` through about one word edit per
20 words (5-word shingles, one per 25, missed realistic wire re-edits with a
new headline and two edits in a sentence): the index finds lightly re-edited
passages, not paraphrases. The
LSH bands (25 x 5 at 0.5, datasketch's choice for the threshold) make the
threshold soft: a pair of Jaccard 0.5 is a candidate 55 % of the time, 0.6
87 %, 0.7 99 %; candidates are then kept only if their estimated Jaccard
reaches ``threshold``.

The bands are indexed here (:class:`_Bands`), not by datasketch's
``MinHashLSH``, which finds the same candidates (a band collides when its
values are equal either way) but takes one ``MinHash`` object per query and
hashes its bands one at a time: the index is queried once per sentence of
every article stored, from packed signatures, in the one sequential step of a
distributed run, where rebuilding a ``MinHash`` and byte-swapping 25 slices
per sentence were 15 % of the driver's time (profiled). Here the band keys of
all of an article's sentences are cut in one numpy pass.

Signatures are stored packed: ``num_perm`` uint32 hash values per sentence
(datasketch's ``affine32`` scheme), i.e. **512 bytes per sentence** at
``num_perm=128`` plus 512 bytes per document. :meth:`NearDuplicates.signatures`
gives them as little-endian bytes for a database and :meth:`NearDuplicates.load`
rebuilds the index from them without the text. Everything is seeded (SHA-1 of
the shingle, permutations drawn from ``_SEED``), so the same text has the same
signatures in every process; they stay valid as long as ``num_perm``,
``shingle``, ``min_words``, the normalisation and the datasketch scheme do.
"""
from __future__ import annotations

import contextlib
import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from datasketch import MinHash, MinHashLSH

_SEED = 1
_SCHEME = "affine32"
_DTYPE = np.dtype("<u4")  # the affine32 hash values, little-endian on disk
_DOC = -1  # start and end of the document-level entry in signatures()

# A sentence ends at a line break or at a run of stops (with closing quotes or
# brackets, French "? »" included) followed by a space, so that "1.5" and
# "www.rfi.fr" stay whole. A run of stops is tried from its first stop only,
# which keeps the scan linear even on "......" runs.
_BOUNDARY = re.compile(r"\n|(?<![.!?…])[.!?…]+(?:[^\S\n]?[»\"”’)\]])*(?=\s|$)")
_NON_WORD = re.compile(r"[\W_]+")


class SharedPassage(NamedTuple):
    """A sentence of the new text that repeats a sentence of an earlier article
    (a named tuple: a syndicated sentence can have thousands)."""

    start: int
    end: int  # char span in the NEW text
    other_id: str  # article it repeats
    other_start: int
    other_end: int
    similarity: float  # estimated Jaccard of the two sentences


@dataclass(frozen=True)
class DuplicateReport:
    """What an article repeats of the articles already indexed.

    ``passages`` gives each repeated sentence with the earliest indexed
    articles holding it (at most ``max_sources`` of them, in index order: the
    likely source first), so that a sentence syndicated thousands of times
    costs a bounded report; ``containment`` and ``duplicate_of`` count every
    holder."""

    duplicate_of: str | None  # an earlier article this one is a copy of, else None
    containment: float  # share of this article's sentences found in earlier articles
    passages: list[SharedPassage]  # empty when checked with ``passages=False``
    repeated: tuple[tuple[int, int], ...] = ()  # the char spans of the repeated sentences, in text order

    def spans(self) -> list[tuple[int, int]]:
        """The char spans of the new text that repeat earlier articles, each once, in text order."""
        return list(self.repeated)


@dataclass(frozen=True)
class _Sketch:
    """The hashed form of one text: sentence spans and signatures, and the document signature."""

    spans: np.ndarray  # (n, 2) int64 char offsets
    sentences: np.ndarray  # (n, num_perm) uint32
    doc: np.ndarray | None  # (num_perm,) uint32, None for a text without words


def _normalise(text: str) -> list[str]:
    """Words of ``text`` lower-cased, accents folded, punctuation dropped, numbers kept.

    Wire copies differ in typography (curly vs straight apostrophes, NBSP,
    accents dropped by some feeds); none of that should count as an edit.
    """
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", folded).split()


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text``: lines, then sentence punctuation, whitespace trimmed.

    One regex pass, linear in the text: no abbreviation list, because a stray
    cut after "M." is made identically in every copy and the short fragment
    is dropped by ``min_words`` anyway.
    """
    spans = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
    return out


class _Bands:
    """LSH over packed signatures: ``b`` bands of ``r`` values, each band a
    dict from its values (as bytes) to the keys of the signatures that have
    them. Two signatures are candidates when they share one band."""

    def __init__(self, threshold: float, num_perm: int) -> None:
        params = MinHashLSH(threshold=threshold, num_perm=num_perm)  # datasketch's optimal (b, r)
        self.b, self.r = params.b, params.r
        self._tables: list[dict[bytes, set[bytes]]] = [{} for _ in range(self.b)]
        self._band = np.dtype((np.void, self.r * _DTYPE.itemsize))

    def keys(self, signatures: np.ndarray) -> list[list[bytes]]:
        """The band keys of each row of ``signatures`` (n, num_perm), cut in one pass."""
        n = len(signatures)
        if not n:
            return []
        cut = np.ascontiguousarray(signatures[:, :self.b * self.r]).view(self._band).reshape(n, self.b)
        return cut.tolist()  # a void element comes back as bytes

    def keys_of(self, signature: np.ndarray) -> list[bytes]:
        """The band keys of one signature (num_perm,)."""
        return self.keys(signature[None])[0]

    def insert(self, key: bytes, bands: list[bytes]) -> None:
        for table, band in zip(self._tables, bands):
            if (held := table.get(band)) is None:
                table[band] = {key}
            else:
                held.add(key)

    def remove(self, key: bytes, bands: list[bytes]) -> None:
        for table, band in zip(self._tables, bands):
            held = table[band]
            held.discard(key)
            if not held:
                del table[band]

    def query(self, bands: list[bytes]) -> set[bytes]:
        found: set[bytes] = set()
        for table, band in zip(self._tables, bands):
            if (held := table.get(band)) is not None:
                found |= held
        return found


class NearDuplicates:
    """An in-memory index of articles, queried for copies and repeated passages.

    ``threshold`` is the estimated Jaccard above which two sentences (or two
    documents) count as the same; ``copy_share`` the share of an article's
    sentences that, repeated from one earlier article, makes it a copy of it.
    ``max_sources`` bounds how many earlier holders a report names per
    repeated sentence (see :class:`DuplicateReport`).

    Memory: the packed signatures take ``4 * num_perm`` bytes per sentence,
    but the LSH bands cost far more: at ``threshold=0.5`` there are 25 bands
    of 5 values, each a bytes key and a Python set in a dict, about 10 KB per
    *distinct* sentence, as with datasketch's ``MinHashLSH`` (a verbatim copy
    adds 16 bytes to its holders' arrays). Measured before that
    deduplication: ~200 KB of RSS per 2,000-character article of distinct
    sentences (20 sentences), so ~2 GB per 10,000 indexed articles; the
    persisted signatures are ~11 KB per article.
    """

    def __init__(self, threshold: float = 0.5, num_perm: int = 128, shingle: int = 4,
                 copy_share: float = 0.6, min_words: int = 6, max_sources: int = 16) -> None:
        if shingle < 1 or min_words < 1 or max_sources < 1:
            raise ValueError("shingle, min_words and max_sources must be positive")
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle = shingle
        self.copy_share = copy_share
        self.min_words = min_words
        self.max_sources = max_sources
        # The permutations are drawn once and shared by every MinHash.
        self._template = MinHash(num_perm=num_perm, seed=_SEED, scheme=_SCHEME)
        # Sentences (and documents) with identical signatures — verbatim
        # copies: a wire story republished N times — are one LSH entry, keyed
        # by the packed signature, with the ranks of the articles holding it
        # (in index order) and, for sentences, the first row of each holding
        # it. The LSH and the similarity then cost once per distinct
        # signature, and counting holders is one numpy pass over int arrays,
        # not a Python loop over every copy.
        self._sentence_lsh = _Bands(threshold, num_perm)
        self._holders: dict[bytes, tuple[array, array]] = {}  # signature -> (ranks, rows)
        self._doc_lsh = _Bands(threshold, num_perm)
        self._doc_holders: dict[bytes, array] = {}  # document signature -> ranks
        self._ids: list[str] = []  # rank -> article id (insertion order breaks ties deterministically)
        self._rank: dict[str, int] = {}
        self._spans: list[np.ndarray] = []  # rank -> sentence spans, to name the other side of a passage
        # check() then add() then signatures() on one article is the normal
        # flow: remember the last sketch so the text is hashed once.
        self._last: tuple[str, str, _Sketch] | None = None
        # inside tentative(): the sketches indexed since it began, to drop them again
        self._journal: list[_Sketch] | None = None

    # -- hashing -----------------------------------------------------------

    def _shingles(self, words: list[str]) -> list[bytes]:
        """Word n-grams of ``words``; a shorter run is one shingle so that it still has a sketch."""
        n = self.shingle
        if len(words) <= n:
            return [" ".join(words).encode()]
        return [" ".join(words[i:i + n]).encode() for i in range(len(words) - n + 1)]

    def _minhash(self, shingles: list[bytes]) -> np.ndarray:
        m = self._template.copy()
        m.update_batch(shingles)
        return m.hashvalues.astype(_DTYPE)

    def _sketch(self, article_id: str, text: str) -> _Sketch:
        if self._last is not None and self._last[0] == article_id and self._last[1] == text:
            return self._last[2]
        spans, rows, all_words = [], [], []
        for a, b in _sentence_spans(text):
            words = _normalise(text[a:b])
            all_words.extend(words)
            if len(words) >= self.min_words:
                spans.append((a, b))
                rows.append(self._minhash(self._shingles(words)))
        sketch = _Sketch(
            spans=np.array(spans, dtype=np.int64).reshape(-1, 2),
            sentences=np.array(rows, dtype=_DTYPE).reshape(-1, self.num_perm),
            doc=self._minhash(self._shingles(all_words)) if all_words else None,
        )
        self._last = (article_id, text, sketch)
        return sketch

    # -- public API --------------------------------------------------------

    def check(self, article_id: str, text: str, passages: bool = True) -> DuplicateReport:
        """Compare ``text`` with every article added so far, without adding it.

        An article already indexed under ``article_id`` is not compared with
        itself, so that re-checking a stored article reports other copies only.
        With ``passages=False`` the report names no earlier holder (storing
        needs only the repeated spans: :meth:`DuplicateReport.spans`), which
        saves building up to ``max_sources`` passages per repeated sentence.
        """
        sketch = self._sketch(article_id, text)
        own = self._rank.get(article_id, -1)
        n = len(sketch.spans)
        shared: list[SharedPassage] = []
        repeated: list[tuple[int, int]] = []
        holding: list[np.ndarray] = []  # per matched sentence: the ranks of the other articles holding it
        for i, bands in enumerate(self._sentence_lsh.keys(sketch.sentences)):
            # LSH candidates are approximate: keep only estimates above the threshold.
            keys = [(sim, key) for key in self._sentence_lsh.query(bands)
                    if (sim := self._similarity(sketch.sentences[i], np.frombuffer(key, dtype=_DTYPE)))
                    >= self.threshold]
            if not keys:
                continue
            ranks, rows, sims = self._best_holders(keys, own)
            if not len(ranks):
                continue
            holding.append(ranks)
            start, end = int(sketch.spans[i, 0]), int(sketch.spans[i, 1])
            repeated.append((start, end))
            if passages:
                for rank, row, sim in zip(ranks[:self.max_sources].tolist(), rows[:self.max_sources].tolist(),
                                          sims[:self.max_sources].tolist()):
                    a, b = self._spans[rank][row]
                    shared.append(SharedPassage(start, end, self._ids[rank], int(a), int(b), sim))
        counts = (np.bincount(np.concatenate(holding), minlength=len(self._ids)) if holding
                  else np.zeros(0, dtype=np.int64))
        return DuplicateReport(
            duplicate_of=self._copied_from(own, sketch, counts),
            containment=len(holding) / n if n else 0.0,
            passages=shared,
            repeated=tuple(repeated),
        )

    def _best_holders(self, keys: list[tuple[float, bytes]], own: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The articles (but ``own``) holding any of the matched ``keys``, each
        once with its best sentence (highest similarity, then first row), in
        index order: ``(ranks, rows, similarities)``. The LSH answers a set, so
        nothing here depends on the order of ``keys``."""
        if len(keys) == 1:  # the common case: holders are unique and in index order already
            sim, key = keys[0]
            ranks_held, rows_held = self._holders[key]
            # copies (np.array), not views: an array exporting its buffer could not grow
            ranks = np.array(ranks_held, dtype=np.int64)
            rows = np.array(rows_held, dtype=np.int64)
            sims = np.full(len(ranks), sim)
        else:
            parts = [(np.array(self._holders[key][0], dtype=np.int64),
                      np.array(self._holders[key][1], dtype=np.int64), sim) for sim, key in keys]
            ranks = np.concatenate([r for r, _, _ in parts])
            rows = np.concatenate([w for _, w, _ in parts])
            sims = np.concatenate([np.full(len(r), sim) for r, _, sim in parts])
            order = np.lexsort((rows, -sims, ranks))  # by rank, then best similarity, then first row
            ranks, rows, sims = ranks[order], rows[order], sims[order]
            first = np.ones(len(ranks), dtype=bool)
            first[1:] = ranks[1:] != ranks[:-1]
            ranks, rows, sims = ranks[first], rows[first], sims[first]
        if own >= 0:
            keep = ranks != own
            ranks, rows, sims = ranks[keep], rows[keep], sims[keep]
        return ranks, rows, sims

    def add(self, article_id: str, text: str) -> None:
        """Index ``text`` under ``article_id`` (which must be new)."""
        self._insert(article_id, self._sketch(article_id, text))

    def signatures(self, article_id: str, text: str) -> list[tuple[int, int, bytes]]:
        """``(start, end, packed hash values)`` per sentence, then ``(-1, -1, doc)``.

        Each value is ``4 * num_perm`` little-endian bytes (512 at 128
        permutations); a text without any word has no document entry.
        """
        sketch = self._sketch(article_id, text)
        out = [(int(a), int(b), row.tobytes()) for (a, b), row in zip(sketch.spans, sketch.sentences)]
        if sketch.doc is not None:
            out.append((_DOC, _DOC, sketch.doc.tobytes()))
        return out

    def load(self, article_id: str, signatures: Iterable[tuple[int, int, bytes]]) -> None:
        """Index an article from :meth:`signatures` output, without its text."""
        self._insert(article_id, self._unpack(article_id, signatures))

    def remember(self, article_id: str, text: str, signatures: Iterable[tuple[int, int, bytes]]) -> None:
        """Take ``text``'s signatures as computed elsewhere (by a Dask worker,
        from the same parameters), so that :meth:`check`, :meth:`add` and
        :meth:`signatures` on it do not hash it again: hashing is per-article
        work that parallelises, the index is not."""
        self._last = (article_id, text, self._unpack(article_id, signatures))

    def _unpack(self, article_id: str, signatures: Iterable[tuple[int, int, bytes]]) -> _Sketch:
        spans, rows, doc = [], [], None
        for start, end, packed in signatures:
            values = np.frombuffer(packed, dtype=_DTYPE)
            if len(values) != self.num_perm:
                raise ValueError(f"{article_id}: signature of {len(values)} values, expected {self.num_perm}")
            if start == _DOC and end == _DOC:
                doc = values
            else:
                spans.append((start, end))
                rows.append(values)
        return _Sketch(
            spans=np.array(spans, dtype=np.int64).reshape(-1, 2),
            sentences=np.array(rows, dtype=_DTYPE).reshape(-1, self.num_perm),
            doc=doc,
        )

    @contextlib.contextmanager
    def tentative(self) -> Iterator[None]:
        """Articles indexed inside the block are dropped again if it raises.

        The index follows the database: an article is held once its
        transaction committed. A batch of articles is one transaction, yet each
        must see the batch's earlier articles, so they are indexed as they are
        stored, tentatively, and forgotten if the batch rolls back."""
        if self._journal is not None:
            raise RuntimeError("tentative() blocks do not nest")
        mark, self._journal = len(self._ids), []
        try:
            yield
        except BaseException:
            self._drop_since(mark)
            raise
        finally:
            self._journal = None

    # -- internals ---------------------------------------------------------

    def _drop_since(self, mark: int) -> None:
        """Forget the articles indexed from rank ``mark`` on (the journal's),
        the last first: each is the last holder of what it added."""
        for rank in range(len(self._ids) - 1, mark - 1, -1):
            sketch = self._journal[rank - mark]
            for values, bands in zip(sketch.sentences, self._sentence_lsh.keys(sketch.sentences)):
                key = values.tobytes()
                held = self._holders.get(key)
                if held is None or held[0][-1] != rank:  # a sentence the article repeats: gone already
                    continue
                held[0].pop()
                held[1].pop()
                if not held[0]:
                    del self._holders[key]
                    self._sentence_lsh.remove(key, bands)
            if sketch.doc is not None:
                key = sketch.doc.tobytes()
                held = self._doc_holders[key]
                held.pop()
                if not held:
                    del self._doc_holders[key]
                    self._doc_lsh.remove(key, self._doc_lsh.keys_of(sketch.doc))
            del self._rank[self._ids.pop()]
            self._spans.pop()

    def _similarity(self, a: np.ndarray, b: np.ndarray) -> float:
        """Estimated Jaccard: the share of equal hash values (as ``MinHash.jaccard``)."""
        return float(np.count_nonzero(a == b)) / self.num_perm

    def _copied_from(self, own: int, sketch: _Sketch, counts: np.ndarray) -> str | None:
        """The earlier article this one copies, if any.

        A document-level near-duplicate wins (best Jaccard); otherwise the
        article that holds the largest share (>= ``copy_share``) of our
        sentences (``counts``, by rank). Ties go to the earliest indexed
        article, the likely source.
        """
        if sketch.doc is not None:
            docs = []
            for key in self._doc_lsh.query(self._doc_lsh.keys_of(sketch.doc)):
                sim = self._similarity(sketch.doc, np.frombuffer(key, dtype=_DTYPE))
                first = next((r for r in self._doc_holders[key][:2] if r != own), None)
                if sim >= self.threshold and first is not None:
                    docs.append((sim, -first))
            if docs:
                return self._ids[-max(docs)[1]]
        n = len(sketch.spans)
        if not len(counts) or counts.max() == 0 or counts.max() < self.copy_share * n:
            return None
        return self._ids[int(np.argmax(counts))]  # argmax: the first (earliest) of the largest counts

    def _insert(self, article_id: str, sketch: _Sketch) -> None:
        if article_id in self._rank:
            raise ValueError(f"{article_id} is already indexed")
        rank = len(self._ids)
        if self._journal is not None:
            self._journal.append(sketch)
        self._ids.append(article_id)
        self._rank[article_id] = rank
        self._spans.append(sketch.spans)
        bands = None  # cut once the article has a sentence new to the index
        for row, values in enumerate(sketch.sentences):
            key = values.tobytes()
            holders = self._holders.get(key)
            if holders is None:
                self._holders[key] = (array("q", [rank]), array("q", [row]))
                bands = bands or self._sentence_lsh.keys(sketch.sentences)
                self._sentence_lsh.insert(key, bands[row])
            elif holders[0][-1] != rank:  # a sentence an article repeats is held at its first row
                holders[0].append(rank)
                holders[1].append(row)
        if sketch.doc is not None:
            key = sketch.doc.tobytes()
            held = self._doc_holders.get(key)
            if held is None:
                self._doc_holders[key] = array("q", [rank])
                self._doc_lsh.insert(key, self._doc_lsh.keys_of(sketch.doc))
            else:
                held.append(rank)
