"""Lifelong education: learning records, the education policy, the report, and reminders.

DESIGN.md ("Lifelong education"): every member keeps learning for life. A learning record is
entered by the member or a secretary (or imported from CSV); a qualification gained becomes a
``Qualification`` once a secretary or a peer qualified in the field verifies the record. The
rules set ``education.expected_hours_per_year`` and ``education.paid_hours_per_year``. Hours
are exact decimals (two places); completed hours count towards the year the record ended.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from coop.errors import Conflict, InvalidInput, NotFound
from coop.models import (
    Cooperative,
    LearningKind,
    LearningRecord,
    LearningStatus,
    Member,
    MemberStatus,
    NotificationKind,
    NotificationPreference,
    Qualification,
)
from coop.pay import Pay
from coop.schemas import limits
from coop.services import audit, events, members, notifications, rules
from coop.services.actor import Actor

KINDS = tuple(k.value for k in LearningKind)
STATUSES = tuple(s.value for s in LearningStatus)
#: A year has 8,784 hours at most; a record above that is a typing error.
MAX_HOURS = Decimal("8784.00")
FIELDS = ("title", "provider", "kind", "hours", "started_on", "ended_on", "status",
          "qualification_field", "qualification_level")


@dataclass(frozen=True)
class Policy:
    expected_hours_per_year: Decimal
    paid_hours_per_year: Decimal


def policy(session: Session, coop_id: int, params: dict[str, str] | None = None) -> Policy:
    params = params if params is not None else rules.parameters(session, coop_id)
    return Policy(Decimal(rules.int_param(params, "education.expected_hours_per_year", 0)),
                  Decimal(rules.int_param(params, "education.paid_hours_per_year", 0)))


# -- records ---------------------------------------------------------------------------------

def _date(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"'{value}' is not a date (YYYY-MM-DD)", field=field) from None


def _hours(value: Any) -> Decimal:
    if isinstance(value, float):
        raise InvalidInput("hours are exact decimals such as 12.50, never floats", field="hours")
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"'{value}' is not a number of hours", field="hours") from None
    if not hours.is_finite() or hours <= 0 or hours > MAX_HOURS:
        raise InvalidInput(f"hours must be more than 0 and at most {MAX_HOURS}", field="hours")
    if hours != hours.quantize(Decimal("0.01")):
        raise InvalidInput("hours have at most two decimal places", field="hours")
    return hours.quantize(Decimal("0.01"))


def clean(data: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """Check one record's fields; returns them normalised. :raise InvalidInput: naming the field."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
    title = " ".join(str(data.get("title") or "").split())
    if not title or len(title) > limits.TITLE:
        raise InvalidInput(f"a title of 1 to {limits.TITLE} characters", field="title")
    provider = " ".join(str(data.get("provider") or "").split())
    if len(provider) > limits.TITLE:
        raise InvalidInput(f"at most {limits.TITLE} characters", field="provider")
    for name, value in (("title", title), ("provider", provider)):
        if limits.line_problem(value):
            raise InvalidInput(str(limits.line_problem(value)), field=name)
    kind = str(data.get("kind") or "").strip().lower().replace("_", "-").replace(" ", "-")
    if kind not in KINDS:
        raise InvalidInput(f"kind is one of {', '.join(KINDS)}", field="kind")
    status = str(data.get("status") or "").strip().lower().replace("-", "_").replace(" ", "_")
    if status not in STATUSES:
        raise InvalidInput(f"status is one of {', '.join(STATUSES)}", field="status")
    started = _date(data.get("started_on"), "started_on")
    if started is None:
        raise InvalidInput("when it started (YYYY-MM-DD)", field="started_on")
    ended = _date(data.get("ended_on"), "ended_on")
    if started < limits.EARLIEST_DATE:
        raise InvalidInput(f"a date from {limits.EARLIEST_DATE} on", field="started_on")
    if ended is not None and ended < started:
        raise InvalidInput("it cannot end before it started", field="ended_on")
    latest = limits.latest_planned(today)
    for name, value in (("started_on", started), ("ended_on", ended)):
        if value is not None and value > latest:
            raise InvalidInput(f"at most {limits.PLANNING_YEARS} years ahead (until {latest})", field=name)
    if status == LearningStatus.COMPLETED.value and (ended is None or ended > today):
        raise InvalidInput("a completed record needs the date it ended, not in the future", field="ended_on")
    if status != LearningStatus.PLANNED.value and started > today:
        raise InvalidInput(f"a record {status.replace('_', ' ')} cannot start in the future", field="started_on")
    q_field = " ".join(str(data.get("qualification_field") or "").split()).lower() or None
    if q_field is not None and (len(q_field) > limits.NAME or limits.line_problem(q_field)):
        raise InvalidInput(limits.line_problem(q_field) or f"at most {limits.NAME} characters",
                           field="qualification_field")
    raw_level = data.get("qualification_level")
    level = None
    if raw_level not in (None, ""):
        level = int(raw_level) if str(raw_level).strip().isdigit() else 0
        if not 1 <= level <= 8:
            raise InvalidInput("an EQF level from 1 to 8", field="qualification_level")
    if (q_field is None) != (level is None):
        raise InvalidInput("a qualification gained needs both its field and its EQF level",
                           field="qualification_field" if q_field is None else "qualification_level")
    return {"title": title, "provider": provider, "kind": kind, "hours": _hours(data.get("hours")),
            "started_on": started, "ended_on": ended, "status": status,
            "qualification_field": q_field, "qualification_level": level}


