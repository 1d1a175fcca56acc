"""Discussion threads (one level deep) and reactions to comments, under the rules of comments."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coop.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from coop.models import AuditEvent, Comment, CommentReaction, Cooperative, Member, Proposal
from coop.services import discussion, proposals
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import as_member, make_coop, make_member
from tests.integration.test_concurrency import _race, _setup


@pytest.fixture
def talk(db, keys):
    coop = make_coop(db, keys)
    ada, ben, cleo = (make_member(db, coop) for _ in range(3))
    p = proposals.draft_general(db, as_member(ada), coop, "Buy a lathe", "The old one is broken.", now=NOW)
    proposals.open_deliberation(db, as_member(ada), coop, p.id, now=NOW)
    return coop, p, ada, ben, cleo


def test_a_reply_to_a_reply_joins_the_thread_under_its_root_comment(db, talk):
    coop, p, ada, ben, cleo = talk
    root = proposals.comment(db, as_member(ada), coop, p.id, "Which model?", now=NOW)
    reply = proposals.comment(db, as_member(ben), coop, p.id, "The mid-priced one.", parent_id=root.id, now=NOW)
    answer = proposals.comment(db, as_member(cleo), coop, p.id, "Why that one?", parent_id=reply.id, now=NOW)
    assert root.parent_id is None and reply.parent_id == root.id and answer.parent_id == root.id
    event = db.scalars(select(AuditEvent).where(AuditEvent.object_id == answer.id,
                                                AuditEvent.object_type == "comment")).one()
    assert event.details["parent_id"] == root.id


def test_a_reply_to_a_comment_on_another_proposal_is_refused_and_nothing_is_written(db, talk):
    coop, p, ada, ben, _ = talk
    other = proposals.draft_general(db, as_member(ada), coop, "Paint the shop", "", now=NOW)
    proposals.open_deliberation(db, as_member(ada), coop, other.id, now=NOW)
    elsewhere = proposals.comment(db, as_member(ada), coop, other.id, "Green?", now=NOW)
    before = snapshot(db)
    with pytest.raises(NotFound) as refused:
        proposals.comment(db, as_member(ben), coop, p.id, "Blue.", parent_id=elsewhere.id, now=NOW)
    assert refused.value.field == "parent_id"
    with pytest.raises(NotFound):
        proposals.comment(db, as_member(ben), coop, p.id, "Blue.", parent_id=999999, now=NOW)
    assert_unchanged(db, before)


def test_a_member_holds_one_reaction_per_comment_and_pressing_it_again_takes_it_back(db, talk):
    coop, p, ada, ben, cleo = talk
    c = proposals.comment(db, as_member(ada), coop, p.id, "Which model?", now=NOW)
    assert discussion.react(db, as_member(ben), coop, p.id, c.id, "agree", toggle=True, now=NOW) == "agree"
    assert discussion.react(db, as_member(cleo), coop, p.id, c.id, "agree", now=NOW) == "agree"
    # Another reaction replaces the member's first: still one row for Ben.
    assert discussion.react(db, as_member(ben), coop, p.id, c.id, "question", toggle=True, now=NOW) == "question"
    assert discussion.reaction_counts(db, [c.id])[c.id] == {"agree": 1, "disagree": 0, "question": 1}
    assert discussion.react(db, as_member(ben), coop, p.id, c.id, "question", toggle=True, now=NOW) is None
    assert discussion.reaction_counts(db, [c.id])[c.id] == {"agree": 1, "disagree": 0, "question": 0}
    # Without toggle (the API's PUT), setting the same reaction twice keeps it.
    assert discussion.react(db, as_member(cleo), coop, p.id, c.id, "agree", now=NOW) == "agree"
    assert db.scalar(select(func.count()).select_from(CommentReaction)) == 1
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.object_id == c.id,
                                                         AuditEvent.action.like("comment.%"))
                         .order_by(AuditEvent.id)).all()
    assert actions == ["comment.reacted", "comment.reacted", "comment.reacted", "comment.unreacted"]


def test_reactions_follow_the_rules_of_comments_only_members_and_only_while_the_proposal_is_discussed(db, keys, talk):
    coop, p, ada, ben, _ = talk
    c = proposals.comment(db, as_member(ada), coop, p.id, "Which model?", now=NOW)
    outsider = make_member(db, make_coop(db, keys))
    before = snapshot(db)
    with pytest.raises(PermissionDenied):
        discussion.react(db, as_member(outsider), coop, p.id, c.id, "agree", now=NOW)
    with pytest.raises(InvalidInput) as bad:
        discussion.react(db, as_member(ben), coop, p.id, c.id, "love", now=NOW)
    assert bad.value.field == "kind"
    with pytest.raises(NotFound):
        discussion.react(db, as_member(ben), coop, p.id, 999999, "agree", now=NOW)
    assert_unchanged(db, before)
    draft = proposals.draft_general(db, as_member(ada), coop, "Draft", "", now=NOW)
    with pytest.raises(Conflict):
        discussion.react(db, as_member(ben), coop, draft.id, c.id, "agree", now=NOW)
    proposals.open_voting(db, as_member(ada), coop, p.id, now=p.deliberation_ends_at)
    assert discussion.react(db, as_member(ben), coop, p.id, c.id, "agree", now=p.voting_opened_at) == "agree"
    proposals.close(db, p, p.voting_closes_at)
    with pytest.raises(Conflict):
        discussion.react(db, as_member(ben), coop, p.id, c.id, "disagree", now=p.voting_closes_at)
    with pytest.raises(Conflict):
        proposals.comment(db, as_member(ben), coop, p.id, "Late reply", parent_id=c.id, now=p.voting_closes_at)


def test_the_database_itself_refuses_a_second_reaction_by_one_member_to_one_comment(db, talk):
    coop, p, ada, ben, _ = talk
    c = proposals.comment(db, as_member(ada), coop, p.id, "Which model?", now=NOW)
    db.add(CommentReaction(comment_id=c.id, member_id=ben.id, kind="agree", created_at=NOW))
    db.flush()
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(CommentReaction(comment_id=c.id, member_id=ben.id, kind="disagree", created_at=NOW))
        db.flush()


def test_concurrent_first_reactions_by_one_member_leave_one_reaction(committed_url, keys):
    coop_id, pid, ms = _setup(committed_url, keys, 3)
    from coop.db import make_engine, make_session_factory

    engine = make_engine(committed_url)
    with make_session_factory(engine)() as s, s.begin():
        p = s.get(Proposal, pid)
        c = proposals.comment(s, as_member(s.get(Member, ms[0])), s.get(Cooperative, coop_id), pid, "Hm.",
                              now=p.voting_opened_at)
        comment_id, at = c.id, p.voting_opened_at

    def job(kind):
        def run(s):
            discussion.react(s, as_member(s.get(Member, ms[1])), s.get(Cooperative, coop_id), pid, comment_id, kind,
                             now=at)
        return run

    results = _race(committed_url, [job(k) for k in ("agree", "disagree", "question", "agree")])
    assert [r for r in results if r is not None] == []
    with make_session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(CommentReaction)
                        .where(CommentReaction.comment_id == comment_id)) == 1
        assert s.scalar(select(func.count()).select_from(Comment).where(Comment.proposal_id == pid)) == 1
    engine.dispose()
