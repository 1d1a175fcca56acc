"""Discussion threads and reactions: a comment may reply to a thread's root comment
(``comments.parent_id``), and members react to a comment (agree, disagree, question) without
writing one, at most one reaction per member and comment.

Revision ID: hf0000000f
Revises: hc0000000c
Create Date: 2026-12-04 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'hf0000000f'
down_revision = 'hc0000000c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_comments_parent_id_comments'), 'comments', ['parent_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_comments_parent_id'), ['parent_id'], unique=False)

    op.create_table('comment_reactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('agree','disagree','question')", name=op.f('ck_comment_reactions_kind')),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_comment_reactions_comment_id_comments')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_comment_reactions_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_reactions')),
    sa.UniqueConstraint('comment_id', 'member_id', name=op.f('uq_comment_reactions_comment_id_member_id'))
    )
    with op.batch_alter_table('comment_reactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_reactions_member_id'), ['member_id'], unique=False)


def downgrade() -> None:
    op.drop_table('comment_reactions')
    # Replies become plain comments of the proposal: nothing said is lost.
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comments_parent_id'))
        batch_op.drop_constraint(batch_op.f('fk_comments_parent_id_comments'), type_='foreignkey')
        batch_op.drop_column('parent_id')
