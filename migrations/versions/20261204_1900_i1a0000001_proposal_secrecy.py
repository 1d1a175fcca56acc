"""Ballot secrecy per proposal: ``open`` or ``secret``, read from ``voting.secrecy.<kind>``
when voting opens and kept, like the threshold. Every proposal that exists already was voted
(or will be) in the open, so the column starts as ``open`` for all of them.

Revision ID: i1a0000001
Revises: hf0000000f
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'i1a0000001'
down_revision = 'hf0000000f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('proposals') as batch:
        batch.add_column(sa.Column('secrecy', sa.String(length=8), nullable=False, server_default='open'))
        batch.create_check_constraint(op.f('ck_proposals_secrecy'), "secrecy IN ('open','secret')")


def downgrade() -> None:
    with op.batch_alter_table('proposals') as batch:
        batch.drop_constraint(op.f('ck_proposals_secrecy'), type_='check')
        batch.drop_column('secrecy')
