"""The event database's tables (SQLAlchemy 2), the same on SQLite and PostgreSQL.

* ``articles`` — one row per distinct text (``content_hash`` is unique, which
  makes ingest idempotent); ``duplicate_of`` links a near-duplicate (wire copy)
  to the article it repeats.
* ``mentions`` — the per-article records of ``vigile extract`` with evidence
  offsets; ``independent`` is false when the article, or the passage holding
  the evidence, repeats an earlier article.
* ``events`` — fused real-world events. Ids are stable: an event that is
  absorbed by another keeps its row with ``merged_into`` set, so a link to it
  still resolves; ``updated_at`` feeds the change feed.
* ``claims`` — every figure every mention reports, with who says it: fusion
  never loses a claim, it only summarises them on the event.
* ``event_tallies`` — per event, each distinct day, place, actor list,
  claimant list and claim its mentions carry, with how often it is told and
  its first telling: the running aggregates an event's summary is computed
  from (``vigile.store.tallies``).
* ``passage_signatures`` — MinHash signatures of article sentences, so the
  near-duplicate index can be rebuilt without re-reading texts.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import (JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary,
                        PrimaryKeyConstraint, String, Text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ext_id: Mapped[str] = mapped_column(String(512), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[Optional[str]] = mapped_column(Text)
    source: Mapped[Optional[str]] = mapped_column(String(512), index=True)
    published: Mapped[Optional[dt.date]] = mapped_column(Date, index=True)
    lang: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, deferred=True)  # loaded only when asked: fusion never needs it
    duplicate_of: Mapped[Optional[int]] = mapped_column(ForeignKey("articles.id"), index=True)
    containment: Mapped[float] = mapped_column(Float, default=0.0)
    ingested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    mentions: Mapped[list["MentionRow"]] = relationship(back_populates="article", cascade="all, delete-orphan")


class EventRow(Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    date: Mapped[Optional[dt.date]] = mapped_column(Date)
    date_min: Mapped[Optional[dt.date]] = mapped_column(Date)
    date_max: Mapped[Optional[dt.date]] = mapped_column(Date)
    week: Mapped[Optional[str]] = mapped_column(String(8))  # ISO week "2016-W50": fusion blocking and stats
    country: Mapped[Optional[str]] = mapped_column(String(2))
    location_name: Mapped[Optional[str]] = mapped_column(String(512))
    lat: Mapped[Optional[float]] = mapped_column(Float)
    lon: Mapped[Optional[float]] = mapped_column(Float)
    precision: Mapped[Optional[str]] = mapped_column(String(16))
    actors: Mapped[list[Any]] = mapped_column(default=list)
    sources: Mapped[list[Any]] = mapped_column(default=list)
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)  # key -> low/best/high/conservative/…
    n_articles: Mapped[int] = mapped_column(Integer, default=0)
    n_sources: Mapped[int] = mapped_column(Integer, default=0)  # independent sources
    disputed: Mapped[bool] = mapped_column(Boolean, default=False)
    fatalities: Mapped[int] = mapped_column(Integer, default=0)  # ACLED-style conservative killed
    evidence: Mapped[Optional[str]] = mapped_column(Text)
    merged_into: Mapped[Optional[int]] = mapped_column(ForeignKey("events.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)

    mentions: Mapped[list["MentionRow"]] = relationship(back_populates="event")
    claims: Mapped[list["ClaimRow"]] = relationship(back_populates="event")

    __table_args__ = (
        Index("ix_events_block", "type", "country", "week"),
        Index("ix_events_date", "date", "id"),
        Index("ix_events_country_date", "country", "date"),
        Index("ix_events_type_date", "type", "date"),
        Index("ix_events_latlon", "lat", "lon"),
    )


class MentionRow(Base):
    __tablename__ = "mentions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    event_id: Mapped[Optional[int]] = mapped_column(ForeignKey("events.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    date: Mapped[Optional[dt.date]] = mapped_column(Date)
    location: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    actors: Mapped[list[Any]] = mapped_column(default=list)
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sources: Mapped[list[Any]] = mapped_column(default=list)
    evidence: Mapped[str] = mapped_column(Text)
    evidence_start: Mapped[int] = mapped_column(Integer)
    evidence_end: Mapped[int] = mapped_column(Integer)
    independent: Mapped[bool] = mapped_column(Boolean, default=True)

    article: Mapped[ArticleRow] = relationship(back_populates="mentions")
    event: Mapped[Optional[EventRow]] = relationship(back_populates="mentions")


class ClaimRow(Base):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    key: Mapped[str] = mapped_column(String(32))
    value: Mapped[int] = mapped_column(Integer)
    qualifier: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(512))  # who says it: the attributed source, else the outlet
    independent: Mapped[bool] = mapped_column(Boolean, default=True)

    event: Mapped[EventRow] = relationship(back_populates="claims")


class EventTally(Base):
    __tablename__ = "event_tallies"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    part: Mapped[str] = mapped_column(String(1))  # d(ay), l(ocation), a(ctors), s(ources), c(laim)
    digest: Mapped[str] = mapped_column(String(40))  # SHA-1 of value: a bounded key, whatever the value's length
    value: Mapped[str] = mapped_column(Text)  # canonical JSON
    n: Mapped[int] = mapped_column(Integer)
    first_id: Mapped[int] = mapped_column(Integer)  # first mention (claim for part c) telling it

    __table_args__ = (PrimaryKeyConstraint("event_id", "part", "digest"),)


class PassageSignature(Base):
    __tablename__ = "passage_signatures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    signature: Mapped[bytes] = mapped_column(LargeBinary)
