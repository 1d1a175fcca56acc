"""Paginated reads for integrations (the REST API), each with who may read it.

Public reads: what a co-op publishes when ``public_pages`` is on — the salary ledger, rules,
decisions, checkpoints and proofs — may be read by anyone, without a token. Everything else
needs a member of the co-op. ``actor`` is None for an anonymous caller (never the operator:
``Actor(None)`` means the operator and may do everything).

Every function issues a constant number of queries whatever the page or table size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session, selectinload

from coop.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from coop.models import (
    AuditEvent,
    Ballot,
    Checkpoint,
    Comment,
    Cooperative,
    LedgerEntry,
    Member,
    PayRecord,
    Proposal,
    ProposalStatus,
    Rule,
    RuleVersion,
    WebhookDelivery,
    WebhookEvent,
)
from coop.services import discussion, proposals, rules, visibility, webhooks
from coop.services.actor import Actor
from coop.services.paging import Page, keyset

#: Rule parameter that makes per-voter ballots visible to members. Ballots are secret
#: unless the co-op's rules say otherwise; no rule sets it by default.
BALLOTS_PUBLIC = "voting.ballots_public"


def require_reader(actor: Actor | None, coop: Cooperative, *, public: bool = False) -> None:
    """Anyone may read what the co-op publishes; the rest needs a member (read scope)."""
    if public and coop.public_pages:
        return
    if actor is None:
        raise Unauthenticated("this needs a member of the co-op: send a token")
    actor.require_member(coop.id, scope="read")


# -- members ---------------------------------------------------------------------------------

def members_page(session: Session, actor: Actor | None, coop: Cooperative, *, status: str | None = None,
                 cursor: str | None = None, limit: int | None = None) -> Page[Member]:
    """Members by id, with their qualifications. Two queries."""
    require_reader(actor, coop)
    q = select(Member).where(Member.coop_id == coop.id).options(selectinload(Member.qualifications))
    if status:
        q = q.where(Member.status == status)
    return keyset(session, q, Member.id, cursor=cursor, limit=limit)


def member(session: Session, actor: Actor | None, coop: Cooperative, member_id: int) -> Member:
    require_reader(actor, coop)
    found = session.scalars(select(Member).where(Member.id == member_id, Member.coop_id == coop.id)
                            .options(selectinload(Member.qualifications))).one_or_none()
    if found is None:
        raise NotFound(f"no member {member_id} in this co-op", field="member")
    return found


# -- proposals -------------------------------------------------------------------------------

def proposals_page(session: Session, actor: Actor | None, coop: Cooperative, *, status: str | None = None,
                   kind: str | None = None, cursor: str | None = None, limit: int | None = None,
                   now: dt.datetime) -> Page[Proposal]:
    """Newest first. Closes overdue proposals first, as every read of proposals does."""
    # Decisions (closed proposals) are part of the public record; the rest is members'.
    require_reader(actor, coop, public=status == ProposalStatus.CLOSED.value)
    proposals.close_due(session, now, coop_id=coop.id)
    q = select(Proposal).where(Proposal.coop_id == coop.id)
    me = actor.member if actor is not None else None
    if me is None or not me.is_secretary:
        # A draft is its author's (and the secretary's) until it is put to the members.
        q = q.where(or_(Proposal.status != ProposalStatus.DRAFT.value,
                        Proposal.author_id == (me.id if me is not None else None)))
    if status:
        q = q.where(Proposal.status == status)
    if kind:
        q = q.where(Proposal.kind == kind)
    return keyset(session, q, Proposal.id, cursor=cursor, limit=limit, descending=True)


def proposal(session: Session, actor: Actor | None, coop: Cooperative, proposal_id: int,
             now: dt.datetime) -> Proposal:
    """A proposal for a member; a closed one (a decision) for anyone if the co-op publishes;
    a draft only for its author and the secretary (``visibility``, as in the portal)."""
    if actor is None or not visibility.is_member(coop, actor.member):
        # Before the lookup: where the co-op publishes nothing, an outsider learns no ids.
        require_reader(actor, coop, public=True)
    p = proposals.get(session, coop, proposal_id, now=now)
    if p.status == ProposalStatus.CLOSED.value and (actor is None or coop.public_pages):
        require_reader(actor, coop, public=True)
        return p
    require_reader(actor, coop)
    assert actor is not None
    visibility.require_proposal_reader(coop, actor.member, p)
    return p


def outcome(session: Session, actor: Actor | None, coop: Cooperative, proposal_id: int,
            *, now: dt.datetime) -> Proposal:
    """A closed proposal, as decided. :raise Conflict: not closed yet."""
    p = proposal(session, actor, coop, proposal_id, now=now)
    if p.status != ProposalStatus.CLOSED.value:
        raise Conflict(f"the proposal is {p.status}; it has no outcome yet", field="status")
    return p


def ballots_cast(session: Session, p: Proposal) -> int | None:
    """How many have voted while voting is open (how they voted stays secret until close)."""
    if p.status != ProposalStatus.VOTING.value:
        return None
    return session.scalar(select(func.count()).select_from(Ballot).where(Ballot.proposal_id == p.id))


def comments_page(session: Session, actor: Actor | None, coop: Cooperative, proposal_id: int, *,
                  cursor: str | None = None, limit: int | None = None,
                  now: dt.datetime) -> Page[tuple[Comment, dict[str, int]]]:
    """Comments and replies by id (a root before its replies), each with its reaction
    counts: two queries whatever the page size."""
    p = proposal(session, actor, coop, proposal_id, now=now)
    q = select(Comment).where(Comment.proposal_id == p.id)
    page = keyset(session, q, Comment.id, cursor=cursor, limit=limit)
    counts = discussion.reaction_counts(session, [c.id for c in page.items])
    return Page([(c, counts[c.id]) for c in page.items], page.next_cursor)


def ballots_page(session: Session, actor: Actor | None, coop: Cooperative, proposal_id: int, *,
                 cursor: str | None = None, limit: int | None = None, now: dt.datetime) -> Page[Ballot]:
    """Who voted how: only where the co-op's rules make ballots public."""
    require_reader(actor, coop)
    if rules.parameters(session, coop.id).get(BALLOTS_PUBLIC, "false").strip().lower() != "true":
        raise PermissionDenied(f"ballots are secret in this co-op (rule parameter {BALLOTS_PUBLIC} "
                               "is not \"true\")")
    p = proposal(session, actor, coop, proposal_id, now=now)
    q = select(Ballot).where(Ballot.proposal_id == p.id)
    return keyset(session, q, Ballot.id, cursor=cursor, limit=limit)


