"""Read-only access to the bundled ``places.sqlite`` (built by ``scripts/build_gazetteer.py``).

Names stay on disk and are fetched per key through the ``names`` primary key,
so opening costs a few milliseconds and almost no memory; the caller caches.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from .keys import KEY_VERSION
from .place import Candidate, Place

_COLUMNS = "p.gid, p.name, p.country, p.lat, p.lon, p.kind, p.population, p.admin1"


class StaleGazetteer(RuntimeError):
    """The database was built with another key function: rebuild it."""


def _candidate(row: tuple) -> Candidate:
    gid, name, country, lat, lon, kind, population, admin1 = row
    return Candidate(Place(f"gn:{gid}", name, country, lat, lon, kind, population), False, admin1)


class PlaceStore:
    """Queries on the place database; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        # immutable=1: the file ships inside the package and never changes, so
        # sqlite may skip locking (works on read-only installs too).
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        self.meta = dict(self._db.execute("SELECT key, value FROM meta"))
        if self.meta.get("key_version") != str(KEY_VERSION):
            raise StaleGazetteer(f"{path} has key version {self.meta.get('key_version')}, "
                                 f"code expects {KEY_VERSION}: run scripts/build_gazetteer.py")

    def _query(self, sql: str, args: tuple) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def by_key(self, key: str) -> list[Candidate]:
        rows = self._query(f"SELECT {_COLUMNS} FROM names n JOIN places p ON p.gid = n.gid "
                           "WHERE n.key = ?", (key,))
        return [_candidate(r) for r in rows]

    def by_skeleton(self, skel: str) -> list[tuple[Candidate, str]]:
        """Places with a name of this consonant skeleton, with that name's spelling."""
        rows = self._query(f"SELECT {_COLUMNS}, s.spelling FROM skeletons s "
                           "JOIN places p ON p.gid = s.gid WHERE s.skel = ?", (skel,))
        return [(_candidate(r[:-1]), r[-1]) for r in rows]

    def by_gid(self, gid: int) -> Candidate | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM places p WHERE p.gid = ?", (gid,))
        return _candidate(rows[0]) if rows else None

    def region(self, country: str, admin1: str) -> Candidate | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM places p WHERE p.kind = 'region' "
                           "AND p.country = ? AND p.admin1 = ?", (country, admin1))
        return _candidate(rows[0]) if rows else None

    def country(self, iso2: str) -> Candidate | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM places p WHERE p.kind = 'country' "
                           "AND p.country = ?", (iso2.upper(),))
        return _candidate(rows[0]) if rows else None

    def counts(self) -> dict[str, int]:
        return {k.split(":", 1)[1]: int(v) for k, v in self.meta.items() if k.startswith("count:")}
