"""Proposals: drafting, deliberation, voting, closing and execution (DESIGN.md, exact).

Every state change locks the proposal row first (``FOR UPDATE`` on PostgreSQL; SQLite's
write lock is held from ``BEGIN IMMEDIATE``), so a ballot can never land after a close and
a close can never execute twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, exists, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coop.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from coop.governance import Tally, decide, parse_quorum, parse_threshold
from coop.models import (
    AuditEvent,
    Ballot,
    BallotChange,
    Choice,
    Comment,
    Cooperative,
    ElectorateMember,
    Member,
    MemberStatus,
    Outcome,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Qualification,
)
from coop.schemas import limits
from coop.services import audit, events, ledger, notifications, pay_adjustments, rule_changes, rules
from coop.services.actor import Actor

S = ProposalStatus

#: Which voting rule governs each kind. Rule changes are resolved per change (entrenched?).
VOTING_GROUP = {
    ProposalKind.PAY_ADJUSTMENT.value: "pay_adjustment",
    ProposalKind.GENERAL.value: "general",
    ProposalKind.ELECTION.value: "election",
    ProposalKind.RECALL.value: "recall",
}



@dataclass(frozen=True)
class Execution:
    """How a passed decision of one kind is applied. ``check`` runs first and returns the
    reason it cannot be applied now (the pay policy changed meanwhile…), or None; ``apply``
    then does it, in the same transaction as the close."""

    check: Callable[[Session, Proposal, dt.datetime], str | None]
    apply: Callable[[Session, Proposal, dt.datetime], None]


#: Kind-specific hooks, so capabilities such as elections plug in without editing this module.
executors: dict[str, Execution] = {}
#: ``ballot_checkers[kind](session, proposal, approvals) -> approvals``: approval ballots.
ballot_checkers: dict[str, Callable[[Session, Proposal, list[int] | None], list[int]]] = {}
#: ``electorate_filters[kind](session, proposal, member_ids) -> member_ids``: recusals.
electorate_filters: dict[str, Callable[[Session, Proposal, set[int]], set[int]]] = {}
#: ``openers[kind](session, proposal, now)``: checks and work when voting opens (the pale).
openers: dict[str, Callable[[Session, Proposal, dt.datetime], None]] = {}
#: ``closers[kind](session, proposal, now) -> dict``: a custom tally and decision (elections);
#: returns extra fields for the decision record.
closers: dict[str, Callable[[Session, Proposal, dt.datetime], dict[str, Any]]] = {}


# -- reading ---------------------------------------------------------------------------------

def get(session: Session, coop: Cooperative, proposal_id: int, *, lock: bool = False,
        now: dt.datetime) -> Proposal:
    """A proposal of this co-op. Reading closes it first if its deadline has passed."""
    q = select(Proposal).where(Proposal.id == proposal_id, Proposal.coop_id == coop.id)
    if lock:
        q = q.with_for_update()
    proposal = session.scalars(q).one_or_none()
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id} in this co-op", field="proposal")
    if lock:
        session.refresh(proposal)
    if _overdue(proposal, now):
        if not lock:
            return get(session, coop, proposal_id, lock=True, now=now)
        close(session, proposal, now)
    return proposal


def list_proposals(session: Session, coop: Cooperative, status: str | None = None,
                   kind: str | None = None, *, now: dt.datetime) -> list[Proposal]:
    close_due(session, now, coop_id=coop.id)
    q = select(Proposal).where(Proposal.coop_id == coop.id)
    if status:
        q = q.where(Proposal.status == status)
    if kind:
        q = q.where(Proposal.kind == kind)
    return list(session.scalars(q.order_by(Proposal.id.desc())))


def _overdue(p: Proposal, now: dt.datetime) -> bool:
    return p.status == S.VOTING.value and p.voting_closes_at is not None and p.voting_closes_at <= now


# -- drafting --------------------------------------------------------------------------------

def _new(session: Session, actor: Actor, coop: Cooperative, kind: str, title: str, body: str,
         details: dict[str, Any], subject: Member | None = None, *, now: dt.datetime) -> Proposal:
    author = actor.require_member(coop.id, scope="propose")
    if not (title or "").strip():
        raise InvalidInput("a proposal needs a title", field="title")
    limit = Proposal.__table__.c.title.type.length  # every face checks here, not only the API
    if len(title.strip()) > limit:
        raise InvalidInput(f"a title has at most {limit} characters", field="title")
    if limits.line_problem(title.strip()):
        # A title goes into mail subjects: a line break there would add mail headers.
        raise InvalidInput(f"a title {limits.line_problem(title.strip())}", field="title")
    if len(body or "") > limits.BODY:
        raise InvalidInput(f"at most {limits.BODY:,} characters", field="body")
    p = Proposal(
        coop_id=coop.id, kind=kind, title=title.strip(), body=(body or "").strip(),
        status=S.DRAFT.value, author_id=author.id,
        subject_member_id=subject.id if subject else None, details=details, created_at=now,
    )
    session.add(p)
    session.flush()
    audit.record(session, actor, coop.id, "proposal.drafted", "proposal", p.id, kind=kind, title=p.title, now=now)
    return p


def draft_general(session: Session, actor: Actor, coop: Cooperative, title: str, body: str,
                  *, now: dt.datetime) -> Proposal:
    return _new(session, actor, coop, ProposalKind.GENERAL.value, title, body, {}, now=now)


def draft_pay_adjustment(session: Session, actor: Actor, coop: Cooperative, title: str, body: str,
                         subject: Member, change: dict[str, Any], *, now: dt.datetime) -> Proposal:
    """``change``: hourly_rate / weekly_hours (Decimal), supplements (list of pay.Supplement),
    reason. Refused, naming the numbers, if it would break the pay policy now."""
    actor.require_member(coop.id, scope="propose")  # before the co-op's pay is read
    details = pay_adjustments.prepare(session, coop, subject, change)
    return _new(session, actor, coop, ProposalKind.PAY_ADJUSTMENT.value, title, body, details, subject, now=now)


def draft_rule_change(session: Session, actor: Actor, coop: Cooperative, title: str, body: str,
                      change: dict[str, Any], *, now: dt.datetime) -> Proposal:
    actor.require_member(coop.id, scope="propose")  # before the co-op's rules are read
    details = rule_changes.prepare(session, coop, change)
    return _new(session, actor, coop, ProposalKind.RULE_CHANGE.value, title, body, details, now=now)


# -- lifecycle -------------------------------------------------------------------------------

def _require_author_or_secretary(actor: Actor, p: Proposal) -> None:
    if actor.member_id is not None and actor.member_id == p.author_id:
        actor.require_scope("propose")
        return
    try:
        actor.require_secretary(p.coop_id)
    except PermissionDenied:
        raise PermissionDenied("only the proposal's author or the secretary may do this") from None


def _require_status(p: Proposal, *allowed: ProposalStatus, doing: str) -> None:
    if p.status not in {s.value for s in allowed}:
        raise Conflict(f"cannot {doing}: the proposal is {p.status}", field="status")


def voting_rule_for(session: Session, p: Proposal) -> tuple[rules.VotingRule, str]:
    """The voting rule in force for this proposal now, and why it applies."""
    params = rules.parameters(session, p.coop_id)
    if p.kind == ProposalKind.RULE_CHANGE.value:
        group, why = rule_changes.required_group(session, p)
        return rules.voting_rule(params, group), why
    group = VOTING_GROUP[p.kind]
    return rules.voting_rule(params, group), f"{p.kind.replace('_', ' ')}s follow voting.{group}"


def open_deliberation(session: Session, actor: Actor, coop: Cooperative, proposal_id: int,
                      now: dt.datetime) -> Proposal:
    actor.require_insider(coop.id)  # before the proposal's row is locked
    p = get(session, coop, proposal_id, lock=True, now=now)
    _require_author_or_secretary(actor, p)
    _require_status(p, S.DRAFT, doing="open deliberation")
    vr, _ = voting_rule_for(session, p)
    p.status = S.DELIBERATION.value
    p.deliberation_started_at = now
    p.deliberation_ends_at = now + dt.timedelta(days=vr.notice_days)
    audit.record(session, actor, coop.id, "proposal.deliberation_opened", "proposal", p.id,
                 notice_days=vr.notice_days, now=now)
    events.emit(session, coop.id, "proposal.deliberation_opened", {"proposal_id": p.id}, now=now)
    session.flush()
    return p


def withdraw(session: Session, actor: Actor, coop: Cooperative, proposal_id: int, *, now: dt.datetime) -> Proposal:
    actor.require_insider(coop.id)  # before the proposal's row is locked
    p = get(session, coop, proposal_id, lock=True, now=now)
    _require_author_or_secretary(actor, p)
    _require_status(p, S.DRAFT, S.DELIBERATION, doing="withdraw (voting has opened)")
    p.status = S.WITHDRAWN.value
    audit.record(session, actor, coop.id, "proposal.withdrawn", "proposal", p.id, now=now)
    session.flush()
    return p


def open_voting(session: Session, actor: Actor, coop: Cooperative, proposal_id: int,
                now: dt.datetime) -> Proposal:
    """Snapshot the electorate and fix the threshold and quorum from the rules in force."""
    actor.require_insider(coop.id)  # before the proposal's row is locked
    p = get(session, coop, proposal_id, lock=True, now=now)
    _require_author_or_secretary(actor, p)
    _require_status(p, S.DELIBERATION, doing="open voting")
    assert p.deliberation_ends_at is not None
    if now < p.deliberation_ends_at:
        raise Conflict(
            f"the notice period runs until {p.deliberation_ends_at:%Y-%m-%d %H:%M} UTC; "
            "voting cannot open before then", field="status")
    if p.kind in openers:
        openers[p.kind](session, p, now)
    vr, why = voting_rule_for(session, p)
    params = rules.parameters(session, coop.id)
    voters = set(session.scalars(
        select(Member.id).where(Member.coop_id == coop.id, Member.status == MemberStatus.ACTIVE.value)
    ))
    if p.kind == ProposalKind.PAY_ADJUSTMENT.value and \
            params.get("voting.pay_adjustment.recuse_subject", "true").lower() != "false":
        voters.discard(p.subject_member_id)  # type: ignore[arg-type]
    if p.kind in electorate_filters:
        voters = electorate_filters[p.kind](session, p, voters)
    session.add_all(ElectorateMember(proposal_id=p.id, member_id=m) for m in sorted(voters))
    p.electorate_size = len(voters)
    p.threshold = str(vr.threshold)
    p.quorum = str(vr.quorum)
    p.secrecy = rules.secrecy(params, p.kind)
    p.threshold_rule = f"{vr.rule_key}: {why}"
    p.status = S.VOTING.value
    p.voting_opened_at = now
    p.voting_closes_at = now + dt.timedelta(days=rules.int_param(params, "voting.period_days", 7))
    audit.record(session, actor, coop.id, "proposal.voting_opened", "proposal", p.id,
                 electorate_size=len(voters), threshold=p.threshold, quorum=p.quorum,
                 secrecy=p.secrecy, now=now)
    events.emit(session, coop.id, "proposal.opened", {"proposal_id": p.id,
                                                      "closes_at": p.voting_closes_at.isoformat()}, now=now)
    session.flush()
    return p


# -- deliberation ----------------------------------------------------------------------------

def comment(session: Session, actor: Actor, coop: Cooperative, proposal_id: int, body: str,
            qualification_id: int | None = None, *, parent_id: int | None = None,
            now: dt.datetime) -> Comment:
    """A comment, or — citing one of the author's verified qualifications — an expert opinion.
    Advisory: shown beside the proposal, never counted.

    ``parent_id`` makes it a reply. Threads are one level deep: a reply to a reply joins the
    thread of the comment it answers, under that thread's root."""
    member = actor.require_member(coop.id, scope="propose")
    p = get(session, coop, proposal_id, now=now)
    _require_status(p, S.DELIBERATION, S.VOTING, doing="comment")
    if not (body or "").strip():
        raise InvalidInput("write something", field="body")
    if len(body) > limits.BODY:
        raise InvalidInput(f"at most {limits.BODY:,} characters", field="body")
    root_id = None
    if parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or parent.proposal_id != p.id:
            raise NotFound(f"no comment {parent_id} on this proposal", field="parent_id")
        root_id = parent.parent_id or parent.id
    kind = "comment"
    if qualification_id is not None:
        q = session.get(Qualification, qualification_id)
        if q is None or q.member_id != member.id:
            raise InvalidInput("cite one of your own qualifications", field="qualification_id")
        if not q.verified:
            raise PermissionDenied("an expert opinion needs a verified qualification; this one is not verified yet")
        fields = p.details.get("expertise_fields") or []
        if fields and q.field not in fields:
            raise PermissionDenied(
                f"expert opinions on this proposal come from {', '.join(fields)}; yours is in {q.field}")
        kind = "expert_opinion"
    c = Comment(proposal_id=p.id, member_id=member.id, kind=kind, body=body.strip(),
                qualification_id=qualification_id, parent_id=root_id, created_at=now)
    session.add(c)
    session.flush()
    audit.record(session, actor, coop.id, f"proposal.{kind}", "comment", c.id, proposal_id=p.id,
                 **({"parent_id": root_id} if root_id is not None else {}), now=now)
    return c


