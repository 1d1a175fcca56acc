"""Reads for a member's dashboard and the portal's lists of proposals and decisions.

Each is a constant number of queries whatever the number of members or proposals: lists
are one query each (paged), never a query per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from coop.models import (
    Ballot,
    Cooperative,
    ElectorateMember,
    Member,
    PayRecord,
    Proposal,
    ProposalStatus,
    Qualification,
)
from coop.services import ledger, naming, proposals

S = ProposalStatus
PAGE = 50


@dataclass(frozen=True)
class OpenVote:
    proposal: Proposal
    #: My current choice, or None if I have not voted yet.
    my_choice: str | None


@dataclass(frozen=True)
class Dashboard:
    awaiting: list[OpenVote]
    voted: list[OpenVote]
    deliberations: list[Proposal]
    my_drafts: list[Proposal]
    recent_decisions: list[Proposal]
    my_pay: PayRecord | None

    @property
    def my_total_hourly(self) -> Decimal | None:
        """Rate plus supplements per hour: what "your pay" means to the member reading it."""
        return None if self.my_pay is None else ledger.pay_from_record(self.my_pay).total_hourly


def dashboard(session: Session, coop: Cooperative, member: Member, now: dt.datetime,
              recent: int = 10) -> Dashboard:
    proposals.close_due(session, now, coop_id=coop.id)
    rows = session.execute(
        select(Proposal, Ballot.choice)
        .join(ElectorateMember, and_(ElectorateMember.proposal_id == Proposal.id,
                                     ElectorateMember.member_id == member.id))
        .outerjoin(Ballot, and_(Ballot.proposal_id == Proposal.id, Ballot.member_id == member.id))
        .where(Proposal.coop_id == coop.id, Proposal.status == S.VOTING.value)
        .order_by(Proposal.voting_closes_at, Proposal.id)
    ).all()
    votes = [OpenVote(p, choice) for p, choice in rows]
    deliberations = list(session.scalars(
        select(Proposal).where(Proposal.coop_id == coop.id, Proposal.status == S.DELIBERATION.value)
        .order_by(Proposal.deliberation_ends_at, Proposal.id).limit(PAGE)))
    drafts = list(session.scalars(
        select(Proposal).where(Proposal.coop_id == coop.id, Proposal.status == S.DRAFT.value,
                               Proposal.author_id == member.id).order_by(Proposal.id.desc()).limit(PAGE)))
    my_pay = session.scalars(
        select(PayRecord).where(PayRecord.coop_id == coop.id, PayRecord.member_id == member.id)
        .order_by(PayRecord.entry_index.desc()).limit(1)).one_or_none()
    return Dashboard(
        awaiting=[v for v in votes if v.my_choice is None],
        voted=[v for v in votes if v.my_choice is not None],
        deliberations=deliberations, my_drafts=drafts,
        recent_decisions=closed(session, coop, page=1, per_page=recent, close_first=False, now=now)[0],
        my_pay=my_pay,
    )


def closed(session: Session, coop: Cooperative, page: int = 1, per_page: int = PAGE,
           close_first: bool = True, *, now: dt.datetime) -> tuple[list[Proposal], int]:
    """Closed proposals, latest first, one page of them, and how many there are in all."""
    if close_first:
        proposals.close_due(session, now, coop_id=coop.id)
    where = and_(Proposal.coop_id == coop.id, Proposal.status == S.CLOSED.value)
    total = session.scalar(select(func.count()).select_from(Proposal).where(where)) or 0
    page = max(1, page)
    items = list(session.scalars(
        select(Proposal).where(where).order_by(Proposal.closed_at.desc(), Proposal.id.desc())
        .limit(per_page).offset((page - 1) * per_page)))
    naming.name_outcomes(session, items)
    return items, total


@dataclass(frozen=True)
class VoteProgress:
    """An open vote as the proposals list shows it: time left, turnout so far, my part.

    Turnout is a count of ballots against the electorate fixed when voting opened; it says
    who has taken part in number only, never how, so it is shown for secret ballots too."""

    cast: int
    electorate: int
    i_voted: bool
    time_left: dt.timedelta

    @property
    def turnout_percent(self) -> int:
        """Whole percent, rounded down (integer arithmetic): 2 of 3 is 66 %, never 67 %."""
        return self.cast * 100 // self.electorate if self.electorate else 0

    @property
    def time_left_words(self) -> str:
        secs = max(0, int(self.time_left.total_seconds()))
        days, rest = divmod(secs, 86_400)
        hours, rest = divmod(rest, 3_600)
        if days:
            return f"{days} day{'s' if days != 1 else ''} {hours} h left"
        if hours:
            return f"{hours} h {rest // 60} min left"
        return f"{rest // 60} min left"


def vote_progress(session: Session, items: list[Proposal], member: Member | None,
                  now: dt.datetime) -> dict[int, VoteProgress]:
    """Progress of the open votes among ``items``: one query whatever their number."""
    open_votes = [p for p in items if p.status == S.VOTING.value and p.voting_closes_at is not None]
    if not open_votes:
        return {}
    mine = func.max(case((Ballot.member_id == (member.id if member is not None else -1), 1), else_=0))
    counted = {pid: (n, bool(voted)) for pid, n, voted in session.execute(
        select(Ballot.proposal_id, func.count(), mine)
        .where(Ballot.proposal_id.in_([p.id for p in open_votes])).group_by(Ballot.proposal_id))}
    progress = {}
    for p in open_votes:
        cast, voted = counted.get(p.id, (0, False))
        assert p.voting_closes_at is not None
        progress[p.id] = VoteProgress(cast, p.electorate_size or 0, voted, p.voting_closes_at - now)
    return progress


def listing(session: Session, coop: Cooperative, member: Member, status: str | None = None,
            page: int = 1, *, now: dt.datetime) -> tuple[list[Proposal], int, dict[int, VoteProgress]]:
    """The proposals a member sees (everything but other people's drafts), latest first,
    how many there are, and the progress of the open votes among them."""
    proposals.close_due(session, now, coop_id=coop.id)
    where = and_(Proposal.coop_id == coop.id,
                 or_(Proposal.status != S.DRAFT.value, Proposal.author_id == member.id,
                     *( [Proposal.id.is_not(None)] if member.is_secretary else [])))
    if status:
        where = and_(where, Proposal.status == status)
    total = session.scalar(select(func.count()).select_from(Proposal).where(where)) or 0
    items = list(session.scalars(
        select(Proposal).where(where).order_by(Proposal.id.desc())
        .limit(PAGE).offset((max(1, page) - 1) * PAGE)))
    return items, total, vote_progress(session, items, member, now)


def people(session: Session, coop_id: int, status: str | None = None) -> list[Member]:
    """Members with their qualifications, for the directory and the secretary's list: two
    queries whatever the count. (``selectinload`` would batch the second by 500 ids, so its
    number of queries would grow with the co-op.)"""
    q = select(Member).where(Member.coop_id == coop_id)
    if status:
        q = q.where(Member.status == status)
    found = list(session.scalars(q.order_by(Member.name, Member.id)))
    held: dict[int, list[Qualification]] = {m.id: [] for m in found}
    quals = select(Qualification).join(Member, Member.id == Qualification.member_id) \
        .where(Member.coop_id == coop_id).order_by(Qualification.id)
    if status:
        quals = quals.where(Member.status == status)
    for qual in session.scalars(quals):
        held[qual.member_id].append(qual)
    for m in found:
        set_committed_value(m, "qualifications", held[m.id])
    return found


def names(session: Session, coop_id: int, status: str | None = None) -> list[tuple[int, str]]:
    """(id, name) of members, by name: one query, for choosing a member in a form."""
    q = select(Member.id, Member.name).where(Member.coop_id == coop_id)
    if status:
        q = q.where(Member.status == status)
    return [(i, n) for i, n in session.execute(q.order_by(Member.name, Member.id))]
