"""The write path: articles stored, their mentions fused into events, many articles per transaction.

A :class:`Writer` works inside one open transaction (:meth:`vigile.store.Store.writing`):
each :meth:`~Writer.add` fuses an article's mentions into events and stores
its row, mentions and claims (a statement each for all its mentions, all its
claims), and :meth:`~Writer.finish` the batch's near-duplicate signatures; the
transaction commits once for the whole batch, so a crash leaves every article
of a batch or none of them, and a re-run completes the job (a stored text is
known by its content hash).

An event's summary has two halves with different deadlines:

* its *spot* — day, place, country, actor list — is what the next mention is
  matched against, so it is refreshed from the tallies right after each
  article that told the event (the next article of the batch sees it);
* the rest — claimants, figures, fatalities, dispute, evidence, ``updated_at``
  — nothing reads while fusing, so it is computed once per batch for every
  event the batch told (:meth:`Writer.finish`), from the same tallies. Both
  are functions of the tallies only: the database is the one that refreshing
  everything after every article gives, for less work when a batch tells an
  event many times (wire copies do).

All of it in Core statements: the ORM's per-object bookkeeping (identity map,
autoflush, unit of work) was most of the cost of storing an article.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.engine import Connection

from vigile import fuse
from vigile.actors import generic_actors
from vigile.schema import Article, EventRecord
from vigile.store import tallies
from vigile.store.models import ArticleRow, ClaimRow, EventRow, MentionRow, PassageSignature, utcnow

_PRECISION_RANK = {"site": 0, "city": 1, "region": 2, "country": 3, None: 4}


def content_hash(text: str) -> str:
    """Identity of a text: the same words give the same hash, whitespace aside."""
    norm = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


@dataclass
class Added:
    """What storing one article did."""

    article_id: Optional[int]
    status: str  # "added" or "known" (same text already stored)
    events: list[int] = field(default_factory=list)
    duplicate: bool = False  # linked to an earlier article as a near-duplicate


class Writer:
    """Stores articles and fuses their mentions inside one open transaction;
    :meth:`finish` completes the summaries of the events told, before the commit."""

    def __init__(self, conn: Connection, counts: tallies.Tallies) -> None:
        self.conn = conn
        self._tallies = counts
        self._insert_article = _insert_article(conn.dialect.name)
        self._due: dict[int, None] = {}  # events told in this batch whose summary is not computed yet
        self._signatures: list[dict] = []  # the batch's near-duplicate signatures, written by finish()

    def add(self, article: Article, records: Sequence[EventRecord], duplicate_of: Optional[int] = None,
            containment: float = 0.0, shared: Sequence[tuple[int, int]] = (),
            signatures: Sequence[tuple[int, int, bytes]] = ()) -> Added:
        """Store one article with its records and fuse them.

        ``shared`` spans are passages repeated from earlier articles: a mention
        whose evidence lies in one is not an independent report. A text stored
        already (by this batch, an earlier run or a concurrent one) is "known"
        and writes nothing.
        """
        conn = self.conn
        article_id = conn.execute(self._insert_article, [dict(
            ext_id=article.id, content_hash=content_hash(article.text), url=article.url, source=article.source,
            published=article.published, lang=article.lang, text=article.text, duplicate_of=duplicate_of,
            containment=containment, ingested_at=utcnow())]).scalar()
        if article_id is None:
            return Added(None, "known")
        touched: dict[int, None] = {}  # the events this article joined, in order
        writing = _Article(article_id, article.source or article.url or f"article {article.id}")
        for rec in records:
            independent = duplicate_of is None and not any(a <= rec.evidence_start < b for a, b in shared)
            mention = _Mention(type=rec.type, date=rec.date,
                               location=rec.location.model_dump() if rec.location else None,
                               actors=list(rec.actors), sources=list(rec.sources))
            event_id = self._fuse(mention, article.published, writing)
            writing.mentions.append((event_id, rec, mention, independent))
            if event_id not in writing.told:
                writing.told.add(event_id)
                writing.new_article.add(event_id)
            touched[event_id] = None
        self._write_mentions(writing)
        self._tallies.add(conn, writing.tallies)
        if writing.new_article:
            conn.execute(_COUNT_ARTICLE, [{"b_id": e} for e in writing.new_article])
        self._refresh_spots(list(touched))  # one merged away meanwhile has no tallies left: left alone
        self._due.update(touched)
        self._signatures += [dict(article_id=article_id, start=a, end=b, signature=sig) for a, b, sig in signatures]
        return Added(article_id, "added", list(touched))

    def finish(self) -> None:
        """Summarise every event the batch told and write its signatures (one
        statement for the batch; nothing reads them before the commit): the
        last step before the commit."""
        self._summarise(list(self._due))
        self._due.clear()
        if self._signatures:
            self.conn.execute(_INSERT_SIGNATURE, self._signatures)
            self._signatures = []

    def _write_mentions(self, writing: "_Article") -> None:
        """Insert the article's mentions fused so far, then their claims (a
        statement each for all of them), and queue their tally rows."""
        if not writing.mentions:
            return
        conn = self.conn
        mention_ids = conn.execute(_INSERT_MENTION, [dict(
            article_id=writing.article_id, event_id=event_id, type=rec.type, date=rec.date,
            location=mention.location, actors=mention.actors, sources=mention.sources,
            figures={k: v.model_dump() for k, v in rec.figures.items()}, evidence=rec.evidence,
            evidence_start=rec.evidence_start, evidence_end=rec.evidence_end, independent=independent)
            for event_id, rec, mention, independent in writing.mentions]).scalars().all()
        told = [(event_id, rec, mention, independent, mention_id,
                 mention.sources[0] if mention.sources else writing.outlet)  # who says its figures
                for (event_id, rec, mention, independent), mention_id in zip(writing.mentions, mention_ids)]
        claims = [dict(event_id=event_id, mention_id=mention_id, article_id=writing.article_id, key=key,
                       value=fig.value, qualifier=fig.qualifier, source=source, independent=independent)
                  for event_id, rec, _, independent, mention_id, source in told for key, fig in rec.figures.items()]
        claim_ids = iter(conn.execute(_INSERT_CLAIM, claims).scalars().all() if claims else ())
        for event_id, rec, mention, independent, mention_id, source in told:  # in the order of one at a time
            writing.tallies += tallies.of_mention(event_id, mention_id, rec.date.isoformat() if rec.date else None,
                                                  mention.location, mention.actors,
                                                  mention.sources or [writing.outlet], independent)
            writing.tallies += [tallies.of_claim(event_id, next(claim_ids), key, fig.value, fig.qualifier, source,
                                                 independent) for key, fig in rec.figures.items()]
        writing.mentions.clear()

    def _fuse(self, mention: "_Mention", published: Optional[dt.date], writing: "_Article") -> int:
        """The event a new mention belongs to: the best compatible one in its
        block, else a new event. Two blocked events the mention equally fits at
        the same place and day are one event told twice: they are merged."""
        conn = self.conn
        report = _spot_of_mention(mention)
        anchor = mention.date or published
        country = report.country
        params: dict[str, Any] = {"type": mention.type, "country": country}
        if anchor is not None:
            slack = fuse.DAY_SLACK if mention.date else fuse.UNDATED_WINDOW_DAYS
            params["weeks"] = fuse.weeks_around(anchor, slack)
        if mention.date is not None:  # fuse.days_apart, in SQL: dated events too far apart are not read
            params["latest"] = mention.date + dt.timedelta(days=fuse.DAY_SLACK)
            params["earliest"] = mention.date - dt.timedelta(days=fuse.DAY_SLACK)
        generic = generic_actors()
        block = _block_query(bool(country), anchor is not None, mention.date is not None)
        scored = sorted(((cost, row.id, row) for row in conn.execute(block, params).all()
                         if (cost := fuse.match_cost(_spot_of_event(row), report, generic)) is not None),
                        key=lambda t: (t[0], t[1]))
        if not scored:
            # born with its first mention's place, day and actors, so that the
            # article's next mention can be matched against it before any refresh
            loc = mention.location or {}
            now = utcnow()
            return conn.execute(_INSERT_EVENT, [dict(
                type=mention.type, country=country, week=fuse.iso_week(anchor), date=mention.date,
                date_min=mention.date, date_max=mention.date, location_name=loc.get("name"), lat=loc.get("lat"),
                lon=loc.get("lon"), precision=loc.get("precision"), actors=list(mention.actors), sources=[],
                figures={}, n_articles=0, n_sources=0, disputed=False, fatalities=0, created_at=now,
                updated_at=now)]).scalar_one()
        best_cost, keep, keep_row = scored[0]
        keep_spot = _spot_of_event(keep_row)
        for cost, other, other_row in scored[1:]:
            if cost == 0 and best_cost == 0 and fuse.match_cost(keep_spot, _spot_of_event(other_row), generic) == 0:
                self._merge(keep, other, writing)
                keep_spot = _spot_of_event(conn.execute(_SPOT_OF_EVENT, {"b_id": keep}).one())
        return keep

    def _merge(self, keep: int, other: int, writing: "_Article") -> None:
        """Fold event ``other`` into ``keep``; ``other`` stays as a pointer so its id still resolves."""
        conn = self.conn
        self._write_mentions(writing)  # this article's mentions and tallies so far, before they move
        self._tallies.add(conn, writing.tallies)
        writing.tallies = []
        if other in self._due:  # the pointer keeps the summary it had when merged
            self._summarise([other])
            del self._due[other]
        conn.execute(_MOVE_MENTIONS, {"keep": keep, "other": other})
        conn.execute(_MOVE_CLAIMS, {"keep": keep, "other": other})
        self._tallies.fold(conn, keep, other)
        # articles telling both count once: recounted here (this article's
        # mentions included), merges being rare
        n_articles = conn.execute(_ARTICLES_OF_EVENT, {"event": keep}).scalar_one()
        conn.execute(_UPDATE_EVENT, {"b_id": keep, "n_articles": n_articles})
        writing.new_article -= {keep, other}
        if other in writing.told:
            writing.told.add(keep)
        conn.execute(_UPDATE_EVENT, {"b_id": other, "merged_into": keep, "updated_at": utcnow()})
        self._refresh_spots([keep])
        self._due[keep] = None

    def _refresh_spots(self, event_ids: list[int]) -> None:
        """Recompute what fusion matches on from the tallies (:mod:`vigile.store.tallies`):
        the most told day (the first told among equals), the most precise place
        (the most told name among equals, then the first), the actors in order
        of first appearance. An event without a dated (placed) mention keeps
        the week (place) it was born with; one with nothing told (merged
        away) is left as it is."""
        by_columns: dict[tuple[str, ...], list[dict]] = {}  # one executemany per set of columns
        for event_id, parts in self._tallies.read(self.conn, event_ids, "dla").items():
            values: dict[str, Any] = {"b_id": event_id, "actors": list(dict.fromkeys(
                a for t in parts["a"] for a in t.value))}
            if parts["d"]:
                days = [(dt.date.fromisoformat(t.value), t.n) for t in parts["d"]]
                values["date"] = max(days, key=lambda d: d[1])[0]  # max keeps the first of equals
                values["date_min"], values["date_max"] = min(d for d, _ in days), max(d for d, _ in days)
                values["week"] = fuse.iso_week(values["date"])
            if parts["l"]:
                names: Counter = Counter()
                for t in parts["l"]:
                    names[t.value.get("name")] += t.n
                best = min((t.value for t in parts["l"]),
                           key=lambda loc: (_PRECISION_RANK.get(loc.get("precision"), 4), -names[loc.get("name")]))
                values.update(location_name=best.get("name"), lat=best.get("lat"), lon=best.get("lon"),
                              precision=best.get("precision"), country=best.get("country"))
            by_columns.setdefault(tuple(values), []).append(values)
        for rows in by_columns.values():
            self.conn.execute(_UPDATE_EVENT, rows)

    def _summarise(self, event_ids: list[int]) -> None:
        """Recompute the rest of these events' summaries from their tallies:
        claimants in order of first appearance (independent ones when there
        are any), the figures of every claim, the evidence of the first
        mention (the first that tallied claimants: every mention does)."""
        conn = self.conn
        rows = []
        for event_id, parts in self._tallies.read(conn, event_ids, "sc").items():
            if not parts["s"]:  # claims without mentions: cannot be, but then nothing to say
                continue
            independent = [t for t in parts["s"] if t.value[1]] or parts["s"]
            claimants = [c for t in independent for c in t.value[0]]
            summary = fuse.summarise(fuse.Claim(key, value, qualifier, source, independent, t.n)
                                     for t in parts["c"] for key, value, qualifier, source, independent in [t.value])
            rows.append(dict(
                b_id=event_id, sources=list(dict.fromkeys(claimants)), n_sources=len(set(claimants)),
                figures={k: v.as_dict() for k, v in summary.items()},
                disputed=any(v.disputed for v in summary.values()), fatalities=fuse.fatalities(summary),
                evidence=parts["s"][0].first, updated_at=utcnow()))
        if rows:
            evidence = dict(conn.execute(_EVIDENCE, {"mentions": [r["evidence"] for r in rows]}).all())
            for r in rows:
                r["evidence"] = evidence[r["evidence"]]
            conn.execute(_UPDATE_EVENT, rows)


@dataclass
class _Article:
    """What storing one article has done so far that fusion must know."""

    article_id: int
    outlet: str  # the claimant of what the article does not attribute
    # mentions fused, not inserted yet: (event id, record, mention, independent)
    mentions: list[tuple[int, EventRecord, "_Mention", bool]] = field(default_factory=list)
    told: set[int] = field(default_factory=set)  # events it has a mention in: n_articles counts it once
    new_article: set[int] = field(default_factory=set)  # events whose n_articles it has yet to bump
    tallies: list[dict] = field(default_factory=list)  # tally rows not yet written (one upsert per article)


@dataclass
class _Mention:
    """The fields of a new mention that fusion reads, before its row exists."""

    type: str
    date: Optional[dt.date]
    location: Optional[dict]
    actors: list[str]
    sources: list[str]


def _spot_of_mention(m: _Mention) -> fuse.Spot:
    loc = m.location or {}
    return fuse.Spot(type=m.type, name=loc.get("name"), country=loc.get("country"), lat=loc.get("lat"),
                     lon=loc.get("lon"), precision=loc.get("precision"), date_min=m.date, date_max=m.date,
                     actors=tuple(m.actors))


def _spot_of_event(e: Any) -> fuse.Spot:
    """The spot of an event row (:data:`_SPOT_COLUMNS`, of :func:`_block_query`
    or :data:`_SPOT_OF_EVENT`): by position, the columns being the Spot's fields
    in order (a block has millions of rows per run; a name lookup on a Row costs)."""
    return fuse.Spot(*e[1:9], tuple(e[9] or ()))


# Statements of the write path, built once: on the Core tables, so that no
# ORM bookkeeping runs for rows that are only ever inserted.
_M, _C, _A, _E = MentionRow.__table__.c, ClaimRow.__table__.c, ArticleRow.__table__.c, EventRow.__table__.c
_INSERT_MENTION = MentionRow.__table__.insert().returning(_M.id, sort_by_parameter_order=True)
_INSERT_CLAIM = ClaimRow.__table__.insert().returning(_C.id, sort_by_parameter_order=True)
_INSERT_SIGNATURE = PassageSignature.__table__.insert()
_MOVE_MENTIONS = update(MentionRow.__table__).where(_M.event_id == bindparam("other")).values(
    event_id=bindparam("keep"))
_MOVE_CLAIMS = update(ClaimRow.__table__).where(_C.event_id == bindparam("other")).values(event_id=bindparam("keep"))
_INSERT_EVENT = EventRow.__table__.insert().returning(_E.id)
_UPDATE_EVENT = update(EventRow.__table__).where(_E.id == bindparam("b_id"))
_COUNT_ARTICLE = update(EventRow.__table__).where(_E.id == bindparam("b_id")).values(n_articles=_E.n_articles + 1)
#: an event's id, then what fusion matches on, in the order of fuse.Spot's fields (_spot_of_event)
_SPOT_COLUMNS = (_E.id, _E.type, _E.location_name, _E.country, _E.lat, _E.lon, _E.precision, _E.date_min,
                 _E.date_max, _E.actors)
_SPOT_OF_EVENT = select(*_SPOT_COLUMNS).where(_E.id == bindparam("b_id"))
_ARTICLES_OF_EVENT = select(func.count(func.distinct(_M.article_id))).where(_M.event_id == bindparam("event"))
_EVIDENCE = select(_M.id, _M.evidence).where(_M.id.in_(bindparam("mentions", expanding=True)))


@functools.cache
def _insert_article(dialect: str) -> Any:
    """INSERT … ON CONFLICT (content_hash) DO NOTHING RETURNING id: no row back
    means the text is stored already, without an error that would abort a
    PostgreSQL transaction (and with it the batch)."""
    insert = tallies.upsert_insert(dialect)
    return insert(ArticleRow.__table__).on_conflict_do_nothing(index_elements=[_A.content_hash]).returning(_A.id)


@functools.cache
def _block_query(has_country: bool, has_week: bool, dated: bool) -> Any:
    """The live events of a mention's fusion block: same type, same country
    (or none), weeks around its day (or none), with the columns matching reads;
    for a dated mention, only undated events and those within the day slack
    (the others could not match); built once per shape."""
    q = select(*_SPOT_COLUMNS).where(_E.type == bindparam("type"), _E.merged_into.is_(None))
    q = q.where(_E.country == bindparam("country")) if has_country else q.where(_E.country.is_(None))
    q = q.where(_E.week.in_(bindparam("weeks", expanding=True)) if has_week else _E.week.is_(None))
    if dated:
        q = q.where(or_(_E.date_min.is_(None),
                        and_(_E.date_min <= bindparam("latest"), _E.date_max >= bindparam("earliest"))))
    return q