def comments(session: Session, proposal_id: int) -> list[Comment]:
    return list(session.scalars(select(Comment).where(Comment.proposal_id == proposal_id).order_by(Comment.id)))


# -- voting ----------------------------------------------------------------------------------

# Casting a ballot is the busiest write there is, so its statements are Core, built once
# (SQLAlchemy then reuses their compiled form), and the proposal is read as the five values
# the checks need, not as an ORM object.
_PROPOSALS, _ELECTORATE, _BALLOTS = Proposal.__table__, ElectorateMember.__table__, Ballot.__table__
_HISTORY, _AUDIT = BallotChange.__table__, AuditEvent.__table__


def _upsert(dialect_insert: Callable[..., Any]) -> Any:
    """One live ballot per member, enforced by the unique constraint: concurrent first votes
    become one insert and one update, never two rows. RETURNING hands back the live ballot,
    so nothing is read again."""
    ins = dialect_insert(_BALLOTS)
    return ins.on_conflict_do_update(
        index_elements=[_BALLOTS.c.proposal_id, _BALLOTS.c.member_id],
        set_={"choice": ins.excluded.choice, "approvals": ins.excluded.approvals,
              "cast_at": ins.excluded.cast_at, "changes": _BALLOTS.c.changes + 1},
    ).returning(_BALLOTS.c.choice, _BALLOTS.c.approvals, _BALLOTS.c.cast_at, _BALLOTS.c.changes)


