"""The event database: articles, their mentions, fused events and every claim.

SQLite by default (a file, WAL mode), PostgreSQL by URL; the schema is managed
by Alembic migrations run on open. Articles are written in transactions of one
or many articles (:meth:`Store.writing`, :mod:`vigile.store.writing`) — each
article's row, its mentions, their claims, the fusion of each mention into an
event and its near-duplicate signatures — so a crash or a Ctrl-C leaves either
the whole batch or nothing, and a re-run completes the job (a known text is
skipped by its content hash).

Fusion is incremental: a new mention is compared with the events of its type
and country in the ISO weeks around its day (or, undated, around its
article's publication), never with the whole table, so its cost does not grow
with the database. Dated and undated events share that blocking key because an
event's ``week`` is its day's week, else its first article's.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection, Iterator, Optional, Sequence

from sqlalchemy import Integer, cast, create_engine, event, exists, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from vigile import fuse
from vigile.schema import Article, EventRecord
from vigile.store import tallies
from vigile.store.models import ArticleRow, Base, ClaimRow, EventRow, MentionRow, PassageSignature, utcnow
from vigile.store.writing import Added, Writer, content_hash

#: What :meth:`Store.stats` can group by (``by_type``, ``by_country``, ``by_day``, ``by_week``).
STATS_GROUPS = ("type", "country", "day", "week")


def database_url(db: str) -> str:
    """A SQLAlchemy URL from a URL or a file path (``vigile.db`` → SQLite)."""
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


@dataclass
class EventFilter:
    """What `vigile events` and ``GET /api/events`` filter on."""

    types: Sequence[str] = ()
    country: Optional[str] = None
    near: Optional[tuple[float, float]] = None
    radius_km: float = 50.0
    since: Optional[dt.date] = None
    until: Optional[dt.date] = None
    actor: Optional[str] = None
    source: Optional[str] = None
    min_fatalities: Optional[int] = None
    text: Optional[str] = None
    updated_since: Optional[dt.datetime] = None
    bbox: Optional[tuple[float, float, float, float]] = None  # min_lon, min_lat, max_lon, max_lat


class Store:
    """The event database behind `vigile ingest`, `events`, `export` and the API."""

    def __init__(self, db: str = "vigile.db") -> None:
        self.url = database_url(db)
        self.engine: Engine = create_engine(self.url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._tallies = tallies.Tallies(self.engine.dialect.name)
        self.migrate()

    def migrate(self) -> None:
        """Bring the schema to the latest Alembic revision."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", "vigile.store:migrations")
        engine = _transactional_ddl_engine(self.url) if self.engine.dialect.name == "sqlite" else self.engine
        try:
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        finally:
            if engine is not self.engine:
                engine.dispose()

    def close(self) -> None:
        self.engine.dispose()

    # -- writing -----------------------------------------------------------

    def known(self, hashes: Sequence[str]) -> set[str]:
        """Which of these content hashes are stored already."""
        with Session(self.engine) as s:
            rows = s.scalars(select(ArticleRow.content_hash).where(ArticleRow.content_hash.in_(list(hashes))))
            return set(rows)

    @contextlib.contextmanager
    def writing(self) -> Iterator[Writer]:
        """One transaction for many articles (:mod:`vigile.store.writing`):
        commits them all when the block ends, none if it raises."""
        with self.engine.begin() as conn:
            writer = Writer(conn, self._tallies)
            yield writer
            writer.finish()

    def add(self, article: Article, records: Sequence[EventRecord], duplicate_of: Optional[int] = None,
            containment: float = 0.0, shared: Sequence[tuple[int, int]] = (),
            signatures: Sequence[tuple[int, int, bytes]] = ()) -> Added:
        """Store one article with its records and fuse them, in a transaction
        of its own (:meth:`Writer.add` says what the arguments mean)."""
        with self.writing() as writer:
            return writer.add(article, records, duplicate_of, containment, shared, signatures)

    # -- near-duplicate index ----------------------------------------------

    def signatures(self) -> Iterator[tuple[int, list[tuple[int, int, bytes]]]]:
        """Every stored article's passage signatures, to rebuild the index."""
        with Session(self.engine) as s:
            current: Optional[int] = None
            batch: list[tuple[int, int, bytes]] = []
            q = select(PassageSignature).order_by(PassageSignature.article_id, PassageSignature.id)
            for sig in s.scalars(q).yield_per(5000):
                if sig.article_id != current and current is not None:
                    yield current, batch
                    batch = []
                current = sig.article_id
                batch.append((sig.start, sig.end, sig.signature))
            if current is not None:
                yield current, batch

    # -- reading -----------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Rows per table: what a user checks after an ingest."""
        with Session(self.engine) as s:
            return {
                "articles": s.scalar(select(func.count(ArticleRow.id))) or 0,
                "duplicates": s.scalar(select(func.count(ArticleRow.id))
                                       .where(ArticleRow.duplicate_of.is_not(None))) or 0,
                "mentions": s.scalar(select(func.count(MentionRow.id))) or 0,
                "events": s.scalar(select(func.count(EventRow.id)).where(EventRow.merged_into.is_(None))) or 0,
                "claims": s.scalar(select(func.count(ClaimRow.id))) or 0,
            }

    def events(self, flt: EventFilter = EventFilter(), limit: Optional[int] = 100, offset: int = 0) -> list[dict]:
        """Fused events matching a filter, newest day first."""
        with Session(self.engine) as s:
            # SQLite sorts NULLs last in descending order by itself, and the index
            # on (date, id) serves the query only without an explicit NULLS LAST
            newest = EventRow.date.desc() if self.engine.dialect.name == "sqlite" else EventRow.date.desc().nulls_last()
            q = _filtered(select(EventRow), flt).order_by(newest, EventRow.id.desc())
            if flt.near is None:
                rows = s.scalars(q.offset(offset).limit(limit)).all() if limit else s.scalars(q.offset(offset)).all()
            else:
                lat, lon = flt.near
                rows = [e for e in s.scalars(q)
                        if e.lat is not None and fuse.km(lat, lon, e.lat, e.lon) <= flt.radius_km]
                rows = rows[offset:offset + limit] if limit else rows[offset:]
            return [event_dict(e) for e in rows]

    def count_events(self, flt: EventFilter = EventFilter()) -> int:
        with Session(self.engine) as s:
            if flt.near is None:
                return s.scalar(select(func.count()).select_from(_filtered(select(EventRow.id), flt).subquery())) or 0
            return len(self.events(flt, limit=None))

    def stats(self, flt: EventFilter = EventFilter(), groups: Collection[str] = STATS_GROUPS) -> dict:
        """Counts and fatalities in all, then by each of ``groups`` (type,
        country, day, week) — aggregated in SQL, so a dashboard over 50,000
        events never downloads them; a group not asked for is not computed
        (by day and by week are most of the cost over years of events)."""
        unknown = set(groups) - set(STATS_GROUPS)
        if unknown:
            raise ValueError(f"unknown stats group {sorted(unknown)[0]!r}; choose from {', '.join(STATS_GROUPS)}")
        if flt.near is not None:  # the radius is exact only in Python: fall back to the listed events
            full = _stats_of(self.events(flt, limit=None))
            return {k: v for k, v in full.items() if k in ("total", "fatalities") or k[3:] in groups}
        base = _filtered(select(EventRow.type, EventRow.country, EventRow.date, EventRow.week,
                                EventRow.fatalities, EventRow.lat, EventRow.lon), flt).subquery()
        n, f = func.count(), func.coalesce(func.sum(base.c.fatalities), 0)
        with Session(self.engine) as s:
            total, dead = s.execute(select(n, f)).one()
            out: dict[str, Any] = {"total": total, "fatalities": int(dead)}
            if "type" in groups:
                out["by_type"] = {t: {"events": c, "fatalities": int(d)} for t, c, d in
                                  s.execute(select(base.c.type, n, f).group_by(base.c.type))}
            if "country" in groups:
                out["by_country"] = {cc or "": {"events": c, "fatalities": int(d)} for cc, c, d in
                                     s.execute(select(base.c.country, n, f).group_by(base.c.country))}
            if "day" in groups:
                out["by_day"] = [{"date": day.isoformat(), "type": t, "events": c, "fatalities": int(d)}
                                 for day, t, c, d in
                                 s.execute(select(base.c.date, base.c.type, n, f).where(base.c.date.is_not(None))
                                           .group_by(base.c.date, base.c.type).order_by(base.c.date))]
            if "week" in groups:
                out["by_week"] = [{"week": w, "type": t, "events": c, "fatalities": int(d)} for w, t, c, d in
                                  s.execute(select(base.c.week, base.c.type, n, f).where(base.c.week.is_not(None))
                                            .group_by(base.c.week, base.c.type).order_by(base.c.week))]
        return out

    def clusters(self, flt: EventFilter = EventFilter(), zoom: int = 3) -> dict:
        """Map markers aggregated on a grid whose cells shrink as the map zooms in
        (about 50 pixels): counts, fatalities and types per cell, the event id
        when a cell holds one event."""
        cell = 360.0 / (2 ** max(0, min(zoom, 20))) / 256 * 50
        with Session(self.engine) as s:
            base = _filtered(select(EventRow.id, EventRow.type, EventRow.lat, EventRow.lon,
                                    EventRow.fatalities), flt).where(EventRow.lat.is_not(None)).subquery()
            if self.engine.dialect.name == "sqlite":  # positive after the shift: a cast is a floor
                gx = cast((base.c.lon + 180.0) / cell, Integer)
                gy = cast((base.c.lat + 90.0) / cell, Integer)
            else:
                gx, gy = func.floor((base.c.lon + 180.0) / cell), func.floor((base.c.lat + 90.0) / cell)
            rows = s.execute(select(gx.label("gx"), gy.label("gy"), base.c.type, func.count(),
                                    func.sum(base.c.fatalities), func.avg(base.c.lat), func.avg(base.c.lon),
                                    func.min(base.c.id))
                             .group_by(gx, gy, base.c.type)).all()
        cells: dict[tuple, dict] = {}
        for x, y, etype, count, dead, lat, lon, first in rows:
            c = cells.setdefault((x, y), {"lat": 0.0, "lon": 0.0, "count": 0, "fatalities": 0, "types": {},
                                          "event_id": first})
            c["lat"] += float(lat) * count
            c["lon"] += float(lon) * count
            c["count"] += count
            c["fatalities"] += int(dead or 0)
            c["types"][etype] = c["types"].get(etype, 0) + count
        out = []
        for c in cells.values():
            c["lat"], c["lon"] = round(c["lat"] / c["count"], 5), round(c["lon"] / c["count"], 5)
            if c["count"] > 1:
                c["event_id"] = None
            out.append(c)
        return {"total": sum(c["count"] for c in out), "clusters": out}

    def changes(self, since: dt.datetime, limit: int = 1000) -> dict:
        """Events created, updated or merged since a time, oldest change first."""
        until = utcnow()
        with Session(self.engine) as s:
            rows = s.execute(select(EventRow.id, EventRow.created_at, EventRow.updated_at, EventRow.merged_into)
                             .where(EventRow.updated_at >= since).order_by(EventRow.updated_at, EventRow.id)
                             .limit(limit)).all()
        return {"since": since.isoformat(), "until": until.isoformat(),
                "events": [{"id": i, "change": "merged" if merged else ("created" if created >= since else "updated"),
                            "merged_into": merged, "updated_at": updated.isoformat()}
                           for i, created, updated, merged in rows]}

    def event(self, event_id: int) -> Optional[dict]:
        """One event with its claims by source, its mentions and their articles.

        An id that was merged into another event resolves to that event."""
        with Session(self.engine) as s:
            ev = s.get(EventRow, event_id)
            seen = set()
            while ev is not None and ev.merged_into is not None and ev.id not in seen:
                seen.add(ev.id)
                ev = s.get(EventRow, ev.merged_into)
            if ev is None:
                return None
            out = event_dict(ev)
            articles = {a.id: a for a in s.scalars(select(ArticleRow).where(
                ArticleRow.id.in_([m.article_id for m in ev.mentions])))}
            out["claims"] = [{"key": c.key, "value": c.value, "qualifier": c.qualifier, "source": c.source,
                              "independent": c.independent, "article_id": c.article_id, "mention_id": c.mention_id}
                             for c in sorted(ev.claims, key=lambda c: (c.key, c.source, c.id))]
            out["mentions"] = [{"id": m.id, "article_id": m.article_id, "type": m.type,
                                "date": m.date.isoformat() if m.date else None, "location": m.location,
                                "actors": m.actors, "sources": m.sources, "figures": m.figures,
                                "evidence": m.evidence, "evidence_start": m.evidence_start,
                                "evidence_end": m.evidence_end, "independent": m.independent}
                               for m in sorted(ev.mentions, key=lambda m: m.id)]
            out["articles"] = [article_dict(a, with_text=False) for a in articles.values()]
            return out

    def article(self, article_id: int) -> Optional[dict]:
        """One article with its text and its mentions (and the events they joined)."""
        with Session(self.engine) as s:
            a = s.get(ArticleRow, article_id)
            if a is None:
                return None
            out = article_dict(a, with_text=True)
            out["mentions"] = [{"id": m.id, "event_id": m.event_id, "type": m.type,
                                "evidence_start": m.evidence_start, "evidence_end": m.evidence_end,
                                "independent": m.independent} for m in sorted(a.mentions, key=lambda m: m.id)]
            return out


