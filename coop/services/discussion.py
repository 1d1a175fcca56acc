"""Discussion on a proposal: reactions to comments, and reading threads with their counts.

Comments (and replies) are written by ``proposals.comment``. A reaction is a way to say
"agree", "disagree" or "question" without writing a comment: one per member and comment
(a database constraint), changeable and removable, under the same rules as comments — only
while the proposal is in deliberation or voting, only by members of the co-op.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coop.errors import Conflict, InvalidInput, NotFound
from coop.models import Comment, CommentReaction, Cooperative, ProposalStatus, ReactionKind
from coop.services import audit, proposals
from coop.services.actor import Actor

S = ProposalStatus
KINDS = tuple(k.value for k in ReactionKind)
_TABLE = CommentReaction.__table__


def _upsert(dialect_insert: Any) -> Any:
    """Concurrent first reactions of one member to one comment become one row (the unique
    constraint decides), the later one overwriting the kind."""
    ins = dialect_insert(_TABLE)
    return ins.on_conflict_do_update(index_elements=[_TABLE.c.comment_id, _TABLE.c.member_id],
                                     set_={"kind": ins.excluded.kind, "created_at": ins.excluded.created_at})


_UPSERT = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}


def react(session: Session, actor: Actor, coop: Cooperative, proposal_id: int, comment_id: int,
          kind: str | None, *, toggle: bool = False, now: dt.datetime) -> str | None:
    """Set the actor's reaction to a comment to ``kind``, or remove it (``kind`` None).
    With ``toggle``, choosing the reaction one already has removes it (the portal's buttons).
    Returns the reaction now held, or None."""
    member = actor.require_member(coop.id, scope="propose")
    p = proposals.get(session, coop, proposal_id, now=now)
    if p.status not in (S.DELIBERATION.value, S.VOTING.value):
        raise Conflict(f"cannot react: the proposal is {p.status}", field="status")
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"one of {', '.join(KINDS)}", field="kind")
    c = session.get(Comment, comment_id)
    if c is None or c.proposal_id != p.id:
        raise NotFound(f"no comment {comment_id} on this proposal", field="comment")
    held = session.scalar(select(CommentReaction.kind).where(
        CommentReaction.comment_id == c.id, CommentReaction.member_id == member.id).with_for_update())
    if toggle and held is not None and held == kind:
        kind = None
    if kind == held:
        return held  # nothing changes, nothing to record
    if kind is None:
        session.execute(_TABLE.delete().where(_TABLE.c.comment_id == c.id, _TABLE.c.member_id == member.id))
    else:
        session.execute(_UPSERT[session.get_bind().dialect.name],
                        {"comment_id": c.id, "member_id": member.id, "kind": kind, "created_at": now})
    audit.record(session, actor, coop.id, "comment.reacted" if kind else "comment.unreacted", "comment", c.id,
                 proposal_id=p.id, **({"kind": kind} if kind else {}), now=now)
    session.flush()
    return kind


def reaction_counts(session: Session, comment_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Counts of each kind for these comments: one query, every kind present (0 if none)."""
    ids = list(comment_ids)
    counts: dict[int, dict[str, int]] = {i: dict.fromkeys(KINDS, 0) for i in ids}
    if ids:
        rows = session.execute(
            select(CommentReaction.comment_id, CommentReaction.kind, func.count())
            .where(CommentReaction.comment_id.in_(ids))
            .group_by(CommentReaction.comment_id, CommentReaction.kind))
        for comment_id, kind, n in rows:
            counts[comment_id][kind] = n
    return counts


def proposal_reaction_counts(session: Session, proposal_id: int) -> dict[int, dict[str, int]]:
    """Counts for every comment of a proposal: one query whatever the number of comments
    (no IN list that grows with the page)."""
    counts: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(CommentReaction.comment_id, CommentReaction.kind, func.count())
        .join(Comment, Comment.id == CommentReaction.comment_id)
        .where(Comment.proposal_id == proposal_id)
        .group_by(CommentReaction.comment_id, CommentReaction.kind))
    for comment_id, kind, n in rows:
        counts.setdefault(comment_id, dict.fromkeys(KINDS, 0))[kind] = n
    return counts


def my_reactions(session: Session, proposal_id: int, member_id: int) -> dict[int, str]:
    """comment id → the member's reaction, on one proposal: one query."""
    return dict(session.execute(
        select(CommentReaction.comment_id, CommentReaction.kind)
        .join(Comment, Comment.id == CommentReaction.comment_id)
        .where(Comment.proposal_id == proposal_id, CommentReaction.member_id == member_id)).all())