#: The proposal, locked (``FOR UPDATE`` on PostgreSQL; SQLite's write lock is already held),
#: with whether the voter is in its electorate.
_VOTE_TARGET = (
    select(_PROPOSALS.c.status, _PROPOSALS.c.kind, _PROPOSALS.c.electorate_size, _PROPOSALS.c.voting_closes_at,
           exists().where(_ELECTORATE.c.proposal_id == _PROPOSALS.c.id,
                          _ELECTORATE.c.member_id == bindparam("member_id")))
    .where(_PROPOSALS.c.id == bindparam("proposal_id"), _PROPOSALS.c.coop_id == bindparam("coop_id"))
    .with_for_update()
)
_UPSERT = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}
_ADD_HISTORY = insert(_HISTORY)
_ADD_AUDIT = insert(_AUDIT)
_COUNT = select(func.count()).select_from(_BALLOTS).where(_BALLOTS.c.proposal_id == bindparam("proposal_id"))


@dataclass(frozen=True)
class CastBallot:
    """A ballot as recorded: the member's live ballot after this cast."""

    proposal_id: int
    member_id: int
    choice: str
    approvals: list[int] | None
    cast_at: dt.datetime
    changes: int


def record_ballot(session: Session, actor: Actor, coop: Cooperative, proposal_id: int, choice: str,
                  approvals: list[int] | None = None, *, now: dt.datetime) -> CastBallot:
    """Cast or change the actor's ballot; close the vote if the whole electorate has voted.

    The proposal row is locked first, as for every state change, so a ballot can never land
    after a close, and of two last ballots the second sees the first and closes."""
    member = actor.require_member(coop.id, scope="vote")
    session.flush()  # the statements below bypass the unit of work; it must be written first
    conn = session.connection()
    target = conn.execute(_VOTE_TARGET, {"proposal_id": proposal_id, "coop_id": coop.id,
                                         "member_id": member.id}).one_or_none()
    if target is None:
        raise NotFound(f"no proposal {proposal_id} in this co-op", field="proposal")
    status, kind, electorate_size, closes_at, in_electorate = target
    if status == S.VOTING.value and closes_at is not None and closes_at <= now:
        get(session, coop, proposal_id, lock=True, now=now)  # closes it, as any read would
        status = S.CLOSED.value
    if status == S.CLOSED.value:
        raise Conflict("voting on this proposal has closed", field="status")
    if status != S.VOTING.value:
        raise Conflict(f"cannot vote: the proposal is {status}", field="status")
    allowed = {Choice.APPROVE.value, Choice.ABSTAIN.value} if kind == ProposalKind.ELECTION.value \
        else {Choice.YES.value, Choice.NO.value, Choice.ABSTAIN.value}
    if choice not in allowed:
        raise InvalidInput(f"choose one of {', '.join(sorted(allowed))}", field="choice")
    if not in_electorate:
        raise PermissionDenied("you are not in the electorate of this proposal (it was fixed when voting opened)")
    if choice == Choice.APPROVE.value:
        if kind not in ballot_checkers:
            raise InvalidInput("approval ballots are for elections", field="choice")
        approvals = ballot_checkers[kind](session, get(session, coop, proposal_id, lock=True, now=now), approvals)
    else:
        approvals = None
    values = {"proposal_id": proposal_id, "member_id": member.id, "choice": choice,
              "approvals": approvals, "cast_at": now}
    live = conn.execute(_UPSERT[conn.dialect.name], {**values, "changes": 0}).one()
    conn.execute(_ADD_HISTORY, values)
    # That a ballot was cast, never what it said: the secretary reads the audit trail while
    # the vote is open, and ballots are secret unless the rules say otherwise.
    conn.execute(_ADD_AUDIT, {"coop_id": coop.id, "actor_id": member.id, "action": "ballot.cast",
                              "object_type": "proposal", "object_id": proposal_id, "at": now,
                              "details": {}})
    if live.changes == 0:  # a first ballot: the notices asking for it are answered (once is enough)
        notifications.settle_vote(session, proposal_id, member_id=member.id, now=now)
    # Only a first ballot adds to the count; a changed one leaves it as the first one did,
    # and that ballot's own check found the electorate incomplete (or the vote is closed).
    if live.changes == 0 and electorate_size is not None \
            and conn.execute(_COUNT, {"proposal_id": proposal_id}).scalar_one() >= electorate_size:
        close(session, get(session, coop, proposal_id, lock=True, now=now), now)  # everyone has voted
    return CastBallot(proposal_id, member.id, live.choice, live.approvals, live.cast_at, live.changes)


