"""Every reader against hostile bytes: random, structured, truncated, garbled.

The contract under test (vigile.readers): whatever a file holds, reading it
yields Articles and ReadErrors and nothing else — no exception escapes
``read_path`` (which has no catch-all of its own) nor ``read_inputs`` (which
has one, as a last resort that costs the rest of the file), and nothing hangs.
Files are written under their real suffixes so that the real dispatch runs.
"""
from __future__ import annotations

import gzip
import io
import json
import zlib
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from vigile.readers import ReadError, read_inputs, read_path
from vigile.readers.document import read_document
from vigile.schema import Article

from .conftest import check_items, fuzz, no_hang


SENTENCE = "Lundi, au moins six civils ont été tués par des tirs d'obus sur Alep, selon l'OSDH."


def read_both(path: Path) -> list[object]:
    """read_path must not raise; read_inputs must agree with it item for item."""
    with no_hang():
        items = check_items(read_path(path))
        again = check_items(read_inputs([str(path)]))
    assert [type(i) for i in again] == [type(i) for i in items], "read_inputs caught what read_path raised"
    return items


def put(scratch: Path, name: str, data: bytes) -> Path:
    path = scratch / name
    path.write_bytes(data)
    return path


# --- structured mutations ----------------------------------------------------------------------

@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` cut short, garbled or spliced at random offsets (the damage of real transfers)."""
    out = bytearray(data)
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["cut", "flip", "insert", "delete", "repeat"]))
        if not out:
            break
        at = draw(st.integers(0, len(out) - 1))
        if kind == "cut":
            del out[at:]
        elif kind == "flip":
            out[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            out[at:at] = draw(st.sampled_from([b"\x00", b"\xff\xfe", b"\r", b"\n", b"\xe2\x80\xa8", b"<", b"&",
                                               b"\x1f\x8b", b"WARC/1.0\r\n", b"]]>", b"\xc3"]))
        elif kind == "delete":
            del out[at:at + draw(st.integers(1, 64))]
        else:
            out[at:at] = out[at:at + draw(st.integers(1, 256))] * draw(st.integers(1, 8))
    return bytes(out)


# --- JSON Lines ------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
ARTICLE_OBJECTS = st.fixed_dictionaries(
    {"text": st.one_of(st.text(max_size=300), st.just(SENTENCE), JSON_VALUES)},
    optional={"id": JSON_VALUES, "published": st.one_of(st.dates().map(str), st.text(max_size=30), JSON_VALUES),
              "source": JSON_VALUES, "url": JSON_VALUES, "lang": st.sampled_from(["fr", "en", "", "xx" * 40])},
)
JSONL_LINES = st.one_of(
    ARTICLE_OBJECTS.map(lambda o: json.dumps(o, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=120),
    st.text(max_size=120).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"[" * 50_000, b'{"a":' * 50_000, b'{"id": 1' + b"0" * 5000 + b', "text": "x"}',
                     b'{"id": "x", "text": "' + b"\\ud800" + b'"}', b'{"text": "a\\u0000b"}', b"\xef\xbb\xbf{}"]),
)


@fuzz(150)
@given(lines=st.lists(JSONL_LINES, max_size=12), data=st.data())
def test_jsonl_never_raises(scratch, lines, data):
    raw = data.draw(mutated(b"\n".join(lines)))
    assume(raw)
    items = read_both(put(scratch, "fuzz.jsonl", raw))
    good = sum(isinstance(i, Article) for i in items)
    assert good <= raw.count(b"\n") + 1  # at most one article per line


def test_one_bad_line_costs_one_line(scratch):
    """A line the JSON parser chokes on in an unusual way (too deep, a
    5,000-digit number) is one ReadError: the lines after it are still read."""
    raw = b"\n".join([
        json.dumps({"id": "a", "text": SENTENCE}).encode(),
        b"[" * 100_000,
        b'{"id": 1' + b"0" * 5000 + b', "text": "x"}',
        json.dumps({"id": "b", "text": SENTENCE}).encode(),
    ])
    items = read_both(put(scratch, "deep.jsonl", raw))
    assert [type(i).__name__ for i in items] == ["Article", "ReadError", "ReadError", "Article"]
    assert [i.where.rsplit(":", 1)[1] for i in items if isinstance(i, ReadError)] == ["2", "3"]


# --- any document, as a fetched URL or standard input gives it ------------------------------------------

@fuzz(100)
@given(raw=st.one_of(st.just(b""), st.binary(max_size=600), st.sampled_from([b" ", b"\n", b"<rss", b"<feed",
                                                                               b"<html", b"\xef\xbb\xbf"])),
       kind=st.sampled_from(["text", "html", "feed"]))
def test_any_document_never_raises(raw, kind):
    """read_document is what URLs (and cluster shards) go through, without
    read_path's empty-file check in front: an empty body included."""
    with no_hang():
        items = check_items(read_document(raw, "fuzz", "fuzz", kind))
    assert items


# --- plain text ------------------------------------------------------------------------------------

@fuzz(100)
@given(raw=st.one_of(st.binary(min_size=1, max_size=2000),
                     st.text(min_size=1, max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
                     st.text(min_size=1, max_size=500).map(lambda t: t.encode("utf-16")),
                     st.text(min_size=1, max_size=500).map(lambda t: t.encode("latin-1", "replace"))))
def test_text_never_raises(scratch, raw):
    items = read_both(put(scratch, "fuzz.txt", raw))
    assert len(items) == 1


# --- HTML --------------------------------------------------------------------------------------------

TAGS = ["html", "head", "body", "div", "p", "article", "main", "script", "style", "table", "tr", "td", "b", "a",
        "title", "meta", "br", "ul", "li", "span", "h1", "noscript", "iframe", "svg", "math", "template",
        "textarea", "plaintext", "xmp", "frameset", "select", "option", "time", "header", "footer", "nav"]
HTML_LEAVES = st.one_of(
    st.text(max_size=80),
    st.sampled_from([SENTENCE, "&amp;", "&#0;", "&#x110000;", "&#99999999999999;", "&#xD800;", "&#55296;",
                     "&nbsp", "<!--", "-->",
                     "<![CDATA[", "]]>", "</", "<", ">", "&", "\x00", "<?php echo 1 ?>", "<!DOCTYPE html>",
                     "\ufeff", "\u202e", "<meta charset='utf-7'>", "<meta charset=\"x-unknown\">",
                     '<meta property="article:published_time" content="2017-02-31">',
                     '<link rel="canonical" href="javascript:alert(1)">', "<time datetime='99999-99-99'>"]),
)
ATTRS = st.lists(st.tuples(st.sampled_from(["class", "id", "href", "content", "property", "onerror", "style",
                                            "datetime", "lang", "x\x00y", '"', "="]),
                           st.text(max_size=20)), max_size=3)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def render(parts: tuple[str, list[tuple[str, str]], list[str], bool]) -> str:
        tag, attrs, kids, close = parts
        attr = "".join(f' {k}="{v}"' for k, v in attrs)
        return f"<{tag}{attr}>{''.join(kids)}" + (f"</{tag}>" if close else "")
    return st.tuples(st.sampled_from(TAGS), ATTRS, st.lists(children, max_size=4), st.booleans()).map(render)


HTML_DOCS = st.recursive(HTML_LEAVES, _element, max_leaves=40).map(lambda s: "<!DOCTYPE html><html>" + s)


@fuzz(100)
@given(doc=HTML_DOCS, encoding=st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1252"]), data=st.data())
def test_html_never_raises(scratch, doc, encoding, data):
    raw = data.draw(mutated(doc.encode(encoding, "replace")))
    assume(raw)
    items = read_both(put(scratch, "fuzz.html", raw))
    assert len(items) == 1


#: Markup that breaks parsers' assumptions, each a page of its own (also run by bench/soak.py).
PATHOLOGICAL_HTML = {
    "nested-divs": b"<html><body>" + b"<div>" * 100_000 + SENTENCE.encode() + b"</div>" * 100_000,
    "unclosed-inline": b"<html><body>" + b"<b><i><a href=x>" * 30_000 + SENTENCE.encode(),
    "nested-tables": b"<html><body>" + b"<table><tr><td>" * 20_000 + SENTENCE.encode(),
    "many-attributes": b"<html><body><p " + b"a=1 " * 200_000 + b">" + SENTENCE.encode() + b"</p>",
    "endless-comment": b"<html><body><!--" + b"-" * 1_000_000,
    "endless-script": b"<html><body><script>" + b"var x = '<p>';" * 100_000,
    # a run of comments before the first element once hung the sniffer (exponential backtracking)
    "lead-comments": b"<!---->" * 200_000 + b"<html><body><p>x</p>",
    "only-comments": b"<!---->" * 600,
    "lead-processing-instructions": b"<?x?>" * 1000 + b"<html><body><p>x</p>",
    "lead-comments-then-doctype": b"<!-- a -->" * 500 + b"<!DOCTYPE html>" + b"<!---->" * 500,
    "only-markup": b"<html>" + b"<p></p>" * 50_000,
    "a-million-spaces": b"<html><body><p>" + b" " * 1_000_000 + b"</p>",
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL_HTML))
def test_pathological_html_is_read_or_refused(scratch, name):
    items = read_both(put(scratch, f"{name}.html", PATHOLOGICAL_HTML[name]))
    assert len(items) == 1


# --- RSS and Atom --------------------------------------------------------------------------------------

def billion_laughs(root: str, depth: int = 10) -> str:
    """The classic entity bomb: 10^depth 'lol's from a few hundred bytes."""
    decls = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, depth))
    return f"<!DOCTYPE {root} [{decls}]>"


DOCTYPES = {
    "none": lambda root: "",
    "laughs": billion_laughs,
    "quadratic": lambda root: f'<!DOCTYPE {root} [<!ENTITY a "{"x" * 50_000}">]>',
    "external": lambda root: f'<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    "parameter": lambda root: f'<!DOCTYPE {root} [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
    "remote": lambda root: f'<!DOCTYPE {root} SYSTEM "http://127.0.0.1:9/evil.dtd">',
}
REFS = {"laughs": "&lol9;", "quadratic": "&a;" * 200, "external": "&xxe;", "parameter": "&p;", "remote": "&r;",
        "none": "&undefined;"}
FEED_TEXT = st.one_of(st.text(max_size=120), st.sampled_from([
    SENTENCE, "&lt;script&gt;alert(1)&lt;/script&gt;", "<![CDATA[<p>" + SENTENCE + "</p>]]>", "&#0;", "]]>",
    "&#55296;", "&#xDFFF;", "&amp;#55296;", "&#1114112;"]))
DATES = st.one_of(st.text(max_size=40), st.sampled_from([
    "Tue, 14 Mar 2017 00:30 +0100", "Tue, 14 Mar 99999 00:30 +0100", "2017-02-31T00:00:00Z",
    "31 février 2017", "0000-00-00", "Mon, 99 Foo 2017 99:99:99 +9999", "9999-12-31T23:59:59-14:00"]))


@st.composite
def feeds(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["rss", "atom", "rdf"]))
    doctype = draw(st.sampled_from(sorted(DOCTYPES)))
    entries = []
    for _ in range(draw(st.integers(0, 4))):
        title, body, day = draw(FEED_TEXT), draw(FEED_TEXT), draw(DATES)
        ref = REFS[doctype] if draw(st.booleans()) else ""
        if kind == "atom":
            entries.append(f"<entry><title>{title}{ref}</title><content type='html'>{body}</content>"
                           f"<updated>{day}</updated><link href='{draw(st.text(max_size=30))}'/></entry>")
        else:
            entries.append(f"<item><title>{title}{ref}</title><description>{body}</description>"
                           f"<pubDate>{day}</pubDate><link>{draw(st.text(max_size=30))}</link></item>")
    root = {"rss": "rss", "atom": "feed", "rdf": "rdf:RDF"}[kind]
    head = '<?xml version="1.0" encoding="utf-8"?>' + DOCTYPES[doctype](root)
    if kind == "atom":
        return head + f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{REFS[doctype]}</title>{"".join(entries)}</feed>'
    if kind == "rdf":
        return head + ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                       'xmlns="http://purl.org/rss/1.0/"><channel><title>t</title></channel>'
                       f'{"".join(entries)}</rdf:RDF>')
    return head + f'<rss version="2.0"><channel><title>t</title>{"".join(entries)}</channel></rss>'


def assert_no_entity_leak(items: list[object]) -> None:
    """An entity bomb is not expanded and an external entity is not resolved."""
    for item in items:
        if isinstance(item, Article):
            assert "root:" not in item.text, "an external entity was resolved: /etc/passwd leaked"
            assert item.text.count("lol") < 1000, "the billion-laughs entity was expanded"


@fuzz(120)
@given(feed=feeds(), suffix=st.sampled_from([".xml", ".rss", ".atom"]), data=st.data())
def test_feeds_never_raise_nor_expand_entities(scratch, feed, suffix, data):
    raw = data.draw(mutated(feed.encode("utf-8", "surrogatepass")))
    assume(raw)
    assert_no_entity_leak(read_both(put(scratch, "fuzz" + suffix, raw)))


@pytest.mark.parametrize("root", ["rss", "feed"])
def test_billion_laughs_and_xxe_are_inert(scratch, root):
    body = ('<rss version="2.0"><channel><title>t</title><item><title>&lol9;&xxe;</title><description>'
            + SENTENCE + "</description></item></channel></rss>") if root == "rss" else (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>&lol9;&xxe;</title><summary>'
        + SENTENCE + "</summary></entry></feed>")
    decls = billion_laughs(root)[:-2] + '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    items = read_both(put(scratch, f"bomb-{root}.xml", ('<?xml version="1.0"?>' + decls + body).encode()))
    assert_no_entity_leak(items)
    assert any(isinstance(i, Article) and "Alep" in i.text for i in items)


# --- WARC (plain and gzip) --------------------------------------------------------------------------------

PAGE = ("<!DOCTYPE html><html lang='fr'><head><title>Alep</title></head><body><article><h1>Alep</h1>"
        + f"<p>{SENTENCE}</p>" * 5 + "</article></body></html>").encode()


def warc_bytes(gz: bool) -> bytes:
    """A small, valid archive: warcinfo, a request, two pages, an image, a gzip-encoded page."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gz)

    def response(uri: str, ctype: str, body: bytes, extra: list[tuple[str, str]] = ()) -> object:
        headers = StatusAndHeaders("200 OK", [("Content-Type", ctype), *extra], protocol="HTTP/1.1")
        return writer.create_warc_record(uri, "response", payload=io.BytesIO(body), length=len(body),
                                         http_headers=headers, warc_headers_dict={"WARC-Date": "2017-03-20T09:00:00Z"})

    request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "a.example")], is_http_request=True)
    for record in (
        writer.create_warcinfo_record("fuzz.warc", {"software": "tests"}),
        writer.create_warc_record("https://a.example/", "request", payload=io.BytesIO(b""), length=0,
                                  http_headers=request),
        response("https://a.example/1", "text/html; charset=utf-8", PAGE),
        response("https://a.example/logo.png", "image/png", b"\x89PNG\r\n\x1a\n" * 10),
        response("https://a.example/2", "text/html", PAGE.replace(b"Alep", b"Homs")),
        response("https://a.example/3", "text/html", gzip.compress(PAGE), [("Content-Encoding", "gzip")]),
    ):
        writer.write_record(record)
    return out.getvalue()


WARCS = {".warc": warc_bytes(False), ".warc.gz": warc_bytes(True)}


def test_the_pristine_archives_read(scratch):
    for suffix, raw in WARCS.items():
        items = read_both(put(scratch, "pristine" + suffix, raw))
        assert sum(isinstance(i, Article) for i in items) == 3, items


@fuzz(150)
@given(suffix=st.sampled_from(sorted(WARCS)), data=st.data())
def test_damaged_warc_never_raises(scratch, suffix, data):
    raw = data.draw(mutated(WARCS[suffix]))
    assume(raw)
    items = read_both(put(scratch, "fuzz" + suffix, raw))
    assert sum(isinstance(i, Article) for i in items) <= 3


@fuzz(60)
@given(suffix=st.sampled_from(sorted(WARCS)), cut=st.floats(0, 1, exclude_max=True))
def test_truncated_warc_keeps_the_records_before_the_cut(scratch, suffix, cut):
    """A crawl killed mid-write: every record before the damage is an article, then one error."""
    raw = WARCS[suffix]
    items = read_both(put(scratch, "cut" + suffix, raw[:max(1, int(len(raw) * cut))]))
    errors = [i for i in items if isinstance(i, ReadError)]
    assert len(errors) <= 1 and (not errors or items[-1] is errors[0])


@fuzz(40)
@given(raw=st.binary(min_size=1, max_size=3000), suffix=st.sampled_from([".warc", ".warc.gz"]))
def test_random_bytes_as_warc(scratch, raw, suffix):
    read_both(put(scratch, "noise" + suffix, raw))


# --- gzip ---------------------------------------------------------------------------------------------------

GZIPPED = {
    ".jsonl.gz": gzip.compress("\n".join(json.dumps({"id": str(i), "text": SENTENCE}) for i in range(30)).encode()),
    ".html.gz": gzip.compress(PAGE),
    ".xml.gz": gzip.compress(('<rss version="2.0"><channel><title>t</title>' + "".join(
        f"<item><title>n{i}</title><description>{SENTENCE}</description></item>" for i in range(10))
        + "</channel></rss>").encode()),
    ".txt.gz": gzip.compress(SENTENCE.encode() * 50),
}


@fuzz(120)
@given(suffix=st.sampled_from(sorted(GZIPPED)), data=st.data())
def test_damaged_gzip_never_raises(scratch, suffix, data):
    raw = data.draw(mutated(GZIPPED[suffix]))
    assume(raw)
    read_both(put(scratch, "fuzz" + suffix, raw))


@pytest.mark.parametrize("suffix", sorted(GZIPPED))
def test_every_truncation_of_a_gzip_file(scratch, suffix):
    """Cut at every 7th byte: a clean error or the articles before the cut, never a crash."""
    raw = GZIPPED[suffix]
    for cut in range(1, len(raw), 7):
        read_both(put(scratch, "cut" + suffix, raw[:cut]))


def test_gzip_bomb_is_refused_or_bounded(scratch):
    """100 MB of zeros in 100 KB: one document over the size limit, read no further."""
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    raw = b"".join([bomb.compress(b"\0" * (1 << 20)) for _ in range(100)]) + bomb.flush()
    for suffix in (".txt.gz", ".html.gz", ".jsonl.gz"):
        items = read_both(put(scratch, "bomb" + suffix, raw))
        assert items and all(isinstance(i, ReadError) for i in items), (suffix, items[:3])
