"""The dashboard in headless Chromium against a real `vigile serve` (see conftest.py)."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture then skips, or fails under VIGILE_REQUIRE_BROWSER=1
    expect = None

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

EVENTS = "#event-list .event-item"
MARKERS = "#map path.marker"


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def _marker_total(page) -> int:
    return page.eval_on_selector_all(MARKERS, "ms => ms.reduce((n, m) => n + Number(m.dataset.count), 0)")


def _open_event(page, idle, has_text: str) -> None:
    page.locator(EVENTS, has_text=has_text).click()
    expect(page.locator("#event-panel")).to_be_visible()
    idle()


def test_page_loads_with_borders_markers_timeline_and_list(page, idle):
    expect(page.locator("#map path.border").first).to_be_attached()
    assert int(page.get_attribute("#map", "data-borders")) > 200  # every country of Natural Earth 50m
    assert page.locator("#map path.border").count() > 100
    assert page.locator(MARKERS).count() >= 4
    assert _marker_total(page) == 7 - 1  # seven articles, the two Aleppo reports fused into one event
    expect(page.locator(EVENTS)).to_have_count(6)
    expect(page.locator("#list-title")).to_have_text("6 events")
    assert page.locator("#timeline rect.bar").count() == 6
    expect(page.locator("#filter-country option[value=SY]")).to_have_count(1)
    expect(page.locator("#summary")).to_contain_text("6 events")


def test_only_clusters_and_a_page_of_events_are_fetched(page, idle):
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.reload()
    idle()
    listed = [_query(u) for u in urls if urlparse(u).path == "/api/events"]
    assert listed and all(q["limit"] == ["50"] for q in listed)
    assert any(urlparse(u).path == "/api/clusters" for u in urls)


def test_filter_by_type_changes_markers_and_list(page, idle):
    with page.expect_request(lambda r: "/api/clusters" in r.url and _query(r.url).get("type") == ["shelling"]):
        page.check("#type-filters input[value=shelling]")
    idle()
    expect(page.locator(EVENTS)).to_have_count(2)
    assert set(page.eval_on_selector_all(EVENTS, "ls => ls.map(l => l.dataset.type)")) == {"shelling"}
    assert set(page.eval_on_selector_all(MARKERS, "ms => ms.map(m => m.dataset.type)")) == {"shelling"}
    assert _marker_total(page) == 2

    page.check("#type-filters input[value=air_strike]")
    idle()
    expect(page.locator(EVENTS)).to_have_count(4)
    page.click("#reset-filters")
    idle()
    expect(page.locator(EVENTS)).to_have_count(6)


def test_country_and_text_filters(page, idle):
    page.select_option("#filter-country", "SY")
    idle()
    expect(page.locator(EVENTS)).to_have_count(2)
    page.select_option("#filter-country", "")
    with page.expect_request(lambda r: "/api/events" in r.url and _query(r.url).get("source") == ["gamma"]):
        page.fill("#filter-source", "gamma")
    idle()
    expect(page.locator(EVENTS)).to_have_count(1)
    expect(page.locator(EVENTS)).to_contain_text("Donetsk")


def test_brushing_the_timeline_sets_since_and_until(page, idle):
    first = page.locator('#timeline rect.bar[data-date="2016-12-02"]').bounding_box()
    last = page.locator('#timeline rect.bar[data-date="2016-12-13"]').bounding_box()
    y = first["y"] + first["height"] / 2
    with page.expect_request(lambda r: "/api/events" in r.url and "since" in r.url) as request:
        page.mouse.move(first["x"] + 1, y)
        page.mouse.down()
        page.mouse.move(last["x"] + last["width"] / 2, y, steps=8)
        page.mouse.up()
    query = _query(request.value.url)
    assert (query["since"], query["until"]) == (["2016-12-02"], ["2016-12-13"])
    idle()
    expect(page.locator(EVENTS)).to_have_count(3)  # 12-02 Idlib, 12-08 Mosul, 12-13 Taiz
    assert _marker_total(page) == 3
    expect(page.locator("#filter-since")).to_have_value("2016-12-02")
    expect(page.locator("#filter-until")).to_have_value("2016-12-13")
    expect(page.locator("#timeline #brush")).to_be_attached()
    assert page.locator("#timeline rect.bar.outside").count() == 3

    page.click("#timeline-reset")
    idle()
    expect(page.locator(EVENTS)).to_have_count(6)
    expect(page.locator("#timeline #brush")).to_have_count(0)


def test_event_panel_shows_figures_disputed_claims_and_evidence(page, idle):
    _open_event(page, idle, has_text="disputed")
    panel = page.locator("#event-panel")
    figure = panel.locator("#figures tr.figure-row.disputed[data-key=killed_civilians]")
    expect(figure.locator(".best")).to_have_text("12")
    expect(figure.locator(".range")).to_have_text("12–20")

    expect(panel.locator("#claims tr.claim-row")).to_have_count(2)
    disputed = panel.locator("#claims tr.claim-row.disputed")
    expect(disputed).to_have_count(1)
    expect(disputed).to_contain_text("Journal Beta")
    expect(disputed.locator("td.num")).to_have_text("20")

    # Each fused mention's evidence is highlighted in its article, at its offsets.
    event_id = panel.get_attribute("data-event-id")
    event = page.request.get(f"{page.url.rstrip('/')}/api/events/{event_id}").json()
    assert len(event["mentions"]) == 2
    for mention in event["mentions"]:
        mark = panel.locator(f'mark.evidence.current[data-mention-ids~="{mention["id"]}"]')
        expect(mark).to_have_text(mention["evidence"])
    expect(panel.locator("mark.evidence.current").first).to_contain_text("Douze civils ont été tués")

    # The artifact: tall enough for the whole panel, which scrolls on its own.
    page.set_viewport_size({"width": 1400, "height": 1300})
    page.wait_for_timeout(500)  # Leaflet redraws 200 ms after a resize, then fetches the new view
    idle()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert (ARTIFACTS / "dashboard.png").stat().st_size > 10_000

    # A fused mention links to its highlight.
    second = event["mentions"][1]["id"]
    panel.locator(f'#mentions .mention-link[data-mention-id="{second}"] button').click()
    expect(panel.locator(f'mark[data-mention-ids~="{second}"]')).to_have_class(re.compile(r"\bflash\b"))
    expect(page.locator(f'#event-list .event-item.selected[data-event-id="{event_id}"]')).to_have_count(1)


def test_markers_open_events_and_clusters_zoom_in(page, idle):
    marker = page.locator("#map path.marker.event[data-type=armed_clash]")  # Gao, alone in Mali
    event_id = marker.get_attribute("data-event-id")
    marker.click()
    expect(page.locator("#event-panel")).to_have_attribute("data-event-id", event_id)
    expect(page.locator("#event-panel h2")).to_contain_text("armed clash")

    before = page.evaluate("() => map.getZoom()")
    with page.expect_request(lambda r: "/api/clusters" in r.url and "bbox" in r.url) as request:
        page.locator("#map path.marker.cluster").first.click()  # Aleppo and Idlib, one cluster at this zoom
    assert int(_query(request.value.url)["zoom"][0]) == before + 2
    idle()
    assert _marker_total(page) >= 2


# The page's CSP forbids inline scripts; without it, rendering as text alone must still hold.
@pytest.mark.parametrize("page", [{}, {"bypass_csp": True}], ids=["csp", "no-csp"], indirect=True)
def test_article_markup_renders_as_text_and_never_runs(page, idle):
    expect(page.locator(EVENTS, has_text="Gazette <b>Gamma</b>")).to_have_count(1)
    _open_event(page, idle, has_text="Donetsk")
    text = page.locator("#event-panel .article-text")
    expect(text).to_contain_text("<script>window.__pwned = 1</script>")
    expect(text).to_contain_text('<img src=x onerror="window.__pwned=2">')
    expect(text.locator("mark.evidence.current")).to_contain_text("<img src=x onerror=")
    assert page.locator("#event-panel script, #event-panel img, #event-list b, #event-panel b").count() == 0
    assert page.locator("#event-panel a[href^='javascript']").count() == 0
    expect(page.locator("#event-panel details.article")).to_contain_text("javascript:window.__pwned=3")
    assert page.evaluate("typeof window.__pwned") == "undefined"
