"""Candidate statements: what a candidate says to the voters, written when standing or
accepting a nomination, shown on the election page and the ballot.

One nullable column; SQLite adds it in place (batch mode rebuilds only where it must).

Revision ID: hc0000000c
Revises: hba000000b
Create Date: 2026-12-04 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'hc0000000c'
down_revision = 'hba000000b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('candidacies') as batch:
        batch.add_column(sa.Column('statement', sa.String(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('candidacies') as batch:
        batch.drop_column('statement')
