"""Readers on real files built at test time: pages, feeds, WARC archives, gzip, URLs.

Every fixture is written here, with French sentences made up for these tests.
"""
from __future__ import annotations

import datetime as dt
import functools
import gzip
import http.server
import io
import json
import socket
import sys
import threading
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import vigile.readers as readers
from vigile.readers import JSONL_SUFFIXES, ReadError, base, fetch, read_inputs, read_path, read_stdin
from vigile.schema import Article

BODY_A = [
    "Au moins neuf personnes ont été tuées mardi dans l'explosion d'une voiture piégée près du marché "
    "central de Mogadiscio, a indiqué un responsable des services de secours à la presse locale.",
    "Plusieurs dizaines de blessés ont été transportés vers les deux hôpitaux de la capitale somalienne, "
    "où les médecins manquaient de sang et de matériel pour les opérations en urgence.",
]
BODY_B = [
    "Des milliers d'habitants ont quitté lundi les villages situés au sud de la ville de Kidal, après "
    "plusieurs jours d'affrontements entre des groupes armés rivaux, selon une agence humanitaire.",
    "Les familles déplacées se sont installées dans des écoles et des mosquées, où l'eau potable commence "
    "déjà à manquer, a précisé un travailleur humanitaire joint par téléphone.",
]


def page(title: str, paragraphs: list[str], head: str = "", site: str = "") -> bytes:
    """A news page with the usual clutter around the article: menu, comments, footer."""
    site_meta = f'<meta property="og:site_name" content="{site}">' if site else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{title}</title>{site_meta}{head}</head>
