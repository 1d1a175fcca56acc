"""Offices and lifelong education: terms, election candidacies, learning records.

Offices themselves are rules (``office.<key>``), so they need no table. The database enforces
one candidacy per member per election and at most one open term per member per office (a
partial unique index, on SQLite and PostgreSQL alike).

Revision ID: f6a0000006
Revises: b2d1f0000002
Create Date: 2026-11-23 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f6a0000006'
down_revision = 'd4a0000004'
branch_labels = None
depends_on = None

OPEN = sa.text("ended_at IS NULL")


def upgrade() -> None:
    op.create_table('terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('office_key', sa.String(length=60), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('election_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('end_reason', sa.String(length=16), nullable=True),
    sa.Column('recall_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("end_reason IS NULL OR end_reason IN ('expiry','recall','departure','succeeded')",
                       name=op.f('ck_terms_end_reason')),
    sa.CheckConstraint('(ended_at IS NULL) = (end_reason IS NULL)', name=op.f('ck_terms_ended_with_reason')),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_terms_coop_id_cooperatives')),
    sa.ForeignKeyConstraint(['election_id'], ['proposals.id'], name=op.f('fk_terms_election_id_proposals')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_terms_member_id_members')),
    sa.ForeignKeyConstraint(['recall_id'], ['proposals.id'], name=op.f('fk_terms_recall_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_terms'))
    )
    with op.batch_alter_table('terms', schema=None) as batch_op:
        batch_op.create_index('ix_terms_coop_id_office_key', ['coop_id', 'office_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_terms_member_id'), ['member_id'], unique=False)
        batch_op.create_index('uq_terms_open_office_member', ['office_key', 'member_id'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)

    op.create_table('candidacies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('nominated_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('nominated_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('affirmed_pale_version', sa.String(length=200), nullable=True),
    sa.Column('affirmed_pale_text', sa.Text(), nullable=True),
    sa.Column('dropped_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('nominated','standing','declined','withdrawn','dropped')",
                       name=op.f('ck_candidacies_status')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_candidacies_member_id_members')),
    sa.ForeignKeyConstraint(['nominated_by_id'], ['members.id'],
                            name=op.f('fk_candidacies_nominated_by_id_members')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_candidacies_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidacies')),
    sa.UniqueConstraint('proposal_id', 'member_id', name=op.f('uq_candidacies_proposal_id_member_id'))
    )
    with op.batch_alter_table('candidacies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidacies_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_candidacies_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('learning_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('provider', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('hours', sa.String(length=40), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('qualification_field', sa.String(length=100), nullable=True),
    sa.Column('qualification_level', sa.Integer(), nullable=True),
    sa.Column('qualification_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('course','degree','certification','workshop','self-study')",
                       name=op.f('ck_learning_records_kind')),
    sa.CheckConstraint("status IN ('planned','in_progress','completed')", name=op.f('ck_learning_records_status')),
    sa.CheckConstraint('qualification_level IS NULL OR qualification_level BETWEEN 1 AND 8',
                       name=op.f('ck_learning_records_eqf_level')),
    sa.CheckConstraint('(qualification_field IS NULL) = (qualification_level IS NULL)',
                       name=op.f('ck_learning_records_qualification_whole')),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_learning_records_coop_id_cooperatives')),
    sa.ForeignKeyConstraint(['created_by_id'], ['members.id'],
                            name=op.f('fk_learning_records_created_by_id_members')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_learning_records_member_id_members')),
    sa.ForeignKeyConstraint(['qualification_id'], ['qualifications.id'],
                            name=op.f('fk_learning_records_qualification_id_qualifications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_records'))
    )
    with op.batch_alter_table('learning_records', schema=None) as batch_op:
        batch_op.create_index('ix_learning_records_coop_id_ended_on', ['coop_id', 'ended_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_learning_records_member_id'), ['member_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('learning_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learning_records_member_id'))
        batch_op.drop_index('ix_learning_records_coop_id_ended_on')
    op.drop_table('learning_records')
    with op.batch_alter_table('candidacies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidacies_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_candidacies_member_id'))
    op.drop_table('candidacies')
    with op.batch_alter_table('terms', schema=None) as batch_op:
        batch_op.drop_index('uq_terms_open_office_member', sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.drop_index(batch_op.f('ix_terms_member_id'))
        batch_op.drop_index('ix_terms_coop_id_office_key')
    op.drop_table('terms')
