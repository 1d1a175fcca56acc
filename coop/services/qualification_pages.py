"""What the portal shows about qualifications — a member's own, and those awaiting
verification — each read in a constant number of queries whatever the size of the co-op; and
verification by id, for faces that post an id.

Who may verify is ``members.may_verify``: the page uses it to offer the button, and
``members.verify_qualification`` enforces it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from coop.errors import NotFound
from coop.models import Cooperative, Member, Qualification
from coop.services import members
from coop.services.actor import Actor

#: The EQF levels with the award most countries place there (the framework's own level
#: descriptors are about knowledge, skills and autonomy; these examples are what people recognise).
EQF_LEVELS = {
    1: "basic general education",
    2: "lower secondary education",
    3: "upper secondary or basic vocational",
    4: "upper secondary or vocational certificate",
    5: "short-cycle higher education, e.g. higher national diploma",
    6: "bachelor's degree or equivalent",
    7: "master's degree or equivalent",
    8: "doctorate",
}


@dataclass(frozen=True)
class QualificationLine:
    qualification: Qualification
    holder: str
    #: None while unverified, or when it was verified at the command line (no member acted).
    verified_by: str | None
    #: Whether the reader is offered the Verify button (the service still decides).
    can_verify: bool = False


def of_member(session: Session, coop_id: int, member_id: int) -> list[QualificationLine]:
    """A member's qualifications with who verified each: one query."""
    holder, verifier = aliased(Member), aliased(Member)
    rows = session.execute(
        select(Qualification, holder.name, verifier.name)
        .join(holder, holder.id == Qualification.member_id)
        .outerjoin(verifier, verifier.id == Qualification.verified_by_id)
        .where(Qualification.coop_id == coop_id, Qualification.member_id == member_id)
        .order_by(Qualification.awarded_on.desc(), Qualification.id.desc())
    )
    return [QualificationLine(q, name, by) for q, name, by in rows]


@dataclass(frozen=True)
class PendingPage:
    lines: list[QualificationLine]
    #: field → the reader's highest verified EQF level in it (what peer verification rests on).
    reader_levels: dict[str, int]
    reader_is_secretary: bool

    @property
    def verifiable(self) -> int:
        return sum(1 for line in self.lines if line.can_verify)


def pending(session: Session, coop: Cooperative, reader: Member | None) -> PendingPage:
    """Unverified qualifications of the co-op, oldest first, and whether the reader may
    verify each: two queries whatever the number of members or qualifications."""
    levels = members.verified_levels(session, reader.id) if reader is not None else {}
    rows = session.execute(
        select(Qualification, Member.name).join(Member, Member.id == Qualification.member_id)
        .where(Qualification.coop_id == coop.id, Qualification.verified_at.is_(None))
        .order_by(Qualification.created_at, Qualification.id)
    )
    lines = [QualificationLine(q, name, None, members.may_verify(reader, q, levels)) for q, name in rows]
    return PendingPage(lines, levels, bool(reader and reader.is_secretary and reader.is_active))


def verify_by_id(session: Session, actor: Actor, coop: Cooperative, qualification_id: int | None,
                 *, now: dt.datetime) -> Qualification:
    """Verify the co-op's qualification ``qualification_id``.

    :raise NotFound: no such qualification in this co-op (another co-op's reads as absent).
    :raise PermissionDenied, Conflict: as ``members.verify_qualification``."""
    q = session.get(Qualification, qualification_id) if qualification_id is not None else None
    if q is None or q.coop_id != coop.id:
        raise NotFound("no such qualification in this co-op", field="qualification")
    return members.verify_qualification(session, actor, coop, q, now=now)
