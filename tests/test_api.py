"""The REST API over a real database, through a real server on loopback."""
from __future__ import annotations

import datetime as dt

import httpx
import pytest
import schemathesis
from api_server import LiveServer
from fusion_corpus import ARTICLES
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from test_store import articles

from vigile.api import MAX_BATCH, create_app
from vigile.ingest import ingest
from vigile.store import Store

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def db(tmp_path_factory, pipeline):
    path = str(tmp_path_factory.mktemp("api") / "vigile.db")
    store = Store(path)
    ingest(articles(ARTICLES), store, pipeline)
    store.close()
    return path


@pytest.fixture(scope="module")
def server(db):
    with LiveServer(create_app(db, token=TOKEN, max_body=200_000)) as live:
        yield live


@pytest.fixture(scope="module")
def api(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def test_events_list_filters_and_formats(api):
    body = api.get("/api/events").json()
    assert body["total"] == 4 and len(body["events"]) == 4
    assert {e["type"] for e in api.get("/api/events", params={"country": "SY"}).json()["events"]} == {
        "shelling", "air_strike", "evacuation"}
    assert [e["type"] for e in api.get("/api/events", params={"type": "bombing"}).json()["events"]] == ["bombing"]
    near = api.get("/api/events", params={"near": "Homs", "radius": 20}).json()
    assert [e["type"] for e in near["events"]] == ["shelling"]
    boxed = api.get("/api/events", params={"bbox": "40,30,50,40"}).json()  # Iraq
    assert [e["type"] for e in boxed["events"]] == ["bombing"]
    page = api.get("/api/events", params={"limit": 2, "offset": 2}).json()
    assert page["total"] == 4 and len(page["events"]) == 2
    geo = api.get("/api/events", params={"format": "geojson"})
    assert geo.headers["content-type"].startswith("application/geo+json") and len(geo.json()["features"]) == 4
    csv = api.get("/api/events", params={"format": "csv"})
    assert csv.text.splitlines()[0].startswith("id,type,date") and len(csv.text.splitlines()) == 5


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 100000}, {"offset": -1}, {"type": "riot"}, {"since": "mardi"},
    {"country": "SY' OR '1'='1"}, {"radius": -5}, {"bbox": "1,2,3"}, {"bbox": "10,10,0,0"},
    {"near": "Nowhereville"}, {"near": "95,10"}, {"min_killed": -1}, {"q": "x" * 500},
])
def test_bad_parameters_are_4xx(api, params):
    r = api.get("/api/events", params=params)
    assert r.status_code == 422, (params, r.status_code, r.text)


def test_injection_attempts_are_plain_text(api):
    for attack in ["' OR 1=1 --", "%'; DROP TABLE events; --", "\\x00", "Alep\" OR \"1\"=\"1"]:
        r = api.get("/api/events", params={"q": attack, "actor": attack, "source": attack})
        assert r.status_code == 200 and r.json()["total"] == 0
    assert api.get("/api/events").json()["total"] == 4  # the table is still there


def test_one_event_and_its_article(api):
    [homs] = api.get("/api/events", params={"type": "shelling"}).json()["events"]
    detail = api.get(f"/api/events/{homs['id']}").json()
    assert {c["source"] for c in detail["claims"]} == {"Syrian Observatory for Human Rights",
                                                       "Syrian Civil Defence", "SANA"}
    assert detail["figures"]["killed_civilians"]["disputed"] is True
    article = api.get(f"/api/articles/{detail['mentions'][0]['article_id']}").json()
    m = article["mentions"][0]
    assert article["text"][m["evidence_start"]:m["evidence_end"]] == detail["mentions"][0]["evidence"]
    assert api.get("/api/events/999999").status_code == 404
    assert api.get("/api/articles/999999").status_code == 404
    assert api.get("/api/events/0").status_code == 422


def test_stats_and_clusters(api):
    stats = api.get("/api/stats").json()
    assert stats["total"] == 4 and stats["by_type"]["bombing"] == {"events": 1, "fatalities": 7}
    assert stats["by_country"]["SY"]["events"] == 3
    assert sum(d["events"] for d in stats["by_day"]) == 4
    # only the groupings asked for, the same numbers as in the full answer
    timeline = api.get("/api/stats", params={"group": ["day", "week"]}).json()
    assert set(timeline) == {"total", "fatalities", "by_day", "by_week"}
    assert timeline["by_day"] == stats["by_day"] and timeline["by_week"] == stats["by_week"]
    assert api.get("/api/stats", params={"group": "type", "country": "IQ"}).json() == {
        "total": 1, "fatalities": 7, "by_type": {"bombing": {"events": 1, "fatalities": 7}}}
    assert api.get("/api/stats", params={"group": "hour"}).status_code == 422
    far = api.get("/api/clusters", params={"zoom": 1}).json()
    close = api.get("/api/clusters", params={"zoom": 12}).json()
    assert far["total"] == close["total"] == 4
    assert len(far["clusters"]) < len(close["clusters"]) == 4
    assert all(c["event_id"] for c in close["clusters"])


