"""event tallies: running aggregates of each event's mentions and claims

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 14:30:00

Creates ``event_tallies`` and fills it from the mentions and claims already
stored, one event at a time (streamed in event order, so memory holds one
event's distinct values, not the database's).
"""
from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

from vigile.store.tallies import of_claim, of_mention

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("ext_id", sa.String),
                     sa.column("source", sa.String), sa.column("url", sa.Text))
_mentions = sa.table("mentions", sa.column("id", sa.Integer), sa.column("article_id", sa.Integer),
                     sa.column("event_id", sa.Integer), sa.column("date", sa.Date), sa.column("location", sa.JSON),
                     sa.column("actors", sa.JSON), sa.column("sources", sa.JSON),
                     sa.column("independent", sa.Boolean))
_claims = sa.table("claims", sa.column("id", sa.Integer), sa.column("event_id", sa.Integer),
                   sa.column("key", sa.String), sa.column("value", sa.Integer), sa.column("qualifier", sa.String),
                   sa.column("source", sa.String), sa.column("independent", sa.Boolean))
_BATCH = 5000


def _mention_rows(conn: sa.Connection) -> Iterator[dict]:
    q = (sa.select(_mentions.c.id, _mentions.c.event_id, _mentions.c.date, _mentions.c.location,
                   _mentions.c.actors, _mentions.c.sources, _mentions.c.independent, _articles.c.source,
                   _articles.c.url, _articles.c.ext_id)
         .join(_articles, _articles.c.id == _mentions.c.article_id)
         .where(_mentions.c.event_id.is_not(None)).order_by(_mentions.c.event_id, _mentions.c.id))
    for m in conn.execute(q.execution_options(yield_per=_BATCH)):
        claimants = m.sources or [m.source or m.url or f"article {m.ext_id}"]
        yield from of_mention(m.event_id, m.id, m.date.isoformat() if m.date else None, m.location,
                              m.actors or [], claimants, bool(m.independent))


def _claim_rows(conn: sa.Connection) -> Iterator[dict]:
    q = sa.select(_claims).order_by(_claims.c.event_id, _claims.c.id)
    for c in conn.execute(q.execution_options(yield_per=_BATCH)):
        yield of_claim(c.event_id, c.id, c.key, c.value, c.qualifier, c.source, bool(c.independent))


def _fill(conn: sa.Connection, rows: Iterator[dict], table: sa.Table) -> None:
    """Aggregate rows that come in event order, writing each event's tallies once it is complete."""
    pending: dict[tuple, dict] = {}
    current = None
    out: list[dict] = []
    for r in rows:
        if r["event_id"] != current:
            out.extend(pending.values())
            pending.clear()
            current = r["event_id"]
            if len(out) >= _BATCH:
                conn.execute(table.insert(), out)
                out = []
        key = (r["part"], r["digest"])
        if key in pending:
            pending[key]["n"] += r["n"]
            pending[key]["first_id"] = min(pending[key]["first_id"], r["first_id"])
        else:
            pending[key] = dict(r)
    out.extend(pending.values())
    if out:
        conn.execute(table.insert(), out)


def upgrade() -> None:
    table = op.create_table(
        'event_tallies',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('part', sa.String(length=1), nullable=False),
        sa.Column('digest', sa.String(length=40), nullable=False),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('first_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ),
        sa.PrimaryKeyConstraint('event_id', 'part', 'digest'),
    )
    conn = op.get_bind()
    # the two streams have disjoint parts, so each fills its own rows
    _fill(conn, _mention_rows(conn), table)
    _fill(conn, _claim_rows(conn), table)


def downgrade() -> None:
    op.drop_table('event_tallies')
