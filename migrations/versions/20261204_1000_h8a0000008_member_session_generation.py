"""Member session generation: a counter the portal's session cookie must match, so that
logging out and changing or resetting a password end sessions on the server's side (a
copy of an old signed cookie no longer logs anyone in).

Existing members start at 0; SQLite adds the column in batch mode, PostgreSQL in place.

Revision ID: h8a0000008
Revises: g7a0000007
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'h8a0000008'
down_revision = 'g7a0000007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    # Only sessions depend on it: after the downgrade every member logs in once more.
    with op.batch_alter_table('members') as batch:
        batch.drop_column('session_generation')