def _may_write(actor: Actor, coop: Cooperative, member: Member) -> None:
    """The member themselves, or a secretary."""
    if member.coop_id != coop.id:
        raise NotFound("no such member in this co-op", field="member")
    if actor.member_id != member.id:
        actor.require_secretary(coop.id)
    else:
        actor.require_member(coop.id, scope="propose")


def add_record(session: Session, actor: Actor, coop: Cooperative, member: Member, data: dict[str, Any],
               now: dt.datetime) -> LearningRecord:
    _may_write(actor, coop, member)
    r = LearningRecord(coop_id=coop.id, member_id=member.id, created_by_id=actor.member_id,
                       created_at=now, **clean(data, now.date()))
    session.add(r)
    session.flush()
    audit.record(session, actor, coop.id, "learning_record.added", "learning_record", r.id,
                 member_id=member.id, hours=str(r.hours), status=r.status, now=now)
    return r


def get_record(session: Session, coop_id: int, record_id: int) -> LearningRecord:
    r = session.get(LearningRecord, record_id)
    if r is None or r.coop_id != coop_id:
        raise NotFound(f"no learning record {record_id} in this co-op", field="record")
    return r


def update_record(session: Session, actor: Actor, coop: Cooperative, record_id: int, changes: dict[str, Any],
                  now: dt.datetime) -> LearningRecord:
    """Change some fields (a course completed, hours corrected). A verified record is final:
    its qualification rests on it."""
    actor.require_insider(coop.id)  # before the record is looked up
    r = get_record(session, coop.id, record_id)
    member = members.get_member(session, coop.id, r.member_id)
    _may_write(actor, coop, member)
    if r.qualification_id is not None:
        raise Conflict("this record was verified and its qualification recorded; it cannot change")
    current = {f: getattr(r, f) for f in FIELDS}
    for field, value in clean({**current, **changes}, now.date()).items():
        setattr(r, field, value)
    audit.record(session, actor, coop.id, "learning_record.changed", "learning_record", r.id,
                 fields=sorted(changes), now=now)
    session.flush()
    return r


def records(session: Session, coop_id: int, member_id: int | None = None) -> list[LearningRecord]:
    q = select(LearningRecord).where(LearningRecord.coop_id == coop_id)
    if member_id is not None:
        q = q.where(LearningRecord.member_id == member_id)
    return list(session.scalars(q.order_by(LearningRecord.started_on.desc(), LearningRecord.id.desc())))


