"""Members: admission, status lifecycle, roles, qualifications, CSV import."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from coop.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from coop.models import Cooperative, Member, MemberStatus, Qualification, Role
from coop.pay import Pay
from coop.schemas import limits
from coop.services import audit, events, ledger, pay
from coop.services.actor import Actor

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

#: The status lifecycle: which moves are allowed from where.
TRANSITIONS = {
    MemberStatus.APPLICANT.value: {MemberStatus.ACTIVE.value, MemberStatus.DEPARTED.value},
    MemberStatus.ACTIVE.value: {MemberStatus.SUSPENDED.value, MemberStatus.DEPARTED.value},
    MemberStatus.SUSPENDED.value: {MemberStatus.ACTIVE.value, MemberStatus.DEPARTED.value},
    MemberStatus.DEPARTED.value: set(),
}


def _member_field_errors(name: str, email: str, role: str, status: str) -> list[InvalidInput]:
    """Every problem with a new member's fields, in column order (a CSV import lists them
    all, so the secretary fixes a row in one pass)."""
    errors = []
    if not (name or "").strip():
        errors.append(InvalidInput("a member needs a name", field="name"))
    elif len(name) > 200:
        errors.append(InvalidInput("at most 200 characters", field="name"))
    elif limits.line_problem(name):
        errors.append(InvalidInput(f"a name {limits.line_problem(name)}", field="name"))
    if not EMAIL.match(email or "") or limits.line_problem(email or ""):
        errors.append(InvalidInput(f"'{email}' is not an email address", field="email"))
    if role not in {r.value for r in Role}:
        errors.append(InvalidInput(f"role must be one of member, secretary, admin; got '{role}'", field="role"))
    if status not in (MemberStatus.APPLICANT.value, MemberStatus.ACTIVE.value):
        errors.append(InvalidInput("a new member is an applicant or active", field="status"))
    return errors


def _check_member_fields(name: str, email: str, role: str, status: str) -> None:
    errors = _member_field_errors(name, email, role, status)
    if errors:
        raise errors[0]


def may_grant(actor: Actor, role: str) -> bool:
    """Whether ``actor`` may give a member ``role``: the admin role only an admin (or the
    operator) gives, since an admin may do everything, the co-op's settings included."""
    return role != Role.ADMIN.value or actor.is_operator or (actor.member is not None and actor.member.is_admin)


def _require_may_grant(actor: Actor, role: str) -> None:
    if not may_grant(actor, role):
        raise PermissionDenied("only an admin may make someone an admin", field="role")


def add_member(
    session: Session, actor: Actor, coop: Cooperative, name: str, email: str,
    role: str = Role.MEMBER.value, status: str = MemberStatus.APPLICANT.value,
    active_since: dt.datetime | None = None, *, now: dt.datetime,
) -> Member:
    actor.require_secretary(coop.id)
    _check_member_fields(name, email, role, status)
    _require_may_grant(actor, role)
    member = Member(
        coop_id=coop.id, name=name.strip(), email=email.strip().lower(), role=role, status=status,
        joined_at=active_since or now,
        active_since=(active_since or now) if status == MemberStatus.ACTIVE.value else None,
    )
    session.flush()  # anything pending belongs outside the savepoint below
    try:
        # A savepoint, so a duplicate refused by the unique constraint (even one racing in
        # from another request) leaves the rest of the transaction usable.
        with session.begin_nested():
            session.add(member)
            session.flush()
    except IntegrityError:
        raise Conflict(f"a member with email '{email}' already exists", field="email") from None
    audit.record(session, actor, coop.id, "member.added", "member", member.id,
                 name=member.name, role=role, status=status, now=now)
    return member


