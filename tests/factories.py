"""Factories: build co-ops, members and proposals through the services, add and flush."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from sqlalchemy.orm import Session

from coop.ledger.keys import KeyStore
from coop.models import Cooperative, Member, Proposal
from coop.pay import Pay
from coop.services import coops, ledger, members, pay, proposals
from coop.services.actor import Actor
from tests.clock import NOW, TODAY

_seq = itertools.count(1)
OPERATOR = Actor.operator()


def make_coop(db: Session, keys: KeyStore, slug: str | None = None, name: str = "Test Co-op") -> Cooperative:
    return coops.create_coop(db, OPERATOR, keys, slug or f"coop-{next(_seq)}", name, now=NOW)


def make_member(db: Session, coop: Cooperative, name: str | None = None, role: str = "member",
                status: str = "active", active_since: dt.datetime | None = None,
                hourly_rate: str | None = None, weekly_hours: str = "37.50") -> Member:
    n = next(_seq)
    m = members.add_member(db, OPERATOR, coop, name or f"Member {n}", f"m{n}@example.org",
                           role=role, status=status, active_since=active_since, now=NOW)
    if hourly_rate is not None:
        set_founding_pay(db, coop, m, hourly_rate, weekly_hours)
    return m


def set_founding_pay(db: Session, coop: Cooperative, m: Member, hourly_rate: str, weekly_hours: str = "37.50") -> None:
    ledger.append_pay_record(db, coop, m.id, m.name, Pay(Decimal(hourly_rate), Decimal(weekly_hours)),
                             pay.policy(db, coop.id).weeks_per_year, authority="founding",
                             effective_date=TODAY, now=NOW)


def make_members(db: Session, coop: Cooperative, n: int, **kw: object) -> list[Member]:
    return [make_member(db, coop, **kw) for _ in range(n)]  # type: ignore[arg-type]


def as_member(m: Member) -> Actor:
    return Actor.of(m)


def open_for_voting(db: Session, coop: Cooperative, p: Proposal, author: Member) -> Proposal:
    """Run a draft through deliberation to voting, stepping the clock past the notice."""
    start = NOW
    proposals.open_deliberation(db, as_member(author), coop, p.id, now=start)
    assert p.deliberation_ends_at is not None
    return proposals.open_voting(db, as_member(author), coop, p.id, now=p.deliberation_ends_at)


def general_vote(db: Session, coop: Cooperative, author: Member, title: str = "Buy a new lathe") -> Proposal:
    p = proposals.draft_general(db, as_member(author), coop, title, "Because the old one is broken.", now=NOW)
    return open_for_voting(db, coop, p, author)