def verify_record(session: Session, actor: Actor, coop: Cooperative, record_id: int,
                  *, now: dt.datetime) -> Qualification:
    """The qualification a completed record gained becomes a verified Qualification. Who may
    verify is decided as for any qualification: a secretary, or a member verified in the same
    field at the same level or higher (never the member themselves)."""
    actor.require_insider(coop.id)  # before the record is looked up
    r = get_record(session, coop.id, record_id)
    if r.qualification_field is None or r.qualification_level is None:
        raise InvalidInput("this record gained no qualification; there is nothing to verify", field="record")
    if r.status != LearningStatus.COMPLETED.value or r.ended_on is None:
        raise Conflict(f"the record is {r.status.replace('_', ' ')}; a qualification is gained on completion")
    if r.qualification_id is not None:
        raise Conflict("this record's qualification is verified already")
    session.flush()
    with session.begin_nested():  # a refused verifier leaves no unverified qualification behind
        q = Qualification(coop_id=coop.id, member_id=r.member_id, field=r.qualification_field,
                          level=r.qualification_level, title=r.title, issuer=r.provider or "(self-study)",
                          awarded_on=r.ended_on, created_at=now)
        session.add(q)
        session.flush()
        members.verify_qualification(session, actor, coop, q, now=now)
    r.qualification_id = q.id
    audit.record(session, actor, coop.id, "learning_record.verified", "learning_record", r.id,
                 qualification_id=q.id, now=now)
    session.flush()
    return q


def check_cited_qualifications(session: Session, subject: Member, proposed: Pay, current: Pay | None) -> None:
    """A supplement may cite a qualification (pay for skills): it must be the subject's own and
    verified. Citations the current pay already carries are not re-examined.
    :raise InvalidInput: naming the qualification."""
    already = {s.qualification_id for s in current.supplements} if current else set()
    cited = {s.qualification_id for s in proposed.supplements if s.qualification_id is not None} - already
    if not cited:
        return
    found = {q.id: q for q in session.scalars(select(Qualification).where(Qualification.id.in_(cited)))}
    for qid in sorted(cited):
        q = found.get(qid)
        if q is None or q.member_id != subject.id:
            raise InvalidInput(f"qualification {qid} is not one of {subject.name}'s", field="supplements")
        if not q.verified:
            raise InvalidInput(f"qualification {qid} ({q.field}, EQF level {q.level}) is not verified; "
                               "an unverified qualification cannot be cited", field="supplements")


# -- the report ------------------------------------------------------------------------------

def _cents(value: Fraction) -> Decimal:
    """Exact: round half to even to hundredths, through integers only."""
    return Decimal(round(value * 100)).scaleb(-2).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class MemberHours:
    member_id: int
    name: str
    status: str
    #: Hours of records completed in the year.
    completed: Decimal
    #: The year's expectation, pro rata for a member active for part of it.
    expected: Decimal
    #: What the expectation asks for by the report's date (pro rata).
    due_to_date: Decimal

    @property
    def behind(self) -> bool:
        return self.completed < self.due_to_date


@dataclass(frozen=True)
class YearTotal:
    year: int
    hours: Decimal
    records: int
    members: int


@dataclass(frozen=True)
class Report:
    year: int
    as_of: dt.date
    policy: Policy
    members: list[MemberHours]
    total_hours: Decimal
    #: The co-op's completed hours per year, oldest first.
    years: list[YearTotal]


