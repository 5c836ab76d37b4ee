"""`vigile serve`: the event database as a REST API and a dashboard (docs/api.md).

The API is a thin layer over :class:`vigile.store.Store` and
:func:`vigile.ingest.ingest`: it parses and bounds parameters, checks the
token on writes, and shapes responses. What it promises:

* every query parameter is typed and bounded, and a bad one is a 4xx, never a 5xx;
* writes need ``Authorization: Bearer $VIGILE_API_TOKEN``, compared in constant
  time, and are refused outright when no token is configured;
* request bodies are capped (``max_body``) and batches too (``MAX_BATCH``);
* no CORS headers (browsers keep other sites out), and the dashboard is served
  with a Content-Security-Policy that forbids inline scripts, on top of it
  inserting every text as text.
"""
from __future__ import annotations

import datetime as dt
import hmac
import io
import json
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal, Optional, Union

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from vigile import export
from vigile.schema import EVENT_TYPES, Article
from vigile.store import STATS_GROUPS, EventFilter, Store

WEB = Path(__file__).resolve().parent / "web"
MAX_BODY = 5 * 1024 * 1024
MAX_BATCH = 100
MAX_TEXT = 1_000_000
#: Seconds a read response may be served again from memory.
CACHE_TTL = 10.0
#: Bytes the read cache may hold in all (response bodies and headers): the
#: dashboard's repeated questions (stats, clusters, a page of events) are a few
#: KB to a few hundred KB each, so 64 MB holds hundreds of them, and a server
#: shared by several analysts cannot be made to hold more, whatever they ask.
CACHE_BYTES = 64 * 1024 * 1024
_DB_ID = 2**31 - 1
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")


