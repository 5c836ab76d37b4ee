"""The extraction pipeline against hostile text.

For every document: either records or a per-document error, never an
exception out of ``Pipeline.extract``; results come back one per article, in
order; every record validates against the schema, and its evidence is the
verbatim slice ``text[evidence_start:evidence_end]`` of the article (the
store, the API and the dashboard all point back at the text through it).
"""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigile.schema import Article, ArticleResult, EventRecord

from .conftest import fuzz, no_hang

#: Sentences the extractor does act on, to be broken, mixed and repeated.
NEWS = [
    "Lundi, au moins six civils ont été tués par des tirs d'obus sur Alep, selon l'OSDH.",
    "Une frappe aérienne a tué 12 personnes le 14 mars 2017 à Idlib, a indiqué la Défense civile.",
    "Plus de 10.000.000.000 personnes ont été déplacées par les combats à Mossoul le 31 février.",
    "Le 29 février 2017, un attentat à la voiture piégée a fait 3 000 000 000 morts à Bagdad.",
    "Des milliers d'habitants ont fui Kidal et Gao après des affrontements, selon l'ONU.",
    "Le 0 mars, le 32 janvier et le 31 avril, des obus sont tombés sur Homs, Hama et Deir ez-Zor.",
    "Vingt-trois mille neuf cent quatre-vingt-dix-neuf civils ont été évacués d'Alep-Est mardi.",
]
ODD = [
    "\x00", "\x01", "\x1b[31m", "\x7f", "\u0085", "\u2028", "\u2029", "\r\n", "\r", "\t", "\x0c", "\ufeff",
    "\u200b", "\u200d", "\u202e", "\u2066", "\u00a0", "\u202f", "\u0301", "e\u0301", "ﬁ", "Ａｌｅｐ", "İ", "ß",
    "حلب", "دمشق", "ירושלים", "Донецьк", "ハルキウ", "💥", "👩🏽‍⚕️", "🇸🇾", "\U0010ffff", "\ufffd", "«", "»", "…",
    "10.000.000.000", "99999999999999999999", "-5", "0,000001", "1e308", "le 31 février", "le 30 février 2016",
    "mardi dernier", "hier", "  ", "\n\n\n", ".", "!?", "''''", "--", "((((", "Alep, Damas, Homs, ",
]
TEXTS = st.one_of(
    st.text(min_size=1, max_size=400),
    st.lists(st.one_of(st.sampled_from(NEWS), st.sampled_from(ODD), st.text(max_size=30)), min_size=1,
             max_size=25).map(" ".join),
    st.lists(st.sampled_from(NEWS + ODD), min_size=1, max_size=12).map("".join),
)
ARTICLES = st.builds(
    Article,
    id=st.text(min_size=1, max_size=20),
    text=TEXTS,
    # publication days near date.min/max: test_relative_days_near_the_ends_of_the_calendar
    published=st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31))),
    source=st.one_of(st.none(), st.text(max_size=30)),
)


def check_results(articles: list[Article], results: list[ArticleResult]) -> None:
    """One result per article, in order; errors are per document; records are well formed."""
    assert [r.id for r in results] == [a.id for a in articles]
    for article, result in zip(articles, results, strict=True):
        if result.error is not None:
            assert isinstance(result.error, str) and result.error and not result.events
            assert not result.error.startswith("internal error"), (article.text[:200], result.error)
            continue
        for record in result.events:
            EventRecord.model_validate(record.model_dump())  # schema, evidence offsets included
            start, end = record.evidence_start, record.evidence_end
            assert 0 <= start < end <= len(article.text), (start, end, len(article.text))
            assert article.text[start:end] == record.evidence, (record.evidence, article.text[start:end])


def run(pipeline, articles: list[Article]) -> list[ArticleResult]:
    with no_hang(300):
        results = list(pipeline.extract(articles))
    check_results(articles, results)
    return results


@fuzz(120)
@given(batch=st.lists(ARTICLES, min_size=1, max_size=6))
def test_any_text_yields_records_or_an_error(pipeline, batch):
    run(pipeline, batch)