def report(session: Session, coop: Cooperative, year: int | None = None, *, now: dt.datetime) -> Report:
    """Each member's completed hours in ``year`` against the expectation, and the co-op's totals
    per year. Four queries, whatever the number of members and records."""
    year = year or now.year
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    as_of = min(max(now.date(), first - dt.timedelta(days=1)), last)
    days = (last - first).days + 1
    pol = policy(session, coop.id)
    by_member: dict[int, Decimal] = {}
    years: dict[int, tuple[Decimal, int, set[int]]] = {}
    for member_id, hours, ended in session.execute(
        select(LearningRecord.member_id, LearningRecord.hours, LearningRecord.ended_on).where(
            LearningRecord.coop_id == coop.id, LearningRecord.status == LearningStatus.COMPLETED.value)
    ):
        h, n, who = years.get(ended.year, (Decimal("0.00"), 0, set()))
        years[ended.year] = (h + hours, n + 1, who | {member_id})
        if ended.year == year:
            by_member[member_id] = by_member.get(member_id, Decimal("0.00")) + hours
    people = session.scalars(select(Member).where(
        Member.coop_id == coop.id,
        (Member.status == MemberStatus.ACTIVE.value) | Member.id.in_(list(by_member))).order_by(Member.name, Member.id))
    rows = []
    for m in people:
        start = max(first, m.active_since.date()) if m.active_since else None
        if m.is_active and start is not None and start <= last:
            expected = _cents(Fraction(int(pol.expected_hours_per_year)) * ((last - start).days + 1) / days)
            elapsed = max((as_of - start).days + 1, 0)
            due = _cents(Fraction(int(pol.expected_hours_per_year)) * elapsed / days)
        else:
            expected = due = Decimal("0.00")
        rows.append(MemberHours(m.id, m.name, m.status, by_member.get(m.id, Decimal("0.00")), expected, due))
    return Report(year=year, as_of=as_of, policy=pol, members=rows,
                  total_hours=sum((r.completed for r in rows), Decimal("0.00")),
                  years=[YearTotal(y, h, n, len(who)) for y, (h, n, who) in sorted(years.items())])


def remind_behind(session: Session, coop: Cooperative, now: dt.datetime) -> list[MemberHours]:
    """Emit ``education.behind`` for each active member behind this year's pace; those who
    chose to be reminded (notification kind ``education_behind``) get a notification, in the
    portal or by email as they chose. Run it on a schedule, e.g. monthly."""
    behind = [r for r in report(session, coop, now.year, now=now).members if r.status == "active" and r.behind]
    for r in behind:
        events.emit(session, coop.id, "education.behind", {
            "member_id": r.member_id, "hours": str(r.completed), "expected": str(r.due_to_date),
            "expected_per_year": str(r.expected), "year": now.year}, now=now)
    audit.record(session, Actor.operator(), coop.id, "education.reminded", "cooperative", coop.id,
                 members=[r.member_id for r in behind], now=now)
    session.flush()
    return behind


REMINDER = NotificationKind.EDUCATION_BEHIND.value


def _chose_reminders() -> Any:
    """Members who switched education reminders on (portal or email): the kind is opt-in."""
    return select(NotificationPreference.member_id).where(
        NotificationPreference.kind == REMINDER,
        or_(NotificationPreference.portal.is_(True), NotificationPreference.email.is_(True)))


def chose_reminders(session: Session, member_ids: list[int]) -> set[int]:
    """Which of ``member_ids`` chose to be reminded (one query)."""
    return set(session.scalars(_chose_reminders().where(NotificationPreference.member_id.in_(member_ids))))


def _remind(session: Session, coop_id: int, event: str, payload: dict[str, Any], now: dt.datetime) -> None:
    """A member behind the pace is reminded only if they chose to be: the kind is opt-in, so
    only a preference row switched on (portal or email) lets the reminder through."""
    if event != "education.behind":
        return
    coop = session.get(Cooperative, coop_id)
    assert coop is not None
    notifications.notify(
        session, coop, REMINDER, (Member.id == payload["member_id"]) & Member.id.in_(_chose_reminders()),
        f"Learning: {payload['hours']} of {payload['expected']} hours so far this year",
        f"The co-op's education policy expects {payload['expected_per_year']} hours of learning from you "
        f"in {payload['year']}; by now that is {payload['expected']} hours, and your completed learning "
        f"records add up to {payload['hours']}. Study time counts as paid working time: record a course, "
        "workshop or self-study on your learning page.",
        f"/c/{coop.slug}/me/learning", now=now)


events.subscribe(_remind)