def test_change_feed(api):
    past = api.get("/api/changes", params={"since": "2000-01-01T00:00:00"}).json()
    assert len(past["events"]) == 4 and {e["change"] for e in past["events"]} == {"created"}
    future = (dt.datetime.utcnow() + dt.timedelta(days=1)).isoformat()
    assert api.get("/api/changes", params={"since": future}).json()["events"] == []
    assert api.get("/api/changes", params={"since": "yesterday"}).status_code == 422


NEW = {"id": "api-1", "published": "2017-05-02",
       "text": "Lundi, au moins six civils ont été tués par des tirs d'obus sur la ville de Deraa, selon l'OSDH."}


def test_writes_need_the_token(api):
    assert api.post("/api/articles", json=NEW).status_code == 401
    assert api.post("/api/articles", json=NEW, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert api.post("/api/articles", json=NEW, headers={"Authorization": TOKEN}).status_code == 401


def test_post_article_then_again(api):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = api.post("/api/articles", json=NEW, headers=auth)
    assert r.status_code == 200, r.text
    [result] = r.json()["results"]
    assert result["status"] == "added" and result["events"]
    event = api.get(f"/api/events/{result['events'][0]}").json()
    assert event["type"] == "shelling" and event["figures"]["killed_civilians"]["best"] == 6
    again = api.post("/api/articles", json=[NEW], headers=auth).json()["results"]
    assert again[0]["status"] == "known"


@pytest.mark.parametrize("body, status", [
    ({"id": "x"}, 422),                                   # no text
    ({"id": "x", "text": "t", "lang": "de"}, 422),        # unknown language
    ({"id": "x", "text": "t", "evil": 1}, 422),           # unknown field
    ([], 422),                                            # empty batch
    ([{"id": str(i), "text": "t"} for i in range(MAX_BATCH + 1)], 422),
    ({"id": "x", "text": "t" * 300_000}, 413),            # over the body limit
    ("not json", 422),
])
def test_bad_payloads_are_4xx(api, body, status):
    r = api.post("/api/articles", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == status, r.text


def test_read_only_without_a_token(db):
    with LiveServer(create_app(db, token=None)) as live:
        r = httpx.post(live.url + "/api/articles", json=NEW, headers={"Authorization": "Bearer anything"})
        assert r.status_code == 403 and "VIGILE_API_TOKEN" in r.text


def test_no_cors_and_a_strict_page(api):
    r = api.get("/api/events", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    page = api.get("/")
    assert page.status_code in (200, 503)
    if page.status_code == 200:
        assert "script-src 'self'" in page.headers["content-security-policy"]


def test_no_request_makes_a_server_error(server):
    """schemathesis generates requests from the OpenAPI schema: none may be a 5xx.
    (Driven through Hypothesis directly: its pytest plugin predates pytest 9.)"""
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        call()


def test_reads_are_cached_and_a_write_clears_them(tmp_path, pipeline):
    """A repeated read is served from memory; a write through the server is seen at once."""
    db = str(tmp_path / "cached.db")
    store = Store(db)
    ingest(articles(ARTICLES), store, pipeline)
    store.close()
    with LiveServer(create_app(db, token=TOKEN, cache_ttl=3600)) as live:
        first = httpx.get(live.url + "/api/stats").json()
        store = Store(db)  # a change behind the server's back stays hidden until the cache expires
        with store.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE events SET fatalities = fatalities + 1000 WHERE type = 'bombing'")
        store.close()
        assert httpx.get(live.url + "/api/stats").json() == first
        extra = {"id": "cache-1", "published": "2017-05-09",
                 "text": "Mardi, un kamikaze s'est fait exploser à Kirkouk, tuant trois personnes, selon la police."}
        r = httpx.post(live.url + "/api/articles", json=extra, headers={"Authorization": f"Bearer {TOKEN}"},
                       timeout=120)
        assert r.status_code == 200
        after = httpx.get(live.url + "/api/stats").json()
        assert after["total"] == first["total"] + 1
        assert after["by_type"]["bombing"]["fatalities"] > first["by_type"]["bombing"]["fatalities"] + 1000
