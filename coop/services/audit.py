"""The audit trail, written by the services as they act."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from coop.models import AuditEvent
from coop.services.actor import Actor


def record(
    session: Session, actor: Actor, coop_id: int | None, action: str,
    object_type: str, object_id: int | None, *, now: dt.datetime, **details: Any,
) -> AuditEvent:
    event = AuditEvent(
        coop_id=coop_id, actor_id=actor.member_id, action=action, object_type=object_type,
        object_id=object_id, at=now, details=details,
    )
    session.add(event)
    return event