class ArticleIn(BaseModel):
    """An article posted for ingestion (the input of `vigile extract`)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=512)
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    published: Optional[dt.date] = None
    source: Optional[str] = Field(default=None, max_length=512)
    url: Optional[str] = Field(default=None, max_length=4096)
    lang: Literal["fr"] = "fr"


async def _send_json(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class _BodyLimit:
    """413 for a body over the limit, declared or streamed, before the app reads
    it; ``nosniff`` on every response. Plain ASGI: no task group per request."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await _send_json(send, 413, f"request body over {self.limit} bytes")
        if declared is None and scope["method"] in ("POST", "PUT", "PATCH"):
            chunks, size, more = [], 0, True
            while more:  # a streamed body: read it whole (up to the limit) before the app does
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                more = message.get("more_body", False)
                if size > self.limit:
                    return await _send_json(send, 413, f"request body over {self.limit} bytes")
            replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

            async def receive() -> dict:  # noqa: F811 — the app reads the buffered body
                return replay.pop() if replay else {"type": "http.disconnect"}

        async def send_nosniff(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-content-type-options", b"nosniff")]
            await send(message)

        await self.app(scope, receive, send_nosniff)


class _ResponseCache:
    """Recent GET /api responses, for ``ttl`` seconds: an LRU of at most ``size``
    entries and ``max_bytes`` bytes; a response over ``max_entry`` bytes (an
    eighth of ``max_bytes`` by default: 8 MB, a page of 1,000 events with their
    evidence is ~1 MB) is not cached at all, nor buffered past that size.

    The data changes only when articles are ingested, and a dashboard asks the
    same questions again and again: a 50,000-event stats or cluster query is
    computed once per ``ttl`` instead of once per visitor. A write through this
    server clears it at once; an ingest by another process shows within ``ttl``.
    When an entry expires, one request recomputes it while the others are served
    the previous copy, so that expiry does not send every waiting client to the
    database at once.
    """

    def __init__(self, app: Any, ttl: float, size: int = 2048, max_bytes: int = CACHE_BYTES,
                 max_entry: Optional[int] = None) -> None:
        self.app = app
        self.ttl = ttl
        self.size = size
        self.max_bytes = max_bytes
        self.max_entry = min(max_bytes, max_bytes // 8 if max_entry is None else max_entry)
        self.entries: OrderedDict[bytes, tuple[float, list, bytes]] = OrderedDict()
        self.bytes = 0  # what the entries hold: keys, headers and bodies
        self.refreshing: set[bytes] = set()

    @staticmethod
    def _cost(key: bytes, headers: list, body: bytes) -> int:
        return len(key) + len(body) + sum(len(k) + len(v) for k, v in headers)

    def _drop(self, key: bytes) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.bytes -= self._cost(key, entry[1], entry[2])

    def _store(self, key: bytes, expires: float, headers: list, body: bytes) -> None:
        self._drop(key)
        cost = self._cost(key, headers, body)
        if cost > self.max_entry:
            return
        self.entries[key] = (expires, headers, body)
        self.bytes += cost
        while len(self.entries) > self.size or self.bytes > self.max_bytes:
            self._drop(next(iter(self.entries)))

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, method = scope["path"], scope["method"]
        if method != "GET" or self.ttl <= 0 or not path.startswith("/api/") or path == "/api/changes":
            status = {}

            async def watch(message: dict) -> None:
                if message["type"] == "http.response.start":
                    status["code"] = message["status"]
                await send(message)

            await self.app(scope, receive, watch)
            if method == "POST" and status.get("code", 500) < 400:
                self.entries.clear()  # new articles: what was cached may be stale
                self.bytes = 0
                self.refreshing.clear()
            return
        key = path.encode() + b"?" + b"&".join(sorted(scope["query_string"].split(b"&")))
        now = time.monotonic()
        hit = self.entries.get(key)
        if hit is not None and (hit[0] > now or key in self.refreshing):
            self.entries.move_to_end(key)
            await send({"type": "http.response.start", "status": 200, "headers": hit[1]})
            await send({"type": "http.response.body", "body": hit[2]})
            return
        self.refreshing.add(key)
        start: dict = {}
        body: list[bytes] = []
        size = [0]

        async def keep(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body" and size[0] <= self.max_entry:
                body.append(message.get("body", b""))
                size[0] += len(body[-1])
                if size[0] > self.max_entry:
                    body.clear()  # too big to cache: stop buffering it, forget the previous copy
                    self._drop(key)
                elif not message.get("more_body") and start.get("status") == 200:
                    self._store(key, now + self.ttl, list(start.get("headers", [])), b"".join(body))
            await send(message)

        try:
            await self.app(scope, receive, keep)
        finally:
            self.refreshing.discard(key)


class _Writer:
    """The ingest pipeline, loaded on the first write and used by one request at a time."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        self.pipeline = None
        self.index = None

    def ingest(self, articles: list[Article]) -> list[dict]:
        from vigile.ingest import Outcome, ingest, load_index
        from vigile.pipeline import Pipeline

        with self.lock:
            if self.pipeline is None:
                self.pipeline = Pipeline()
                self.index = load_index(self.store)
            outcomes: list[Outcome] = []
            ingest(articles, self.store, self.pipeline, self.index, on_article=outcomes.append)
        return [{"id": o.ext_id, "status": o.status, "article_id": o.article_id, "events": list(o.events),
                 "error": o.error} for o in outcomes]


def create_app(db: str = "vigile.db", token: Optional[str] = None, max_body: int = MAX_BODY,
               cache_ttl: float = CACHE_TTL, cache_bytes: int = CACHE_BYTES) -> FastAPI:
    """The API over one database; ``token`` defaults to $VIGILE_API_TOKEN;
    ``cache_ttl`` seconds of response caching for reads (0 turns it off), in at
    most ``cache_bytes`` bytes of memory."""
    token = (token if token is not None else os.environ.get("VIGILE_API_TOKEN")) or None  # "" opens nothing
    store = Store(db)
    writer = _Writer(store)
    app = FastAPI(title="Vigile", version="0.1.0",
                  description="Fused, sourced, geocoded conflict events from French news. See docs/api.md.")
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(_ResponseCache, ttl=cache_ttl, max_bytes=cache_bytes)
    app.add_middleware(_BodyLimit, limit=max_body)

    def filters(
        type: list[str] = Query(default=[], max_length=len(EVENT_TYPES), description="Event type, repeatable."),
        country: Optional[str] = Query(None, pattern="^[A-Za-z]{2}$"),
        near: Optional[str] = Query(None, max_length=200, description="A place name or 'lat,lon'."),
        radius: float = Query(50.0, gt=0, le=20_000),
        since: Optional[dt.date] = None,
        until: Optional[dt.date] = None,
        actor: Optional[str] = Query(None, max_length=200),
        source: Optional[str] = Query(None, max_length=200),
        min_killed: Optional[int] = Query(None, ge=0, le=10**9),
        q: Optional[str] = Query(None, max_length=200),
        bbox: Optional[str] = Query(None, max_length=100, description="min_lon,min_lat,max_lon,max_lat"),
    ) -> EventFilter:
        bad = [t for t in type if t not in EVENT_TYPES]
        if bad:
            raise HTTPException(422, f"unknown type {bad[0]!r}")
        if any("\x00" in (v or "") for v in (near, actor, source, q, bbox)):
            raise HTTPException(422, "a parameter holds a NUL character")
        return EventFilter(types=tuple(type), country=country.upper() if country else None, near=_near(near),
                           radius_km=radius, since=since, until=until, actor=actor, source=source,
                           min_fatalities=min_killed, text=q, bbox=_bbox(bbox))

    @app.get("/api/events", summary="Fused events matching the filters, newest first")
    def list_events(flt: EventFilter = Depends(filters), limit: int = Query(100, ge=1, le=1000),
                    offset: int = Query(0, ge=0, le=10_000_000),
                    format: Literal["json", "geojson", "csv"] = "json") -> Response:
        rows = store.events(flt, limit=limit, offset=offset)
        if format == "geojson":
            return JSONResponse(export.geojson(rows), media_type="application/geo+json")
        if format == "csv":
            out = io.StringIO()
            export.write_csv(rows, out)
            return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
        return JSONResponse({"total": store.count_events(flt), "limit": limit, "offset": offset, "events": rows})

    @app.get("/api/events/{event_id}", summary="One event: figures, every claim, mentions and articles")
    def get_event(event_id: int = PathParam(ge=1, le=_DB_ID)) -> dict:
        detail = store.event(event_id)
        if detail is None:
            raise HTTPException(404, f"no event {event_id}")
        return detail

    @app.get("/api/articles/{article_id}", summary="One article: text, metadata and its mentions")
    def get_article(article_id: int = PathParam(ge=1, le=_DB_ID)) -> dict:
        detail = store.article(article_id)
        if detail is None:
            raise HTTPException(404, f"no article {article_id}")
        return detail

    @app.get("/api/stats", summary="Counts and fatalities by type, country, day and week")
    def get_stats(flt: EventFilter = Depends(filters),
                  group: list[Literal["type", "country", "day", "week"]] = Query(
                      default=[], max_length=4,
                      description="Groupings to return (repeatable): by_type, by_country, by_day, by_week. "
                                  "All four when absent; by day and by week cost most over years of events.")
                  ) -> dict:
        return store.stats(flt, groups=tuple(group) or STATS_GROUPS)

    @app.get("/api/clusters", summary="Map markers aggregated on a zoom-dependent grid")
    def get_clusters(flt: EventFilter = Depends(filters), zoom: int = Query(3, ge=0, le=20)) -> dict:
        return store.clusters(flt, zoom)

    @app.get("/api/changes", summary="Events created, updated or merged since a time (stable ids)")
    def get_changes(since: dt.datetime, limit: int = Query(1000, ge=1, le=10_000)) -> dict:
        if since.tzinfo is not None:
            try:
                since = since.astimezone(dt.timezone.utc).replace(tzinfo=None)
            except OverflowError:
                raise HTTPException(422, "since: out of the calendar's range in UTC") from None
        return store.changes(since, limit)

    def authorised(authorization: Optional[str] = Header(None)) -> None:
        if token is None:
            raise HTTPException(403, "writes are disabled: set VIGILE_API_TOKEN to enable them")
        given = authorization[7:] if authorization and authorization.startswith("Bearer ") else ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    @app.post("/api/articles", summary="Ingest one article or a batch (bearer token)",
              dependencies=[Depends(authorised)])
    def post_articles(body: Union[ArticleIn, list[ArticleIn]]) -> dict:
        batch = body if isinstance(body, list) else [body]
        if not batch or len(batch) > MAX_BATCH:
            raise HTTPException(422, f"a batch holds 1 to {MAX_BATCH} articles")
        return {"results": writer.ingest([Article.model_validate(a.model_dump()) for a in batch])}

    @app.get("/", include_in_schema=False)
    def dashboard() -> Response:
        index = WEB / "index.html"
        if not index.exists():
            return HTMLResponse("<p>Dashboard assets are missing: run <code>make demo</code>.</p>", status_code=503)
        return FileResponse(index, headers={"Content-Security-Policy": _CSP})

    app.mount("/static", StaticFiles(directory=WEB, check_dir=False), name="static")
    app.mount("/vendor", StaticFiles(directory=WEB / "node_modules", check_dir=False), name="vendor")
    return app


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with what is wrong and where, but not the offending input: an input
    that cannot be written as JSON (an infinite number, a lone surrogate) must
    not turn the error itself into a 500."""
    errors = [{"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", "invalid")),
               "type": str(e.get("type", "value_error"))} for e in exc.errors()]
    return JSONResponse({"detail": errors}, status_code=422)


def app_from_env() -> FastAPI:
    """The app for ``uvicorn --factory`` and multi-worker serving: database from
    $VIGILE_DB, cache from $VIGILE_CACHE_TTL."""
    return create_app(os.environ.get("VIGILE_DB", "vigile.db"),
                      cache_ttl=float(os.environ.get("VIGILE_CACHE_TTL", CACHE_TTL)))


def _near(value: Optional[str]) -> Optional[tuple[float, float]]:
    if value is None:
        return None
    from vigile.gazetteer import coordinates

    try:
        return coordinates(value)
    except ValueError as e:
        raise HTTPException(422, f"near: {e}") from None


def _bbox(value: Optional[str]) -> Optional[tuple[float, float, float, float]]:
    if value is None:
        return None
    try:
        min_lon, min_lat, max_lon, max_lat = (float(x) for x in value.split(","))
    except ValueError:
        raise HTTPException(422, "bbox: four numbers, min_lon,min_lat,max_lon,max_lat") from None
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise HTTPException(422, "bbox: out of range or inverted")
    return min_lon, min_lat, max_lon, max_lat


__all__ = ["create_app", "app_from_env", "ArticleIn", "MAX_BODY", "MAX_BATCH"]
