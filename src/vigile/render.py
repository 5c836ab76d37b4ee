"""Human-readable views of event records (the CLI's ``--format table``)."""
from __future__ import annotations

from typing import Sequence

from rich.console import Group
from rich.table import Table

from vigile.schema import ArticleResult


def _figures(figures: dict) -> str:
    marks = {"exact": "", "at_least": "≥", "approx": "~", "at_most": "≤"}
    return ", ".join(f"{k} {marks[f.qualifier]}{f.value:,}" for k, f in figures.items())


def events_table(results: Sequence[ArticleResult]) -> Table:
    """One row per event: article, type, day, place, figures, actors, sources, evidence."""
    table = Table(show_lines=True, title=f"{sum(len(r.events) for r in results)} events")
    for col in ("article", "type", "date", "place", "figures", "actors", "sources", "evidence"):
        table.add_column(col, overflow="fold")
    for r in results:
        for e in r.events:
            loc = e.location
            place = f"{loc.name} ({loc.country}, {loc.precision})" if loc else "—"
            evidence = e.evidence if len(e.evidence) <= 160 else e.evidence[:157] + "…"
            table.add_row(r.id, e.type, str(e.date or "—"), place, _figures(e.figures),
                          ", ".join(e.actors), ", ".join(e.sources), evidence)
    return table


def _range(f: dict) -> str:
    if f["low"] == f["high"]:
        return f"{f['best']:,}"
    return f"{f['best']:,} ({f['low']:,}–{f['high']:,})"


def fused_table(events: Sequence[dict]) -> Table:
    """One row per fused event: id, type, day, place, figures (best, range), sources."""
    table = Table(title=f"{len(events)} events", show_lines=False)
    for col in ("id", "type", "date", "place", "figures", "articles", "sources", "disputed"):
        table.add_column(col, overflow="fold")
    for e in events:
        loc = e.get("location") or {}
        place = f"{loc.get('name')} ({loc.get('country')})" if loc else "—"
        figures = ", ".join(f"{k} {_range(v)}" for k, v in (e.get("figures") or {}).items())
        table.add_row(str(e["id"]), e["type"], e["date"] or "—", place, figures, str(e["n_articles"]),
                      "; ".join(e["sources"]), "yes" if e["disputed"] else "")
    return table


def event_report(detail: dict) -> Group:
    """An event in full: summary, figures with their range, claims by source, evidence per article."""
    loc = detail.get("location") or {}
    head = (f"[bold]Event {detail['id']}[/bold] — {detail['type']} — {detail['date'] or 'undated'} — "
            f"{loc.get('name', 'no place')} ({loc.get('country', '?')}, {loc.get('precision', '?')})\n"
            f"actors: {', '.join(detail['actors']) or '—'}; {detail['n_articles']} articles, "
            f"{detail['n_sources']} independent sources" + ("; [red]disputed[/red]" if detail["disputed"] else ""))
    figures = Table(title="figures", show_lines=False)
    for col in ("key", "low", "best", "high", "conservative", "sources", "disputed"):
        figures.add_column(col)
    for k, f in detail["figures"].items():
        figures.add_row(k, f"{f['low']:,}", f"{f['best']:,}", f"{f['high']:,}", f"{f['conservative']:,}",
                        str(f["n_sources"]), "yes" if f["disputed"] else "")
    claims = Table(title="claims", show_lines=False)
    for col in ("key", "value", "qualifier", "source", "article", "independent"):
        claims.add_column(col)
    for c in detail["claims"]:
        claims.add_row(c["key"], f"{c['value']:,}", c["qualifier"], c["source"], str(c["article_id"]),
                       "" if c["independent"] else "copy")
    evidence = Table(title="evidence", show_lines=True)
    for col in ("article", "evidence"):
        evidence.add_column(col, overflow="fold")
    for m in detail["mentions"]:
        evidence.add_row(str(m["article_id"]), m["evidence"])
    return Group(head, figures, claims, evidence)
