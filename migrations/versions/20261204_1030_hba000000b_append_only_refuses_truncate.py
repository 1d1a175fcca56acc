"""Append-only tables refuse TRUNCATE on PostgreSQL.

Row triggers (BEFORE UPDATE OR DELETE … FOR EACH ROW) do not fire on TRUNCATE, so
``TRUNCATE checkpoints`` or ``TRUNCATE audit_events, ballot_history`` emptied the record
without a word. A statement-level BEFORE TRUNCATE trigger on each append-only table refuses
it, whether the table is named or reached by ``TRUNCATE … CASCADE``. SQLite has no TRUNCATE
(its ``DELETE FROM t`` fires the row triggers made with the tables), so nothing changes there.

Revision ID: hba000000b
Revises: h8a0000008
Create Date: 2026-12-04 10:30:00
"""

from __future__ import annotations

from alembic import op

revision = 'hba000000b'
down_revision = 'h8a0000008'
branch_labels = None
depends_on = None

# Every table the earlier revisions made append-only (a1c0e0000001 and b2d1f0000002).
APPEND_ONLY = ('audit_events', 'ballot_history', 'ledger_entries', 'ledger_nodes', 'checkpoints',
               'pay_records')


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Its own function, not b2d1f0000002's coop_refuse_change, so each revision's downgrade
    # drops only what it made.
    op.execute(
        """
        CREATE OR REPLACE FUNCTION coop_refuse_truncate() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    for table in APPEND_ONLY:
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION coop_refuse_truncate()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS coop_refuse_truncate()")