# -- rules -----------------------------------------------------------------------------------

def rules_page(session: Session, actor: Actor | None, coop: Cooperative, *, cursor: str | None = None,
               limit: int | None = None) -> Page[tuple[str, RuleVersion]]:
    """The version in force of every rule, by key: (key, version) pairs."""
    require_reader(actor, coop, public=True)
    q = (select(Rule.key, RuleVersion)
         .join(RuleVersion, (RuleVersion.rule_id == Rule.id) & (RuleVersion.version == Rule.current_version))
         .where(Rule.coop_id == coop.id))
    return keyset(session, q, Rule.key, cursor=cursor, limit=limit, kind=str, scalars=False,
                  key_of=lambda row: row[0])


def rule_versions_page(session: Session, actor: Actor | None, coop: Cooperative, key: str, *,
                       cursor: str | None = None, limit: int | None = None) -> Page[RuleVersion]:
    require_reader(actor, coop, public=True)
    rule = session.scalars(select(Rule).where(Rule.coop_id == coop.id, Rule.key == key)).one_or_none()
    if rule is None:
        raise NotFound(f"no rule with key '{key}'", field="rule_key")
    q = select(RuleVersion).where(RuleVersion.rule_id == rule.id)
    return keyset(session, q, RuleVersion.version, cursor=cursor, limit=limit)


def rule(session: Session, actor: Actor | None, coop: Cooperative, key: str) -> RuleVersion:
    require_reader(actor, coop, public=True)
    return rules.get_rule(session, coop.id, key)[1]


# -- pay -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PayRow:
    """One line of the pay table, as stored: the wire's projection of
    ``pay_reports.PayLine`` without building a validated ``Pay`` for every row (the
    records were validated when they were appended)."""

    member_id: int
    member_name: str
    hourly_rate: Decimal
    weekly_hours: Decimal
    supplements: list[dict[str, Any]]
    total_hourly: Decimal
    annualised: Decimal
    currency: str
    effective_date: dt.date
    entry_index: int
    authority: str
    proposal_id: int | None


_PAY_TABLE: dict[bool, Any] = {}


def _pay_table_statement(dated: bool) -> Any:
    """Built once per process, with bound parameters: building the subquery's column
    proxies on every request cost more than running it."""
    if dated not in _PAY_TABLE:
        latest = select(PayRecord.member_id, func.max(PayRecord.entry_index).label("entry_index")).where(
            PayRecord.coop_id == bindparam("coop_id"))
        if dated:
            latest = latest.where(PayRecord.effective_date <= bindparam("as_of", type_=PayRecord.effective_date.type))
        sq = latest.group_by(PayRecord.member_id).subquery()
        _PAY_TABLE[dated] = (
            select(PayRecord.member_id, Member.name, PayRecord.hourly_rate, PayRecord.weekly_hours,
                   PayRecord.supplements, PayRecord.annualised, PayRecord.currency, PayRecord.effective_date,
                   PayRecord.entry_index, PayRecord.authority, PayRecord.proposal_id)
            .join(sq, (PayRecord.member_id == sq.c.member_id) & (PayRecord.entry_index == sq.c.entry_index))
            .join(Member, Member.id == PayRecord.member_id)
            .where(PayRecord.coop_id == bindparam("coop_id"))
            .order_by(Member.name, Member.id))
    return _PAY_TABLE[dated]