def get_member(session: Session, coop_id: int, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.coop_id != coop_id:
        raise NotFound(f"no member {member_id} in this co-op", field="member")
    return member


def find_member(session: Session, coop_id: int, ref: str) -> Member:
    """By id or email: what an operator types at the command line."""
    if ref.isdigit():
        return get_member(session, coop_id, int(ref))
    member = session.scalars(
        select(Member).where(Member.coop_id == coop_id, Member.email == ref.strip().lower())
    ).one_or_none()
    if member is None:
        raise NotFound(f"no member '{ref}' in this co-op", field="member")
    return member


def list_members(session: Session, coop_id: int, status: str | None = None) -> list[Member]:
    """Members with their qualifications: two queries whatever the count."""
    q = select(Member).where(Member.coop_id == coop_id).options(selectinload(Member.qualifications))
    if status:
        q = q.where(Member.status == status)
    return list(session.scalars(q.order_by(Member.name, Member.id)))


def change_status(session: Session, actor: Actor, coop: Cooperative, member: Member, status: str,
                  *, now: dt.datetime) -> Member:
    """Admit, suspend, reinstate or depart: the secretary's, but an admin's status only an admin's."""
    actor.require_secretary(coop.id)
    if member.coop_id != coop.id:
        raise NotFound("no such member in this co-op", field="member")
    actor.require_authority_over(member, "change the membership of")
    if status not in TRANSITIONS.get(member.status, set()):
        raise Conflict(f"a member who is {member.status} cannot become {status}", field="status")
    previous = member.status
    member.status = status
    if status == MemberStatus.ACTIVE.value:
        member.active_since = now
    if status == MemberStatus.DEPARTED.value:
        member.departed_at = now
        _end_pay(session, coop, member, now.date(), now=now)
        events.emit(session, coop.id, "member.departed", {"member_id": member.id}, now=now)
    audit.record(session, actor, coop.id, f"member.{status}", "member", member.id, previous=previous, now=now)
    session.flush()
    return member


def _end_pay(session: Session, coop: Cooperative, member: Member, on: dt.date, *, now: dt.datetime) -> None:
    """A departure ends pay with a ledger entry of its own, so the public record shows why."""
    if member.id not in pay.current_table(session, coop.id):
        return
    ledger.append_pay_record(
        session, coop, member.id, member.name, Pay(hourly_rate=_zero(), weekly_hours=_zero()),
        pay.policy(session, coop.id).weeks_per_year, authority="departure", effective_date=on,
        now=now,
    )


def _zero():  # type: ignore[no-untyped-def]
    from decimal import Decimal

    return Decimal("0.00")


def set_role(session: Session, actor: Actor, coop: Cooperative, member: Member, role: str,
             *, now: dt.datetime) -> Member:
    actor.require_admin(coop.id)
    if role not in {r.value for r in Role}:
        raise InvalidInput(f"role must be one of member, secretary, admin; got '{role}'", field="role")
    previous, member.role = member.role, role
    audit.record(session, actor, coop.id, "member.role_changed", "member", member.id,
                 previous=previous, role=role, now=now)
    session.flush()
    return member


# -- qualifications ------------------------------------------------------------------------

def add_qualification(
    session: Session, actor: Actor, coop: Cooperative, member: Member, field: str, level: int,
    issuer: str, awarded_on: dt.date, title: str = "", *, now: dt.datetime,
) -> Qualification:
    """A member records their own qualification; a secretary may record anyone's.
    The portal and the command line reach this without a schema, so the shape is checked
    here too, with the schemas' limits."""
    if actor.member_id != member.id:
        actor.require_secretary(coop.id)
    if not (field or "").strip():
        raise InvalidInput("name the field, e.g. accounting", field="field")
    if not isinstance(level, int) or not 1 <= level <= 8:
        raise InvalidInput("an EQF level from 1 to 8", field="level")
    if not (issuer or "").strip():
        raise InvalidInput("who awarded it", field="issuer")
    for name, value, most in (("field", field, limits.NAME), ("issuer", issuer, limits.TITLE),
                              ("title", title or "", limits.TITLE)):
        if len(value.strip()) > most:
            raise InvalidInput(f"at most {most} characters", field=name)
        if limits.line_problem(value):
            raise InvalidInput(str(limits.line_problem(value)), field=name)
    if awarded_on > now.date():
        raise InvalidInput("cannot be awarded in the future", field="awarded_on")
    if awarded_on < limits.EARLIEST_DATE:
        raise InvalidInput(f"a date from {limits.EARLIEST_DATE} on", field="awarded_on")
    q = Qualification(
        coop_id=coop.id, member_id=member.id, field=field.strip().lower(), level=level,
        issuer=issuer.strip(), awarded_on=awarded_on, title=(title or "").strip(), created_at=now,
    )
    session.add(q)
    session.flush()
    audit.record(session, actor, coop.id, "qualification.added", "qualification", q.id,
                 member_id=member.id, field=q.field, level=level, now=now)
    return q


def verified_levels(session: Session, member_id: int) -> dict[str, int]:
    """Field → the member's highest verified EQF level in it: what peer verification rests on."""
    return {field: level for field, level in session.execute(
        select(Qualification.field, func.max(Qualification.level))
        .where(Qualification.member_id == member_id, Qualification.verified_at.is_not(None))
        .group_by(Qualification.field)
    )}


def may_verify(verifier: Member | None, qualification: Qualification, verifier_levels: dict[str, int]) -> bool:
    """Whether a member may vouch for a qualification: an active member of its co-op, not its
    holder, who is a secretary or verified in the same field at the same level or higher
    (peer verification: competence vouched for by competence). Faces use it to offer the
    action; ``verify_qualification`` enforces it."""
    if (verifier is None or not verifier.is_active or verifier.coop_id != qualification.coop_id
            or verifier.id == qualification.member_id):
        return False
    return verifier.is_secretary or verifier_levels.get(qualification.field, 0) >= qualification.level


def verify_qualification(session: Session, actor: Actor, coop: Cooperative, qualification: Qualification,
                         *, now: dt.datetime) -> Qualification:
    """By a secretary, the operator, or a member verified in the same field at the same level
    or higher (see ``may_verify``). Never one's own."""
    if qualification.coop_id != coop.id:
        raise NotFound("no such qualification in this co-op", field="qualification")
    if qualification.verified:
        raise Conflict("this qualification is already verified")
    if actor.member_id == qualification.member_id:
        raise PermissionDenied("members cannot verify their own qualifications")
    # Vouching for competence is an administrative act whichever path grants it: a token
    # without the admin scope must not carry a secretary's authority either.
    actor.require_scope("admin")
    if not actor.is_operator:
        verifier = actor.require_member(coop.id, scope="admin")
        levels = {} if verifier.is_secretary else verified_levels(session, verifier.id)
        if not may_verify(verifier, qualification, levels):
            raise PermissionDenied(
                f"only a secretary or a member verified in {qualification.field} at EQF level "
                f"{qualification.level} or higher may verify this"
            )
    qualification.verified_by_id = actor.member_id
    qualification.verified_at = now
    audit.record(session, actor, coop.id, "qualification.verified", "qualification", qualification.id, now=now)
    session.flush()
    return qualification


# -- CSV import ----------------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    row: int  # 1-based line number in the file, header is line 1
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.row}" if self.row else "whole file"  # row 0: the table as a whole
        return f"{where}, {self.field}: {self.message}"