def cast_ballot(session: Session, actor: Actor, coop: Cooperative, proposal_id: int, choice: str,
                approvals: list[int] | None = None, *, now: dt.datetime) -> Proposal:
    """:func:`record_ballot`, answering with the proposal (closed if this ballot closed it)."""
    record_ballot(session, actor, coop, proposal_id, choice, approvals, now=now)
    p = session.get(Proposal, proposal_id)
    assert p is not None
    return p


def my_ballot(session: Session, proposal_id: int, member_id: int) -> Ballot | None:
    return session.scalars(select(Ballot).where(Ballot.proposal_id == proposal_id,
                                                Ballot.member_id == member_id)).one_or_none()


def tally(session: Session, proposal_id: int) -> Tally:
    counts = dict(session.execute(
        select(Ballot.choice, func.count()).where(Ballot.proposal_id == proposal_id).group_by(Ballot.choice)
    ).all())
    return Tally(yes=counts.get("yes", 0), no=counts.get("no", 0), abstain=counts.get("abstain", 0))


# -- closing and execution --------------------------------------------------------------------

def closing_time(p: Proposal, now: dt.datetime) -> dt.datetime:
    """When a vote closes: at its deadline if that has passed (whenever a request or the
    scheduler gets round to it), else now (closed early because everyone has voted)."""
    if p.voting_closes_at is not None and p.voting_closes_at < now:
        return p.voting_closes_at
    return now


