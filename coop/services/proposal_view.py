"""Everything a proposal's page shows, read in a constant number of queries.

Results are shown while a vote is open only where the rules allow it
(``voting.live_results`` = ``"true"``); otherwise they stay hidden until the close, so early
ballots cannot sway later ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.governance import Tally, parse_quorum, parse_threshold
from coop.governance.tally import quorum_needed
from coop.models import (
    Ballot,
    Comment,
    Cooperative,
    ElectorateMember,
    Member,
    Proposal,
    ProposalStatus,
    Qualification,
)
from coop.services import dashboard, discussion, naming, proposals, rules, visibility

S = ProposalStatus


@dataclass(frozen=True)
class CommentLine:
    comment: Comment
    author: str
    #: The verified qualification an expert opinion cites: "accounting, EQF 6 (issuer)".
    expertise: str | None
    #: How many members reacted with each kind (every kind present, 0 if none).
    reactions: dict[str, int] = field(default_factory=dict)
    #: The reader's own reaction, if any.
    mine: str | None = None
    #: A thread's replies, oldest first (a root's only: threads are one level deep).
    replies: list[CommentLine] = field(default_factory=list)


@dataclass(frozen=True)
class ProposalView:
    proposal: Proposal
    names: dict[int, str]
    #: The threads: root comments, each with its replies.
    comments: list[CommentLine]
    #: Threshold and quorum in plain words: fixed on the proposal once voting opens, else
    #: what the rules in force would apply now.
    threshold_text: str
    quorum_text: str
    rule_note: str
    notice_days: int | None
    quorum_needed: int | None
    live_results: bool
    tally: Tally | None
    in_electorate: bool
    my_ballot: Ballot | None
    can_manage: bool
    can_take_part: bool
    my_qualifications: list[Qualification] = field(default_factory=list)
    #: During deliberation: when voting may open (the end of the notice period), and whether
    #: that moment has come, so the page offers "Open voting" only when it would succeed.
    voting_opens_at: dt.datetime | None = None
    can_open_voting: bool = False
    #: Time left, turnout so far and whether I voted, while voting is open.
    progress: dashboard.VoteProgress | None = None
    comment_count: int = 0
    reaction_kinds: tuple[str, ...] = discussion.KINDS

    @property
    def results_visible(self) -> bool:
        return self.proposal.status == S.CLOSED.value or self.live_results

    def name(self, member_id: int | None) -> str:
        return "" if member_id is None else self.names.get(member_id, f"member {member_id}")


def view(session: Session, coop: Cooperative, proposal_id: int, member: Member | None,
         now: dt.datetime) -> ProposalView:
    visibility.require_reader(coop, member)  # before the lookup: an outsider learns no ids
    p = proposals.get(session, coop, proposal_id, now=now)
    visibility.require_proposal_reader(coop, member, p)
    is_member = visibility.is_member(coop, member)
    rows = session.execute(
        select(Comment, Member.name, Qualification)
        .join(Member, Member.id == Comment.member_id)
        .outerjoin(Qualification, Qualification.id == Comment.qualification_id)
        .where(Comment.proposal_id == p.id).order_by(Comment.id)
    ).all() if is_member or p.status == S.CLOSED.value else []
    comments = _threads(session, p.id, rows, member if is_member else None)
    mentioned = naming.member_ids(p.outcome_reason)  # named in the same query as the author
    people = {i for i in (p.author_id, p.subject_member_id) if i is not None} | mentioned
    names = dict(session.execute(select(Member.id, Member.name).where(
        Member.coop_id == coop.id, Member.id.in_(people))).all()) if people else {}
    if p.outcome_reason:
        p.outcome_words = naming.with_names(p.outcome_reason, names)
    params = rules.parameters(session, coop.id)
    live = params.get("voting.live_results", "false").strip().lower() == "true"
    notice = None
    if p.threshold:
        threshold, quorum, note = parse_threshold(p.threshold), parse_quorum(p.quorum or "1"), p.threshold_rule or ""
    else:
        vr, why = proposals.voting_rule_for(session, p)
        threshold, quorum, note, notice = vr.threshold, vr.quorum, f"{vr.rule_key}: {why}", vr.notice_days
    tally = None
    if p.status == S.CLOSED.value and p.yes_count is not None:
        tally = Tally(p.yes_count or 0, p.no_count or 0, p.abstain_count or 0)
    elif p.status == S.VOTING.value and live:
        tally = proposals.tally(session, p.id)
    in_electorate, ballot, quals = False, None, []
    if is_member:
        assert member is not None
        if p.status in (S.VOTING.value, S.CLOSED.value):
            in_electorate = session.get(ElectorateMember, (p.id, member.id)) is not None
            ballot = proposals.my_ballot(session, p.id, member.id)
        if p.status in (S.DELIBERATION.value, S.VOTING.value):
            quals = list(session.scalars(select(Qualification).where(
                Qualification.member_id == member.id, Qualification.verified_at.is_not(None))))
    return ProposalView(
        proposal=p, names=names, comments=comments,
        threshold_text=threshold.describe(), quorum_text=_quorum_words(quorum), rule_note=note,
        notice_days=notice,
        quorum_needed=quorum_needed(p.electorate_size, quorum) if p.electorate_size is not None else None,
        live_results=live, tally=tally, in_electorate=in_electorate, my_ballot=ballot,
        can_manage=is_member and member is not None and (member.id == p.author_id or member.is_secretary),
        can_take_part=is_member, my_qualifications=quals, comment_count=len(rows),
        voting_opens_at=p.deliberation_ends_at if p.status == S.DELIBERATION.value else None,
        can_open_voting=(p.status == S.DELIBERATION.value and p.deliberation_ends_at is not None
                         and now >= p.deliberation_ends_at),
        progress=dashboard.vote_progress(session, [p], member if is_member else None, now).get(p.id),
    )


def _threads(session: Session, proposal_id: int, rows: list, member: Member | None) -> list[CommentLine]:  # type: ignore[type-arg]
    """Roots with their replies, each with reaction counts: two queries more, whatever the
    number of comments or reactions."""
    if not rows:
        return []
    counts = discussion.proposal_reaction_counts(session, proposal_id)
    mine = discussion.my_reactions(session, proposal_id, member.id) if member is not None else {}
    zero = dict.fromkeys(discussion.KINDS, 0)
    roots: dict[int, CommentLine] = {}
    for c, name, q in rows:  # ordered by id: a root always comes before its replies
        line = CommentLine(c, name, f"{q.field}, EQF {q.level} ({q.issuer})" if q else None,
                           counts.get(c.id, zero), mine.get(c.id))
        root = roots.get(c.parent_id) if c.parent_id is not None else None
        if root is not None:
            root.replies.append(line)
        else:
            roots[c.id] = line
    return list(roots.values())


def _quorum_words(q: object) -> str:
    from fractions import Fraction

    assert isinstance(q, Fraction)
    if q == 0:
        return "no quorum"
    return f"at least {q.numerator}/{q.denominator} of the electorate must take part"