class ImportRejected(InvalidInput):
    """At least one row is wrong: nothing was written. ``errors`` lists every problem."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} error(s); nothing was imported: " + "; ".join(map(str, errors[:5])))
        self.errors = errors


MEMBER_COLUMNS = ("name", "email")


def parse_members_csv(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in MEMBER_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected([RowError(1, c, "missing column") for c in missing])
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def import_row_errors(session: Session, coop: Cooperative, rows: list[dict[str, str]],
                      actor: Actor | None = None) -> list[RowError]:
    """Every problem in the member columns of every row (``rows`` as ``parse_members_csv``
    returns them; line 2 is the first), in line then column order. With ``actor``, a role
    they may not grant is one of the problems."""
    errors: list[RowError] = []
    seen: set[str] = set()
    existing = set(session.scalars(select(Member.email).where(Member.coop_id == coop.id)))
    order = ("name", "email", "role", "status")
    for n, row in enumerate(rows, start=2):
        role = row.get("role") or Role.MEMBER.value
        status = row.get("status") or MemberStatus.ACTIVE.value
        found = _member_field_errors(row.get("name", ""), row.get("email", ""), role, status)
        if actor is not None and not any(e.field == "role" for e in found) and not may_grant(actor, role):
            found.append(InvalidInput("only an admin may make someone an admin", field="role"))
        email = (row.get("email") or "").lower()
        if not any(e.field == "email" for e in found) and (email in seen or email in existing):
            found.append(InvalidInput(f"'{email}' appears twice or is already a member", field="email"))
        seen.add(email)
        found.sort(key=lambda e: order.index(e.field) if e.field in order else len(order))
        errors.extend(RowError(n, e.field or "row", e.message) for e in found)
    return errors


def import_members(session: Session, actor: Actor, coop: Cooperative, text: str, *, now: dt.datetime) -> list[Member]:
    """All or nothing: every row is checked first; on any error nothing is written."""
    actor.require_secretary(coop.id)
    rows = parse_members_csv(text)
    errors = import_row_errors(session, coop, rows, actor)
    if errors:
        raise ImportRejected(errors)
    added = []
    with session.begin_nested():
        for row in rows:
            added.append(add_member(
                session, actor, coop, row["name"], row["email"],
                role=row.get("role") or Role.MEMBER.value,
                status=row.get("status") or MemberStatus.ACTIVE.value, now=now,
            ))
    return added
