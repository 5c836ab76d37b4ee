"""Human-readable views of event records (the CLI's ``--format table``)."""
from __future__ import annotations

from typing import Sequence

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
