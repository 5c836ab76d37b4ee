"""Running tallies of what an event's mentions and claims say, kept as they are written.

An event's summary (its most told day, most precise place, actors, claimants,
figures) is a function of the *distinct* values its mentions and claims carry,
with how many times each is told and when it was first told. Those counts are
kept in ``event_tallies`` (one row per event, part and distinct value) and
bumped by an upsert when a mention joins the event, so refreshing an event
reads a handful of rows, whatever the number of articles telling it. Reading
the mentions instead (the first design) cost time in proportion to them: an
event told by 5,000 syndicated copies made every new copy slower to store.

Parts:

* ``d`` — the mention's day (ISO text);
* ``l`` — its place (the location as JSON);
* ``a`` — its actor list (JSON);
* ``s`` — its claimants (the attributed sources, else the outlet) and whether
  it is independent;
* ``c`` — one figure claim: key, value, qualifier, who says it, independent.

``first_id`` is the id of the first mention (or claim) that told the value: the
summary breaks ties by first telling. A merge of two events adds one's
tallies into the other's.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Optional

from sqlalchemy import Integer, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from vigile.store.models import EventTally

_T = EventTally.__table__
_DECODED_MAX = 200_000  # decoded values kept (a few tens of MB at most)


class Tally(NamedTuple):
    """One distinct value of an event's part, told ``n`` times, first by row ``first``
    (a named tuple: millions are built per million articles, cheaper than a frozen dataclass)."""

    value: Any  # the decoded JSON value: shared between reads, never to be modified
    n: int
    first: int


def encode(value: Any) -> str:
    """The canonical JSON text of a tallied value (equal values, equal text)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def row(event_id: int, part: str, value: Any, first: int, n: int = 1) -> dict:
    """The parameters of one tally upsert."""
    encoded = encode(value)
    return {"event_id": event_id, "part": part, "digest": hashlib.sha1(encoded.encode()).hexdigest(),
            "value": encoded, "n": n, "first_id": first}


def upsert_insert(dialect: str) -> Any:
    """The dialect's ``insert``, the one with ``on_conflict_do_*`` (SQLite and PostgreSQL alike)."""
    return (sqlite if dialect == "sqlite" else postgresql).insert


def of_mention(event_id: int, mention_id: int, date: Optional[str], location: Optional[dict],
               actors: Sequence[str], claimants: Sequence[str], independent: bool) -> list[dict]:
    """The tally rows one mention adds to its event (parts without a value add nothing)."""
    rows = [row(event_id, "s", [list(claimants), independent], mention_id)]
    if date:
        rows.append(row(event_id, "d", date, mention_id))
    if location:
        rows.append(row(event_id, "l", location, mention_id))
    if actors:
        rows.append(row(event_id, "a", list(actors), mention_id))
    return rows


def of_claim(event_id: int, claim_id: int, key: str, value: int, qualifier: str, source: str,
             independent: bool) -> dict:
    """The tally row of one figure claim."""
    return row(event_id, "c", [key, value, qualifier, source, independent], claim_id)


class Tallies:
    """The dialect's statements over ``event_tallies`` (SQLite and PostgreSQL
    both upsert with ``ON CONFLICT``; the smaller of two ids is ``min`` on one,
    ``least`` on the other)."""

    def __init__(self, dialect: str) -> None:
        least = func.min if dialect == "sqlite" else func.least
        insert = upsert_insert(dialect)

        def counted_in(ins: Any) -> Any:
            """``ins``, adding to the tally a value already has."""
            return ins.on_conflict_do_update(
                index_elements=[_T.c.event_id, _T.c.part, _T.c.digest],
                set_={"n": _T.c.n + ins.excluded.n, "first_id": least(_T.c.first_id, ins.excluded.first_id)})

        self._upsert = counted_in(insert(_T))
        columns = ["event_id", "part", "digest", "value", "n", "first_id"]
        self._fold = counted_in(insert(_T).from_select(columns, select(
            bindparam("keep", type_=Integer), _T.c.part, _T.c.digest, _T.c.value, _T.c.n, _T.c.first_id).where(
            _T.c.event_id == bindparam("other"))))
        self._drop = delete(_T).where(_T.c.event_id == bindparam("other"))
        self._reads: dict[str, Any] = {}  # parts -> the statement reading them
        # digest -> decoded value: content-addressed, so never stale, and an
        # event told thousands of times is refreshed thousands of times over
        # the same values (decoding them was most of a refresh)
        self._decoded: dict[str, Any] = {}

    def add(self, conn: Connection, rows: Iterable[dict]) -> None:
        """Count these values in (rows of :func:`of_mention` and :func:`of_claim`)."""
        rows = list(rows)
        if rows:
            conn.execute(self._upsert, rows)

    def fold(self, conn: Connection, keep: int, other: int) -> None:
        """Add ``other``'s tallies into ``keep``'s (a merge), and drop ``other``'s."""
        conn.execute(self._fold, {"keep": keep, "other": other})
        conn.execute(self._drop, {"other": other})

    def read(self, conn: Connection, event_ids: Sequence[int], parts: str) -> dict[int, dict[str, list[Tally]]]:
        """Some events' tallies of these ``parts`` (letters), each part in order
        of first telling; one query for them all. An event without any is absent."""
        statement = self._reads.get(parts)
        if statement is None:  # on the primary key's (event_id, part) prefix
            statement = self._reads[parts] = select(
                _T.c.event_id, _T.c.part, _T.c.digest, _T.c.value, _T.c.n, _T.c.first_id).where(
                _T.c.event_id.in_(bindparam("events", expanding=True)), _T.c.part.in_(list(parts))).order_by(
                _T.c.event_id, _T.c.first_id)
        out: dict[int, dict[str, list[Tally]]] = {}
        decoded = self._decoded
        for event_id, part, digest, value, n, first in conn.execute(statement, {"events": list(event_ids)}).all():
            if (known := decoded.get(digest)) is None:
                if len(decoded) >= _DECODED_MAX:
                    decoded.clear()
                known = decoded[digest] = json.loads(value)
            if (tallied := out.get(event_id)) is None:
                tallied = out[event_id] = {p: [] for p in parts}
            tallied[part].append(Tally(known, n, first))
        return out
