"""Education reminders: a notification kind, ``education_behind``, for members who chose to be
reminded when they fall behind the co-op's education policy.

Only the kind's CHECK constraints change (notifications and their preferences); SQLite
rebuilds the two tables in batch mode, PostgreSQL alters them in place.

Revision ID: g7a0000007
Revises: f6a0000006
Create Date: 2026-11-23 12:10:00
"""

from __future__ import annotations

from alembic import op

revision = 'g7a0000007'
down_revision = 'f6a0000006'
branch_labels = None
depends_on = None

OLD = "kind IN ('vote_opened', 'vote_closing', 'vote_closed', 'pay_changed')"
NEW = "kind IN ('vote_opened', 'vote_closing', 'vote_closed', 'pay_changed', 'education_behind')"
TABLES = ('notifications', 'notification_preferences')


def _kinds(condition: str) -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f'ck_{table}_kind'), type_='check')
            batch.create_check_constraint(op.f(f'ck_{table}_kind'), condition)


def upgrade() -> None:
    _kinds(NEW)


def downgrade() -> None:
    # Reminders already sent would break the old constraint: they go with the kind.
    op.execute("DELETE FROM notifications WHERE kind = 'education_behind'")
    op.execute("DELETE FROM notification_preferences WHERE kind = 'education_behind'")
    _kinds(OLD)