def _transactional_ddl_engine(url: str) -> Engine:
    """A SQLite engine whose transactions cover DDL too, for migrations.

    pysqlite opens a transaction only before INSERT/UPDATE/DELETE, so each
    CREATE TABLE of a migration commits on its own: a kill -9 in the middle of
    the first run left tables without an ``alembic_version`` row, and every
    later run failed. Here the driver's own transaction handling is off and
    SQLAlchemy emits ``BEGIN IMMEDIATE`` itself (SQLAlchemy's documented
    recipe), so a migration is all or nothing; IMMEDIATE also makes two
    processes opening a new file migrate one after the other."""
    engine = create_engine(url, future=True, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        _sqlite_pragmas(dbapi_conn, record)
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL: readers never block the writer; NORMAL sync is safe with WAL."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _contains(text: str) -> str:
    """A LIKE pattern for "contains this text", its own % and _ taken literally."""
    literal = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{literal}%"


class _JsonStrings(FunctionElement):
    """The elements of a JSON array, as a table of one ``value`` column."""

    inherit_cache = True
    name = "json_strings"


@compiles(_JsonStrings, "sqlite")
def _json_each(element: _JsonStrings, compiler: Any, **kw: Any) -> str:
    return f"json_each({compiler.process(element.clauses, **kw)})"


@compiles(_JsonStrings, "postgresql")
def _json_array_elements_text(element: _JsonStrings, compiler: Any, **kw: Any) -> str:
    return f"json_array_elements_text({compiler.process(element.clauses, **kw)})"


def _any_element_contains(column: Any, text: str) -> Any:
    """Some string of a JSON list column contains ``text`` (case-insensitive).

    Matched element by element (SQLite's ``json_each``, PostgreSQL's
    ``json_array_elements_text``), not on the column's JSON text, where the
    syntax itself would match: ``[]`` every event without actors, ``"`` every
    event with one."""
    each = _JsonStrings(column).table_valued("value")
    return exists(select(1).select_from(each).where(
        func.lower(each.c.value).like(_contains(text), escape="\\")))


def _filtered(q, flt: EventFilter):
    q = q.where(EventRow.merged_into.is_(None))
    if flt.types:
        q = q.where(EventRow.type.in_(list(flt.types)))
    if flt.country:
        q = q.where(EventRow.country == flt.country.upper())
    if flt.since:
        q = q.where(or_(EventRow.date >= flt.since, EventRow.date_max >= flt.since))
    if flt.until:
        q = q.where(or_(EventRow.date <= flt.until, EventRow.date_min <= flt.until))
    if flt.min_fatalities is not None:
        q = q.where(EventRow.fatalities >= flt.min_fatalities)
    if flt.actor:
        q = q.where(_any_element_contains(EventRow.actors, flt.actor))
    if flt.source:
        q = q.where(_any_element_contains(EventRow.sources, flt.source))
    if flt.text:
        like = _contains(flt.text)
        q = q.where(or_(func.lower(EventRow.evidence).like(like, escape="\\"),
                        func.lower(EventRow.location_name).like(like, escape="\\")))
    if flt.updated_since:
        q = q.where(EventRow.updated_at >= flt.updated_since)
    if flt.near is not None:
        lat, lon = flt.near
        dlat = flt.radius_km / 111.0
        q = q.where(EventRow.lat.between(lat - dlat, lat + dlat))
    if flt.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = flt.bbox
        q = q.where(EventRow.lat.between(min_lat, max_lat), EventRow.lon.between(min_lon, max_lon))
    return q


def _stats_of(events: Sequence[dict]) -> dict:
    """The stats of a list of events (for filters SQL cannot apply exactly)."""
    by_type: dict = {}
    by_country: dict = {}
    by_day: Counter = Counter()
    by_day_dead: Counter = Counter()
    for e in events:
        for table, key in ((by_type, e["type"]), (by_country, e["country"] or "")):
            slot = table.setdefault(key, {"events": 0, "fatalities": 0})
            slot["events"] += 1
            slot["fatalities"] += e["fatalities"]
        if e["date"]:
            by_day[(e["date"], e["type"])] += 1
            by_day_dead[(e["date"], e["type"])] += e["fatalities"]
    weeks: Counter = Counter()
    weeks_dead: Counter = Counter()
    for (day, etype), count in by_day.items():
        week = fuse.iso_week(dt.date.fromisoformat(day))
        weeks[(week, etype)] += count
        weeks_dead[(week, etype)] += by_day_dead[(day, etype)]
    return {"total": len(events), "fatalities": sum(e["fatalities"] for e in events), "by_type": by_type,
            "by_country": by_country,
            "by_day": [{"date": d, "type": t, "events": c, "fatalities": by_day_dead[(d, t)]}
                       for (d, t), c in sorted(by_day.items())],
            "by_week": [{"week": w, "type": t, "events": c, "fatalities": weeks_dead[(w, t)]}
                        for (w, t), c in sorted(weeks.items())]}


def event_dict(e: EventRow) -> dict:
    """An event as plain JSON-ready data."""
    return {
        "id": e.id, "type": e.type, "date": e.date.isoformat() if e.date else None,
        "date_min": e.date_min.isoformat() if e.date_min else None,
        "date_max": e.date_max.isoformat() if e.date_max else None,
        "location": None if e.lat is None else {"name": e.location_name, "country": e.country, "lat": e.lat,
                                                 "lon": e.lon, "precision": e.precision},
        "country": e.country, "actors": e.actors or [], "sources": e.sources or [], "figures": e.figures or {},
        "fatalities": e.fatalities, "n_articles": e.n_articles, "n_sources": e.n_sources,
        "disputed": e.disputed, "evidence": e.evidence,
        "created_at": e.created_at.isoformat(), "updated_at": e.updated_at.isoformat(),
        "merged_into": e.merged_into,
    }


def article_dict(a: ArticleRow, with_text: bool) -> dict:
    out = {"id": a.id, "ext_id": a.ext_id, "url": a.url, "source": a.source,
           "published": a.published.isoformat() if a.published else None, "lang": a.lang,
           "duplicate_of": a.duplicate_of, "containment": a.containment}
    if with_text:
        out["text"] = a.text
    return out


__all__ = ["Store", "Writer", "EventFilter", "Added", "STATS_GROUPS", "content_hash", "database_url", "event_dict", "Base"]
