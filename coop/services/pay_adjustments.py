"""Pay adjustments: what a proposal changes, the pay-policy check when drafted and again
when executed, and the pay record it appends."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from coop.errors import InvalidInput, PolicyViolation
from coop.models import Cooperative, Member, Proposal
from coop.pay import Pay, PayPolicy, Supplement, SupplementReason, Violation, apply_change, check_policy
from coop.services import education, events, ledger, pay


def pay_to_json(p: Pay | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"hourly_rate": str(p.hourly_rate), "weekly_hours": str(p.weekly_hours),
            "supplements": ledger.supplements_json(p)}


def pay_from_json(data: dict[str, Any]) -> Pay:
    return Pay(
        hourly_rate=Decimal(data["hourly_rate"]), weekly_hours=Decimal(data["weekly_hours"]),
        supplements=tuple(
            Supplement(kind=s["kind"], amount=Decimal(s["amount"]), reason=SupplementReason(s["reason"]),
                       qualification_id=s.get("qualification_id"))
            for s in data.get("supplements", [])
        ),
    )


def new_pay(current: Pay | None, change: dict[str, Any]) -> Pay:
    """Merge the proposed change into the member's current pay."""
    rate = change.get("hourly_rate")
    hours = change.get("weekly_hours")
    supplements = change.get("supplements")
    if rate is None and hours is None and supplements is None:
        raise InvalidInput("propose a new hourly rate, weekly hours or supplements", field="hourly_rate")
    if current is None and (rate is None or hours is None):
        raise InvalidInput("this member has no pay yet: give both an hourly rate and weekly hours",
                           field="hourly_rate" if rate is None else "weekly_hours")
    try:
        return Pay(
            hourly_rate=rate if rate is not None else current.hourly_rate,  # type: ignore[union-attr]
            weekly_hours=hours if hours is not None else current.weekly_hours,  # type: ignore[union-attr]
            supplements=tuple(supplements) if supplements is not None else current.supplements,  # type: ignore[union-attr]
        )
    except (ValueError, TypeError) as exc:
        raise InvalidInput(str(exc), field="hourly_rate") from None


def violations_message(violations: list[Any]) -> str:
    return "; ".join(v.message for v in violations)


def violations_caused(table: dict[int, Pay], member_id: int, proposed: Pay, policy: PayPolicy) -> list[Violation]:
    """The violations this change creates or worsens. A co-op that already breaks its own
    policy (say, after raising the floor) must still be able to vote pay towards it: only a
    floor breach by the member in question, or a ratio made worse, blocks the change."""
    after_table = apply_change(table, member_id, proposed)
    before = check_policy(table, policy)
    after = check_policy(after_table, policy)
    ratio_before = _ratio(table)
    caused = []
    for v in after:
        if v.rule == "pay.floor" and v.member_id == member_id:
            caused.append(v)
        elif v.rule == "pay.max_ratio":
            if not any(b.rule == "pay.max_ratio" for b in before) or _ratio(after_table) > ratio_before:  # type: ignore[operator]
                caused.append(v)
    return caused


def _ratio(table: dict[int, Pay]) -> Fraction | None:
    paid = [p.total_hourly_cents for p in table.values() if p.is_paid]
    return Fraction(max(paid), min(paid)) if paid else None


def prepare(session: Session, coop: Cooperative, subject: Member, change: dict[str, Any]) -> dict[str, Any]:
    if subject.coop_id != coop.id:
        raise InvalidInput("no such member in this co-op", field="subject_member_id")
    if not subject.is_active:
        raise InvalidInput(f"{subject.name} is {subject.status}; pay adjustments are for active members",
                           field="subject_member_id")
    reason = change.get("reason")
    if reason not in {r.value for r in SupplementReason}:
        raise InvalidInput("state the reason: hours, skills, responsibility, seniority or other", field="reason")
    table = pay.current_table(session, coop.id)
    current = table.get(subject.id)
    proposed = new_pay(current, change)
    education.check_cited_qualifications(session, subject, proposed, current)
    violations = violations_caused(table, subject.id, proposed, pay.policy(session, coop.id))
    if violations:
        raise PolicyViolation(violations_message(violations), field="hourly_rate")
    return {"reason": reason, "previous": pay_to_json(current), "new": pay_to_json(proposed)}


def check(session: Session, p: Proposal, now: dt.datetime) -> str | None:
    """At execution the pay policy then in force decides, against the pay table then."""
    assert p.subject_member_id is not None
    table = pay.current_table(session, p.coop_id)
    violations = violations_caused(table, p.subject_member_id, pay_from_json(p.details["new"]),
                                   pay.policy(session, p.coop_id))
    return violations_message(violations) if violations else None


def apply(session: Session, p: Proposal, now: dt.datetime) -> None:
    assert p.subject_member_id is not None
    coop = session.get(Cooperative, p.coop_id)
    subject = session.get(Member, p.subject_member_id)
    assert coop is not None and subject is not None
    record = ledger.append_pay_record(
        session, coop, subject.id, subject.name, pay_from_json(p.details["new"]),
        pay.policy(session, coop.id).weeks_per_year, authority="proposal",
        # From the day the vote closed (its deadline), not the day the close was processed.
        effective_date=(p.closed_at or now).date(), proposal_id=p.id,
        now=now,
    )
    events.emit(session, coop.id, "pay.changed", {"member_id": subject.id, "proposal_id": p.id,
                                                  "entry_index": record.entry_index}, now=now)