def close(session: Session, p: Proposal, now: dt.datetime) -> Proposal:
    """Close a locked proposal in voting; execute it if it passed. Exactly once: a proposal
    not in voting is left alone, so repeated calls are harmless."""
    if p.status != S.VOTING.value:
        return p
    extra: dict[str, Any] = {}
    if p.kind in closers:
        extra = closers[p.kind](session, p, now)
    else:
        t = tally(session, p.id)
        d = decide(t, p.electorate_size or 0, parse_threshold(p.threshold or ""), parse_quorum(p.quorum or "1"))
        p.yes_count, p.no_count, p.abstain_count = t.yes, t.no, t.abstain
        p.outcome = Outcome.PASSED.value if d.passed else Outcome.FAILED.value
        p.failed_test = d.reason.value if d.reason else None
        p.outcome_reason = d.explanation
    p.status = S.CLOSED.value
    p.closed_at = closing_time(p, now)
    notifications.settle_vote(session, p.id, now=now)  # nothing left to vote in
    refusal = None
    if p.outcome == Outcome.PASSED.value and p.kind in executors:
        # Executions are serialised per co-op: the ledger-head lock (which the decision record
        # takes anyway) is taken before the policy check, so the check sees every pay change
        # and rule change committed before it, and two executions that each keep within the
        # pay ratio cannot break it together.
        ledger.lock_head(session, p.coop_id)
        # Checked before the decision record is written, so the record states what happened.
        refusal = executors[p.kind].check(session, p, now)
        if refusal:
            p.outcome = Outcome.FAILED.value
            p.failed_test = "not_applied"
            p.outcome_reason = f"{p.outcome_reason}; but it was not applied: {refusal}"
    ledger.append_decision_record(session, p, extra, now=now)
    if p.outcome == Outcome.PASSED.value:
        if p.kind in executors:
            executors[p.kind].apply(session, p, now)
        # Executed in the same transaction, and in force from the close: a late scheduler run
        # must not move the date a pay change or a term takes effect.
        p.executed_at = p.closed_at
    audit.record(session, Actor.operator(), p.coop_id, "proposal.closed", "proposal", p.id,
                 outcome=p.outcome, failed_test=p.failed_test, now=now)
    events.emit(session, p.coop_id, "proposal.closed", {"proposal_id": p.id, "outcome": p.outcome}, now=now)
    if p.executed_at is not None:
        events.emit(session, p.coop_id, "proposal.executed", {"proposal_id": p.id}, now=now)
    session.flush()
    return p


