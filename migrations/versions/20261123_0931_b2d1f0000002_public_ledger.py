"""Public ledger: entries, subtree hashes, checkpoints, pay records; append-only triggers.

Revision ID: b2d1f0000002
Revises: a1c0e0000001
Create Date: 2026-11-23 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b2d1f0000002'
down_revision = 'a1c0e0000001'
branch_labels = None
depends_on = None

def upgrade() -> None:
    with op.batch_alter_table("cooperatives") as batch_op:
        batch_op.add_column(sa.Column("public_key", sa.LargeBinary(length=32), nullable=True))

    op.create_table('checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_checkpoints_coop_id_cooperatives')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkpoints'))
    )
    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkpoints_coop_id'), ['coop_id'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('idx', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('appended_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_ledger_entries_coop_id_cooperatives')),
    sa.PrimaryKeyConstraint('coop_id', 'idx', name=op.f('pk_ledger_entries'))
    )

    op.create_table('ledger_heads',
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_ledger_heads_coop_id_cooperatives')),
    sa.PrimaryKeyConstraint('coop_id', name=op.f('pk_ledger_heads'))
    )

    op.create_table('ledger_nodes',
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('idx', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_ledger_nodes_coop_id_cooperatives')),
    sa.PrimaryKeyConstraint('coop_id', 'level', 'idx', name=op.f('pk_ledger_nodes'))
    )

    op.create_table('pay_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('entry_index', sa.Integer(), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('hourly_rate', sa.String(length=40), nullable=False),
    sa.Column('weekly_hours', sa.String(length=40), nullable=False),
    sa.Column('supplements', sa.JSON(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('annualised', sa.String(length=40), nullable=False),
    sa.Column('authority', sa.String(length=16), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coop_id', 'entry_index'], ['ledger_entries.coop_id', 'ledger_entries.idx'], name=op.f('fk_pay_records_coop_id_ledger_entries')),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_pay_records_coop_id_cooperatives')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_pay_records_member_id_members')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_pay_records_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pay_records')),
    sa.UniqueConstraint('coop_id', 'entry_index', name=op.f('uq_pay_records_coop_id_entry_index')),
    sa.UniqueConstraint('proposal_id', name=op.f('uq_pay_records_proposal_id'))
    )
    with op.batch_alter_table('pay_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pay_records_coop_id'), ['coop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pay_records_member_id'), ['member_id'], unique=False)
    _create_append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    op.drop_table('pay_records')
    op.drop_table('ledger_nodes')
    op.drop_table('ledger_heads')
    op.drop_table('ledger_entries')
    op.drop_table('checkpoints')
    with op.batch_alter_table("cooperatives") as batch_op:
        batch_op.drop_column("public_key")


# Append-only tables refuse UPDATE and DELETE in the database itself, so neither a bug nor
# a careless operator with a SQL prompt can rewrite history silently. (Someone who drops
# the triggers can; verification then names the rewritten entry.)
APPEND_ONLY = ('ledger_entries', 'ledger_nodes', 'checkpoints', 'pay_records')


def _create_append_only_triggers() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            """
            CREATE OR REPLACE FUNCTION coop_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION coop_refuse_change()"
            )
    else:
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
                )


def _drop_append_only_triggers() -> None:
    bind = op.get_bind()
    for table in APPEND_ONLY:
        if bind.dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        else:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
