"""The membership verbs an operator or secretary uses (admit, suspend, reinstate, depart),
each a named move of the status lifecycle in ``members.TRANSITIONS``.

``members.change_status`` accepts any allowed move; the verbs are narrower so that "admit"
never silently reinstates a suspended member, nor "reinstate" admit an applicant.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from coop.errors import Conflict
from coop.models import Cooperative, Member, MemberStatus
from coop.services import members
from coop.services.actor import Actor

S = MemberStatus

#: verb -> (status the member must have, or None for any allowed one; the new status; past tense)
VERBS: dict[str, tuple[str | None, str, str]] = {
    "admit": (S.APPLICANT.value, S.ACTIVE.value, "admitted"),
    "suspend": (S.ACTIVE.value, S.SUSPENDED.value, "suspended"),
    "reinstate": (S.SUSPENDED.value, S.ACTIVE.value, "reinstated"),
    "depart": (None, S.DEPARTED.value, "departed"),
}


def apply_verb(session: Session, actor: Actor, coop: Cooperative, member: Member, verb: str,
               *, now: dt.datetime) -> Member:
    required, target, done = VERBS[verb]
    if required is not None and member.status != required:
        raise Conflict(f"only {required} members can be {done}; {member.name} is {member.status}",
                       field="status")
    return members.change_status(session, actor, coop, member, target, now=now)
