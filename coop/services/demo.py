"""Seed the demo co-op: members, founding pay, qualifications and a governance history.

Everything goes through the services, with ``now=`` moving the clock, so the demo obeys the
same rules as real use: notice periods elapse, electorates are snapshotted, the pay policy
is checked and passed proposals append their ledger entries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.demo_offices import SeededOffices, seed_offices
from coop.errors import PolicyViolation
from coop.ledger.keys import KeyStore
from coop.models import Cooperative, Member, Proposal, Qualification, RuleVersion
from coop.pay import Pay, Supplement, SupplementReason, check_policy
from coop.services import accounts, audit, coops, ledger, members, notifications, pay, proposals
from coop.services.actor import Actor
from coop.services.demo_data import (
    FOUNDED_DAYS_AGO,
    NAME,
    PASSWORD,
    PEOPLE,
    SECRETARY_VERIFIER,
    STORIES,
    VERIFIER,
    Person,
    Story,
)

OPERATOR = Actor.operator()


@dataclass(frozen=True)
class Seeded:
    coop: Cooperative
    members: int
    proposals: int
    open_votes: int
    ledger_size: int
    #: Offices, elections (counted in ``proposals`` too), terms and learning records.
    offices: SeededOffices | None = None


def seed_demo(session: Session, keys: KeyStore, slug: str = "demo", *, now: dt.datetime) -> Seeded | None:
    """Create the demo co-op under ``slug``; None (and nothing written) if the slug is taken."""
    if session.scalars(select(Cooperative.id).where(Cooperative.slug == slug)).first() is not None:
        return None
    now = now.replace(second=0, microsecond=0)
    coop = coops.create_coop(session, OPERATOR, keys, slug, NAME, "EUR", founded_at=_days_ago(now, FOUNDED_DAYS_AGO),
                             now=now)
    people = _add_people(session, coop, now)
    quals = _add_qualifications(session, coop, people, now=now)
    _founding_pay(session, coop, people, now)
    _set_passwords(session, coop, people, now=now)
    for story in STORIES:
        if story.stage is None:
            _tell(session, coop, story, people, quals, now)
    # Offices and elections come last: the office rules are founded after the stories' rule
    # changes were adopted, and the elections' decisions follow theirs in the ledger.
    held = seed_offices(session, coop, {m.email: m for m in people.values()}, now)
    # The draft and the motion under deliberation come last, so the ids of the rest of the
    # demo (which guides and tests cite) stay as they were before these two were added.
    for story in STORIES:
        if story.stage is not None:
            _tell(session, coop, story, people, quals, now)
    notifications.settle_history(session, coop)
    head = ledger.lock_head(session, coop.id)
    return Seeded(coop=coop, members=len(people), proposals=len(STORIES) + held.elections,
                  open_votes=sum(not s.close and s.stage is None for s in STORIES) + held.open_elections,
                  ledger_size=head.size, offices=held)


def _set_passwords(session: Session, coop: Cooperative, people: dict[str, Member], *, now: dt.datetime) -> None:
    """Everyone gets the published demo password. It is hashed once and the hash shared:
    argon2 is deliberately slow (a fifth of a second here), and a password printed on the
    screen gains nothing from a salt of its own."""
    shared = accounts.hash_password(PASSWORD)
    for m in people.values():
        m.password_hash = shared
        audit.record(session, OPERATOR, coop.id, "account.password_set", "member", m.id, demo=True, now=now)


def _days_ago(now: dt.datetime, days: int) -> dt.datetime:
    return now - dt.timedelta(days=days)


def _add_people(session: Session, coop: Cooperative, now: dt.datetime) -> dict[str, Member]:
    people = {}
    for p in PEOPLE:
        people[p.login] = members.add_member(
            session, OPERATOR, coop, p.name, p.email, role=p.role, status=p.status,
            active_since=_days_ago(now, p.active_days), now=now)
    session.flush()
    return people


def _add_qualifications(session: Session, coop: Cooperative,
                        people: dict[str, Member], *, now: dt.datetime) -> dict[tuple[str, str], Qualification]:
    quals = {}
    for p in PEOPLE:
        for q in p.quals:
            quals[(p.login, q.field)] = members.add_qualification(
                session, OPERATOR, coop, people[p.login], q.field, q.level, q.issuer,
                dt.date.fromisoformat(q.awarded_on), title=q.title, now=now)
    for p in PEOPLE:
        verifier = people[SECRETARY_VERIFIER if p.login == VERIFIER else VERIFIER]
        for q in p.quals:
            if q.verified:
                members.verify_qualification(session, Actor.of(verifier), coop, quals[(p.login, q.field)], now=now)
    return quals


def _pay(person: Person) -> Pay:
    assert person.hourly_rate is not None
    return Pay(Decimal(person.hourly_rate), Decimal(person.weekly_hours), tuple(
        Supplement(kind, Decimal(amount), SupplementReason(reason)) for kind, amount, reason in person.supplements))


def _founding_pay(session: Session, coop: Cooperative, people: dict[str, Member], now: dt.datetime) -> None:
    paid = [p for p in PEOPLE if p.hourly_rate is not None]
    policy = pay.policy(session, coop.id)
    # The founders' pay table must itself respect the policy the co-op starts with.
    violations = check_policy({people[p.login].id: _pay(p) for p in paid}, policy)
    if violations:
        raise PolicyViolation("; ".join(v.message for v in violations))
    for p in paid:
        since = _days_ago(now, min(p.active_days, FOUNDED_DAYS_AGO)).date()
        m = people[p.login]
        ledger.append_pay_record(session, coop, m.id, m.name, _pay(p), policy.weeks_per_year,
                                 authority="founding", effective_date=since, now=now)


def _change(story: Story, quals: dict[tuple[str, str], Qualification]) -> dict[str, object]:
    change = dict(story.change)
    if "supplements" in change:
        assert story.subject is not None
        change["supplements"] = [
            Supplement(kind, Decimal(amount), SupplementReason(reason),
                       qualification_id=quals[(story.subject, field)].id)
            for kind, amount, reason, field in change["supplements"]  # type: ignore[attr-defined]
        ]
    return change


def _draft(session: Session, coop: Cooperative, story: Story, people: dict[str, Member],
           quals: dict[tuple[str, str], Qualification], *, now: dt.datetime) -> Proposal:
    author = Actor.of(people[story.author])
    if story.kind == "general":
        return proposals.draft_general(session, author, coop, story.title, story.body, now=now)
    if story.kind == "pay_adjustment":
        assert story.subject is not None
        return proposals.draft_pay_adjustment(session, author, coop, story.title, story.body,
                                              people[story.subject], _change(story, quals), now=now)
    return proposals.draft_rule_change(session, author, coop, story.title, story.body, _change(story, quals), now=now)


def _tell(session: Session, coop: Cooperative, story: Story, people: dict[str, Member],
          quals: dict[tuple[str, str], Qualification], now: dt.datetime) -> None:
    drafted = _days_ago(now, story.drafted)
    author = Actor.of(people[story.author])
    p = _draft(session, coop, story, people, quals, now=now)
    # The services stamp creation with the real clock; the demo's history happened earlier.
    p.created_at = drafted
    if story.stage == "draft":
        session.flush()
        return
    proposals.open_deliberation(session, author, coop, p.id, now=drafted)
    for i, (login, body) in enumerate(story.comments):
        c = proposals.comment(session, Actor.of(people[login]), coop, p.id, body, now=now)
        c.created_at = drafted + dt.timedelta(hours=2 + i)
    if story.stage == "deliberation":
        session.flush()
        return
    assert p.deliberation_ends_at is not None
    opened = p.deliberation_ends_at
    proposals.open_voting(session, author, coop, p.id, now=opened)
    ballots = [story.changed_mind] if story.changed_mind else []  # the first thought, changed below
    ballots += [(m, "yes") for m in story.yes] + [(m, "no") for m in story.no] + \
        [(m, "abstain") for m in story.abstain]
    for i, (login, choice) in enumerate(ballots):
        proposals.cast_ballot(session, Actor.of(people[login]), coop, p.id, choice,
                              now=opened + dt.timedelta(hours=i + 1))
    if story.expert:
        login, field, body = story.expert
        c = proposals.comment(session, Actor.of(people[login]), coop, p.id, body,
                              qualification_id=quals[(login, field)].id, now=now)
        c.created_at = opened + dt.timedelta(hours=len(ballots) + 1)
    if story.close:
        assert p.voting_closes_at is not None
        proposals.close_due(session, now=p.voting_closes_at, coop_id=coop.id)
        for version in session.scalars(select(RuleVersion).where(RuleVersion.proposal_id == p.id)):
            version.created_at = p.voting_closes_at  # adopted when the vote closed, not today
    session.flush()
