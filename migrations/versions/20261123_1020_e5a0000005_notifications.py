"""Notifications: portal notification list, per-member preferences, mail outbox, and the
marker that makes "closes within 24 hours" notices idempotent.

Revision ID: e5a0000005
Revises: c3a0000003
Create Date: 2026-11-23 10:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'e5a0000005'
# Branched from b2d1f0000002 in the plan; chained on the head present when written so the
# tree keeps a single head until the lead re-chains the helpers' revisions.
down_revision = 'c3a0000003'
branch_labels = None
depends_on = None

KINDS = "kind IN ('vote_opened', 'vote_closing', 'vote_closed', 'pay_changed')"


def upgrade() -> None:
    op.create_table('notification_preferences',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('portal', sa.Boolean(), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.CheckConstraint(KINDS, name=op.f('ck_notification_preferences_kind')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_notification_preferences_member_id_members')),
    sa.PrimaryKeyConstraint('member_id', 'kind', name=op.f('pk_notification_preferences'))
    )

    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_outbox_messages_coop_id_cooperatives')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_outbox_messages_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_coop_id'), ['coop_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_sent_at'), ['sent_at'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coop_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint(KINDS, name=op.f('ck_notifications_kind')),
    sa.ForeignKeyConstraint(['coop_id'], ['cooperatives.id'], name=op.f('fk_notifications_coop_id_cooperatives')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_notifications_member_id_members')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_notifications_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_coop_id'), ['coop_id'], unique=False)
        batch_op.create_index('ix_notifications_member_id_read_at', ['member_id', 'read_at'], unique=False)

    op.create_table('proposal_notices',
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_notices_proposal_id_proposals')),
    sa.PrimaryKeyConstraint('proposal_id', 'kind', name=op.f('pk_proposal_notices'))
    )


def downgrade() -> None:
    op.drop_table('proposal_notices')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_member_id_read_at')
        batch_op.drop_index(batch_op.f('ix_notifications_coop_id'))
    op.drop_table('notifications')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_sent_at'))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_coop_id'))
    op.drop_table('outbox_messages')
    op.drop_table('notification_preferences')
