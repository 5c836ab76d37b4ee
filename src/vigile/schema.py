"""The data that flows between stages: articles in, event records out.

These models are the contract of ``spec/events.md``. Every stage takes and
returns them (or the small internal dataclasses of its own module), so the
CLI, the Python API and the tests all speak the same language.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

EventType = Literal[
    "armed_clash", "territory_change", "air_strike", "shelling", "bombing",
    "violence_against_civilians", "evacuation", "displacement", "aid_delivery",
    "ceasefire", "talks", "casualty_toll", "protest", "arrest",
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]

FigureKey = Literal[
    "killed", "injured", "killed_civilians", "killed_children", "killed_women",
    "evacuated", "displaced", "detained", "aid_tonnes",
]
FIGURE_KEYS: tuple[str, ...] = FigureKey.__args__  # type: ignore[attr-defined]

Qualifier = Literal["exact", "at_least", "approx", "at_most"]
Precision = Literal["site", "city", "region", "country"]

#: Languages the pipeline has resources for (a ``lang/xx`` folder).
SUPPORTED_LANGS = ("fr",)


class Article(BaseModel):
    """One input document. Only ``id`` and ``text`` are required."""

    model_config = ConfigDict(extra="ignore")

    id: str
    text: str
    published: Optional[dt.date] = None
    source: Optional[str] = None
    url: Optional[str] = None
    lang: str = "fr"

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, v: object) -> object:
        # Ids are often numbers in the wild; the spec treats them as strings.
        return str(v) if isinstance(v, (int, float)) else v

    @field_validator("text")
    @classmethod
    def _storable(cls, v: str) -> str:
        # databases refuse NUL (PostgreSQL) and nothing can encode a lone
        # surrogate (json.loads of "\ud800"): one character for one keeps every offset
        v = v.replace("\x00", " ")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            v = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in v)
        return v

    @field_validator("published", mode="before")
    @classmethod
    def _published_day(cls, v: object) -> object:
        # Accept full ISO timestamps ("2016-12-08T10:00:00Z"): the day is what counts.
        if isinstance(v, str) and len(v) > 10 and v[4:5] == "-":
            return v[:10]
        return v or None


class Figure(BaseModel):
    value: int = Field(ge=0)
    qualifier: Qualifier = "exact"


class Location(BaseModel):
    name: str
    mention: str
    country: str
    lat: float
    lon: float
    precision: Precision


class EventRecord(BaseModel):
    """One (type, place, day) reported by one article, per the spec.

    ``evidence_start``/``evidence_end`` are character offsets of ``evidence``
    in the original article text; they are internal (not part of the spec
    output) and let the store and the dashboard point back at the sentence.
    """

    type: EventType
    date: Optional[dt.date] = None
    location: Optional[Location] = None
    actors: list[str] = Field(default_factory=list)
    figures: dict[FigureKey, Figure] = Field(default_factory=dict)
    sources: list[str] = Field(default_factory=list)
    evidence: str
    evidence_start: int = Field(default=0, exclude=True)
    evidence_end: int = Field(default=0, exclude=True)

    def to_spec(self) -> dict:
        """The JSON object the spec defines (internal offsets left out)."""
        return self.model_dump(mode="json")


class ArticleResult(BaseModel):
    """The records of one article, or why it could not be processed."""

    id: str
    events: list[EventRecord] = Field(default_factory=list)
    error: Optional[str] = Field(default=None, exclude=True)

    def to_spec(self) -> dict:
        return {"id": self.id, "events": [e.to_spec() for e in self.events]}
