"""What the portal's offices, election and learning pages show, each read in a constant number
of queries whatever the number of members, terms, candidates or records.

Read models only: every decision (who may stand, who is elected, who is behind) is made by
``offices``, ``elections``, ``pale`` and ``education``; these functions gather their answers
for one page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.governance.offices import Office
from coop.governance.pale import Pale
from coop.models import (
    Ballot,
    BallotChange,
    Candidacy,
    Comment,
    Cooperative,
    ElectorateMember,
    LearningRecord,
    Member,
    MemberStatus,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Qualification,
    Term,
)
from coop.services import dashboard, education, elections, naming, offices, pale, rules, visibility

S = ProposalStatus
UNDER_WAY = (S.DRAFT.value, S.DELIBERATION.value, S.VOTING.value)


# -- the offices page ------------------------------------------------------------------------

@dataclass(frozen=True)
class OfficeLine:
    key: str
    name: str
    #: None: an office since abolished that someone still held.
    office: Office | None
    seats: int
    holders: list[Term]
    #: Terms that have ended (or run out), newest first.
    past: list[Term]
    #: An election for it that is under way and visible to the reader, if any.
    election: Proposal | None

    @property
    def vacancies(self) -> int:
        return max(self.seats - len(self.holders), 0)


@dataclass(frozen=True)
class OfficesPage:
    lines: list[OfficeLine]
    pale: Pale
    statement: pale.Statement
    as_of: dt.datetime


def offices_page(session: Session, coop: Cooperative, reader: Member | None,
                 now: dt.datetime) -> OfficesPage:
    """Every office with its requirements, holders, term ends, vacancies and past holders.
    Public like the salary table (``visibility.require_reader``)."""
    visibility.require_reader(coop, reader)
    params = rules.parameters(session, coop.id)
    seats = offices.holders(session, coop.id, now)
    current_ids = {t.id for s in seats for t in s.holders}
    past: dict[str, list[Term]] = {}
    for t in offices.history(session, coop.id):
        if t.id not in current_ids and t.started_at <= now:
            past.setdefault(t.office_key, []).append(t)
    running: dict[str, Proposal] = {}
    if visibility.is_member(coop, reader):
        assert reader is not None
        for p in session.scalars(select(Proposal).where(
                Proposal.coop_id == coop.id, Proposal.kind == ProposalKind.ELECTION.value,
                Proposal.status.in_(UNDER_WAY)).order_by(Proposal.id)):
            # A draft is its author's and the secretary's until it is put to the members.
            if p.status != S.DRAFT.value or p.author_id == reader.id or reader.is_secretary:
                running.setdefault(p.details.get("office_key", ""), p)
    lines = [OfficeLine(s.key, s.name, s.office, s.seats, s.holders, past.get(s.key, []), running.get(s.key))
             for s in seats]
    return OfficesPage(lines, pale.boundaries(params), pale.statement(session, coop.id), now)


# -- an election's page ----------------------------------------------------------------------

@dataclass(frozen=True)
class CandidateLine:
    candidacy: Candidacy
    name: str
    nominated_by: str
    #: Approvals at the close (None while the vote is open: ballots are secret until then).
    approvals: int | None = None
    elected: bool = False
    qualified: bool = False
    #: The candidate's verified qualifications: "accounting, EQF 6 (Chamber of Commerce)".
    qualifications: tuple[str, ...] = ()

    @property
    def statement(self) -> str | None:
        return self.candidacy.statement


@dataclass(frozen=True)
class ExpertOpinion:
    author: str
    expertise: str
    body: str
    at: dt.datetime


@dataclass(frozen=True)
class ElectionPage:
    proposal: Proposal
    office: Office | None
    candidates: list[CandidateLine]
    statement: pale.Statement
    #: The reader's own candidacy, if any.
    mine: Candidacy | None
    #: Why the reader may not stand now (empty: they may); None when nominations are closed
    #: or the reader is not a member.
    my_breaches: list[str] | None
    nominations_open: bool
    #: Members who may be nominated: active, not yet in this election, and within the pale.
    nominees: list[tuple[int, str]]
    #: Active members not in this election whom the pale keeps out, with why (boundary and
    #: numbers), so the nominate form never offers a nomination it would refuse.
    cannot_stand: list[tuple[str, list[str]]]
    in_electorate: bool
    my_ballot: Ballot | None
    my_history: list[BallotChange]
    opinions: list[ExpertOpinion]
    result: dict[str, Any] | None
    names: dict[int, str] = field(default_factory=dict)
    #: The reader may open nominations, open voting or withdraw (its author or a secretary).
    can_manage: bool = False
    #: During the nomination period: when voting may open, and whether it may now.
    voting_opens_at: dt.datetime | None = None
    can_open_voting: bool = False
    #: Time left, turnout so far and whether I voted, while voting is open.
    progress: dashboard.VoteProgress | None = None

    @property
    def on_ballot(self) -> list[CandidateLine]:
        """The candidates on the approval ballot (fixed when voting opened)."""
        fixed = set(self.proposal.details.get("candidates", []))
        return [c for c in self.candidates if c.candidacy.member_id in fixed]

    def name(self, member_id: int) -> str:
        return self.names.get(member_id, f"member {member_id}")


def election_page(session: Session, coop: Cooperative, election_id: int, reader: Member | None,
                  now: dt.datetime) -> ElectionPage:
    visibility.require_reader(coop, reader)  # before the lookup: an outsider learns no ids
    p = elections.get_election(session, coop, election_id, now=now)
    visibility.require_proposal_reader(coop, reader, p)
    is_member = visibility.is_member(coop, reader)
    office = offices.defined(session, coop.id).get(p.details["office_key"])
    cands = elections.candidacies(session, p.id)
    result = p.details.get("result") if p.status == S.CLOSED.value else None
    counts = {c["member_id"]: c["approvals"] for c in (result or {}).get("candidates", [])}
    elected = set((result or {}).get("elected", []))
    qualified = set((result or {}).get("qualified", []))
    names = {c.member_id: c.member.name for c in cands}
    nominator_ids = {c.nominated_by_id for c in cands} - set(names)
    if nominator_ids:
        names.update(session.execute(select(Member.id, Member.name).where(Member.id.in_(nominator_ids))).all())
    for c in (result or {}).get("candidates", []):
        names.setdefault(c["member_id"], c["name"])
    held: dict[int, list[str]] = {}
    if cands:  # one query for every candidate's verified qualifications
        for q in session.scalars(select(Qualification).where(
                Qualification.member_id.in_({c.member_id for c in cands}),
                Qualification.verified_at.is_not(None)).order_by(Qualification.field, Qualification.id)):
            held.setdefault(q.member_id, []).append(f"{q.field}, EQF {q.level} ({q.issuer})")
    if p.outcome_reason:  # the candidates are all it names: no query of its own
        p.outcome_words = naming.with_names(p.outcome_reason, names)
    lines = [CandidateLine(c, c.member.name, "themselves" if c.nominated_by_id == c.member_id
                           else names.get(c.nominated_by_id, f"member {c.nominated_by_id}"),
                           counts.get(c.member_id) if result else None,
                           c.member_id in elected, c.member_id in qualified,
                           tuple(held.get(c.member_id, ()))) for c in cands]
    if result:  # rank order at the close: approvals, then as the count ranked them
        rank = {m: i for i, m in enumerate(result.get("qualified", []))}
        lines.sort(key=lambda ln: (-(ln.approvals or 0), rank.get(ln.candidacy.member_id, len(rank)),
                                   ln.candidacy.member_id))
    nominations_open = (p.status in (S.DRAFT.value, S.DELIBERATION.value) and office is not None
                        and (p.deliberation_ends_at is None or now < p.deliberation_ends_at))
    mine = next((c for c in cands if reader is not None and c.member_id == reader.id), None)
    breaches = nominees = None
    cannot: list[tuple[str, list[str]]] = []
    in_electorate, ballot, history = False, None, []
    if is_member:
        assert reader is not None
        if nominations_open:
            breaches = elections.eligibility(session, coop, p.id, reader, now)
            taken = {c.member_id for c in cands}
            others = [(i, n) for i, n in session.execute(
                select(Member.id, Member.name).where(Member.coop_id == coop.id,
                                                     Member.status == MemberStatus.ACTIVE.value)
                .order_by(Member.name, Member.id)) if i not in taken and i != reader.id]
            why = elections.eligible_to_stand(session, coop, p.id, {i for i, _ in others}, now)
            nominees = [(i, n) for i, n in others if not why[i]]
            cannot = [(n, why[i]) for i, n in others if why[i]]
        if p.status in (S.VOTING.value, S.CLOSED.value):
            in_electorate = session.get(ElectorateMember, (p.id, reader.id)) is not None
            ballot = session.scalars(select(Ballot).where(Ballot.proposal_id == p.id,
                                                          Ballot.member_id == reader.id)).one_or_none()
            history = list(session.scalars(select(BallotChange).where(
                BallotChange.proposal_id == p.id, BallotChange.member_id == reader.id)
                .order_by(BallotChange.id)))
    opinions = []
    if is_member or p.status == S.CLOSED.value:
        opinions = [ExpertOpinion(author, f"{q.field}, EQF {q.level} ({q.issuer})", c.body, c.created_at)
                    for c, author, q in session.execute(
                        select(Comment, Member.name, Qualification)
                        .join(Member, Member.id == Comment.member_id)
                        .join(Qualification, Qualification.id == Comment.qualification_id)
                        .where(Comment.proposal_id == p.id).order_by(Comment.id))]
    return ElectionPage(
        proposal=p, office=office, candidates=lines, statement=pale.statement(session, coop.id),
        mine=mine, my_breaches=breaches, nominations_open=nominations_open, nominees=nominees or [],
        cannot_stand=cannot,
        in_electorate=in_electorate, my_ballot=ballot, my_history=history, opinions=opinions,
        result=result, names=names,
        can_manage=is_member and reader is not None and (reader.id == p.author_id or reader.is_secretary),
        voting_opens_at=p.deliberation_ends_at if p.status == S.DELIBERATION.value else None,
        can_open_voting=(p.status == S.DELIBERATION.value and p.deliberation_ends_at is not None
                         and now >= p.deliberation_ends_at),
        progress=dashboard.vote_progress(session, [p], reader if is_member else None, now).get(p.id),
    )



# -- learning --------------------------------------------------------------------------------

@dataclass(frozen=True)
class LearningPage:
    member: Member
    records: list[LearningRecord]
    year: int
    #: The member's line of this year's education report (None: not expected to study,
    #: e.g. not active and nothing completed this year).
    hours: education.MemberHours | None
    policy: education.Policy


def learning_page(session: Session, coop: Cooperative, member: Member,
                  now: dt.datetime) -> LearningPage:
    """A member's learning records and their hours this year against the expectation; the
    figures are the education report's own, so the two pages never disagree."""
    report = education.report(session, coop, now.year, now=now)
    mine = next((r for r in report.members if r.member_id == member.id), None)
    return LearningPage(member, education.records(session, coop.id, member.id), report.year, mine,
                        report.policy)


def cited_qualifications(session: Session, coop_id: int) -> dict[int, Qualification]:
    """Every qualification of the co-op by id (one query), for pages that show the
    qualification a pay supplement cites."""
    return {q.id: q for q in session.scalars(select(Qualification).where(Qualification.coop_id == coop_id))}
