"""Factories for offices, qualifications and elections, through the services."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from coop.governance.offices import Office, add_months, parse_requires
from coop.ledger.keys import KeyStore
from coop.models import Cooperative, Member, Proposal, Qualification
from coop.services import elections, members, offices, pale, proposals
from tests.clock import NOW
from tests.factories import OPERATOR, as_member, make_coop, make_member

#: The tests' clock: every service call is given ``now``.
T0 = dt.datetime(2026, 3, 2, 9, 0)
#: Comfortably inside the default pale (six months' tenure).
SENIOR = add_months(T0, -24)


def found(db: Session, coop: Cooperative, key: str = "treasurer", name: str = "Treasurer", seats: int = 1,
          term_months: int = 24, requires: str = "accounting:6",
          max_consecutive_terms: int | None = None) -> Office:
    office = Office(key, name, seats, term_months, parse_requires(requires), max_consecutive_terms)
    offices.found_office(db, OPERATOR, coop, office, f"The co-op has {seats} {name.lower()}(s).", now=NOW)
    return office


def office_coop(db: Session, keys: KeyStore, council: bool = False) -> Cooperative:
    """A co-op with a treasurer (one seat, 24 months, accounting:6) and, with ``council``,
    first a works council (two seats, 12 months, no requirement)."""
    coop = make_coop(db, keys)
    if council:
        found(db, coop, "council", "Works council", seats=2, term_months=12, requires="")
    found(db, coop)
    return coop


def qualify(db: Session, coop: Cooperative, member: Member, field: str, level: int,
            verified: bool = True) -> Qualification:
    q = members.add_qualification(db, OPERATOR, coop, member, field, level, "Test Institute",
                                  dt.date(2015, 6, 30), now=NOW)
    if verified:
        members.verify_qualification(db, OPERATOR, coop, q, now=NOW)
    return q


def senior(db: Session, coop: Cooperative, **kw: object) -> Member:
    kw.setdefault("active_since", SENIOR)
    return make_member(db, coop, **kw)  # type: ignore[arg-type]


def affirmation(db: Session, coop: Cooperative) -> str:
    return pale.statement(db, coop.id).version


def call(db: Session, coop: Cooperative, office_key: str, author: Member, at: dt.datetime = T0,
         seats: int | None = None) -> Proposal:
    """Draft an election and open its nomination period at ``at``."""
    p = elections.draft_election(db, as_member(author), coop, office_key, seats=seats, now=NOW)
    proposals.open_deliberation(db, as_member(author), coop, p.id, now=at)
    return p


def stand(db: Session, coop: Cooperative, p: Proposal, member: Member, at: dt.datetime = T0):  # type: ignore[no-untyped-def]
    return elections.stand(db, as_member(member), coop, p.id, affirmation(db, coop), now=at)


def open_vote(db: Session, coop: Cooperative, p: Proposal, author: Member) -> Proposal:
    assert p.deliberation_ends_at is not None
    return proposals.open_voting(db, as_member(author), coop, p.id, now=p.deliberation_ends_at)


def approve(db: Session, coop: Cooperative, p: Proposal, voter: Member, *candidates: Member) -> None:
    if candidates:
        proposals.cast_ballot(db, as_member(voter), coop, p.id, "approve",
                              approvals=[c.id for c in candidates], now=p.voting_opened_at)
    else:
        proposals.cast_ballot(db, as_member(voter), coop, p.id, "abstain", now=p.voting_opened_at)


def close(db: Session, coop: Cooperative, p: Proposal) -> Proposal:
    assert p.voting_closes_at is not None
    proposals.close_due(db, p.voting_closes_at, coop_id=coop.id)
    return p


def elect(db: Session, coop: Cooperative, office_key: str, winners: list[Member], voters: list[Member],
          at: dt.datetime = T0) -> Proposal:
    """A whole election in which every voter approves every winner."""
    p = call(db, coop, office_key, voters[0], at)
    for w in winners:
        stand(db, coop, p, w, at)
    open_vote(db, coop, p, voters[0])
    for v in voters:
        approve(db, coop, p, v, *winners)
    return close(db, coop, p)