def pay_table(session: Session, actor: Actor | None, coop: Cooperative,
              as_of: dt.date | None = None) -> list[PayRow]:
    """The pay table the API serves: the same lines as ``pay_reports.pay_table`` (the
    latest appended record of each member effective on or before ``as_of``; unpaid members
    left out; by name), read as plain columns in one query. A test holds the two equal."""
    require_reader(actor, coop, public=True)
    params: dict[str, Any] = {"coop_id": coop.id}
    if as_of is not None:
        params["as_of"] = as_of
    rows = session.connection().execute(_pay_table_statement(as_of is not None), params).all()
    out = []
    for member_id, name, rate, hours, supplements, annualised, currency, effective, index, authority, pid in rows:
        total = rate + sum((Decimal(x["amount"]) for x in supplements or ()), Decimal(0))
        if total == 0:  # a departure (or unpaid member): not on the table, as in pay_reports
            continue
        out.append(PayRow(member_id, name, rate, hours, list(supplements or ()), total, annualised, currency,
                          effective, index, authority, pid))
    return out


# -- the ledger ------------------------------------------------------------------------------

def entries_page(session: Session, actor: Actor | None, coop: Cooperative, *, start: int | None = None,
                 end: int | None = None, kind: str | None = None, cursor: str | None = None,
                 limit: int | None = None) -> Page[LedgerEntry]:
    """Entries with ``start <= index < end``, oldest first."""
    require_reader(actor, coop, public=True)
    if start is not None and end is not None and end < start:
        raise InvalidInput("end must not be before start", field="end")
    q = select(LedgerEntry).where(LedgerEntry.coop_id == coop.id)
    if start is not None:
        q = q.where(LedgerEntry.index >= start)
    if end is not None:
        q = q.where(LedgerEntry.index < end)
    if kind:
        q = q.where(LedgerEntry.kind == kind)
    return keyset(session, q, LedgerEntry.index, cursor=cursor, limit=limit)


def entry(session: Session, actor: Actor | None, coop: Cooperative, index: int) -> LedgerEntry:
    require_reader(actor, coop, public=True)
    found = session.scalars(select(LedgerEntry).where(
        LedgerEntry.coop_id == coop.id, LedgerEntry.index == index)).one_or_none()
    if found is None:
        raise NotFound(f"the ledger has no entry {index}", field="index")
    return found


def checkpoints_page(session: Session, actor: Actor | None, coop: Cooperative, *,
                     cursor: str | None = None, limit: int | None = None) -> Page[Checkpoint]:
    require_reader(actor, coop, public=True)
    q = select(Checkpoint).where(Checkpoint.coop_id == coop.id)
    return keyset(session, q, Checkpoint.id, cursor=cursor, limit=limit)


def checkpoint(session: Session, actor: Actor | None, coop: Cooperative, checkpoint_id: int) -> Checkpoint:
    require_reader(actor, coop, public=True)
    found = session.get(Checkpoint, checkpoint_id)
    if found is None or found.coop_id != coop.id:
        raise NotFound(f"no checkpoint {checkpoint_id} in this co-op", field="checkpoint")
    return found


# -- the audit trail and webhooks --------------------------------------------------------------

#: What an audit event may never show, whoever reads it: how someone voted. Events written
#: before ballots stopped being recorded there still hold it; the trail is append-only, so it
#: is left in the rows and filtered out on every read.
BALLOT_SECRETS = frozenset({"choice", "approvals"})


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One audit event as it may be read."""

    id: int
    actor_id: int | None
    action: str
    object_type: str
    object_id: int | None
    at: dt.datetime
    details: dict[str, Any]

    @classmethod
    def of(cls, event: AuditEvent) -> "AuditLine":
        details = dict(event.details or {})
        if event.action.startswith("ballot."):
            details = {k: v for k, v in details.items() if k not in BALLOT_SECRETS}
        return cls(event.id, event.actor_id, event.action, event.object_type, event.object_id,
                   event.at, details)


def audit_page(session: Session, actor: Actor | None, coop: Cooperative, *, action: str | None = None,
               object_type: str | None = None, cursor: str | None = None,
               limit: int | None = None) -> Page[AuditLine]:
    """Newest first; the secretary's (and admins') view, without ballot contents."""
    if actor is None:
        raise Unauthenticated("the audit trail is for the secretary: send a token")
    actor.require_secretary(coop.id)
    q = select(AuditEvent).where(AuditEvent.coop_id == coop.id)
    if action:
        q = q.where(AuditEvent.action == action)
    if object_type:
        q = q.where(AuditEvent.object_type == object_type)
    page = keyset(session, q, AuditEvent.id, cursor=cursor, limit=limit, descending=True)
    return Page([AuditLine.of(e) for e in page.items], page.next_cursor)


def deliveries_page(session: Session, actor: Actor, coop: Cooperative, sub_id: int, *,
                    cursor: str | None = None, limit: int | None = None) -> Page[Any]:
    """A webhook's delivery log, newest first: (delivery, event name) pairs."""
    sub = webhooks.get_subscription(session, actor, coop, sub_id)
    q = (select(WebhookDelivery, WebhookEvent.event)
         .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
         .where(WebhookDelivery.subscription_id == sub.id))
    return keyset(session, q, WebhookDelivery.id, cursor=cursor, limit=limit, descending=True,
                  scalars=False, key_of=lambda row: row[0].id)