@fuzz(60)
@given(parts=st.lists(st.sampled_from(NEWS), min_size=1, max_size=8), odd=st.sampled_from(ODD), data=st.data())
def test_news_laced_with_odd_characters_keeps_verbatim_evidence(pipeline, parts, odd, data):
    """Real sentences with control characters, RTL marks, emoji or scripts spliced in
    anywhere: records may change, the evidence may not drift from the text."""
    text = " ".join(parts)
    for _ in range(data.draw(st.integers(1, 5))):
        at = data.draw(st.integers(0, len(text)))
        text = text[:at] + odd + text[at:]
    run(pipeline, [Article(id="laced", text=text, published="2017-03-14")])


#: Texts at the edges of what the stages expect (also run by bench/soak.py).
PATHOLOGICAL_TEXTS = {
    "100 KB without punctuation": ("les forces ont bombardé la ville d Alep hier matin et " * 2000)[:100_000],
    "100 KB without punctuation, capitalised": ("Les Forces Ont Bombardé Alep Et Homs " * 3000)[:100_000],
    "one 50 KB line of news": " ".join(NEWS * 120)[:50_000],
    "50 KB of digits": ("1234 56 7 " * 5000),
    "50 KB of big numbers": ("10.000.000.000 morts le 31 février " * 1500),
    "50 KB of a town list": ("Alep, Damas, Homs, " * 2700),
    "50 KB of newlines": "\n" * 50_000,
    "50 KB of combining accents": "e" + "\u0301" * 50_000,
    "emoji between words": "💥 Alep " * 5000,
    # quadratic in spaCy's tokenizer until clean() broke such runs (test_bounded_cost)
    "a run of 50 KB of emoji": "Alep " + "💥" * 50_000,
    "a run of 50 KB of mixed symbols": "Alep " + "»),%…🇸🇾" * 7000,
    "a 50 KB word of elisions": "Alep " + "l'" * 25_000,
    "only control characters": "".join(chr(c) for c in range(32)) * 100,
    "a 20 KB word": "Alep" + "a" * 20_000,
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL_TEXTS))
def test_pathological_documents(pipeline, name):
    run(pipeline, [Article(id=name, text=PATHOLOGICAL_TEXTS[name], published="2017-03-14")])


def test_one_bad_document_does_not_spoil_its_batch(pipeline):
    """A refused document (over the size limit, unknown language) next to good ones:
    an error for it, the same records as alone for the others."""
    good = Article(id="good", text=NEWS[0], published="2017-03-14")
    alone = run(pipeline, [good])[0]
    batch = [Article(id="huge", text="a " * (pipeline.max_chars // 2 + 1)), good,
             Article(id="german", text=NEWS[1], lang="de"), good.model_copy(update={"id": "good2"})]
    results = run(pipeline, batch)
    assert results[0].error and results[2].error
    assert [e.model_dump() for e in results[1].events] == [e.model_dump() for e in alone.events]
    assert [e.model_dump() for e in results[3].events] == [e.model_dump() for e in alone.events]


def test_a_lone_surrogate_is_repaired_in_place(pipeline):
    """json.loads of "\\ud800" gives text nothing can encode: the article model
    replaces it by U+FFFD (one character for one), so the article is read and
    its offsets still point into what the user gave."""
    good = Article(id="good", text=NEWS[0], published="2017-03-14")
    bad = Article(id="bad", text="Lundi, six civils ont été tués à Alep \ud800 selon l'OSDH.")
    assert bad.text.count("\ufffd") == 1 and len(bad.text) == 53
    results = run(pipeline, [good, bad, good.model_copy(update={"id": "good2"})])
    assert [r.error for r in results] == [None, None, None]
    assert results[0].events and results[2].events


@pytest.mark.parametrize("published", [dt.date(1, 1, 1), dt.date(9999, 12, 31)])
def test_relative_days_near_the_ends_of_the_calendar(pipeline, published):
    text = "Lundi, six civils ont été tués à Homs. Mardi prochain, la trêve commencera à Alep."
    [result] = run(pipeline, [Article(id="edge", text=text, published=published)])
    assert result.error is None
