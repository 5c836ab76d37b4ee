"""Browser fixtures: a real `vigile serve` on loopback over a real SQLite
database filled by `vigile ingest`, and headless Debian Chromium driven by
Playwright (never a downloaded browser).

Skipped when Chromium, Playwright or the npm packages are missing, unless
VIGILE_REQUIRE_BROWSER=1 (as in CI), where that is a failure."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "src" / "vigile" / "web"
IDLE = "() => document.body.dataset.pending === '0'"  # no API request in flight (kept by app.js)

# Events in five countries; two outlets disagree on the Aleppo toll (12 vs 20);
# the Donetsk article carries markup that must stay text.
ARTICLES = [
    {"id": "alep-alpha", "published": "2016-11-29", "source": "Agence Alpha",
     "text": "Syrie : frappes aériennes meurtrières sur Alep\n\nDouze civils ont été tués mardi dans des frappes "
             "aériennes sur le quartier de Chaar, dans l'est d'Alep.\nLes secouristes fouillaient encore les "
             "décombres dans la soirée.\n"},
    {"id": "alep-beta", "published": "2016-11-29", "source": "Journal Beta",
     "text": "Alep : le bilan des raids\n\nMardi, des raids aériens ont fait vingt morts parmi les civils à Chaar, "
             "un secteur rebelle d'Alep.\nLes habitants ont passé la nuit dans les abris.\n"},
    {"id": "gao-attaque", "published": "2016-11-15", "source": "Journal Beta",
     "text": "Mali : des soldats tués dans une attaque près de Gao\n\nSept soldats maliens ont été tués lundi dans "
             "une attaque contre leur camp près de Gao, dans le nord du pays.\nLes assaillants ont été repoussés "
             "après plusieurs heures de combats.\n"},
    {"id": "mossoul-evac", "published": "2016-12-09", "source": "Agence Alpha",
     "text": "Irak : des civils évacués de Mossoul\n\nEnviron 3.500 civils ont été évacués jeudi de la vieille "
             "ville de Mossoul.\nLes familles ont été conduites vers des camps au sud de la ville.\n"},
    {"id": "donetsk-script", "published": "2016-12-20", "source": "Gazette <b>Gamma</b>",
     "url": "javascript:window.__pwned=3",
     "text": "Ukraine : bombardements sur Donetsk <script>window.__pwned = 1</script>\n\nTrois civils ont été "
             "tués lundi par des tirs d'artillerie sur Donetsk <img src=x onerror=\"window.__pwned=2\"> selon les "
             "autorités locales.\nLes bombardements ont repris dans la nuit.\n"},
    {"id": "idleb-obus", "published": "2016-12-03", "source": "Agence Alpha",
     "text": "Syrie : obus sur Idleb\n\nQuatre civils ont été tués vendredi par des tirs d'obus sur la ville "
             "d'Idleb.\nUne école a été touchée.\n"},
    {"id": "taez-frappe", "published": "2016-12-14", "source": "Journal Beta",
     "text": "Yémen : raid aérien sur Taëz\n\nNeuf personnes ont été tuées mardi dans un raid aérien sur un marché "
             "de Taëz.\nLa coalition n'a pas commenté.\n"},
]


def _missing(reason: str):
    if os.environ.get("VIGILE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (VIGILE_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _vigile(*args: str) -> list[str]:
    return [sys.executable, "-m", "vigile.cli", *args]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Base URL of `vigile serve` over a database ingested from ARTICLES."""
    if not (WEB / "node_modules" / "leaflet" / "dist" / "leaflet.js").exists():
        _missing("the dashboard's npm packages are not installed (npm ci in src/vigile/web)")
    root = tmp_path_factory.mktemp("dashboard")
    articles, db = root / "articles.jsonl", root / "vigile.db"
    articles.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ARTICLES), encoding="utf-8")
    subprocess.run(_vigile("ingest", "--quiet", "--db", str(db), str(articles)), check=True, timeout=600)
    port = _free_port()
    log = open(root / "serve.log", "w+")
    proc = subprocess.Popen(_vigile("serve", "--db", str(db), "--port", str(port)), stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/stats", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"vigile serve did not start:\n{log.read()}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        _missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install playwright)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server, request):
    """A fresh page on the dashboard, loaded and idle. Only loopback is reachable
    (the dashboard must work offline), and any script error fails the test.

    Indirect parameter {"bypass_csp": True}: ignore the server's
    Content-Security-Policy, to test what the page itself lets run."""
    options = getattr(request, "param", {})
    context = browser.new_context(viewport={"width": 1400, "height": 900}, **options)
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))

    def offline(route):
        if route.request.url.startswith(server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    page.goto(server + "/")
    page.wait_for_function(IDLE)
    yield page
    context.close()
    assert not outside, f"requests left the machine: {outside}"
    assert not errors, f"errors in the page: {errors}"


@pytest.fixture
def idle(page):
    """Wait until the page has no API request in flight."""
    return lambda: page.wait_for_function(IDLE)