def close_due(session: Session, now: dt.datetime, coop_id: int | None = None) -> list[Proposal]:
    """Close every proposal whose deadline has passed. Idempotent; safe to run concurrently."""
    q = select(Proposal.id).where(Proposal.status == S.VOTING.value, Proposal.voting_closes_at <= now)
    if coop_id is not None:
        q = q.where(Proposal.coop_id == coop_id)
    closed = []
    for pid in session.scalars(q.order_by(Proposal.id)).all():
        p = session.scalars(select(Proposal).where(Proposal.id == pid).with_for_update()).one()
        session.refresh(p)
        if _overdue(p, now):
            closed.append(close(session, p, now))
    return closed


executors[ProposalKind.PAY_ADJUSTMENT.value] = Execution(pay_adjustments.check, pay_adjustments.apply)
executors[ProposalKind.RULE_CHANGE.value] = Execution(rule_changes.check, rule_changes.apply)
executors[ProposalKind.GENERAL.value] = Execution(lambda s, p, now: None, lambda s, p, now: None)

# Elections and recalls register their hooks above when imported. Importing them here means
# no entry point (a request, `coop proposals close-due`, the scheduler) can close an election
# without its closer. At the end of the module, so the import cycle finds this one complete.
from coop.services import elections as _elections  # noqa: E402,F401
from coop.services import recalls as _recalls  # noqa: E402,F401