<body><nav><ul><li><a href="/">Accueil</a></li><li><a href="/afrique">Afrique</a></li></ul></nav>
<article><h1>{title}</h1>{body}</article>
<section class="comments"><h3>Commentaires</h3>
<div class="comment"><p>Commentaire de Paul : toujours les mêmes qui paient le prix fort.</p></div></section>
<footer><p>Abonnez-vous à notre lettre d'information</p></footer>
</body></html>""".encode("utf-8")


PAGE_A = page("Mogadiscio : neuf morts dans un attentat", BODY_A, site="L'Écho de la Corne", head=(
    '<link rel="canonical" href="https://echo-corne.example/afrique/attentat-mogadiscio">'
    '<meta property="article:published_time" content="2017-03-14T11:20:00+03:00">'))
PAGE_B = page("Kidal : des milliers de déplacés", BODY_B)

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Le Veilleur du Sahel</title><link>https://veilleur-sahel.example/</link>
<item><title>Gao : un convoi attaqué sur la route de Ménaka</title>
<link>https://veilleur-sahel.example/gao-convoi</link><guid isPermaLink="false">vs-2017-0415</guid>
<pubDate>Tue, 14 Mar 2017 00:40:00 +0100</pubDate>
<description>&lt;p&gt;Un convoi de camions a été attaqué &lt;b&gt;dimanche&lt;/b&gt; au nord de Gao.&lt;/p&gt;&lt;p&gt;Deux chauffeurs sont portés disparus.&lt;/p&gt;</description></item>
<item><title>Tombouctou : reprise des cours dans trois écoles</title>
<link>https://veilleur-sahel.example/tombouctou-ecoles</link>
<description>Les élèves ont retrouvé leurs classes lundi matin.</description></item>
<item><title></title><description></description></item>
</channel></rss>""".encode("utf-8")

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Chronique des Kivus</title>
<link href="https://chronique-kivus.example/"/><id>urn:chronique-kivus</id><updated>2017-03-15T08:00:00Z</updated>
<entry><title>Beni : nouvelle attaque contre un village</title><id>urn:chronique-kivus:881</id>
<link href="https://chronique-kivus.example/beni-attaque"/><updated>2017-03-15T06:15:00+01:00</updated>
<summary>Résumé court.</summary>
<content type="html">&lt;p&gt;Six civils ont été tués dans la nuit de mardi à mercredi près de Beni.&lt;/p&gt;&lt;ul&gt;&lt;li&gt;Les assaillants ont incendié des maisons.&lt;/li&gt;&lt;/ul&gt;</content>
</entry></feed>""".encode("utf-8")


def articles(items: list) -> list[Article]:
    return [i for i in items if isinstance(i, Article)]


def errors(items: list) -> list[ReadError]:
    return [i for i in items if isinstance(i, ReadError)]


# --- the package keeps the old public names -----------------------------------------------------

def test_readers_is_a_package_with_the_old_public_names():
    assert hasattr(readers, "__path__")
    assert not (Path(readers.__file__).parent.parent / "readers.py").exists()
    assert {".jsonl", ".ndjson", ".json"} == JSONL_SUFFIXES
    assert str(ReadError("f.jsonl:3", "malformed JSON")) == "f.jsonl:3: malformed JSON"


# --- HTML -----------------------------------------------------------------------------------------

def test_html_page_gives_headline_then_main_text_and_page_metadata(tmp_path):
    src = tmp_path / "attentat.html"
    src.write_bytes(PAGE_A)
    [art] = list(read_path(src, source="fallback", lang="fr"))
    assert isinstance(art, Article), art
    headline, blank, rest = art.text.split("\n", 2)
    assert (headline, blank) == ("Mogadiscio : neuf morts dans un attentat", "")
    assert rest.split("\n") == BODY_A  # the <h1> is not repeated under the headline
    assert "Commentaire" not in art.text and "Accueil" not in art.text and "Abonnez" not in art.text
    assert art.id == "attentat"
    assert art.published == dt.date(2017, 3, 14)
    assert art.source == "L'Écho de la Corne"
    assert art.url == "https://echo-corne.example/afrique/attentat-mogadiscio"


def test_html_is_sniffed_whatever_the_suffix(tmp_path):
    src = tmp_path / "capture.txt"
    src.write_bytes(PAGE_B)
    [art] = list(read_path(src))
    assert art.text.startswith("Kidal : des milliers de déplacés\n\nDes milliers d'habitants")
    assert "<p>" not in art.text


def test_a_partial_page_date_is_not_completed_into_a_day(tmp_path):
    # htmldate turns "2017-03" into a full day (today's day of the month); that day is made up.
    src = tmp_path / "kidal.html"
    src.write_bytes(page("Kidal : des milliers de déplacés", BODY_B, head='<meta name="date" content="2017-03">'))
    [art] = list(read_path(src, published=dt.date(2016, 1, 5)))
    assert art.published == dt.date(2016, 1, 5)


def test_html_without_article_text_is_an_error(tmp_path):
    src = tmp_path / "vide.html"
    src.write_bytes(b"<!DOCTYPE html><html><head><title>Accueil</title></head><body><div><img src=\"carte.png\"></div></body></html>")
    [err] = list(read_path(src))
    assert isinstance(err, ReadError)
    assert str(err) == f"{src}: no article text found in the HTML page"


def test_html_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(base, "MAX_FILE_BYTES", 1000)
    src = tmp_path / "grande.html"
    src.write_bytes(PAGE_A)
    [err] = list(read_path(src))
    assert isinstance(err, ReadError) and "over the 1,000-byte limit" in err.message


# --- feeds ----------------------------------------------------------------------------------------

def test_rss_entries_become_articles_and_a_bad_entry_is_one_error(tmp_path):
    src = tmp_path / "veilleur.rss"
    src.write_bytes(RSS)
    items = list(read_path(src))
    first, second = articles(items)
    assert first.id == "vs-2017-0415"
    assert first.text == ("Gao : un convoi attaqué sur la route de Ménaka\n\n"
                          "Un convoi de camions a été attaqué dimanche au nord de Gao.\n"
                          "Deux chauffeurs sont portés disparus.")
    assert first.published == dt.date(2017, 3, 14)  # the publisher's day, not the UTC one (the 13th)
    assert first.source == "Le Veilleur du Sahel"
    assert first.url == "https://veilleur-sahel.example/gao-convoi"
    assert len(second.id) == 16 and second.published is None  # no guid: a hash of the link
    assert second.text == "Tombouctou : reprise des cours dans trois écoles\n\nLes élèves ont retrouvé leurs classes lundi matin."
    [err] = errors(items)
    assert str(err) == f"{src}:entry 3: entry has neither title nor text"


def test_atom_entry_takes_the_fuller_content(tmp_path):
    src = tmp_path / "kivus.atom"
    src.write_bytes(ATOM)
    [art] = list(read_path(src))
    assert art.id == "urn:chronique-kivus:881"
    assert art.text == ("Beni : nouvelle attaque contre un village\n\n"
                        "Six civils ont été tués dans la nuit de mardi à mercredi près de Beni.\n"
                        "Les assaillants ont incendié des maisons.")
    assert art.published == dt.date(2017, 3, 15)
    assert art.source == "Chronique des Kivus"
    assert art.url == "https://chronique-kivus.example/beni-attaque"


def test_feed_content_wins_over_suffix_and_other_xml_is_an_error(tmp_path):
    disguised = tmp_path / "flux.html"
    disguised.write_bytes(ATOM)
    assert [a.id for a in read_path(disguised)] == ["urn:chronique-kivus:881"]
    sitemap = tmp_path / "sitemap.xml"
    sitemap.write_bytes(b'<?xml version="1.0"?><urlset><url><loc>https://x.example/</loc></url></urlset>')
    [err] = list(read_path(sitemap))
    assert isinstance(err, ReadError) and err.where == str(sitemap)
    assert err.message.startswith(("not an RSS or Atom feed", "feed has no entries"))


# --- WARC -----------------------------------------------------------------------------------------

def _response(writer: WARCWriter, uri: str, content_type: str, body: bytes, day: str):
    headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
    return writer.create_warc_record(uri, "response", payload=io.BytesIO(body), length=len(body),
                                     http_headers=headers, warc_headers_dict={"WARC-Date": f"{day}T09:00:00Z"})


def write_warc(path: Path, pages_b: bytes = PAGE_B) -> list[int]:
    """warcinfo, request, page A, a PNG, page B; returns where each record ends."""
    ends = []
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=path.name.endswith(".gz"))
        request = StatusAndHeaders("GET /afrique/attentat-mogadiscio HTTP/1.1", [("Host", "echo-corne.example")],
                                   is_http_request=True)
        for record in (
            writer.create_warcinfo_record(path.name, {"software": "tests"}),
            writer.create_warc_record("https://echo-corne.example/afrique/attentat-mogadiscio", "request",
                                      payload=io.BytesIO(b""), length=0, http_headers=request),
            _response(writer, "https://echo-corne.example/afrique/attentat-mogadiscio",
                      "text/html; charset=utf-8", PAGE_A, "2017-03-20"),
            _response(writer, "https://echo-corne.example/logo.png", "image/png", b"\x89PNG\r\n\x1a\n" * 20,
                      "2017-03-20"),
            _response(writer, "https://journal-sahel.example/kidal-deplaces", "text/html", pages_b, "2017-03-16"),
        ):
            writer.write_record(record)
            ends.append(f.tell())
    return ends


def test_warc_html_responses_become_articles(tmp_path):
    src = tmp_path / "crawl.warc.gz"
    write_warc(src)
    items = list(read_path(src))
    assert not errors(items), errors(items)
    a, b = items
    assert a.id.startswith("urn:uuid:") and a.id != b.id
    assert a.url == "https://echo-corne.example/afrique/attentat-mogadiscio"
    assert a.published == dt.date(2017, 3, 14)  # the page's own date wins over the capture day
    assert a.text.startswith("Mogadiscio : neuf morts dans un attentat\n\n")
    assert b.url == "https://journal-sahel.example/kidal-deplaces"
    assert b.published == dt.date(2017, 3, 16)  # no date in the page: the WARC-Date day
    assert b.source == "journal-sahel.example"


def test_truncated_warc_gz_keeps_the_records_before_the_cut(tmp_path):
    whole = tmp_path / "whole.warc.gz"
    ends = write_warc(whole)
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(whole.read_bytes()[: (ends[3] + ends[4]) // 2])  # in the middle of record 5
    items = list(read_path(cut))
    assert [type(i) for i in items] == [Article, ReadError]
    assert items[0].url.endswith("attentat-mogadiscio")
    assert items[1].where == f"{cut}:record 5" and "cut short" in items[1].message


def test_broken_warc_record_is_reported_by_number(tmp_path):
    whole = tmp_path / "whole.warc"
    ends = write_warc(whole)
    data = whole.read_bytes()
    broken = tmp_path / "broken.warc"
    broken.write_bytes(data[: ends[2]] + b"ceci n'est pas un en-tete WARC\r\n\r\n" + data[ends[2]:])
    items = list(read_path(broken))
    assert [type(i) for i in items] == [Article, ReadError]
    assert items[1].where == f"{broken}:record 4" and "broken record" in items[1].message


def test_warc_record_over_the_size_limit_is_one_error(tmp_path, monkeypatch):
    src = tmp_path / "big.warc.gz"
    write_warc(src, pages_b=PAGE_B + b"<!-- " + b"x" * 6000 + b" -->")
    monkeypatch.setattr(base, "MAX_FILE_BYTES", 5000)
    items = list(read_path(src))
    assert [type(i) for i in items] == [Article, ReadError]
    assert items[1].where == f"{src}:record 5" and "over the 5,000-byte limit" in items[1].message


# --- folders, gzip, standard input ------------------------------------------------------------------

def test_folders_recurse_over_every_supported_kind(tmp_path):
    root = tmp_path / "corpus"
    (root / "flux").mkdir(parents=True)
    (root / "note.txt").write_text(BODY_A[0], encoding="utf-8")
    (root / "kidal.htm").write_bytes(PAGE_B)
    (root / "flux" / "kivus.atom").write_bytes(ATOM)
    (root / "lot.jsonl.gz").write_bytes(gzip.compress(
        (json.dumps({"id": "j1", "text": BODY_B[0]}, ensure_ascii=False) + "\n").encode("utf-8")))
    (root / "depeche.txt.gz").write_bytes(gzip.compress(BODY_B[1].encode("utf-8")))
    write_warc(root / "crawl.warc.gz")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n")
    (root / "LISEZMOI.md").write_text("# notes", encoding="utf-8")
    items = list(read_path(root))
    assert not errors(items), errors(items)
    ids = {a.id for a in items}
    assert {"note", "kidal", "urn:chronique-kivus:881", "j1", "depeche"} <= ids
    assert len(items) == 7  # the five above and the two WARC pages; png and md are not read
    assert next(a for a in items if a.id == "depeche").text == BODY_B[1]


def test_truncated_jsonl_gz_keeps_the_lines_before_the_cut(tmp_path):
    lines = "".join(json.dumps({"id": f"l{n}", "text": f"{BODY_A[0]} ({n})"}, ensure_ascii=False) + "\n"
                    for n in range(1, 201))
    packed = gzip.compress(lines.encode("utf-8"))
    src = tmp_path / "lot.jsonl.gz"
    src.write_bytes(packed[: len(packed) // 2])
    items = list(read_path(src))
    good, [err] = articles(items), errors(items)
    assert items[-1] is err and good and [a.id for a in good] == [f"l{n}" for n in range(1, len(good) + 1)]
    assert err.where == f"{src}:{len(good) + 1}" and "cut short or corrupt" in err.message


def test_truncated_txt_gz_is_an_error(tmp_path):
    src = tmp_path / "depeche.txt.gz"
    src.write_bytes(gzip.compress(" ".join(BODY_B).encode("utf-8"))[:40])
    [err] = list(read_path(src))
    assert isinstance(err, ReadError) and err.where == str(src) and "gzip" in err.message


def test_stdin_page_is_read_as_html(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PAGE_B)))
    [art] = list(read_stdin(lang="fr"))
    assert art.id == "stdin" and art.text.startswith("Kidal : des milliers de déplacés\n\n")


GARBAGE = [
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(256)) * 4,  # a gzip header, then noise
    b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99999\r\n\r\n<html>\x00",
    b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>Coup',
    b"<!DOCTYPE html><html><body><p>",
    bytes(range(256)) * 16,
]


@pytest.mark.parametrize("suffix", [".html", ".xml", ".rss", ".warc", ".warc.gz", ".jsonl.gz", ".txt.gz", ".txt"])
@pytest.mark.parametrize("junk", range(len(GARBAGE)))
def test_damaged_input_gives_errors_never_exceptions(tmp_path, suffix, junk):
    src = tmp_path / f"abime{suffix}"
    src.write_bytes(GARBAGE[junk])
    items = list(read_inputs([str(src)]))
    assert items and all(isinstance(i, (Article, ReadError)) for i in items)
    assert errors(items) and all(e.where.startswith(str(src)) for e in errors(items))


# --- URLs -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://127.0.0.1:9/flux.rss", "http://localhost/", "http://[::1]/", "https://10.20.30.40/",
    "http://192.168.1.1/admin", "http://169.254.169.254/latest/meta-data/", "http://[::ffff:127.0.0.1]/",
])
def test_private_addresses_are_refused(monkeypatch, url):
    monkeypatch.delenv(fetch.ALLOW_PRIVATE_ENV, raising=False)
    [err] = list(read_inputs([url]))
    assert isinstance(err, ReadError) and err.where == url
    assert "not a public address" in err.message and fetch.ALLOW_PRIVATE_ENV in err.message


def test_every_resolved_address_is_checked(monkeypatch):
    monkeypatch.delenv(fetch.ALLOW_PRIVATE_ENV, raising=False)
    answers = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 80)),
               (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 80))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: answers)
    [err] = list(read_inputs(["http://actu.example/une"]))
    assert "actu.example resolves to 10.0.0.7, which is not a public address" in err.message


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def site(tmp_path):
    """A local web server over a folder: (folder, base URL)."""
    root = tmp_path / "site"
    (root / "rubrique").mkdir(parents=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_urls_are_fetched_as_feeds_or_pages(site, monkeypatch):
    root, url = site
    (root / "flux.rss").write_bytes(RSS)
    (root / "kidal").write_bytes(PAGE_B)  # no suffix, no HTML content type: sniffed
    (root / "rubrique" / "index.html").write_bytes(PAGE_A)
    inputs = [f"{url}/flux.rss", f"{url}/kidal", f"{url}/rubrique", f"{url}/absent.html"]

    monkeypatch.delenv(fetch.ALLOW_PRIVATE_ENV, raising=False)
    assert all("not a public address" in e.message for e in read_inputs(inputs))

    monkeypatch.setenv(fetch.ALLOW_PRIVATE_ENV, "1")
    items = list(read_inputs(inputs))
    feed_a, feed_b, kidal, rubrique = articles(items)
    assert feed_a.id == "vs-2017-0415" and feed_b.url.endswith("/tombouctou-ecoles")
    assert kidal.text.startswith("Kidal : des milliers de déplacés\n\n")
    assert kidal.url == f"{url}/kidal" and kidal.source == url.removeprefix("http://")
    assert rubrique.url == "https://echo-corne.example/afrique/attentat-mogadiscio"  # followed the redirect to /rubrique/
    entry_error, missing = errors(items)
    assert entry_error.where == f"{url}/flux.rss:entry 3"
    assert missing.where == f"{url}/absent.html" and missing.message == "cannot fetch: HTTP 404 File not found"


def test_downloads_over_the_size_limit_are_refused(site, monkeypatch):
    root, url = site
    (root / "lourd.html").write_bytes(PAGE_A)
    monkeypatch.setenv(fetch.ALLOW_PRIVATE_ENV, "1")
    monkeypatch.setattr(fetch, "MAX_FETCH_BYTES", 500)
    [err] = list(read_inputs([f"{url}/lourd.html"]))
    assert err.where == f"{url}/lourd.html" and "over the 500-byte download limit" in err.message
